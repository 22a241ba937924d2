"""Rendering: every combination of the code-changing options renders clean, lint-free code."""

from __future__ import annotations

import filecmp
import hashlib
import re
import subprocess
import tomllib
from pathlib import Path

import pytest
import yaml

from .support.options import COMBINATIONS, COVERING_SET, DEFAULTS, TEMPLATE, combination_count
from .support.rendering import answers_id, baked, render
from .support.tools import TOOL_BIN

# Jinja left in a rendered file. Django templates legitimately use {% and {{, so for them only a
# mention of cookiecutter counts.
RESIDUE = re.compile(r"\{\{|\{%|\{#|\}\}|%\}|#\}")
GITHUB_EXPRESSION = re.compile(r"\$\{\{ [\w.]+ \}\}")
MENTION = re.compile(r"cookiecutter(?!==)")
PYTHON_BLOCK = re.compile(r"^```python\n.*?^```$", re.MULTILINE | re.DOTALL)
TEXT_SUFFIXES = {
    *(".py", ".toml", ".yml", ".yaml", ".example", ".md", ".txt", ".cfg", ".css", ".html", ""),
}


def is_django_template(path: Path) -> bool:
    return path.suffix == ".html" and "templates" in path.parts


def text_files(project: Path) -> list[Path]:
    return sorted(
        path
        for path in project.rglob("*")
        if path.is_file() and (path.suffix in TEXT_SUFFIXES or path.name.startswith("."))
    )


@pytest.fixture(scope="module")
def rendered_answers(request) -> list[dict]:
    """Every combination of the code-changing options, or with `--combinations=covering`
    (make test-fast) the pairwise covering set only: seconds instead of minutes."""
    every = request.config.getoption("--combinations") == "all"
    return COMBINATIONS if every else COVERING_SET


