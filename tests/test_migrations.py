"""Zero-downtime migrations in a rendered project, on PostgreSQL (docs/migrations.md there).

A copy of the installed default project gets an app of its own ("shop", a populated orders table),
so no other test's project changes. It shows: the migration linter in `make check` and in the
release step refuses a NOT NULL column added without a default, naming the migration, and passes
the same change made the safe way (nullable, batched backfill, constraint); and the release step's
lock timeout keeps reads and writes flowing while a long transaction holds the table, where a
plain `migrate` (the control case) makes them queue.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from .support.options import DEFAULT_ANSWERS
from .support.postgres import fresh_database
from .support.production import production_environment
from .support.releases import NICKNAME_MIGRATION, SLUG, query, write
from .support.services import require_postgres
from .support.tools import run, tool_env

pytestmark = pytest.mark.slow

ORDERS = 5000
LOCK_TIMEOUT = 1.0
# Room for a loaded CI machine on top of the lock timeout; far below the control case's wait.
MARGIN = 1.5
CONTROL_HOLD = 5.0
PROBE = Path(__file__).parent / "support" / "lock_probe.py"

APP = {
    "__init__.py": "",
    "apps.py": f"""\
from django.apps import AppConfig


class ShopConfig(AppConfig):
    name = "{SLUG}.shop"
    label = "shop"
""",
    "migrations/__init__.py": "",
    "migrations/0001_initial.py": """\
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True
    dependencies = []
    operations = [
        migrations.CreateModel(
            name="Order",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("number", models.IntegerField()),
            ],
        ),
    ]
""",
}
MODEL = """\
from django.db import models


class Order(models.Model):
    number = models.IntegerField()
{fields}"""

UNSAFE = {
    "models.py": MODEL.format(fields="    region = models.CharField(max_length=20)\n"),
    "migrations/0002_order_region.py": """\
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("shop", "0001_initial")]
    operations = [
        migrations.AddField("order", "region", models.CharField(max_length=20)),
    ]
""",
}
SAFE = {
    "models.py": MODEL.format(
        fields="""\
    region = models.CharField(max_length=20, null=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(region__isnull=False), name="shop_order_region_not_null"
            ),
        ]
"""
    ),
    "migrations/0002_order_region.py": """\
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("shop", "0001_initial")]
    operations = [
        migrations.AddField("order", "region", models.CharField(max_length=20, null=True)),
    ]
""",
    "migrations/0003_fill_order_region.py": f"""\
from django.db import migrations

from {SLUG}.core.backfill import backfill


def fill_region(apps, schema_editor):
    Order = apps.get_model("shop", "Order")
    backfill(
        Order.objects.filter(region__isnull=True),
        lambda batch: batch.update(region="eu"),
        name="shop.0003_fill_order_region",
        batch_size=1000,
    )


class Migration(migrations.Migration):
    atomic = False  # each batch commits on its own
    dependencies = [("shop", "0002_order_region"), ("core", "0001_initial")]
    operations = [migrations.RunPython(fill_region, migrations.RunPython.noop)]
""",
    "migrations/0004_order_region_not_null.py": """\
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("shop", "0003_fill_order_region")]
    operations = [
        migrations.AddConstraint(
            "order",
            models.CheckConstraint(
                condition=models.Q(region__isnull=False), name="shop_order_region_not_null"
            ),
        ),
    ]
