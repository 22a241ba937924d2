"""Data backfills in primary-key batches, one transaction each, resumable after an interruption.

Why not a library: the chunked-queryset packages (django-chunkator and the like) iterate in key
order but neither commit per batch nor remember where they stopped, and the backfill frameworks
need Django 6's task framework. What a release needs fits in this module: each batch commits with
its checkpoint (the `Backfill` row), so a rerun under the same name starts after the last finished
batch and no row is updated twice. docs/migrations.md shows it in a data migration and in a
management command.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from .models import Backfill


def backfill(
    queryset: QuerySet[Any],
    update: Callable[[QuerySet[Any]], object],
    *,
    name: str,
    batch_size: int = 1000,
    progress: Callable[[str], object] = print,
    report_every: float = 5.0,
    pause: float = 0.0,
) -> int:
    """Call `update(batch)` for `queryset` in primary-key order, `batch_size` rows at a time.

    `batch` is a queryset of one batch's rows: call `.update(...)` on it, or loop and save. Each
    batch runs in its own transaction; `progress` gets a line (rows done, rate) at most every
    `report_every` seconds and at the end; `pause` seconds between batches leave the database
    room for the site's queries. Returns how many rows this run processed.
    """
    database = queryset.db
    if transaction.get_connection(database).in_atomic_block:
        raise RuntimeError(
            f"backfill {name!r} commits each batch, so it cannot run inside a transaction: "
            "call it outside transaction.atomic(), and in a migration set `atomic = False`."
        )
    checkpoints = Backfill.objects.using(database)
    state, _ = checkpoints.get_or_create(name=name)
    if state.finished_at:
        progress(f"backfill {name}: finished earlier ({state.rows} rows), nothing to do")
        return 0
    if state.last_pk:
        progress(f"backfill {name}: resuming after pk {state.last_pk} ({state.rows} rows done)")
    to_key = queryset.model._meta.pk.to_python
    ordered = queryset.order_by("pk")
    started = reported = time.monotonic()
    done = 0
    while True:
        with transaction.atomic(using=database):
            # Locked, and read again in the transaction: two runs of one backfill take turns
            # instead of doing the same batch twice.
            state = checkpoints.select_for_update().get(pk=state.pk)
            after = to_key(state.last_pk) if state.last_pk else None
            rows = ordered if after is None else ordered.filter(pk__gt=after)
            keys = list(rows.values_list("pk", flat=True)[:batch_size])
            if not keys:
                break
            batch = queryset.filter(pk__lte=keys[-1])
            update(batch if after is None else batch.filter(pk__gt=after))
            checkpoints.filter(pk=state.pk).update(
                last_pk=str(keys[-1]), rows=F("rows") + len(keys)
            )
        done += len(keys)
        now = time.monotonic()
        if now - reported >= report_every:
            progress(f"backfill {name}: {state.rows + len(keys)} rows, {rate(done, now - started)}")
            reported = now
        if pause:
            time.sleep(pause)
    checkpoints.filter(pk=state.pk).update(finished_at=timezone.now())
    elapsed = time.monotonic() - started
    progress(
        f"backfill {name}: finished, {state.rows} rows "
        f"({done} in this run, {elapsed:.1f}s, {rate(done, elapsed)})"
    )
    return done


def rate(rows: int, seconds: float) -> str:
    return f"{rows / seconds:.0f} rows/s" if seconds > 0 else "- rows/s"
