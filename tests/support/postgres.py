"""Databases of their own on the shared PostgreSQL server: created empty, dropped after.

The one place the suite, the stack test, the Celery harness and the benchmarks create and drop
databases. Names carry the process id where runs may overlap (xdist workers, other checkouts).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from urllib.parse import urlsplit, urlunsplit

import psycopg


def database_url(server_url: str, name: str) -> str:
    """The server's URL with `name` as the database."""
    return urlunsplit(urlsplit(server_url)._replace(path=f"/{name}"))


def execute(server_url: str, statement: str) -> None:
    """Run one statement on the server, outside any transaction (CREATE DATABASE needs that)."""
    with psycopg.connect(server_url, autocommit=True) as connection:
        connection.execute(statement)


def drop_database(server_url: str, name: str) -> None:
    """Drop `name` and the test database Django derives from it, ending their sessions."""
    for database in (name, f"test_{name}"):
        execute(server_url, f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


def create_database(server_url: str, name: str) -> str:
    """A new, empty database `name` (any old one dropped first); returns its URL."""
    drop_database(server_url, name)
    execute(server_url, f'CREATE DATABASE "{name}"')
    return database_url(server_url, name)


@contextlib.contextmanager
def fresh_database(server_url: str, label: str) -> Iterator[str]:
    """An empty database for the block, named after `label` and this process; yields its URL."""
    name = f"keel_{label}_{os.getpid()}"
    try:
        yield create_database(server_url, name)
    finally:
        drop_database(server_url, name)
