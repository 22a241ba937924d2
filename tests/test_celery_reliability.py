"""No task is lost, and none has its effect twice, when Celery workers die: real processes, real
Redis, real PostgreSQL.

Each scenario enqueues 100 tasks to a `celery worker` of a rendered project (prefork, concurrency
2), disturbs it mid-run, and counts: lost tasks (never done), duplicated side effects (done twice)
and re-executions (runs the idempotency check turned into no-ops). Run with `-s` to see the figures.
"""

from __future__ import annotations

import os
import re
import signal
import time
from collections.abc import Iterator
from urllib.parse import urlsplit, urlunsplit

import pytest

from .support.celery import Counts, Harness
from .support.options import DEFAULT_ANSWERS
from .support.postgres import drop_database
from .support.services import REDIS_URL, require_postgres, require_program, require_redis

pytestmark = pytest.mark.slow

# Redis database 5 is this suite's own: the harness empties it before every scenario.
BROKER_DB = 5


@pytest.fixture(scope="module")
def harness(installed_project, tmp_path_factory) -> Iterator[Harness]:
    server = require_postgres()
    require_redis()
    require_program("psql", "the reliability test reads its counts with psql")
    broker = urlunsplit(urlsplit(REDIS_URL)._replace(path=f"/{BROKER_DB}"))
    harness = Harness(
        installed_project(DEFAULT_ANSWERS),
        tmp_path_factory.mktemp("celery-reliability"),
        server,
        broker,
        pause=0.4,
    )
    yield harness
    drop_database(server, harness.database)


def since(start: float, end: float | None) -> float | None:
    return None if end is None else end - start


def report(scenario: str, harness: Harness, **times: float | None) -> None:
    counts = harness.counts()
    figures = ", ".join(
        f"{name} {'never' if value is None else f'{value:.1f}s'}" for name, value in times.items()
    )
    print(f"\n[{scenario}] {counts.summary()}; {figures}")
    print(
        f"[{scenario}] runs begun after their task had committed (no-ops): "
        f"{harness.redelivered_after_commit()}"
    )


def started_mid_run(harness: Harness, at_least: int) -> None:
    counts = harness.wait_until(at_least, timeout=120)
    assert counts.done >= at_least, f"the worker did not start working: {counts.summary()}"


def assert_every_task_recorded_once(counts: Counts) -> None:
    assert counts.lost == 0, counts.summary()
    assert counts.duplicated == 0, counts.summary()


def test_killing_a_pool_process_mid_task_loses_nothing(harness):
    harness.reset()
    worker = harness.start_worker()
    try:
        started_mid_run(harness, 20)
        deadline = time.monotonic() + 30
        while (pid := harness.running_pid()) is None or pid not in worker.children():
            assert time.monotonic() < deadline, "no pool process was caught inside a task"
            time.sleep(0.05)
        os.kill(pid, signal.SIGKILL)
        killed = time.time()
        counts = harness.wait_until(harness.total, timeout=180)
    finally:
        worker.stop()
    report(
        "pool process SIGKILL",
        harness,
        **{"interrupted task ran again after": since(killed, harness.last_repeat_started())},
    )
    assert_every_task_recorded_once(counts)
    assert counts.repeated_runs >= 1, "the killed task was never run again"


def test_killing_the_whole_worker_then_restarting_loses_and_repeats_nothing(harness):
    harness.reset()
    worker = harness.start_worker()
    started_mid_run(harness, 30)
    # Kill just after a commit, before the acknowledgement: that task is delivered again and
    # only the idempotency check keeps its side effect from happening twice.
    harness.wait_for_a_fresh_commit(within=harness.pause / 4)
    worker.kill_all()
    killed = time.time()
    before = harness.counts()
    assert before.done < harness.total
    # Redis hands back unacknowledged tasks once the visibility timeout has passed; a new worker
    # looks for them when it starts (and then every couple of minutes).
    time.sleep(max(0.0, harness.visibility_timeout + 1 - (time.time() - killed)))
    restarted = time.time()
    worker = harness.start_worker()
    try:
        counts = harness.wait_until(harness.total, timeout=180)
    finally:
        worker.stop()
    report(
        "whole worker SIGKILL + restart",
        harness,
        **{
            "visibility timeout": harness.visibility_timeout,
            "restart after": restarted - killed,
            "interrupted tasks ran again after": since(killed, harness.last_repeat_started()),
            "all done after": since(killed, counts.last_done),
        },
    )
    assert_every_task_recorded_once(counts)
    assert harness.redelivered_after_commit() >= 1, "no finished task was delivered again"


def test_a_warm_shutdown_then_restart_loses_and_repeats_nothing(harness):
    harness.reset()
    worker = harness.start_worker()
    started_mid_run(harness, 30)
    stopping = time.time()
    assert worker.stop() == 0
    stopped = time.time()
    before = harness.counts()
    assert before.done < harness.total
    worker = harness.start_worker()
    try:
        counts = harness.wait_until(harness.total, timeout=180)
    finally:
        worker.stop()
    report(
        "SIGTERM warm shutdown + restart",
        harness,
        **{"shutdown took": stopped - stopping, "all done after": since(stopped, counts.last_done)},
    )
    assert_every_task_recorded_once(counts)
    # A warm shutdown finishes the tasks it started and returns the others unstarted.
    assert counts.repeated_runs == 0, counts.summary()
    # The worker logs through the project's LOGGING ("time LEVEL logger message"), not Celery's.
    log = worker.output()
    assert re.search(r"^\S+ \S+ INFO celery\.\S+ ", log, re.MULTILINE), log[-2000:]
    assert "/MainProcess]" not in log, log[-2000:]
