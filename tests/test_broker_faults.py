"""No task and no welcome email is lost or done twice when the broker fails, and no request waits
on a broken broker: a rendered project's workers, beat and web code against brokers the test breaks.

Each scenario runs at least 200 units of work: probe tasks (the reliability harness's `record`,
one effect row per item under a lock) and welcome emails of users created through the ORM and
through a request (a sign-up view the harness adds; each email is a file, so every send counts).
Redis is a `redis-server` of the test's own, started with the project's `deploy/redis/broker.conf`;
RabbitMQ is the machine's, in a vhost of the test's own; "unreachable" is a loopback proxy that
stops forwarding. Run with `-s` for the figures; the table is printed at the end.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from .support.brokers import Blackhole, RabbitVhost, RedisServer
from .support.celery import Drive, Harness, Worker
from .support.options import DEFAULT_ANSWERS
from .support.postgres import drop_database
from .support.services import require_postgres, require_program
from .support.tools import tool_env

pytestmark = pytest.mark.slow

PROBES = 200
ORM_USERS = 100
HTTP_USERS = 100
# A request may wait for one bounded broker attempt (CELERY_BROKER_TIMEOUT, 2 s, for connecting
# and for the reply) and no more; with margin for a loaded machine.
REQUEST_BOUND = 5.0


@dataclass
class Row:
    fault: str
    tasks: int
    lost: int
    duplicated: int
    recovery: float
    worst_request: float | None


TABLE: list[Row] = []


@pytest.fixture(scope="module")
def harness(installed_project, tmp_path_factory) -> Harness:
    server = require_postgres()
    require_program("redis-server", "the broker-fault tests start a Redis of their own")
    require_program("redis-cli", "the broker-fault tests fill and inspect their Redis")
    require_program("psql", "the broker-fault tests read their counts with psql")
    harness = Harness(
        installed_project(DEFAULT_ANSWERS),
        tmp_path_factory.mktemp("broker-faults"),
        server,
        "redis://127.0.0.1:1/0",  # each test points it at its own broker
        database=f"keel_broker_faults_{os.getpid()}",
        total=PROBES,
        pause=0.02,
        settings="reliability_settings",
    )
    yield harness
    drop_database(server, harness.database)
    if TABLE:
        print("\n| Fault | Tasks | Lost | Duplicated | Recovery | Worst request |")
        print("| --- | --- | --- | --- | --- | --- |")
        for row in TABLE:
            worst = "-" if row.worst_request is None else f"{row.worst_request:.2f} s"
            print(
                f"| {row.fault} | {row.tasks} | {row.lost} | {row.duplicated} "
                f"| {row.recovery:.1f} s | {worst} |"
            )


@pytest.fixture
def redis(harness, tmp_path) -> RedisServer:
    server = RedisServer(harness.project / "deploy/redis/broker.conf", tmp_path / "redis")
    server.start()
    yield server
    server.stop()


@pytest.fixture
def processes() -> list[Worker]:
    """Workers and beats a test started, killed (by process group) when it ends."""
    started: list[Worker] = []
    yield started
    stop_all(started)


def stop_all(processes: list[Worker]) -> None:
    for process in processes:
        if process.process.poll() is None:
            process.kill_all()


def wait_for_everything(harness: Harness, users: int, timeout: float = 120) -> float:
    """Wait until every probe task and every welcome email is done; return when that was."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        emails = harness.emails()
        if (
            harness.counts().done >= harness.total
            and len(emails.recipients) >= users
            and emails.pending == 0
        ):
            return time.time()
        time.sleep(0.25)
    return time.time()


def settle_and_record(
    fault: str, harness: Harness, users: int, back: float, drive: Drive | None
) -> None:
    """Check and report: nothing lost, nothing twice, and how long recovery took."""
    finished = wait_for_everything(harness, users)
    # Give a redelivery that would do something twice the time to show up.
    time.sleep(2)
    counts, emails = harness.counts(), harness.emails()
    worst = None if drive is None else drive.worst_call
    print(f"\n[{fault}] {counts.summary()}; {emails.summary()}")
    print(f"[{fault}] all done {finished - back:.1f}s after the broker came back; worst calls:")
    if drive is not None:
        print(f"[{fault}] " + ", ".join(f"{k} {v:.3f}s" for k, v in drive.worst.items()))
    TABLE.append(
        Row(
            fault,
            counts.total + emails.users,
            counts.lost + emails.lost,
            counts.duplicated + emails.duplicated,
            finished - back,
            worst,
        )
    )
    assert emails.users == users
    assert counts.lost == 0, counts.summary()
    assert counts.duplicated == 0, counts.summary()
    assert emails.lost == 0, emails.summary()
    assert emails.duplicated == 0, emails.summary()
    assert emails.recorded == users, emails.summary()


