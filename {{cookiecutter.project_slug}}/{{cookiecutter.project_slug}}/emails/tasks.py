"""Email tasks. Each takes ids, re-reads the rows, and does nothing when the email already went."""

import logging
from smtplib import SMTPException
from typing import Any

from celery import shared_task
from django.contrib.auth import get_user_model
from django.core.mail import {% if cookiecutter.accounts == "allauth" %}EmailMultiAlternatives, {% endif %}send_mail
from django.db import IntegrityError, transaction

from .models import SentEmail

logger = logging.getLogger(__name__)

WELCOME_SUBJECT = "Welcome to {{ cookiecutter.project_name }}"
WELCOME_BODY = """Hello {name},

your account at {{ cookiecutter.project_name }} is ready. Sign in with {login}.
"""


# Mail servers refuse or time out now and then: email tasks retry with growing, jittered delays.
EMAIL_TASK_OPTIONS: dict[str, Any] = {
    "autoretry_for": (SMTPException, OSError),
    "retry_backoff": True,
    "retry_backoff_max": 600,
    "max_retries": 5,
    "soft_time_limit": 30,
    "time_limit": 45,
}
email_task = shared_task(**EMAIL_TASK_OPTIONS)


@email_task
def send_welcome_email(user_id: int) -> None:
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    if user is None or not user.email:
        logger.info("No welcome email for user %s: gone, inactive or without an address", user_id)
        return
    if SentEmail.objects.filter(user=user, kind=SentEmail.Kind.WELCOME).exists():
        logger.info("Welcome email to user %s was already sent", user_id)
        return
    # The record and the sending share one transaction: a failed send leaves no record, so the
    # retry sends again; a second delivery running meanwhile waits on the unique constraint, then
    # fails it and stops. Only a crash between the mail server's acceptance and the commit sends
    # twice.
    try:
        with transaction.atomic():
            SentEmail.objects.create(user=user, kind=SentEmail.Kind.WELCOME)
            send_mail(
                WELCOME_SUBJECT,
                WELCOME_BODY.format(
                    name=user.get_short_name() or user.get_username(),
                    login=user.get_username(),
                ),
                None,
                [user.email],
            )
    except IntegrityError:
        logger.info("Welcome email to user %s was already sent", user_id)
{%- if cookiecutter.accounts == "allauth" %}


@shared_task(**EMAIL_TASK_OPTIONS, redact_arguments=True)  # its argument holds sign-in links
def send_rendered_email(message: dict[str, Any]) -> None:
    """Send a message rendered in the request (emails/accounts.py): the worker only delivers it."""
    email = EmailMultiAlternatives(
        subject=message["subject"],
        body=message["body"],
        from_email=message["from_email"],
        to=message["to"],
        headers=message["headers"],
    )
    for content, mimetype in message["alternatives"]:
        email.attach_alternative(content, mimetype)
    email.send()
{%- endif %}
