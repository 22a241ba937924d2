"""Answers are validated before anything is written; a bad one leaves nothing behind."""

from __future__ import annotations

import pytest
from cookiecutter.exceptions import FailedHookException

from .support.hooks import post_gen, pre_gen
from .support.options import DEFAULTS
from .support.rendering import baked

GOOD = {
    key: (value[0] if isinstance(value, list) else value)
    for key, value in DEFAULTS.items()
    if not key.startswith("_")
}
GOOD["project_slug"] = "acme_portal"

BAD_ANSWERS = [
    ("project_name", ""),
    ("project_name", 'Say "hi"'),
    ("project_name", "Back\\slash"),
    ("project_name", "{{ 7 * 7 }}"),
    ("project_name", "Two\nlines"),
    ("project_slug", ""),
    ("project_slug", "Acme"),
    ("project_slug", "2fast"),
    ("project_slug", "my-project"),
    ("project_slug", "class"),
    ("project_slug", "django"),
    ("project_slug", "config"),
    ("project_slug", "celery"),
    ("project_slug", "users"),
    ("project_slug", "json"),
    ("project_slug", "test"),
    ("description", "{% include 'x' %}"),
    ("author_name", " padded "),
    ("email", "not-an-email"),
    ("email", "dev@localhost"),
    ("domain_name", "https://example.com"),
    ("domain_name", "example.com:8443"),
    ("domain_name", "Example.com"),
    ("domain_name", "localhost"),
    ("domain_name", "-bad-.example.com"),
    ("domain_name", "192.168.0.1"),
    ("version", "1.0.0-beta"),
    ("version", "v1"),
    ("version", "01.2"),
    ("timezone", "Mars/Olympus_Mons"),
    ("timezone", "../etc/passwd"),
    ("username_type", "phone"),
    ("use_drf", "maybe"),
    ("ci", "jenkins"),
    ("license", "GPL-3.0"),
]


def ids(case: tuple[str, object]) -> str:
    return f"{case[0]}={case[1]!r}"


@pytest.mark.parametrize("case", BAD_ANSWERS, ids=ids)
def test_each_rule_rejects_the_bad_answer_naming_the_field(case):
    field, value = case
    problems = pre_gen.errors({**GOOD, field: value}, DEFAULTS)
    assert len(problems) == 1, problems
    assert problems[0].startswith(f"{field}: got {value!r}")


def test_good_answers_pass():
    assert pre_gen.errors(GOOD, DEFAULTS) == []


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("project_name", "O'Brien & Søn"),
        ("project_slug", "shop2"),
        ("email", "first.last+tag@mail.example.co.uk"),
        ("domain_name", "app.example.co.uk"),
        ("domain_name", "xn--bcher-kva.example"),
        ("version", "1.0rc1"),
        ("version", "2024.1.post2.dev3"),
        ("timezone", "America/Argentina/Buenos_Aires"),
        ("timezone", "Etc/GMT+5"),
        ("use_celery", False),
    ],
)
def test_unusual_but_valid_answers_pass(field, value):
    assert pre_gen.errors({**GOOD, field: value}, DEFAULTS) == []


def test_every_problem_is_reported_at_once():
    problems = pre_gen.errors({**GOOD, "email": "x", "version": "x", "ci": "x"}, DEFAULTS)
    assert [problem.split(":")[0] for problem in problems] == ["email", "version", "ci"]


# An empty slug is an empty directory name, which cookiecutter refuses before any hook can run.
THROUGH_COOKIECUTTER = [case for case in BAD_ANSWERS if case != ("project_slug", "")][::2]


@pytest.mark.parametrize("case", THROUGH_COOKIECUTTER, ids=ids)
def test_cookiecutter_stops_on_a_bad_answer_and_leaves_no_directory(cookies, tmp_path, capfd, case):
    field, value = case
    result = cookies.bake(extra_context={field: value})
    assert result.exit_code != 0
    assert result.project_path is None
    if isinstance(result.exception, FailedHookException):
        stderr = capfd.readouterr().err
        assert f"ERROR: {field}: got {value!r}" in stderr
        assert "Nothing was generated" in stderr
    else:
        # Cookiecutter itself refuses a value outside a choice list, before any hook runs.
        assert isinstance(result.exception, ValueError), result.exception
        assert f"variable {field}" in str(result.exception)
    # pytest-cookies bakes into <tmp_path>/cookies/bakeNN (made only once cookiecutter starts).
    bakes = list((tmp_path / "cookies").iterdir())
    leftovers = [p for bake in bakes for p in bake.iterdir() if not p.name.startswith(".")]
    assert leftovers == []


def test_a_good_render_prints_the_next_steps(cookies, capfd):
    baked(cookies.bake())
    out = capfd.readouterr().out
    assert "make install" in out
    assert "cd acme_portal" in out


def test_the_link_command_without_a_commit_names_no_tag_that_may_not_exist():
    answers = {"project_name": "Acme", "_template_version": "0.1.0"}
    origin = post_gen.Origin("<git URL>", None, "the template is not a git checkout")
    command = post_gen.link_command(answers, origin)
    assert "v0.1.0" not in command
    assert "--checkout '<template commit or release tag>'" in command
