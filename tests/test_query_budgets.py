"""Query budgets in a rendered project: a query per row fails its suite, naming the SQL.

Each modified run works on a copy of an installed project (the copy gets its own `make install`:
a venv's scripts point at the venv they were built in, and the editable install at its source),
so the shared installed projects stay pristine for the other tests.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from .support.options import DEFAULT_ANSWERS, MINIMAL_ANSWERS
from .support.tools import run, tool_env

pytestmark = pytest.mark.slow
SLUG = "acme_portal"
BUDGET_TESTS = [
    "tests/test_query_budgets.py",
    "tests/test_query_budget_toolkit.py",
    "tests/test_query_budget_toolkit_app.py",
    "tests/test_admin.py",
]
GENERATED = "test_route_queries_do_not_grow_with_rows"
# user.user_permissions.count(): nothing prefetches a user's own permissions.
COUNT_PERMISSIONS_SQL = (
    'SELECT COUNT(*) AS "__count" FROM "auth_permission" INNER JOIN "users_user_user_permissions" '
    'ON ("auth_permission"."id" = "users_user_user_permissions"."permission_id") '
    'WHERE "users_user_user_permissions"."user_id" = %s'
)


def copy_of(project: Path, destination: Path) -> Path:
    shutil.copytree(
        project,
        destination,
        ignore=shutil.ignore_patterns(".venv", "db.sqlite3", "__pycache__", ".pytest_cache"),
    )
    run(["make", "install"], destination)
    return destination


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{path.name} no longer contains {old!r}; update this test"
    path.write_text(text.replace(old, new, 1))


def suite(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The rendered project's own suite, whatever its outcome."""
    return subprocess.run(
        [".venv/bin/pytest", "-p", "no:cacheprovider", "-rf", *args],
        cwd=project,
        env=tool_env(),
        capture_output=True,
        text=True,
        timeout=900,
    )


def failed_tests(output: str) -> set[str]:
    return set(re.findall(r"^FAILED (.+?)(?: - .*)?$", output, re.MULTILINE))


def test_unmodified_project_passes_a_generated_test_for_every_list_page(installed_project):
    project = installed_project(DEFAULT_ANSWERS)
    result = run([".venv/bin/pytest", "-p", "no:cacheprovider", "-v", *BUDGET_TESTS], project)
    for route in (
        "/admin/auth/group/ (admin:auth_group_changelist)",
        "/admin/authtoken/tokenproxy/ (admin:authtoken_tokenproxy_changelist)",
        "/admin/users/user/ (admin:users_user_changelist)",
        "/api/users/ (api-users)",
    ):
        assert f"{GENERATED}[{route}] PASSED" in result.stdout
    # The toolkit's own app: each planted query per row fails, naming its cause.
    assert "test_each_planted_query_per_row_fails_naming_its_cause[/api/count/] PASSED" in (
        result.stdout
    )
    assert "test_change_page_renders[users.User] PASSED" in result.stdout
    users_list = "tests/test_api.py::test_users_list_queries_are_the_same_for_1_and_100_users"
    run([".venv/bin/pytest", "-p", "no:cacheprovider", users_list], project)


def test_a_query_per_row_in_the_users_serializer_fails_the_suite(installed_project, tmp_path):
    project = copy_of(installed_project(DEFAULT_ANSWERS), tmp_path / "serializer")
    serializers = project / SLUG / "users" / "api.py"
    edit(
        serializers,
        '    class Meta:\n        model = User\n        fields = [\n            "id",',
        "    permission_count = serializers.SerializerMethodField()\n\n"
        "    def get_permission_count(self, user) -> int:\n"
        "        return user.user_permissions.count()\n\n"
        '    class Meta:\n        model = User\n        fields = [\n            "id",',
    )
    edit(serializers, '"groups",\n        ]', '"groups",\n            "permission_count",\n]')

    result = suite(project)
    assert result.returncode == 1, result.stdout[-3000:]
    assert failed_tests(result.stdout) == {
        "tests/test_api.py::test_users_list_queries_are_the_same_for_1_and_100_users",
        f"tests/test_query_budgets.py::{GENERATED}[/api/users/ (api-users)]",
    }
    assert "GET /api/users/ (api-users) ran 7 queries after seeding 1 row and 31 after" in (
        result.stdout
    )
    assert "+24 (2 -> 26) on auth_permission" in result.stdout
    assert (
        f"from serializer field UserListSerializer.permission_count > {SLUG}/users/api.py:"
    ) in result.stdout
    assert COUNT_PERMISSIONS_SQL in result.stdout
    assert "fix: a count per row: annotate(n=Count(...))" in result.stdout


def test_a_query_per_row_in_an_admin_list_display_fails_the_suite(installed_project, tmp_path):
    project = copy_of(installed_project(MINIMAL_ANSWERS), tmp_path / "admin")
    user_admin = project / SLUG / "users" / "admin.py"
    edit(user_admin, '"is_staff", "is_active")', '"is_staff", "is_active", "permission_count")')
    user_admin.write_text(
        user_admin.read_text() + "\n"
        "    @admin.display(description='Permissions')\n"
        "    def permission_count(self, user):\n"
        "        return user.user_permissions.count()\n"
    )

    result = suite(project)
    assert result.returncode == 1, result.stdout[-3000:]
    users = "/admin/users/user/ (admin:users_user_changelist)"
    assert failed_tests(result.stdout) == {f"tests/test_query_budgets.py::{GENERATED}[{users}]"}
    assert "+24 (2 -> 26) on auth_permission" in result.stdout
    assert f"from admin list_display column 'permission_count' > {SLUG}/users/admin.py:" in (
        result.stdout
    )
    # The admin's own change_list.html is not the project's template: it is not named.
    assert "from template admin/" not in result.stdout
    assert "fix: an admin column reads a relation per row" in result.stdout
    assert COUNT_PERMISSIONS_SQL in result.stdout


def test_without_the_rest_framework_the_admin_is_still_covered(installed_project):
    project = installed_project(MINIMAL_ANSWERS)
    result = run([".venv/bin/pytest", "-p", "no:cacheprovider", "-v", *BUDGET_TESTS], project)
    for route in (
        "/admin/auth/group/ (admin:auth_group_changelist)",
        "/admin/users/user/ (admin:users_user_changelist)",
    ):
        assert f"{GENERATED}[{route}] PASSED" in result.stdout
    assert "test_each_planted_query_per_row_fails_naming_its_cause[/books/] PASSED" in (
        result.stdout
    )
    assert "api-users" not in result.stdout
    assert not (project / SLUG / "testing" / "drf.py").exists()
    assert not (project / "tests" / "toolkit_app" / "api.py").exists()
