"""The environment a deployment gives production settings, in one place.

Only the variables docs/deployment.md lists as required; tests and benchmarks add what their
scenario needs (a real database, Redis, HSTS) as keyword arguments.
"""

from __future__ import annotations

from .options import DEFAULTS

STRONG_KEY = "k3Yq-8vXr_2sLm9TzPw4HcNbQ7dFgJ6eRuA1oVyZiKx5nEtWp0SaDfGhJkLmNbVc"
HOST = DEFAULTS["domain_name"]
# Read only by projects with media_storage=s3; nothing connects to the bucket during the checks.
S3_ENVIRONMENT = {
    "DJANGO_S3_BUCKET": "media",
    "DJANGO_S3_ACCESS_KEY_ID": "app",
    "DJANGO_S3_SECRET_ACCESS_KEY": "app-secret",
}


def production_environment(**extra: str) -> dict[str, str]:
    """Production settings with the required variables; `extra` adds or overrides."""
    return {
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DJANGO_READ_DOT_ENV": "false",
        "DJANGO_SECRET_KEY": STRONG_KEY,
        "DJANGO_ALLOWED_HOSTS": HOST,
        # Never connected to by the checks that use it; scenarios with a database pass their own.
        "DATABASE_URL": "postgres://app@127.0.0.1:5432/app",
        # Required when Celery is on; never connected to by the checks.
        "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0",
        **S3_ENVIRONMENT,
        **extra,
    }