@pytest.fixture(scope="module")
def renders(rendered_answers, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Each of `rendered_answers` rendered in its own directory under one root."""
    root = tmp_path_factory.mktemp("combinations")
    return {
        answers_id(answers): render(root / answers_id(answers), answers)
        for answers in rendered_answers
    }


def test_every_combination_is_rendered(request, renders):
    if request.config.getoption("--combinations") == "covering":
        assert sorted(renders) == sorted(map(answers_id, COVERING_SET))
        pytest.skip("--combinations=covering rendered the covering set only")
    assert len(renders) == combination_count(DEFAULTS)


def test_no_template_syntax_is_left_in_any_file(renders):
    leftovers = []
    for project in renders.values():
        for path in text_files(project):
            if path.name == ".cruft.json":
                continue  # the template record: cruft's format names cookiecutter's context
            # GitHub's expressions, ${{ ... }}, belong in a workflow.
            text = GITHUB_EXPRESSION.sub("", path.read_text(encoding="utf-8"))
            # A pin of the cookiecutter package (which cruft needs) is not template syntax.
            if MENTION.search(text) or (not is_django_template(path) and RESIDUE.search(text)):
                leftovers.append(str(path))
    assert leftovers == []


def test_the_template_name_stays_out_of_the_project(renders):
    """A project speaks of itself: only its template record (.cruft.json) names the template."""
    mentions = [
        str(path.relative_to(project.parent.parent))
        for project in renders.values()
        for path in text_files(project)
        if path.name != ".cruft.json" and "keel" in path.read_text(encoding="utf-8").lower()
    ]
    assert mentions == []


def test_text_files_have_no_blank_line_scars(renders):
    """No trailing spaces, no doubled blank lines, no blank first line, one final newline."""
    scars = []
    for project in renders.values():
        for path in text_files(project):
            if path.suffix == ".py":
                continue  # ruff format checks Python files
            text = path.read_text(encoding="utf-8")
            lines = text.split("\n")
            # Python examples in Markdown keep two blank lines between definitions, as ruff does.
            prose = PYTHON_BLOCK.sub("```", text) if path.suffix == ".md" else text
            if (
                text.startswith("\n")
                or not text.endswith("\n")
                or text.endswith("\n\n")
                or "\n\n\n" in prose
                or any(line != line.rstrip() for line in lines)
            ):
                scars.append(str(path.relative_to(project.parent.parent)))
    assert scars == []


def test_every_combination_passes_ruff_check_and_format(renders):
    root = next(iter(renders.values())).parent.parent
    # One ruff run over all renders: ruff applies each project's own pyproject.toml to its files.
    for command in (["check", "--no-cache"], ["format", "--check", "--no-cache"]):
        result = subprocess.run(
            [str(TOOL_BIN / "ruff"), *command, str(root)], capture_output=True, text=True
        )
        assert result.returncode == 0, result.stdout + result.stderr


def test_every_dockerfile_passes_hadolint_at_the_style_threshold(rendered_answers, renders):
    dockerfiles = [project / "Dockerfile" for project in renders.values()]
    dockerfiles = [path for path in dockerfiles if path.exists()]
    with_docker = [a for a in rendered_answers if a.get("use_docker", DEFAULTS["use_docker"])]
    assert len(dockerfiles) == len(with_docker)  # every rendering with use_docker=true
    result = subprocess.run(
        [str(TOOL_BIN / "hadolint"), "--failure-threshold", "style", *map(str, dockerfiles)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_combination_byte_compiles(renders):
    # In memory, and each distinct file once: most files render the same in many combinations.
    compiled: set[bytes] = set()
    for project in renders.values():
        for path in project.rglob("*.py"):
            source = path.read_bytes()
            digest = hashlib.sha256(source).digest()
            if digest not in compiled:
                compile(source, str(path), "exec", dont_inherit=True)
                compiled.add(digest)


def test_every_combination_has_valid_toml_and_yaml(renders):
    for project in renders.values():
        tomllib.loads((project / "pyproject.toml").read_text())
        for path in [*project.rglob("*.yml"), *project.rglob("*.yaml")]:
            # Kubernetes manifests hold several documents.
            documents = list(yaml.safe_load_all(path.read_text()))
            assert documents and all(isinstance(doc, dict) for doc in documents), path


@pytest.mark.parametrize("license_name", DEFAULTS["license"])
def test_each_license_gives_its_own_text(cookies, license_name):
    answers = {"license": license_name, "author_name": "Ada Lovelace"}
    project = baked(cookies.bake(extra_context=answers))
    text = (project / "LICENSE").read_text()
    expected_first_line = {
        "MIT": "MIT License",
        "BSD-3-Clause": "BSD 3-Clause License",
        "Apache-2.0": "Apache License",
        "Proprietary": "Copyright (c) Ada Lovelace. All rights reserved.",
    }[license_name]
    assert text.strip().splitlines()[0].strip() == expected_first_line
    assert not (project / "licenses").exists()
    metadata = tomllib.loads((project / "pyproject.toml").read_text())["project"]
    expected = "LicenseRef-Proprietary" if license_name == "Proprietary" else license_name
    assert metadata["license"] == expected
    if license_name != "Apache-2.0":
        assert "Ada Lovelace" in text


@pytest.mark.parametrize("answers", [{}, {"use_drf": False, "use_celery": False}], ids=answers_id)
def test_two_renders_with_the_same_answers_are_byte_identical(cookies, answers):
    first = baked(cookies.bake(extra_context=answers))
    second = baked(cookies.bake(extra_context=answers))
    names = sorted(p.relative_to(first) for p in first.rglob("*") if p.is_file())
    assert names == sorted(p.relative_to(second) for p in second.rglob("*") if p.is_file())
    match, mismatch, errors = filecmp.cmpfiles(first, second, names, shallow=False)
    assert (mismatch, errors) == ([], [])
    assert len(match) == len(names)


def test_text_with_apostrophes_and_markup_lands_safely_everywhere(cookies):
    answers = {
        "project_name": "O'Brien & Søn <Labs>",
        "project_slug": "obrien_labs",
        "description": "Tickets for 'pop-up' events & <b>markets</b>: 100% {curly} fine",
        "author_name": "Zoë O'Brien-Ngata",
    }
    project = baked(cookies.bake(extra_context=answers))
    metadata = tomllib.loads((project / "pyproject.toml").read_text())["project"]
    assert metadata["description"] == answers["description"]
    assert metadata["authors"][0]["name"] == answers["author_name"]
    for path in project.rglob("*.py"):
        compile(path.read_text(), str(path), "exec")
    namespace: dict = {}
    settings_source = (project / "config/settings/base.py").read_text()
    admins_line = next(line for line in settings_source.splitlines() if line.startswith("ADMINS"))
    exec(admins_line, namespace)
    assert namespace["ADMINS"][0][0] == answers["author_name"]
    # Pages show the name through Django's templates, which escape it (base.html: {{ site_name }}).
    site_line = next(line for line in settings_source.splitlines() if line.startswith("SITE_NAME"))
    exec(site_line, namespace)
    assert namespace["SITE_NAME"] == answers["project_name"]
    assert "<Labs>" not in (project / "obrien_labs/templates/base.html").read_text()
    readme = (project / "README.md").read_text()
    assert readme.startswith("# O'Brien & Søn <Labs>\n")
    for path in [*project.rglob("*.yml")]:
        yaml.safe_load(path.read_text())


def test_answers_from_a_config_file_and_a_replay_give_the_same_project(tmp_path):
    config = tmp_path / "answers.yaml"
    config.write_text(
        "default_context:\n"
        "  project_name: Ledger\n"
        "  use_celery: false\n"
        "  username_type: email\n"
        f"replay_dir: {tmp_path / 'replay'}\n"
        f"cookiecutters_dir: {tmp_path / 'cookiecutters'}\n"
    )
    cookiecutter_bin = str(TOOL_BIN / "cookiecutter")
    base = [cookiecutter_bin, "--config-file", str(config), str(TEMPLATE)]
    subprocess.run([*base, "--no-input", "-o", str(tmp_path / "a")], check=True)
    subprocess.run([*base, "--replay", "-o", str(tmp_path / "b")], check=True)
    first, second = tmp_path / "a/ledger", tmp_path / "b/ledger"
    assert not (first / "config/celery_app.py").exists()
    assert 'USERNAME_FIELD = "email"' in (first / "ledger/users/models.py").read_text()
    names = sorted(str(p.relative_to(first)) for p in first.rglob("*") if p.is_file())
    assert filecmp.cmpfiles(first, second, names, shallow=False)[1:] == ([], [])
