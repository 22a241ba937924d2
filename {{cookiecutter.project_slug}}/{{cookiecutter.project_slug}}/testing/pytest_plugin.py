"""Fixtures for query budgets; tests/conftest.py loads this module as a pytest plugin."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from . import budgets
from .budgets import Measurement
from .coverage import RecordedCounts

COUNTS_FILE = Path("tests") / "query_counts.json"
RECORDED = pytest.StashKey[RecordedCounts]()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-query-counts",
        action="store_true",
        help=f"Record the measured per-route query counts in {COUNTS_FILE}.",
    )


@pytest.fixture(scope="session")
def recorded_query_counts(request: pytest.FixtureRequest) -> Iterator[RecordedCounts]:
    """The per-route counts kept in tests/query_counts.json."""
    config = request.config
    counts = RecordedCounts(config.rootpath / COUNTS_FILE, config.getoption("update_query_counts"))
    config.stash[RECORDED] = counts
    yield counts
    if counts.update:
        counts.save()


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    """With --update-query-counts, say what changed: `route: old -> new`."""
    counts = config.stash.get(RECORDED, None)
    if counts is None or not counts.update:
        return
    changes = counts.changes()
    terminalreporter.section("query counts")
    for line in changes or ["no change"]:
        terminalreporter.write_line(line)
    if changes:
        terminalreporter.write_line(f"Recorded in {counts.path}; review and commit it.")


@pytest.fixture
def query_budget(db: None) -> Callable[..., Any]:
    """`with query_budget(5): ...` fails if the block runs more than five queries."""
    return budgets.query_budget


@pytest.fixture
def constant_queries(db: None) -> Callable[..., Measurement]:
    """`constant_queries(run, seed)` fails if `run` runs more queries once more rows exist."""
    return budgets.constant_queries
