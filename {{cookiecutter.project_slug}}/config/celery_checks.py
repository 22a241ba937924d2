"""System checks for the Celery settings, run by `manage.py check` (and so before every deploy).

Each broker takes back a task not acknowledged in time. Redis has no acknowledgement of its own: a
task not acknowledged within the visibility timeout is handed to another worker while the first
may still be running it, or still waiting for its countdown. RabbitMQ closes the channel of a
consumer holding a delivery longer than its consumer_timeout, and the task goes to another worker.
Celery checks neither, so these checks compare the broker's limit with the tasks'.
"""

import importlib
import importlib.util
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.checks import CheckMessage, Error, register


def redelivery_limit() -> tuple[str, int]:
    """The setting a task must finish (or start its countdown) within: its name and value."""
    if settings.CELERY_BROKER_URL.startswith(("amqp://", "amqps://", "pyamqp://")):
        # RabbitMQ's default; the setting must match consumer_timeout in RabbitMQ's configuration.
        return "CELERY_RABBITMQ_CONSUMER_TIMEOUT", getattr(
            settings, "CELERY_RABBITMQ_CONSUMER_TIMEOUT", 1800
        )
    options = getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", {})
    # kombu's default for Redis when the option is not set.
    return "CELERY_VISIBILITY_TIMEOUT", int(options.get("visibility_timeout", 3600))


def fix(name: str) -> str:
    return f"Raise {name} or lower the limit; see docs/tasks.md."


@register("celery")
def check_time_limits(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    errors: list[CheckMessage] = []
    name, timeout = redelivery_limit()
    hard = settings.CELERY_TASK_TIME_LIMIT
    soft = settings.CELERY_TASK_SOFT_TIME_LIMIT
    if hard >= timeout:
        errors.append(
            Error(
                f"{name} ({timeout}s) is not greater than "
                f"CELERY_TASK_TIME_LIMIT ({hard}s): a long task would be delivered again, "
                "and run twice, while it is still running.",
                hint=fix(name),
                id="celery.E001",
            )
        )
    if soft >= hard:
        errors.append(
            Error(
                f"CELERY_TASK_SOFT_TIME_LIMIT ({soft}s) is not less than "
                f"CELERY_TASK_TIME_LIMIT ({hard}s): tasks are killed before they can stop cleanly.",
                hint="Set the soft limit below the hard limit.",
                id="celery.E002",
            )
        )
    return errors


@register("celery")
def check_task_delays(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Each task's own time limit and retry delays must also fit in the broker's limit."""
    from .celery_app import app

    # The tasks modules Celery's autodiscovery would import (the worker imports them the same way;
    # Celery's own import hook would run these checks again).
    for config in apps.get_app_configs():
        if importlib.util.find_spec(f"{config.name}.tasks"):
            importlib.import_module(f"{config.name}.tasks")
    setting, timeout = redelivery_limit()
    errors: list[CheckMessage] = []
    for name, task in sorted(app.tasks.items()):
        if name.startswith("celery."):
            continue
        # Set only on tasks declared with autoretry_for and retry_backoff.
        backoff = getattr(task, "retry_backoff", 0) and getattr(task, "retry_backoff_max", 600)
        waits = {
            "time_limit": task.time_limit or 0,
            # The countdown of retries, including the retry after a lost worker process.
            "default_retry_delay": task.default_retry_delay or 0,
            "retry_backoff_max": backoff,
        }
        attribute, longest = max(waits.items(), key=lambda item: item[1])
        if longest >= timeout:
            errors.append(
                Error(
                    f"Task {name} has {attribute}={longest}s, not less than "
                    f"{setting} ({timeout}s): it would be delivered twice.",
                    hint=fix(setting),
                    id="celery.E003",
                )
            )
    return errors
