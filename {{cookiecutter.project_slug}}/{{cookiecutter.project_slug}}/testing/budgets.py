"""Assertions over recorded queries: a maximum per block, and a count constant as rows grow."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.apps import apps

from .queries import QueryGroup, Recording, format_group, record_queries

COUNT = re.compile(r"^SELECT COUNT\(", re.IGNORECASE)
KEY_LOOKUP = re.compile(r'WHERE "?(\w+)"?\."?(\w+)"? = %s')
HINTS = {
    "admin": (
        "an admin column reads a relation per row: name the foreign keys in the ModelAdmin's "
        "list_select_related, or prefetch_related many-valued ones in its get_queryset()"
    ),
    "count": ("a count per row: annotate(n=Count(...)) the queryset and read the annotation"),
    "filtered": (
        "the relation is prefetched, but filtering or ordering its manager per row queries again: "
        "prefetch those rows with Prefetch(lookup, queryset=..., to_attr=...) and read to_attr"
    ),
    "forward": "a foreign key followed per row: select_related it in the queryset",
    "many": (
        "a many-to-many or reverse relation read per row: prefetch_related it "
        "(Prefetch(queryset=...) to choose or order its rows)"
    ),
}


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


def primary_key_column(table: str) -> str | None:
    for model in apps.get_models(include_auto_created=True):
        if model._meta.db_table == table:
            return model._meta.pk.column
    return None


def cause(group: QueryGroup, recording: Recording) -> str:
    """Which kind of query-per-row this is, read from its SQL and what asked for it."""
    if any("admin list_display column" in source for source in group.sources):
        return "admin"
    if COUNT.match(group.sql):
        return "count"
    prefetched = any(
        other.table == group.table and "IN (%s, ...)" in other.sql and other.count == 1
        for other in recording.groups()
    )
    if prefetched:
        return "filtered"
    lookup = KEY_LOOKUP.search(group.sql)
    if (
        lookup
        and lookup.group(1) == group.table
        and lookup.group(2) == primary_key_column(group.table)
    ):
        return "forward"
    return "many"


def fix_hint(group: QueryGroup, recording: Recording) -> str:
    return f"      fix: {HINTS[cause(group, recording)]} (docs/query-budgets.md)."


def amount(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def describe_growth(
    label: str,
    sizes: tuple[int, int],
    small: Recording,
    large: Recording,
    seeded: str = "seeding {}",
    noun: str = "row",
) -> str:
    few, many = (seeded.format(amount(size, noun)) for size in sizes)
    lines = [
        f"{label} ran {len(small)} queries after {few} and {len(large)} after {many}. "
        f"These queries grew with the {noun}s:",
    ]
    for group, before in grown(small, large):
        count = f"+{group.count - before} ({before} -> {group.count})"
        lines.append(format_group(group, count=count))
        lines.append(fix_hint(group, large))
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
    return compare(label, Measurement(sizes, small, large, (small_result, large_result)))


def compare(label: str, measurement: Measurement, **wording: str) -> Measurement:
    """Fail if the larger measurement ran more queries; `wording` goes to describe_growth."""
    refuse_error_response(label, measurement.results[1])
    if len(measurement.large) > len(measurement.small):
        raise QueryBudgetExceeded(
            describe_growth(
                label, measurement.sizes, measurement.small, measurement.large, **wording
            )
        )
    return measurement
