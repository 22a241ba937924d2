"""The Django REST framework side of query budgets: its routes, and which field ran a query.

Listed in QUERY_BUDGET_EXTENSIONS (config/settings/base.py); importing it registers both.
"""

from __future__ import annotations

from types import FrameType
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory
from rest_framework.mixins import ListModelMixin, RetrieveModelMixin
from rest_framework.request import Request
from rest_framework.serializers import BaseSerializer
from rest_framework.viewsets import ViewSetMixin

from .extensions import ViewInfo, register_source_finder, register_view_inspector


def serializer_field(frame: FrameType) -> str | None:
    """`UserSerializer.groups` when this frame is a serializer rendering that field of a row."""
    if frame.f_code.co_name != "to_representation":
        return None
    serializer = frame.f_locals.get("self")
    current = frame.f_locals.get("field")
    if isinstance(serializer, BaseSerializer) and current is not None:
        name = getattr(current, "field_name", None) or type(current).__name__
        return f"serializer field {type(serializer).__name__}.{name}"
    return None


def get_action(callback: Any) -> str | None:
    """The method answering GET: "list", "retrieve", an extra action's name, or None."""
    actions = getattr(callback, "actions", None) or {}
    return actions.get("get")


def inspect_view(callback: Any) -> ViewInfo | None:
    """Describe a REST framework view answering GET with model rows, or None."""
    view_class = getattr(callback, "cls", None)
    if view_class is None:
        return None
    if issubclass(view_class, ViewSetMixin):
        action = get_action(callback)
        if action == "list":
            kind, detail = "REST framework list", False
        elif action == "retrieve":
            kind, detail = "REST framework detail", True
        elif action and getattr(getattr(view_class, action, None), "detail", None) is False:
            kind, detail = "REST framework list action", False
        else:
            return None
    elif issubclass(view_class, ListModelMixin):
        kind, detail, action = "REST framework list", False, "list"
    elif issubclass(view_class, RetrieveModelMixin):
        kind, detail, action = "REST framework detail", True, "retrieve"
    else:
        return None
    view = view_class(**(getattr(callback, "initkwargs", None) or {}))
    lookup_kwarg = view.lookup_url_kwarg or view.lookup_field
    return ViewInfo(kind, model_of(view, action), detail, ((lookup_kwarg, view.lookup_field),))


def model_of(view: Any, action: str) -> Any:
    """The model a view serves: its queryset, what `get_queryset()` returns, or its serializer's."""
    queryset = getattr(view, "queryset", None)
    if queryset is None:
        request = RequestFactory().get("/")
        request.user = AnonymousUser()
        view.request, view.args, view.kwargs = Request(request), (), {}
        view.action, view.format_kwarg = action, None
        try:
            queryset = view.get_queryset()
        except Exception:  # a view that needs a real request: fall back on the serializer
            queryset = None
    if queryset is not None and hasattr(queryset, "model"):
        return queryset.model
    serializer_class = getattr(view, "serializer_class", None)
    return getattr(getattr(serializer_class, "Meta", None), "model", None)


register_source_finder(serializer_field)
register_view_inspector(inspect_view)
