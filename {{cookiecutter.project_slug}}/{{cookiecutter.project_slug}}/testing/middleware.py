"""A development-time warning when one request runs the same SQL many times.

Listed in config/settings/local.py only: the warning shows in the runserver console while the page
is being written, long before a query-budget test or production traffic finds the N+1.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from .queries import format_group, record_queries

logger = logging.getLogger(__name__)


class RepeatedQueriesMiddleware:
    """Log a warning naming any SQL a request ran REPEATED_QUERIES_WARNING_AT times or more."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.threshold: int = getattr(settings, "REPEATED_QUERIES_WARNING_AT", 10)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with record_queries() as recording:
            response = self.get_response(request)
        repeated = recording.repeated(at_least=self.threshold)
        if repeated:
            logger.warning(
                "%s %s ran the same SQL %d times, a query per row? See docs/query-budgets.md.\n%s",
                request.method,
                request.get_full_path(),
                repeated[0].count,
                "\n".join(format_group(group) for group in repeated),
            )
        return response
