"""Drive real `celery worker` processes of a rendered project against real Redis and PostgreSQL.

Used by test_celery_reliability.py and, as a script, to measure throughput and recovery:

    .venv/bin/python -m tests.celery_harness [--tasks 1000] [--pause 0] [--restart]

The tasks live in a module written outside the project (on PYTHONPATH, loaded with the worker's
`--include`), so the installed project that other tests share is left untouched. Each task is
written the way the project's docs ask: it takes an id, re-reads its row under a lock, and does
nothing when the work is already done. Every start is logged outside the task's transaction, so a
run that dies midway still shows up as a re-execution.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from .conftest import tool_env

TASKS_MODULE = "reliability_tasks"
TASKS_SOURCE = """
import os
import time

from celery import shared_task
from django.db import connection, transaction

PAUSE = float(os.environ.get("RELIABILITY_PAUSE", "0.2"))


# A short retry delay: after a pool process dies, the task comes back within a second.
@shared_task(bind=True, default_retry_delay=1, max_retries=5)
def record(self, number):
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO reliability_run (number, pid) VALUES (%s, %s)", [number, os.getpid()]
        )
    time.sleep(PAUSE / 2)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT done_at FROM reliability_item WHERE number = %s FOR UPDATE", [number]
        )
        if cursor.fetchone()[0] is None:
            cursor.execute(
                "INSERT INTO reliability_effect (number, task_id) VALUES (%s, %s)",
                [number, self.request.id],
            )
            cursor.execute(
                "UPDATE reliability_item SET done_at = clock_timestamp() WHERE number = %s",
                [number],
            )
    # More work after the commit: a kill here makes the broker deliver a finished task again.
    time.sleep(PAUSE / 2)
