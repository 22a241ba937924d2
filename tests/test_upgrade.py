"""Upgrading: projects record their template, and `make template-upgrade` merges or fails loudly.

The history is built in a temporary git repository from whatever the template is now: that
is the "old" version; a "newer" commit then changes a settings line, adds a file, deletes a file,
bumps the version and adds upgrade notes. Projects rendered from the old commit get the same
typical local edits at the extension points, are cloned with `git clone --no-local` (so only
committed objects travel, as on a teammate's machine) and upgraded.
"""

from __future__ import annotations

import ast
import filecmp
import json
import re
import shlex
import shutil
import subprocess
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest
from cookiecutter.main import cookiecutter

from .support.hooks import post_gen
from .support.options import DEFAULT_ANSWERS, MINIMAL_ANSWERS, TEMPLATE
from .support.rendering import answers_id, baked
from .support.tools import TOOL_BIN, run, tool_env

SLUG = "acme_portal"
SETTINGS = "config/settings/base.py"
SETTINGS_LINE = re.compile(r"^LANGUAGE_CODE = .*$", re.MULTILINE)
NEW_SETTINGS_LINE = 'LANGUAGE_CODE = "en-gb"'
ADDED = "docs/added-in-newer-template.md"
# The newer template deletes the first of these that exists (others may move files meanwhile).
DELETION_CANDIDATES = [".pre-commit-config.yaml", "docs/development.md", "manage.py"]
NEW_VERSION = "99.0.0"
DEPENDENCIES_MARKER = "    # Your dependencies:\n"
NEW_DEPENDENCY = '    "asgiref>=3.8",\n'  # already installed with Django: no download
NOTE = "Rename SHOP_TIMEOUT to SHOP_TIMEOUT_SECONDS in your environment."
GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "Keel Tests",
    "GIT_AUTHOR_EMAIL": "tests@example.com",
    "GIT_COMMITTER_NAME": "Keel Tests",
    "GIT_COMMITTER_EMAIL": "tests@example.com",
}
SCENARIOS = [DEFAULT_ANSWERS, MINIMAL_ANSWERS]


def git(cwd: Path, *args: str) -> str:
    return run(["git", *args], cwd, **GIT_IDENTITY).stdout


def commit_all(repo: Path, message: str) -> str:
    git(repo, "add", "--all")
    git(repo, "commit", "--quiet", "--message", message)
    return git(repo, "rev-parse", "HEAD").strip()


def render_from(template: Path, output_dir: Path, answers: dict) -> Path:
    """Render `template` (a directory) as plain cookiecutter does; return the project."""
    output_dir.mkdir(parents=True, exist_ok=True)
    config = {
        "cookiecutters_dir": str(output_dir / ".cookiecutters"),
        "replay_dir": str(output_dir / ".replay"),
    }
    return Path(
        cookiecutter(
            str(template),
            no_input=True,
            extra_context=answers,
            output_dir=str(output_dir),
            default_config=config,
        )
    )


def copy_template(destination: Path) -> Path:
    """The template as it is now (tracked and new files, nothing git ignores), committed."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=TEMPLATE,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    for name in filter(None, listed.split("\0")):
        source = TEMPLATE / name
        if source.is_file():
            target = destination / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    git(destination, "init", "--quiet", "--initial-branch", "main")
    return destination


def template_version(template: Path) -> str:
    return json.loads((template / "cookiecutter.json").read_text())["_template_version"]


def make_newer_commit(template: Path) -> str:
    inner = template / "{{cookiecutter.project_slug}}"
    settings = inner / SETTINGS
    text = settings.read_text()
    assert len(SETTINGS_LINE.findall(text)) == 1, "the settings line the test changes moved"
    settings.write_text(SETTINGS_LINE.sub(NEW_SETTINGS_LINE, text))
    # A dependency added right above the project's own: the marker line keeps the two apart.
    pyproject = inner / "pyproject.toml"
    text = pyproject.read_text()
    assert text.count(DEPENDENCIES_MARKER) == 1
    pyproject.write_text(text.replace(DEPENDENCIES_MARKER, NEW_DEPENDENCY + DEPENDENCIES_MARKER))
    (inner / ADDED).write_text("# Added in the newer template\n")
    (inner / deleted_path(template)).unlink()
    context = template / "cookiecutter.json"
    text, count = re.subn(
        r'"_template_version": "[^"]*"',
        f'"_template_version": "{NEW_VERSION}"',
        context.read_text(),
    )
    assert count == 1
    context.write_text(text)
    notes = template / "UPGRADING.md"
    text = notes.read_text()
    first = text.index("\n## ")
    notes.write_text(f"{text[: first + 1]}## {NEW_VERSION}\n\n{NOTE}\n{text[first:]}")
    return commit_all(template, f"Template {NEW_VERSION}")


def deleted_path(template: Path) -> str:
    inner = template / "{{cookiecutter.project_slug}}"
    return next(path for path in DELETION_CANDIDATES if (inner / path).exists())


@dataclass
class History:
    template: Path
    old: str
    new: str
    deleted: str
    old_projects: dict[str, Path]  # pristine renders of the old commit, by answers_id
    new_projects: dict[str, Path]


@pytest.fixture(scope="module")
def template_repo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A clean git repository holding the current template, and its commit."""
    template = copy_template(tmp_path_factory.mktemp("template") / "keel")
    return template, commit_all(template, "Template as it is now")


