"""One source for the options: cookiecutter.json. Validation, pruning, the docs and the suite's
combinations all follow it, and a question added there is picked up everywhere without a list to
edit."""

from __future__ import annotations

import copy
import itertools

from .support.hooks import post_gen, pre_gen
from .support.options import (
    COVERING_SET,
    DEFAULTS,
    MINIMAL_ANSWERS,
    TEMPLATE,
    code_options,
    combination_count,
    combinations,
    covering_set,
    default_of,
    option_values,
    pairs_of,
    questions,
    undocumented,
)

REFERENCE = (TEMPLATE / "docs" / "options.md").read_text(encoding="utf-8")


def good_answers(declared: dict) -> dict[str, object]:
    answers = {key: default_of(declared, key) for key in questions(declared)}
    answers["project_slug"] = "acme_portal"
    return answers


def with_fake_option(default: object) -> dict:
    """A copy of cookiecutter.json with one more question, asked before the private keys."""
    declared = copy.deepcopy(DEFAULTS)
    private = {key: declared.pop(key) for key in list(declared) if key.startswith("_")}
    return {**declared, "use_fake": default, **private}


def test_every_question_is_validated_in_the_order_it_is_asked():
    checked = [field for field, _ in pre_gen.rules(DEFAULTS)]
    assert checked == questions(DEFAULTS)
    # Free-text questions need a rule written for them; their table keeps the question order.
    text = [key for key in questions(DEFAULTS) if key not in option_values(DEFAULTS)]
    assert list(pre_gen.RULES) == text


def test_every_question_is_in_the_manifest_or_declared_to_prune_nothing():
    in_manifest = {rule.option for rule in post_gen.MANIFEST}
    declared_apart = set(post_gen.NOT_IN_MANIFEST)
    assert in_manifest.isdisjoint(declared_apart)
    assert sorted(in_manifest | declared_apart) == sorted(questions(DEFAULTS))


def test_every_license_choice_has_its_text():
    texts = TEMPLATE / "{{cookiecutter.project_slug}}" / "licenses"
    assert sorted(path.name for path in texts.iterdir()) == sorted(DEFAULTS["license"])


def test_the_options_reference_names_every_question_and_answer():
    assert undocumented(DEFAULTS, REFERENCE) == []


def test_the_combination_count_is_derived_from_the_declared_choices():
    assert combination_count(DEFAULTS) == len(combinations(DEFAULTS))
    assert len({tuple(answers.items()) for answers in combinations(DEFAULTS)}) == len(
        combinations(DEFAULTS)
    )


def test_a_new_yes_no_question_is_validated_counted_and_required_in_the_docs():
    declared = with_fake_option(True)
    answers = good_answers(declared)
    assert pre_gen.errors(answers, declared) == []
    problems = pre_gen.errors({**answers, "use_fake": "perhaps"}, declared)
    assert problems == [
        "use_fake: got 'perhaps'; answer yes or no (true or false in a config file)."
    ]
    assert combination_count(declared) == 2 * combination_count(DEFAULTS)
    assert "`use_fake`" in undocumented(declared, REFERENCE)
    assert "`use_fake`" not in undocumented(declared, REFERENCE + "\n| `use_fake` | `true` |")


def test_a_new_choice_is_validated_counted_and_covered():
    declared = with_fake_option(["lean", "rich", "odd"])
    answers = good_answers(declared)
    assert pre_gen.errors({**answers, "use_fake": "odd"}, declared) == []
    problems = pre_gen.errors({**answers, "use_fake": "gold"}, declared)
    assert problems == ["use_fake: got 'gold'; choose one of lean, rich, odd."]
    assert combination_count(declared) == 3 * combination_count(DEFAULTS)
    assert "`use_fake`: `rich`" in undocumented(declared, REFERENCE)
    chosen = {answers.get("use_fake", "lean") for answers in covering_set(declared)}
    assert chosen == {"lean", "rich", "odd"}


def test_every_pair_of_option_values_meets_in_the_covering_set():
    options = code_options(DEFAULTS)
    full = [
        {key: answers.get(key, default_of(DEFAULTS, key)) for key in options}
        for answers in COVERING_SET
    ]
    met = set().union(*(pairs_of(answers) for answers in full))
    for first, second in itertools.combinations(sorted(options), 2):
        for pair in itertools.product(options[first], options[second]):
            assert ((first, pair[0]), (second, pair[1])) in met, (first, second, pair)
    assert COVERING_SET[:2] == [{}, MINIMAL_ANSWERS]
    assert len(COVERING_SET) < combination_count(DEFAULTS)


def test_the_covering_set_is_the_same_on_every_run():
    assert covering_set(copy.deepcopy(DEFAULTS)) == COVERING_SET
