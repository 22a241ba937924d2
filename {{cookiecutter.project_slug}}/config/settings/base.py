"""Settings shared by every environment.

local.py, test.py and production.py import everything from here and override only what differs.
Every environment variable the settings read is read through `env` below and listed, with a
comment, in .env.example (tests/test_env_example.py keeps the code and the file in sync).
"""

from pathlib import Path
from typing import Any

from csp.constants import NONCE, NONE, SELF

from config.environment import Env

BASE_DIR = Path(__file__).resolve().parents[2]
APPS_DIR = BASE_DIR / "{{ cookiecutter.project_slug }}"

# Strict: a malformed value stops the boot with ImproperlyConfigured naming the variable.
env = Env()
# A developer's .env (written by `make install`). Variables already in the environment win, so a
# deployment's EnvironmentFile or a test runner's variables are never overridden by a stray file.
if env.bool("DJANGO_READ_DOT_ENV", default=True):
    env.read_env(BASE_DIR / ".env")

# Core
# ------------------------------------------------------------------------------
SECRET_KEY = env("DJANGO_SECRET_KEY")
DEBUG = False
# Shown in page titles and the header (core/context_processors.py).
SITE_NAME = "{{ cookiecutter.project_name }}"
ALLOWED_HOSTS: list[str] = []
ROOT_URLCONF = "config.urls"
# A less guessable admin path keeps password-spraying bots off the login form.
ADMIN_URL = env.url_path("DJANGO_ADMIN_URL", default="admin/")
# No WSGI_APPLICATION: runserver builds its handler from the settings it runs with, while
# config/wsgi.py (Gunicorn) refuses any settings but production.
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# Checks silenced on purpose, each with its reason next to the line that adds it.
SILENCED_SYSTEM_CHECKS: list[str] = []

# Internationalisation
# ------------------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "{{ cookiecutter.timezone }}"
USE_I18N = True
USE_TZ = True

# Apps
# ------------------------------------------------------------------------------
DJANGO_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    # Before staticfiles, so runserver serves static files the way production does.
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
]
THIRD_PARTY_APPS = [
    "csp",
    # `manage.py lintmigrations`: refuses migrations the running code cannot live with.
    "django_migration_linter",
{%- if cookiecutter.use_drf %}
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
{%- endif %}
]
LOCAL_APPS = [
    "{{ cookiecutter.project_slug }}.users",
    "{{ cookiecutter.project_slug }}.core",
{%- if cookiecutter.use_celery %}
    "{{ cookiecutter.project_slug }}.emails",
    "{{ cookiecutter.project_slug }}.outbox",
{%- endif %}
    # Your apps:
]
# Your own apps go in LOCAL_APPS; keeping the three lists apart keeps template upgrades clean.
INSTALLED_APPS = DJANGO_APPS + THIRD_PARTY_APPS + LOCAL_APPS

# Middleware
# ------------------------------------------------------------------------------
MIDDLEWARE = [
    # Drops forwarded headers that did not come from a trusted proxy (see core/proxies.py).
    "{{ cookiecutter.project_slug }}.core.proxies.TrustedProxyMiddleware",
    # Tags every log line of the request with its X-Request-ID (set by nginx).
    "{{ cookiecutter.project_slug }}.core.request_id.RequestIdMiddleware",
    # Probes are answered before host validation and the HTTPS redirect (see core/health.py).
    "{{ cookiecutter.project_slug }}.core.health.HealthCheckMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    # Before the CSRF check, so a refused post counts against the limit too.
    "{{ cookiecutter.project_slug }}.core.ratelimit.RateLimitMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

# Health checks
# ------------------------------------------------------------------------------
# What /readyz/ checks before a load balancer sends traffic here (core/health.py): a name and the
# dotted path of a function that raises when that dependency is down.
HEALTH_CHECKS = {
    "database": "{{ cookiecutter.project_slug }}.core.health.check_database",
    "cache": "{{ cookiecutter.project_slug }}.core.health.check_cache",
}
# Checks that are reported ("degraded") but do not take the server out of rotation.
HEALTH_CHECKS_DEGRADED_ONLY: set[str] = set()

# Content Security Policy (django-csp)
# ------------------------------------------------------------------------------
# Nothing loads from another origin, and inline scripts run only with the per-request nonce.
CONTENT_SECURITY_POLICY: dict[str, Any] | None = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "object-src": [NONE],
        "base-uri": [NONE],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
        # Where browsers send violation reports; left out of the header while unset.
        "report-uri": env("DJANGO_CSP_REPORT_URI", default=None),
    },
}
# Report-only sends the same policy without enforcing it: the way to try a stricter policy on live
# traffic first.
if env.bool("DJANGO_CSP_REPORT_ONLY", default=False):
    CONTENT_SECURITY_POLICY_REPORT_ONLY = CONTENT_SECURITY_POLICY
    CONTENT_SECURITY_POLICY = None

