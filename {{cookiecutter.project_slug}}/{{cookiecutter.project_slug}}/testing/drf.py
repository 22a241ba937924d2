"""The Django REST framework side of query budgets: its list routes, and which field ran a query."""

from __future__ import annotations

from types import FrameType
from typing import Any

from rest_framework.mixins import ListModelMixin
from rest_framework.serializers import BaseSerializer
from rest_framework.viewsets import ViewSetMixin


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


def is_list_view(callback: Any) -> bool:
    """True for a view answering GET with a list of model rows."""
    view_class = getattr(callback, "cls", None)
    if view_class is None:
        return False
    if issubclass(view_class, ViewSetMixin):
        return (getattr(callback, "actions", None) or {}).get("get") == "list"
    return issubclass(view_class, ListModelMixin)


def model_of(callback: Any) -> type | None:
    """The model a list view serves, read from its queryset or its serializer's Meta."""
    view_class = callback.cls
    initkwargs = getattr(callback, "initkwargs", {}) or {}
    queryset = initkwargs.get("queryset", getattr(view_class, "queryset", None))
    if queryset is not None:
        return queryset.model
    serializer_class = initkwargs.get(
        "serializer_class", getattr(view_class, "serializer_class", None)
    )
    meta = getattr(serializer_class, "Meta", None)
    return getattr(meta, "model", None)
