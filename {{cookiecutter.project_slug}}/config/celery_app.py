"""The Celery application: configured from Django settings under the CELERY_ namespace."""

import os
from typing import Any

from celery import Celery
from celery.schedules import crontab
from celery.signals import beat_init, celeryd_init, setup_logging

from . import celery_beat, celery_checks  # noqa: F401  (the beat lock; Django's system checks)
from .celery_redis import use_for_redis_urls

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
use_for_redis_urls()

app = Celery("{{ cookiecutter.project_slug }}")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Periodic tasks live in code, reviewed and deployed with it. One beat process runs them (a second
# one waits: config/celery_beat.py). A run that falls in a broker outage is not sent again: each
# entry says below why that is safe, and docs/tasks.md what to do for one that must catch up.
app.conf.beat_schedule = {
    # Skipped runs are harmless: the next day's run deletes everything expired since.
    "clear-expired-sessions": {
        "task": "{{ cookiecutter.project_slug }}.core.tasks.clear_expired_sessions",
        "schedule": crontab(hour="3", minute="17"),
    },
    # Sends what the outbox still holds (a broker outage, a process that died after its commit).
    # Skipped runs are harmless, the next one sends everything; `expires` keeps a backlog of
    # relay runs from piling up behind an outage.
    "relay-pending-tasks": {
        "task": "{{ cookiecutter.project_slug }}.outbox.tasks.relay_pending_tasks",
        "schedule": 10.0,
        "options": {"expires": 10.0},
    },
}


@celeryd_init.connect
@beat_init.connect
def refuse_to_run_without_a_broker(**kwargs: Any) -> None:
    # Local settings run tasks in-process when no broker is configured; a worker or beat started
    # that way would consume from, or send to, a broker nobody meant.
    if app.conf.task_always_eager:
        raise SystemExit(
            "CELERY_BROKER_URL is not set, so tasks run in-process (CELERY_TASK_ALWAYS_EAGER). "
            "Set CELERY_BROKER_URL in .env to run a worker or beat (docs/tasks.md)."
        )


@setup_logging.connect
def use_django_logging(**kwargs: Any) -> None:
    """Log through the LOGGING setting, so workers and web processes share handlers and format.

    Connecting this signal stops Celery from installing handlers of its own (and `--loglevel`
    has no effect: DJANGO_LOG_LEVEL sets the level).
    """
    from django.conf import settings
    from django.utils.log import configure_logging

    configure_logging(settings.LOGGING_CONFIG, settings.LOGGING)
