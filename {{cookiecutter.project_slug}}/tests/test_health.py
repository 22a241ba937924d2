"""Health probes: /healthz/ for liveness, /readyz/ for readiness, both open to load balancers."""

import pytest
from django.db import OperationalError

from {{ cookiecutter.project_slug }}.core import health

LOAD_BALANCER_IP = "10.0.0.7"
# Database and cache are checked for real; checks of services the suite may lack are replaced by
# this one here and tested against a live service in their own module.
LOCAL_CHECKS = ("database", "cache")


def passes() -> None:
    """A check that always passes."""


def database_down() -> None:
    raise OperationalError("connection refused")


@pytest.fixture(autouse=True)
def local_checks_only(settings):
    settings.HEALTH_CHECKS = {
        name: path if name in LOCAL_CHECKS else f"{__name__}.passes"
        for name, path in settings.HEALTH_CHECKS.items()
    }


# No django_db mark: pytest-django makes any database access in this test an error.
def test_healthz_answers_without_touching_the_database(client):
    response = client.get("/healthz/")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-store" in response["Cache-Control"]


@pytest.mark.django_db
def test_readyz_reports_every_check_ok(client, settings):
    response = client.get("/readyz/")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {name: "ok" for name in settings.HEALTH_CHECKS},
    }


@pytest.mark.django_db
def test_readyz_is_unavailable_when_the_database_fails(client, settings):
    settings.HEALTH_CHECKS = {**settings.HEALTH_CHECKS, "database": f"{__name__}.database_down"}
    response = client.get("/readyz/")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["database"] == "error: OperationalError"
    assert body["checks"]["cache"] == "ok"


RUNS: list[float] = []


def counted() -> None:
    """A check that passes and records when it ran."""
    RUNS.append(health.time.monotonic())


@pytest.fixture
def clock(monkeypatch):
    now = [1000.0]
    monkeypatch.setattr(health.time, "monotonic", lambda: now[0])
    return now


@pytest.mark.django_db
def test_readyz_runs_its_checks_at_most_once_a_second(client, settings, clock):
    RUNS.clear()
    settings.HEALTH_CHECKS = {**settings.HEALTH_CHECKS, "database": f"{__name__}.counted"}
    for _ in range(5):
        assert client.get("/readyz/").status_code == 200
    assert len(RUNS) == 1
    clock[0] += 1.0
    client.get("/readyz/")
    assert len(RUNS) == 2


@pytest.mark.django_db
def test_readyz_shows_a_failure_once_its_last_result_is_a_second_old(client, settings, clock):
    assert client.get("/readyz/").status_code == 200
    settings.HEALTH_CHECKS = {**settings.HEALTH_CHECKS, "database": f"{__name__}.database_down"}
    clock[0] += 0.5
    assert client.get("/readyz/").status_code == 200  # the result of half a second ago
    clock[0] += 0.5
    assert client.get("/readyz/").status_code == 503


def test_probes_answer_a_load_balancer_that_sends_its_ip_as_host(client):
    response = client.get("/healthz/", HTTP_HOST=LOAD_BALANCER_IP)
    assert response.status_code == 200


def test_other_pages_still_refuse_an_unknown_host(client):
    response = client.get("/", HTTP_HOST=LOAD_BALANCER_IP)
    assert response.status_code == 400


def test_probes_only_answer_reads(client):
    response = client.post("/healthz/")
    assert response.status_code != 200
