"""The OpenAPI schema, told the whole truth: error responses, and formats every row matches.

drf-spectacular documents the successful response of each operation only. Every operation here
also answers in the error shape of api/exceptions.py: 400 for a malformed request, 401 without
valid credentials, 403 when they are not enough, 404 for an unknown page or format, 406 when no
asked-for format is served, 429 past the rate; an operation with a body adds 413 and 415. An
email field that may be blank is not `format: email` for every row: it says so. And text fields
that refuse hidden characters (api/validators.py) say that too.
"""

from typing import Any

from django.core.exceptions import FieldDoesNotExist
from drf_spectacular import openapi
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers

from .validators import HIDDEN_CHARACTERS, visible_text


class ErrorDetailSerializer(serializers.Serializer):
    status = serializers.IntegerField()
    code = serializers.CharField(help_text="Stable, for programs: invalid, not_found, throttled...")
    message = serializers.CharField(help_text="For people.")
    # Declared fields leave the class (DRF's metaclass collects them), so this name does not
    # replace Serializer.fields at run time; mypy only sees the class body.
    fields = serializers.DictField(  # type: ignore[assignment]
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="Validation errors only: the messages for each field, or non_field_errors.",
    )


class ErrorSerializer(serializers.Serializer):
    error = ErrorDetailSerializer()


ERRORS = {
    400: "The request is malformed or has invalid fields.",
    401: "Credentials are missing or wrong.",
    403: "The credentials do not allow this.",
    404: "No such page, or no such format.",
    406: "None of the formats in Accept is served.",
    413: "The request body is too large.",
    415: "The request body is not JSON.",
    429: "Too many requests: retry after the seconds in Retry-After.",
}
BODY_ERRORS = {413, 415}


def may_be_blank(field: serializers.Field) -> bool:
    """Whether a field's value may be "", read-only fields included (they lose allow_blank)."""
    if getattr(field, "allow_blank", False):
        return True
    model = getattr(getattr(field.parent, "Meta", None), "model", None)
    try:
        return bool(model._meta.get_field(field.source).blank)  # type: ignore[union-attr]
    except (AttributeError, FieldDoesNotExist):
        return False


class AutoSchema(openapi.AutoSchema):
    def error_statuses(self) -> list[int]:
        statuses = [status for status in ERRORS if status not in BODY_ERRORS]
        if self.method in ("POST", "PUT", "PATCH"):
            statuses += sorted(BODY_ERRORS)
        # 401 even where anyone may call: a wrong token is refused wherever it is sent.
        return sorted(statuses)

    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        responses = super()._get_response_bodies(direction)
        for status in self.error_statuses():
            error = OpenApiResponse(ErrorSerializer, description=ERRORS[status])
            responses.setdefault(str(status), self._get_response_for_code(error, str(status)))
        return responses

    def _insert_field_validators(self, field: Any, schema: dict[str, Any]) -> None:
        super()._insert_field_validators(field, schema)
        if isinstance(field, serializers.EmailField) and may_be_blank(field):
            # A user may have no email address: "" is a valid value, and not an email.
            schema.pop("format", None)
            schema["anyOf"] = [{"format": "email"}, {"maxLength": 0}]
        if visible_text in field.validators:
            schema["not"] = {"pattern": HIDDEN_CHARACTERS.pattern}
