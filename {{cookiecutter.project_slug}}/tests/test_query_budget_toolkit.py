"""The query-budget toolkit catches a page that queries per row, and says where."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.http import HttpResponse
from django.urls import path
from django.views.generic import ListView

from {{ cookiecutter.project_slug }}.testing.budgets import Measurement, QueryBudgetExceeded
from {{ cookiecutter.project_slug }}.testing.coverage import (
    RecordedCounts,
    Route,
    RouteNotCovered,
    SeedRegistry,
    measure_route,
    urlconf_routes,
)
from {{ cookiecutter.project_slug }}.testing.queries import normalise, record_queries, table_of
from {{ cookiecutter.project_slug }}.users.selectors import users_with_groups

from .factories import GroupFactory, UserFactory

pytestmark = pytest.mark.django_db
MIDDLEWARE = "{{ cookiecutter.project_slug }}.testing.middleware.RepeatedQueriesMiddleware"


class GroupSizes(ListView):
    """A deliberate N+1: counts each group's members with a query per group."""

    model = Group

    def render_to_response(self, context, **kwargs):
        rows = [f"{group.name}: {group.user_set.count()}" for group in context["object_list"]]
        return HttpResponse("\n".join(rows))


class GroupNames(ListView):
    queryset = Group.objects.order_by("name")

    def render_to_response(self, context, **kwargs):
        return HttpResponse(", ".join(group.name for group in context["object_list"]))


urlpatterns = [
    path("group-sizes/", GroupSizes.as_view(), name="group-sizes"),
    path("group-names/", GroupNames.as_view(), name="group-names"),
    path("groups/<int:pk>/", GroupNames.as_view(), name="group-detail"),
]


def seed_groups(count):
    users = UserFactory.create_batch(2)
    for group in GroupFactory.create_batch(count):
        group.user_set.add(*users)


def test_constant_queries_reports_the_sql_that_grew_its_table_and_its_line(
    client, constant_queries, settings
):
    settings.ROOT_URLCONF = __name__
    with pytest.raises(QueryBudgetExceeded) as failure:
        constant_queries(lambda: client.get("/group-sizes/"), seed_groups, label="Group sizes")
    message = str(failure.value)
    assert "Group sizes ran 2 queries after seeding 1 row and 26 after seeding 25 rows" in message
    assert "+24 (1 -> 25) on users_user" in message
    assert 'WHERE "users_user_groups"."group_id" = %s' in message
    assert "from tests/test_query_budget_toolkit.py:" in message
    # Only the SQL that grew is listed: the query for the groups themselves ran once each time.
    assert 'FROM "auth_group"' not in message


def test_constant_queries_accepts_a_page_whose_queries_stay_constant(
    client, constant_queries, settings
):
    settings.ROOT_URLCONF = __name__
    measurement = constant_queries(lambda: client.get("/group-names/"), seed_groups)
    assert measurement.counts == (1, 1)


def test_constant_queries_refuses_to_measure_an_error_page(client, constant_queries):
    with pytest.raises(AssertionError, match="answered 404"):
        constant_queries(lambda: client.get("/no-such-page/"), seed_groups)


def test_query_budget_fails_past_its_maximum_and_lists_the_queries(query_budget):
    GroupFactory.create_batch(3)
    with query_budget(4):
        [group.user_set.count() for group in Group.objects.all()]
    with (
        pytest.raises(QueryBudgetExceeded, match=r"ran 4 queries; its budget is 3") as failure,
        query_budget(3),
    ):
        [group.user_set.count() for group in Group.objects.all()]
    assert "3x on users_user" in str(failure.value)


def test_users_with_groups_fetches_every_group_in_one_query(query_budget):
    groups = GroupFactory.create_batch(3)
    UserFactory.create_batch(10, groups=groups)
    with query_budget(2):
        names = [[group.name for group in user.groups.all()] for user in users_with_groups()]
    assert names == [sorted(group.name for group in groups)] * 10


def test_the_recorder_groups_repeats_of_one_query_whatever_the_values():
    GroupFactory.create_batch(3)
    with record_queries() as recording:
        for group in Group.objects.all():
            Group.objects.filter(pk=group.pk).exists()
    assert len(recording) == 4
    assert [group.count for group in recording.groups()] == [3, 1]


