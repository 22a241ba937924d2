"""Production settings refuse to boot without the variables a deployment must set.

Each case boots Django in a fresh interpreter, because settings are read once per process.
"""

import json
import subprocess
from typing import Any

import pytest

from .production import STRONG_KEY, VALID, run_in_production


def boot(environ: dict[str, str], code: str = "") -> subprocess.CompletedProcess[str]:
    script = f"import django\ndjango.setup()\nfrom django.conf import settings\n{code}"
    return run_in_production(["-c", script], environ)


def without(name: str) -> dict[str, str]:
    return {key: value for key, value in VALID.items() if key != name}


def test_production_boots_with_the_required_variables():
    result = boot(VALID, "print(settings.DEBUG, settings.ALLOWED_HOSTS)")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False ['{{ cookiecutter.domain_name }}']"


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
    ],
)
def test_production_refuses_to_boot_naming_the_variable(environ, variable):
    result = boot(environ)
    assert result.returncode != 0
    last_line = result.stderr.strip().splitlines()[-1]
    assert last_line.startswith("django.core.exceptions.ImproperlyConfigured")
    assert variable in last_line


def effective(environ: dict[str, str], expression: str) -> Any:
    """The value of a Python expression evaluated in a process booted with production settings."""
    result = boot(environ, f"import json\nprint(json.dumps({expression}, default=str))")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


# Read once: every boot costs a second or two.
SETTINGS = [
    "SECURE_PROXY_SSL_HEADER",
    "SECURE_SSL_REDIRECT",
    "SESSION_COOKIE_SECURE",
    "SESSION_COOKIE_NAME",
    "CSRF_COOKIE_SECURE",
    "CSRF_COOKIE_NAME",
    "CSRF_TRUSTED_ORIGINS",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "SILENCED_SYSTEM_CHECKS",
    "PASSWORD_HASHERS",
    "AUTH_PASSWORD_VALIDATORS",
    "FILE_UPLOAD_PERMISSIONS",
    "FILE_UPLOAD_DIRECTORY_PERMISSIONS",
    "DATABASES",
    "CACHES",
]


@pytest.fixture(scope="module")
def production() -> dict:
    values = effective(VALID, f"dict((name, getattr(settings, name)) for name in {SETTINGS!r})")
    assert isinstance(values, dict)
    return values


def test_production_trusts_the_proxy_and_sends_secure_cookies_only(production):
    assert production["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert production["SECURE_SSL_REDIRECT"] is True
    assert production["SESSION_COOKIE_SECURE"] is True
    assert production["SESSION_COOKIE_NAME"] == "__Host-sessionid"
    assert production["CSRF_COOKIE_SECURE"] is True
    assert production["CSRF_COOKIE_NAME"] == "__Host-csrftoken"
    assert production["CSRF_TRUSTED_ORIGINS"] == ["https://{{ cookiecutter.domain_name }}"]


def test_hsts_starts_short_without_preload_and_says_so(production):
    assert production["SECURE_HSTS_SECONDS"] == 60
    assert production["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert production["SECURE_HSTS_PRELOAD"] is False
    assert production["SILENCED_SYSTEM_CHECKS"] == ["security.W021"]


def test_passwords_are_hashed_with_argon2_and_validated(production):
    assert production["PASSWORD_HASHERS"][0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    assert len(production["AUTH_PASSWORD_VALIDATORS"]) == 4


def test_uploaded_media_is_not_world_readable(production):
    assert production["FILE_UPLOAD_PERMISSIONS"] == 0o640
    assert production["FILE_UPLOAD_DIRECTORY_PERMISSIONS"] == 0o750


def test_database_connections_persist_with_health_checks(production):
    database = production["DATABASES"]["default"]
    assert database["ENGINE"] == "django.db.backends.postgresql"
    assert database["CONN_MAX_AGE"] == 60
    assert database["CONN_HEALTH_CHECKS"] is True


def test_cache_is_per_process_memory_without_redis_url(production):
    assert production["CACHES"]["default"]["BACKEND"] == (
        "django.core.cache.backends.locmem.LocMemCache"
    )


def test_hsts_preload_switched_on_silences_nothing():
    environ = {
        **VALID,
        "DJANGO_SECURE_HSTS_SECONDS": "31536000",
        "DJANGO_SECURE_HSTS_PRELOAD": "true",
    }
    values = effective(
        environ,
        "[settings.SECURE_HSTS_SECONDS, settings.SECURE_HSTS_PRELOAD,"
        " settings.SILENCED_SYSTEM_CHECKS]",
    )
    assert values == [31536000, True, []]


def test_static_files_use_whitenoise_compressed_manifest_storage_readable_by_nginx():
    result = boot(
        VALID,
        "import json\n"
        "from django.contrib.staticfiles.storage import staticfiles_storage as storage\n"
        "storage.location  # instantiates the lazy storage\n"
        "kind = type(storage._wrapped)\n"
        "print(json.dumps([f'{kind.__module__}.{kind.__name__}',"
        " oct(storage.file_permissions_mode), oct(storage.directory_permissions_mode)]))",
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [
        "whitenoise.storage.CompressedManifestStaticFilesStorage",
        "0o644",
        "0o755",
    ]


def test_database_pool_replaces_persistent_connections_when_switched_on():
    environ = {**VALID, "DJANGO_DB_POOL": "true", "DJANGO_DB_POOL_MAX_SIZE": "8"}
    values = effective(
        environ,
        "[settings.DATABASES['default']['CONN_MAX_AGE'],"
        " settings.DATABASES['default']['OPTIONS']['pool']['max_size']]",
    )
    assert values == [0, 8]


def test_cache_uses_redis_when_redis_url_is_set():
    environ = {**VALID, "REDIS_URL": "redis://127.0.0.1:6379/1"}
    backend = effective(environ, "settings.CACHES['default']['BACKEND']")
    assert backend == "django.core.cache.backends.redis.RedisCache"


def test_log_lines_are_json_with_the_request_id():
    result = boot(VALID, "import logging\nlogging.getLogger('deploy.check').warning('hello')")
    assert result.returncode == 0, result.stderr
    line = json.loads(result.stderr.strip().splitlines()[-1])
    assert {key: line[key] for key in ("level", "logger", "request_id", "message")} == {
        "level": "WARNING",
        "logger": "deploy.check",
        "request_id": "-",
        "message": "hello",
    }
    assert "time" in line


def test_csp_can_be_switched_to_report_only():
    environ = {**VALID, "DJANGO_CSP_REPORT_ONLY": "true"}
    enforced, report_only = effective(
        environ,
        "[settings.CONTENT_SECURITY_POLICY, settings.CONTENT_SECURITY_POLICY_REPORT_ONLY]",
    )
    assert enforced is None
    assert "script-src" in report_only["DIRECTIVES"]


def test_deploy_check_passes_with_only_the_required_variables():
    result = run_in_production(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], VALID)
    assert result.returncode == 0, result.stderr
