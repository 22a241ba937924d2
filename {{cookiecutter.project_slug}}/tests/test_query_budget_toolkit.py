"""The query-budget toolkit catches a page that queries per row, and says where."""

import json

import pytest
from django.contrib.auth.models import Group, Permission
from django.http import HttpResponse
from django.urls import path
from django.views.generic import ListView

from {{ cookiecutter.project_slug }}.testing.budgets import Measurement, QueryBudgetExceeded
from {{ cookiecutter.project_slug }}.testing.coverage import (
    RecordedCounts,
    RouteNotCovered,
    measure_route,
)
from {{ cookiecutter.project_slug }}.testing.queries import normalise, record_queries, table_of
from {{ cookiecutter.project_slug }}.testing.routes import Route, find_routes
from {{ cookiecutter.project_slug }}.testing.seeding import SeedRegistry
from {{ cookiecutter.project_slug }}.users.selectors import users_with_groups

from .factories import GroupFactory, UserFactory
from .production import load_settings

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
    assert "fix: a count per row: annotate(n=Count(...))" in message
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
    # A prefetch for one row is the same query as a prefetch for many.
    assert normalise('WHERE "id" IN (%s)') == 'WHERE "id" IN (%s, ...)'
    assert normalise('WHERE "id" = (%s)') == 'WHERE "id" = (%s)'
    assert normalise("VALUES (%s, %s), (%s, %s)") == "VALUES (%s, ...), ..."
    assert table_of('SELECT "a"."id" FROM "auth_group" INNER JOIN "b"') == "auth_group"
    assert table_of('UPDATE "users_user" SET') == "users_user"
    assert table_of('SAVEPOINT "s1"') == ""


def test_list_views_in_the_urlconf_are_found_with_their_models():
    routes = {route.id: route for route in find_routes(__name__)}
    assert routes["/group-sizes/"] == Route(
        "/group-sizes/", "group-sizes", "list view", Group, "/group-sizes/"
    )
    # Two routes of one view under different URLs are two routes.
    assert routes["/groups/<pk>/"].parameters == ("pk",)
    assert routes["/groups/<pk>/"].url(pk=3) == "/groups/3/"


@pytest.mark.urls(__name__)
def test_generated_route_test_catches_the_n_plus_one(client, admin_user):
    registry = SeedRegistry()
    registry.register(Group)(lambda count, requester: seed_groups(count))
    registry.exempt("auth.Group.permissions", reason="the page shows how many members, no more")
    client.force_login(admin_user)
    route = Route("/group-sizes/", "group-sizes", "list view", Group, "/group-sizes/")
    with pytest.raises(QueryBudgetExceeded, match=r"GET /group-sizes/ \(group-sizes\) ran"):
        measure_route(route, client, admin_user, registry)


def test_a_route_without_a_model_fails_until_exempted(client, admin_user):
    route = Route("/report/", "report", "list view", None, "/report/")
    with pytest.raises(RouteNotCovered, match=r"does not say which model it lists"):
        measure_route(route, client, admin_user, SeedRegistry())
    with pytest.raises(ValueError, match="needs a reason"):
        SeedRegistry().exempt("group-names", reason=" ")


def test_a_seed_that_adds_no_visible_rows_is_refused(client, admin_user):
    registry = SeedRegistry()
    registry.register(Group)(lambda count, requester: None)
    for relation in ("user", "permissions"):
        registry.exempt(f"auth.Group.{relation}", reason="this test is about the rows themselves")
    client.force_login(admin_user)
    changelist = "/admin/auth/group/"
    route = Route(changelist, "admin:auth_group_changelist", "admin changelist", Group, changelist)
    with pytest.raises(RouteNotCovered, match="must add rows"):
        measure_route(route, client, admin_user, registry)


def test_recorded_counts_fail_a_rise_marking_what_is_new_and_a_drop_until_updated(
    tmp_path, query_budget
):
    counts_file = tmp_path / "query_counts.json"
    tables = {"auth_group": 3}
    recorded = {"queries": 3, "tables": tables}
    counts_file.write_text(json.dumps({"page": recorded}))
    with query_budget(10) as four:
        for _ in range(3):
            Group.objects.exists()
        list(Permission.objects.all()[:1])
    measurement = Measurement((1, 25), four, four, (None, None))

    rise_message = r"runs 4 queries; query_counts\.json records 3"
    with pytest.raises(QueryBudgetExceeded, match=rise_message) as rise:
        RecordedCounts(counts_file, update=False).check("page", measurement)
    assert "  NEW 1x on auth_permission" in str(rise.value)
    assert "  3x on auth_group" in str(rise.value)
    counts_file.write_text(json.dumps({"page": 5}))
    with pytest.raises(QueryBudgetExceeded, match="fewer than the 5 recorded"):
        RecordedCounts(counts_file, update=False).check("page", measurement)
    with pytest.raises(RouteNotCovered, match="no recorded query count"):
        RecordedCounts(counts_file, update=False).check("other", measurement)

    updating = RecordedCounts(counts_file, update=True)
    updating.check("page", measurement)
    updating.forget_others(["page"])
    assert updating.changes() == ["page: 5 -> 4"]
    assert updating.save()
    tables = {**tables, "auth_permission": 1}
    updated = {"queries": 4, "tables": tables}
    assert json.loads(counts_file.read_text()) == {"page": updated}


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
    local = load_settings({"DJANGO_SECRET_KEY": "local-settings-test"}, "config.settings.local")
    assert local.MIDDLEWARE[-1] == MIDDLEWARE
