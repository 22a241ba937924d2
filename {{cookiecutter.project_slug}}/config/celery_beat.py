"""One beat at a time: a PostgreSQL advisory lock held by the beat process for as long as it lives.

Two beats would send every periodic task twice. The lock is taken on a database connection of its
own, so PostgreSQL releases it the moment that process dies (killed, machine lost); a second beat
started meanwhile waits, polling, and takes over then. SQLite has no such lock: there, on a
developer's machine, run one beat.
"""

import logging
import time
import zlib
from typing import Any

from celery.signals import beat_init
from django.db import DEFAULT_DB_ALIAS, connections

logger = logging.getLogger(__name__)

# The advisory lock's key: fixed per project, so beats of other projects on the same server do not
# wait for this one.
LOCK_KEY = zlib.crc32(b"{{ cookiecutter.project_slug }}.celery-beat")
POLL_SECONDS = 2.0

_lock_connections: list[Any] = []


@beat_init.connect
def hold_the_beat_lock(**kwargs: Any) -> None:
    connection = connections.create_connection(DEFAULT_DB_ALIAS)
    if connection.vendor != "postgresql":
        logger.warning("Beat lock not taken (database is %s): run only one beat", connection.vendor)
        return
    waiting_since = None
    while not try_lock(connection):
        if waiting_since is None:
            waiting_since = time.monotonic()
            logger.warning("Another beat holds the lock; this one waits to take over")
        time.sleep(POLL_SECONDS)
    # Kept open (and referenced) for the life of the process: closing it releases the lock.
    _lock_connections.append(connection)
    if waiting_since is None:
        logger.info("Beat lock taken")
    else:
        waited = time.monotonic() - waiting_since
        logger.warning("Beat lock taken after %.0fs: this beat now schedules", waited)


def try_lock(connection: Any) -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [LOCK_KEY])
            return bool(cursor.fetchone()[0])
    except Exception as error:
        # Celery logs and ignores errors in this signal; a beat must not start without the lock.
        raise SystemExit(f"Beat lock: the database did not answer ({error})") from error
