"""Prune the optional pieces the answers switched off, then print the next steps.

What belongs to which option lives in MANIFEST, read top to bottom like a table: removing a
feature is deleting its files. Template tests walk the same table, so a path listed here that no
longer exists, or a kept file that still mentions a pruned one, fails the suite.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import NamedTuple

ANSWERS_JSON = r"""{{ cookiecutter | jsonify }}"""

# {% raw %}


class Rule(NamedTuple):
    option: str
    value: object  # the answer that removes the paths
    paths: tuple[str, ...]  # relative to the project root; "{slug}" is the package directory


MANIFEST: tuple[Rule, ...] = (
    Rule(
        "use_drf",
        False,
        (
            "{slug}/api",
            "{slug}/templates/rest_framework",
            "{slug}/users/api.py",
            "{slug}/testing/drf.py",  # the REST framework side of the query-budget toolkit
            "tests/toolkit_app/api.py",
            "tests/test_api.py",
            "tests/test_api_contract.py",
            "tests/test_api_hostile.py",
            "docs/api.md",
        ),
    ),
    Rule(
        "use_celery",
        False,
        (
            "config/celery_app.py",
            "config/celery_beat.py",
            "config/celery_checks.py",
            "config/celery_redis.py",
            "{slug}/emails",
            "{slug}/outbox",
            "{slug}/core/tasks.py",
            "{slug}/core/broker.py",
            "tests/test_celery.py",
            "tests/test_account_emails.py",  # (also pruned with accounts=django)
            "docs/tasks.md",
            "deploy/systemd/{slug}-celery-worker.service",
            "deploy/systemd/{slug}-celery-beat.service",
            "deploy/redis",
            "deploy/rabbitmq",
            "deploy/kubernetes/celery.yaml",
        ),
    ),
    # Only the chosen broker's server configuration (both go without Celery, above).
    Rule("celery_broker", "redis", ("deploy/rabbitmq",)),
    Rule("celery_broker", "rabbitmq", ("deploy/redis",)),
    Rule("use_sentry", False, ("config/sentry.py", "tests/test_sentry.py")),
    Rule(
        "media_storage",
        "filesystem",
        ("config/settings/storage_s3.py", "tests/test_media_storage_s3.py", "docs/media.md"),
    ),
    # After use_celery, which may already have removed its manifest inside deploy/kubernetes.
    Rule(
        "use_docker",
        False,
        (
            "Dockerfile",
            ".dockerignore",
            "compose.yaml",
            "deploy/kubernetes",
            "tests/test_kubernetes.py",
        ),
    ),
    Rule("username_type", "username", ("{slug}/users/managers.py", "tests/test_email_login.py")),
    Rule("username_type", "email", ("tests/test_username_login.py",)),
    Rule(
        "accounts",
        "django",
        (
            "config/settings/accounts.py",
            "{slug}/users/staff_mfa.py",
            "{slug}/users/adapters.py",
            "{slug}/emails/accounts.py",  # (already gone without Celery)
            "{slug}/templates/account",
            "{slug}/templates/allauth",
            "{slug}/templates/mfa",
            "tests/test_accounts.py",
            "tests/test_mfa.py",
            "tests/test_account_emails.py",
            "docs/accounts.md",
        ),
    ),
    Rule(
        "accounts",
        "allauth",
        ("{slug}/templates/registration", "tests/test_login.py", "tests/test_rate_limits.py"),
    ),
    Rule("ci", "none", (".github", ".gitlab-ci.yml", "renovate.json")),
    Rule("ci", "github", (".gitlab-ci.yml", "renovate.json")),
    Rule("ci", "gitlab", (".github",)),
)

# Questions with no rule above: their answers only land in the files' text, except `license`,
# which prune() handles itself (licenses/<answer> becomes LICENSE, the rest of licenses/ goes), so
# a new license text needs only its file and its choice in cookiecutter.json.
NOT_IN_MANIFEST = (
    "project_name",
    "project_slug",
    "description",
    "author_name",
    "email",
    "domain_name",
    "version",
    "timezone",
    "license",
)


def pruned_paths(answers: dict) -> list[str]:
    """The project-relative paths the answers remove, in manifest order."""
    slug = answers["project_slug"]
    # A path two rules remove (a broker's files without Celery) is listed once.
    paths = (
        path.format(slug=slug)
        for rule in MANIFEST
        if answers[rule.option] == rule.value
        for path in rule.paths
    )
    return list(dict.fromkeys(paths))


def remove(path: Path) -> None:
    if not path.exists():
        return  # inside a directory another rule removed
    if path.is_dir():
        shutil.rmtree(path)
    else:
        path.unlink()


def prune(root: Path, answers: dict) -> None:
    for relative in pruned_paths(answers):
        remove(root / relative)
    (root / "licenses" / answers["license"]).rename(root / "LICENSE")
    shutil.rmtree(root / "licenses")


# --- Template record (.cruft.json) -------------------------------------------------------------
# Every project records where it came from, in the file cruft reads, so `make template-upgrade`
# works whether the project was made with cruft or with plain cookiecutter.

# Git host shorthands cookiecutter accepts, spelled out so git (and cruft) can clone them.
ABBREVIATIONS = {
    "gh": "https://github.com/{}.git",
    "gl": "https://gitlab.com/{}.git",
    "bb": "https://bitbucket.org/{}",
}
# Keys cookiecutter adds for one run (where it read and wrote). Kept, they would make two renders
# of the same answers differ; `_template` and `_commit` are written back as cruft writes them.
RUN_ONLY_KEYS = ("_output_dir", "_repo_dir", "_checkout", "_template", "_commit")


class Origin(NamedTuple):
    source: str  # what cruft clones: a git URL or an absolute path
    commit: str | None  # None when the rendered files are not exactly one commit
    problem: str | None  # why the project cannot be linked now


def git(args: list[str], cwd: Path) -> str | None:
    try:
        result = subprocess.run(
            ["git", *args], cwd=cwd, capture_output=True, text=True, check=False
        )
    except OSError:
        return None
    return result.stdout.strip() if result.returncode == 0 else None


def is_remote(template: str) -> bool:
    scheme = template.split("://", 1)[0] if "://" in template else ""
    prefix = template.split(":", 1)[0]
    return (scheme not in ("", "file")) or template.startswith("git@") or prefix in ABBREVIATIONS


def remote_url(template: str) -> str:
    template = template.removeprefix("git+")
    prefix, _, rest = template.partition(":")
    if prefix in ABBREVIATIONS and not rest.startswith("//"):
        return ABBREVIATIONS[prefix].format(rest)
    return template


def template_checkout(answers: dict) -> Path | None:
    """The directory cookiecutter rendered from (a relative path is relative to where it ran)."""
    repo_dir = Path(answers["_repo_dir"]).expanduser()
    if repo_dir.is_absolute():
        candidates = [repo_dir]
    else:
        # cookiecutter runs hooks from inside the template directory, so on Linux its working
        # directory names it; elsewhere try the shell's directory and the output directory.
        bases = [Path(os.environ.get("PWD", "")), Path(answers["_output_dir"])]
        candidates = [Path(f"/proc/{os.getppid()}/cwd"), *(base / repo_dir for base in bases)]
    for candidate in candidates:
        if (candidate / "cookiecutter.json").is_file():
            return candidate.resolve()
    return None


def template_origin(answers: dict) -> Origin:
    template = answers["_template"]
    checkout = template_checkout(answers)
    top = git(["rev-parse", "--show-toplevel"], checkout) if checkout else None
    if checkout is None or top is None or Path(top).resolve() != checkout:
        return Origin("<git URL of the template>", None, "the template is not a git checkout")
    commit = git(["rev-parse", "HEAD"], checkout)
    if is_remote(template):
        source = remote_url(template)
    else:
        # A local clone of a shared template: record the shared repository when it holds this
        # commit, so the project upgrades from any machine; otherwise this checkout's path.
        origin = git(["remote", "get-url", "origin"], checkout)
        pushed = git(["branch", "--remotes", "--contains", "HEAD"], checkout)
        source = origin if origin and pushed else str(checkout)
    if git(["status", "--porcelain"], checkout):
        return Origin(source, commit, "the template checkout has uncommitted changes")
    return Origin(source, commit, None)


def cruft_record(answers: dict, source: str, commit: str, order: list[str]) -> dict:
    """What `cruft create` writes, key for key; `order` is cookiecutter.json's (jsonify sorts)."""
    kept = [key for key in order if key in answers and key not in RUN_ONLY_KEYS]
    kept += sorted(key for key in answers if key not in kept and key not in RUN_ONLY_KEYS)
    context = {key: answers[key] for key in kept}
    context.update(_template=source, _commit=commit)
    return {
        "template": source,
        "commit": commit,
        "checkout": answers.get("_checkout"),
        "context": {"cookiecutter": context},
        "directory": None,
    }


