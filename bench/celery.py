"""Measure Celery throughput and recovery from a killed worker on a default render. Run:
make bench-celery (needs PostgreSQL, Redis and psql), or for more tasks or the restart figures

    .venv/bin/python bench/celery.py [--tasks 1000] [--pause 0] [--restart]

Workers are real `celery worker` processes driven by the reliability test's harness
(tests/support/celery.py). Figures, not assertions.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.support.celery import Harness
from tests.support.options import DEFAULT_ANSWERS
from tests.support.postgres import drop_database
from tests.support.rendering import hooks_silenced, render
from tests.support.services import POSTGRES_URL
from tests.support.tools import tool_env


def measure(harness: Harness) -> None:
    """Print throughput and recovery figures (not a test: speed belongs in numbers, not asserts)."""
    harness.reset()
    worker = harness.start_worker()
    try:
        counts = harness.wait_until(harness.total, timeout=600)
    finally:
        worker.stop()
    assert counts.first_run is not None and counts.last_done is not None
    elapsed = counts.last_done - counts.first_run
    print(
        f"throughput: {harness.total} tasks (pause {harness.pause}s) in {elapsed:.1f}s = "
        f"{harness.total / elapsed:.1f} tasks/s with prefork concurrency 2 ({counts.summary()})"
    )


def measure_restart_at_once(harness: Harness) -> None:
    """Kill a whole worker and restart it at once, as a service manager would."""
    harness.reset()
    worker = harness.start_worker()
    harness.wait_until(harness.total // 5, timeout=300)
    worker.kill_all()
    killed = time.time()
    worker = harness.start_worker()
    try:
        counts = harness.wait_until(harness.total, timeout=600)
    finally:
        worker.stop()
    repeat = harness.last_repeat_started()
    print(
        f"whole worker killed and restarted at once, visibility timeout "
        f"{harness.visibility_timeout}s: its tasks ran again after "
        f"{'never' if repeat is None else f'{repeat - killed:.1f}s'} ({counts.summary()})"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=500)
    parser.add_argument("--pause", type=float, default=0.0)
    parser.add_argument(
        "--restart", action="store_true", help="also time recovery from a killed worker"
    )
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="keel-celery-bench-") as temp:
        with hooks_silenced():
            project = render(Path(temp), DEFAULT_ANSWERS)
        print("installing the rendered project ...", file=sys.stderr)
        subprocess.run(
            ["make", "install"], cwd=project, env=tool_env(), check=True, capture_output=True
        )
        harness = Harness(
            project,
            Path(temp) / "harness",
            POSTGRES_URL,
            os.environ.get("KEEL_CELERY_BROKER_URL", "redis://127.0.0.1:6379/6"),
            # Not the reliability test's database: both may run at once.
            database="keel_celery_bench",
            total=options.tasks,
            pause=options.pause,
        )
        try:
            measure(harness)
            if options.restart:
                measure_restart_at_once(harness)
        finally:
            drop_database(POSTGRES_URL, harness.database)
    return 0


if __name__ == "__main__":
    sys.exit(main())
