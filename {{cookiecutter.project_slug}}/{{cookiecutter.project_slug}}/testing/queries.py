"""Record every query on every database alias, grouped by its SQL text.

Django hands `execute_wrapper` the SQL with its `%s` placeholders still in place and the values
apart, so the same query run for each of 25 rows arrives as 25 copies of one string: grouping
needs no parsing. Only what follows the number of rows is folded: `IN (...)` lists of any length,
multi-row VALUES, and the LIMIT and OFFSET numbers Django writes into the SQL. Queries run in
other threads are not seen.
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from types import FrameType
from typing import Any

from django.conf import settings
from django.db import connections

from .extensions import SOURCE_FINDERS, load_extensions

# Django writes slice bounds into the SQL, and the page query of a longer list has a larger LIMIT.
SLICE = re.compile(r"\b(LIMIT|OFFSET) \d+")
# A prefetch of one row writes `IN (%s)`, of 25 rows `IN (%s, ..., %s)`: one shape either way.
IN_LIST = re.compile(r"\bIN \(\s*%s(?:\s*,\s*%s)*\s*\)", re.IGNORECASE)
PLACEHOLDER_LIST = re.compile(r"\(\s*%s(?:\s*,\s*%s)+\s*\)")
ROW_LIST = re.compile(r"(\(\s*%s(?:\s*,\s*%s)*\s*\))(?:\s*,\s*\(\s*%s(?:\s*,\s*%s)*\s*\))+")
TABLE = re.compile(
    r"""\b(?:FROM|JOIN|INTO|UPDATE)\s+["`]?([\w.]+)["`]?""",
    re.IGNORECASE,
)
PACKAGE_DIR = Path(__file__).resolve().parent
MAX_SOURCES = 8


def normalise(sql: str) -> str:
    """The SQL with lists of placeholders folded, so a query differs only by its shape."""
    sql = SLICE.sub(r"\1 n", sql)
    sql = ROW_LIST.sub(r"\1, ...", sql)
    sql = IN_LIST.sub("IN (%s, ...)", sql)
    return PLACEHOLDER_LIST.sub("(%s, ...)", sql)


def table_of(sql: str) -> str:
    """The first table the statement reads or writes, or "" for SAVEPOINT and the like."""
    match = TABLE.search(sql)
    return match.group(1) if match else ""


def admin_column(frame: FrameType) -> str | None:
    """The admin list_display column being rendered, if this frame renders one."""
    if frame.f_code.co_name == "items_for_result" and "field_name" in frame.f_locals:
        return f"admin list_display column {frame.f_locals['field_name']!r}"
    return None


def template_line(frame: FrameType) -> str | None:
    """The template and line being rendered, if this frame renders a node of the project's own
    templates (the admin's or a library's say nothing about the cause)."""
    if frame.f_code.co_name != "render_annotated":
        return None
    node = frame.f_locals.get("self")
    origin, token = getattr(node, "origin", None), getattr(node, "token", None)
    if origin is None or token is None or project_file(str(origin.name)) is None:
        return None
    return f"template {origin.template_name or origin.name}, line {token.lineno}"


@cache
def project_file(filename: str) -> tuple[str, bool] | None:
    """(path relative to the project, is a test module) for the project's own code, else None.

    Libraries and this package are not the project's code: their lines explain nothing.
    """
    path = Path(filename)
    base_dir = Path(settings.BASE_DIR)
    if (
        path.is_relative_to(base_dir)
        and not path.is_relative_to(PACKAGE_DIR)
        and not {".venv", "site-packages"} & set(path.parts)
    ):
        where = path.relative_to(base_dir)
        return str(where), where.name.startswith(("test_", "conftest"))
    return None


def project_line(frame: FrameType) -> tuple[str, bool] | None:
    """("path:line in function", is_a_test) for a frame of the project's own code, else None."""
    if frame.f_code.co_name == "__call__" and hasattr(frame.f_locals.get("self"), "get_response"):
        return None  # a middleware passing the request on says nothing about the query
    found = project_file(frame.f_code.co_filename)
    if found is None:
        return None
    return f"{found[0]}:{frame.f_lineno} in {frame.f_code.co_name}", found[1]


def find_source(frame: FrameType | None) -> str:
    """Where a query comes from, read from the request down: the serializer field, admin
    column or template line that asked for it, then every line of the project's own code on the
    way (the test's own lines only when no application line is on the stack)."""
    described: list[str] = []
    lines: list[str] = []
    test_lines: list[str] = []
    template_seen = False
    while frame is not None:
        for finder in (admin_column, *SOURCE_FINDERS):
            found = finder(frame)
            if found and found not in described:
                described.append(found)
        # The innermost template node is the line that ran the query; outer ones enclose it.
        if not template_seen and (found := template_line(frame)):
            described.append(found)
            template_seen = True
        if found_line := project_line(frame):
            (test_lines if found_line[1] else lines).append(found_line[0])
        frame = frame.f_back
    # The stack was walked from the inside out. Without application code, the test module's
    # innermost line explains the query, unless it is the test function making the request.
    fallback = test_lines[:1]
    if described and fallback and fallback[0].split(" in ")[-1].startswith("test_"):
        fallback = []
    parts = [*reversed(described), *reversed(lines or fallback)]
    return " > ".join(parts)


@dataclass(frozen=True)
class QueryGroup:
    """One SQL text, how many times it ran, and every distinct place that ran it."""

    alias: str
    sql: str
    count: int
    sources: tuple[str, ...]

    @property
    def table(self) -> str:
        return table_of(self.sql)

    @property
    def key(self) -> tuple[str, str]:
        return self.alias, self.sql


@dataclass
class Recording:
    """The queries run inside one `record_queries()` block."""

    counts: Counter[tuple[str, str]] = field(default_factory=Counter)
    sources: dict[tuple[str, str], list[str]] = field(default_factory=dict)

    def __len__(self) -> int:
        return sum(self.counts.values())

    def groups(self) -> list[QueryGroup]:
        """Every distinct query, the most repeated first."""
        return [
            QueryGroup(alias, sql, count, tuple(self.sources.get((alias, sql), ())))
            for (alias, sql), count in self.counts.most_common()
        ]

    def aliases(self) -> list[str]:
        return sorted({alias for alias, _ in self.counts}, key=lambda a: (a != "default", a))

    def per_alias(self) -> dict[str, int]:
        totals: Counter[str] = Counter()
        for (alias, _), count in self.counts.items():
            totals[alias] += count
        return {alias: totals[alias] for alias in self.aliases()}

    def repeated(self, at_least: int = 2) -> list[QueryGroup]:
        return [group for group in self.groups() if group.count >= at_least]

    def describe(
        self, limit: int = 20, mark: Callable[[QueryGroup], str] = lambda group: ""
    ) -> str:
        """Every query grouped by database alias, most repeated first; `mark` flags some."""
        lines: list[str] = []
        shown = self.groups()[:limit]
        for alias in self.aliases():
            in_alias = [group for group in shown if group.alias == alias]
            if in_alias:
                lines.append(f" database {alias!r}: {self.per_alias()[alias]} queries")
                lines.extend(format_group(group, marker=mark(group)) for group in in_alias)
        if len(self.counts) > limit:
            lines.append(f"  ... and {len(self.counts) - limit} more distinct queries")
        return "\n".join(lines)


def format_group(group: QueryGroup, count: str = "", marker: str = "") -> str:
    head = f"  {marker}{count or f'{group.count}x'} on {group.table or 'no table'}"
    if group.alias != "default":
        head += f" (database {group.alias!r})"
    lines = [head]
    lines.extend(f"      from {source}" for source in group.sources)
    lines.append(f"      {shorten(group.sql)}")
    return "\n".join(lines)


def shorten(sql: str, limit: int = 600) -> str:
    return sql if len(sql) <= limit else f"{sql[:limit]} ..."


@contextmanager
def record_queries(*, find_sources: bool = True) -> Iterator[Recording]:
    """Record every query on every configured database alias while the block runs."""
    load_extensions()
    recording = Recording()

    def wrapper_for(alias: str) -> Callable[..., Any]:
        def wrapper(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any):
            key = (alias, normalise(sql))
            recording.counts[key] += 1
            count = recording.counts[key]
            # A stack walk per query is the recorder's main cost. The places a repeated query
            # comes from show in its first runs; later ones are sampled (8th, 16th, 32nd...).
            if find_sources and (count <= 4 or count & (count - 1) == 0):
                sources = recording.sources.setdefault(key, [])
                if len(sources) < MAX_SOURCES:
                    source = find_source(sys._getframe(1))
                    if source and source not in sources:
                        sources.append(source)
            return execute(sql, params, many, context)

        return wrapper

    with ExitStack() as stack:
        for alias in connections:
            stack.enter_context(connections[alias].execute_wrapper(wrapper_for(alias)))
        yield recording
