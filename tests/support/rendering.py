"""The template, the answers the suite renders with, and rendering a project.

A test that renders one project of its own bakes it through pytest-cookies' `cookies` fixture
(`baked` unwraps the result); `render` is for the shared, cached renders that session fixtures
keep (every combination, installed projects) and for the benchmarks.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from cookiecutter import generate
from cookiecutter.environment import StrictEnvironment
from cookiecutter.main import cookiecutter
from cookiecutter.utils import create_env_with_context
from pytest_cookies.plugin import Result

from .options import TEMPLATE

# Jinja's compiled code for each (source, name, filename, raw, defer_init), once per process.
COMPILED: dict[tuple[str, str | None, str | None, bool, bool], Any] = {}


def environment_with_compiled_templates(context: dict[str, Any]) -> StrictEnvironment:
    """Cookiecutter's environment for a render, compiling each template once per process.

    Cookiecutter builds a new Jinja environment per render, and compiling the template's files
    and file names is most of a render's time; the suite renders every combination (hundreds).
    Every render's environment is configured alike (cookiecutter.json's), so code compiled for
    one runs in another, as Jinja's own bytecode cache relies on. What a render writes does not
    change. Cookiecutter has no option for this; its generator makes environments here only.
    """
    environment = create_env_with_context(context)
    compile_anew = environment.compile

    def compile_once(
        source: str,
        name: str | None = None,
        filename: str | None = None,
        raw: bool = False,
        defer_init: bool = False,
    ) -> Any:
        key = (source, name, filename, raw, defer_init)
        if key not in COMPILED:
            COMPILED[key] = compile_anew(source, name, filename, raw, defer_init)
        return COMPILED[key]

    environment.compile = compile_once  # type: ignore[method-assign]
    return environment


generate.create_env_with_context = environment_with_compiled_templates


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


@contextlib.contextmanager
def hooks_silenced() -> Iterator[None]:
    """Keep the post-gen hook's next steps (printed on file descriptor 1) out of the output."""
    sys.stdout.flush()
    saved = os.dup(1)
    with open(os.devnull, "w") as devnull:
        os.dup2(devnull.fileno(), 1)
        try:
            yield
        finally:
            os.dup2(saved, 1)
            os.close(saved)


def baked(result: Result) -> Path:
    """The project a `cookies.bake(...)` made; fails the test, with the error, if it failed."""
    assert result.exit_code == 0, f"rendering failed: {result.exception!r}"
    assert result.exception is None
    return result.project_path


def answers_id(answers: dict) -> str:
    if not answers:
        return "defaults"
    return "-".join(f"{key}={value}" for key, value in sorted(answers.items()))
