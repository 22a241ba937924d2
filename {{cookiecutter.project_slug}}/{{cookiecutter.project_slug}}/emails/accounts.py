"""allauth's emails (verification, password reset, security notices) through the task queue.

The message is rendered in the request, which knows the site, the links and the language, and
handed to a worker through the outbox, as the welcome email is: a mail server or a broker that is
slow or down then delays the email instead of the page, and a failed send is retried.
"""

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from django.contrib.sites.shortcuts import get_current_site
from django.core.mail import EmailMessage

from {{ cookiecutter.project_slug }}.outbox.services import enqueue

from .tasks import send_rendered_email


def as_task_argument(message: EmailMessage) -> dict[str, Any]:
    """The parts of a rendered message, as JSON the task queue can carry."""
    return {
        "subject": message.subject,
        "body": message.body,
        "from_email": message.from_email,
        "to": list(message.to),
        "headers": dict(message.extra_headers),
        "alternatives": [list(part) for part in getattr(message, "alternatives", [])],
    }


class QueuedEmailAccountAdapter(DefaultAccountAdapter):
    def send_mail(self, template_prefix: str, email: str, context: dict[str, Any]) -> None:
        request = allauth_context.request
        # The same context allauth's own send_mail gives its templates.
        message = self.render_mail(
            template_prefix,
            email,
            {
                "request": request,
                "email": email,
                "current_site": get_current_site(request),
                **context,
            },
        )
        # The body holds a confirmation or reset link: the task is declared with redact_arguments,
        # so the broker's headers, monitors and logs show a placeholder instead of the message.
        enqueue(send_rendered_email, as_task_argument(message))
