"""The Celery application: configured from Django settings under the CELERY_ namespace."""

import os
from typing import Any

from celery import Celery
from celery.schedules import crontab
from celery.signals import setup_logging

from . import celery_checks  # noqa: F401  (registers the Celery system checks with Django)

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("{{ cookiecutter.project_slug }}")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Periodic tasks live in code, reviewed and deployed with it. Run exactly one beat process.
app.conf.beat_schedule = {
    "clear-expired-sessions": {
        "task": "{{ cookiecutter.project_slug }}.core.tasks.clear_expired_sessions",
        "schedule": crontab(hour="3", minute="17"),
    },
}


@setup_logging.connect
def use_django_logging(**kwargs: Any) -> None:
    """Log through the LOGGING setting, so workers and web processes share handlers and format.

    Connecting this signal stops Celery from installing handlers of its own (and `--loglevel`
    has no effect: DJANGO_LOG_LEVEL sets the level).
    """
    from django.conf import settings
    from django.utils.log import configure_logging

    configure_logging(settings.LOGGING_CONFIG, settings.LOGGING)
