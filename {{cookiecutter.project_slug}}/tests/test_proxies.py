"""Forwarded headers count only from the proxies allowed to send them (core/proxies.py)."""

import pytest
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory

from {{ cookiecutter.project_slug }}.core.proxies import TrustedProxyMiddleware
from {{ cookiecutter.project_slug }}.core.ratelimit import client_address

CLAIMS = {
    "HTTP_X_FORWARDED_PROTO": "https",
    "HTTP_X_FORWARDED_FOR": "203.0.113.9",
    "HTTP_X_REAL_IP": "203.0.113.9",
}


@pytest.fixture(autouse=True)
def behind_one_proxy(settings):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.TRUSTED_PROXIES = 1


def seen(remote_address: str) -> HttpRequest:
    """The request as the view sees it, after the middleware."""
    request = RequestFactory().get("/")
    request.META |= {"REMOTE_ADDR": remote_address, **CLAIMS}
    TrustedProxyMiddleware(lambda request: HttpResponse())(request)
    return request


@pytest.mark.parametrize("peer", ["127.0.0.1", "::1", ""])
def test_the_local_proxy_is_believed(peer):
    request = seen(peer)
    assert request.is_secure()
    assert client_address(request) == "203.0.113.9"
    assert request.META["HTTP_X_REAL_IP"] == "203.0.113.9"


def test_anyone_else_is_not():
    request = seen("10.0.0.99")
    assert not request.is_secure()
    assert client_address(request) == "10.0.0.99"
    assert request.META["HTTP_X_REAL_IP"] == "10.0.0.99"


@pytest.mark.parametrize("allowed", [["10.0.0.10"], ["10.0.0.0/24"], ["*"]])
def test_the_load_balancer_is_believed_by_address_or_network(settings, allowed):
    settings.TRUSTED_PROXY_ADDRESSES = allowed
    request = seen("10.0.0.10")
    assert request.is_secure()
    assert client_address(request) == "203.0.113.9"


def test_a_listed_network_holds_only_its_own_addresses(settings):
    settings.TRUSTED_PROXY_ADDRESSES = ["10.0.0.0/24"]
    assert not seen("10.0.1.10").is_secure()
