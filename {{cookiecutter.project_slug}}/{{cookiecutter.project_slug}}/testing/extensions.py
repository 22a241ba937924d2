"""Where extensions teach the toolkit about a framework's views.

An extension is a module listed in settings.QUERY_BUDGET_EXTENSIONS that, when imported, registers
a view inspector (which URL callbacks list rows or show one, and of which model) and, if it helps,
a source finder (which stack frame says what caused a query). `load_extensions()` imports them;
the toolkit calls it before it looks for routes or records queries.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from importlib import import_module
from types import FrameType
from typing import Any

from django.conf import settings
from django.db.models import Model


@dataclass(frozen=True)
class ViewInfo:
    """What a view serves: its kind as shown in messages, its model, and its URL lookups."""

    kind: str
    model: type[Model] | None
    detail: bool
    # URL keyword -> the model field whose value fills it (detail routes)
    lookups: tuple[tuple[str, str], ...] = ()


SourceFinder = Callable[[FrameType], str | None]
ViewInspector = Callable[[Any], ViewInfo | None]
SOURCE_FINDERS: list[SourceFinder] = []
VIEW_INSPECTORS: list[ViewInspector] = []


def register_source_finder(finder: SourceFinder) -> None:
    SOURCE_FINDERS.append(finder)


def register_view_inspector(inspector: ViewInspector) -> None:
    VIEW_INSPECTORS.append(inspector)


@cache
def load_extensions() -> None:
    """Import the modules named in settings.QUERY_BUDGET_EXTENSIONS; each registers itself."""
    for module in getattr(settings, "QUERY_BUDGET_EXTENSIONS", []):
        import_module(module)
