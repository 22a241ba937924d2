"""Redis as broker, made to outlive a full Redis and a restarted one: workers keep running.

A Redis broker configured as it must be (noeviction, docs/deployment.md) refuses writes once it
reaches maxmemory rather than evict queued tasks, and then every transaction, even one that only
deletes.
kombu's Redis transport stops the whole worker on such a refusal (losing the task it had just
taken), and a restarted worker stops again, until someone frees memory by hand. Yet none of these
writes must succeed: the short lock of the sweep for unacknowledged tasks, the redelivery record
of a task just taken, the acknowledgement (done again without a transaction), and at start-up the
queue's binding (recorded already) and its length. This transport logs the refusal and carries
on, so workers go on draining the queue, which is what frees the memory. kombu has no setting for
it; config/celery_app.py registers the transport for redis:// URLs.

And a restarted Redis: on a lost connection Celery collects the connection, which detaches its
transport, and then closes it. A channel closed only then, or acknowledging a task that finishes
later, asks the detached transport for Redis's address, and kombu's AttributeError stops the
whole worker. Here a channel remembers the address of its plain connection, so closing it still
hands its tasks back and a later acknowledgement still reaches Redis; the event loop's connection,
which takes tasks, is never rebuilt for a detached channel.
"""

import logging
from typing import Any

from kombu.transport import TRANSPORT_ALIASES, redis, virtual
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import OutOfMemoryError

logger = logging.getLogger(__name__)


class QoS(redis.QoS):
    def append(self, message: Any, delivery_tag: str) -> None:
        try:
            super().append(message, delivery_tag)
        except OutOfMemoryError:
            # The task has left the queue already; failing here would lose it with the worker.
            # It runs, and is acknowledged as usual, without the record Redis would use to hand
            # it back had this worker died meanwhile.
            logger.warning(
                "The broker is full (maxmemory): task %s runs without a redelivery record",
                delivery_tag,
            )
            virtual.QoS.append(self, message, delivery_tag)

    def ack(self, delivery_tag: str) -> None:
        try:
            super().ack(delivery_tag)
        except OutOfMemoryError:
            # A full Redis refuses even deletions inside a transaction, not plain ones.
            with self.channel.conn_or_acquire() as client:  # type: ignore[attr-defined]
                client.zrem(self.unacked_index_key, delivery_tag)
                client.hdel(self.unacked_key, delivery_tag)
            virtual.QoS.ack(self, delivery_tag)

    def restore_visible(self, *args: Any, **kwargs: Any) -> None:
        try:
            super().restore_visible(*args, **kwargs)
        except OutOfMemoryError:
            logger.warning(
                "The broker is full (maxmemory): unacknowledged tasks are handed back once "
                "memory frees; queued tasks are still being worked off"
            )


class Channel(redis.Channel):
    QoS = QoS
    # The parameters of this channel's last plain connection (see the module's docstring).
    address: dict[str, Any] | None = None

    def _connparams(self, asynchronous: bool = False) -> dict[str, Any]:
        transport = self.connection
        if transport is not None and transport.client is not None:
            params = super()._connparams(asynchronous=asynchronous)  # type: ignore[misc]
            if not asynchronous:
                self.address = params
            return params
        if asynchronous or self.address is None:
            # The event loop's connection (consuming) is never rebuilt for a detached channel;
            # a connection error is what Celery expects here, and survives.
            raise RedisConnectionError("this broker channel's connection is closed")
        return dict(self.address)

    def _size(self, queue: str) -> int:
        try:
            return int(super()._size(queue))
        except OutOfMemoryError:
            return 0  # only reported when the queue is declared

    def _queue_bind(self, exchange: str, routing_key: str, pattern: str, queue: str) -> None:
        try:
            super()._queue_bind(exchange, routing_key, pattern, queue)  # type: ignore[misc]
        except OutOfMemoryError:
            # The binding of a queue that has been used before is already there.
            logger.warning("The broker is full (maxmemory): queue %s not bound again", queue)


class Transport(redis.Transport):
    Channel = Channel


def use_for_redis_urls() -> None:
    for scheme in ("redis", "rediss"):
        TRANSPORT_ALIASES[scheme] = f"{__name__}:Transport"
