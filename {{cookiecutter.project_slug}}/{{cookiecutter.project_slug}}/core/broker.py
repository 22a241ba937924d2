"""The readiness check for the Celery broker; the Celery settings add it to HEALTH_CHECKS."""

from django.conf import settings
from kombu import Connection

from .health import TIMEOUT_SECONDS

# A Redis broker this full refuses new tasks (it must not evict them): report it before it does.
BROKER_FULL_AT = 0.95


def check_broker() -> None:
    # One connection attempt, no retries, bounded by the broker timeouts (CELERY_BROKER_TIMEOUT):
    # a dead or unreachable broker must not hang the probe.
    with Connection(
        settings.CELERY_BROKER_URL,
        connect_timeout=TIMEOUT_SECONDS,
        transport_options=settings.CELERY_BROKER_TRANSPORT_OPTIONS,
    ) as broker:
        broker.ensure_connection(max_retries=0, timeout=TIMEOUT_SECONDS)
        if broker.transport.driver_type == "redis":
            memory = broker.default_channel.client.info("memory")  # type: ignore[attr-defined]
            limit = memory.get("maxmemory", 0)
            if limit and memory["used_memory"] >= BROKER_FULL_AT * limit:
                raise RuntimeError(
                    f"the broker uses {memory['used_memory']} of {limit} bytes (maxmemory)"
                )
