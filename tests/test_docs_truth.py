"""What a rendered project's docs name exists: every `make` target and every file or directory."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from .support.options import MINIMAL_ANSWERS, TEMPLATE
from .support.rendering import baked

# `make run` in the prose, or a line of a code block starting with make.
MAKE_IN_PROSE = re.compile(r"`make ([a-z][a-z-]*)")
CODE_BLOCK = re.compile(r"^```.*?^```", re.MULTILINE | re.DOTALL)
MAKE_IN_CODE = re.compile(r"^\s*make ([a-z][a-z-]*)", re.MULTILINE)
CODE_SPAN = re.compile(r"`([^`\s]+)`")
# A relative path of a file or directory: words joined by slashes, or a file name with a suffix.
PATH = re.compile(r"[A-Za-z_.][\w.-]*/(?:[\w.-]+/?)*|[\w-]+\.(?:py|md|toml|yml|sh|json|html|css)")
# Named by the docs but made later: by the reader (the example app), a server or a linked project.
MADE_LATER = (
    "turbines",
    "shop/",  # the migrations guide's example app
    "staff-7f3a/",  # an example DJANGO_ADMIN_URL
    "build/",  # what the template's own runs write (demo, caches, images)
    "media/",
    "staticfiles/",
    ".cruft.json",
    "db.sqlite3",
    "Europe/Berlin",  # not a path at all: the time-zone option's example
)


def documents(project: Path) -> list[Path]:
    return [project / "README.md", *sorted((project / "docs").glob("*.md"))]


# What runs write, not what the docs may name: walking it would also race the
# image tests, whose container storage comes and goes under build/.
NOT_WALKED = {".git", ".venv", "build", "__pycache__", ".pytest_cache", ".ruff_cache"}


def existing_paths(project: Path) -> set[str]:
    """Every project path, and every tail of it (`core/health.py` for the package's one)."""
    tails = set()
    for directory, subdirectories, files in os.walk(project):
        subdirectories[:] = [name for name in subdirectories if name not in NOT_WALKED]
        for name in subdirectories + files:
            parts = (Path(directory) / name).relative_to(project).parts
            tails.update("/".join(parts[start:]) for start in range(len(parts)))
    return tails


def make_targets_named(text: str) -> set[str]:
    in_code = (MAKE_IN_CODE.findall(block) for block in CODE_BLOCK.findall(text))
    return set(MAKE_IN_PROSE.findall(text)).union(*in_code)


def makefile_targets(makefile: Path) -> set[str]:
    return set(re.findall(r"^([a-z][a-z-]*):", makefile.read_text(), re.MULTILINE))


def named_paths(text: str) -> set[str]:
    return {
        span.rstrip(".,:;")
        for span in CODE_SPAN.findall(text)
        if PATH.fullmatch(span.rstrip(".,:;")) and not span.startswith(("/", "http"))
    }


def unknown_names(docs: list[Path], targets: set[str], paths: set[str]) -> list[str]:
    """Each make target or path a document names that is not there."""
    unknown = []
    for document in docs:
        text = document.read_text()
        for target in make_targets_named(text) - targets:
            unknown.append(f"{document.name}: make {target}")
        for named in named_paths(text):
            if named.rstrip("/") not in paths and not any(word in named for word in MADE_LATER):
                unknown.append(f"{document.name}: {named}")
    return sorted(unknown)


@pytest.mark.parametrize(
    "answers",
    [{}, MINIMAL_ANSWERS, {"ci": "gitlab", "username_type": "email"}],
    ids=["defaults", "minimal", "gitlab"],
)
def test_docs_name_only_make_targets_and_paths_that_exist(cookies, answers):
    project = baked(cookies.bake(extra_context=answers))
    targets = makefile_targets(project / "Makefile")
    paths = existing_paths(project)
    assert unknown_names(documents(project), targets, paths) == []


def test_template_docs_name_only_make_targets_and_paths_that_exist():
    """The template's docs speak of the template and of the projects it renders."""
    template = TEMPLATE
    source = template / "{{cookiecutter.project_slug}}"
    targets = makefile_targets(template / "Makefile") | makefile_targets(source / "Makefile")
    paths = existing_paths(template) | existing_paths(source)
    docs = [template / "README.md", *sorted((template / "docs").glob("*.md"))]
    assert unknown_names(docs, targets, paths) == []
