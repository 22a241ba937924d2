"""Bring this project up to a newer version of the template it was generated from.

Run by `make template-upgrade [TO=<git ref>]`; docs/upgrading.md explains the routine. cruft does
the three-way merge, and this script adds what cruft leaves out:

- it refuses a dirty tree, so an upgrade is one change you can review or throw away;
- it renders the recorded template commit with the recorded answers and stores those files in
  git's object database: the merge needs them as its common ancestor, and without them (in a fresh
  clone, for instance) cruft falls back to .rej files even where nothing conflicts;
- cruft reports success even when it left conflicts behind, so afterwards this script looks for
  unmerged files, .rej files, conflict markers and template changes to files the project deleted,
  and exits non-zero naming each one;
- on success it prints the template's upgrade notes for the versions crossed.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import os
import re
import subprocess
import sys
import tempfile
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RECORD = ROOT / ".cruft.json"
DOCS = "docs/upgrading.md"
CONFLICT_MARKER = re.compile(rb"^<<<<<<< ", re.MULTILINE)
NOTES_HEADING = re.compile(r"^## (?:\[?v?)(\d[^\s\]]*)", re.MULTILINE)


class UpgradeError(Exception):
    """Stops the upgrade with a message for the person running it."""


@dataclass
class Problems:
    unmerged: list[str] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)
    markers: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)

    def report(self) -> str:
        sections = [
            ("Unmerged (resolve, then `git add`)", self.unmerged),
            ("Rejected hunks (apply the .rej by hand, then delete it)", self.rejected),
            ("Conflict markers left in", self.markers),
            ("Template changes to files this project deleted (not applied)", self.dropped),
            ("Files the template deleted but this project changed (kept)", self.kept),
        ]
        return "\n".join(
            f"{title}:\n" + "".join(f"  {path}\n" for path in paths)
            for title, paths in sections
            if paths
        )


def run(command: list[str], cwd: Path = ROOT, stdin: str | None = None) -> str:
    result = subprocess.run(command, cwd=cwd, input=stdin, capture_output=True, text=True)
    if result.returncode != 0:
        raise UpgradeError(
            f"`{' '.join(command)}` failed (exit {result.returncode}):\n"
            f"{result.stdout}{result.stderr}".rstrip()
        )
    return result.stdout


def git(*args: str, cwd: Path = ROOT, stdin: str | None = None) -> str:
    return run(["git", *args], cwd=cwd, stdin=stdin)


def git_paths(*args: str) -> list[str]:
    """Paths a git listing command prints, read with -z so no name comes back quoted."""
    return [path for path in git(*args, "-z").split("\0") if path]


def read_record() -> dict:
    if not RECORD.is_file():
        raise UpgradeError(
            f"{RECORD.name} is missing, so the project is not linked to a template commit. "
            f"Link it with `.venv/bin/cruft link` (see {DOCS})."
        )
    record: dict = json.loads(RECORD.read_text(encoding="utf-8"))
    return record


def recorded_context(record: dict) -> dict:
    (context,) = record["context"].values()  # one namespace, named after cruft's renderer
    return dict(context)


def answers(record: dict) -> dict:
    """The answers given at generation; the `_` keys are the template's own, not answers."""
    context = recorded_context(record)
    return {key: value for key, value in context.items() if not key.startswith("_")}


def template_version(record: dict) -> str:
    return str(recorded_context(record).get("_template_version", "unknown"))


def skip_patterns(record: dict) -> list[str]:
    """Paths cruft leaves alone: .cruft.json's skip list and [tool.cruft] in pyproject.toml."""
    patterns = list(record.get("skip") or [])
    pyproject = ROOT / "pyproject.toml"
    if pyproject.is_file():
        tool = tomllib.loads(pyproject.read_text(encoding="utf-8")).get("tool", {})
        patterns += tool.get("cruft", {}).get("skip", [])
    return patterns


def is_skipped(path: str, patterns: list[str]) -> bool:
    return any(
        path == pattern
        or path.startswith(f"{pattern.rstrip('/')}/")
        or fnmatch.fnmatch(path, pattern)
        for pattern in patterns
    )


def files_under(root: Path) -> dict[str, Path]:
    """Every file of a rendering, by its path relative to `root`."""
    found = {}
    for directory, _, names in os.walk(root):
        for name in names:
            path = Path(directory, name)
            found[path.relative_to(root).as_posix()] = path
    return found


def render(template: Path, commit: str, given: dict, output: Path) -> Path:
    """The project the template at `commit` gives for these answers, rendered as cruft renders."""
    # cruft clones the clone, which copies branches only: give the commit one.
    git("branch", "--force", f"render-{commit}", commit, cwd=template)
    create = [sys.executable, "-m", "cruft", "create", "--no-input", "--checkout", commit]
    context = ["--extra-context", json.dumps(given)]
    run([*create, *context, "--output-dir", str(output), str(template)])
    (project,) = output.iterdir()
    return project


def store_blobs(files: dict[str, Path]) -> None:
    """Put every file's content in the object database, where `git apply -3` looks for it."""
    paths = "".join(f"{path}\n" for path in files.values())
    git("hash-object", "-w", "--no-filters", "--stdin-paths", stdin=paths)


