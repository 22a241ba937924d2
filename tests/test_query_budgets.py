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

from .conftest import DEFAULT_ANSWERS, MINIMAL_ANSWERS, run, tool_env

pytestmark = pytest.mark.slow
SLUG = "acme_portal"
BUDGET_TESTS = ["tests/test_query_budgets.py", "tests/test_admin.py"]
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
    return set(re.findall(r"^FAILED (\S+)", output, re.MULTILINE))


def test_unmodified_project_passes_a_generated_test_for_every_list_page(installed_project):
    project = installed_project(DEFAULT_ANSWERS)
    result = run([".venv/bin/pytest", "-p", "no:cacheprovider", "-v", *BUDGET_TESTS], project)
    for route in (
        "admin:auth_group_changelist",
        "admin:authtoken_tokenproxy_changelist",
        "admin:users_user_changelist",
        "api-users",
    ):
        assert f"test_list_page_queries_do_not_grow_with_rows[{route}] PASSED" in result.stdout
    assert "test_change_page_renders[users.User] PASSED" in result.stdout
    users_list = "tests/test_api.py::test_users_list_queries_are_the_same_for_1_and_100_users"
    run([".venv/bin/pytest", "-p", "no:cacheprovider", users_list], project)


def test_a_query_per_row_in_the_users_serializer_fails_the_suite(installed_project, tmp_path):
    project = copy_of(installed_project(DEFAULT_ANSWERS), tmp_path / "serializer")
    serializers = project / SLUG / "api" / "serializers.py"
    edit(
        serializers,
        '    class Meta:\n        model = get_user_model()\n        fields = [\n            "id",',
        "    permission_count = serializers.SerializerMethodField()\n\n"
        "    def get_permission_count(self, user) -> int:\n"
        "        return user.user_permissions.count()\n\n"
        '    class Meta:\n        model = get_user_model()\n        fields = [\n            "id",',
    )
    edit(serializers, '"groups",\n        ]', '"groups",\n            "permission_count",\n]')

    result = suite(project)
    assert result.returncode == 1, result.stdout[-3000:]
    assert failed_tests(result.stdout) == {
        "tests/test_api.py::test_users_list_queries_are_the_same_for_1_and_100_users",
        "tests/test_query_budgets.py::test_list_page_queries_do_not_grow_with_rows[api-users]",
    }
    assert "GET /api/users/ (api-users) ran 7 queries after seeding 1 row and 31 after" in (
        result.stdout
    )
    assert (
        "+24 (2 -> 26) on auth_permission, from serializer field "
        "UserListSerializer.permission_count"
    ) in result.stdout
    assert COUNT_PERMISSIONS_SQL in result.stdout


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
    assert failed_tests(result.stdout) == {
        "tests/test_query_budgets.py::"
        "test_list_page_queries_do_not_grow_with_rows[admin:users_user_changelist]",
    }
    assert (
        "+24 (2 -> 26) on auth_permission, from admin list_display column 'permission_count'"
    ) in result.stdout
    assert f"{SLUG}/users/admin.py:" in result.stdout
    assert COUNT_PERMISSIONS_SQL in result.stdout


def test_without_the_rest_framework_the_admin_is_still_covered(installed_project):
    project = installed_project(MINIMAL_ANSWERS)
    result = run([".venv/bin/pytest", "-p", "no:cacheprovider", "-v", *BUDGET_TESTS], project)
    assert "test_list_page_queries_do_not_grow_with_rows[admin:users_user_changelist] PASSED" in (
        result.stdout
    )
    assert "test_list_page_queries_do_not_grow_with_rows[admin:auth_group_changelist] PASSED" in (
        result.stdout
    )
    assert "api-users" not in result.stdout
    assert not (project / SLUG / "testing" / "drf.py").exists()