def cruft_json(record: dict) -> str:
    # cruft's own formatting, so both ways of creating a project write the same bytes.
    return json.dumps(record, ensure_ascii=False, indent=2, separators=(",", ": ")) + "\n"


def link_command(answers: dict, origin: Origin) -> str:
    user_answers = {key: value for key, value in answers.items() if not key.startswith("_")}
    # Without a git checkout there is no commit to name, and no way to know which release tags
    # exist: the person linking fills it in.
    ref = origin.commit or "<template commit or release tag>"
    return shlex.join(
        [
            ".venv/bin/cruft",
            "link",
            "--no-input",
            "--checkout",
            ref,
            "--extra-context",
            json.dumps(user_answers, ensure_ascii=False),
            origin.source,
        ]
    )


def record_template(root: Path, answers: dict) -> str:
    """Write .cruft.json, or explain why not and how to link later. Returns the message."""
    if "_commit" in answers:
        return ""  # rendered by cruft (create, diff or update), which writes the record itself
    origin = template_origin(answers)
    if origin.problem is None and origin.commit:
        checkout = template_checkout(answers)
        assert checkout is not None  # a commit was found in it
        order = list(json.loads((checkout / "cookiecutter.json").read_text(encoding="utf-8")))
        record = cruft_record(answers, origin.source, origin.commit, order)
        (root / ".cruft.json").write_text(cruft_json(record), encoding="utf-8")
        return ""
    return NOT_LINKED.format(problem=origin.problem, command=link_command(answers, origin))


NOT_LINKED = """
No .cruft.json was written: {problem}, so the files are not
exactly one template commit and `make template-upgrade` cannot work yet. Commit the template, then
link the project from its directory (after `make install`), with --checkout naming that commit:

  {command}
"""


NEXT_STEPS = """
Created {name} in ./{slug}

Next steps:
  cd {slug}
  git init -b main && git add . && git commit -m "Start {name}"
  make install    # .venv, dependencies, and a .env with a fresh secret key
  make run        # http://127.0.0.1:8000 on SQLite; set DATABASE_URL in .env for PostgreSQL
  make test

`make help` lists every command; README.md and docs/ explain the rest.
"""


def main() -> int:
    answers = json.loads(ANSWERS_JSON)
    prune(Path.cwd(), answers)
    if "_commit" in answers:
        # Rendered by cruft, which writes .cruft.json itself; for `cruft diff` and `cruft update`
        # this is a scratch copy, where next steps would only be noise.
        return 0
    print(record_template(Path.cwd(), answers), end="")
    print(NEXT_STEPS.format(name=answers["project_name"], slug=answers["project_slug"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
# {% endraw %}
