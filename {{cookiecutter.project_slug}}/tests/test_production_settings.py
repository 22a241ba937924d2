"""Production settings refuse to boot without the variables a deployment must set.

Settings values and the errors a bad variable raises are read in this process with
`load_settings`; what needs a booted process (logging, static storage, the deploy checks) comes
from the one boot the suite shares (`production_boot`).
"""

import json

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.handlers.wsgi import WSGIHandler
from django.core.servers.basehttp import get_internal_wsgi_application

from config.environment import Env

from .processes import ahead
from .production import STRONG_KEY, VALID, load_settings, process_environment


def without(name: str) -> dict[str, str]:
    return {key: value for key, value in VALID.items() if key != name}


def test_production_boots_with_the_required_variables(production_boot):
    assert production_boot["debug"] is False
    assert production_boot["allowed_hosts"] == ["{{ cookiecutter.domain_name }}"]


@pytest.mark.parametrize(
    ("environ", "variable"),
    [
        (without("DJANGO_SECRET_KEY"), "DJANGO_SECRET_KEY"),
        ({**VALID, "DJANGO_SECRET_KEY": "too-short"}, "DJANGO_SECRET_KEY"),
        ({**VALID, "DJANGO_SECRET_KEY": "django-insecure-" + STRONG_KEY}, "DJANGO_SECRET_KEY"),
        ({**VALID, "DJANGO_SECRET_KEY": "ab" * 40}, "DJANGO_SECRET_KEY"),
        (without("DJANGO_ALLOWED_HOSTS"), "DJANGO_ALLOWED_HOSTS"),
        ({**VALID, "DJANGO_ALLOWED_HOSTS": "*"}, "DJANGO_ALLOWED_HOSTS"),
        (without("DATABASE_URL"), "DATABASE_URL"),
        ({**VALID, "DATABASE_URL": "sqlite:////tmp/db.sqlite3"}, "DATABASE_URL"),
        ({**VALID, "DJANGO_SECURE_HSTS_SECONDS": "0"}, "DJANGO_SECURE_HSTS_SECONDS"),
{%- if cookiecutter.use_celery %}
        (without("CELERY_BROKER_URL"), "CELERY_BROKER_URL"),
{%- endif %}
    ],
    ids=[
        "secret-key-missing",
        "secret-key-short",
        "secret-key-insecure-prefix",
        "secret-key-repetitive",
        "allowed-hosts-missing",
        "allowed-hosts-wildcard",
        "database-url-missing",
        "database-url-sqlite",
        "hsts-seconds-zero",
{%- if cookiecutter.use_celery %}
        "celery-broker-url-missing",
{%- endif %}
    ],
)
def test_production_refuses_to_boot_naming_the_variable(environ, variable):
    with pytest.raises(ImproperlyConfigured) as refusal:
        load_settings(environ)
    assert variable in str(refusal.value)


