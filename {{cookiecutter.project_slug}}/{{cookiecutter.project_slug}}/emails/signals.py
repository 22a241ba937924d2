from typing import Any

from django.conf import settings
from django.db.models.signals import post_save
from django.dispatch import receiver

from {{ cookiecutter.project_slug }}.outbox.services import enqueue

from .tasks import send_welcome_email


@receiver(post_save, sender=settings.AUTH_USER_MODEL, dispatch_uid="emails.welcome_new_users")
def welcome_new_users(sender: Any, instance: Any, created: bool, raw: bool, **kwargs: Any) -> None:
    # Whoever creates the user (sign-up, admin, shell), the email is queued in the same transaction
    # as the user and sent once it commits: a rollback sends nothing, and a broker that is down
    # delays the email instead of losing it or failing the sign-up.
    if created and not raw:
        enqueue(send_welcome_email, instance.pk)