# Security headers
# ------------------------------------------------------------------------------
# Django's defaults, spelled out so the policy reads in one place. Django owns these headers on
# every response it makes; nginx sets its own only on the files it serves (deploy/nginx).
SECURE_CONTENT_TYPE_NOSNIFF = True
# HSTS is sent only over HTTPS, with the max-age production sets (DJANGO_SECURE_HSTS_SECONDS);
# these two shape it, here so that project.py can change them (docs/deployment.md, "HSTS rollout").
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
# Preloading is a months-long commitment for the whole domain and every subdomain: opt-in.
SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=False)
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Powerful browser features nobody on this site needs (django-permissions-policy); an empty list
# denies the feature to every origin, this one included.
PERMISSIONS_POLICY: dict[str, list[str]] = {
    "camera": [],
    "geolocation": [],
    "microphone": [],
    "payment": [],
    "usb": [],
}

# Templates
# ------------------------------------------------------------------------------
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [APPS_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
                "{{ cookiecutter.project_slug }}.core.context_processors.site",
            ],
        },
    },
]

# Database
# ------------------------------------------------------------------------------
# PostgreSQL through DATABASE_URL (postgres://user:password@host:5432/name); without it, a SQLite
# file in the project directory, so a new checkout runs with no service installed.
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
# Reuse connections for a minute instead of opening one per request, and check them before use so
# a restarted database costs one retry rather than an error.
DATABASES["default"]["CONN_MAX_AGE"] = 60
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

# Migrations
# ------------------------------------------------------------------------------
# Limits for the release step's own connection only (`manage.py migrate_safely`); the web server's
# connections never get them. A migration waiting longer than the lock timeout for its lock gives
# up and is retried: every query on that table queues behind a waiting migration, so this bounds
# how long the site can stall. docs/migrations.md explains the numbers.
MIGRATION_LOCK_TIMEOUT = env.float("DJANGO_MIGRATION_LOCK_TIMEOUT", default=2.0)
MIGRATION_STATEMENT_TIMEOUT = env.float("DJANGO_MIGRATION_STATEMENT_TIMEOUT", default=60.0)
MIGRATION_LOCK_RETRIES = env.int("DJANGO_MIGRATION_LOCK_RETRIES", default=5)

# Authentication
# ------------------------------------------------------------------------------
AUTH_USER_MODEL = "users.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
# The header's sign-in, sign-out and account links (core/context_processors.py).
ACCOUNT_LINKS_TEMPLATE = "registration/nav.html"
LOGOUT_REDIRECT_URL = "home"
# Argon2 hashes new passwords; the others stay so existing hashes still verify (and are upgraded at
# the next login).
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.BCryptSHA256PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
# Posts allowed per client address to the views named here by URL name, whatever their path
# (DJANGO_ADMIN_URL moves the admin's), past which they answer 429 (core/ratelimit.py). Counted
# in the default cache: per process unless REDIS_URL is set. nginx limits the login paths it knows
# as a first line.
RATE_LIMITS = {
    "login": "10/m",
    "admin:login": "10/m",
    "password_reset": "5/h",
}
# How many proxies in front of Django append to X-Forwarded-For; the client address is the one
# the outermost of them saw. None here (runserver, tests): REMOTE_ADDR is the client, and an
# X-Forwarded-For header is the client's own claim, never trusted. production.py sets 1 for nginx.
TRUSTED_PROXIES = 0
# Peers whose X-Forwarded-* and X-Real-IP headers reach Django at all (core/proxies.py); a
# connection over a local socket always does. Addresses or networks, or "*" for any.
TRUSTED_PROXY_ADDRESSES = ["127.0.0.1", "::1"]
# Django ships these validators but enables none of them by default.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Static and media files
# ------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [APPS_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = BASE_DIR / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Hashed, compressed copies that browsers may cache forever (local and test use plain files).
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage",
        # World-readable on purpose: nginx serves these files, and without this OPTIONS entry
        # collectstatic would apply FILE_UPLOAD_PERMISSIONS below and nginx would answer 403.
        "OPTIONS": {"file_permissions_mode": 0o644, "directory_permissions_mode": 0o755},
    },
}
# Uploads are readable by owner and group only; on a server the media directory's group is
# nginx's (docs/deployment.md).
FILE_UPLOAD_PERMISSIONS = 0o640
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o750
# nginx refuses bodies over 10 MiB (client_max_body_size in deploy/nginx); Django's limit on form
# data is the same number, so a form never fails in one layer and not the other.
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

