"""Rate limits on the posts password guessers and mail bombers send: sign-in, password reset.

nginx limits the login paths it knows as a first line. This limit holds whatever path a view is
routed at (DJANGO_ADMIN_URL moves the admin's) and whether nginx is in front: RATE_LIMITS names
each view by its URL name, and the middleware counts posts to it per client address in the
default cache (shared by every process once REDIS_URL is set). A view added later, such as
another sign-in form, is limited by adding its URL name to RATE_LIMITS. django-ratelimit does the
counting; the middleware only decides which requests it counts and how the refusal looks.
"""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django_ratelimit.core import get_usage


def client_address(request: HttpRequest) -> str:
    """The address of the client, as the trusted proxies in front (TRUSTED_PROXIES) saw it.

    Each proxy appends the address it received the request from to X-Forwarded-For, so with N
    trusted proxies the client is the N-th entry from the right; anything further left was sent
    by the client and proves nothing. Without proxies, the connection's own address.
    """
    proxies = settings.TRUSTED_PROXIES
    forwarded = [
        address.strip()
        for address in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        if address.strip()
    ]
    if proxies and forwarded:
        return forwarded[-min(proxies, len(forwarded))]
    return request.META.get("REMOTE_ADDR", "")


def by_client_address(group: str, request: HttpRequest) -> str:
    return client_address(request)


class RateLimitMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: Callable, view_args: tuple, view_kwargs: dict
    ) -> HttpResponse | None:
        match = request.resolver_match
        if match is None or request.method != "POST":
            return None
        rate = settings.RATE_LIMITS.get(match.view_name)
        if rate is None:
            return None
        usage = get_usage(
            request,
            group=match.view_name,
            key=by_client_address,
            rate=rate,
            method="POST",
            increment=True,
        )
        if usage is None or not usage["should_limit"]:
            return None
        response = render(request, "429.html", status=429)
        response["Retry-After"] = str(max(usage["time_left"], 1))
        return response
