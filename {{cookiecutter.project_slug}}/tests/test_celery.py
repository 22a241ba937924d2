"""Background tasks: reliable settings, the tasks themselves, their call sites, a real worker."""

import contextlib
import os
import socket
import threading
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from celery.contrib.testing.worker import start_worker
from celery.signals import task_postrun
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.core import mail
from django.core.checks import run_checks
from django.db import transaction
from django.test import override_settings
from django.utils import timezone
from kombu import Consumer, Queue
from kombu.common import ignore_errors
from redis import Redis

from {{ cookiecutter.project_slug }}.core.tasks import clear_expired_sessions
from {{ cookiecutter.project_slug }}.emails.models import SentEmail
from {{ cookiecutter.project_slug }}.emails.tasks import send_welcome_email
from {{ cookiecutter.project_slug }}.outbox import services as outbox
from {{ cookiecutter.project_slug }}.outbox.models import PendingTask
from {{ cookiecutter.project_slug }}.outbox.tasks import relay_pending_tasks
from config.celery_checks import redelivery_limit

from .factories import UserFactory
from .processes import ahead
from .production import load_settings

ROOT = Path(__file__).resolve().parent.parent
# The project's app (config/celery_app.py), to which every task is bound.
celery_app = send_welcome_email.app


# The Redis checks apply to redis:// URLs, whichever broker this project uses by default.
REDIS = "redis://127.0.0.1:6379/0"


def celery_errors() -> list[str]:
    return [message.id for message in run_checks(tags=["celery"]) if message.id]


# Settings
# ------------------------------------------------------------------------------


def test_celery_reads_its_configuration_from_django_settings():
    assert celery_app.main == "{{ cookiecutter.project_slug }}"
    assert celery_app.conf.broker_url == settings.CELERY_BROKER_URL
    assert celery_app.conf.accept_content == ["json"]


def test_tasks_are_acknowledged_late_one_at_a_time_and_retried_when_their_process_dies():
    conf = celery_app.conf
    assert conf.task_acks_late is True
    assert conf.worker_prefetch_multiplier == 1
    assert conf.task_retry_on_worker_lost is True
    assert conf.worker_cancel_long_running_tasks_on_connection_loss is True
    assert conf.task_soft_time_limit < conf.task_time_limit
    _, redelivery_after = redelivery_limit()
    assert redelivery_after > conf.task_time_limit


def test_every_broker_call_is_bounded():
    # Without these a dead or unreachable broker holds the caller for minutes.
    conf = celery_app.conf
    assert 0 < conf.broker_connection_timeout <= 5
    options = conf.broker_transport_options
    if conf.broker_url.startswith("redis"):
        # kombu's Redis transport ignores the connection timeout.
        assert 0 < options["socket_connect_timeout"] <= 5
        assert 0 < options["socket_timeout"] <= 5
    assert options["max_retries"] == 0, "connection retries would multiply the publish retries"
    assert conf.task_publish_retry_policy["max_retries"] <= 5


@override_settings(CELERY_BROKER_URL="amqp://guest:guest@127.0.0.1:5672//")
def test_on_rabbitmq_the_checks_compare_limits_with_the_consumer_timeout():
    # The visibility timeout is Redis's; on RabbitMQ it must not raise a false alarm.
    with override_settings(
        CELERY_TASK_TIME_LIMIT=1000,
        CELERY_TASK_SOFT_TIME_LIMIT=900,
        CELERY_BROKER_TRANSPORT_OPTIONS={"visibility_timeout": 10},
        CELERY_RABBITMQ_CONSUMER_TIMEOUT=1800,
    ):
        assert celery_errors() == []
    with override_settings(CELERY_TASK_TIME_LIMIT=1800, CELERY_RABBITMQ_CONSUMER_TIMEOUT=1800):
        messages = [message.msg for message in run_checks(tags=["celery"])]
        assert any(message.startswith("CELERY_RABBITMQ_CONSUMER_TIMEOUT") for message in messages)


def test_the_default_settings_pass_the_celery_checks():
    assert celery_errors() == []


@override_settings(
    CELERY_BROKER_URL=REDIS,
    CELERY_TASK_TIME_LIMIT=90,
    CELERY_BROKER_TRANSPORT_OPTIONS={"visibility_timeout": 90},
)
def test_check_fails_when_the_visibility_timeout_does_not_exceed_the_hard_time_limit():
    assert "celery.E001" in celery_errors()


