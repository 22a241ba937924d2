"""Background tasks: reliable settings, the tasks themselves, their call sites, a real worker."""

import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.core import mail
from django.core.checks import run_checks
from django.db import OperationalError
from django.test import override_settings
from django.utils import timezone
from kombu import Queue

from {{ cookiecutter.project_slug }}.core.tasks import clear_expired_sessions
from {{ cookiecutter.project_slug }}.emails.models import SentEmail
from {{ cookiecutter.project_slug }}.emails.tasks import send_welcome_email
from {{ cookiecutter.project_slug }}.users.models import User

from .factories import UserFactory

ROOT = Path(__file__).resolve().parent.parent
# The project's app (config/celery_app.py), to which every task is bound.
celery_app = send_welcome_email.app


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
    assert conf.broker_transport_options["visibility_timeout"] > conf.task_time_limit


def test_the_default_settings_pass_the_celery_checks():
    assert celery_errors() == []


@override_settings(
    CELERY_TASK_TIME_LIMIT=90, CELERY_BROKER_TRANSPORT_OPTIONS={"visibility_timeout": 90}
)
def test_check_fails_when_the_visibility_timeout_does_not_exceed_the_hard_time_limit():
    assert "celery.E001" in celery_errors()


@override_settings(CELERY_TASK_SOFT_TIME_LIMIT=90, CELERY_TASK_TIME_LIMIT=90)
def test_check_fails_when_the_soft_time_limit_is_not_below_the_hard_one():
    assert "celery.E002" in celery_errors()


@override_settings(CELERY_BROKER_TRANSPORT_OPTIONS={"visibility_timeout": 300})
def test_check_fails_when_a_task_retries_later_than_the_visibility_timeout():
    # send_welcome_email backs off up to 600 s between retries.
    assert "celery.E003" in celery_errors()


def test_manage_py_check_refuses_a_visibility_timeout_set_too_short_in_the_environment():
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"}
        | {"CELERY_VISIBILITY_TIMEOUT": "60", "CELERY_TASK_TIME_LIMIT": "90"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "celery.E001" in result.stderr


def test_a_worker_process_finds_every_task_of_the_project():
    # What `celery -A config worker` imports at start-up, in a fresh interpreter. Django's checks
    # are skipped: they import the tasks modules themselves.
    script = (
        "from config import celery_app\n"
        "celery_app.loader.import_default_modules()\n"
        "print(*sorted(celery_app.tasks))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"}
        | {"CELERY_SKIP_CHECKS": "1"},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    registered = result.stdout.split()
    assert send_welcome_email.name in registered
    assert clear_expired_sessions.name in registered


def test_clearing_expired_sessions_runs_daily_from_beat():
    schedule = celery_app.conf.beat_schedule["clear-expired-sessions"]
    assert schedule["task"] == clear_expired_sessions.name
    assert schedule["task"] in celery_app.tasks


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


@pytest.mark.django_db
def test_creating_a_user_enqueues_the_welcome_email_on_commit(
    django_capture_on_commit_callbacks, monkeypatch
):
    enqueued: list[tuple[Any, ...]] = []
    monkeypatch.setattr(send_welcome_email, "delay", lambda *args: enqueued.append(args))
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        user = UserFactory.create()
        assert enqueued == [], "enqueued before the transaction committed"
    assert len(callbacks) == 1
    assert enqueued == [(user.pk,)]


@pytest.mark.django_db
def test_saving_an_existing_user_enqueues_nothing(django_capture_on_commit_callbacks, user):
    with django_capture_on_commit_callbacks() as callbacks:
        user.first_name = "Changed"
        user.save()
    assert callbacks == []


# A real worker against the real broker
# ------------------------------------------------------------------------------


def services_required() -> bool:
    return os.environ.get("KEEL_REQUIRE_SERVICES", "") not in ("", "0")


@pytest.fixture
def redis_broker() -> str:
    """The broker URL; the test is skipped (or fails, when services are required) without Redis."""
    url = settings.CELERY_BROKER_URL
    parts = urlsplit(url)
    try:
        socket.create_connection((parts.hostname, parts.port or 6379), timeout=2).close()
    except OSError:
        reason = f"Redis is not reachable at {parts.hostname}:{parts.port} (CELERY_BROKER_URL)"
        if services_required():
            pytest.fail(f"{reason}; KEEL_REQUIRE_SERVICES is set")
        pytest.skip(reason)
    return url


@pytest.fixture
def worker_queue(redis_broker: str) -> Iterator[str]:
    """A worker in a thread, consuming a queue of its own so no other worker takes its tasks."""
    queue = f"test-{uuid.uuid4().hex}"
    with start_worker(celery_app, pool="solo", perform_ping_check=False, queues=[queue]):
        yield queue
    with celery_app.connection_for_write() as connection:
        Queue(queue).bind(connection.default_channel).delete()


def sent_to(user: User) -> int | None:
    """Welcome emails recorded for the user, or None while the worker's write holds a lock.

    On SQLite the suite's in-memory database is shared between threads in shared-cache mode, where
    a read during the worker thread's transaction fails at once instead of waiting.
    """
    try:
        return SentEmail.objects.filter(user=user).count()
    except OperationalError:
        return None


@pytest.mark.django_db(transaction=True)
def test_a_worker_sends_the_welcome_email_through_redis(worker_queue, monkeypatch):
    # Creating the user commits at once here; keep that enqueue off the shared default queue.
    monkeypatch.setattr(send_welcome_email, "delay", lambda *args: None)
    user = UserFactory.create(email="bo@example.com")
    send_welcome_email.apply_async((user.pk,), queue=worker_queue)
    deadline = time.monotonic() + 20
    while sent_to(user) != 1 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert sent_to(user) == 1
    assert [message.to for message in mail.outbox] == [["bo@example.com"]]
