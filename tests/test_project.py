"""A rendered project installs, migrates and passes its own suite, on SQLite and on PostgreSQL."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from .support.options import COVERING_SET, DEFAULT_ANSWERS, MINIMAL_ANSWERS
from .support.postgres import fresh_database
from .support.rendering import answers_id, baked
from .support.services import require_postgres
from .support.tools import run

pytestmark = pytest.mark.slow
# The same suite again on PostgreSQL: the default and minimal projects, which between them hold
# every model and query the options add.
VARIANTS = [DEFAULT_ANSWERS, MINIMAL_ANSWERS]


def manage(project: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return run([".venv/bin/python", "manage.py", *args], project, **env)


@pytest.mark.parametrize("answers", COVERING_SET, ids=answers_id)
def test_project_checks_migrates_and_passes_its_suite_on_sqlite(installed_project, answers):
    project = installed_project(answers)
    manage(project, "check", "--fail-level", "WARNING")
    manage(project, "makemigrations", "--check", "--dry-run")
    manage(project, "migrate", "--noinput")
    assert (project / "db.sqlite3").exists()
    result = run([".venv/bin/pytest", "-q", "-p", "no:cacheprovider"], project)
    assert re.search(r"\d+ passed", result.stdout)
    assert "failed" not in result.stdout


@pytest.mark.parametrize("answers", VARIANTS, ids=answers_id)
def test_project_migrates_and_passes_its_suite_on_postgresql(installed_project, answers):
    server = require_postgres()
    project = installed_project(answers)
    label = "default" if not answers else "minimal"
    with fresh_database(server, label) as url:
        manage(project, "migrate", "--noinput", DATABASE_URL=url)
        tables = manage(
            project,
            "shell",
            "--verbosity=0",
            "-c",
            "from django.db import connection; print(connection.vendor, "
            "'users_user' in connection.introspection.table_names())",
            DATABASE_URL=url,
        )
        assert tables.stdout.split() == ["postgresql", "True"]
        result = run(
            [".venv/bin/pytest", "-q", "-p", "no:cacheprovider"], project, DATABASE_URL=url
        )
        assert re.search(r"\d+ passed", result.stdout)


@pytest.mark.parametrize("answers", COVERING_SET, ids=answers_id)
def test_project_lints_and_type_checks_clean(installed_project, answers):
    project = installed_project(answers)
    run(["make", "lint"], project)
    run(["make", "typecheck"], project)


def test_pre_commit_config_is_valid(installed_project):
    project = installed_project(DEFAULT_ANSWERS)
    run([".venv/bin/pre-commit", "validate-config", ".pre-commit-config.yaml"], project)


def test_pip_installs_the_project_where_uv_is_missing(cookies):
    project = baked(cookies.bake(extra_context=MINIMAL_ANSWERS))
    # An empty UV makes the Makefile fall back to pip, as on a machine without uv.
    run(["make", "install", "UV="], project, timeout=900)
    result = manage(project, "check")
    assert "no issues" in result.stdout


def test_make_help_lists_every_target(installed_project):
    project = installed_project(DEFAULT_ANSWERS)
    listed = run(["make", "help"], project).stdout
    for target in ("install", "run", "test", "lint", "typecheck", "check", "worker", "beat"):
        assert re.search(rf"^\s+{target}\s", listed, re.MULTILINE), target


def test_install_writes_a_private_env_with_a_fresh_key_and_keeps_an_existing_one(
    installed_project,
):
    project = installed_project(DEFAULT_ANSWERS)
    env_file = project / ".env"
    assert env_file.stat().st_mode & 0o777 == 0o600
    key = re.search(r"^DJANGO_SECRET_KEY=(.+)$", env_file.read_text(), re.MULTILINE)
    assert key and len(key.group(1)) >= 50
    assert key.group(1) not in (project / ".env.example").read_text()
    before = env_file.read_text()
    run(["make", "install"], project)
    assert env_file.read_text() == before
