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
errors only) maps each field, or "non_field_errors", to its messages. Errors raised before a view
runs (an unknown URL under /api/, a crash) get the same shape from api/handlers.py.
"""

from typing import Any

from django.core.exceptions import PermissionDenied, RequestDataTooBig, SuspiciousOperation
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


class RequestTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is larger than this API accepts."
    default_code = "too_large"


class BadRequest(exceptions.APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_detail = "The request is malformed."
    default_code = "bad_request"


def as_api_exception(exc: Exception, context: dict[str, Any]) -> Exception:
    """The REST framework exception that answers `exc`, or `exc` itself for a crash."""
    # Django's own exceptions, as the default handler maps them, and the ones Django raises while
    # reading a request (too many fields, too large a body), which it would answer with HTML.
    if isinstance(exc, Http404):
        return exceptions.NotFound()
    if isinstance(exc, PermissionDenied):
        return exceptions.PermissionDenied()
    if isinstance(exc, RequestDataTooBig):
        return RequestTooLarge()
    if isinstance(exc, SuspiciousOperation):
        return BadRequest()
    if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
        # REST framework refuses credentials before it counts the request, so guessing tokens
        # would never be throttled: count the refused request here.
        try:
            context["view"].check_throttles(context["request"])
        except exceptions.Throttled as throttled:
            return throttled
    return exc


def error_body(status_code: int, code: str, message: str, **extra: Any) -> dict[str, Any]:
    error = {"status": status_code, "code": code, "message": message, **extra}
    return {"error": error}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    exc = as_api_exception(exc, context)
    response = drf_exception_handler(exc, context)
    if response is None or not isinstance(exc, exceptions.APIException):
        # Not an API error: Django answers 500 and reports it like any other crash.
        return response
    if isinstance(exc, exceptions.ValidationError):
        detail = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        response.data = error_body(
            response.status_code, "invalid", "The request has invalid fields.", fields=detail
        )
    else:
        codes = exc.get_codes()
        code = codes if isinstance(codes, str) else exc.default_code
        response.data = error_body(response.status_code, str(code), str(exc))
    request = context["request"]
    renderer = getattr(request, "accepted_renderer", None)
    if renderer is not None and renderer.format not in ("json", "api"):
        # Views that answer in another format (the schema's YAML) still err in JSON; the
        # browsable API of a developer's machine keeps its pages.
        request.accepted_renderer, request.accepted_media_type = JSONRenderer(), "application/json"
    return response
