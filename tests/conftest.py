"""Fixtures only; the helpers they build on are in tests/support/.

Rendering is cheap and done per test where needed (pytest-cookies' `cookies` fixture); installing
is not, so `installed_project` keeps one installed copy per set of answers for the whole session
(uv's cache makes the installs themselves fast after the first).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from .support.rendering import answers_id, render
from .support.tools import run


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--combinations",
        choices=["all", "covering"],
        default="all",
        help="what the render checks render: every combination of the options (the default, and "
        "what CI runs) or only the pairwise covering set (make test-fast)",
    )


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
