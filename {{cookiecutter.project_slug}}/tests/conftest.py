import json

import pytest
from django.core.cache import cache
from django.db import connection

from {{ cookiecutter.project_slug }}.core.health import readiness

from .factories import UserFactory
from .processes import ahead, start_ahead, stop_unread
from .production import BOOT_SCRIPT, PRODUCTION, VALID, process_environment

# Query-budget fixtures (query_budget, constant_queries) and the --update-query-counts option.
pytest_plugins = ["{{ cookiecutter.project_slug }}.testing.pytest_plugin"]

PASSWORD = "correct horse battery staple"


@pytest.fixture(autouse=True)
def _fresh_counters_and_probes():
    # Rate-limit counters live in the cache, the last readiness result in memory: both would
    # outlive the test that filled them.
    cache.clear()
    readiness.forget()


def pytest_report_header(config: pytest.Config) -> str:
    """Which database the run uses, on the first lines of every run."""
    if connection.vendor == "sqlite":
        return "database: SQLite in memory (set DATABASE_URL in .env for PostgreSQL)"
    database = connection.settings_dict
    name = database["TEST"]["NAME"] or f"test_{database['NAME']}"
    where = f"{database['HOST'] or 'localhost'}:{database['PORT'] or 5432}"
    return f"database: {connection.display_name} {name} on {where} (from DATABASE_URL)"


@pytest.fixture
def user(db):
    return UserFactory.create()


@pytest.fixture
def admin_user(db):
    return UserFactory.create(is_staff=True, is_superuser=True)


def pytest_collection_finish(session: pytest.Session) -> None:
    start_ahead(session.items)


def pytest_sessionfinish(session: pytest.Session) -> None:
    stop_unread()


production_process = ahead(
    "production_process", ["-c", BOOT_SCRIPT], process_environment(VALID, PRODUCTION)
)


@pytest.fixture(scope="session")
def production_boot(production_process) -> dict:
    """What one process booted with production settings found (tests/production.py)."""
    assert production_process.returncode == 0, production_process.stderr
    findings = json.loads(production_process.stdout.strip().splitlines()[-1])
    return {**findings, "stderr": production_process.stderr}