def test_lists_of_placeholders_fold_and_tables_are_found():
    assert normalise('WHERE "id" IN (%s, %s, %s)') == 'WHERE "id" IN (%s, ...)'
    assert normalise("VALUES (%s, %s), (%s, %s)") == "VALUES (%s, ...), ..."
    assert table_of('SELECT "a"."id" FROM "auth_group" INNER JOIN "b"') == "auth_group"
    assert table_of('UPDATE "users_user" SET') == "users_user"
    assert table_of('SAVEPOINT "s1"') == ""


@pytest.mark.urls(__name__)
def test_list_views_in_the_urlconf_are_found_with_their_models():
    routes = {route.id: route for route in urlconf_routes()}
    assert routes["group-sizes"] == Route("group-sizes", "list view", "/group-sizes/", Group)
    assert routes["group-detail"].path is None


@pytest.mark.urls(__name__)
def test_generated_route_test_catches_the_n_plus_one(client, admin_user):
    registry = SeedRegistry()
    registry.register(Group)(lambda count, requester: seed_groups(count))
    client.force_login(admin_user)
    route = Route("group-sizes", "list view", "/group-sizes/", Group)
    with pytest.raises(QueryBudgetExceeded, match=r"GET /group-sizes/ \(group-sizes\) ran"):
        measure_route(route, client, admin_user, registry)


def test_a_route_without_a_seed_fails_until_registered_or_exempted(client, admin_user):
    route = Route("group-names", "list view", "/group-names/", Group)
    with pytest.raises(RouteNotCovered, match=r"lists auth.Group, which has no seed"):
        measure_route(route, client, admin_user, SeedRegistry())
    with pytest.raises(ValueError, match="needs a reason"):
        SeedRegistry().exempt("group-names", reason=" ")


def test_a_seed_that_adds_no_visible_rows_is_refused(client, admin_user):
    registry = SeedRegistry()
    registry.register(Group)(lambda count, requester: None)
    client.force_login(admin_user)
    route = Route("admin:auth_group_changelist", "admin changelist", "/admin/auth/group/", Group)
    with pytest.raises(RouteNotCovered, match="must add rows"):
        measure_route(route, client, admin_user, registry)


def test_recorded_counts_fail_a_rise_and_a_drop_until_updated(tmp_path, query_budget):
    counts_file = tmp_path / "query_counts.json"
    counts_file.write_text(json.dumps({"page": 3}))
    with query_budget(10) as four:
        for _ in range(4):
            Group.objects.exists()
    measurement = Measurement((1, 25), four, four, (None, None))

    with pytest.raises(QueryBudgetExceeded, match=r"runs 4 queries; query_counts\.json records 3"):
        RecordedCounts(counts_file, update=False).check("page", measurement)
    counts_file.write_text(json.dumps({"page": 5}))
    with pytest.raises(QueryBudgetExceeded, match="fewer than the 5 recorded"):
        RecordedCounts(counts_file, update=False).check("page", measurement)
    with pytest.raises(RouteNotCovered, match="no recorded query count"):
        RecordedCounts(counts_file, update=False).check("other", measurement)

    updating = RecordedCounts(counts_file, update=True)
    updating.check("page", measurement)
    updating.forget_others(["page"])
    assert updating.save()
    assert json.loads(counts_file.read_text()) == {"page": 4}


def test_development_middleware_warns_about_sql_repeated_in_one_request(client, settings, caplog):
    settings.ROOT_URLCONF = __name__
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, MIDDLEWARE]
    settings.REPEATED_QUERIES_WARNING_AT = 10
    seed_groups(9)
    client.get("/group-sizes/")
    assert caplog.records == []

    seed_groups(1)
    client.get("/group-sizes/")
    [record] = caplog.records
    assert record.levelname == "WARNING"
    assert record.getMessage().startswith("GET /group-sizes/ ran the same SQL 10 times")
    assert 'WHERE "users_user_groups"."group_id" = %s' in record.getMessage()


def test_local_settings_install_the_development_middleware():
    script = "from django.conf import settings; print(settings.MIDDLEWARE[-1])"
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parent.parent,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.local",
            "DJANGO_READ_DOT_ENV": "false",
            "DJANGO_SECRET_KEY": "local-settings-test",
        },
    )
    assert result.stdout.strip() == MIDDLEWARE
