from django.db import models


class Backfill(models.Model):
    """How far a batched backfill (core/backfill.py) got, so an interrupted one resumes there."""

    name = models.CharField(max_length=200, unique=True)
    # The primary key of the last row of the last committed batch, as text (any key type).
    last_pk = models.CharField(max_length=200, blank=True)
    rows = models.BigIntegerField(default=0)
    finished_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.name
