from typing import Any

from django.conf import settings
from django.db.models.signals import post_save
from django.dispatch import receiver

from .tasks import send_welcome_email


@receiver(post_save, sender=settings.AUTH_USER_MODEL, dispatch_uid="emails.welcome_new_users")
def welcome_new_users(sender: Any, instance: Any, created: bool, raw: bool, **kwargs: Any) -> None:
    # Whoever creates the user (sign-up, admin, shell), the email goes out once the row is
    # committed: a worker that starts sooner would not find the user, and a rollback sends nothing.
    if created and not raw:
        # (celery-types does not know Celery's Django task class yet.)
        send_welcome_email.delay_on_commit(instance.pk)  # type: ignore[attr-defined]
