"""django-migration-linter's `lintmigrations`, run where its verdict holds: on PostgreSQL.

The linter reads the SQL each migration produces on the configured database. SQLite rebuilds a
table for most changes, and the linter then reports NOT NULL columns for perfectly safe ones (a
new constraint), so on SQLite this says so and skips; the release step runs it on PostgreSQL.
"""

from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.db import DEFAULT_DB_ALIAS, connections


class Command(BaseCommand):
    help = "Lint migrations for changes the running release cannot live with (PostgreSQL only)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS)

    def handle(self, *args: Any, **options: Any) -> None:
        vendor = connections[options["database"]].vendor
        if vendor != "postgresql":
            self.stdout.write(
                f"Migration linter skipped on {vendor}: it judges PostgreSQL's SQL. Set "
                "DATABASE_URL to a PostgreSQL database to run it here (the release step does)."
            )
            return
        call_command("lintmigrations", database=options["database"], verbosity=options["verbosity"])
