"""Every list page in the project, the seeds that fill them, and their recorded query counts.

tests/test_query_budgets.py generates one test per route found here: each admin changelist,
each class-based ListView{% if cookiecutter.use_drf %} and each REST framework list endpoint{% endif %}. A route is measured after
seeding few and many rows through the seed registered for its model; a route whose model has no
seed fails until one is registered or the route is exempted with a reason.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.db.models import Model
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.views.generic.list import MultipleObjectMixin

{% if cookiecutter.use_drf -%}
from . import drf
{% endif -%}
from .budgets import Measurement, QueryBudgetExceeded, constant_queries

if TYPE_CHECKING:
    from django.test import Client

# A seed adds `count` rows of its model, visible to `requester` (the superuser making requests).
Seed = Callable[[int, Any], object]
SIZES = (1, 25)


class RouteNotCovered(AssertionError):
    """A list route the generated tests cannot measure until someone says how."""


@dataclass(frozen=True)
class Route:
    id: str  # the URL name, or the path of an unnamed route
    kind: str
    path: str | None  # None when the URL needs parameters
    model: type[Model] | None

    def __str__(self) -> str:
        return self.id


class SeedRegistry:
    """Which function fills each model with rows, and which routes are knowingly left out."""

    def __init__(self) -> None:
        self.seeds: dict[type[Model], Seed] = {}
        self.exemptions: dict[str, str] = {}

    def register(self, model: type[Model]) -> Callable[[Seed], Seed]:
        def decorator(seed: Seed) -> Seed:
            self.seeds[model] = seed
            return seed

        return decorator

    def exempt(self, route_id: str, reason: str) -> None:
        if not reason.strip():
            raise ValueError(f"Exempting {route_id!r} needs a reason.")
        self.exemptions[route_id] = reason

    def seed_for(self, route: Route) -> Seed:
        if route.model is None:
            raise RouteNotCovered(
                f"{route.id} ({route.kind}) does not say which model it lists: give the view a "
                f"`queryset` or `model`, or exempt it with seeds.exempt({route.id!r}, reason=...)."
            )
        try:
            return self.seeds[route.model]
        except KeyError:
            label = route.model._meta.label
            raise RouteNotCovered(
                f"{route.id} ({route.kind}) lists {label}, which has no seed. Register one in "
                f"tests/seeds.py:\n\n    @seeds.register({route.model.__name__})\n"
                f"    def seed_{route.model._meta.model_name}(count, requester): ...\n\n"
                f"or exempt the route with seeds.exempt({route.id!r}, reason=...)."
            ) from None


seeds = SeedRegistry()


def admin_changelists() -> Iterator[Route]:
    for model, model_admin in admin.site._registry.items():
        opts = model._meta
        name = f"{model_admin.admin_site.name}:{opts.app_label}_{opts.model_name}_changelist"
        yield Route(name, "admin changelist", reverse(name), model)


def url_patterns(
    patterns: Iterable[URLPattern | URLResolver], namespace: str = "", parameters: bool = False
) -> Iterator[tuple[str, URLPattern, bool]]:
    """Every URL pattern with its namespaced name and whether its URL takes parameters."""
    for pattern in patterns:
        takes = parameters or bool(
            getattr(pattern.pattern, "converters", None) or pattern.pattern.regex.groups
        )
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from url_patterns(pattern.url_patterns, inner, takes)
        else:
            name = f"{namespace}{pattern.name}" if pattern.name else str(pattern.pattern)
            yield name, pattern, takes


def is_list_view(callback: Any) -> bool:
    view_class = getattr(callback, "view_class", None)
    return isinstance(view_class, type) and issubclass(view_class, MultipleObjectMixin)


def list_view_model(callback: Any) -> type[Model] | None:
    initkwargs = getattr(callback, "view_initkwargs", {}) or {}
    model = initkwargs.get("model", getattr(callback.view_class, "model", None))
    queryset = initkwargs.get("queryset", getattr(callback.view_class, "queryset", None))
    return model or (queryset.model if queryset is not None else None)


def urlconf_routes() -> Iterator[Route]:
    seen: set[str] = set()
    for name, pattern, takes_parameters in url_patterns(get_resolver().url_patterns):
        if name.startswith(f"{admin.site.name}:"):
            continue  # admin_changelists() covers the admin, whose autocomplete is a ListView
        callback = pattern.callback
        if is_list_view(callback):
            kind, model = "list view", list_view_model(callback)
{%- if cookiecutter.use_drf %}
        elif drf.is_list_view(callback):
            kind, model = "REST framework list", drf.model_of(callback)
{%- endif %}
        else:
            continue
        if name in seen:
            continue  # the same view again under a format suffix
        seen.add(name)
        path = None if takes_parameters else reverse(name) if pattern.name else "/" + name
        yield Route(name, kind, path, model)


def list_routes() -> list[Route]:
    """Every list route of the project, sorted by id."""
    return sorted([*admin_changelists(), *urlconf_routes()], key=lambda route: route.id)


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


def measure_route(
    route: Route, client: Client, requester: Any, registry: SeedRegistry = seeds
) -> Measurement:
    """Request the route after seeding few and many rows; fail if its queries grow."""
    path = route.path
    if path is None:
        raise RouteNotCovered(
            f"{route.id} takes URL parameters, so no generated test can request it. Cover it with "
            f"a constant_queries test of its own and exempt it: seeds.exempt({route.id!r}, "
            "reason=...)."
        )
    seed = registry.seed_for(route)
    measurement = constant_queries(
        lambda: client.get(path),
        lambda count: seed(count, requester),
        SIZES,
        label=f"GET {path} ({route.id})",
    )
    few, many = (rows_shown(result) for result in measurement.results)
    if few is not None and many is not None and many <= few:
        raise RouteNotCovered(
            f"GET {path} showed {few} rows after seeding {SIZES[0]} and {many} after seeding "
            f"{SIZES[1]}: the seed for {route.model and route.model._meta.label} must add rows "
            "this page lists for a superuser, or the measurement proves nothing."
        )
    return measurement


class RecordedCounts:
    """Per-route query counts kept in the repository: a rise fails, a drop must be recorded."""

    def __init__(self, path: Path, update: bool) -> None:
        self.path = path
        self.update = update
        self.recorded: dict[str, int] = json.loads(path.read_text()) if path.exists() else {}
        self.measured: dict[str, int] = {}
        self.stale: set[str] = set()

    def check(self, route_id: str, measurement: Measurement) -> None:
        count = len(measurement.large)
        self.measured[route_id] = count
        recorded = self.recorded.get(route_id)
        if self.update or recorded == count:
            return
        hint = f"run `make query-counts` and commit {self.path.name}"
        if recorded is None:
            raise RouteNotCovered(f"{route_id} has no recorded query count (ran {count}): {hint}.")
        if count > recorded:
            raise QueryBudgetExceeded(
                f"{route_id} now runs {count} queries; {self.path.name} records {recorded}. "
                f"If the new queries are intended, {hint}. It ran:\n"
                f"{measurement.large.describe()}"
            )
        raise QueryBudgetExceeded(
            f"{route_id} now runs {count} queries, fewer than the {recorded} recorded. "
            f"Keep the improvement: {hint}."
        )

    def forget_others(self, route_ids: Iterable[str]) -> list[str]:
        """Entries for routes that no longer exist; dropped from the file when updating."""
        self.stale = set(self.recorded) - set(route_ids)
        return sorted(self.stale)

    def save(self) -> bool:
        """Write the measured counts over the recorded ones; True if the file changed."""
        counts = {
            route_id: count
            for route_id, count in {**self.recorded, **self.measured}.items()
            if route_id not in self.stale
        }
        if counts == self.recorded and self.path.exists():
            return False
        self.path.write_text(json.dumps(counts, indent=2, sort_keys=True) + "\n")
        return True
