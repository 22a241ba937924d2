"""Views the several-hosts test adds to its copy of a rendered project (never shipped).

Each answer names the app host that served it (KEEL_HOST), so the test sees where the load
balancer sent a request. Copied into the project root and routed from config/urls.py.
"""

import os
import time

from acme_portal.core.ratelimit import client_address
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.http import HttpRequest, JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST
from drf_spectacular.utils import extend_schema
from rest_framework.decorators import (
    api_view,
    authentication_classes,
    permission_classes,
    throttle_classes,
)
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle

HOST = os.environ.get("KEEL_HOST", "")


def reply(**data: object) -> JsonResponse:
    return JsonResponse({"host": HOST, **data})


@require_GET
def session_start(request: HttpRequest, value: str) -> JsonResponse:
    request.session["value"] = value
    return reply()


@require_GET
def session_read(request: HttpRequest) -> JsonResponse:
    return reply(value=request.session.get("value"))


@csrf_exempt
@require_POST
def apply(request: HttpRequest, token: str) -> JsonResponse:
    """A write that must happen at most once per token: it counts its own applications."""
    time.sleep(float(request.GET.get("hold", "0")))
    cache.add(f"applied:{token}", 0, None)
    return reply(count=cache.incr(f"applied:{token}"))


@require_GET
def applied(request: HttpRequest, token: str) -> JsonResponse:
    return reply(count=cache.get(f"applied:{token}", 0))


@require_GET
def work(request: HttpRequest) -> JsonResponse:
    time.sleep(float(request.GET.get("hold", "0")))
    return reply()


@csrf_exempt
@require_POST
def upload(request: HttpRequest) -> JsonResponse:
    name = default_storage.save("uploads/probe.txt", ContentFile(request.body))
    return reply(name=name)


@require_GET
def media_url(request: HttpRequest) -> JsonResponse:
    return reply(url=default_storage.url(request.GET["name"]))


@require_GET
def whoami(request: HttpRequest) -> JsonResponse:
    """What Django believes of the forwarded headers: the scheme and the client's address."""
    return reply(secure=request.is_secure(), client=client_address(request))


@extend_schema(exclude=True)  # not part of the project's API
@api_view(["GET"])
@authentication_classes([])
@permission_classes([AllowAny])
@throttle_classes([AnonRateThrottle])
def throttled(request: HttpRequest) -> Response:
    return Response({"host": HOST})


urlpatterns = [
    path("session/start/<str:value>/", session_start),
    path("session/read/", session_read),
    path("apply/<str:token>/", apply),
    path("applied/<str:token>/", applied),
    path("work/", work),
    path("upload/", upload),
    path("media-url/", media_url),
    path("throttled/", throttled),
    path("whoami/", whoami),
]
