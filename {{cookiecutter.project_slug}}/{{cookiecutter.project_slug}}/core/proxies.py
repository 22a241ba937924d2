"""Forwarded headers are believed only when the connection comes from a proxy allowed to set them.

nginx replaces X-Forwarded-Proto, X-Forwarded-For and X-Real-IP with what it saw, and Django reads
them: SECURE_PROXY_SSL_HEADER for HTTPS, the rate limits for the client's address. An app server
listening on TCP can be reached by more than its load balancer, though, and a request from
anywhere else could claim HTTPS or any client address. Unless the connection came over the local
socket or from an address in TRUSTED_PROXY_ADDRESSES (production reads GUNICORN_FORWARDED_ALLOW_IPS,
the list Gunicorn trusts for the scheme it reports), this middleware, first in the list, drops the
first two headers and sets X-Real-IP to the connection's own address (a limit counting per
X-Real-IP refuses a request without one). Gunicorn passes the headers on whoever sent them, and
Django has no setting that ties them to the sender, hence these few lines of our own.
"""

import ipaddress
from collections.abc import Callable
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest, HttpResponse

FORWARDED = ("HTTP_X_FORWARDED_PROTO", "HTTP_X_FORWARDED_FOR")


@lru_cache(maxsize=8)
def networks(
    addresses: tuple[str, ...],
) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(address, strict=False) for address in addresses)


def from_trusted_proxy(remote_address: str) -> bool:
    """Whether the peer may set forwarded headers: a local socket (no address) or a listed one."""
    if not remote_address:
        return True
    allowed = tuple(settings.TRUSTED_PROXY_ADDRESSES)
    if "*" in allowed:
        return True
    try:
        peer = ipaddress.ip_address(remote_address)
    except ValueError:
        return False
    return any(peer in network for network in networks(allowed))


class TrustedProxyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        peer = request.META.get("REMOTE_ADDR", "")
        if not from_trusted_proxy(peer):
            for header in FORWARDED:
                request.META.pop(header, None)
            request.META["HTTP_X_REAL_IP"] = peer
        return self.get_response(request)
