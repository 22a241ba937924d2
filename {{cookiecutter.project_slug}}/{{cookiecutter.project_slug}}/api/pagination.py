import sys
from typing import Any

from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination as BasePageNumberPagination
from rest_framework.request import Request


def whole_number(request: Request, name: str, default: int, maximum: int | None = None) -> int:
    """A query parameter from 1 to `maximum`, refused with a 400 naming it otherwise."""
    raw = request.query_params.get(name)
    if raw is None:
        return default
    if not (raw.isascii() and raw.isdecimal()):  # int() would also read other scripts' digits
        number = 0
    else:
        # int() refuses strings of over 4,300 digits; past 18, a number is past any bound anyway.
        digits = raw.lstrip("0")
        number = int(digits or "0") if len(digits) <= 18 else sys.maxsize
    if number < 1 or (maximum is not None and number > maximum):
        bound = f" and at most {maximum}" if maximum is not None else ""
        raise ValidationError({name: [f"Must be a whole number, at least 1{bound}."]})
    return number


class PageNumberPagination(BasePageNumberPagination):
    """Pages of PAGE_SIZE items; clients may ask for up to 200 with ?page_size=.

    Out-of-range values are refused (400) rather than quietly replaced, so the bounds the schema
    states are the ones enforced; a page past the last one is a 404.
    """

    page_size_query_param = "page_size"
    max_page_size = 200

    def get_page_size(self, request: Request) -> int:
        default = self.page_size or self.max_page_size  # PAGE_SIZE is set in settings
        return whole_number(request, self.page_size_query_param, default, self.max_page_size)

    def get_page_number(self, request: Request, paginator: Any) -> int:
        return whole_number(request, self.page_query_param, 1)

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters = super().get_schema_operation_parameters(view)
        bounds = {
            self.page_query_param: {"minimum": 1},
            self.page_size_query_param: {"minimum": 1, "maximum": self.max_page_size},
        }
        for parameter in parameters:
            parameter["schema"].update(bounds.get(parameter["name"], {}))
        return parameters
