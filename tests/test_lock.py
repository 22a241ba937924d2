"""Reproducible installs: requirements.txt pins every package, for every combination of options.

The lock is written by `make lock` in the template (tests/lock.py) and rendered offline; these
tests show that it is current, that a project's own `make lock` reproduces it exactly, and that
two installs of one render get the same packages.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from cookiecutter.environment import StrictEnvironment

from . import lock
from .support.options import DEFAULTS, MINIMAL_ANSWERS
from .support.rendering import answers_id, baked
from .support.tools import run

PIN = re.compile(r"^([A-Za-z0-9._-]+)(\[[^\]]*\])?==([^ ;]+)")


def normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pins(text: str) -> dict[str, str]:
    found = {}
    for line in text.splitlines():
        match = PIN.match(line)
        if match:
            found[normal(match.group(1))] = match.group(3)
    return found


def rendered_lock(answers: dict) -> str:
    environment = StrictEnvironment(context={"cookiecutter": DEFAULTS}, keep_trailing_newline=True)
    template = environment.from_string(lock.LOCK.read_text(encoding="utf-8"))
    return template.render(cookiecutter=answers)


def dependency_cases() -> list[dict]:
    dims = lock.dependency_options()
    return [{key: values[i % len(values)] for key, values in dims.items()} for i in range(2)] + [
        {key: value} for key, values in dims.items() for value in values
    ]


@pytest.mark.parametrize("combination", dependency_cases(), ids=answers_id)
def test_the_lock_pins_every_direct_requirement_at_its_own_version(combination):
    answers = lock.answers_for(combination)
    locked = pins(rendered_lock(answers))
    required = lock.direct_requirements(lock.render_pyproject(answers))
    stale = [
        req
        for req in required
        if locked.get(normal(PIN.match(req).group(1))) != PIN.match(req).group(3)
    ]
    assert stale == [], "run `make lock` in the template after changing a pin"


@pytest.mark.slow
@pytest.mark.parametrize("answers", [{}, MINIMAL_ANSWERS], ids=answers_id)
def test_the_projects_own_make_lock_reproduces_the_rendered_lock(cookies, answers):
    project = baked(cookies.bake(extra_context=answers))
    before = (project / "requirements.txt").read_text()
    run(
        ["make", "lock", f"UV={shutil.which('uv', path=str(Path(lock.sys.executable).parent))}"],
        project,
    )
    assert (project / "requirements.txt").read_text() == before


def freeze(project: Path) -> list[str]:
    result = subprocess.run(
        [str(project / ".venv/bin/python"), "-m", "pip", "freeze", "--all", "--exclude-editable"],
        capture_output=True,
        text=True,
        check=True,
    )
    return sorted(
        line
        for line in result.stdout.splitlines()
        if not line.startswith(("pip==", "setuptools=="))
    )


@pytest.mark.slow
@pytest.mark.parametrize("answers", [{}, MINIMAL_ANSWERS], ids=answers_id)
def test_two_installs_offline_get_the_same_pinned_packages(cookies, answers):
    project = baked(cookies.bake(extra_context=answers))
    run(["make", "install"], project)
    first = freeze(project)
    shutil.rmtree(project / ".venv")
    run(["make", "install"], project, UV_OFFLINE="1")
    assert freeze(project) == first
    locked = pins((project / "requirements.txt").read_text())
    unpinned = [
        line for line in first if locked.get(normal(line.split("==")[0])) != line.split("==")[1]
    ]
    assert unpinned == []
