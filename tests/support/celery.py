"""Drive real `celery worker` processes of a rendered project against real Redis and PostgreSQL.

Used by test_celery_reliability.py and by the benchmark that measures throughput and recovery
(bench/celery.py, `make bench-celery`).

The tasks live in a module written outside the project (on PYTHONPATH, loaded with the worker's
`--include`), so the installed project that other tests share is left untouched. Each task is
written the way the project's docs ask: it takes an id, re-reads its row under a lock, and does
nothing when the work is already done. Every start is logged outside the task's transaction, so a
run that dies midway still shows up as a re-execution.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from .postgres import create_database, database_url
from .tools import tool_env

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

# For the broker-fault scenarios: the project's local settings with mail written to files (so every
# send is counted) and a sign-up URL, so users are also created through a request.
SETTINGS_MODULE = "reliability_settings"
SETTINGS_SOURCE = """
import os

from config.settings.local import *  # noqa: F403
from config.settings.local import CELERY_BROKER_TRANSPORT_OPTIONS

EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
EMAIL_FILE_PATH = os.environ["RELIABILITY_MAIL_DIR"]
ROOT_URLCONF = "reliability_urls"
# Workers look for unacknowledged tasks every 10 s instead of every 100 s, so a test can wait.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    **CELERY_BROKER_TRANSPORT_OPTIONS,
    "unacked_restore_throttle": 1,
}
"""
URLS_SOURCE = """
from django.contrib.auth import get_user_model
from django.db import transaction
from django.http import JsonResponse
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt


@csrf_exempt
def sign_up(request):
    User = get_user_model()
    fields = {User.USERNAME_FIELD: request.POST["username"], "email": request.POST["email"]}
    with transaction.atomic():
        user = User.objects.create_user(**fields)
    return JsonResponse({"id": user.pk}, status=201)


urlpatterns = [path("harness/sign-up/", sign_up), path("", include("config.urls"))]
"""

# Creates users (through the ORM and through a request) and queues probe tasks through the outbox,
# timing each call; prints the worst time and any error as JSON.
DRIVE_SCRIPT = """
import json, sys, time, traceback
import django
django.setup()
from django.contrib.auth import get_user_model
from django.db import transaction
from django.test import Client
from reliability_tasks import record
from {slug}.outbox.services import enqueue

plan = json.loads(sys.argv[1])
User = get_user_model()
client = Client(HTTP_HOST="localhost")
worst = {"orm": 0.0, "http": 0.0, "enqueue": 0.0, "readyz": 0.0}
errors = []


def timed(kind, call):
    start = time.perf_counter()
    try:
        call()
    except Exception:
        errors.append(traceback.format_exc(limit=3))
    worst[kind] = max(worst[kind], time.perf_counter() - start)


def orm(n):
    fields = {User.USERNAME_FIELD: f"user{n}", "email": f"user{n}@example.test"}
    with transaction.atomic():
        User.objects.create_user(**fields)


def http(n):
    data = {"username": f"user{n}", "email": f"user{n}@example.test"}
    response = client.post("/harness/sign-up/", data)
    assert response.status_code == 201, response.status_code


def probe(n):
    with transaction.atomic():
        enqueue(record, n)


def readyz():
    response = client.get("/readyz/")
    assert response.status_code in (200, 503), response.status_code


# A web process answers many requests: its first one (loading URLs, middleware, templates) is not
# a broker's doing.
client.get("/healthz/")
first = plan.get("first_user", 0)
for n in range(plan.get("probes", 0)):
    timed("enqueue", lambda: probe(n))
for n in range(first, first + plan.get("orm", 0)):
    timed("orm", lambda: orm(n))
first += plan.get("orm", 0)
for n in range(first, first + plan.get("http", 0)):
    timed("http", lambda: http(n))
for _ in range(plan.get("readyz", 0)):
    timed("readyz", readyz)
print(json.dumps({"worst": worst, "errors": errors}))
"""

EMAIL_COUNT_SQL = """
SELECT
    (SELECT count(*) FROM users_user WHERE email LIKE '%%@example.test'),
    (SELECT count(*) FROM emails_sentemail),
    (SELECT count(*) FROM outbox_pendingtask)
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
broker, count, database_url, schema = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
with psycopg.connect(database_url, autocommit=True) as db:
    db.execute(schema)
    with db.cursor() as cursor:
        cursor.executemany(
            "INSERT INTO reliability_item (number) VALUES (%s)", [(n,) for n in range(count)]
        )
if broker.startswith("redis"):
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
class Drive:
    worst: dict[str, float]  # seconds, per kind of call
    errors: list[str]

    @property
    def worst_call(self) -> float:
        return max(self.worst.values())


