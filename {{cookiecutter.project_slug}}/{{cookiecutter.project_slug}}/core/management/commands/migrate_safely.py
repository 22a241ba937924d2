"""`migrate` for the release step, safe to run while the previous release still serves.

On PostgreSQL, this command's own connection gets a short `lock_timeout` and a `statement_timeout`
(the MIGRATION_* settings). A migration that cannot get its lock gives up within the lock timeout
instead of making every query on the table queue behind it, and is retried with backoff; when the
lock stays held, the command fails naming the session that holds it. The web server's connections
are untouched: the settings live on this process's connection only. Other databases (SQLite on a
developer's machine) get a plain `migrate`. docs/migrations.md explains the failure messages.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DEFAULT_DB_ALIAS, DatabaseError, OperationalError, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.signals import connection_created
from django.db.migrations.executor import MigrationExecutor

LOCK_NOT_AVAILABLE = "55P03"
STATEMENT_TIMEOUT = "57014"
FIRST_BACKOFF = 1.0  # seconds before the first retry, doubled for each further one

# Who holds the lock the migration waits for, asked from a second connection while it waits:
# once the wait has timed out, PostgreSQL no longer knows who blocked it.
BLOCKERS = """
SELECT holder.pid, holder.usename, holder.application_name, host(holder.client_addr),
       holder.state, round(extract(epoch FROM now() - holder.xact_start)),
       left(regexp_replace(holder.query, '\\s+', ' ', 'g'), 200),
       (SELECT string_agg(DISTINCT wanted.relation::regclass::text, ', ')
          FROM pg_locks wanted WHERE wanted.pid = %(pid)s AND NOT wanted.granted)
  FROM pg_stat_activity holder
 WHERE holder.pid = ANY(pg_blocking_pids(%(pid)s))
