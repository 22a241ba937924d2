import pytest

from .factories import UserFactory

# Query-budget fixtures (query_budget, constant_queries) and the --update-query-counts option.
pytest_plugins = ["{{ cookiecutter.project_slug }}.testing.pytest_plugin"]

PASSWORD = "correct horse battery staple"


@pytest.fixture
def user(db):
    return UserFactory.create()


@pytest.fixture
def admin_user(db):
    return UserFactory.create(is_staff=True, is_superuser=True)
