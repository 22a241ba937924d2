"""The API keeps its published contract under generated requests, as staff, user and anonymous.

schemathesis reads the OpenAPI schema the project serves and, for every operation, generates
requests that follow it and requests that break it, sends them to the WSGI application in-process,
and runs all its checks on each answer: no 5xx, every status and body as documented, invalid input
refused, valid input accepted, auth enforced, undocumented methods answered 405. The seed and the
number of examples are fixed, so a run repeats exactly and takes seconds.
"""

import pytest
import schemathesis
from django.contrib.auth import get_user_model
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from rest_framework.authtoken.models import Token
from rest_framework.throttling import SimpleRateThrottle
from schemathesis.config import SchemathesisConfig

from .factories import UserFactory

SEED = 20261129
# Examples per operation and generation mode; raise it locally to search harder.
EXAMPLES = 20
# Fixed, so the configuration can name them before the database has users.
TOKENS = {"staff": "s" * 40, "user": "u" * 40, "anonymous": None}


def contract_config(token: str | None) -> SchemathesisConfig:
    config: dict = {
        "seed": SEED,
        "generation": {"max-examples": EXAMPLES},
        "checks": {"enabled": True},
    }
    if token is not None:
        # Per security scheme, so schemathesis knows it as credentials and can test without them.
        scheme = {"api_key": f"Token {token}"}
        schemes = {"tokenAuth": scheme}
        config["auth"] = {"openapi": schemes}
    return SchemathesisConfig.from_dict(config)


def contract_schema(persona: str) -> schemathesis.schemas.BaseSchema:
    raw = SchemaGenerator().get_schema(request=None, public=True)
    schema = schemathesis.openapi.from_dict(raw, config=contract_config(TOKENS[persona]))
    schema.app = get_wsgi_application()
    return schema


@pytest.fixture(autouse=True)
def personas(db, monkeypatch, settings):
    # The WSGI handler closes the database connection after each request, as in production; the
    # test's transaction lives on it, so keep it open, as Django's own test client does.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "localhost"]  # where schemathesis sends
    # Generated requests come faster than any real client: the rates are not under test here.
    monkeypatch.setattr(SimpleRateThrottle, "allow_request", lambda self, request, view: True)
    for persona, token in TOKENS.items():
        if token is not None:
            user = UserFactory.create(is_staff=persona == "staff")
            Token.objects.create(user=user, key=token)
    if get_user_model()._meta.get_field("email").blank:
        UserFactory.create(email="")  # a user without an email address: the schema must allow it
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@schemathesis.pytest.parametrize(**{persona: contract_schema(persona) for persona in TOKENS})
def test_the_api_keeps_its_contract(case):
    case.call_and_validate()
