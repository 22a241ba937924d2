from django.conf import settings
from django.db import models


class SentEmail(models.Model):
    """One row per email of a kind sent to a user: what makes sending it again a no-op."""

    class Kind(models.TextChoices):
        WELCOME = "welcome", "Welcome"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sent_emails"
    )
    kind = models.CharField(max_length=32, choices=Kind.choices)
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="emails_sentemail_once_per_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} to {self.user} at {self.sent_at:%Y-%m-%d %H:%M}"
