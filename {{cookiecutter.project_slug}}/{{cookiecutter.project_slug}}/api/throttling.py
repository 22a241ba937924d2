"""Request rates per client, with the client's address as the trusted proxies saw it.

Django REST framework would take the whole X-Forwarded-For header as the address, which any
client can write, so each request could count against a new key. These classes ask
core/ratelimit.py, which reads only the entries TRUSTED_PROXIES vouches for.
"""

from rest_framework import throttling
from rest_framework.request import Request

from {{ cookiecutter.project_slug }}.core.ratelimit import client_address


class AnonRateThrottle(throttling.AnonRateThrottle):
    def get_ident(self, request: Request) -> str:
        return client_address(request)


class UserRateThrottle(throttling.UserRateThrottle):
    def get_ident(self, request: Request) -> str:
        return client_address(request)
