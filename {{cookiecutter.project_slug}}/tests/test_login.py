"""Django's own login, logout and password views (templates/registration)."""

import pytest

from .conftest import PASSWORD
from .test_pages import external_links

pytestmark = pytest.mark.django_db


def test_a_user_logs_in_and_out(client, user):
    response = client.post(
        "/accounts/login/", {"username": user.get_username(), "password": PASSWORD}
    )
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.get("/").context["user"] == user

    client.post("/accounts/logout/")
    assert not client.get("/").context["user"].is_authenticated


def test_a_wrong_password_is_refused(client, user):
    response = client.post(
        "/accounts/login/", {"username": user.get_username(), "password": "wrong"}
    )
    assert response.status_code == 200
    assert not response.context["user"].is_authenticated


def test_password_change_needs_a_login(client):
    response = client.get("/accounts/password_change/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize(
    "path",
    ["/", "/accounts/login/", "/accounts/password_reset/", "/accounts/password_change/"],
)
def test_pages_load_nothing_from_other_origins(client, user, path):
    client.force_login(user)
    assert external_links(client.get(path).content.decode()) == []