"""

SCHEMA = """
DROP TABLE IF EXISTS reliability_run, reliability_effect, reliability_item;
CREATE TABLE reliability_item (number int PRIMARY KEY, done_at timestamptz);
CREATE TABLE reliability_effect (
    id serial PRIMARY KEY, number int NOT NULL, task_id text NOT NULL,
    at timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE TABLE reliability_run (
    id serial PRIMARY KEY, number int NOT NULL, pid int NOT NULL,
    at timestamptz NOT NULL DEFAULT clock_timestamp()
);
"""

# Run with the project's interpreter (it has psycopg, redis and celery).
SETUP_SCRIPT = """
import sys, psycopg, redis
server, name, broker, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
with psycopg.connect(server, autocommit=True) as db:
    if not db.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
        db.execute(f"CREATE DATABASE {name}")
with psycopg.connect(sys.argv[5], autocommit=True) as db:
    db.execute(sys.argv[6])
    with db.cursor() as cursor:
        cursor.executemany(
            "INSERT INTO reliability_item (number) VALUES (%s)", [(n,) for n in range(count)]
        )
redis.Redis.from_url(broker).flushdb()
"""

ENQUEUE_SCRIPT = """
import sys, django
django.setup()
from reliability_tasks import record
for number in range(int(sys.argv[1])):
    record.delay(number)
"""

COUNT_SQL = """
SELECT
    (SELECT count(*) FROM reliability_item WHERE done_at IS NOT NULL),
    (SELECT count(*) FROM reliability_effect),
    (SELECT count(*) FROM reliability_run),
    (SELECT extract(epoch FROM max(done_at)) FROM reliability_item),
    (SELECT extract(epoch FROM min(at)) FROM reliability_run)
"""


@dataclass
class Counts:
    total: int
    done: int
    effects: int
    runs: int
    last_done: float | None
    first_run: float | None

    @property
    def lost(self) -> int:
        return self.total - self.done

    @property
    def duplicated(self) -> int:
        return self.effects - self.done

    @property
    def repeated_runs(self) -> int:
        return self.runs - self.total

    def summary(self) -> str:
        return (
            f"{self.done}/{self.total} done, lost {self.lost}, "
            f"duplicated side effects {self.duplicated}, {self.runs} runs "
            f"({self.repeated_runs} more than tasks)"
        )


@dataclass
class Worker:
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def children(self) -> list[int]:
        path = Path(f"/proc/{self.pid}/task/{self.pid}/children")
        return [int(pid) for pid in path.read_text().split()] if path.exists() else []

    def kill_all(self) -> None:
        """SIGKILL the main process and its pool at once, as a lost machine or OOM would."""
        os.killpg(self.pid, signal.SIGKILL)
        self.process.wait(30)

    def stop(self, timeout: float = 60) -> int:
        """Warm shutdown (SIGTERM): finish the running tasks, return the rest to the broker."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.pid, signal.SIGKILL)
            self.process.wait(30)
            raise

    def output(self) -> str:
        return self.log.read_text(errors="replace")


@dataclass
class Harness:
    project: Path
    workdir: Path
    postgres_server: str
    broker_url: str
    database: str = "keel_celery_reliability"
    total: int = 100
    pause: float = 0.2
    visibility_timeout: int = 10
    extra_env: dict[str, str] = field(default_factory=dict)
    started: int = 0

    def __post_init__(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        (self.workdir / f"{TASKS_MODULE}.py").write_text(TASKS_SOURCE)
        parts = urlsplit(self.postgres_server)
        self.database_url = urlunsplit(parts._replace(path=f"/{self.database}"))

    def env(self) -> dict[str, str]:
        env = tool_env(
            DJANGO_SETTINGS_MODULE="config.settings.local",
            DATABASE_URL=self.database_url,
            CELERY_BROKER_URL=self.broker_url,
            # Short enough to wait for in a test, and still above the hard time limit.
            CELERY_VISIBILITY_TIMEOUT=str(self.visibility_timeout),
            CELERY_TASK_TIME_LIMIT=str(self.visibility_timeout - 2),
            CELERY_TASK_SOFT_TIME_LIMIT=str(self.visibility_timeout - 4),
            RELIABILITY_PAUSE=str(self.pause),
            PYTHONPATH=str(self.workdir),
        )
        env.update(self.extra_env)
        return env

    def python(self, *args: str) -> None:
        result = subprocess.run(
            [str(self.project / ".venv/bin/python"), *args],
            cwd=self.project,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=300,
        )
        if result.returncode != 0:
            raise RuntimeError(f"{args[:2]} failed:\n{result.stdout}\n{result.stderr}")

    def reset(self) -> None:
        """Empty the tables and the broker's database, seed the items, enqueue every task."""
        self.python(
            "-c",
            SETUP_SCRIPT,
            self.postgres_server,
            self.database,
            self.broker_url,
            str(self.total),
            self.database_url,
            SCHEMA,
        )
        self.python("-c", ENQUEUE_SCRIPT, str(self.total))

    def query(self, sql: str) -> list[list[str]]:
        """Rows of a query, through psql (cheap enough to poll with)."""
        result = subprocess.run(
            ["psql", "--no-psqlrc", "-At", "-F", "|", "-c", sql, self.database_url],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        return [line.split("|") for line in result.stdout.splitlines()]

    def counts(self) -> Counts:
        done, effects, runs, last_done, first_run = self.query(COUNT_SQL)[0]
        return Counts(
            self.total,
            int(done),
            int(effects),
            int(runs),
            float(last_done) if last_done else None,
            float(first_run) if first_run else None,
        )

    def running_pid(self) -> int | None:
        """The pid running the latest task started and not yet committed, if any."""
        rows = self.query(
            "SELECT r.pid FROM reliability_run r JOIN reliability_item i USING (number) "
            "WHERE i.done_at IS NULL ORDER BY r.id DESC LIMIT 1"
        )
        return int(rows[0][0]) if rows else None

    def last_repeat_started(self) -> float | None:
        """When the last run of a task that had run before began: the end of a recovery."""
        rows = self.query(
            "SELECT extract(epoch FROM max(at)) FROM reliability_run WHERE id NOT IN "
            "(SELECT min(id) FROM reliability_run GROUP BY number)"
        )
        return float(rows[0][0]) if rows[0][0] else None

    def wait_for_a_fresh_commit(self, within: float, timeout: float = 30) -> None:
        """Return just after some task committed, while it is still in its post-commit work."""
        deadline = time.monotonic() + timeout
        sql = (
            "SELECT count(*) FROM reliability_item "
            f"WHERE done_at > clock_timestamp() - interval '{within:f} seconds'"
        )
        while self.query(sql)[0][0] == "0":
            if time.monotonic() > deadline:
                raise TimeoutError("no task committed")

    def redelivered_after_commit(self) -> int:
        """Runs begun after their task had committed: the work of the idempotency check."""
        rows = self.query(
            "SELECT count(*) FROM reliability_run r JOIN reliability_item i USING (number) "
            "WHERE r.at > i.done_at"
        )
        return int(rows[0][0])

    def start_worker(self) -> Worker:
        self.started += 1
        log = self.workdir / f"worker-{self.started}.log"
        output = log.open("wb")
        process = subprocess.Popen(
            [
                str(self.project / ".venv/bin/celery"),
                "-A",
                "config",
                "worker",
                "--pool",
                "prefork",
                "--concurrency",
                "2",
                "--include",
                TASKS_MODULE,
                "--hostname",
                f"reliability-{self.started}@%h",
                "--without-mingle",
                "--without-gossip",
            ],
            cwd=self.project,
            env=self.env(),
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        output.close()  # the worker has its own copy
        return Worker(process, log)

    def wait_until(self, done: int, timeout: float) -> Counts:
        deadline = time.monotonic() + timeout
        while True:
            counts = self.counts()
            if counts.done >= done or time.monotonic() > deadline:
                return counts
            time.sleep(0.25)


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
    import argparse
    import tempfile

    from .conftest import render
    from .services import POSTGRES_URL

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=500)
    parser.add_argument("--pause", type=float, default=0.0)
    parser.add_argument(
        "--restart", action="store_true", help="also time recovery from a killed worker"
    )
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="keel-celery-bench-") as temp:
        project = render(Path(temp), {})
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
        measure(harness)
        if options.restart:
            measure_restart_at_once(harness)
    return 0


if __name__ == "__main__":
    sys.exit(main())
