import base64
import hashlib
import re

import pytest
from django.contrib.staticfiles import finders
from django.core.management import call_command
from rest_framework import serializers
from rest_framework.authtoken.models import Token
from rest_framework.generics import ListAPIView
from rest_framework.permissions import AllowAny
from rest_framework.test import APIClient
from rest_framework.throttling import UserRateThrottle

from {{ cookiecutter.project_slug }}.testing.budgets import QueryBudgetExceeded
from {{ cookiecutter.project_slug }}.testing.routes import find_routes
from {{ cookiecutter.project_slug }}.users.models import User

from .factories import GroupFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def api_client():
    return APIClient()


def test_me_without_credentials_is_401_with_the_scheme_to_use(client):
    response = client.get("/api/users/me/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert response.json() == {
        "error": {
            "status": 401,
            "code": "not_authenticated",
            "message": "Authentication credentials were not provided.",
        }
    }


def test_a_wrong_token_is_401(api_client):
    api_client.credentials(HTTP_AUTHORIZATION="Token not-a-token")
    response = api_client.get("/api/users/me/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert response.json()["error"]["code"] == "authentication_failed"


def test_me_shows_the_signed_in_user(client, user):
    client.force_login(user)
    response = client.get("/api/users/me/")
    assert response.status_code == 200
    assert response.json()["email"] == user.email


def test_me_changes_the_name(client, user):
    client.force_login(user)
    response = client.patch(
        "/api/users/me/", {"first_name": "Ada"}, content_type="application/json"
    )
    assert response.status_code == 200
    user.refresh_from_db()
    assert user.first_name == "Ada"


def test_me_refuses_an_invalid_name_with_the_field_named(client, user):
    client.force_login(user)
    response = client.patch(
        "/api/users/me/", {"first_name": "x" * 151}, content_type="application/json"
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["status"], error["code"]) == (400, "invalid")
    assert list(error["fields"]) == ["first_name"]


def test_me_authenticates_with_a_token(api_client, user):
    token = Token.objects.create(user=user)
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert api_client.get("/api/users/me/").json()["email"] == user.email


def test_users_list_is_for_staff_only(client, user):
    client.force_login(user)
    response = client.get("/api/users/")
    # Signed in, but not allowed: 403, and no WWW-Authenticate, since other credentials would
    # not help.
    assert response.status_code == 403
    assert "WWW-Authenticate" not in response
    assert response.json()["error"]["code"] == "permission_denied"


def test_users_list_shows_each_user_with_their_groups(client, admin_user):
    groups = [GroupFactory.create(name=name) for name in ("editors", "authors")]
    member = UserFactory.create(groups=groups)
    client.force_login(admin_user)
    body = client.get("/api/users/").json()
    assert body["count"] == 2
    listed = {row["id"]: row for row in body["results"]}
    assert listed[member.pk]["groups"] == ["authors", "editors"]
    assert listed[admin_user.pk]["groups"] == []


def test_users_list_queries_are_the_same_for_1_and_100_users(client, admin_user, constant_queries):
    client.force_login(admin_user)
    groups = GroupFactory.create_batch(3)
    measurement = constant_queries(
        lambda: client.get("/api/users/", {"page_size": 100}),
        lambda count: UserFactory.create_batch(count, groups=groups),
        sizes=(1, 100),
        label="GET /api/users/",
    )
    few, many = measurement.counts
    assert few == many
    assert measurement.results[1].json()["count"] == 101


def test_requests_past_the_rate_are_throttled_with_the_error_shape(client, user, monkeypatch):
    monkeypatch.setattr(UserRateThrottle, "rate", "2/minute", raising=False)
    client.force_login(user)
    statuses = [client.get("/api/users/me/").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    response = client.get("/api/users/me/")
    assert response.json()["error"]["code"] == "throttled"
    assert int(response["Retry-After"]) > 0


def test_schema_describes_the_api(admin_client):
    response = admin_client.get("/api/schema/")
    assert response.status_code == 200
    assert b"/api/users/me/" in response.content
    assert b"/api/users/" in response.content


def test_schema_generates_without_warnings_and_validates(tmp_path):
    # drf-spectacular warns when it has to guess a type; --fail-on-warn turns that into an error.
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "s.yml"))


@pytest.mark.parametrize("path", ["/api/schema/", "/api/docs/"])
def test_schema_and_docs_are_for_staff_only(client, user, path):
    assert client.get(path).status_code == 401
    client.force_login(user)
    assert client.get(path).status_code == 403


def test_docs_page_loads_only_local_files_and_runs_under_the_csp(admin_client):
    response = admin_client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    policy = {
        directive.split()[0]: directive.split()[1:]
        for directive in response["Content-Security-Policy"].split(";")
        if directive.strip()
    }
    assert "unsafe-inline" not in response["Content-Security-Policy"]
    # Scripts and styles come from this site's static files, or from the page's own init script.
    sources = re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', html)
    assert sources and all(source.startswith(("/static/", "/api/docs/?")) for source in sources)
    for source in sources:
        if source.startswith("/static/"):
            assert finders.find(source.removeprefix("/static/")), source
        else:
            script = admin_client.get(source)
            assert script["Content-Type"].startswith("application/javascript")
    # No inline script at all, and each inline style is allowed by its hash.
    assert re.findall(r"<script>", html) == []
    for style in re.findall(r"<style>(.*?)</style>", html, re.DOTALL):
        digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in policy["style-src"]


class LeakyUserSerializer(serializers.Serializer):
    """A deliberate N+1: the group count of each user, one query per row."""

    email = serializers.EmailField()
    group_count = serializers.SerializerMethodField()

    def get_group_count(self, user):
        return user.groups.count()


class LeakyUserList(ListAPIView):
    serializer_class = LeakyUserSerializer
    permission_classes = [AllowAny]

    def get_queryset(self):
        return User.objects.order_by("pk")


def test_constant_queries_names_the_serializer_field_behind_an_n_plus_one(rf, constant_queries):
    view = LeakyUserList.as_view()
    with pytest.raises(QueryBudgetExceeded) as failure:
        constant_queries(
            lambda: view(rf.get("/leaky/")).render(),
            lambda count: UserFactory.create_batch(count, groups=[GroupFactory.create()]),
        )
    message = str(failure.value)
    assert "+24 (1 -> 25) on auth_group" in message
    assert "from serializer field LeakyUserSerializer.group_count" in message
    assert "tests/test_api.py:" in message and "in get_group_count" in message
    assert 'WHERE "users_user_groups"."user_id" = %s' in message


def test_query_budgets_cover_the_api_list():
    # The toolkit's REST framework extension (QUERY_BUDGET_EXTENSIONS) finds the API's list views.
    routes = {route.id: route for route in find_routes()}
    assert routes["/api/users/"].kind == "REST framework list"
    assert routes["/api/users/"].name == "api-users"
