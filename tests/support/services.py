"""Where the local services are, and what a test does when one is missing.

On a developer's machine a test that needs PostgreSQL or Redis is skipped, with a reason naming
the service, when nothing answers. CI sets KEEL_REQUIRE_SERVICES=1: the same test then fails
instead, so a missing service can never pass for a green run.
"""

from __future__ import annotations

import os
import shutil
import socket
from urllib.parse import urlsplit

import pytest

POSTGRES_URL = os.environ.get("KEEL_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("KEEL_REDIS_URL", "redis://127.0.0.1:6379/0")


def services_required() -> bool:
    return os.environ.get("KEEL_REQUIRE_SERVICES", "") not in ("", "0")


def missing(reason: str) -> None:
    """Skip the calling test, or fail it when services are required."""
    if services_required():
        pytest.fail(f"{reason} (KEEL_REQUIRE_SERVICES is set, so this fails instead of skipping)")
    pytest.skip(reason)


def reachable(url: str) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname, parts.port), timeout=2):
            return True
    except OSError:
        return False


def require_postgres() -> str:
    if not reachable(POSTGRES_URL):
        missing(
            f"PostgreSQL is not reachable at {urlsplit(POSTGRES_URL).netloc} (KEEL_POSTGRES_URL)"
        )
    return POSTGRES_URL


def require_redis() -> str:
    if not reachable(REDIS_URL):
        missing(f"Redis is not reachable at {urlsplit(REDIS_URL).netloc} (KEEL_REDIS_URL)")
    return REDIS_URL


def require_program(name: str, why: str) -> str:
    path = shutil.which(name)
    if path is None:
        missing(f"{name} is not installed; {why}")
    return path