@contextlib.contextmanager
def still_running(worker: Worker) -> Iterator[None]:
    """The worker outlives the fault: no supervisor restarts it here, and nothing needs to."""
    try:
        yield
    finally:
        assert worker.process.poll() is None, f"the worker stopped:\n{worker.output()[-4000:]}"


def start(harness: Harness, processes: list[Worker]) -> Worker:
    worker = harness.start_worker()
    processes.extend([worker, harness.start_beat()])
    return worker


def run_until_a_fifth_is_done(harness: Harness, processes: list[Worker]) -> Worker:
    """Queue the probe tasks and half the users' emails, start a worker and beat, and wait until a
    fifth of the probes are done: the moment the mid-run faults strike."""
    harness.reset()  # the probe tasks, queued in the broker
    harness.prepare_project_tables()
    drive = harness.drive(orm=ORM_USERS // 2, http=HTTP_USERS // 2)
    assert drive.errors == []
    worker = start(harness, processes)
    counts = harness.wait_until(PROBES // 5, timeout=120)
    assert counts.done >= PROBES // 5, counts.summary()
    return worker


def test_redis_killed_mid_run_restarts_from_its_append_only_file_losing_nothing(
    harness, redis, processes
):
    harness.broker_url = redis.url()
    worker = run_until_a_fifth_is_done(harness, processes)
    redis.kill()
    time.sleep(2)
    redis.start()  # the same directory: the shipped appendonly/appendfsync settings
    back = time.time()
    with still_running(worker):
        settle_and_record(
            "Redis SIGKILL + restart (AOF)", harness, ORM_USERS // 2 + HTTP_USERS // 2, back, None
        )


def test_users_created_while_redis_is_down_get_their_email_once_it_is_back(
    harness, redis, processes
):
    harness.broker_url = redis.url()
    harness.reset(enqueue=False)
    harness.prepare_project_tables()
    worker = start(harness, processes)
    redis.kill()
    drive = harness.drive(probes=PROBES, orm=ORM_USERS, http=HTTP_USERS, readyz=3)
    assert drive.errors == [], drive.errors[0]
    assert harness.emails().pending == PROBES + ORM_USERS + HTTP_USERS, "not kept in the outbox"
    redis.start()
    back = time.time()
    with still_running(worker):
        settle_and_record(
            "Redis down while users sign up", harness, ORM_USERS + HTTP_USERS, back, drive
        )
    assert drive.worst_call < REQUEST_BOUND, drive.worst


def test_an_unreachable_broker_holds_no_request_beyond_the_bound(harness, redis, processes):
    proxy = Blackhole(redis.port)
    try:
        harness.broker_url = redis.url(port=proxy.port)
        harness.reset(enqueue=False)
        harness.prepare_project_tables()
        start(harness, processes)
        proxy.drop()
        drive = harness.drive(probes=PROBES, orm=ORM_USERS, http=HTTP_USERS, readyz=3)
        assert drive.errors == [], drive.errors[0]
        proxy.restore()
        back = time.time()
        settle_and_record(
            "Broker unreachable (packets dropped)", harness, ORM_USERS + HTTP_USERS, back, drive
        )
    finally:
        proxy.close()
    assert drive.worst_call < REQUEST_BOUND, drive.worst


def test_a_full_redis_defers_tasks_keeps_the_worker_alive_and_drains_when_freed(
    harness, tmp_path, processes
):
    config = harness.project / "deploy/redis/broker.conf"
    redis = RedisServer(config, tmp_path / "redis", maxmemory="40mb")
    redis.start()
    try:
        harness.broker_url = redis.url()
        harness.reset(enqueue=False)
        harness.prepare_project_tables()
        worker = start(harness, processes)
        wait_for_log(worker, "ready.")
        assert redis.fill() > 0
        drive = harness.drive(probes=PROBES, orm=ORM_USERS, http=HTTP_USERS, readyz=3)
        assert drive.errors == [], drive.errors[0]
        # A worker started while the broker is full (as a service manager restarts one).
        late = harness.start_worker()
        processes.append(late)
        wait_for_log(late, "ready.")
        time.sleep(12)  # past a sweep for unacknowledged tasks (every 10 s here)
        assert harness.emails().pending > 0, "the full broker accepted the tasks after all"
        assert worker.process.poll() is None, worker.output()[-3000:]
        assert late.process.poll() is None, late.output()[-3000:]
        redis.free()
        back = time.time()
        settle_and_record("Redis full (noeviction)", harness, ORM_USERS + HTTP_USERS, back, drive)
        assert worker.process.poll() is None, worker.output()[-3000:]
    finally:
        redis.stop()


def test_rabbitmq_loses_nothing_when_the_whole_worker_is_killed(harness, processes):
    require_program("rabbitmqctl", "the RabbitMQ scenario creates a vhost of its own")
    with RabbitVhost(f"keel-broker-faults-{os.getpid()}") as vhost:
        harness.broker_url = vhost.url()
        worker = run_until_a_fifth_is_done(harness, processes)
        worker.kill_all()
        processes.append(harness.start_worker())
        back = time.time()
        settle_and_record(
            "RabbitMQ, whole worker SIGKILL", harness, ORM_USERS // 2 + HTTP_USERS // 2, back, None
        )
        stop_all(processes)  # before the vhost goes


def test_a_second_beat_waits_while_the_first_runs_and_takes_over_when_it_dies(
    harness, redis, processes
):
    harness.broker_url = redis.url()
    harness.reset(enqueue=False)
    harness.prepare_project_tables()
    first = harness.start_beat("beat-first")
    processes.append(first)
    wait_for_log(first, "Beat lock taken")
    second = harness.start_beat("beat-second")
    processes.append(second)
    wait_for_log(second, "Another beat holds the lock")
    time.sleep(12)  # longer than the relay's 10 s schedule
    assert "Sending due task" in first.output()
    assert "Sending due task" not in second.output(), second.output()[-2000:]
    first.kill_all()
    killed = time.time()
    wait_for_log(second, "Beat lock taken after")
    wait_for_log(second, "Sending due task")
    print(f"\n[beat] the second beat took over {time.time() - killed:.1f}s after the first died")


def wait_for_log(process: Worker, text: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while text not in process.output():
        assert process.process.poll() is None, process.output()[-3000:]
        assert time.monotonic() < deadline, f"{text!r} not logged:\n{process.output()[-3000:]}"
        time.sleep(0.2)


ADD_USER_SCRIPT = """
from django.contrib.auth import get_user_model
from django.test import Client

User = get_user_model()
client = Client(HTTP_HOST="localhost")
client.force_login(User.objects.get(username="root"))
password = "Xy9-long-password"
response = client.post(
    "/admin/users/user/add/",
    {"username": "ann", "usable_password": "true", "password1": password, "password2": password},
)
print("status", response.status_code, User.objects.filter(username="ann").exists())
"""


def test_a_default_project_with_no_broker_creates_users_and_sends_the_email_in_process(
    installed_project, tmp_path
):
    project = installed_project(DEFAULT_ANSWERS)
    env = tool_env(
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        DJANGO_SUPERUSER_PASSWORD="Sup3r-secret-pw",
        DJANGO_SUPERUSER_EMAIL="root@example.com",
        # The admin asks staff for a second factor first; that is not what is tested here.
        DJANGO_STAFF_MFA_REQUIRED="false",
    )
    env.pop("CELERY_BROKER_URL", None)  # the default .env leaves it unset too

    def manage(*arguments: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(project / ".venv/bin/python"), "manage.py", *arguments],
            cwd=project,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    assert manage("migrate", "--verbosity", "0").returncode == 0
    created = manage("createsuperuser", "--noinput", "--username", "root")
    assert created.returncode == 0, created.stderr[-3000:]
    # The console backend prints the welcome email; the outbox logs that it ran it in-process.
    assert "To: root@example.com" in created.stdout, created.stdout + created.stderr
    assert "in this process (no CELERY_BROKER_URL)" in created.stderr
    added = manage("shell", "-c", ADD_USER_SCRIPT)
    assert "status 302 True" in added.stdout, added.stdout + added.stderr[-3000:]
