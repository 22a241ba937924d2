import pytest

pytestmark = pytest.mark.django_db


def test_me_needs_authentication(client):
    assert client.get("/api/users/me/").status_code == 403


def test_me_shows_the_signed_in_user(client, user):
    client.force_login(user)
    response = client.get("/api/users/me/")
    assert response.status_code == 200
    assert response.json()["email"] == user.email


def test_me_changes_the_name(client, user):
    client.force_login(user)
    response = client.patch(
        "/api/users/me/", {"first_name": "Ada"}, content_type="application/json"
    )
    assert response.status_code == 200
    user.refresh_from_db()
    assert user.first_name == "Ada"


def test_schema_describes_the_api(admin_client):
    response = admin_client.get("/api/schema/")
    assert response.status_code == 200
    assert b"/api/users/me/" in response.content
