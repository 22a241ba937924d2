"""The periodic relay: what makes a task enqueued while the broker was down go out after all."""

from celery import shared_task

from .services import relay


@shared_task(soft_time_limit=60, time_limit=75)
def relay_pending_tasks() -> int:
    return relay()
