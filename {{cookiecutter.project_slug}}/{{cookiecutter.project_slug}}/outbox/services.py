"""Enqueue a task in the same transaction as the data it is about; relay it once committed.

A direct `task.delay()` after the commit loses the task when the broker is down, full or
unreachable, and fails (or holds) the request that made it. `enqueue()` writes a row instead, in
the caller's transaction; after the commit `relay()` sends it and deletes the row, and the
`relay_pending_tasks` task (every 10 seconds, config/celery_app.py) sends whatever is still
waiting. The broker accepting the task is what removes the row, so a task is delayed by a broker
outage, never lost; a relay interrupted between the broker's acceptance and the delete sends it
again with the same task id, which is one more reason tasks must be idempotent (docs/tasks.md).

Written here rather than taken from a library: the outbox packages for Celery are young and
replace the Celery app class, intercepting every send and needing a relay daemon of their own;
these hundred lines use nothing but the ORM and Celery's documented calls.
"""

import logging
import time
from collections.abc import Iterable
from functools import partial
from typing import Any

from celery import Task
from django.db import transaction
from django.db.models import F

from config.celery_app import app

from .models import PendingTask

logger = logging.getLogger(__name__)

# After a failed send, requests stop trying the broker for this long and leave their tasks to the
# periodic relay: a dead broker then costs a request nothing.
BROKER_BACKOFF_SECONDS = 10.0
# The most tasks one relay sends (the periodic relay runs again 10 seconds later), and how many it
# sends per transaction.
BATCH_SIZE = 500
CHUNK_SIZE = 20

_broker_down_until = 0.0


def enqueue(task: Task, *args: Any, **kwargs: Any) -> PendingTask:
    """Run `task(*args, **kwargs)` on a worker once the current transaction commits.

    Pass ids, not objects: the arguments are stored as JSON.
    """
    pending = PendingTask.objects.create(name=task.name, args=list(args), kwargs=kwargs)
    transaction.on_commit(partial(relay_after_commit, pending.pk), robust=True)
    return pending


def relay_after_commit(pk: int) -> None:
    if time.monotonic() < _broker_down_until and not app.conf.task_always_eager:
        return  # the broker failed moments ago; the periodic relay sends it
    relay([pk])


def relay(pks: Iterable[int] | None = None, limit: int = BATCH_SIZE) -> int:
    """Send pending tasks to the broker, oldest first; return how many the broker accepted.

    Rows are sent and deleted a chunk at a time, each chunk in a transaction of its own, so a relay
    stopped midway (a time limit, a restart) keeps what it sent instead of sending it all again.
    """
    wanted = None if pks is None else list(pks)
    sent = 0
    while sent < limit:
        accepted, refused = relay_chunk(wanted, min(CHUNK_SIZE, limit - sent))
        sent += accepted
        if refused or accepted < CHUNK_SIZE:
            break
    return sent


def relay_chunk(pks: list[int] | None, size: int) -> tuple[int, bool]:
    """Send up to `size` rows; return how many the broker accepted and whether it refused one."""
    global _broker_down_until
    sent: list[int] = []
    refused = False
    with transaction.atomic():
        # Rows another relay is sending are skipped, not waited for (ignored on SQLite).
        pending = PendingTask.objects.select_for_update(skip_locked=True)
        if pks is not None:
            pending = pending.filter(pk__in=pks)
        for row in pending[:size]:
            try:
                publish(row)
            except Exception as error:
                refused = True
                _broker_down_until = time.monotonic() + BROKER_BACKOFF_SECONDS
                PendingTask.objects.filter(pk=row.pk).update(
                    attempts=F("attempts") + 1, last_error=f"{type(error).__name__}: {error}"
                )
                # The rest waits too: the broker refused or did not answer.
                logger.warning(
                    "The broker did not accept task %s (%s); it stays in the outbox",
                    row.task_id,
                    row.name,
                    exc_info=True,
                )
                break
            sent.append(row.pk)
        PendingTask.objects.filter(pk__in=sent).delete()
    if sent and not refused:
        _broker_down_until = 0.0
    return len(sent), refused


def publish(row: PendingTask) -> None:
    if app.conf.task_always_eager:
        # No broker configured (local settings): run it here, now that the data is committed.
        logger.info("Running task %s in this process (no CELERY_BROKER_URL)", row.name)
        app.tasks[row.name].apply_async(row.args, row.kwargs, task_id=str(row.task_id))
        return
    # A task declared with redact_arguments=True (its arguments hold secrets, such as a sign-in
    # link) shows placeholders to the broker's headers, its monitors and the worker's logs; None
    # leaves Celery's own rendering of the arguments.
    redact = getattr(app.tasks.get(row.name), "redact_arguments", False)
    # One attempt, bounded by the broker timeouts: a failure leaves the row for the next relay.
    app.send_task(
        row.name,
        row.args,
        row.kwargs,
        task_id=str(row.task_id),
        retry=False,
        argsrepr="(<redacted>)" if redact else None,
        kwargsrepr="{<redacted>}" if redact else None,
    )
