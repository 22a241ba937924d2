"""The template's questions as the suite sees them, all read from cookiecutter.json.

Nothing here lists an option by hand: a new choice or yes/no question in cookiecutter.json is
rendered in every combination by the cheap checks and lands in the covering set of the expensive
ones without an edit. Every function takes the declaration as an argument, so a test can hand it
a copy with an extra question.
"""

from __future__ import annotations

import itertools
import json
import math
from pathlib import Path

TEMPLATE = Path(__file__).resolve().parent.parent.parent
DEFAULTS = json.loads((TEMPLATE / "cookiecutter.json").read_text())

# Questions whose answers change one text file and nothing else: rendered once per value by their
# own test rather than multiplying every combination.
TEXT_ONLY = frozenset({"license"})

# Scenarios the expensive tests always include; other answers take their defaults.
DEFAULT_ANSWERS: dict[str, object] = {}
MINIMAL_ANSWERS: dict[str, object] = {
    "username_type": "email",
    "accounts": "django",
    "use_drf": False,
    "use_celery": False,
    "use_sentry": False,
    "ci": "none",
}


def questions(declared: dict) -> list[str]:
    """Every question asked, in order (private keys are not questions)."""
    return [key for key in declared if not key.startswith("_")]


def option_values(declared: dict) -> dict[str, list[object]]:
    """The questions with a fixed set of answers (choices and yes/no), each with its answers."""
    values: dict[str, list[object]] = {}
    for key in questions(declared):
        default = declared[key]
        if isinstance(default, list):
            values[key] = list(default)
        elif isinstance(default, bool):
            values[key] = [default, not default]
    return values


def code_options(declared: dict) -> dict[str, list[object]]:
    """The options whose answers change code, with every value each can take."""
    return {key: v for key, v in option_values(declared).items() if key not in TEXT_ONLY}


def combination_count(declared: dict) -> int:
    return math.prod(len(values) for values in code_options(declared).values())


def combinations(declared: dict) -> list[dict[str, object]]:
    """Every combination of the code-changing options (the full product)."""
    options = code_options(declared)
    return [
        dict(zip(options, values, strict=True)) for values in itertools.product(*options.values())
    ]


def default_of(declared: dict, key: str) -> object:
    default = declared[key]
    return default[0] if isinstance(default, list) else default


def overrides(declared: dict, answers: dict[str, object]) -> dict[str, object]:
    """`answers` without the ones that equal the default: the extra context that renders them."""
    return {key: value for key, value in answers.items() if value != default_of(declared, key)}


def pairs_of(answers: dict[str, object]) -> set[tuple[tuple[str, object], tuple[str, object]]]:
    return set(itertools.combinations(sorted(answers.items(), key=lambda item: item[0]), 2))


def covering_set(
    declared: dict, required: list[dict[str, object]] | None = None
) -> list[dict[str, object]]:
    """Few combinations in which every pair of option values meets at least once.

    Starts from the `required` scenarios (as overrides of the defaults), then adds, greedily, the
    combination that covers the most pairs not yet met; ties go to the earliest in product order,
    so the set is the same on every run. Returned as overrides, the form `render` takes.
    """
    everything = combinations(declared)
    options = code_options(declared)
    chosen = [
        {key: scenario.get(key, default_of(declared, key)) for key in options}
        for scenario in (required if required is not None else [DEFAULT_ANSWERS, MINIMAL_ANSWERS])
    ]
    uncovered = set().union(*(pairs_of(answers) for answers in everything))
    for answers in chosen:
        uncovered -= pairs_of(answers)
    while uncovered:
        best = max(everything, key=lambda answers: len(pairs_of(answers) & uncovered))
        chosen.append(best)
        uncovered -= pairs_of(best)
    return [overrides(declared, answers) for answers in chosen]


def undocumented(declared: dict, reference: str) -> list[str]:
    """The questions and answers the options reference (docs/options.md) does not name."""
    missing = [f"`{key}`" for key in questions(declared) if f"`{key}`" not in reference]
    for key, values in option_values(declared).items():
        spelled = [json.dumps(value) if isinstance(value, bool) else value for value in values]
        missing += [f"`{key}`: `{value}`" for value in spelled if f"`{value}`" not in reference]
    return missing


CODE_OPTIONS = code_options(DEFAULTS)
COMBINATIONS = combinations(DEFAULTS)
COVERING_SET = covering_set(DEFAULTS)
