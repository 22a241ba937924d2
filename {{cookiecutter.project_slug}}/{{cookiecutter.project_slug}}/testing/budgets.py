"""Assertions over recorded queries: a maximum per block, and a count constant as rows grow."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from .queries import QueryGroup, Recording, format_group, record_queries

HOW_TO_FIX = (
    "Fetch what each row needs in the query that fetches the rows: select_related or "
    "prefetch_related (see docs/query-budgets.md)."
)


class QueryBudgetExceeded(AssertionError):
    """A block ran more queries than its budget, or more queries for more rows."""


@dataclass(frozen=True)
class Measurement:
    """The same request measured after seeding a few rows and after seeding many."""

    sizes: tuple[int, int]
    small: Recording
    large: Recording
    results: tuple[Any, Any]

    @property
    def counts(self) -> tuple[int, int]:
        return len(self.small), len(self.large)


def grown(small: Recording, large: Recording) -> list[tuple[QueryGroup, int]]:
    """The queries that ran more often in `large`, each with its count in `small`."""
    return [
        (group, small.counts[(group.alias, group.sql)])
        for group in large.groups()
        if group.count > small.counts[(group.alias, group.sql)]
    ]


def describe_growth(label: str, sizes: tuple[int, int], small: Recording, large: Recording) -> str:
    rows = ("row" if sizes[0] == 1 else "rows", "row" if sizes[1] == 1 else "rows")
    lines = [
        f"{label} ran {len(small)} queries after seeding {sizes[0]} {rows[0]} and {len(large)} "
        f"after seeding {sizes[1]} {rows[1]}. These queries grew with the rows:",
    ]
    for group, before in grown(small, large):
        count = f"+{group.count - before} ({before} -> {group.count})"
        lines.append(format_group(group, count=count))
    lines.append(HOW_TO_FIX)
    return "\n".join(lines)


def refuse_error_response(label: str, result: Any) -> None:
    """A budget measured on an error page proves nothing about the page itself."""
    status = getattr(result, "status_code", None)
    if status is not None and status >= 400:
        raise AssertionError(f"{label} answered {status}; measure a request that succeeds.")


@contextmanager
def query_budget(maximum: int, label: str = "The block") -> Iterator[Recording]:
    """Fail if the block runs more than `maximum` queries, listing what it ran."""
    with record_queries() as recording:
        yield recording
    if len(recording) > maximum:
        raise QueryBudgetExceeded(
            f"{label} ran {len(recording)} queries; its budget is {maximum}:\n"
            f"{recording.describe()}"
        )


def constant_queries(
    run: Callable[[], Any],
    seed: Callable[[int], object],
    sizes: tuple[int, int] = (1, 25),
    label: str = "The request",
) -> Measurement:
    """Fail if `run` issues more queries after `seed` has added more rows.

    `seed(count)` adds `count` rows. `run` is called once after the first seeding to warm
    per-process caches (content types, permissions), then measured at each size.
    """
    small_size, large_size = sizes
    if not 0 < small_size < large_size:
        raise ValueError(f"sizes must be (few, many) with 0 < few < many, got {sizes}")
    seed(small_size)
    refuse_error_response(label, run())
    with record_queries() as small:
        small_result = run()
    seed(large_size - small_size)
    with record_queries() as large:
        large_result = run()
    refuse_error_response(label, large_result)
    if len(large) > len(small):
        raise QueryBudgetExceeded(describe_growth(label, sizes, small, large))
    return Measurement(sizes, small, large, (small_result, large_result))
