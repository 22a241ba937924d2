"""Prune the optional pieces the answers switched off, then print the next steps.

What belongs to which option lives in MANIFEST, read top to bottom like a table: removing a
feature is deleting its files. Template tests walk the same table, so a path listed here that no
longer exists, or a kept file that still mentions a pruned one, fails the suite.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from typing import NamedTuple

ANSWERS_JSON = r"""{{ cookiecutter | jsonify }}"""

# {% raw %}


class Rule(NamedTuple):
    option: str
    value: object  # the answer that removes the paths
    paths: tuple[str, ...]  # relative to the project root; "{slug}" is the package directory


LICENSES = ("MIT", "BSD-3-Clause", "Apache-2.0", "Proprietary")

MANIFEST: tuple[Rule, ...] = (
    Rule("use_drf", False, ("{slug}/api", "tests/test_api.py", "docs/api.md")),
    Rule("use_celery", False, ("config/celery_app.py", "tests/test_celery.py", "docs/tasks.md")),
    Rule(
        "use_celery",
        False,
        (
            "deploy/systemd/{slug}-celery-worker.service",
            "deploy/systemd/{slug}-celery-beat.service",
        ),
    ),
    Rule("use_sentry", False, ("config/sentry.py", "tests/test_sentry.py")),
    Rule("username_type", "username", ("{slug}/users/managers.py",)),
    Rule("ci", "none", (".github", ".gitlab-ci.yml")),
    Rule("ci", "github", (".gitlab-ci.yml",)),
    Rule("ci", "gitlab", (".github",)),
    # Every license text but the chosen one; prune() then renames that one to LICENSE.
    *(
        Rule("license", chosen, tuple(f"licenses/{name}" for name in LICENSES if name != chosen))
        for chosen in LICENSES
    ),
)


def pruned_paths(answers: dict) -> list[str]:
    """The project-relative paths the answers remove, in manifest order."""
    slug = answers["project_slug"]
    return [
        path.format(slug=slug)
        for rule in MANIFEST
        if answers[rule.option] == rule.value
        for path in rule.paths
    ]


def remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path)
    else:
        path.unlink()


def prune(root: Path, answers: dict) -> None:
    for relative in pruned_paths(answers):
        remove(root / relative)
    # The one license file left becomes LICENSE.
    (root / "licenses" / answers["license"]).rename(root / "LICENSE")
    (root / "licenses").rmdir()


NEXT_STEPS = """
Created {name} in ./{slug}

Next steps:
  cd {slug}
  git init && git add . && git commit -m "Start {name}"
  make install    # .venv, dependencies, and a .env with a fresh secret key
  make run        # http://127.0.0.1:8000 on SQLite; set DATABASE_URL in .env for PostgreSQL
  make test

`make help` lists every command; README.md and docs/ explain the rest.
"""


def main() -> int:
    answers = json.loads(ANSWERS_JSON)
    prune(Path.cwd(), answers)
    print(NEXT_STEPS.format(name=answers["project_name"], slug=answers["project_slug"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
# {% endraw %}