# One malformed value at a time, each read by a fresh import of the settings.
MALFORMED = [
    ("DJANGO_SECURE_HSTS_SECONDS", "abc"),
    ("DJANGO_SECURE_HSTS_PRELOAD", "ture"),
    ("DATABASE_URL", ""),
    ("DATABASE_URL", "not a url"),
    ("DATABASE_URL", "postgres://app@127.0.0.1:port/app"),
    ("DJANGO_DB_POOL", "sometimes"),
    ("DJANGO_DB_POOL_MAX_SIZE", "four"),
    ("DJANGO_CSP_REPORT_ONLY", "2"),
    ("DJANGO_ADMIN_URL", "/admin"),
    ("DJANGO_LOG_LEVEL", "LOUD"),
    ("DJANGO_TRUSTED_PROXIES", "one"),
    ("DJANGO_TRUSTED_PROXIES", "-1"),
    ("GUNICORN_FORWARDED_ALLOW_IPS", "10.0.0.300"),
    ("GUNICORN_FORWARDED_ALLOW_IPS", "10.0.0.10,load-balancer"),
    ("REDIS_URL", "127.0.0.1:6379"),
    ("EMAIL_URL", "smtp//mail.example.com"),
    ("EMAIL_URL", "smtp://mail.example.com:port"),
    ("DJANGO_ALLOWED_HOSTS", ".com"),
    ("DJANGO_ALLOWED_HOSTS", "{{ cookiecutter.domain_name }},co.uk"),
    ("DJANGO_ALLOWED_HOSTS", ".herokuapp.com"),
    ("DJANGO_ALLOWED_HOSTS", "https://{{ cookiecutter.domain_name }}"),
    ("DJANGO_ALLOWED_HOSTS", "{{ cookiecutter.domain_name }}:443"),
{%- if cookiecutter.use_drf %}
    ("DJANGO_API_ANON_RATE", "fast"),
    ("DJANGO_API_USER_RATE", "10/fortnight"),
{%- endif %}
{%- if cookiecutter.use_celery %}
    ("CELERY_BROKER_URL", "127.0.0.1:6379"),
    ("CELERY_TASK_TIME_LIMIT", "ninety"),
{%- if cookiecutter.celery_broker == "rabbitmq" %}
    ("CELERY_RABBITMQ_CONSUMER_TIMEOUT", "30m"),
{%- else %}
    ("CELERY_VISIBILITY_TIMEOUT", "1h"),
{%- endif %}
{%- endif %}
{%- if cookiecutter.use_sentry %}
    ("SENTRY_DSN", "not-a-dsn"),
    ("SENTRY_TRACES_SAMPLE_RATE", "lots"),
    ("SENTRY_TRACES_SAMPLE_RATE", "1.5"),
{%- endif %}
]
# Read only when what they configure is switched on.
NEEDED_WITH = {
    "DJANGO_DB_POOL_MAX_SIZE": {"DJANGO_DB_POOL": "true"},
{%- if cookiecutter.use_sentry %}
    "SENTRY_TRACES_SAMPLE_RATE": {"SENTRY_DSN": "https://key@sentry.example.com/1"},
{%- endif %}
}


@pytest.mark.parametrize(("variable", "value"), MALFORMED)
def test_a_malformed_value_stops_the_boot_naming_the_variable(variable, value):
    with pytest.raises(ImproperlyConfigured) as refusal:
        load_settings({**VALID, **NEEDED_WITH.get(variable, {}), variable: value})
    message = str(refusal.value)
    assert message.startswith(f"{variable} "), message
    if variable.endswith(("_URL", "_DSN")) and value:
        assert value not in message  # URLs may carry passwords: never echoed


def test_the_switch_for_the_env_file_is_read_strictly_too(monkeypatch):
    # Read before any settings module can be loaded with it set (process_environment fixes it).
    monkeypatch.setenv("DJANGO_READ_DOT_ENV", "perhaps")
    with pytest.raises(ImproperlyConfigured, match=r"^DJANGO_READ_DOT_ENV is malformed"):
        Env().bool("DJANGO_READ_DOT_ENV", default=True)


# Each entry point imported in a fresh interpreter that has development settings in its
# environment, as a stray line in the server's environment file would put them there.
ENTRY_POINT_SCRIPT = """
import importlib, sys
for name in sys.argv[1:]:
    try:
        importlib.import_module(name)
        print(name, "started")
    except Exception as error:
        print(name, type(error).__name__, error)
"""
ENTRY_POINTS = ["config.wsgi", "config.asgi"]
entry_points_under_development_settings = ahead(
    "entry_points_under_development_settings",
    ["-c", ENTRY_POINT_SCRIPT, *ENTRY_POINTS],
    process_environment(VALID, "config.settings.local"),
)


@pytest.mark.parametrize("entry_point", ENTRY_POINTS)
def test_entry_points_refuse_development_settings_from_the_environment(
    entry_point, entry_points_under_development_settings
):
    result = entry_points_under_development_settings
    assert result.returncode == 0, result.stderr
    [line] = [line for line in result.stdout.splitlines() if line.startswith(f"{entry_point} ")]
    assert line.startswith(f"{entry_point} ImproperlyConfigured "), line
    assert "DJANGO_SETTINGS_MODULE is 'config.settings.local'" in line


def test_runserver_serves_with_the_settings_it_runs_with():
    """runserver loads WSGI_APPLICATION, so it must not be the production-only entry point."""
    handler = get_internal_wsgi_application()
    assert isinstance(handler, WSGIHandler)


