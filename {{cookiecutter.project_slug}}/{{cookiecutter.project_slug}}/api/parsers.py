"""The one request body format the API reads: JSON, refused cleanly whatever arrives.

Django REST framework's own JSON parser reads a body of any size (Django's
DATA_UPLOAD_MAX_MEMORY_SIZE only guards forms) and lets the RecursionError of deeply nested JSON
through as a 500. This one reads at most DATA_UPLOAD_MAX_MEMORY_SIZE bytes, answering 413 past
it, and turns every malformed body into a 400.
"""

import json
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from rest_framework import parsers
from rest_framework.exceptions import ParseError

from .exceptions import RequestTooLarge


class JSONParser(parsers.JSONParser):
    def parse(
        self,
        stream: Any,
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        body = stream.read() if limit is None else stream.read(limit + 1)
        if limit is not None and len(body) > limit:
            raise RequestTooLarge()
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            text = body.decode(encoding)
        except (LookupError, UnicodeDecodeError) as error:
            raise ParseError(f"The body is not valid {encoding} text.") from error
        try:
            return json.loads(text, parse_constant=self.refuse_constant if self.strict else None)
        except RecursionError as error:
            raise ParseError("The JSON is nested too deeply.") from error
        except ValueError as error:
            raise ParseError(f"The body is not valid JSON: {error}") from error

    @staticmethod
    def refuse_constant(name: str) -> None:
        # NaN and Infinity are not JSON, though Python's json module reads them.
        raise ValueError(f"{name} is not a valid JSON value")
