"""Request ids: one id per request, in every log line it causes and in the response.

nginx generates the id (`$request_id`) and passes it as X-Request-ID, replacing any the client
sent, so the nginx access log, Gunicorn's access log and the application's logs can be joined on
it. Without nginx (runserver, tests) the id is made here. A few lines of our own instead of
django-guid or django-log-request-id (both also keep the id in a context variable): the first
accepts only UUIDs and logs at INFO on every request, the second writes whatever the header holds
into the logs. This accepts a short token of safe characters and replaces anything else.
"""

import logging
import re
import uuid
from collections.abc import Callable
from contextvars import ContextVar

from django.http import HttpRequest, HttpResponse

HEADER = "X-Request-ID"
# What a proxy may hand us: nginx sends 32 hex digits; anything odd or long is replaced rather
# than written into the logs.
ACCEPTED = re.compile(r"[A-Za-z0-9._-]{1,64}")
NO_REQUEST = "-"

current_request_id: ContextVar[str] = ContextVar("request_id", default=NO_REQUEST)


class RequestIdMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get(HEADER, "")
        request_id = incoming if ACCEPTED.fullmatch(incoming) else uuid.uuid4().hex
        token = current_request_id.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            current_request_id.reset(token)
        response[HEADER] = request_id
        return response


class RequestIdFilter(logging.Filter):
    """Adds `request_id` to every record, so formatters can print it ("-" outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id.get()
        return True
