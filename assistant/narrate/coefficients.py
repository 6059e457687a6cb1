"""What one coefficient means (``engine.coefficient_meaning.CoefficientMeaning``): the fit
narration's own sentence for it and, for a two-way interaction, the two effects whose
difference it is, with the model's numbers."""

from __future__ import annotations

import re
from typing import Any

from assistant.narrate import numbers as fmt
from assistant.narrate.blocks import Block, Heading, Paragraph
from assistant.narrate.fit import confidence_level, fixed_effect_sentence, fixed_effects_table
from assistant.narrate.terms import (
    column_of,
    contrast_words,
    per_unit,
    reference_level,
    split_term,
)


def coefficient_meaning_blocks(meaning: Any, model: Any) -> list[Block]:
    fit = model.fit
    by_term = {fe.term: fe for fe in fit.fixed_effects}
    named = fmt.join_words([f"`{term}`" for term in meaning.terms])
    verb = "means" if len(meaning.terms) == 1 else "mean"
    blocks: list[Block] = [Heading(f"What {named} {verb} in {model.title}")]
    for term in meaning.terms:
        blocks.append(Paragraph(fixed_effect_sentence(by_term[term], fit)))
        for effect in meaning.simple_effects:
            if effect.interaction_term == term:
                blocks.append(Paragraph(_simple_effect_sentence(effect, by_term, fit)))
    blocks.append(fixed_effects_table(fit, meaning.terms))
    return blocks


def _simple_effect_sentence(effect: Any, by_term: dict[str, Any], fit: Any) -> str:
    """ "the time slope is −2.22 for control (the time coefficient) and −2.29 for treated
    (the time coefficient plus this one; CI; test)"."""
    response = fit.response_name
    (main,) = split_term(effect.main_term)
    (other,) = split_term(effect.other_term)
    main_fe = by_term[effect.main_term]
    if main.level is None:
        what, kind, unit = f"the {main.variable} slope of {response}", "slopes", " " + per_unit(
            main.variable
        )
    else:
        what = f"the {contrast_words(main, fit.data)} difference in {response}"
        kind, unit = "differences", ""
    if other.level is None:
        at_reference, at_level = f"at {other.variable} = 0", f"at {other.variable} = 1"
    else:
        reference = reference_level(fit.data, other.variable)
        at_reference = (
            f"for {_level_label(other.variable, reference)}" if reference is not None
            else f"at the reference {column_of(other.variable)}"
        )
        at_level = f"for {_level_label(other.variable, other.level)}"
    test = effect.test
    level = confidence_level(fit)
    interval = f"{fmt.level_percent(level)} CI {fmt.interval(test.lower, test.upper, test.se)}"
    return (
        f"What it means: this coefficient is the difference between two {kind}, not an "
        f"effect on its own. {what[0].upper()}{what[1:]} is "
        f"{fmt.estimate(effect.main_estimate, main_fe.se)}{unit} {at_reference} (the "
        f"`{effect.main_term}` coefficient) and {fmt.estimate(test.estimate, test.se)} "
        f"{at_level} (the `{effect.main_term}` coefficient plus this one; {interval}; "
        f"{_test_words(test, fit)})."
    )


def _level_label(variable: str, level: str) -> str:
    """``time 3`` for a bare number (it says nothing alone), else the level itself."""
    if re.fullmatch(r"-?\d+(\.\d+)?", str(level)):
        return f"{column_of(variable)} {level}"
    return str(level)


def _test_words(test: Any, fit: Any) -> str:
    if fit.ddf_method == "asymptotic" or not fmt.is_number(test.df) or test.df == float("inf"):
        statistic = f"z = {fmt.statistic(test.t)}"
    else:
        statistic = f"t({fmt.degrees_of_freedom(test.df)}) = {fmt.statistic(test.t)}"
    return f"{statistic}, {fmt.p_value(test.p)}"
