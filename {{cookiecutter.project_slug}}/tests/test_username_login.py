"""Users sign in with a username."""

import pytest
from django.contrib.auth import authenticate, get_user_model

from .conftest import PASSWORD
from .factories import UserFactory

User = get_user_model()
pytestmark = pytest.mark.django_db


def test_users_log_in_with_their_username():
    user = UserFactory.create(username="ann")
    assert authenticate(username="ann", password=PASSWORD) == user


def test_a_user_is_shown_by_username():
    assert str(UserFactory.create(username="ann")) == "ann"


def test_create_superuser_sets_staff_and_superuser():
    admin = User.objects.create_superuser("root", "root@example.com", PASSWORD)
    assert admin.is_staff
    assert admin.is_superuser


def test_admin_creates_a_user_with_a_username(client, admin_user):
    client.force_login(admin_user)
    response = client.post(
        "/admin/users/user/add/",
        {
            "username": "newcomer",
            "usable_password": "true",
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert User.objects.filter(username="newcomer").exists()
