"""The rendered CI configuration is valid: checked against the schemas check-jsonschema ships."""

from __future__ import annotations

import re
import subprocess

import pytest
import yaml

from .support.hooks import post_gen
from .support.options import TEMPLATE
from .support.rendering import baked
from .support.tools import TOOL_BIN

CASES = {
    "github": (".github/workflows/ci.yml", "vendor.github-workflows"),
    "gitlab": (".gitlab-ci.yml", "vendor.gitlab-ci"),
}


def validate(path, schema) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(TOOL_BIN / "check-jsonschema"), "--builtin-schema", schema, str(path)],
        capture_output=True,
        text=True,
    )


@pytest.mark.parametrize("ci", ["github", "gitlab"])
@pytest.mark.parametrize("use_celery", [True, False])
def test_ci_config_matches_the_schema(cookies, ci, use_celery):
    project = baked(cookies.bake(extra_context={"ci": ci, "use_celery": use_celery}))
    path, schema = CASES[ci]
    result = validate(project / path, schema)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("ci", ["github", "gitlab"])
def test_a_broken_ci_config_is_caught(cookies, ci):
    project = baked(cookies.bake(extra_context={"ci": ci}))
    path, schema = CASES[ci]
    config = yaml.safe_load((project / path).read_text())
    if ci == "github":
        config["jobs"]["test"]["runs-on"] = {"bogus": True}
    else:
        config["test"]["script"] = {"not": "a list"}
    (project / path).write_text(yaml.safe_dump(config))
    assert validate(project / path, schema).returncode != 0


def test_the_template_repositorys_own_workflow_matches_the_schema():
    workflow = TEMPLATE / ".github/workflows/test.yml"
    result = validate(workflow, "vendor.github-workflows")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "bash .ci/run" in workflow.read_text()


@pytest.mark.parametrize("ci", ["github", "gitlab"])
def test_ci_runs_every_gate_on_postgresql(cookies, ci):
    project = baked(cookies.bake(extra_context={"ci": ci}))
    text = (project / CASES[ci][0]).read_text()
    for step in (
        "make install",
        "make lint",
        "make typecheck",
        "make docs-check",
        # Missing migrations and the migration linter.
        "make check",
        "make test",
    ):
        assert step in text, step
    assert "postgres" in text
    assert "redis" in text


@pytest.mark.parametrize(
    ("ci", "path", "schema"),
    [
        ("github", ".github/dependabot.yml", "vendor.dependabot"),
        ("gitlab", "renovate.json", "vendor.renovate"),
    ],
)
def test_the_dependency_bot_config_matches_the_schema(cookies, ci, path, schema):
    project = baked(cookies.bake(extra_context={"ci": ci}))
    result = validate(project / path, schema)
    assert result.returncode == 0, result.stdout + result.stderr
    # Both pin files are the bot's to update.
    assert "requirements.txt" in (project / "docs/development.md").read_text()


def database_name(url: str) -> str:
    return url.rsplit("/", 1)[1]


def test_github_pipeline_requires_services_creates_its_database_and_pins_actions(cookies):
    project = baked(cookies.bake(extra_context={"ci": "github"}))
    workflow = yaml.safe_load((project / CASES["github"][0]).read_text())
    job = workflow["jobs"]["test"]
    assert job["env"]["REQUIRE_SERVICES"] == "1"
    postgres = job["services"]["postgres"]["env"]
    assert postgres["POSTGRES_DB"] == database_name(job["env"]["DATABASE_URL"])
    lines = (project / CASES["github"][0]).read_text().splitlines()
    uses = [line.strip() for line in lines if line.strip().startswith("- uses:")]
    assert uses
    for line in uses:
        assert re.fullmatch(r"- uses: [\w/-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+", line), line
    setup_python = next(step for step in job["steps"] if "setup-python" in step.get("uses", ""))
    assert setup_python["with"]["cache"] == "pip"
    assert workflow["concurrency"]["cancel-in-progress"] is True
    assert "github.ref" in workflow["concurrency"]["group"]


def test_gitlab_pipeline_requires_services_creates_its_database_and_caches(cookies):
    project = baked(cookies.bake(extra_context={"ci": "gitlab"}))
    job = yaml.safe_load((project / CASES["gitlab"][0]).read_text())["test"]
    variables = job["variables"]
    assert variables["REQUIRE_SERVICES"] == "1"
    assert variables["POSTGRES_DB"] == database_name(variables["DATABASE_URL"])
    assert job["interruptible"] is True
    assert job["cache"]["paths"] == [".cache/pip"]
    assert variables["PIP_CACHE_DIR"].endswith("/.cache/pip")


def test_pipeline_runs_on_the_branch_the_next_steps_create(cookies):
    project = baked(cookies.bake(extra_context={"ci": "github"}))
    workflow = yaml.safe_load((project / CASES["github"][0]).read_text())
    # PyYAML reads the bare key `on` as True.
    branches = workflow[True]["push"]["branches"]
    steps = post_gen.NEXT_STEPS
    assert "git init -b main" in steps
    assert branches == ["main"]


@pytest.mark.parametrize("ci", ["github", "gitlab"])
def test_ci_builds_the_image_and_tests_inside_it_only_with_docker(cookies, ci):
    path = CASES[ci][0]
    with_docker = (baked(cookies.bake(extra_context={"ci": ci})) / path).read_text()
    assert "--target test" in with_docker
    assert "pytest" in with_docker  # the test image's suite, not `make test` on the runner
    assert "docker build -t" in with_docker
    off = {"ci": ci, "use_docker": False}
    without = (baked(cookies.bake(extra_context=off)) / path).read_text()
    assert "docker" not in without
