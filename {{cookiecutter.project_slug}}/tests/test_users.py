import pytest
from django.contrib.auth import get_user_model

from .conftest import PASSWORD
from .factories import UserFactory

User = get_user_model()
pytestmark = pytest.mark.django_db


def test_the_project_uses_its_own_user_model():
    assert User._meta.label == "users.User"


def test_new_passwords_are_hashed_with_argon2(settings):
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.Argon2PasswordHasher",
        "django.contrib.auth.hashers.MD5PasswordHasher",
    ]
    user = UserFactory.create()
    user.set_password(PASSWORD)
    assert user.password.startswith("argon2$")


def test_admin_lists_and_edits_users(client, admin_user):
    other = UserFactory.create()
    client.force_login(admin_user)
    assert client.get("/admin/users/user/").status_code == 200
    assert client.get(f"/admin/users/user/{other.pk}/change/").status_code == 200
