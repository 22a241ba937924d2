"""Rows for the generated query-budget tests: hand-written seeds first, introspection otherwise.

A model without a seed of its own is filled by model-bakery (or by the project's factory-boy
factory for it, when there is one): each row gets every forward relation set, nullable ones
included, and several rows in every many-to-many and reverse relation, so a query per row through
any relation shows. Before a route is measured, `check_seed_shape` fails on a relation of the
listed model left empty, since an empty relation hides the query it would cost.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Collection, Iterator, Sequence
from typing import Any

from django.db.models import CharField, ForeignObjectRel, Model, TextField
from model_bakery import baker

# A seed adds `count` rows of its model, visible to `requester` (the superuser making requests).
Seed = Callable[[int, Any], object]
RELATED_PER_ROW = 2
TEXT_FIELDS = (CharField, TextField)
NUMBERS = itertools.count(1)  # across calls, so unique text fields stay unique


class SeedShapeError(AssertionError):
    """The seeded rows leave a relation empty: a query per row through it could not show."""


def relation_id(model: type[Model], name: str) -> str:
    return f"{model._meta.label}.{name}"


# Any: Django types get_fields() as a union whose members lack the attributes relations share.
def relations(model: type[Model]) -> Iterator[Any]:
    """Every relation of the model that holds rows: forward keys, many-to-many, reverse."""
    for relation in model._meta.get_fields():
        if relation.is_relation and relation.related_model is not None:
            yield relation


def describe_relation(relation: Any) -> str:
    other = relation.related_model._meta.label
    if isinstance(relation, ForeignObjectRel):
        return f"reverse {type(relation.remote_field).__name__} from {other}"
    nullable = "nullable " if relation.null and not relation.many_to_many else ""
    return f"{nullable}{type(relation).__name__} to {other}"


def factory_for(model: type[Model]) -> Any:
    """The project's factory-boy factory for the model, if it has one."""
    try:
        from factory.django import DjangoModelFactory
    except ImportError:
        return None
    pending = list(DjangoModelFactory.__subclasses__())
    while pending:
        candidate = pending.pop()
        if getattr(candidate._meta, "model", None) is model:
            return candidate
        pending.extend(candidate.__subclasses__())
    return None


def make_rows(model: type[Model], count: int, **values: Any) -> list[Model]:
    factory = factory_for(model)
    if factory is not None:
        return list(factory.create_batch(count, **values))
    return bake(model, count, **values)  # fill_relations sets the nullable keys


def bake(model: type[Model], quantity: int, **values: Any) -> list[Model]:
    """model-bakery's rows, with numbered text ("title7") in plain text fields.

    model-bakery fills a required CharField with random characters up to its max_length, one
    random.choice() each: most of the seeding time. A numbered value is as good for measuring.
    """
    for field in model._meta.concrete_fields:
        if (
            type(field) in TEXT_FIELDS
            and not (field.primary_key or field.choices or field.has_default())
            and field.name not in values
        ):
            values[field.name] = numbered(field.name)
    return baker.make(model, _quantity=quantity, **values)


def numbered(name: str) -> Iterator[str]:
    while True:
        yield f"{name}{next(NUMBERS)}"


def fill_relations(
    model: type[Model], rows: Sequence[Model], per_row: int, skip: Collection[str] = ()
) -> None:
    """Set every empty forward key, and give each row `per_row` rows in every other relation."""
    for relation in relations(model):
        if relation_id(model, relation.name) in skip:
            continue
        other = relation.related_model
        if relation.many_to_one or (relation.one_to_one and relation.concrete):
            empty = [row for row in rows if getattr(row, relation.attname) is None]
            if empty:
                for row, related in zip(empty, bake(other, len(empty)), strict=True):
                    setattr(row, relation.name, related)
                model._default_manager.bulk_update(empty, [relation.name])
        elif relation.many_to_many:
            through = (relation.remote_field if relation.concrete else relation).through
            if not through._meta.auto_created:
                continue  # the shape check names it: an explicit through model needs a seed
            pool = bake(other, per_row)
            accessor = relation.name if relation.concrete else relation.get_accessor_name()
            for row in rows:
                getattr(row, accessor).add(*pool)
        elif isinstance(relation, ForeignObjectRel):
            quantity = 1 if relation.one_to_one or unique_per_row(relation) else per_row
            owners = [row for row in rows for _ in range(quantity)]
            bake(other, len(owners), **{relation.field.name: iter(owners)})


def unique_per_row(relation: ForeignObjectRel) -> bool:
    """True when a unique constraint on the related model includes the key to the row."""
    opts = relation.related_model._meta
    sets = [
        *opts.unique_together,
        *(
            getattr(constraint, "fields", ())
            for constraint in opts.constraints
            if getattr(constraint, "fields", ())
        ),
    ]
    return any(relation.field.name in fields for fields in sets)


class SeedRegistry:
    """Hand-written seeds per model, and the routes and relations knowingly left out."""

    def __init__(self) -> None:
        self.seeds: dict[type[Model], Seed] = {}
        self.exemptions: dict[str, str] = {}

    def register(self, model: type[Model]) -> Callable[[Seed], Seed]:
        def decorator(seed: Seed) -> Seed:
            self.seeds[model] = seed
            return seed

        return decorator

    def exempt(self, key: str, reason: str) -> None:
        """Leave out a route ("/api/reports/") or a relation ("shop.Book.reviews"), saying why."""
        if not reason.strip():
            raise ValueError(f"Exempting {key!r} needs a reason.")
        self.exemptions[key] = reason

    def seed_for(self, model: type[Model], **values: Any) -> Seed:
        """The hand-written seed for the model, or rows made by introspection."""
        if model in self.seeds and not values:
            return self.seeds[model]

        def automatic(count: int, requester: Any) -> list[Model]:
            rows = make_rows(model, count, **values)
            fill_relations(model, rows, RELATED_PER_ROW, set(self.exemptions))
            return rows

        return automatic

    def check_seed_shape(self, model: type[Model], seeded_by: str) -> None:
        """Fail naming each relation of `model` that no seeded row has anything in."""
        manager = model._default_manager
        empty = [
            relation
            for relation in relations(model)
            if relation_id(model, relation.name) not in self.exemptions
            and not manager.filter(**{f"{relation.name}__isnull": False}).exists()
        ]
        if not empty:
            return
        listed = "\n".join(
            f"  {relation_id(model, relation.name)} ({describe_relation(relation)})"
            for relation in empty
        )
        first = relation_id(model, empty[0].name)
        raise SeedShapeError(
            f"The rows {seeded_by} made leave these relations of {model._meta.label} empty, so "
            f"a query per row through them could not show:\n{listed}\nFill them in the seed, or "
            f"exempt each with a reason: seeds.exempt({first!r}, reason=...)."
        )


seeds = SeedRegistry()