# Cache
# ------------------------------------------------------------------------------
# Redis through Django's own backend when REDIS_URL is set (needed once several app servers must
# see the same cached values); otherwise a per-process memory cache.
REDIS_URL = env.service_url("REDIS_URL", ("redis", "rediss", "unix"), default="")
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    }

# Email
# ------------------------------------------------------------------------------
DEFAULT_FROM_EMAIL = env("DJANGO_DEFAULT_FROM_EMAIL", default="{{ cookiecutter.email }}")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
ADMINS = [("{{ cookiecutter.author_name }}", "{{ cookiecutter.email }}")]
MANAGERS = ADMINS

# Logging
# ------------------------------------------------------------------------------
LOG_LEVELS = ["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]
LOGGING: dict[str, Any] = {
    "version": 1,
    # Keep the loggers Django and libraries configure before this dict is applied.
    "disable_existing_loggers": False,
    "filters": {
        "request_id": {"()": "{{ cookiecutter.project_slug }}.core.request_id.RequestIdFilter"},
    },
    "formatters": {
        "readable": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "readable",
            "filters": ["request_id"],
        },
    },
    "root": {
        "handlers": ["console"],
        "level": env.choice("DJANGO_LOG_LEVEL", LOG_LEVELS, default="INFO"),
    },
    "loggers": {
        # Django gives its logger a console handler of its own while DEBUG is on; without this
        # line every Django message would be printed twice, once by it and once by the root's.
        "django": {"handlers": [], "level": "INFO"},
        # Scanners send requests for other hosts all day; that is not an error worth a page.
        "django.security.DisallowedHost": {"level": "CRITICAL", "propagate": True},
        # The migration linter logs each migration it reads at INFO; its verdicts are printed.
        "django_migration_linter": {"level": "WARNING", "propagate": True},
    },
}
{%- if cookiecutter.use_drf %}

# Django REST framework
# ------------------------------------------------------------------------------
REST_FRAMEWORK: dict[str, Any] = {
    # Token first: its WWW-Authenticate header makes a missing or bad credential a 401, not a 403.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # JSON in and out. The browsable API is a developer's tool: local.py adds it.
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["{{ cookiecutter.project_slug }}.api.parsers.JSONParser"],
    "DEFAULT_PAGINATION_CLASS": "{{ cookiecutter.project_slug }}.api.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    # Counters live in the default cache: per process unless CACHES points at a shared one.
    # Clients are told apart by address as TRUSTED_PROXIES says, and a request refused for
    # missing or bad credentials counts too (api/throttling.py, api/exceptions.py).
    "DEFAULT_THROTTLE_CLASSES": [
        "{{ cookiecutter.project_slug }}.api.throttling.AnonRateThrottle",
        "{{ cookiecutter.project_slug }}.api.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env.rate("DJANGO_API_ANON_RATE", default="60/minute"),
        "user": env.rate("DJANGO_API_USER_RATE", default="600/minute"),
    },
    # Every error answers with the same JSON shape (docs/api.md).
    "EXCEPTION_HANDLER": "{{ cookiecutter.project_slug }}.api.exceptions.exception_handler",
    # The schema documents every error response and the bounds the views enforce (api/schema.py).
    "DEFAULT_SCHEMA_CLASS": "{{ cookiecutter.project_slug }}.api.schema.AutoSchema",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "{{ cookiecutter.project_name }} API",
    "VERSION": "{{ cookiecutter.version }}",
    "SERVE_INCLUDE_SCHEMA": False,
    # The schema and its docs page describe every endpoint: staff only (local.py opens them).
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAdminUser"],
    # Swagger UI from drf-spectacular-sidecar's static files, not a CDN the CSP would block.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    # No badge image from the public validator at validator.swagger.io.
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
}
# Teaches the query-budget toolkit REST framework's list views (docs/query-budgets.md).
QUERY_BUDGET_EXTENSIONS = ["{{ cookiecutter.project_slug }}.testing.drf"]
{%- endif %}
{%- if cookiecutter.use_celery %}