def changed_paths() -> list[str]:
    tracked = git_paths("diff", "--name-only", "HEAD")
    untracked = git_paths("ls-files", "--others", "--exclude-standard")
    return sorted(set(tracked + untracked))


def find_problems(dropped: list[str], deleted: list[str]) -> Problems:
    problems = Problems(dropped=dropped)
    # cruft cannot delete a file the project changed, and says nothing about it.
    problems.kept = [path for path in deleted if (ROOT / path).exists()]
    problems.unmerged = sorted(
        {entry.split("\t", 1)[1] for entry in git_paths("ls-files", "--unmerged")}
    )
    # Ignored ones too: a .gitignore must not hide them.
    problems.rejected = sorted(git_paths("ls-files", "--others", "*.rej"))
    problems.markers = [
        path
        for path in changed_paths()
        if (ROOT / path).is_file() and CONFLICT_MARKER.search((ROOT / path).read_bytes())
    ]
    return problems


def version_key(version: str) -> tuple[int, ...]:
    return tuple(int(number) for number in re.findall(r"\d+", version))


def upgrade_notes(template: Path, commit: str, old: str, new: str) -> str:
    """The sections of the template's UPGRADING.md for versions after `old`, up to `new`."""
    try:
        text = git("show", f"{commit}:UPGRADING.md", cwd=template)
    except UpgradeError:
        return ""
    headings = list(NOTES_HEADING.finditer(text))
    sections = []
    for number, heading in enumerate(headings):
        end = headings[number + 1].start() if number + 1 < len(headings) else len(text)
        if version_key(old) < version_key(heading.group(1)) <= version_key(new):
            sections.append(text[heading.start() : end].strip())
    return "\n\n".join(sections)


def upgrade(to: str | None) -> int:
    if dirty := git("status", "--porcelain").splitlines():
        raise UpgradeError(
            "The working tree has changes; commit or stash them first, so the upgrade is a "
            "change of its own:\n" + "\n".join(f"  {line}" for line in dirty)
        )
    record = read_record()
    given = answers(record)
    with tempfile.TemporaryDirectory(prefix="template-upgrade-") as scratch:
        workdir = Path(scratch)
        template = workdir / "template"
        try:
            git("clone", "--quiet", record["template"], str(template), cwd=workdir)
        except UpgradeError as error:
            raise UpgradeError(
                f'{error}\nIf the template moved, set its new location as "template" in '
                f"{RECORD.name} and commit that first (see {DOCS})."
            ) from error
        if to:
            git("checkout", "--quiet", to, cwd=template)
        new_commit = git("rev-parse", "HEAD", cwd=template).strip()
        old_commit = record["commit"]
        old_version = template_version(record)
        older = ["git", "merge-base", "--is-ancestor", new_commit, old_commit]
        if subprocess.run(older, cwd=template, capture_output=True).returncode == 0:
            # The same commit, or one the project's version already contains: never go back.
            print(f"Already on template {old_version} ({old_commit[:12]}); nothing to do.")
            return 0

        old_files = files_under(render(template, old_commit, given, workdir / "old"))
        new_render = render(template, new_commit, given, workdir / "new")
        new_files = files_under(new_render)
        new_version = template_version(json.loads((new_render / RECORD.name).read_text()))
        store_blobs(old_files)

        skipped = skip_patterns(record)
        managed = {
            path: old
            for path, old in old_files.items()
            if path != RECORD.name and not is_skipped(path, skipped)
        }
        project_files = set(git_paths("ls-files"))  # the tree is clean: its files are the index
        # cruft drops template changes to files the project deleted; name them instead.
        dropped = [
            path
            for path, old in managed.items()
            if path not in project_files
            and path in new_files
            and new_files[path].read_bytes() != old.read_bytes()
        ]
        deleted = [path for path in managed if path in project_files and path not in new_files]

        command = [sys.executable, "-m", "cruft", "update", "--skip-apply-ask"]
        if to:
            command += ["--checkout", to]
        cruft = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
        if cruft.returncode != 0:
            raise UpgradeError(f"cruft update failed:\n{cruft.stdout}{cruft.stderr}".rstrip())
        notes = upgrade_notes(template, new_commit, old_version, new_version)

    problems = find_problems(dropped, deleted)
    if problems.report():
        print(cruft.stderr.rstrip(), file=sys.stderr)
        print(
            f"\nThe upgrade to template {new_version} ({new_commit[:12]}) needs your hand:\n\n"
            f"{problems.report()}\n"
            f"Resolve these, run `make test` and commit; or undo everything with "
            f"`git reset --hard && git clean -fd`. The conflict playbook is in {DOCS}.",
            file=sys.stderr,
        )
        return 1
    print(
        f"Upgraded from template {old_version} ({old_commit[:12]}) "
        f"to {new_version} ({new_commit[:12]}).\n"
        "Review the changes (`git status`, `git diff HEAD`), run `make install` and `make test`, "
        "then commit them together with .cruft.json.\n"
    )
    print(f"Upgrade notes:\n\n{notes}\n" if notes else "No upgrade notes for these versions.")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--to", help="git ref of the template to upgrade to (default: its latest)")
    arguments = parser.parse_args()
    try:
        return upgrade(arguments.to)
    except UpgradeError as error:
        print(f"template upgrade: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
