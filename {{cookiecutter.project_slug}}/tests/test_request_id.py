"""Every response and every log line of a request carry its X-Request-ID."""

import logging
import re

import pytest

from {{ cookiecutter.project_slug }}.core import health
from {{ cookiecutter.project_slug }}.core.request_id import RequestIdFilter


@pytest.fixture
def records():
    """Log records as the project's handlers see them, after the request-id filter."""
    captured: list[logging.LogRecord] = []

    class Capture(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            captured.append(record)

    handler = Capture()
    handler.addFilter(RequestIdFilter())
    logging.getLogger().addHandler(handler)
    yield captured
    logging.getLogger().removeHandler(handler)


def test_response_echoes_the_request_id_from_the_proxy(client):
    response = client.get("/healthz/", HTTP_X_REQUEST_ID="4f0c2a9e8b7d4c1f9a3e5b6d7c8e9f01")
    assert response["X-Request-ID"] == "4f0c2a9e8b7d4c1f9a3e5b6d7c8e9f01"


@pytest.mark.parametrize("incoming", ["", "has spaces", "x" * 65, "new\nline"])
def test_a_missing_or_malformed_request_id_is_replaced(client, incoming):
    response = client.get("/healthz/", HTTP_X_REQUEST_ID=incoming)
    assert re.fullmatch(r"[0-9a-f]{32}", response["X-Request-ID"])


def cache_down() -> None:
    raise ConnectionError("cache unreachable")


@pytest.mark.django_db
def test_log_lines_of_a_request_carry_its_id(client, settings, records):
    settings.HEALTH_CHECKS = {"cache": f"{__name__}.cache_down"}
    client.get("/readyz/", HTTP_X_REQUEST_ID="req-42")
    warnings = [record for record in records if record.name == health.__name__]
    assert warnings
    assert {getattr(record, "request_id", None) for record in warnings} == {"req-42"}


def test_log_lines_outside_a_request_have_a_placeholder(records):
    logging.getLogger("{{ cookiecutter.project_slug }}").warning("no request here")
    assert getattr(records[-1], "request_id", None) == "-"
