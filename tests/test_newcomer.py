"""What a newcomer meets first in a rendered project: make help, make run, make app."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from .support.options import DEFAULT_ANSWERS, TEMPLATE
from .support.rendering import baked
from .support.tools import run, tool_env

SLUG = "acme_portal"


def make(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["make", *args], cwd=project, env=tool_env(), capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize("makefile_dir", ["template", "project"])
def test_make_help_lines_up_its_descriptions(cookies, makefile_dir):
    directory = TEMPLATE if makefile_dir == "template" else baked(cookies.bake())
    lines = make(directory, "help").stdout.splitlines()
    assert len(lines) > 5
    starts = {re.match(r"  \S+\s+", line).end() for line in lines}
    assert len(starts) == 1, lines


def test_commands_before_make_install_say_to_run_it(cookies):
    project = baked(cookies.bake())
    result = make(project, "run")
    assert result.returncode != 0
    assert "No virtualenv in .venv yet: run 'make install' first." in result.stderr


def test_make_run_serves_on_the_port_given(cookies):
    project = baked(cookies.bake())
    (project / ".venv/bin").mkdir(parents=True)
    (project / ".venv/bin/python").symlink_to(shutil.which("python3"))
    dry_run = make(project, "-n", "run", "PORT=8123").stdout
    assert "runserver 127.0.0.1:8123" in dry_run


@pytest.mark.slow
def test_make_app_then_lint_typecheck_and_test_pass(installed_project, tmp_path):
    project = tmp_path / SLUG
    shutil.copytree(
        installed_project(DEFAULT_ANSWERS),
        project,
        ignore=shutil.ignore_patterns(".venv", "db.sqlite3", "__pycache__", ".*_cache"),
    )
    run(["make", "install"], project)
    created = run(["make", "app", "NAME=turbines"], project)
    assert "added 'acme_portal.turbines' to LOCAL_APPS" in created.stdout
    settings = (project / "config/settings/base.py").read_text()
    local_apps = settings.split("LOCAL_APPS = [\n", 1)[1].split("]\n", 1)[0]
    # Below the marker, at the end: where the marker says a project's own apps go.
    assert local_apps.endswith('    # Your apps:\n    "acme_portal.turbines",\n')
    assert (project / SLUG / "turbines/apps.py").exists()
    for target in ("lint", "typecheck", "test"):
        run(["make", target], project)
    again = make(project, "app", "NAME=turbines")
    assert again.returncode != 0
    assert "acme_portal/turbines exists already" in again.stderr