@pytest.fixture(scope="module")
def production():
    return load_settings(VALID)


def test_production_trusts_the_proxy_and_sends_secure_cookies_only(production):
    assert production.SECURE_PROXY_SSL_HEADER == ("HTTP_X_FORWARDED_PROTO", "https")
    assert production.SECURE_SSL_REDIRECT is True
    assert production.SESSION_COOKIE_SECURE is True
    assert production.SESSION_COOKIE_NAME == "__Host-sessionid"
    assert production.CSRF_COOKIE_SECURE is True
    assert production.CSRF_COOKIE_NAME == "__Host-csrftoken"
    assert production.CSRF_TRUSTED_ORIGINS == ["https://{{ cookiecutter.domain_name }}"]


def test_hsts_starts_short_without_preload_and_says_so(production):
    assert production.SECURE_HSTS_SECONDS == 60
    assert production.SECURE_HSTS_INCLUDE_SUBDOMAINS is True
    assert production.SECURE_HSTS_PRELOAD is False
    assert production.SILENCED_SYSTEM_CHECKS == ["security.W021"]


def test_passwords_are_hashed_with_argon2_and_validated(production):
    assert production.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    assert len(production.AUTH_PASSWORD_VALIDATORS) == 4


def test_uploaded_media_is_not_world_readable(production):
    assert production.FILE_UPLOAD_PERMISSIONS == 0o640
    assert production.FILE_UPLOAD_DIRECTORY_PERMISSIONS == 0o750


def test_database_connections_persist_with_health_checks(production):
    database = production.DATABASES["default"]
    assert database["ENGINE"] == "django.db.backends.postgresql"
    assert database["CONN_MAX_AGE"] == 60
    assert database["CONN_HEALTH_CHECKS"] is True


def test_cache_is_per_process_memory_without_redis_url(production):
    assert production.CACHES["default"]["BACKEND"] == (
        "django.core.cache.backends.locmem.LocMemCache"
    )


def test_hsts_preload_switched_on_silences_nothing():
    environ = {
        **VALID,
        "DJANGO_SECURE_HSTS_SECONDS": "31536000",
        "DJANGO_SECURE_HSTS_PRELOAD": "true",
    }
    settings = load_settings(environ)
    assert settings.SECURE_HSTS_SECONDS == 31536000
    assert settings.SECURE_HSTS_PRELOAD is True
    assert settings.SILENCED_SYSTEM_CHECKS == []


def test_static_files_use_whitenoise_compressed_manifest_storage_readable_by_nginx(
    production_boot,
):
    assert production_boot["static_storage"] == [
        "whitenoise.storage.CompressedManifestStaticFilesStorage",
        "0o644",
        "0o755",
    ]


def test_database_pool_replaces_persistent_connections_when_switched_on():
    environ = {**VALID, "DJANGO_DB_POOL": "true", "DJANGO_DB_POOL_MAX_SIZE": "8"}
    database = load_settings(environ).DATABASES["default"]
    assert database["CONN_MAX_AGE"] == 0
    assert database["OPTIONS"]["pool"]["max_size"] == 8


def test_cache_uses_redis_when_redis_url_is_set():
    environ = {**VALID, "REDIS_URL": "redis://127.0.0.1:6379/1"}
    backend = load_settings(environ).CACHES["default"]["BACKEND"]
    assert backend == "django.core.cache.backends.redis.RedisCache"


def test_log_lines_are_json_with_the_request_id(production_boot):
    line = json.loads(production_boot["stderr"].strip().splitlines()[-1])
    assert {key: line[key] for key in ("level", "logger", "request_id", "message")} == {
        "level": "WARNING",
        "logger": "deploy.check",
        "request_id": "-",
        "message": "hello",
    }
    assert "time" in line


def test_csp_can_be_switched_to_report_only():
    settings = load_settings({**VALID, "DJANGO_CSP_REPORT_ONLY": "true"})
    assert settings.CONTENT_SECURITY_POLICY is None
    assert "script-src" in settings.CONTENT_SECURITY_POLICY_REPORT_ONLY["DIRECTIVES"]


def test_deploy_check_passes_with_only_the_required_variables(production_boot):
    check = production_boot["deploy_check"]
    assert check["passed"], check["output"]
