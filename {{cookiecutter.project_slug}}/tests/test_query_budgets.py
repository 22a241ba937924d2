"""Every list and detail route runs as many queries for few rows as for many, and no more than
recorded.

One test is generated per route that routes.find_routes() finds. Rows come from tests/seeds.py
or, for a model without a seed there, from model-bakery; tests/query_counts.json keeps the count
each route runs (docs/query-budgets.md).
"""

import pytest

from {{ cookiecutter.project_slug }}.testing.coverage import measure_route
from {{ cookiecutter.project_slug }}.testing.routes import find_routes
from {{ cookiecutter.project_slug }}.testing.seeding import relations, seeds

from . import seeds as registered  # noqa: F401  (fills the registry)
from .factories import UserFactory

ROUTES = find_routes()


# Every database alias is counted, so every alias must be open to the test.
@pytest.mark.django_db(databases="__all__")
@pytest.mark.parametrize("route", ROUTES, ids=str)
def test_route_queries_do_not_grow_with_rows(route, client, recorded_query_counts):
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


def test_exemptions_name_existing_routes_and_relations():
    known = {route.id for route in ROUTES} | {
        f"{model._meta.label}.{relation.name}"
        for model in {route.model for route in ROUTES if route.model is not None}
        for relation in relations(model)
    }
    unknown = sorted(set(seeds.exemptions) - known)
    assert unknown == [], f"tests/seeds.py exempts routes or relations that do not exist: {unknown}"


def test_every_list_page_is_found():
    found = {str(route) for route in ROUTES}
    assert {
        "/admin/users/user/ (admin:users_user_changelist)",
        "/admin/auth/group/ (admin:auth_group_changelist)",
    } <= found
