"""Record every query on every database alias, grouped by its SQL text.

Django hands `execute_wrapper` the SQL with its `%s` placeholders still in place and the values
apart, so the same query run for each of 25 rows arrives as 25 copies of one string: grouping
needs no parsing. Only what follows the number of rows is folded: `IN (%s, %s, ...)` lists,
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
from pathlib import Path
from types import FrameType
from typing import Any

from django.conf import settings
from django.db import connections

{% if cookiecutter.use_drf -%}
from .drf import serializer_field

{% endif -%}
# Django writes slice bounds into the SQL, and the page query of a longer list has a larger LIMIT.
SLICE = re.compile(r"\b(LIMIT|OFFSET) \d+")
PLACEHOLDER_LIST = re.compile(r"\(\s*%s(?:\s*,\s*%s)+\s*\)")
ROW_LIST = re.compile(r"(\(\s*%s(?:\s*,\s*%s)*\s*\))(?:\s*,\s*\(\s*%s(?:\s*,\s*%s)*\s*\))+")
TABLE = re.compile(
    r"""\b(?:FROM|JOIN|INTO|UPDATE)\s+["`]?([\w.]+)["`]?""",
    re.IGNORECASE,
)
PACKAGE_DIR = Path(__file__).resolve().parent


def normalise(sql: str) -> str:
    """The SQL with lists of placeholders folded, so a query differs only by its shape."""
    sql = SLICE.sub(r"\1 n", sql)
    sql = ROW_LIST.sub(r"\1, ...", sql)
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


def project_line(frame: FrameType) -> tuple[str, bool] | None:
    """("path:line in function", is_a_test) for the project's own code, else None.

    Libraries and this package are not the project's code: their lines explain nothing.
    """
    if frame.f_code.co_name == "__call__" and hasattr(frame.f_locals.get("self"), "get_response"):
        return None  # a middleware passing the request on says nothing about the query
    filename = Path(frame.f_code.co_filename)
    base_dir = Path(settings.BASE_DIR)
    if (
        filename.is_relative_to(base_dir)
        and not filename.is_relative_to(PACKAGE_DIR)
        and not {".venv", "site-packages"} & set(filename.parts)
    ):
        where = filename.relative_to(base_dir)
        return f"{where}:{frame.f_lineno} in {frame.f_code.co_name}", where.parts[0] == "tests"
    return None


# Each finder looks at one stack frame and names what in the project caused the query.
SOURCE_FINDERS: tuple[Callable[[FrameType], str | None], ...] = (admin_column,{% if cookiecutter.use_drf %} serializer_field{% endif %})


def find_source(frame: FrameType | None) -> str:
    """Describe where a query comes from: a serializer field or admin column, and the code line."""
    described: list[str] = []
    line = test_line = None
    while frame is not None:
        for finder in SOURCE_FINDERS:
            found = finder(frame)
            if found and found not in described:
                described.append(found)
        if line is None and (found_line := project_line(frame)):
            # A line in the application says more than the test that made the request.
            if not found_line[1]:
                line = found_line[0]
            elif test_line is None:
                test_line = found_line[0]
        frame = frame.f_back
    line = line or test_line
    # The stack was walked from the inside out; read it from the request down.
    source = " > ".join(reversed(described))
    if line:
        source = f"{source} ({line})" if source else line
    return source


@dataclass(frozen=True)
class QueryGroup:
    """One SQL text and how many times it ran."""

    alias: str
    sql: str
    count: int
    sources: tuple[str, ...]

    @property
    def table(self) -> str:
        return table_of(self.sql)


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

    def repeated(self, at_least: int = 2) -> list[QueryGroup]:
        return [group for group in self.groups() if group.count >= at_least]

    def describe(self, limit: int = 20) -> str:
        lines = [format_group(group) for group in self.groups()[:limit]]
        if len(self.counts) > limit:
            lines.append(f"  ... and {len(self.counts) - limit} more distinct queries")
        return "\n".join(lines)


def format_group(group: QueryGroup, count: str = "") -> str:
    head = f"  {count or f'{group.count}x'} on {group.table or 'no table'}"
    if group.alias != "default":
        head += f" (database {group.alias!r})"
    if group.sources:
        head += f", from {group.sources[0]}"
    return f"{head}\n      {shorten(group.sql)}"


def shorten(sql: str, limit: int = 600) -> str:
    return sql if len(sql) <= limit else f"{sql[:limit]} ..."


@contextmanager
def record_queries(*, find_sources: bool = True) -> Iterator[Recording]:
    """Record every query on every configured database alias while the block runs."""
    recording = Recording()

    def wrapper_for(alias: str) -> Callable[..., Any]:
        def wrapper(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any):
            key = (alias, normalise(sql))
            recording.counts[key] += 1
            if find_sources:
                sources = recording.sources.setdefault(key, [])
                if len(sources) < 3:
                    source = find_source(sys._getframe(1))
                    if source and source not in sources:
                        sources.append(source)
            return execute(sql, params, many, context)

        return wrapper

    with ExitStack() as stack:
        for alias in connections:
            stack.enter_context(connections[alias].execute_wrapper(wrapper_for(alias)))
        yield recording
