"""Users sign in with their email address; there is no username."""

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.db import IntegrityError

from .conftest import PASSWORD
from .factories import UserFactory

User = get_user_model()
pytestmark = pytest.mark.django_db


def test_users_have_no_username():
    assert User.USERNAME_FIELD == "email"
    assert "username" not in {field.name for field in User._meta.get_fields()}


def test_users_log_in_with_their_email_in_any_case():
    user = UserFactory.create(email="Ann@Example.com")
    assert authenticate(username="ann@example.COM", password=PASSWORD) == user


def test_emails_are_unique_whatever_their_case():
    UserFactory.create(email="ann@example.com")
    with pytest.raises(IntegrityError):
        User.objects.create_user(email="ANN@example.com", password=PASSWORD)


def test_create_user_needs_an_email():
    with pytest.raises(ValueError, match="email"):
        User.objects.create_user(email="", password=PASSWORD)


def test_create_user_lowercases_the_domain():
    assert User.objects.create_user(email="Ann@EXAMPLE.COM").email == "Ann@example.com"


def test_create_superuser_sets_staff_and_superuser():
    admin = User.objects.create_superuser(email="root@example.com", password=PASSWORD)
    assert admin.is_staff
    assert admin.is_superuser


def test_a_user_is_shown_by_email():
    assert str(UserFactory.create(email="ann@example.com")) == "ann@example.com"


def test_admin_creates_a_user_with_an_email(client, admin_user):
    client.force_login(admin_user)
    response = client.post(
        "/admin/users/user/add/",
        {
            "email": "newcomer@example.com",
            "usable_password": "true",
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert User.objects.filter(email="newcomer@example.com").exists()
