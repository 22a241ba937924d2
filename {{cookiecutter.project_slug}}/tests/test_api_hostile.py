"""Hostile and malformed requests get a 4xx in the API's error shape: never a 500, never HTML."""

import json

import pytest
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from {{ cookiecutter.project_slug }}.api.throttling import AnonRateThrottle

pytestmark = pytest.mark.django_db

ME = "/api/users/me/"


def error_of(response, status: int) -> dict:
    """The error body of a response that must have `status`, in the documented shape."""
    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"] == "application/json"
    error = response.json()["error"]
    assert error["status"] == status
    assert isinstance(error["code"], str) and isinstance(error["message"], str)
    return error


def patch_me(client: Client, body: object, content_type: str = "application/json"):
    raw = body if isinstance(body, str | bytes) else json.dumps(body)
    return client.generic("PATCH", ME, raw, content_type=content_type)


@pytest.fixture
def api_client():
    return APIClient()


@pytest.fixture
def signed_in(client, user):
    client.force_login(user)
    return client


def test_deeply_nested_json_is_a_400_not_a_recursion_error(signed_in):
    # About 2 KB is enough to exhaust the JSON parser's recursion.
    error = error_of(patch_me(signed_in, "[" * 100_000 + "]" * 100_000), 400)
    assert error["code"] == "parse_error"
    assert "nested too deeply" in error["message"]


def test_a_body_over_the_size_limit_is_a_413(signed_in, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    body = '{"first_name": "%s"}' % ("a" * 2048)
    assert error_of(patch_me(signed_in, body), 413)["code"] == "too_large"


def test_more_than_1000_query_fields_is_a_400(signed_in):
    query = "&".join(f"f{number}=x" for number in range(1001))
    assert error_of(signed_in.get(f"{ME}?{query}"), 400)["code"] == "bad_request"


def test_a_form_of_1001_fields_is_refused_unread_with_a_415(signed_in):
    form = "&".join(f"f{number}=x" for number in range(1001))
    response = patch_me(signed_in, form, "application/x-www-form-urlencoded")
    assert error_of(response, 415)["code"] == "unsupported_media_type"


@pytest.mark.parametrize(
    "body",
    [b"\xff\xfe{}", b'{"first_name": "\xc3"}', b"{", b"NaN", b'{"first_name": Infinity}'],
    ids=["not-utf8", "truncated-utf8", "truncated-json", "nan", "infinity"],
)
def test_malformed_json_is_a_400(signed_in, body):
    assert error_of(patch_me(signed_in, body), 400)["code"] == "parse_error"


def test_an_unknown_charset_is_read_as_utf8(signed_in):
    response = patch_me(signed_in, '{"first_name": "Ada"}', "application/json; charset=x-bogus")
    assert response.status_code == 200


@pytest.mark.parametrize(
    "name",
    ["A\x00da", "Ada\n", "\tAda", "Ada\x1b[31m", "Ada\x85", "\u202eadA", "Ada\u2066"],
    ids=["nul", "newline", "tab", "escape", "c1-control", "rtl-override", "bidi-isolate"],
)
def test_names_with_control_or_direction_characters_are_refused(signed_in, name):
    error = error_of(patch_me(signed_in, {"first_name": name}), 400)
    assert list(error["fields"]) == ["first_name"]


def test_a_name_in_any_script_is_accepted(signed_in):
    response = patch_me(signed_in, {"first_name": "Zoë Ἀθηνᾶ אדה"})
    assert response.status_code == 200


def test_a_version_that_would_inject_a_header_is_a_400(admin_client):
    error = error_of(admin_client.get("/api/schema/?version=%0d%0aSet-Cookie:%20x=1"), 400)
    assert list(error["fields"]) == ["version"]


@pytest.mark.parametrize(
    "query",
    ["page=%00", "page=0", "page=-1", "page=1.5", "page=%D9%A3", "page_size=0", "page_size=201"],
)
def test_out_of_bounds_pagination_is_a_400_naming_the_parameter(admin_client, query):
    error = error_of(admin_client.get(f"/api/users/?{query}"), 400)
    assert list(error["fields"]) == [query.split("=")[0]]


def test_a_page_past_the_last_is_a_404(admin_client):
    assert error_of(admin_client.get("/api/users/?page=" + "9" * 5000), 404)["code"] == "not_found"


@pytest.mark.parametrize("path", ["/api/nothing-here/", "/api/users%00/", "/api/users/me/%00"])
def test_an_unknown_api_url_is_a_json_404(client, path):
    assert error_of(client.get(path), 404)["code"] == "not_found"


def test_django_refusing_the_host_answers_in_the_shape_under_api(client):
    # Raised by Django's middleware before any API view runs (nginx drops these in production).
    assert error_of(client.get(ME, HTTP_HOST="evil.test"), 400)["code"] == "bad_request"


def test_pages_outside_the_api_keep_their_html_errors(client):
    response = client.get("/nothing-here/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_the_browsable_api_is_off(signed_in):
    assert error_of(signed_in.get(f"{ME}?format=api"), 404)["code"] == "not_found"
    assert error_of(signed_in.get(ME, HTTP_ACCEPT="text/html"), 406)["code"] == "not_acceptable"


@pytest.fixture
def two_anonymous_requests_a_minute(monkeypatch):
    monkeypatch.setattr(AnonRateThrottle, "rate", "2/minute", raising=False)


def test_anonymous_requests_are_throttled_by_address_whatever_x_forwarded_for_says(
    client, two_anonymous_requests_a_minute
):
    statuses = [
        client.get(ME, HTTP_X_FORWARDED_FOR=f"203.0.113.{number}").status_code
        for number in range(4)
    ]
    assert statuses == [401, 401, 429, 429]
    assert error_of(client.get(ME), 429)["code"] == "throttled"
    other = client.get(ME, REMOTE_ADDR="198.51.100.9")
    assert other.status_code == 401


def test_wrong_tokens_are_throttled(api_client, two_anonymous_requests_a_minute, user):
    statuses = []
    for number in range(4):
        api_client.credentials(HTTP_AUTHORIZATION=f"Token guess{number}")
        statuses.append(api_client.get(ME).status_code)
    assert statuses == [401, 401, 429, 429]
    # A valid token is not held back by the guesses of another address.
    token = Token.objects.create(user=user)
    good = Client(REMOTE_ADDR="198.51.100.9", HTTP_AUTHORIZATION=f"Token {token.key}")
    assert good.get(ME).status_code == 200


def test_behind_a_proxy_the_address_it_saw_is_the_client(
    client, settings, two_anonymous_requests_a_minute
):
    settings.TRUSTED_PROXIES = 1
    # The proxy appends the address it saw; what the client wrote before it changes nothing.
    statuses = [
        client.get(ME, HTTP_X_FORWARDED_FOR=f"10.9.9.{number}, 192.0.2.1").status_code
        for number in range(3)
    ]
    assert statuses == [401, 401, 429]
    assert client.get(ME, HTTP_X_FORWARDED_FOR="192.0.2.2").status_code == 401
