"""The release step's migration commands: the linter (lint_migrations) and migrate_safely."""

import psycopg
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction

from {{ cookiecutter.project_slug }}.core.management.commands import migrate_safely

pytestmark = pytest.mark.django_db(transaction=True)
postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="lock timeouts and the linter need PostgreSQL"
)


@pytest.mark.skipif(connection.vendor == "postgresql", reason="the SQLite path")
def test_on_sqlite_it_is_a_plain_migrate(capsys):
    call_command("migrate_safely")
    assert "sqlite: no lock timeouts here, a plain migrate" in capsys.readouterr().out


@pytest.mark.skipif(connection.vendor == "postgresql", reason="the SQLite path")
def test_the_migration_linter_is_skipped_on_sqlite_saying_why(capsys):
    call_command("lint_migrations")
    assert "Migration linter skipped on sqlite" in capsys.readouterr().out


@postgresql_only
def test_the_migration_linter_passes_the_projects_own_migrations(capsys):
    call_command("lint_migrations")
    assert "Erroneous migrations: 0/" in capsys.readouterr().out


@postgresql_only
@pytest.mark.parametrize(
    ("setting", "value", "variable"),
    [
        ("MIGRATION_LOCK_TIMEOUT", 0, "DJANGO_MIGRATION_LOCK_TIMEOUT"),
        ("MIGRATION_STATEMENT_TIMEOUT", -1, "DJANGO_MIGRATION_STATEMENT_TIMEOUT"),
        ("MIGRATION_LOCK_RETRIES", -1, "DJANGO_MIGRATION_LOCK_RETRIES"),
    ],
)
def test_a_bad_limit_is_refused_naming_its_variable(settings, setting, value, variable):
    setattr(settings, setting, value)
    with pytest.raises(CommandError, match=variable):
        call_command("migrate_safely")


@postgresql_only
def test_the_timeouts_apply_to_the_migration_connection_only(settings, monkeypatch):
    settings.MIGRATION_LOCK_TIMEOUT = 1.5
    settings.MIGRATION_STATEMENT_TIMEOUT = 30
    seen = {}

    def migrate(*args, **kwargs):
        with connection.cursor() as cursor:
            for name in ("lock_timeout", "statement_timeout", "application_name"):
                cursor.execute(f"SHOW {name}")
                seen[name] = cursor.fetchone()[0]

    monkeypatch.setattr(migrate_safely, "call_command", migrate)
    call_command("migrate_safely")
    assert seen == {
        "lock_timeout": "1500ms",
        "statement_timeout": "30s",
        "application_name": "migrate_safely",
    }
    # The next connection, as the web server's would be, has PostgreSQL's defaults.
    with connection.cursor() as cursor:
        cursor.execute("SHOW lock_timeout")
        assert cursor.fetchone()[0] == "0"


@postgresql_only
def test_a_lock_held_elsewhere_is_retried_then_its_holder_named(settings, monkeypatch):
    settings.MIGRATION_LOCK_TIMEOUT = 0.2
    settings.MIGRATION_LOCK_RETRIES = 1
    monkeypatch.setattr(migrate_safely, "FIRST_BACKOFF", 0)
    attempts = []

    def migrate(*args, **kwargs):
        """What a migration adding a column does first: take the table's strongest lock."""
        attempts.append(True)
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("LOCK TABLE core_backfill IN ACCESS EXCLUSIVE MODE")

    monkeypatch.setattr(migrate_safely, "call_command", migrate)
    # Another session read the table and left its transaction open, holding a share lock.
    with psycopg.connect(**connection.get_connection_params()) as holder:
        holder.execute("SELECT count(*) FROM core_backfill")
        pid = holder.info.backend_pid
        with pytest.raises(CommandError) as failure:
            call_command("migrate_safely")
    assert len(attempts) == 2
    message = str(failure.value)
    assert "waited 0.2s for a lock on core_backfill, held by:" in message
    assert f"pid {pid} (user " in message
    assert "idle in transaction" in message
    assert "Gave up after 2 attempts" in message


@postgresql_only
def test_a_statement_running_past_its_limit_fails_naming_the_variable(settings, monkeypatch):
    settings.MIGRATION_STATEMENT_TIMEOUT = 0.2

    def migrate(*args, **kwargs):
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_sleep(2)")

    monkeypatch.setattr(migrate_safely, "call_command", migrate)
    with pytest.raises(CommandError, match=r"DJANGO_MIGRATION_STATEMENT_TIMEOUT \(0.2s\)"):
        call_command("migrate_safely")
