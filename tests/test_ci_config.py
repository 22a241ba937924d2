"""The rendered CI configuration is valid: checked against the schemas check-jsonschema ships."""

from __future__ import annotations

import subprocess

import pytest
import yaml

from .conftest import TEMPLATE, TOOL_BIN, render

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
def test_ci_config_matches_the_schema(tmp_path, ci, use_celery):
    project = render(tmp_path, {"ci": ci, "use_celery": use_celery})
    path, schema = CASES[ci]
    result = validate(project / path, schema)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("ci", ["github", "gitlab"])
def test_a_broken_ci_config_is_caught(tmp_path, ci):
    project = render(tmp_path, {"ci": ci})
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
def test_ci_runs_every_gate_on_postgresql(tmp_path, ci):
    project = render(tmp_path, {"ci": ci})
    text = (project / CASES[ci][0]).read_text()
    for step in (
        "make install",
        "make lint",
        "make typecheck",
        "makemigrations --check",
        "make test",
    ):
        assert step in text, step
    assert "postgres" in text
    assert "redis" in text
