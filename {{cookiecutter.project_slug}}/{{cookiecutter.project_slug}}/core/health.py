"""Health probes for load balancers and process supervisors.

/healthz/ says the process is alive and does no I/O: restart the process if it fails.
/readyz/ checks what a request needs (database, cache{% if cookiecutter.use_celery %}, broker{% endif %}) and answers 503 when one is down:
take the server out of rotation, do not restart it.

Both are answered by HealthCheckMiddleware, placed before SecurityMiddleware, so a probe over plain
HTTP with a load balancer's IP address as Host gets an answer instead of a redirect or a 400. Only
these two paths bypass host validation and the HTTPS redirect; every other URL is unaffected.
"""

import logging
import uuid
from collections.abc import Callable

{% if cookiecutter.use_celery -%}
from django.conf import settings
{% endif -%}
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.cache import add_never_cache_headers
{%- if cookiecutter.use_celery %}
from kombu import Connection
{%- endif %}

logger = logging.getLogger(__name__)

OK = "ok"
# Each check must answer quickly: a load balancer's probe times out after a few seconds.
TIMEOUT_SECONDS = 2


def check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def check_cache() -> None:
    key = f"readyz:{uuid.uuid4().hex}"
    cache.set(key, OK, timeout=TIMEOUT_SECONDS)
    if cache.get(key) != OK:
        raise RuntimeError("a value written to the cache could not be read back")
    cache.delete(key)
{%- if cookiecutter.use_celery %}


def check_broker() -> None:
    # One connection attempt, no retries: a broker outage must not hang the probe.
    with Connection(settings.CELERY_BROKER_URL, connect_timeout=TIMEOUT_SECONDS) as broker:
        broker.ensure_connection(max_retries=0, timeout=TIMEOUT_SECONDS)
{%- endif %}


CHECKS: dict[str, Callable[[], None]] = {
    "database": check_database,
    "cache": check_cache,
{%- if cookiecutter.use_celery %}
    "broker": check_broker,
{%- endif %}
}


def healthz(request: HttpRequest) -> HttpResponse:
    return JsonResponse({"status": OK})


def readyz(request: HttpRequest) -> HttpResponse:
    results = {}
    for name, check in CHECKS.items():
        try:
            check()
        except Exception as error:
            # The probe's answer names the failing check; the details go to the log only.
            logger.warning("Readiness check %s failed", name, exc_info=True)
            results[name] = f"error: {type(error).__name__}"
        else:
            results[name] = OK
    healthy = all(result == OK for result in results.values())
    return JsonResponse(
        {"status": OK if healthy else "unavailable", "checks": results},
        status=200 if healthy else 503,
    )


PROBES: dict[str, Callable[[HttpRequest], HttpResponse]] = {
    "/healthz/": healthz,
    "/readyz/": readyz,
}


class HealthCheckMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        probe = PROBES.get(request.path_info)
        if probe is None or request.method not in ("GET", "HEAD"):
            return self.get_response(request)
        response = probe(request)
        add_never_cache_headers(response)
        return response
