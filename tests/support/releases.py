"""Shared by the release tests: an expand migration for the users table, and SQL with results.

tests/test_migrations.py runs the nickname migration in a copy of the project; tests/test_stack.py
runs it on the live stack, with a batched backfill of the new column.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg

SLUG = "acme_portal"

# Expand: a nullable column, instant on any table size, which the old code simply ignores.
NICKNAME_MIGRATION = """\
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("users", "0001_initial")]
    operations = [
        migrations.AddField("user", "nickname", models.CharField(max_length=50, null=True)),
    ]
"""
NICKNAME_FIELD = "\n    nickname = models.CharField(max_length=50, null=True)\n"
# The backfill from a management command, as docs/migrations.md shows. Each run appends one "+",
# so a row processed twice would show it.
FILL_COMMAND = f"""\
from django.core.management.base import BaseCommand
from django.db.models import Value
from django.db.models.functions import Coalesce, Concat

from {SLUG}.core.backfill import backfill
from {SLUG}.users.models import User


def mark(batch):
    batch.update(nickname=Concat(Coalesce("nickname", Value("")), Value("+")))


class Command(BaseCommand):
    def handle(self, *args, **options):
        backfill(
            User.objects.all(),
            mark,
            name="users.nickname",
            progress=self.stdout.write,
            report_every=0,
        )
"""


def write(directory: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = directory / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


@contextmanager
def nickname_release(project: Path) -> Iterator[None]:
    """The project's code with the nickname field, its migration and backfill command; undone after.

    Used on the session's shared installed project: every file is put back as it was.
    """
    users = project / SLUG / "users"
    models = users / "models.py"
    original = models.read_text()
    code = original
    if "from django.db import models\n" not in code:
        code = code.replace(
            "from django.contrib.auth.models import AbstractUser\n",
            "from django.contrib.auth.models import AbstractUser\nfrom django.db import models\n",
        )
    added = {
        "migrations/0002_user_nickname.py": NICKNAME_MIGRATION,
        "management/__init__.py": "",
        "management/commands/__init__.py": "",
        "management/commands/fill_nicknames.py": FILL_COMMAND,
    }
    try:
        write(users, added)
        models.write_text(code.rstrip("\n") + "\n" + NICKNAME_FIELD)
        yield
    finally:
        models.write_text(original)
        for name in added:
            (users / name).unlink(missing_ok=True)
        (users / "management" / "commands").rmdir()
        (users / "management").rmdir()


def query(url: str, statement: str) -> list[tuple]:
    """The rows of one statement on `url` (none for a statement that returns none)."""
    with psycopg.connect(url, autocommit=True) as connection:
        cursor = connection.execute(statement)
        return cursor.fetchall() if cursor.description else []
