"""Health probes: /healthz/ for liveness, /readyz/ for readiness, both open to load balancers."""

import pytest
from django.db import OperationalError

from {{ cookiecutter.project_slug }}.core import health

LOAD_BALANCER_IP = "10.0.0.7"
{%- if cookiecutter.use_celery %}


@pytest.fixture(autouse=True)
def broker_in_memory(settings):
    # kombu's in-memory transport: a broker that is always there, without a Redis server.
    settings.CELERY_BROKER_URL = "memory://"
{%- endif %}


# No django_db mark: pytest-django makes any database access in this test an error.
def test_healthz_answers_without_touching_the_database(client):
    response = client.get("/healthz/")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-store" in response["Cache-Control"]


@pytest.mark.django_db
def test_readyz_reports_every_check_ok(client):
    response = client.get("/readyz/")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {name: "ok" for name in health.CHECKS},
    }


@pytest.mark.django_db
def test_readyz_is_unavailable_when_the_database_fails(client, monkeypatch):
    def database_down() -> None:
        raise OperationalError("connection refused")

    monkeypatch.setitem(health.CHECKS, "database", database_down)
    response = client.get("/readyz/")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["database"] == "error: OperationalError"
    assert body["checks"]["cache"] == "ok"
{%- if cookiecutter.use_celery %}


@pytest.mark.django_db
def test_readyz_is_unavailable_when_the_broker_is_unreachable(client, settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    response = client.get("/readyz/")
    assert response.status_code == 503
    assert response.json()["checks"]["broker"] == "error: OperationalError"
{%- endif %}


def test_probes_answer_a_load_balancer_that_sends_its_ip_as_host(client):
    response = client.get("/healthz/", HTTP_HOST=LOAD_BALANCER_IP)
    assert response.status_code == 200


def test_other_pages_still_refuse_an_unknown_host(client):
    response = client.get("/", HTTP_HOST=LOAD_BALANCER_IP)
    assert response.status_code == 400


def test_probes_only_answer_reads(client):
    response = client.post("/healthz/")
    assert response.status_code != 200
