"""Settings for a deployed server: wsgi.py and asgi.py use these.

Every value that must differ per deployment comes from the environment, and the boot stops with
ImproperlyConfigured, naming the variable, when one is missing or unsafe.
"""

import os

from django.core.exceptions import ImproperlyConfigured

{% if cookiecutter.use_sentry -%}
from ..sentry import init_sentry
{% endif -%}
from .base import *  # noqa: F403
from .base import DATABASES, SECRET_KEY, env


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

# Security
# ------------------------------------------------------------------------------
# nginx terminates TLS and replaces X-Forwarded-Proto, so Django may trust it.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=60)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
CSRF_TRUSTED_ORIGINS = [f"https://{host}" for host in ALLOWED_HOSTS if not host.startswith(".")]

# Email
# ------------------------------------------------------------------------------
# One URL (smtp+tls://user:password@host:587) sets EMAIL_BACKEND, EMAIL_HOST, EMAIL_PORT, ...
globals().update(env.email_url("EMAIL_URL", default="smtp://localhost:25"))
{%- if cookiecutter.use_sentry %}

# Sentry
# ------------------------------------------------------------------------------
init_sentry(env)
{%- endif %}
