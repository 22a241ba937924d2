"""One error shape for every failed request to the REST API.

    {
        "error": {
            "status": 400,
            "code": "invalid",
            "message": "The request has invalid fields.",
            "fields": {"first_name": ["Ensure this field has no more than 150 characters."]}
        }
    }

`code` is stable for clients to branch on, `message` is for people, and `fields` (validation
errors only) maps each field, or "non_field_errors", to its messages.
"""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    # Django's own exceptions become their REST framework equivalents, as the default handler does.
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None or not isinstance(exc, exceptions.APIException):
        # Not an API error: Django answers 500 and reports it like any other crash.
        return response
    error: dict[str, Any] = {"status": response.status_code}
    if isinstance(exc, exceptions.ValidationError):
        detail = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        error.update(code="invalid", message="The request has invalid fields.", fields=detail)
    else:
        codes = exc.get_codes()
        error.update(code=codes if isinstance(codes, str) else exc.default_code, message=str(exc))
    response.data = {"error": error}
    return response