@dataclass
class EmailCounts:
    users: int
    recorded: int  # SentEmail rows
    pending: int  # rows left in the outbox
    recipients: Counter[str]  # messages actually sent, per address

    @property
    def lost(self) -> int:
        return self.users - len(self.recipients)

    @property
    def duplicated(self) -> int:
        return sum(self.recipients.values()) - len(self.recipients)

    def summary(self) -> str:
        return (
            f"{len(self.recipients)}/{self.users} welcome emails sent, lost {self.lost}, "
            f"sent twice {self.duplicated}, {self.pending} left in the outbox"
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
    settings: str = "config.settings.local"
    extra_env: dict[str, str] = field(default_factory=dict)
    started: int = 0

    def __post_init__(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        (self.workdir / f"{TASKS_MODULE}.py").write_text(TASKS_SOURCE)
        (self.workdir / f"{SETTINGS_MODULE}.py").write_text(SETTINGS_SOURCE)
        (self.workdir / "reliability_urls.py").write_text(URLS_SOURCE)
        self.mail_dir = self.workdir / "mail"
        self.database_url = database_url(self.postgres_server, self.database)

    def env(self) -> dict[str, str]:
        env = tool_env(
            DJANGO_SETTINGS_MODULE=self.settings,
            DATABASE_URL=self.database_url,
            CELERY_BROKER_URL=self.broker_url,
            # Short enough to wait for in a test, and still above the hard time limit.
            CELERY_VISIBILITY_TIMEOUT=str(self.visibility_timeout),
            CELERY_TASK_TIME_LIMIT=str(self.visibility_timeout - 2),
            CELERY_TASK_SOFT_TIME_LIMIT=str(self.visibility_timeout - 4),
            RELIABILITY_PAUSE=str(self.pause),
            PYTHONPATH=str(self.workdir),
            RELIABILITY_MAIL_DIR=str(self.mail_dir),
        )
        env.update(self.extra_env)
        return env

    def python(self, *args: str) -> str:
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
        return result.stdout

    def reset(self, enqueue: bool = True) -> None:
        """A new database and an empty broker database, the items seeded, every task enqueued."""
        create_database(self.postgres_server, self.database)
        self.python("-c", SETUP_SCRIPT, self.broker_url, str(self.total), self.database_url, SCHEMA)
        if enqueue:
            self.python("-c", ENQUEUE_SCRIPT, str(self.total))

    def prepare_project_tables(self) -> None:
        """Migrate the harness database and empty the users, sent emails, outbox and mail files."""
        self.python("manage.py", "migrate", "--verbosity", "0", "--skip-checks")
        self.query(
            "TRUNCATE users_user, emails_sentemail, outbox_pendingtask RESTART IDENTITY CASCADE"
        )
        shutil.rmtree(self.mail_dir, ignore_errors=True)
        self.mail_dir.mkdir()

    def drive(self, **plan: int) -> Drive:
        """Create users and queue probe tasks as a web process would, timing every call."""
        slug = self.project.name
        output = self.python("-c", DRIVE_SCRIPT.replace("{slug}", slug), json.dumps(plan))
        result = json.loads(output.strip().splitlines()[-1])
        return Drive(result["worst"], result["errors"])

    def emails(self) -> EmailCounts:
        users, recorded, pending = (int(value) for value in self.query(EMAIL_COUNT_SQL)[0])
        recipients = Counter(
            match
            for path in self.mail_dir.glob("*.log")
            for match in re.findall(r"^To: (\S+)$", path.read_text(), re.MULTILINE)
        )
        return EmailCounts(users, recorded, pending, recipients)

    def start_beat(self, name: str = "beat") -> Worker:
        """A beat process (its log in the workdir) with a schedule file of its own."""
        schedule = str(self.workdir / f"{name}-schedule")
        return self.celery(name, "beat", "--schedule", schedule, "--pidfile=")

    def celery(self, log_name: str, *arguments: str) -> Worker:
        """`celery -A config *arguments` in its own process group, its output in the workdir."""
        log = self.workdir / f"{log_name}.log"
        output = log.open("wb")
        process = subprocess.Popen(
            [str(self.project / ".venv/bin/celery"), "-A", "config", *arguments],
            cwd=self.project,
            env=self.env(),
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        output.close()  # the process has its own copy
        return Worker(process, log)

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
        return self.celery(
            f"worker-{self.started}",
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
        )

    def wait_until(self, done: int, timeout: float) -> Counts:
        deadline = time.monotonic() + timeout
        while True:
            counts = self.counts()
            if counts.done >= done or time.monotonic() > deadline:
                return counts
            time.sleep(0.25)