""",
}


def attempt(command: list[str], project: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """Run a command expected to fail as well as pass; the caller checks the outcome."""
    return subprocess.run(
        command, cwd=project, env=tool_env(**env), capture_output=True, text=True, timeout=600
    )


@pytest.fixture(scope="module")
def shop(installed_project, tmp_path_factory):
    """A copy of the installed project with the shop app, migrated on its own database."""
    server = require_postgres()
    installed = installed_project(DEFAULT_ANSWERS)
    project = tmp_path_factory.mktemp("shop") / SLUG
    shutil.copytree(
        installed,
        project,
        ignore=shutil.ignore_patterns(".venv", "staticfiles", "db.sqlite3", "__pycache__"),
    )
    # The installed environment, shared: manage.py's directory comes first on sys.path, so the
    # copy's code is what runs.
    (project / ".venv").symlink_to(installed / ".venv")
    write(project / SLUG / "shop", {**APP, "models.py": MODEL.format(fields="")})
    settings = project / "config" / "settings" / "base.py"
    text = settings.read_text()
    assert "    # Your apps:\n" in text
    settings.write_text(
        text.replace("    # Your apps:\n", f'    "{SLUG}.shop",\n    # Your apps:\n')
    )
    with fresh_database(server, "migrations") as url:
        env = production_environment(DATABASE_URL=url)
        run([".venv/bin/python", "manage.py", "migrate", "--noinput"], project, **env)
        query(url, f"INSERT INTO shop_order (number) SELECT generate_series(1, {ORDERS})")
        yield project, env


def test_a_not_null_column_without_default_is_refused_and_the_safe_way_passes(shop):
    project, env = shop
    app = project / SLUG / "shop"
    write(app, UNSAFE)
    # As CI runs it: on PostgreSQL, whose SQL the linter judges.
    check = attempt(["make", "check"], project, DATABASE_URL=env["DATABASE_URL"])
    assert check.returncode != 0
    assert "(shop, 0002_order_region)... ERR" in check.stdout
    assert "NOT NULL constraint on columns" in check.stdout
    release = attempt(["deploy/release.sh"], project, **env)
    assert release.returncode != 0
    assert "(shop, 0002_order_region)... ERR" in release.stdout
    assert "NOT NULL constraint on columns" in release.stdout
    assert "IGNORE" not in release.stdout  # migrations already applied are not listed
    # Refused before migrating: the table is as it was.
    columns = "SELECT column_name FROM information_schema.columns WHERE table_name = 'shop_order'"
    assert sorted(row[0] for row in query(env["DATABASE_URL"], columns)) == [
        "id",
        "number",
    ]

    (app / "migrations" / "0002_order_region.py").unlink()
    write(app, SAFE)
    check = attempt(["make", "check"], project, DATABASE_URL=env["DATABASE_URL"])
    assert check.returncode == 0, check.stdout + check.stderr
    assert "Erroneous migrations: 0/" in check.stdout
    release = attempt(["deploy/release.sh"], project, **env)
    assert release.returncode == 0, release.stdout + release.stderr
    assert f"backfill shop.0003_fill_order_region: finished, {ORDERS} rows" in release.stdout
    url = env["DATABASE_URL"]
    assert query(url, "SELECT count(*) FROM shop_order WHERE region IS NULL") == [(0,)]
    assert query(
        url,
        "SELECT convalidated FROM pg_constraint WHERE conname = 'shop_order_region_not_null'",
    ) == [(True,)]


def probe(project: Path, env: dict[str, str], hold: str, *command: str) -> dict:
    result = run(
        [".venv/bin/python", str(PROBE), env["DATABASE_URL"], "users_user", hold, "--", *command],
        project,
        **env,
    )
    outcome = json.loads(result.stdout)
    assert outcome["errors"] == []
    during = [latency for start, _, latency in outcome["samples"] if start >= outcome["started"]]
    assert len(during) > 20, "the traffic did not run while the command did"
    outcome["worst"] = max(during)
    return outcome


def test_a_blocked_migration_gives_up_and_retries_while_traffic_keeps_flowing(shop):
    project, env = shop
    write(project / SLUG / "users" / "migrations", {"0002_user_nickname.py": NICKNAME_MIGRATION})
    limits = {
        "DJANGO_MIGRATION_LOCK_TIMEOUT": str(LOCK_TIMEOUT),
        "DJANGO_MIGRATION_LOCK_RETRIES": "2",
    }
    # The release step's migration command (deploy/release.sh runs it after the deploy checks and
    # the linter, which the test above covers).
    safe = probe(
        project, {**env, **limits}, "forever", ".venv/bin/python", "manage.py", "migrate_safely"
    )
    print(f"worst query with the lock timeout: {safe['worst']:.2f}s")
    assert safe["returncode"] != 0
    assert safe["stderr"].count("Migration users.0002_user_nickname waited 1s for a lock") == 3
    assert "Retry 2 of 2 in 2s." in safe["stderr"]
    assert f"pid {safe['holder_pid']} (user postgres" in safe["stderr"]
    assert "idle in transaction" in safe["stderr"]
    assert "Gave up after 3 attempts" in safe["stderr"]
    assert safe["worst"] < LOCK_TIMEOUT + MARGIN

    # The control case: a plain migrate waits for the lock as long as it takes, and every query
    # on the table queues behind it. The bound above would catch a release step without timeout.
    control = probe(
        project, env, str(CONTROL_HOLD), ".venv/bin/python", "manage.py", "migrate", "--noinput"
    )
    print(f"worst query without it: {control['worst']:.2f}s")
    assert control["returncode"] == 0, control["stderr"]
    assert control["worst"] > LOCK_TIMEOUT + MARGIN
    assert control["worst"] >= CONTROL_HOLD - 0.5
