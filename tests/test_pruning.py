"""Pruning follows the manifest: what an option switches off is gone, and nothing mentions it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from .conftest import TEMPLATE, render
from .hooks import post_gen

SLUG = "acme_portal"
SOURCE = TEMPLATE / "{{cookiecutter.project_slug}}"
OPPOSITE = {True: False, False: True}

# Words that betray an option switched off, beyond the names of its pruned files: its packages,
# settings, services and docs.
TRACES = {
    ("use_drf", False): ["rest_framework", "djangorestframework", "drf", "/api/", "API"],
    ("use_celery", False): ["celery", "Celery", "CELERY", "worker", "beat", "redis:7"],
    ("use_sentry", False): ["sentry", "Sentry", "SENTRY"],
    ("ci", "none"): [".github", "gitlab", "GitLab", "workflow"],
    ("ci", "github"): ["gitlab", "GitLab"],
    ("ci", "gitlab"): [".github", "GitHub"],
}


def mentions_of(path: str) -> list[str]:
    """How a kept file would refer to a pruned path: its module path or its file name."""
    relative = Path(path.format(slug=SLUG))
    module = ".".join(relative.with_suffix("").parts)
    if relative.suffix == ".py":
        return [module, relative.name, f"from .{relative.stem} import"]
    if relative.suffix:
        return [relative.name]
    return [module, relative.as_posix()]


def kept_text(project: Path) -> dict[str, str]:
    # .cruft.json is left out: the template record lists every answer, switched-off ones too.
    return {
        str(path.relative_to(project)): path.read_text(encoding="utf-8")
        for path in project.rglob("*")
        if path.is_file() and ".venv" not in path.parts and path.name != ".cruft.json"
    }


@pytest.mark.parametrize("rule", post_gen.MANIFEST, ids=lambda rule: f"{rule.option}={rule.value}")
def test_every_manifest_path_exists_in_the_template(rule):
    for path in rule.paths:
        source = SOURCE / path.format(slug="{{cookiecutter.project_slug}}")
        assert source.exists(), f"{path} is in the manifest but not in the template"


@pytest.mark.parametrize("rule", post_gen.MANIFEST, ids=lambda rule: f"{rule.option}={rule.value}")
def test_pruned_paths_are_gone_and_nothing_mentions_them(tmp_path, rule):
    project = render(tmp_path, {rule.option: rule.value})
    for path in rule.paths:
        assert not (project / path.format(slug=SLUG)).exists(), path
    if rule.option == "license":
        return  # the remaining text becomes LICENSE; nothing refers to the others
    words = [word for path in rule.paths for word in mentions_of(path)]
    words += TRACES.get((rule.option, rule.value), [])
    found = [
        f"{name}: {word}"
        for name, text in kept_text(project).items()
        for word in words
        if re.search(rf"(?<![\w.-]){re.escape(word)}(?![\w-])", text)
    ]
    assert found == []


@pytest.mark.parametrize(
    "rule",
    [rule for rule in post_gen.MANIFEST if isinstance(rule.value, bool)],
    ids=lambda rule: rule.option,
)
def test_switching_the_option_on_keeps_the_files(tmp_path, rule):
    project = render(tmp_path, {rule.option: OPPOSITE[rule.value]})
    for path in rule.paths:
        assert (project / path.format(slug=SLUG)).exists(), path


def test_manifest_answers_are_options_of_the_template():
    from .conftest import DEFAULTS

    for rule in post_gen.MANIFEST:
        default = DEFAULTS[rule.option]
        allowed = default if isinstance(default, list) else [True, False]
        assert rule.value in allowed, rule
