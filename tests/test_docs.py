"""The documentation sites build strictly: the template's and each rendered project's.

MkDocs runs with every warning an error, so a link to a missing page or anchor, or a page left out
of the site, fails the build here as it does in the generated CI.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from .support.options import MINIMAL_ANSWERS, TEMPLATE
from .support.rendering import answers_id, baked
from .support.tools import TOOL_BIN, tool_env


def build(directory: Path, site: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(TOOL_BIN / "mkdocs"), "build", "--strict", "--site-dir", str(site)],
        cwd=directory,
        env=tool_env(NO_MKDOCS_2_WARNING="1"),
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_template_docs_build_strictly(tmp_path):
    result = build(TEMPLATE, tmp_path / "site")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "site/options/index.html").exists()


@pytest.mark.parametrize("answers", [{}, MINIMAL_ANSWERS], ids=answers_id)
def test_a_rendered_projects_docs_build_strictly(cookies, tmp_path, answers):
    project = baked(cookies.bake(extra_context=answers))
    result = build(project, tmp_path / "site")
    assert result.returncode == 0, result.stderr
    environment = (tmp_path / "site/environment/index.html").read_text()
    assert "DJANGO_SECRET_KEY" in environment  # .env.example itself, through the snippet


@pytest.mark.parametrize("breakage", ["missing page", "missing anchor"])
def test_a_broken_link_fails_the_build(cookies, tmp_path, breakage):
    project = baked(cookies.bake())
    target = "no-such-page.md" if breakage == "missing page" else "deployment.md#no-such-section"
    with (project / "docs/development.md").open("a") as page:
        page.write(f"\nSee [this]({target}).\n")
    result = build(project, tmp_path / "site")
    assert result.returncode != 0
    assert target.split("#")[-1] in result.stderr


def test_a_page_missing_from_the_project_fails_the_build(cookies, tmp_path):
    project = baked(cookies.bake())
    (project / "docs/environment.md").unlink()
    result = build(project, tmp_path / "site")
    assert result.returncode != 0
    assert "environment.md" in result.stderr
