"""Every list page runs the same number of queries for 1 row as for 25, and no more than recorded.

One test is generated per route that coverage.list_routes() finds. Each is seeded through
tests/seeds.py; tests/query_counts.json keeps the count each route runs (docs/query-budgets.md).
"""

import pytest

from {{ cookiecutter.project_slug }}.testing.coverage import list_routes, measure_route, seeds

from . import seeds as registered  # noqa: F401  (fills the registry)
from .factories import UserFactory

ROUTES = list_routes()


@pytest.mark.django_db
@pytest.mark.parametrize("route", ROUTES, ids=str)
def test_list_page_queries_do_not_grow_with_rows(route, client, recorded_query_counts):
    if route.id in seeds.exemptions:
        pytest.skip(f"exempt: {seeds.exemptions[route.id]}")
    requester = UserFactory.create(is_staff=True, is_superuser=True)
    client.force_login(requester)
    measurement = measure_route(route, client, requester)
    recorded_query_counts.check(route.id, measurement)


def test_recorded_counts_name_only_existing_routes(recorded_query_counts):
    stale = recorded_query_counts.forget_others(route.id for route in ROUTES)
    if not recorded_query_counts.update:
        assert stale == [], (
            f"{recorded_query_counts.path.name} records routes that no longer exist: {stale}. "
            "Run `make query-counts` to drop them."
        )


def test_exemptions_name_existing_routes():
    unknown = sorted(set(seeds.exemptions) - {route.id for route in ROUTES})
    assert unknown == [], f"tests/seeds.py exempts routes that do not exist: {unknown}"


def test_every_list_page_is_found():
    found = {route.id for route in ROUTES}
    assert {"admin:users_user_changelist", "admin:auth_group_changelist"} <= found
{%- if cookiecutter.use_drf %}
    assert "api-users" in found
{%- endif %}