# Celery
# ------------------------------------------------------------------------------
# Read by config/celery_app.py through the CELERY_ namespace. Without CELERY_BROKER_URL in the
# environment, local settings run tasks in-process (local.py) and production refuses to start.
CELERY_BROKER_URL = env.service_url(
    "CELERY_BROKER_URL",
    ("redis", "rediss", "amqp", "amqps"),
{%- if cookiecutter.celery_broker == "rabbitmq" %}
    default="amqp://guest:guest@127.0.0.1:5672//",
{%- else %}
    default="redis://127.0.0.1:6379/0",
{%- endif %}
)
CELERY_TIMEZONE = TIME_ZONE
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
# A task is acknowledged only after it ran, so a worker that dies mid-task loses nothing; tasks must
# therefore be safe to run twice.
CELERY_TASK_ACKS_LATE = True
# Each worker process reserves one task at a time, so a crash puts back at most one per process.
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A task whose process was killed (out of memory, for instance) is retried like Task.retry(), so it
# runs at most max_retries more times instead of looping forever.
CELERY_TASK_RETRY_ON_WORKER_LOST = True
# The soft limit raises SoftTimeLimitExceeded inside the task; the hard limit kills its process.
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=60)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=90)
# Every broker call is bounded: without these a dead or unreachable broker holds a request (or a
# readiness probe) for minutes. Requests enqueue through the outbox (docs/tasks.md) and do not
# wait for the broker at all; these bound the relay, the probe and any direct .delay().
CELERY_BROKER_TIMEOUT = env.float("CELERY_BROKER_TIMEOUT", default=2.0)
CELERY_BROKER_CONNECTION_TIMEOUT = CELERY_BROKER_TIMEOUT
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": env.int("CELERY_BROKER_PUBLISH_RETRIES", default=2),
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
}
CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, Any] = {
    # One connection attempt per send: the retry policy above decides whether to try again
    # (without a bound kombu would retry here too, multiplying the wait).
    "max_retries": 0,
}
if CELERY_BROKER_URL.startswith(("amqp://", "amqps://", "pyamqp://")):
    # RabbitMQ: replicated quorum queues that survive a node, and publisher confirms, so a publish
    # returns only once the broker has the message.
    CELERY_TASK_DEFAULT_QUEUE_TYPE = "quorum"
    CELERY_BROKER_TRANSPORT_OPTIONS["confirm_publish"] = True
    # RabbitMQ's consumer_timeout (set in its configuration file) must exceed the hard time limit
    # and every countdown, or it closes the channel of a long task (config/celery_checks.py).
    CELERY_RABBITMQ_CONSUMER_TIMEOUT = env.int("CELERY_RABBITMQ_CONSUMER_TIMEOUT", default=1800)
else:
    CELERY_BROKER_TRANSPORT_OPTIONS |= {
        # Redis redelivers a task not acknowledged within the visibility timeout, even if it is
        # still running: it must exceed the hard time limit and the longest countdown
        # (config/celery_checks.py).
        "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600),
        # kombu's Redis transport ignores the connection timeout above; these bound each call.
        "socket_connect_timeout": CELERY_BROKER_TIMEOUT,
        "socket_timeout": CELERY_BROKER_TIMEOUT,
        "socket_keepalive": True,
    }
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# When the broker connection drops, running tasks can no longer be acknowledged and will be
# delivered again: stop them rather than let both copies run.
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
# Workers log through LOGGING above (config/celery_app.py applies it), not handlers of their own.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# The broker in /readyz/ (core/broker.py).
HEALTH_CHECKS["broker"] = "{{ cookiecutter.project_slug }}.core.broker.check_broker"
# Requests queue their tasks in the outbox, so the site keeps serving while the broker is down.
HEALTH_CHECKS_DEGRADED_ONLY = {"broker"}
{%- endif %}

{%- if cookiecutter.accounts == "allauth" %}

# Accounts (django-allauth): config/settings/accounts.py
# ------------------------------------------------------------------------------
from config.settings.accounts import *  # noqa: E402, F403
{%- endif %}

# This project's own settings
# ------------------------------------------------------------------------------
# Last, so they can extend or override anything above. Template upgrades rewrite this file but
# never project.py, so what you add there merges without conflicts.
from config.settings.project import *  # noqa: E402, F403
