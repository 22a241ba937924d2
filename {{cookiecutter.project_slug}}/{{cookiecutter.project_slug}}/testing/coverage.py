"""Measure every route `routes.find_routes()` finds, and keep its query count in the repository.

tests/test_query_budgets.py generates one test per route. A list route is measured after seeding
few and many rows; a detail route (a REST framework detail, a DetailView, an admin change page
with inlines) on one row with few and one with many related rows. Rows come from the seeds in
`seeding` (hand-written or introspected), whose shape is checked before anything is measured.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.db.models import Model

from .budgets import Measurement, QueryBudgetExceeded, compare, constant_queries
from .queries import QueryGroup, Recording, record_queries
from .routes import Route
from .seeding import Seed, SeedRegistry, bake, fill_relations, make_rows, seeds

if TYPE_CHECKING:
    from django.test import Client

SIZES = (1, 25)


class RouteNotCovered(AssertionError):
    """A route the generated tests cannot measure until someone says how."""


def parent_field(model: type[Model], parameter: str) -> Any:
    """The foreign key a URL parameter names: `book`, `book_pk`, `book_id`, `parent_lookup_book`."""
    for field in model._meta.concrete_fields:
        if field.many_to_one and parameter in {
            field.name,
            f"{field.name}_pk",
            field.attname,
            f"parent_lookup_{field.name}",
        }:
            return field
    return None


def cannot_fill(route: Route, parameter: str) -> RouteNotCovered:
    return RouteNotCovered(
        f"{route} ({route.kind}) takes the URL parameter {parameter!r}, which the toolkit cannot "
        f"fill: it fills a detail route's lookup (pk, or the view's lookup field) and a "
        f"parameter named after a foreign key of {route.model and route.model._meta.label} "
        f"(`<author_pk>` for its `author`). Rename the parameter, or cover the route with a "
        f"constant_queries test of its own and exempt it: seeds.exempt({route.id!r}, reason=...)."
    )


def seed_name(seed: Seed) -> str:
    module = getattr(seed, "__module__", "")
    if module == __name__ or module.endswith(".seeding"):
        return "the automatic seed (model-bakery)"
    return f"the seed {getattr(seed, '__name__', seed)} in {module.replace('.', '/')}.py"


def measure_route(
    route: Route,
    client: Client,
    requester: Any,
    registry: SeedRegistry = seeds,
    sizes: tuple[int, int] = SIZES,
) -> Measurement:
    """Request the route with few and many rows; fail if its queries grow."""
    model = route.model
    if model is None:
        raise RouteNotCovered(
            f"{route} ({route.kind}) does not say which model it lists: give the view a "
            f"`queryset` or `model`, or exempt it with seeds.exempt({route.id!r}, reason=...)."
        )
    if route.detail:
        return measure_detail(route, client, registry, sizes)
    parents: dict[str, Model] = {}
    kwargs: dict[str, Any] = {}
    for parameter in route.parameters:
        field = parent_field(model, parameter)
        if field is None:
            raise cannot_fill(route, parameter)
        if field.name not in parents:
            [parents[field.name]] = bake(field.related_model, 1)
        kwargs[parameter] = parents[field.name].pk
    seed = registry.seed_for(model, **parents)
    checked = False

    def seed_and_check(count: int) -> None:
        nonlocal checked
        seed(count, requester)
        if not checked:
            registry.check_seed_shape(model, seed_name(seed))
            checked = True

    path = route.url(**kwargs)
    measurement = constant_queries(
        lambda: client.get(path),
        seed_and_check,
        sizes,
        label=f"GET {path} ({route.name or route.kind})",
    )
    few, many = (rows_shown(result) for result in measurement.results)
    if few is not None and many is not None and many <= few:
        raise RouteNotCovered(
            f"GET {path} showed {few} rows after seeding {sizes[0]} and {many} after seeding "
            f"{sizes[1]}: {seed_name(seed)} must add rows of {model._meta.label} this page "
            "lists for a superuser, or the measurement proves nothing."
        )
    return measurement


def measure_detail(
    route: Route, client: Client, registry: SeedRegistry, sizes: tuple[int, int] = SIZES
) -> Measurement:
    """Request one row with few related rows and one with many; fail if the queries grow."""
    model = route.model
    assert model is not None
    lookups = dict(route.lookups)

    def url_of(row: Model) -> str:
        kwargs = {}
        for parameter in route.parameters:
            if parameter in lookups:
                kwargs[parameter] = getattr(row, lookups[parameter])
            elif field := parent_field(model, parameter):
                kwargs[parameter] = getattr(row, field.attname)
            else:
                raise cannot_fill(route, parameter)
        return route.url(**kwargs)

    paths = []
    for per_row in sizes:
        [row] = make_rows(model, 1)
        fill_relations(model, [row], per_row, set(registry.exemptions))
        paths.append(url_of(row))
    label = f"GET {route.id} ({route.name or route.kind})"
    client.get(paths[0])  # warms per-process caches
    with record_queries() as small:
        few = client.get(paths[0])
    with record_queries() as large:
        many = client.get(paths[1])
    return compare(
        label,
        Measurement(sizes, small, large, (few, many)),
        seeded="giving each of its relations {}",
        noun="related row",
    )


def rows_shown(response: Any) -> int | None:
    """How many rows a list response reports, when it says."""
    context = getattr(response, "context", None)
    if context is not None:
        if "cl" in context:
            return context["cl"].result_count
        if context.get("paginator") is not None:
            return context["paginator"].count
        if "object_list" in context:
            return len(context["object_list"])
    data = getattr(response, "data", None)
    if isinstance(data, dict) and "count" in data:
        return data["count"]
    if isinstance(data, list):
        return len(data)
    return None


def table_key(group: QueryGroup) -> str:
    table = group.table or "(no table)"
    return table if group.alias == "default" else f"{group.alias}:{table}"


def table_counts(recording: Recording) -> dict[str, int]:
    counts: Counter[str] = Counter()
    for group in recording.groups():
        counts[table_key(group)] += group.count
    return dict(sorted(counts.items()))


class RecordedCounts:
    """Per-route query counts kept in the repository: a rise fails, a drop must be recorded.

    Each route keeps its total and its queries per table, so a rise can point at what is new.
    """

    def __init__(self, path: Path, update: bool) -> None:
        self.path = path
        self.update = update
        self.recorded: dict[str, dict[str, Any]] = {
            route_id: entry if isinstance(entry, dict) else {"queries": entry, "tables": dict()}
            for route_id, entry in (json.loads(path.read_text()) if path.exists() else {}).items()
        }
        self.measured: dict[str, dict[str, Any]] = {}
        self.stale: set[str] = set()

    def check(self, route_id: str, measurement: Measurement) -> None:
        count = len(measurement.large)
        self.measured[route_id] = {"queries": count, "tables": table_counts(measurement.large)}
        entry = self.recorded.get(route_id)
        if self.update or (entry is not None and entry["queries"] == count):
            return
        hint = f"run `make query-counts` and commit {self.path.name}"
        if entry is None:
            raise RouteNotCovered(f"{route_id} has no recorded query count (ran {count}): {hint}.")
        recorded: int = entry["queries"]
        if count > recorded:
            before = Counter(entry["tables"])
            now = Counter(self.measured[route_id]["tables"])

            def mark(group: QueryGroup) -> str:
                key = table_key(group)
                if key not in before:
                    return "NEW "
                return "MORE " if now[key] > before[key] else ""

            raise QueryBudgetExceeded(
                f"{route_id} now runs {count} queries; {self.path.name} records {recorded}. "
                f"If the new queries are intended, {hint}. Queries on tables that are new or "
                f"queried more than recorded are marked NEW and MORE:\n"
                f"{measurement.large.describe(mark=mark)}"
            )
        raise QueryBudgetExceeded(
            f"{route_id} now runs {count} queries, fewer than the {recorded} recorded. "
            f"Keep the improvement: {hint}."
        )

    def forget_others(self, route_ids: Iterable[str]) -> list[str]:
        """Entries for routes that no longer exist; dropped from the file when updating."""
        self.stale = set(self.recorded) - set(route_ids)
        return sorted(self.stale)

    def changes(self) -> list[str]:
        """ "route: old -> new" for every count that differs from the recorded one."""
        lines = []
        for route_id in sorted({*self.recorded, *self.measured}):
            old = self.recorded.get(route_id, {}).get("queries")
            new = None if route_id in self.stale else self.measured.get(route_id, {}).get("queries")
            if route_id in self.stale or (new is not None and new != old):
                lines.append(f"{route_id}: {old if old is not None else 'new'} -> {new or 'gone'}")
        return lines

    def save(self) -> bool:
        """Write the measured counts over the recorded ones; True if the file changed."""
        counts = {
            route_id: entry
            for route_id, entry in {**self.recorded, **self.measured}.items()
            if route_id not in self.stale
        }
        if counts == self.recorded and self.path.exists():
            return False
        self.path.write_text(json.dumps(counts, indent=2, sort_keys=True) + "\n")
        return True
