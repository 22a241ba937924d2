"""The headers a browser gets from the application under production settings.

Django owns these headers on every response it makes; nginx adds its own only on the files it
serves, so each header is sent exactly once (deploy/nginx).
"""

import pytest

HOST = "{{ cookiecutter.domain_name }}"


@pytest.fixture(scope="module")
def responses(production_boot) -> dict:
    """Requests made with Django's test client in the process booted with production settings."""
    return production_boot["responses"]


def directives(policy: str) -> dict[str, list[str]]:
    parsed = {}
    for directive in policy.split(";"):
        name, *values = directive.split()
        parsed[name] = values
    return parsed


def test_pages_send_a_nonce_based_content_security_policy(responses):
    policy = directives(responses["home"]["headers"]["content-security-policy"])
    assert policy["default-src"] == ["'self'"]
    # Scripts from this origin, and inline ones only with the request's nonce (emitted when a
    # template uses it).
    assert policy["script-src"][0] == "'self'"
    assert all(value.startswith("'nonce-") for value in policy["script-src"][1:])
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    everything = " ".join(value for values in policy.values() for value in values)
    assert "unsafe-inline" not in everything
    assert "unsafe-eval" not in everything


def test_pages_send_the_browser_hardening_headers(responses):
    headers = responses["home"]["headers"]
    assert headers["strict-transport-security"] == "max-age=60; includeSubDomains"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    assert headers["referrer-policy"] == "same-origin"
    assert headers["cross-origin-opener-policy"] == "same-origin"
    assert "camera=()" in headers["permissions-policy"]
    assert "geolocation=()" in headers["permissions-policy"]


def test_the_csrf_cookie_is_a_secure_host_only_cookie(responses):
    cookie = responses["login"]["cookies"]["__Host-csrftoken"]
    assert cookie["secure"] == "True"
    assert cookie["path"] == "/"
    assert cookie["samesite"] == "Lax"


def test_plain_http_is_redirected_to_https(responses):
    response = responses["plain_http"]
    assert response["status"] == 301
    assert response["location"] == f"https://{HOST}/accounts/login/?next=/"
    assert "strict-transport-security" not in response["headers"]
