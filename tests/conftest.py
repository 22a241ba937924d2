"""Shared fixtures: render the template in-process, and install a rendered project once per session.

Rendering is cheap and done per test where needed; installing is not, so `installed_project` keeps
one installed copy per set of answers for the whole session (uv's cache makes the installs
themselves fast after the first).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from cookiecutter.main import cookiecutter

TEMPLATE = Path(__file__).resolve().parent.parent
DEFAULTS = json.loads((TEMPLATE / "cookiecutter.json").read_text())
TOOL_BIN = Path(sys.executable).parent

# The options that change code, with every value each can take; `license` changes one text file.
CODE_OPTIONS = {
    "username_type": ["username", "email"],
    "use_drf": [True, False],
    "use_celery": [True, False],
    "use_sentry": [True, False],
    "ci": ["github", "gitlab", "none"],
}
DEFAULT_ANSWERS: dict[str, object] = {}
MINIMAL_ANSWERS = {
    "username_type": "email",
    "use_drf": False,
    "use_celery": False,
    "use_sentry": False,
    "ci": "none",
}


def render(output_dir: Path, answers: dict | None = None) -> Path:
    """Render the template with `answers` over the defaults; return the project directory."""
    output_dir.mkdir(parents=True, exist_ok=True)
    config = {
        "cookiecutters_dir": str(output_dir / ".cookiecutters"),
        "replay_dir": str(output_dir / ".replay"),
    }
    project = cookiecutter(
        str(TEMPLATE),
        no_input=True,
        extra_context=answers or {},
        output_dir=str(output_dir),
        default_config=config,
    )
    return Path(project)


def answers_id(answers: dict) -> str:
    if not answers:
        return "defaults"
    return "-".join(f"{key}={value}" for key, value in sorted(answers.items()))


def tool_env(**extra: str) -> dict[str, str]:
    """The environment for commands run in a rendered project: the tooling's uv and ruff on PATH."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("DJANGO_")}
    env.pop("VIRTUAL_ENV", None)
    env["PATH"] = f"{TOOL_BIN}{os.pathsep}{env['PATH']}"
    env.update(extra)
    return env


def run(
    command: list[str], cwd: Path, timeout: int = 600, **extra_env: str
) -> subprocess.CompletedProcess[str]:
    """Run a command in a project; on failure, fail the test with the command's output."""
    result = subprocess.run(
        command,
        cwd=cwd,
        env=tool_env(**extra_env),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if result.returncode != 0:
        pytest.fail(
            f"{' '.join(command)} exited {result.returncode} in {cwd}\n"
            f"--- stdout\n{result.stdout[-6000:]}\n--- stderr\n{result.stderr[-6000:]}"
        )
    return result


@pytest.fixture(scope="session")
def installed_project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[dict], Path]]:
    """A function returning a rendered, installed (`make install`) project for some answers."""
    cache: dict[str, Path] = {}

    def get(answers: dict) -> Path:
        key = answers_id(answers)
        if key not in cache:
            project = render(tmp_path_factory.mktemp(f"installed-{key[:40]}"), answers)
            run(["make", "install"], project)
            cache[key] = project
        return cache[key]

    yield get
