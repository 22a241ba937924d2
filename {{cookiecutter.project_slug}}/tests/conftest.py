import pytest

from .factories import UserFactory

PASSWORD = "correct horse battery staple"


@pytest.fixture
def user(db):
    return UserFactory.create()


@pytest.fixture
def admin_user(db):
    return UserFactory.create(is_staff=True, is_superuser=True)
