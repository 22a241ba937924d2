import environ
import pytest
import sentry_sdk

from config.sentry import init_sentry


@pytest.fixture
def sentry_client():
    yield sentry_sdk.get_client
    sentry_sdk.init()  # back to a disabled client


def test_sentry_stays_off_without_a_dsn(monkeypatch, sentry_client):
    monkeypatch.delenv("SENTRY_DSN", raising=False)
    init_sentry(environ.Env())
    assert not sentry_client().is_active()


def test_sentry_reports_without_personal_data(monkeypatch, sentry_client):
    monkeypatch.setenv("SENTRY_DSN", "https://public@sentry.invalid/1")
    monkeypatch.setenv("SENTRY_ENVIRONMENT", "staging")
    monkeypatch.setenv("SENTRY_TRACES_SAMPLE_RATE", "0.25")
    init_sentry(environ.Env())
    options = sentry_client().options
    assert not options["send_default_pii"]
    assert options["data_collection"]["user_info"] is False
    assert options["data_collection"]["http_bodies"] == []
    assert options["environment"] == "staging"
    assert options["traces_sample_rate"] == 0.25