@pytest.fixture(scope="module")
def history(template_repo, tmp_path_factory: pytest.TempPathFactory) -> History:
    template, old = template_repo
    renders = tmp_path_factory.mktemp("renders")
    old_projects = {
        answers_id(a): render_from(template, renders / f"old-{answers_id(a)}", a) for a in SCENARIOS
    }
    deleted = deleted_path(template)
    new = make_newer_commit(template)
    new_projects = {
        answers_id(a): render_from(template, renders / f"new-{answers_id(a)}", a) for a in SCENARIOS
    }
    return History(template, old, new, deleted, old_projects, new_projects)


def insert_after(path: Path, marker: str, line: str) -> None:
    text = path.read_text()
    assert text.count(f"{marker}\n") == 1, f"{marker!r} is not once in {path}"
    path.write_text(text.replace(f"{marker}\n", f"{marker}\n{line}\n"))


def apply_local_edits(project: Path) -> None:
    """What a team typically adds in its first weeks, each at the place meant for it."""
    app = project / SLUG / "shop"
    app.mkdir()
    (app / "__init__.py").write_text("")
    (app / "apps.py").write_text(
        f"from django.apps import AppConfig\n\n\nclass ShopConfig(AppConfig):\n"
        f'    name = "{SLUG}.shop"\n'
    )
    (app / "urls.py").write_text(
        'from django.urls import URLPattern\n\napp_name = "shop"\n'
        "urlpatterns: list[URLPattern] = []\n"
    )
    insert_after(project / SETTINGS, "    # Your apps:", f'    "{SLUG}.shop",')
    insert_after(
        project / "config/urls.py",
        "    # Your URLs:",
        f'    path("shop/", include("{SLUG}.shop.urls")),',
    )
    insert_after(project / "pyproject.toml", "    # Your dependencies:", '    "sqlparse>=0.5",')
    with (project / "config/settings/project.py").open("a") as settings:
        settings.write("\nSHOP_PAGE_SIZE = 20\n")


def start_project(pristine: Path, workdir: Path, edit=apply_local_edits) -> Path:
    """Commit a copy of a pristine render, apply and commit edits, return a --no-local clone."""
    project = workdir / "origin" / SLUG
    shutil.copytree(pristine, project)
    git(project, "init", "--quiet")
    commit_all(project, "Start the project")
    edit(project)
    commit_all(project, "Local work")
    clone = workdir / "clone"
    git(workdir, "clone", "--quiet", "--no-local", str(project), str(clone))
    return clone


def upgrade(project: Path, *make_args: str) -> subprocess.CompletedProcess[str]:
    """`make template-upgrade` with the tooling environment's cruft (same pins as the project's)."""
    return subprocess.run(
        ["make", "template-upgrade", f"BIN={TOOL_BIN}", *make_args],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=600,
        env=tool_env(**GIT_IDENTITY),
    )


def tree(root: Path) -> list[str]:
    return sorted(
        path.relative_to(root).as_posix()
        for path in root.rglob("*")
        if path.is_file() and ".git" not in path.relative_to(root).parts
    )


def assert_same_tree(actual: Path, expected: Path) -> None:
    names = tree(expected)
    assert tree(actual) == names
    _, mismatch, errors = filecmp.cmpfiles(actual, expected, names, shallow=False)
    assert (mismatch, errors) == ([], [])


