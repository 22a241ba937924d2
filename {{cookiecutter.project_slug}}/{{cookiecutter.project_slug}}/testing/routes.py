"""Every route the generated query-budget tests measure, found by walking the URLconf.

A route is keyed by its URL pattern (`/api/books/`, `/api/books/<pk>/`): two routes sharing a URL
name are still two routes. Found are the changelists of every `AdminSite` mounted in the URLconf
(and the change pages of model admins with inlines), class-based `ListView`s and `DetailView`s,
and whatever the extensions' view inspectors recognise (REST framework lists, list actions and
details). Unnamed routes and routes inside `include()` get their real URL.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.contrib.admin.sites import AdminSite, all_sites
from django.contrib.auth.models import AnonymousUser
from django.db.models import Model
from django.test import RequestFactory
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils.regex_helper import normalize
from django.views.generic.detail import SingleObjectMixin
from django.views.generic.list import MultipleObjectMixin

from .extensions import VIEW_INSPECTORS, ViewInfo, load_extensions

# The REST framework's format suffix repeats a route as `/books.json`: the same view again.
SUFFIX_PARAMETER = "format"


@dataclass(frozen=True)
class Route:
    id: str  # the URL pattern with its parameters in angle brackets: "/api/books/<pk>/"
    name: str  # the URL name, a label only ("" when unnamed)
    kind: str
    model: type[Model] | None
    url_format: str  # "/api/books/%(pk)s/"
    parameters: tuple[str, ...] = ()
    detail: bool = False
    lookups: tuple[tuple[str, str], ...] = ()  # URL keyword -> model field, for detail routes

    def __str__(self) -> str:
        return f"{self.id} ({self.name})" if self.name else self.id

    def url(self, **kwargs: Any) -> str:
        return self.url_format % kwargs


def pattern_id(url_format: str, parameters: Iterable[str]) -> str:
    return url_format % {name: f"<{name}>" for name in parameters}


def pattern_format(pattern: URLPattern | URLResolver) -> tuple[str, list[str]]:
    """The pattern as a %-format string and its parameters, as Django's reverse() sees it."""
    fmt, parameters = normalize(pattern.pattern.regex.pattern)[0]
    return fmt, list(parameters)


def instance(view_class: type, initkwargs: dict[str, Any]) -> Any:
    """A view instance set up for an anonymous GET, to ask it what it lists."""
    view = view_class(**initkwargs)
    request = RequestFactory().get("/")
    request.user = AnonymousUser()
    view.setup(request)
    return view


def django_view_info(callback: Any) -> ViewInfo | None:
    """Django's own ListView and DetailView (and anything built on their mixins)."""
    view_class = getattr(callback, "view_class", None)
    if not isinstance(view_class, type):
        return None
    if issubclass(view_class, MultipleObjectMixin):
        kind, detail = "list view", False
    elif issubclass(view_class, SingleObjectMixin):
        kind, detail = "detail view", True
    else:
        return None
    view = instance(view_class, getattr(callback, "view_initkwargs", None) or {})
    model = getattr(view, "model", None)
    if model is None:
        try:
            model = view.get_queryset().model
        except Exception:  # a view whose get_queryset() needs a real request says nothing
            model = None
    lookups: tuple[tuple[str, str], ...] = ()
    if detail:
        lookups = ((view.pk_url_kwarg, "pk"), (view.slug_url_kwarg, view.slug_field))
    return ViewInfo(kind, model, detail, lookups)


def admin_routes(site: AdminSite, prefix: str, parameters: list[str]) -> Iterator[Route]:
    for model, model_admin in site._registry.items():
        opts = model._meta
        base = f"{prefix}{opts.app_label}/{opts.model_name}/"
        name = f"{site.name}:{opts.app_label}_{opts.model_name}"
        yield Route(
            pattern_id(base, parameters),
            f"{name}_changelist",
            "admin changelist",
            model,
            base,
            tuple(parameters),
        )
        if model_admin.inlines:
            change, inner = f"{base}%(object_id)s/change/", (*parameters, "object_id")
            yield Route(
                pattern_id(change, inner),
                f"{name}_change",
                "admin change page",
                model,
                change,
                inner,
                True,
                (("object_id", "pk"),),
            )


def walk(
    patterns: Iterable[URLPattern | URLResolver], prefix: str = "/", parameters: tuple = ()
) -> Iterator[Route]:
    sites = {site.name: site for site in all_sites}
    for pattern in patterns:
        fmt, found = pattern_format(pattern)
        url_format, inner = prefix + fmt, [*parameters, *found]
        if SUFFIX_PARAMETER in inner:
            continue
        if isinstance(pattern, URLResolver):
            site = sites.get(pattern.namespace or "") if pattern.app_name == "admin" else None
            if site is not None:
                yield from admin_routes(site, url_format, inner)
            else:
                yield from walk(pattern.url_patterns, url_format, tuple(inner))
            continue
        for inspect in (django_view_info, *VIEW_INSPECTORS):
            info = inspect(pattern.callback)
            # A detail without URL parameters (the requester's own profile) has no row to vary.
            if info is not None and not (info.detail and not inner):
                yield Route(
                    pattern_id(url_format, inner),
                    pattern.name or "",
                    info.kind,
                    info.model,
                    url_format,
                    tuple(inner),
                    info.detail,
                    info.lookups,
                )
                break


def find_routes(urlconf: str | None = None) -> list[Route]:
    """Every route of the URLconf the generated tests measure, sorted by URL."""
    load_extensions()
    routes = {route.id: route for route in walk(get_resolver(urlconf).url_patterns)}
    return sorted(routes.values(), key=lambda route: route.id)
