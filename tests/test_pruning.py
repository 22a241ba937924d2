"""Pruning follows the manifest: what an option switches off is gone, and nothing mentions it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from .support.hooks import post_gen
from .support.options import DEFAULTS, TEMPLATE
from .support.rendering import baked

SLUG = "acme_portal"
SOURCE = TEMPLATE / "{{cookiecutter.project_slug}}"
OPPOSITE = {True: False, False: True}

# Words that betray an option switched off, beyond the names of its pruned files: its packages,
# settings, services and docs.
TRACES = {
    ("accounts", "django"): ["allauth", "ACCOUNT_", "MFA_", "SOCIALACCOUNT", "two-factor"],
    ("accounts", "allauth"): ["django.contrib.auth.urls", "registration/"],
    ("use_drf", False): ["rest_framework", "djangorestframework", "drf", "/api/", "API"],
    ("use_celery", False): ["celery", "Celery", "CELERY", "worker", "beat", "redis:7"],
    ("use_sentry", False): ["sentry", "Sentry", "SENTRY"],
    ("media_storage", "filesystem"): ["storages", "django-storages", "boto3", "S3", "DJANGO_S3"],
    ("use_docker", False): [
        "docker",
        "Docker",
        "container",
        "containers",
        "compose",
        "Kubernetes",
        "kubectl",
        "Mailpit",
    ],
    # The broker is chosen by CELERY_BROKER_URL at run time, so the settings and checks know both;
    # only the chosen broker's server configuration and instructions are kept.
    ("celery_broker", "redis"): ["rabbitmq.conf", "rabbitmqctl", "consumer_timeout ="],
    ("celery_broker", "rabbitmq"): ["broker.conf", "appendonly", "appendfsync", "redis-server"],
    ("ci", "none"): [
        ".github",
        "gitlab",
        "GitLab",
        "workflow",
        "Dependabot",
        "Renovate",
        "CI",
        "pipeline",
    ],
    ("ci", "github"): ["gitlab", "GitLab", "Renovate"],
    # ("GitHub" alone would also match GitHub sign-in, which has nothing to do with CI.)
    ("ci", "gitlab"): [".github", "GitHub Actions", "Dependabot"],
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
    # So are binary files (the favicon), which name nothing.
    files = [
        path
        for path in project.rglob("*")
        if path.is_file() and ".venv" not in path.parts and path.name != ".cruft.json"
    ]
    contents = {str(path.relative_to(project)): path.read_bytes() for path in files}
    return {name: data.decode() for name, data in contents.items() if b"\x00" not in data}


@pytest.mark.parametrize("rule", post_gen.MANIFEST, ids=lambda rule: f"{rule.option}={rule.value}")
def test_every_manifest_path_exists_in_the_template(rule):
    for path in rule.paths:
        source = SOURCE / path.format(slug="{{cookiecutter.project_slug}}")
        assert source.exists(), f"{path} is in the manifest but not in the template"


@pytest.mark.parametrize("rule", post_gen.MANIFEST, ids=lambda rule: f"{rule.option}={rule.value}")
def test_pruned_paths_are_gone_and_nothing_mentions_them(cookies, rule):
    project = baked(cookies.bake(extra_context={rule.option: rule.value}))
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
def test_switching_the_option_on_keeps_the_files(cookies, rule):
    answers = {rule.option: OPPOSITE[rule.value]}
    project = baked(cookies.bake(extra_context=answers))
    # Paths another answer prunes (the broker not chosen) are left out.
    defaults = {
        key: value[0] if isinstance(value, list) else value for key, value in DEFAULTS.items()
    }
    pruned = post_gen.pruned_paths({**defaults, "project_slug": SLUG, **answers})
    for path in rule.paths:
        if path.format(slug=SLUG) not in pruned:
            assert (project / path.format(slug=SLUG)).exists(), path


def test_manifest_answers_are_options_of_the_template():
    for rule in post_gen.MANIFEST:
        default = DEFAULTS[rule.option]
        allowed = default if isinstance(default, list) else [True, False]
        assert rule.value in allowed, rule
