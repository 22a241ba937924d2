"""Sign-in and password-reset posts are limited per client address, wherever they are routed."""

import importlib

import pytest
from django.urls import clear_url_caches

import config.urls

pytestmark = pytest.mark.django_db

ADMIN_PATH = "staff-7f3a/"


@pytest.fixture
def admin_moved(settings):
    """The admin routed at ADMIN_PATH, as DJANGO_ADMIN_URL would put it."""
    original = settings.ADMIN_URL
    settings.ADMIN_URL = ADMIN_PATH
    importlib.reload(config.urls)
    clear_url_caches()
    yield f"/{ADMIN_PATH}"
    settings.ADMIN_URL = original
    importlib.reload(config.urls)
    clear_url_caches()


def attempts(client, path: str, count: int, **extra) -> list[int]:
    form = {"username": "nobody", "password": "wrong", "email": "nobody@example.com"}
    return [client.post(path, form, **extra).status_code for _ in range(count)]


def test_sign_in_posts_past_the_limit_get_429_with_retry_after(client):
    assert attempts(client, "/accounts/login/", 10) == [200] * 10
    refused = client.post("/accounts/login/", {"username": "nobody", "password": "wrong"})
    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= 60
    assert b"Too many attempts" in refused.content


def test_the_admin_login_is_limited_at_whatever_path_it_is_moved_to(client, admin_moved):
    login = f"{admin_moved}login/"
    assert client.get(login).status_code == 200
    assert attempts(client, login, 11) == [200] * 10 + [429]


def test_password_reset_posts_are_limited(client):
    assert attempts(client, "/accounts/password_reset/", 6) == [302] * 5 + [429]


def test_the_limit_is_per_client_address(client):
    attempts(client, "/accounts/login/", 11)
    assert attempts(client, "/accounts/login/", 1, REMOTE_ADDR="198.51.100.7") == [200]


def test_a_spoofed_x_forwarded_for_does_not_escape_the_limit(client):
    statuses = [
        client.post(
            "/accounts/login/",
            {"username": "nobody", "password": "wrong"},
            HTTP_X_FORWARDED_FOR=f"203.0.113.{number}",
        ).status_code
        for number in range(11)
    ]
    assert statuses[-1] == 429


def test_reading_the_forms_is_not_limited(client):
    attempts(client, "/accounts/login/", 11)
    assert client.get("/accounts/login/").status_code == 200