@override_settings(CELERY_TASK_SOFT_TIME_LIMIT=90, CELERY_TASK_TIME_LIMIT=90)
def test_check_fails_when_the_soft_time_limit_is_not_below_the_hard_one():
    assert "celery.E002" in celery_errors()


@override_settings(
    CELERY_BROKER_URL=REDIS, CELERY_BROKER_TRANSPORT_OPTIONS={"visibility_timeout": 300}
)
def test_check_fails_when_a_task_retries_later_than_the_visibility_timeout():
    # send_welcome_email backs off up to 600 s between retries.
    assert "celery.E003" in celery_errors()


short_timeout_check = ahead(
    "short_timeout_check",
    ["manage.py", "check"],
    {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"}
    | {"CELERY_VISIBILITY_TIMEOUT": "60", "CELERY_TASK_TIME_LIMIT": "90"}
    | {"CELERY_BROKER_URL": REDIS},
)


def test_manage_py_check_refuses_a_visibility_timeout_set_too_short_in_the_environment(
    short_timeout_check,
):
    assert short_timeout_check.returncode != 0
    assert "celery.E001" in short_timeout_check.stderr


# What `celery -A config worker` imports at start-up, in a fresh interpreter. Django's checks are
# skipped: they import the tasks modules themselves.
worker_registry = ahead(
    "worker_registry",
    [
        "-c",
        "from config import celery_app\n"
        "celery_app.loader.import_default_modules()\n"
        "print(*sorted(celery_app.tasks))\n",
    ],
    {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"} | {"CELERY_SKIP_CHECKS": "1"},
)


def test_a_worker_process_finds_every_task_of_the_project(worker_registry):
    assert worker_registry.returncode == 0, worker_registry.stderr
    registered = worker_registry.stdout.split()
    assert send_welcome_email.name in registered
    assert clear_expired_sessions.name in registered


def test_stopping_the_worker_waits_longer_than_any_task_may_run():
    # systemd kills a worker still running a task when TimeoutStopSec runs out; the task would
    # then be delivered again.
    unit = next((ROOT / "deploy" / "systemd").glob("*-celery-worker.service")).read_text()
    stop_timeout = int(unit.split("TimeoutStopSec=", 1)[1].split()[0])
    limits = {
        name: task.time_limit or settings.CELERY_TASK_TIME_LIMIT
        for name, task in celery_app.tasks.items()
        if not name.startswith("celery.")
    }
    assert clear_expired_sessions.name in limits
    assert stop_timeout > max(limits.values()), limits


def test_clearing_expired_sessions_runs_daily_from_beat():
    schedule = celery_app.conf.beat_schedule["clear-expired-sessions"]
    assert schedule["task"] == clear_expired_sessions.name
    assert schedule["task"] in celery_app.tasks


def test_the_outbox_is_relayed_every_few_seconds_from_beat():
    schedule = celery_app.conf.beat_schedule["relay-pending-tasks"]
    assert schedule["task"] == relay_pending_tasks.name
    assert schedule["schedule"] <= 30


# Tasks, called directly
# ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_welcome_email_is_sent_to_the_user():
    user = UserFactory.create(email="ann@example.com")
    send_welcome_email(user.pk)
    assert [message.to for message in mail.outbox] == [["ann@example.com"]]
    assert SentEmail.objects.filter(user=user, kind=SentEmail.Kind.WELCOME).count() == 1


@pytest.mark.django_db
def test_welcome_email_delivered_twice_is_sent_once():
    user = UserFactory.create()
    send_welcome_email(user.pk)
    send_welcome_email(user.pk)
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_welcome_email_for_a_deleted_user_sends_nothing():
    user = UserFactory.create()
    user_id = user.pk
    user.delete()
    send_welcome_email(user_id)
    assert mail.outbox == []


@pytest.mark.django_db
def test_welcome_email_that_fails_to_send_is_not_recorded_so_a_retry_sends_it(monkeypatch):
    user = UserFactory.create()

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise ConnectionRefusedError("mail server down")

    monkeypatch.setattr("{{ cookiecutter.project_slug }}.emails.tasks.send_mail", refuse)
    with pytest.raises(ConnectionRefusedError):
        send_welcome_email(user.pk)
    assert not SentEmail.objects.exists()
    monkeypatch.undo()
    send_welcome_email(user.pk)
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_clearing_sessions_deletes_only_expired_ones():
    for age in (timedelta(days=-1), timedelta(days=1)):
        session = SessionStore()
        session.set_expiry(timezone.now() + age)
        session.create()
    clear_expired_sessions()
    assert Session.objects.count() == 1
    assert Session.objects.get().expire_date > timezone.now()


# Call sites: enqueued only once the transaction commits
# ------------------------------------------------------------------------------


@pytest.fixture
def sent_to_broker(monkeypatch) -> list[tuple[Any, ...]]:
    """What the outbox hands to the broker: (task name, args, kwargs, task id)."""
    sent: list[tuple[Any, ...]] = []

    def send_task(name: str, args: list, kwargs: dict, task_id: str, **options: Any) -> None:
        sent.append((name, args, kwargs, task_id))

    monkeypatch.setattr(celery_app, "send_task", send_task)
    monkeypatch.setattr(outbox, "_broker_down_until", 0.0)
    return sent


@pytest.fixture
def broker_down(monkeypatch) -> None:
    def send_task(*args: Any, **kwargs: Any) -> None:
        raise ConnectionRefusedError("broker down")

    monkeypatch.setattr(celery_app, "send_task", send_task)
    monkeypatch.setattr(outbox, "_broker_down_until", 0.0)


@pytest.mark.django_db
def test_creating_a_user_queues_the_welcome_email_in_its_transaction_and_sends_it_on_commit(
    django_capture_on_commit_callbacks, sent_to_broker
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        user = UserFactory.create()
        pending = PendingTask.objects.get()
        assert sent_to_broker == [], "sent before the transaction committed"
    assert len(callbacks) == 1
    assert sent_to_broker == [(send_welcome_email.name, [user.pk], {}, str(pending.task_id))]
    assert not PendingTask.objects.exists(), "the broker accepted it: nothing is left to send"


@pytest.mark.django_db
def test_a_rolled_back_user_leaves_nothing_to_send(django_capture_on_commit_callbacks):
    with (
        django_capture_on_commit_callbacks() as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        UserFactory.create()
        raise RuntimeError("rolled back")
    assert callbacks == []
    assert not PendingTask.objects.exists()


@pytest.mark.django_db
def test_with_the_broker_down_the_user_is_created_and_the_email_waits_in_the_outbox(
    django_capture_on_commit_callbacks, broker_down
):
    with django_capture_on_commit_callbacks(execute=True):
        user = UserFactory.create()
    pending = PendingTask.objects.get()
    assert pending.args == [user.pk]
    assert pending.attempts == 1
    assert "ConnectionRefusedError" in pending.last_error


@pytest.mark.django_db
def test_after_a_failure_requests_leave_their_tasks_to_the_periodic_relay(
    django_capture_on_commit_callbacks, broker_down, monkeypatch
):
    with django_capture_on_commit_callbacks(execute=True):
        UserFactory.create()
    attempts: list[int] = []
    monkeypatch.setattr(outbox, "publish", lambda row: attempts.append(row.pk))
    with django_capture_on_commit_callbacks(execute=True):
        UserFactory.create()
    assert attempts == [], "a request tried the broker that had just failed"
    assert PendingTask.objects.count() == 2


@pytest.mark.django_db
def test_the_periodic_relay_sends_what_waited_once_the_broker_is_back(sent_to_broker):
    # No commit callback runs here: the rows wait as they would have for a broker that was down.
    users = UserFactory.create_batch(3)
    assert PendingTask.objects.count() == 3
    assert relay_pending_tasks() == 3
    assert [args for _, args, _, _ in sent_to_broker] == [[user.pk] for user in users]
    assert not PendingTask.objects.exists()
    assert relay_pending_tasks() == 0, "sent twice"


@pytest.mark.django_db
def test_without_a_broker_the_welcome_email_is_sent_in_process_on_commit(
    django_capture_on_commit_callbacks, monkeypatch
):
    # What local settings do when CELERY_BROKER_URL is unset.
    monkeypatch.setitem(celery_app.conf, "task_always_eager", True)
    with django_capture_on_commit_callbacks(execute=True):
        user = UserFactory.create(email="cy@example.com")
        assert mail.outbox == []
    assert [message.to for message in mail.outbox] == [["cy@example.com"]]
    assert SentEmail.objects.filter(user=user).count() == 1
    assert not PendingTask.objects.exists()


def local_environment_without_a_broker() -> dict[str, str]:
    """A developer's machine with the default .env: local settings, no CELERY_BROKER_URL."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.local"}
    env |= {"DJANGO_READ_DOT_ENV": "false", "DJANGO_SECRET_KEY": "local-settings-test"}
    env.pop("CELERY_BROKER_URL", None)
    return env


def test_local_settings_run_tasks_in_process_only_without_a_broker_url():
    local = "config.settings.local"
    key = {"DJANGO_SECRET_KEY": "local-settings-test"}
    assert load_settings(key, local).CELERY_TASK_ALWAYS_EAGER is True
    with_broker = key | {"CELERY_BROKER_URL": settings.CELERY_BROKER_URL}
    assert load_settings(with_broker, local).CELERY_TASK_ALWAYS_EAGER is False


worker_without_a_broker = ahead(
    "worker_without_a_broker",
    ["-m", "celery", "-A", "config", "worker", "--pool", "solo"],
    local_environment_without_a_broker(),
)


def test_a_worker_refuses_to_start_without_a_broker(worker_without_a_broker):
    result = worker_without_a_broker
    assert result.returncode != 0
    assert "CELERY_BROKER_URL is not set" in result.stderr


@pytest.mark.django_db
def test_saving_an_existing_user_enqueues_nothing(django_capture_on_commit_callbacks, user):
    with django_capture_on_commit_callbacks() as callbacks:
        user.first_name = "Changed"
        user.save()
    assert callbacks == []


# Readiness: the broker is reported, and a broken one does not take the server out of rotation
# ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_readyz_checks_the_broker(client):
    # kombu's in-memory transport: a broker that is always there, without a Redis server.
    with override_settings(CELERY_BROKER_URL="memory://"):
        response = client.get("/readyz/")
    assert response.status_code == 200
    assert response.json()["checks"]["broker"] == "ok"


@pytest.mark.django_db
def test_readyz_reports_an_unreachable_broker_but_stays_in_rotation(client):
    # Requests queue their tasks in the outbox, so the site works on while the broker is down.
    with override_settings(CELERY_BROKER_URL="redis://127.0.0.1:1/0"):  # nothing listens there
        response = client.get("/readyz/")
    assert response.status_code == 200
    assert response.json()["status"] == "degraded"
    assert response.json()["checks"]["broker"] == "error: OperationalError"


# A real worker against the real broker
# ------------------------------------------------------------------------------


def services_required() -> bool:
    return os.environ.get("REQUIRE_SERVICES", "") not in ("", "0")


def reachable(url: str) -> tuple[str, int]:
    """The broker's address; skips the test (fails it, if services are required) without it."""
    parts = urlsplit(url)
    default_port = 6379 if parts.scheme.startswith("redis") else 5672
    address = (parts.hostname or "127.0.0.1", parts.port or default_port)
    try:
        socket.create_connection(address, timeout=2).close()
    except OSError:
        reason = f"The broker is not reachable at {address[0]}:{address[1]} (CELERY_BROKER_URL)"
        if services_required():
            pytest.fail(f"{reason}; REQUIRE_SERVICES is set")
        pytest.skip(reason)
    return address


@pytest.fixture
def broker() -> str:
    url = settings.CELERY_BROKER_URL
    reachable(url)
    return url


@pytest.fixture
def worker_queue(broker: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A worker in a thread, consuming a queue of its own so no other worker takes its tasks.

    The worker notices it should stop only when its event loop wakes. On Redis that is when a
    wait for tasks ends, after a second unless told otherwise (`polling_interval`). With RabbitMQ
    and no heartbeats nothing wakes it before kombu's longest poll, 10 s, so stopping can take
    that long.
    """
    options = {**celery_app.conf.broker_transport_options, "polling_interval": 0.1}
    monkeypatch.setitem(celery_app.conf, "broker_transport_options", options)
    queue = f"test-{uuid.uuid4().hex}"
    with start_worker(
        celery_app, pool="solo", perform_ping_check=False, queues=[queue], shutdown_timeout=30
    ):
        yield queue
    with celery_app.connection_for_write() as connection:
        Queue(queue).bind(connection.default_channel).delete()


@pytest.mark.django_db(transaction=True)
def test_a_worker_sends_the_welcome_email_through_the_broker(worker_queue, monkeypatch):
    # Creating the user commits at once here; keep its outbox relay off the shared default queue.
    monkeypatch.setattr(outbox, "relay_after_commit", lambda pk: None)
    user = UserFactory.create(email="bo@example.com")
    # Waiting on the worker's signal rather than polling the table: on SQLite the suite's
    # in-memory database is shared between threads in shared-cache mode, where a read in this
    # thread would make the worker's insert fail at once instead of waiting.
    task_id = str(uuid.uuid4())
    finished = threading.Event()

    def on_finish(**signal: Any) -> None:
        if signal.get("task_id") == task_id:
            finished.set()

    task_postrun.connect(on_finish, weak=False)
    try:
        send_welcome_email.apply_async((user.pk,), queue=worker_queue, task_id=task_id)
        assert finished.wait(20), "the worker did not finish the task in 20 s"
    finally:
        task_postrun.disconnect(on_finish)
    assert SentEmail.objects.filter(user=user).count() == 1
    assert [message.to for message in mail.outbox] == [["bo@example.com"]]


# Redis restarting under a worker
# ------------------------------------------------------------------------------


class Relay:
    """A loopback relay to Redis that a test cuts, as a Redis restart cuts its clients off.

    Cut, it closes every relayed connection and refuses new ones until restored. The machine's
    Redis is shared, so the test may not stop it; a relay of a few lines is all it takes.
    """

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.port = 0
        self.sockets: list[socket.socket] = []
        self.restore()

    def restore(self) -> None:
        self.server = socket.create_server(("127.0.0.1", self.port))
        self.port = self.server.getsockname()[1]
        threading.Thread(target=self.accept, args=(self.server,), daemon=True).start()

    def accept(self, server: socket.socket) -> None:
        while True:
            try:
                client, _ = server.accept()
            except OSError:
                return  # cut
            upstream = socket.create_connection(self.target)
            self.sockets += [client, upstream]
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self.pipe, args=(source, sink), daemon=True).start()

    @staticmethod
    def pipe(source: socket.socket, sink: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                sink.sendall(data)

    def cut(self) -> None:
        for connection in [self.server, *self.sockets]:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)  # wakes the threads blocked on it
            connection.close()
        self.sockets.clear()


@pytest.fixture
def relay(broker: str) -> Iterator[Relay]:
    if not broker.startswith("redis"):
        pytest.skip("config/celery_redis.py serves redis:// URLs, and the broker is RabbitMQ")
    relay = Relay(reachable(broker))
    yield relay
    relay.cut()


def test_a_worker_cut_off_from_redis_closes_its_connection_and_acknowledges_its_tasks_later(
    relay,
):
    # What a worker's consumer does when Redis restarts while the worker holds tasks: it collects
    # the lost connection, then closes it (celery.worker.consumer.Consumer.
    # on_connection_error_after_connected), and the tasks it held finish and are acknowledged
    # afterwards. With kombu's own transport that close raised AttributeError, which stopped the
    # worker (config/celery_redis.py).
    broker = urlsplit(settings.CELERY_BROKER_URL)
    userinfo = broker.netloc.rpartition("@")[0]
    url = broker._replace(netloc=f"{userinfo}@127.0.0.1:{relay.port}".lstrip("@")).geturl()
    first, second = Queue(f"test-{uuid.uuid4().hex}"), Queue(f"test-{uuid.uuid4().hex}")
    held: list[Any] = []
    with celery_app.connection_for_write(url) as connection:
        with connection.Producer() as producer:
            for queue in (first, second):
                producer.publish({"queue": queue.name}, routing_key=queue.name, declare=[queue])
        # The worker's channel holds a task and waits for the next one, as its event loop does;
        # a second channel holds a task too.
        with Consumer(connection.default_channel, [first], callbacks=[lambda _, m: held.append(m)]):
            connection.drain_events(timeout=5)
            with pytest.raises(socket.timeout):
                connection.drain_events(timeout=0.2)
        held.append(second(connection.channel()).get(no_ack=False))
        assert [message.payload["queue"] for message in held] == [first.name, second.name]

        relay.cut()
        with contextlib.suppress(Exception):  # as Celery does
            connection.collect(socket_timeout=5)
        ignore_errors(connection, connection.close)  # only connection errors are expected here
        relay.restore()
        for message in held:
            message.ack()

    client = Redis.from_url(settings.CELERY_BROKER_URL)
    try:
        for message in held:
            assert not client.hexists("unacked", message.delivery_tag), "handed out again later"
        assert client.llen(first.name) == client.llen(second.name) == 0
    finally:
        client.delete(first.name, second.name)