def leftovers(project: Path) -> list[str]:
    """Whatever a merge leaves unfinished: unmerged paths, .rej files, conflict markers."""
    found = git(project, "ls-files", "--unmerged").splitlines()
    for path in project.rglob("*"):
        if ".git" in path.parts or not path.is_file():
            continue
        if path.suffix == ".rej" or re.search(rb"^<<<<<<< ", path.read_bytes(), re.MULTILINE):
            found.append(str(path.relative_to(project)))
    return found


# Recording the template -------------------------------------------------------------------------


@pytest.mark.parametrize("answers", SCENARIOS, ids=answers_id)
def test_two_renders_are_identical_and_cruft_diff_reports_nothing(tmp_path, template_repo, answers):
    template, commit = template_repo
    first = render_from(template, tmp_path / "first", answers)
    second = render_from(template, tmp_path / "second", answers)
    assert_same_tree(first, second)
    record = json.loads((first / ".cruft.json").read_text())
    assert record["template"] == str(template)
    assert record["commit"] == commit
    context = record["context"]["cookiecutter"]
    assert context["_template_version"] == template_version(template)
    for option, value in answers.items():
        assert context[option] == value
    diff = run([str(TOOL_BIN / "cruft"), "diff", "--exit-code"], first)
    assert diff.stdout.strip() == ""


def test_cruft_create_and_plain_cookiecutter_give_the_same_project(tmp_path, template_repo):
    template, _ = template_repo
    plain = render_from(template, tmp_path / "plain", MINIMAL_ANSWERS)
    run(
        [
            str(TOOL_BIN / "cruft"),
            "create",
            "--no-input",
            "--output-dir",
            str(tmp_path / "cruft"),
            "--extra-context",
            json.dumps(MINIMAL_ANSWERS),
            str(template),
        ],
        tmp_path,
    )
    assert_same_tree(tmp_path / "cruft" / SLUG, plain)


def test_a_dirty_template_records_nothing_and_prints_a_working_link_command(
    tmp_path, template_repo, capfd
):
    template, commit = template_repo
    dirty = tmp_path / "dirty"
    git(tmp_path, "clone", "--quiet", str(template), str(dirty))
    (dirty / "README.md").write_text("Changed, not committed.\n")
    capfd.readouterr()
    project = render_from(dirty, tmp_path / "out", MINIMAL_ANSWERS)
    out = capfd.readouterr().out
    assert not (project / ".cruft.json").exists()
    assert "uncommitted changes" in out
    command = next(line.strip() for line in out.splitlines() if "cruft link" in line)
    words = shlex.split(command)
    assert words[:2] == [".venv/bin/cruft", "link"]
    assert words[words.index("--checkout") + 1] == commit
    run([str(TOOL_BIN / "cruft"), *words[1:]], project)
    record = json.loads((project / ".cruft.json").read_text())
    assert record["commit"] == commit
    assert record["context"]["cookiecutter"]["use_drf"] is False
    assert record["context"]["cookiecutter"]["username_type"] == "email"


def test_a_relative_template_path_is_recorded_absolute(tmp_path, template_repo):
    template, commit = template_repo
    output = tmp_path / "elsewhere"
    config = tmp_path / "config.yaml"  # keeps the replay file out of the home directory
    config.write_text(json.dumps({"replay_dir": str(tmp_path / "replay")}))
    command = [str(TOOL_BIN / "cookiecutter"), "--no-input", "--config-file", str(config)]
    command += ["-o", str(output), template.name]
    run(command, template.parent, PWD="/")  # a launcher that left PWD behind
    record = json.loads((output / SLUG / ".cruft.json").read_text())
    assert (record["template"], record["commit"]) == (str(template), commit)


