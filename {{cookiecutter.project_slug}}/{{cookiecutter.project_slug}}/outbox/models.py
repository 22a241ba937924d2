import uuid

from django.db import models


class PendingTask(models.Model):
    """A task to send to the broker, written in the same transaction as the data it is about.

    The row exists from the commit until the broker has accepted the task: a broker that is down or
    full delays the task; it cannot lose it.
    """

    # Sent as the Celery task id, so a task relayed twice carries the same id both times.
    task_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=200)
    args = models.JSONField(default=list)
    kwargs = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.name} {self.task_id} (pending since {self.created_at:%Y-%m-%d %H:%M:%S})"
