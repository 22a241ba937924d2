"""Validate every answer before cookiecutter writes a file.

Each rule is a small function that returns an error message, or None when the answer is fine. The
messages name the field, quote what was given and say what is allowed. When any rule fails the hook
exits non-zero and cookiecutter removes the half-made project directory.

The questions come from the template's cookiecutter.json: a question with a list of choices or a
yes/no default is checked against that declaration, so adding an option needs no edit here. Only
questions answered in free text have a rule of their own, in RULES.
"""

from __future__ import annotations

import json
import keyword
import os
import re
import sys
import zoneinfo
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path

# Cookiecutter renders this file with Jinja before running it; the answers arrive as JSON in this
# raw string, so any character in an answer is safe here.
ANSWERS_JSON = r"""{{ cookiecutter | jsonify }}"""

# {% raw %}
# Names the generated package must not take: importing the project package under one of these
# names would shadow a module the project imports (or be shadowed by it).
RESERVED_SLUGS = frozenset(sys.stdlib_module_names) | {
    "allauth",
    "api",
    "argon2",
    "celery",
    "config",
    "core",
    "csp",
    "deploy",
    "django",
    "docs",
    "drf_spectacular",
    "environ",
    "factory",
    "gunicorn",
    "kombu",
    "manage",
    "psycopg",
    "pytest",
    "pythonjsonlogger",
    "redis",
    "rest_framework",
    "sentry_sdk",
    "static",
    "templates",
    "test",
    "tests",
    "users",
    "whitenoise",
}