def test_a_clone_of_a_shared_template_records_the_shared_repository(tmp_path, template_repo):
    template, commit = template_repo
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "--quiet", str(template), str(clone))
    record = json.loads((render_from(clone, tmp_path / "a", {}) / ".cruft.json").read_text())
    assert (record["template"], record["commit"]) == (str(template), commit)

    # A commit only this checkout has: the shared repository could not give it back.
    (clone / "README.md").write_text("A local experiment.\n")
    local_commit = commit_all(clone, "Local experiment")
    record = json.loads((render_from(clone, tmp_path / "b", {}) / ".cruft.json").read_text())
    assert (record["template"], record["commit"]) == (str(clone), local_commit)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("gh:acme/keel", "https://github.com/acme/keel.git"),
        ("gl:acme/keel", "https://gitlab.com/acme/keel.git"),
        ("git+https://example.com/keel.git", "https://example.com/keel.git"),
        ("git@github.com:acme/keel.git", "git@github.com:acme/keel.git"),
    ],
)
def test_remote_templates_are_recorded_as_clonable_urls(given, expected):
    assert post_gen.is_remote(given)
    assert post_gen.remote_url(given) == expected


def test_local_paths_are_not_taken_for_remotes():
    assert not post_gen.is_remote("/home/me/keel")
    assert not post_gen.is_remote("file:///home/me/keel")
    assert not post_gen.is_remote("../keel")


def test_changelog_and_upgrade_notes_have_a_section_for_the_current_version():
    version = template_version(TEMPLATE)
    for name in ("CHANGELOG.md", "UPGRADING.md"):
        headings = re.findall(r"^## (\S+)", (TEMPLATE / name).read_text(), re.MULTILINE)
        assert headings and headings[0] == version, f"{name} starts with {headings[:1]}"


@pytest.mark.parametrize("answers", SCENARIOS, ids=answers_id)
def test_extension_points_come_after_everything_the_template_owns(cookies, answers):
    """Local additions sit below every template line, so template additions never touch them."""
    project = baked(cookies.bake(extra_context=answers))
    base = ast.parse((project / SETTINGS).read_text())
    last = base.body[-1]
    assert isinstance(last, ast.ImportFrom) and last.module == "config.settings.project"
    assert (project / "config/settings/project.py").read_text().count("\n") > 1
    closing = {
        SETTINGS: ("LOCAL_APPS = [", "    # Your apps:\n]"),
        "config/urls.py": ("urlpatterns = [", "    # Your URLs:\n]"),
        "pyproject.toml": ("dependencies = [", "    # Your dependencies:\n]"),
    }
    for name, (opening, end) in closing.items():
        text = (project / name).read_text()
        start = text.index(opening)
        assert text.index("\n]", start) + 2 == text.index(end, start) + len(end), name
    skip = tomllib.loads((project / "pyproject.toml").read_text())["tool"]["cruft"]["skip"]
    assert {".env", "config/settings/project.py"} <= set(skip)


# Upgrading ---------------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("answers", SCENARIOS, ids=answers_id)
def test_upgrade_merges_cleanly_and_matches_a_fresh_render_with_the_same_edits(
    tmp_path, history, answers
):
    key = answers_id(answers)
    project = start_project(history.old_projects[key], tmp_path)
    result = upgrade(project)
    assert result.returncode == 0, result.stdout + result.stderr
    assert NOTE in result.stdout
    assert f"to {NEW_VERSION}" in result.stdout
    # The old version is the template as it is now; its notes were for projects before it.
    assert f"## {template_version(TEMPLATE)}" not in result.stdout
    assert leftovers(project) == []
    assert not (project / history.deleted).exists()
    assert NEW_DEPENDENCY + DEPENDENCIES_MARKER in (project / "pyproject.toml").read_text()

    expected = tmp_path / "expected"
    shutil.copytree(history.new_projects[key], expected)
    apply_local_edits(expected)
    assert_same_tree(project, expected)

    commit_all(project, "Upgrade the template")
    again = upgrade(project)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "nothing to do" in again.stdout
    back = upgrade(project, f"TO={history.old}")  # an older version is never merged backwards
    assert back.returncode == 0, back.stdout + back.stderr
    assert "nothing to do" in back.stdout
    assert git(project, "status", "--porcelain") == ""


@pytest.mark.slow
def test_a_dirty_tree_is_refused(tmp_path, history):
    project = start_project(history.old_projects["defaults"], tmp_path)
    (project / "notes.txt").write_text("work in progress\n")
    result = upgrade(project)
    assert result.returncode != 0
    assert "notes.txt" in result.stderr
    assert json.loads((project / ".cruft.json").read_text())["commit"] == history.old


