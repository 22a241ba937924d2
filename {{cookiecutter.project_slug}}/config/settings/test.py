"""Settings for the test suite (pytest reads DJANGO_SETTINGS_MODULE from pyproject.toml)."""

from .base import *  # noqa: F403
from .base import DATABASES, STORAGES

# A fixed key: tests must not depend on a developer's .env.
SECRET_KEY = "test-only-secret-key-never-used-outside-the-test-suite"

# The suite runs on SQLite unless DATABASE_URL names another database, such as PostgreSQL.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["NAME"] = ":memory:"
DATABASES["default"]["CONN_MAX_AGE"] = 0

# A fast hasher: the suite creates many users, and Argon2 is slow by design.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
{%- if cookiecutter.accounts == "allauth" %}

# The admin and query-budget tests sign staff in with force_login, which skips the second factor;
# tests/test_accounts.py checks the requirement with it switched back on.
ACCOUNTS_STAFF_MFA_REQUIRED = False
{%- endif %}

# A private memory cache per run, even when a developer's .env sets REDIS_URL.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
}

# Serve static files from the finders, as in development: the suite never runs collectstatic.
WHITENOISE_AUTOREFRESH = True

# No manifest to build before tests can render a template.
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
{%- if cookiecutter.use_celery %}

# Eager mode only imitates a worker: tasks are called directly, call sites are tested with
# on-commit capture, and one test runs a real worker against the broker (tests/test_celery.py).
CELERY_TASK_ALWAYS_EAGER = False
{%- endif %}