"""


class Command(BaseCommand):
    help = "Apply migrations with a lock timeout and retries on PostgreSQL (the release step)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS)
        # Accepted for symmetry with `migrate`; this command never asks anything.
        parser.add_argument("--noinput", "--no-input", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        alias = options["database"]
        connection = connections[alias]
        if connection.vendor != "postgresql":
            self.stdout.write(f"{connection.vendor}: no lock timeouts here, a plain migrate.")
            self.migrate(alias, options["verbosity"])
            return
        lock_timeout, statement_timeout, retries = limits()
        session = MigrationSession(alias, lock_timeout, statement_timeout)
        with session:
            for attempt in range(retries + 1):
                try:
                    with BlockerWatch(alias, session, interval=min(0.5, lock_timeout / 4)) as watch:
                        self.migrate(alias, options["verbosity"])
                    return
                except OperationalError as error:
                    code = getattr(error.__cause__, "sqlstate", None)
                    if code == STATEMENT_TIMEOUT:
                        self.stdout.write("")
                        message = statement_timeout_message(alias, statement_timeout)
                        raise CommandError(message) from error
                    if code != LOCK_NOT_AVAILABLE:
                        raise
                    failure = lock_message(alias, lock_timeout, watch.blockers)
                    self.stdout.write("")  # ends migrate's unfinished "Applying ..." line
                if attempt == retries:
                    raise CommandError(
                        f"{failure}\nGave up after {retries + 1} attempts. Find out why that "
                        "transaction stays open (docs/migrations.md); end it if it is stuck, "
                        "with SELECT pg_terminate_backend(<pid>); then run the release step again. "
                        "Migrations before this one are applied, this one and later ones are not."
                    )
                delay = FIRST_BACKOFF * 2**attempt
                self.stderr.write(f"{failure}\nRetry {attempt + 1} of {retries} in {delay:g}s.")
                time.sleep(delay)

    def migrate(self, alias: str, verbosity: int) -> None:
        call_command(
            "migrate",
            database=alias,
            interactive=False,
            verbosity=verbosity,
        )


def limits() -> tuple[float, float, int]:
    lock_timeout = settings.MIGRATION_LOCK_TIMEOUT
    statement_timeout = settings.MIGRATION_STATEMENT_TIMEOUT
    retries = settings.MIGRATION_LOCK_RETRIES
    if lock_timeout <= 0:
        raise CommandError(
            f"DJANGO_MIGRATION_LOCK_TIMEOUT must be more than 0 seconds; got {lock_timeout}. "
            "Without it a blocked migration stalls every query on its table: try 2."
        )
    if statement_timeout < 0:
        raise CommandError(
            f"DJANGO_MIGRATION_STATEMENT_TIMEOUT must be 0 (no limit) or more seconds; "
            f"got {statement_timeout}."
        )
    if retries < 0:
        raise CommandError(f"DJANGO_MIGRATION_LOCK_RETRIES must be 0 or more; got {retries}.")
    return lock_timeout, statement_timeout, retries


class MigrationSession:
    """Sets the timeouts on every connection this process opens to `alias` while active."""

    def __init__(self, alias: str, lock_timeout: float, statement_timeout: float) -> None:
        self.alias = alias
        self.values = {
            "lock_timeout": str(round(lock_timeout * 1000)),
            "statement_timeout": str(round(statement_timeout * 1000)),
            # Shows in pg_stat_activity, for whoever wonders what holds or waits for a lock.
            "application_name": "migrate_safely",
        }
        self.main_thread = threading.get_ident()
        self.migration_pid: int | None = None

    def configure(self, sender: Any, connection: BaseDatabaseWrapper, **kwargs: Any) -> None:
        if connection.alias != self.alias:
            return
        with connection.cursor() as cursor:
            for name, value in self.values.items():
                cursor.execute("SELECT set_config(%s, %s, false)", [name, value])
            if threading.get_ident() == self.main_thread:
                cursor.execute("SELECT pg_backend_pid()")
                self.migration_pid = cursor.fetchone()[0]

    def __enter__(self) -> MigrationSession:
        connection_created.connect(self.configure, dispatch_uid="migrate_safely")
        # A connection opened before (by the system checks) would lack the settings.
        connections[self.alias].close()
        return self

    def __exit__(self, *exc_info: object) -> None:
        connection_created.disconnect(dispatch_uid="migrate_safely")
        connections[self.alias].close()


class BlockerWatch:
    """While migrations run, notes from a second connection who blocks the migration's session."""

    def __init__(self, alias: str, session: MigrationSession, interval: float) -> None:
        self.alias = alias
        self.session = session
        self.interval = interval
        self.blockers: list[tuple[Any, ...]] = []
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self.watch, daemon=True)

    def watch(self) -> None:
        try:
            while not self.stopped.wait(self.interval):
                pid = self.session.migration_pid
                if pid is None:
                    continue
                try:
                    with connections[self.alias].cursor() as cursor:
                        cursor.execute(BLOCKERS, {"pid": pid})
                        rows = cursor.fetchall()
                except DatabaseError:
                    continue  # only a diagnosis: never let it fail the release
                if rows:
                    self.blockers = rows
        finally:
            connections[self.alias].close()

    def __enter__(self) -> BlockerWatch:
        self.thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stopped.set()
        self.thread.join()


def pending_migration(alias: str) -> str:
    try:
        executor = MigrationExecutor(connections[alias])
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except DatabaseError:
        return "a migration"
    return f"migration {plan[0][0].app_label}.{plan[0][0].name}" if plan else "a migration"


def lock_message(alias: str, lock_timeout: float, blockers: list[tuple[Any, ...]]) -> str:
    migration = pending_migration(alias)
    if not blockers:
        return f"{migration.capitalize()} waited {lock_timeout:g}s for a lock and gave up."
    tables = blockers[0][7] or "its table"
    lines = [f"{migration.capitalize()} waited {lock_timeout:g}s for a lock on {tables}, held by:"]
    for pid, user, application, client, state, seconds, query, _ in blockers:
        lines.append(
            f"  pid {pid} (user {user}, application {application or '-'}, client "
            f"{client or 'local'}), {state}, transaction open {seconds}s, last query: {query}"
        )
    return "\n".join(lines)


def statement_timeout_message(alias: str, statement_timeout: float) -> str:
    return (
        f"{pending_migration(alias).capitalize()} ran a statement longer than "
        f"DJANGO_MIGRATION_STATEMENT_TIMEOUT ({statement_timeout:g}s) and was cancelled. A "
        "statement that long holds its locks the whole time: rewrite the migration "
        "(docs/migrations.md), or raise the limit for this release if the statement does not "
        "block the site (an index built concurrently)."
    )
