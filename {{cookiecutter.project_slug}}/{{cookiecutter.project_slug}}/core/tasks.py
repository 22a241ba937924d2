"""Housekeeping run on a schedule (config/celery_app.py lists when)."""

from celery import shared_task
from django.core.management import call_command


@shared_task(soft_time_limit=300, time_limit=360)
def clear_expired_sessions() -> None:
    # Database sessions are never deleted on expiry; without this the table only grows.
    call_command("clearsessions")
