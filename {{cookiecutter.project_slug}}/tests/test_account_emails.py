"""allauth's emails leave through the outbox once the request's transaction commits."""

from typing import Any

import pytest
from django.core import mail

from {{ cookiecutter.project_slug }}.emails.tasks import send_rendered_email, send_welcome_email
from {{ cookiecutter.project_slug }}.outbox import services as outbox
from {{ cookiecutter.project_slug }}.outbox.models import PendingTask
from config.celery_app import app as celery_app

from .conftest import PASSWORD

pytestmark = pytest.mark.django_db


def sign_up(client) -> None:
    data = {"email": "new@example.com", "password1": PASSWORD, "password2": PASSWORD}
{%- if cookiecutter.username_type == "username" %}
    data["username"] = "newcomer"
{%- endif %}
    assert client.post("/accounts/signup/", data).status_code == 302


@pytest.fixture
def sent_to_broker(monkeypatch) -> list[tuple[str, list, dict[str, Any]]]:
    """(task name, args, options) for each task the outbox hands to the broker."""
    sent: list[tuple[str, list, dict[str, Any]]] = []

    def send_task(name: str, args: list, kwargs: dict, **options: Any) -> None:
        sent.append((name, args, options))

    monkeypatch.setattr(celery_app, "send_task", send_task)
    monkeypatch.setattr(outbox, "_broker_down_until", 0.0)
    return sent


def test_the_confirmation_email_goes_through_the_outbox_on_commit_and_is_sent_by_the_task(
    client, sent_to_broker, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        sign_up(client)
    assert sent_to_broker == []  # nothing leaves before the new account is committed
    assert PendingTask.objects.filter(name=send_rendered_email.name).count() == 1
    assert mail.outbox == []
    for callback in callbacks:
        callback()
    [(message,)] = [args for name, args, _ in sent_to_broker if name == send_rendered_email.name]
    [options] = [options for name, _, options in sent_to_broker if name == send_rendered_email.name]
    assert not PendingTask.objects.exists(), "the broker accepted it: nothing is left to send"
    assert message["to"] == ["new@example.com"]
    assert "/accounts/confirm-email/" in message["body"]
    # The link is a credential: the broker's headers, monitors and logs see a placeholder.
    assert options["argsrepr"] == "(<redacted>)"
    assert "confirm-email" not in repr(options)

    send_rendered_email(message)
    [email] = mail.outbox
    assert email.subject == message["subject"]
    assert email.body == message["body"]
    assert email.to == ["new@example.com"]


def test_other_tasks_show_their_arguments(
    client, sent_to_broker, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        sign_up(client)
    # The welcome email's task carries only the user's id: nothing to hide.
    [options] = [options for name, _, options in sent_to_broker if name == send_welcome_email.name]
    assert options["argsrepr"] is None


def test_a_refused_send_is_retried_as_the_welcome_email_is():
    for option in ("autoretry_for", "retry_backoff_max", "max_retries", "time_limit"):
        assert getattr(send_rendered_email, option) == getattr(send_welcome_email, option)