@pytest.mark.slow
def test_a_local_edit_on_a_line_the_template_changes_fails_naming_the_file(tmp_path, history):
    def edit_the_changed_line(project: Path) -> None:
        settings = project / SETTINGS
        settings.write_text(SETTINGS_LINE.sub('LANGUAGE_CODE = "fr"', settings.read_text()))

    project = start_project(history.old_projects["defaults"], tmp_path, edit_the_changed_line)
    result = upgrade(project)
    assert result.returncode != 0
    assert f"Unmerged (resolve, then `git add`):\n  {SETTINGS}" in result.stderr
    assert NOTE not in result.stdout


@pytest.mark.slow
def test_a_deleted_template_file_the_project_edited_is_reported(tmp_path, history):
    def edit_the_deleted_file(project: Path) -> None:
        with (project / history.deleted).open("a") as file:
            file.write("# kept on purpose\n")

    project = start_project(history.old_projects["defaults"], tmp_path, edit_the_deleted_file)
    result = upgrade(project)
    assert result.returncode != 0
    assert f"Files the template deleted but this project changed (kept):\n  {history.deleted}" in (
        result.stderr
    )


@pytest.mark.slow
def test_a_template_change_to_a_file_the_project_deleted_is_reported(tmp_path, history):
    project = start_project(
        history.old_projects["defaults"], tmp_path, lambda project: (project / SETTINGS).unlink()
    )
    result = upgrade(project)
    assert result.returncode != 0
    assert f"files this project deleted (not applied):\n  {SETTINGS}" in result.stderr


@pytest.mark.slow
def test_a_second_upgrade_from_a_fresh_clone_still_merges(tmp_path, history):
    """The merge base of the second upgrade was never committed; the upgrade must supply it."""
    template = tmp_path / "template"
    git(tmp_path, "clone", "--quiet", str(history.template), str(template))
    # The newest template changes a line within three lines of the project's own LOCAL_APPS
    # edit, so its patch does not apply as it is and git needs the merge base.
    settings = template / "{{cookiecutter.project_slug}}" / SETTINGS
    text = settings.read_text()
    assert text.count("    # Your apps:\n]\n") == 1
    settings.write_text(text.replace("    # Your apps:\n]\n", "    # Your apps:\n]\n# Reviewed.\n"))
    newest = commit_all(template, "Newest template")

    def point_at_this_template(project: Path) -> None:
        apply_local_edits(project)
        record = json.loads((project / ".cruft.json").read_text())
        record["template"] = str(template)
        (project / ".cruft.json").write_text(json.dumps(record, indent=2) + "\n")

    # First to the newer version only (TO=), committed; then, from a fresh clone, to the newest.
    first = start_project(history.old_projects["defaults"], tmp_path, point_at_this_template)
    result = upgrade(first, f"TO={history.new}")
    assert result.returncode == 0, result.stdout + result.stderr
    assert json.loads((first / ".cruft.json").read_text())["commit"] == history.new
    assert "# Reviewed." not in (first / SETTINGS).read_text()
    commit_all(first, "Upgrade the template")

    second = tmp_path / "second"
    git(tmp_path, "clone", "--quiet", "--no-local", str(first), str(second))
    result = upgrade(second)
    assert result.returncode == 0, result.stdout + result.stderr
    assert leftovers(second) == []
    assert json.loads((second / ".cruft.json").read_text())["commit"] == newest
    assert "# Reviewed." in (second / SETTINGS).read_text()
    assert f'    "{SLUG}.shop",' in (second / SETTINGS).read_text()


@pytest.mark.slow
def test_the_upgraded_project_installs_and_passes_its_own_suite(tmp_path, history):
    project = start_project(history.old_projects["defaults"], tmp_path)
    run(["make", "install"], project)
    listed = run(["make", "help"], project).stdout
    for target in ("template-check", "template-diff", "template-upgrade"):
        assert re.search(rf"^\s+{target}\s", listed, re.MULTILINE), target
    check = subprocess.run(["make", "template-check"], cwd=project, env=tool_env())
    assert check.returncode != 0  # a newer template commit exists
    run(["make", "template-upgrade"], project, **GIT_IDENTITY)  # with the project's own cruft
    run(["make", "template-check"], project)
    diff = run(["make", "template-diff"], project).stdout
    assert f'"{SLUG}.shop",' in diff  # the local edits are what differs from the template
    run(["make", "install"], project)
    run(["make", "test"], project)
    run(["make", "check"], project)
