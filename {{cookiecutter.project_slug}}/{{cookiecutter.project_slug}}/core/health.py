"""Health probes for load balancers and process supervisors.

/healthz/ says the process is alive and does no I/O: restart the process if it fails.
/readyz/ runs the checks listed in settings.HEALTH_CHECKS, each a function that raises when what it
checks is down, and answers 503 when one fails: take the server out of rotation, do not restart it.
A failing check named in settings.HEALTH_CHECKS_DEGRADED_ONLY is reported ("degraded", 200) only.

Both are answered by HealthCheckMiddleware, placed before SecurityMiddleware, so a probe over plain
HTTP with a load balancer's IP address as Host gets an answer instead of a redirect or a 400. Only
these two paths bypass host validation and the HTTPS redirect; every other URL is unaffected.
"""

import logging
import threading
import time
import uuid
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.cache import add_never_cache_headers
from django.utils.module_loading import import_string

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


def checks() -> dict[str, Callable[[], None]]:
    """The readiness checks by name, imported from the dotted paths in settings.HEALTH_CHECKS."""
    return {name: import_string(path) for name, path in settings.HEALTH_CHECKS.items()}


def healthz(request: HttpRequest) -> HttpResponse:
    return JsonResponse({"status": OK})


def run_checks() -> dict[str, str]:
    results = {}
    for name, check in checks().items():
        try:
            check()
        except Exception as error:
            # The probe's answer names the failing check; the details go to the log only.
            logger.warning("Readiness check %s failed", name, exc_info=True)
            results[name] = f"error: {type(error).__name__}"
        else:
            results[name] = OK
    return results


class Recent:
    """The result of `compute`, computed again once it is older than `seconds`.

    Load balancers probe every few seconds each, and every probe would touch the database, the
    cache and the broker. One result serves them all for a second: a failure still shows within
    a second, and a flood of probes costs one round of checks a second per process.
    """

    def __init__(self, compute: Callable[[], dict[str, str]], seconds: float) -> None:
        self.compute = compute
        self.seconds = seconds
        self.lock = threading.Lock()
        self.value: dict[str, str] | None = None
        self.computed_at = 0.0

    def __call__(self) -> dict[str, str]:
        # Probes arriving while the checks run wait for their result instead of running them too.
        with self.lock:
            now = time.monotonic()
            if self.value is None or now - self.computed_at >= self.seconds:
                self.value, self.computed_at = self.compute(), now
            return self.value

    def forget(self) -> None:
        with self.lock:
            self.value = None


readiness = Recent(run_checks, seconds=1.0)


def readyz(request: HttpRequest) -> HttpResponse:
    results = readiness()
    failed = {name for name, result in results.items() if result != OK}
    if failed - settings.HEALTH_CHECKS_DEGRADED_ONLY:
        status = "unavailable"
    else:
        status = "degraded" if failed else OK
    return JsonResponse(
        {"status": status, "checks": results}, status=503 if status == "unavailable" else 200
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
