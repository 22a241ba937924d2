"""On a real app (tests/toolkit_app), the toolkit finds every route, fills every relation by itself,
and names the cause of each query per row planted in it."""

import pytest
from django.urls import path

from {{ cookiecutter.project_slug }}.testing.budgets import QueryBudgetExceeded
from {{ cookiecutter.project_slug }}.testing.coverage import RouteNotCovered, measure_route
from {{ cookiecutter.project_slug }}.testing.routes import find_routes
from {{ cookiecutter.project_slug }}.testing.seeding import SeedRegistry, SeedShapeError

from .factories import UserFactory
from .toolkit_app.models import Book, Publisher
from .toolkit_app.views import BookListView

FIXED = "tests.toolkit_app.urls"
PLANTED = "tests.toolkit_app.planted_urls"
FIXED_ROUTES = find_routes(FIXED)
# Fewer rows than the generated tests seed (1 and 25): a query per row shows as well, sooner.
SIZES = (1, 5)
PLANTED_ROUTES = {route.id: route for route in find_routes(PLANTED)}
SELECT_RELATED = "select_related it in the queryset"
PREFETCH_RELATED = "prefetch_related it"
LIST_SELECT_RELATED = "list_select_related"

# The route with a query per row planted in it, and what its failure must say.
PLANTED_CAUSES = {
    "/books/": [
        "+4 (1 -> 5) on toolkit_app_publisher",
        "template toolkit_app/book_list.html, line 3",
        SELECT_RELATED,
    ],
    "/books/reviewed/": ["on toolkit_app_review (database 'replica')", PREFETCH_RELATED],
    "/careless/toolkit_app/book/": [
        "admin list_display column 'publisher_name'",
        "tests/toolkit_app/sites.py:",
        LIST_SELECT_RELATED,
    ],
    "/careless/toolkit_app/review/": [
        # The checkbox column is the first to call str() on each row.
        "admin list_display column 'action_checkbox' > tests/toolkit_app/models.py:",
        " in __str__",
        LIST_SELECT_RELATED,
    ],
    "/careless/toolkit_app/book/<object_id>/change/": [
        "after giving each of its relations 5 related rows",
        "on toolkit_app_author",
        SELECT_RELATED,
    ],
{%- if cookiecutter.use_drf %}
    "/api/forward-key/": [
        "serializer field BookSerializer.publisher",
        "on toolkit_app_publisher",
        SELECT_RELATED,
    ],
    "/api/nested/": [
        "serializer field BookSerializer.tags",
        "on toolkit_app_tag",
        PREFETCH_RELATED,
    ],
    "/api/filtered-prefetch/": [
        "serializer field Serializer.good_reviews",
        "tests/toolkit_app/api.py:",
        "Prefetch(lookup, queryset=..., to_attr=...)",
    ],
    "/api/count/": ["serializer field Serializer.review_count", "annotate(n=Count(...))"],
    "/api/detail-nested/<pk>/": [
        "BookDetailSerializer.reviews > serializer field ReviewSerializer.reviewer",
        "on toolkit_app_author",
        SELECT_RELATED,
    ],
{%- endif %}
}


@pytest.fixture
def requester(client, db):
    user = UserFactory.create(is_staff=True, is_superuser=True)
    client.force_login(user)
    return user


def test_every_route_is_found_whatever_its_name_site_or_nesting():
    assert {str(route) for route in FIXED_ROUTES} == {
        "/backoffice/toolkit_app/book/ (backoffice:toolkit_app_book_changelist)",
        "/backoffice/toolkit_app/book/<object_id>/change/ (backoffice:toolkit_app_book_change)",
        "/backoffice/toolkit_app/review/ (backoffice:toolkit_app_review_changelist)",
        "/books/ (book-list)",
        "/books/<pk>/ (book-detail)",
        "/books/reviewed/ (reviewed-books)",
        "/shelf/tags/",
{%- if cookiecutter.use_drf %}
        "/api/books/ (book-list)",
        "/api/books/<pk>/ (book-detail)",
        "/api/books/<book_pk>/reviews/",
        "/api/books/recent/ (book-recent)",
{%- endif %}
    }
    kinds = {
        route.id: (route.kind, route.model and route.model._meta.label) for route in FIXED_ROUTES
    }
    assert kinds["/shelf/tags/"] == ("list view", "toolkit_app.Tag")
{%- if cookiecutter.use_drf %}
    assert kinds["/api/books/recent/"] == ("REST framework list action", "toolkit_app.Book")
    assert kinds["/api/books/<book_pk>/reviews/"] == ("REST framework list", "toolkit_app.Review")
{%- endif %}


# Every alias is counted, so every alias must be open to the test.
@pytest.mark.django_db(databases="__all__")
@pytest.mark.urls(FIXED)
@pytest.mark.parametrize("route", FIXED_ROUTES, ids=str)
def test_routes_done_right_pass_with_no_hand_written_seed(route, client, requester):
    measure_route(route, client, requester, SeedRegistry(), SIZES)


@pytest.mark.django_db(databases="__all__")
@pytest.mark.urls(PLANTED)
@pytest.mark.parametrize("route_id", PLANTED_CAUSES)
def test_each_planted_query_per_row_fails_naming_its_cause(route_id, client, requester):
    with pytest.raises(QueryBudgetExceeded) as failure:
        measure_route(PLANTED_ROUTES[route_id], client, requester, SeedRegistry(), SIZES)
    message = str(failure.value)
    for cause in PLANTED_CAUSES[route_id]:
        assert cause in message, message


@pytest.mark.django_db
def test_the_automatic_seed_fills_every_relation_including_nullable_ones():
    SeedRegistry().seed_for(Book)(3, None)
    assert Book.objects.count() == 3
    for book in Book.objects.all():
        assert book.translator is not None
        assert book.tags.count() == 2
        assert book.reviews.count() == 2


@pytest.mark.urls(FIXED)
def test_an_empty_relation_in_a_hand_written_seed_fails_until_exempted(client, requester):
    registry = SeedRegistry()

    @registry.register(Book)
    def seed_books_without_tags(count, requester):
        SeedRegistry().seed_for(Book)(count, requester)
        for book in Book.objects.all():
            book.tags.clear()

    [route] = [route for route in FIXED_ROUTES if route.id == "/books/"]
    with pytest.raises(SeedShapeError) as failure:
        measure_route(route, client, requester, registry, SIZES)
    assert "toolkit_app.Book.tags (ManyToManyField to toolkit_app.Tag)" in str(failure.value)
    assert "seed_books_without_tags in tests/test_query_budget_toolkit_app.py" in str(failure.value)

    registry.exempt("toolkit_app.Book.tags", reason="the page shows no tags")
    measure_route(route, client, requester, registry, SIZES)


urlpatterns = [path("publishers/<str:code>/books/", BookListView.as_view())]


@pytest.mark.urls(__name__)
def test_a_route_with_a_parameter_it_cannot_fill_says_how_to_tell_it(client, requester):
    [route] = find_routes(__name__)
    with pytest.raises(RouteNotCovered, match=r"takes the URL parameter 'code'.*seeds\.exempt"):
        measure_route(route, client, requester, SeedRegistry(), SIZES)
    assert Publisher.objects.count() == 0