TEMPLATE_SYNTAX = re.compile(r"\{\{|\}\}|\{%|%\}|\{#|#\}")
SLUG = re.compile(r"[a-z][a-z0-9_]*")
EMAIL = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+@([A-Za-z0-9-]+\.)+[A-Za-z]{2,63}")
DOMAIN_LABEL = re.compile(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?")
# The canonical form of a public version identifier (PEP 440, appendix B).
PEP440 = re.compile(
    r"([1-9][0-9]*!)?(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))*"
    r"((a|b|rc)(0|[1-9][0-9]*))?(\.post(0|[1-9][0-9]*))?(\.dev(0|[1-9][0-9]*))?"
)


def check_free_text(field: str, value: object) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return f"{field}: got {value!r}; give a non-empty line of text."
    if value != value.strip():
        return f"{field}: got {value!r}; remove the leading or trailing spaces."
    if len(value) > 200:
        return f"{field}: got {len(value)} characters; keep it to 200 or fewer."
    if any(ord(char) < 32 or ord(char) == 127 for char in value):
        return f"{field}: got {value!r}; use a single line without control characters."
    if '"' in value or "\\" in value:
        return (
            f"{field}: got {value!r}; double quotes and backslashes are not allowed "
            "(apostrophes are fine)."
        )
    if TEMPLATE_SYNTAX.search(value):
        return (
            f"{field}: got {value!r}; template delimiters such as "
            + "'{{', '{%' and '{#' are not allowed."
        )
    return None


def check_slug(field: str, value: object) -> str | None:
    if not isinstance(value, str) or not SLUG.fullmatch(value):
        return (
            f"{field}: got {value!r}; use a lowercase Python identifier: a letter, "
            "then letters, digits or underscores (e.g. 'acme_portal')."
        )
    if len(value) > 50:
        return f"{field}: got {value!r}; keep it to 50 characters or fewer."
    if keyword.iskeyword(value) or keyword.issoftkeyword(value):
        return f"{field}: got {value!r}, a Python keyword; choose another name."
    if value in RESERVED_SLUGS:
        return (
            f"{field}: got {value!r}, which would shadow the module of the same name that "
            "the project imports; choose a more specific name (e.g. 'acme_portal')."
        )
    return None


def check_email(field: str, value: object) -> str | None:
    if not isinstance(value, str) or not EMAIL.fullmatch(value) or ".." in value:
        return f"{field}: got {value!r}; give an address such as 'dev@example.com'."
    return None


def check_domain(field: str, value: object) -> str | None:
    hint = "give a bare host name such as 'app.example.com' (no scheme, port or path)"
    if not isinstance(value, str) or not value:
        return f"{field}: got {value!r}; {hint}."
    if value != value.lower():
        return f"{field}: got {value!r}; use lowercase ('{value.lower()}')."
    labels = value.split(".")
    if len(value) > 253 or len(labels) < 2 or not all(DOMAIN_LABEL.fullmatch(x) for x in labels):
        return f"{field}: got {value!r}; {hint}."
    if labels[-1].isdigit():
        return f"{field}: got {value!r}, an IP address; {hint}."
    return None


def check_version(field: str, value: object) -> str | None:
    if not isinstance(value, str) or not PEP440.fullmatch(value):
        return (
            f"{field}: got {value!r}; use a PEP 440 version in canonical form "
            "such as '0.1.0', '1.0rc1' or '2.3.post1'."
        )
    return None


def check_timezone(field: str, value: object) -> str | None:
    message = (
        f"{field}: got {value!r}; use an IANA time zone name such as 'UTC' or 'Europe/Berlin'."
    )
    if not isinstance(value, str) or not re.fullmatch(
        r"[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+)*", value
    ):
        return message
    known = zoneinfo.available_timezones()
    if known:
        return None if value in known else message
    # No time zone database on this machine to compare against: accept what loads.
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return message
    return None


def check_choice(field: str, value: object, allowed: tuple[object, ...]) -> str | None:
    if value not in allowed:
        return f"{field}: got {value!r}; choose one of {', '.join(allowed)}."
    return None


def check_boolean(field: str, value: object) -> str | None:
    if not isinstance(value, bool):
        return f"{field}: got {value!r}; answer yes or no (true or false in a config file)."
    return None


Rule = Callable[[str, object], str | None]

# Questions answered in free text, in the order cookiecutter.json asks them.
RULES: dict[str, Rule] = {
    "project_name": check_free_text,
    "project_slug": check_slug,
    "description": check_free_text,
    "author_name": check_free_text,
    "email": check_email,
    "domain_name": check_domain,
    "version": check_version,
    "timezone": check_timezone,
}


def rules(declared: dict) -> Iterator[tuple[str, Rule]]:
    """The rule for each question of cookiecutter.json (`declared`), in the order it is asked."""
    for field, default in declared.items():
        if field.startswith("_"):
            continue  # private keys are not questions
        if isinstance(default, list):
            yield field, partial(check_choice, allowed=tuple(default))
        elif isinstance(default, bool):
            yield field, check_boolean
        else:
            yield field, RULES.get(field, check_free_text)


def errors(answers: dict, declared: dict) -> list[str]:
    """Every problem with the answers, in the order the questions are asked."""
    found = (check(field, answers.get(field)) for field, check in rules(declared))
    return [message for message in found if message]


def declared_questions(answers: dict) -> dict:
    """The template's cookiecutter.json, found from the directory cookiecutter renders from."""
    repo_dir = Path(answers.get("_repo_dir", ".")).expanduser()
    # A relative path is relative to where cookiecutter was started: the shell's directory, or
    # (on Linux) the working directory of cookiecutter itself, which runs hooks from the template
    # and is also how cruft, which records no directory, is found.
    candidates = (
        [repo_dir] if repo_dir.is_absolute() else [Path(os.environ.get("PWD", "")) / repo_dir]
    )
    candidates.append(Path(f"/proc/{os.getppid()}/cwd"))
    for candidate in candidates:
        if (candidate / "cookiecutter.json").is_file():
            return json.loads((candidate / "cookiecutter.json").read_text(encoding="utf-8"))
    # Not found: check each answer by its own type (cookiecutter has already refused a value
    # outside a choice list when it was given on the command line or as extra context).
    return answers


def main() -> int:
    answers = json.loads(ANSWERS_JSON)
    problems = errors(answers, declared_questions(answers))
    for problem in problems:
        print(f"ERROR: {problem}", file=sys.stderr)
    if problems:
        print(
            "Nothing was generated. Run cookiecutter again with corrected answers.", file=sys.stderr
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
# {% endraw %}
