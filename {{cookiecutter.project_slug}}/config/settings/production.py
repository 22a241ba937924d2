"""Settings for a deployed server: wsgi.py and asgi.py use these.

Every value that must differ per deployment comes from the environment, and the boot stops with
ImproperlyConfigured, naming the variable, when one is missing or unsafe. docs/deployment.md walks
through a deployment; `manage.py check --deploy --fail-level WARNING` passes with these settings.
"""

import os

from django.core.exceptions import ImproperlyConfigured

{% if cookiecutter.use_sentry -%}
from ..sentry import init_sentry
{% endif -%}
from .base import *  # noqa: F403
from .base import DATABASES, LOGGING, SECRET_KEY, env


def refuse(variable: str, problem: str, fix: str) -> ImproperlyConfigured:
    return ImproperlyConfigured(f"{variable} {problem}. {fix}")


# Core
# ------------------------------------------------------------------------------
DEBUG = False

# Django's own rule for a strong key (security.W009): long, varied, and not a generated dev key.
if len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5 or SECRET_KEY.startswith("django-insecure-"):
    raise refuse(
        "DJANGO_SECRET_KEY",
        "is too weak for production (50+ characters, 5+ distinct, not 'django-insecure-')",
        'Generate one with: python -c "import secrets; print(secrets.token_urlsafe(50))"',
    )

ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=[])
if not ALLOWED_HOSTS:
    raise refuse(
        "DJANGO_ALLOWED_HOSTS",
        "is not set",
        "Set it to the comma-separated host names this site answers, e.g. {{ cookiecutter.domain_name }}.",
    )
if "*" in ALLOWED_HOSTS:
    raise refuse(
        "DJANGO_ALLOWED_HOSTS",
        "contains '*', which accepts any Host header",
        "List the real host names instead.",
    )

# Database
# ------------------------------------------------------------------------------
# base.py falls back to SQLite for development; a server must say where its database is.
if "DATABASE_URL" not in os.environ:
    raise refuse(
        "DATABASE_URL",
        "is not set",
        "Set it to the PostgreSQL URL, e.g. postgres://app@127.0.0.1:5432/app.",
    )
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    raise refuse(
        "DATABASE_URL",
        "points at SQLite",
        "Production runs on PostgreSQL: set a postgres:// URL.",
    )
# psycopg's connection pool instead of one persistent connection per thread: worth it when the
# database limits connections (the pool caps them per Gunicorn process). Django requires
# CONN_MAX_AGE = 0 with a pool.
if env.bool("DJANGO_DB_POOL", default=False):
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": 1,
        "max_size": env.int("DJANGO_DB_POOL_MAX_SIZE", default=4),
        "timeout": 10,
    }

# HTTPS
# ------------------------------------------------------------------------------
# nginx terminates TLS and *replaces* X-Forwarded-Proto (deploy/nginx), so Django may trust it;
# Gunicorn listens on a socket only nginx can reach.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# nginx already redirects; this covers a request that reaches Gunicorn some other way.
SECURE_SSL_REDIRECT = True
CSRF_TRUSTED_ORIGINS = [f"https://{host}" for host in ALLOWED_HOSTS if not host.startswith(".")]
# `__Host-` cookies are only accepted over HTTPS, for this exact host, on every path: a
# subdomain or a plain-HTTP response cannot set or shadow them.
SESSION_COOKIE_SECURE = True
SESSION_COOKIE_NAME = "__Host-sessionid"
CSRF_COOKIE_SECURE = True
CSRF_COOKIE_NAME = "__Host-csrftoken"

# HSTS. Raise DJANGO_SECURE_HSTS_SECONDS in steps (docs/deployment.md, "HSTS rollout"): a long
# max-age sent by mistake locks browsers out of plain HTTP for that long.
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=60)
if SECURE_HSTS_SECONDS <= 0:
    raise refuse(
        "DJANGO_SECURE_HSTS_SECONDS",
        "must be a positive number of seconds",
        "Start with 60 and raise it as docs/deployment.md describes.",
    )
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
# Preloading is a months-long commitment for the whole domain and every subdomain, so it is opt-in.
# With it off, Django's check security.W021 would warn on every deploy check: it is silenced here,
# deliberately, and docs/deployment.md says when to turn preload on.
SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=False)
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]

# Logging
# ------------------------------------------------------------------------------
# One JSON object per line on stdout (journald keeps it), with the request id of the request that
# logged it.
LOGGING["formatters"]["json"] = {
    "()": "pythonjsonlogger.json.JsonFormatter",
    "fmt": "%(asctime)s %(levelname)s %(name)s %(request_id)s %(message)s",
    "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
}
LOGGING["handlers"]["console"]["formatter"] = "json"
LOGGING["handlers"]["mail_admins"] = {
    "class": "django.utils.log.AdminEmailHandler",
    "level": "ERROR",
}
{%- if cookiecutter.use_sentry %}
# Server errors go to one channel: Sentry when SENTRY_DSN is set, mail to ADMINS otherwise.
ERROR_HANDLERS = [] if env("SENTRY_DSN", default="") else ["mail_admins"]
{%- else %}
# Server errors are mailed to ADMINS.
ERROR_HANDLERS = ["mail_admins"]
{%- endif %}
LOGGING["loggers"]["django"] = {"handlers": ERROR_HANDLERS, "level": "INFO"}

# Email
# ------------------------------------------------------------------------------
# One URL (smtp+tls://user:password@host:587) sets EMAIL_BACKEND, EMAIL_HOST, EMAIL_PORT, ...
globals().update(env.email_url("EMAIL_URL", default="smtp://localhost:25"))
{%- if cookiecutter.use_sentry %}

# Sentry
# ------------------------------------------------------------------------------
init_sentry(env)
{%- endif %}
