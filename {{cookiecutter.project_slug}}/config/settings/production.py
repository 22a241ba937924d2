"""Settings for a deployed server: wsgi.py and asgi.py use these.

Every value that must differ per deployment comes from the environment, and the boot stops with
ImproperlyConfigured, naming the variable, when one is missing or unsafe. docs/deployment.md walks
through a deployment; `manage.py check --deploy --fail-level WARNING` passes with these settings.
"""

import os
import re

from django.core.exceptions import ImproperlyConfigured
from publicsuffixlist import PublicSuffixList

{% if cookiecutter.use_sentry -%}
from ..sentry import init_sentry
{% endif -%}
from .base import *  # noqa: F403
from .base import (
    DATABASES,
    LOGGING,
    SECRET_KEY,
    SECURE_HSTS_PRELOAD,
    SILENCED_SYSTEM_CHECKS,
{%- if cookiecutter.media_storage == "s3" %}
    STORAGES,
{%- endif %}
    env,
)
{%- if cookiecutter.media_storage == "s3" %}
from .storage_s3 import s3_media_storage
{%- endif %}


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
# A name (a leading dot also allows its subdomains), an IPv4 address or a bracketed IPv6 one; a
# scheme, path or port would never match a request's host. The public suffix list (publicsuffixlist
# bundles it, no download): ".com" or "co.uk" would accept every site registered under it.
PUBLIC_SUFFIXES = PublicSuffixList()
HOST_NAME = re.compile(r"\.?[a-z0-9-]+(\.[a-z0-9-]+)*|\[[0-9a-f:.]+\]", re.IGNORECASE)
for host in ALLOWED_HOSTS:
    if not HOST_NAME.fullmatch(host):
        raise refuse(
            "DJANGO_ALLOWED_HOSTS",
            f"contains {host!r}, which is not a host name",
            "List bare names such as {{ cookiecutter.domain_name }}, without scheme, port or path.",
        )
    if PUBLIC_SUFFIXES.is_public(host.lstrip(".").lower()):
        raise refuse(
            "DJANGO_ALLOWED_HOSTS",
            f"contains {host!r}, a public suffix that other people's sites share",
            "List this site's own names instead.",
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
{%- if cookiecutter.use_celery %}
if "CELERY_BROKER_URL" not in os.environ:
    raise refuse(
        "CELERY_BROKER_URL",
        "is not set",
        "Set it to the broker's URL, e.g. {% if cookiecutter.celery_broker == 'rabbitmq' %}amqp://app:password@127.0.0.1:5672/app{% else %}redis://127.0.0.1:6379/0{% endif %} (docs/tasks.md).",
    )
{%- endif %}
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

# HTTPS and proxies
# ------------------------------------------------------------------------------
# nginx sets X-Forwarded-For to the address it saw: one trusted proxy. Raise it when a load
# balancer that appends to the header stands in front of nginx (docs/deployment.md).
TRUSTED_PROXIES = env.int("DJANGO_TRUSTED_PROXIES", default=1)
if TRUSTED_PROXIES < 0:
    raise refuse(
        "DJANGO_TRUSTED_PROXIES",
        "is negative",
        "Set it to the number of proxies in front of Django: 1 for nginx alone.",
    )
# The load balancer's address, when Gunicorn listens on TCP: the one variable Gunicorn and Django
# both read, so they cannot disagree about whom to believe.
TRUSTED_PROXY_ADDRESSES = env.addresses("GUNICORN_FORWARDED_ALLOW_IPS", default="127.0.0.1,::1")
# nginx terminates TLS and *replaces* X-Forwarded-Proto (deploy/nginx), so Django may trust it
# when it comes from nginx (core/proxies.py drops it from anyone else).
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# nginx already redirects; this covers a request that reaches Gunicorn some other way.
SECURE_SSL_REDIRECT = True
{%- if cookiecutter.accounts == "allauth" %}
# Behind Gunicorn's socket REMOTE_ADDR is empty; nginx sets X-Real-IP to the connecting address
# (replacing any sent by the client), and allauth's rate limits count per that address.
ALLAUTH_TRUSTED_CLIENT_IP_HEADER = "X-Real-IP"
{%- endif %}
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
# SECURE_HSTS_INCLUDE_SUBDOMAINS and SECURE_HSTS_PRELOAD are set in base.py, so that a change in
# project.py reaches production. Preload is opt-in: with it off, Django's check security.W021 would
# warn on every deploy check, so it is silenced here, deliberately (docs/deployment.md says when to
# turn preload on).
if not SECURE_HSTS_PRELOAD:
    SILENCED_SYSTEM_CHECKS = [*SILENCED_SYSTEM_CHECKS, "security.W021"]

{%- if cookiecutter.media_storage == "s3" %}

# Media files
# ------------------------------------------------------------------------------
# Uploads go to the bucket every app server shares (config/settings/storage_s3.py).
STORAGES = {**STORAGES, "default": s3_media_storage(env)}
{%- endif %}

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
