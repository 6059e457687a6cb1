"""How much the groups differ at baseline (``engine.baseline_spread``): the SD of their
random intercepts and the range of their own intercepts it implies (Raudenbush & Bryk's
plausible-value range), then the variance components."""

from __future__ import annotations

from typing import Any

from assistant.narrate import numbers as fmt
from assistant.narrate import variance as variance_words
from assistant.narrate.blocks import Block, Heading, Paragraph
from assistant.narrate.fit import reference_point


def plural(word: str) -> str:
    return word if word.endswith("s") else word + "s"


def group_noun(column: str) -> str:
    """A grouping column as a word in a sentence: "Subject" -> "subject"."""
    return column.lower() if column[:1].isupper() and column[1:].islower() else column


def plausible_range(spread: Any, centre: str) -> str:
    """The formula behind a range of group values: centre ± z × SD (Raudenbush and Bryk's
    plausible-value range), in brackets."""
    return (
        f"({centre} ± {fmt.fixed(spread.z, 2)} × {fmt.number(spread.sd)}; Raudenbush and "
        "Bryk's plausible-value range)"
    )


def range_caveat(groups: str) -> str:
    """What a plausible-value range leaves out."""
    return (
        f"The range describes the population of {groups}; it leaves out the uncertainty of "
        "the two estimates."
    )


def baseline_spread_blocks(spread: Any, model: Any) -> list[Block]:
    fit = model.fit
    group = group_noun(spread.group)
    groups = plural(group)
    outcome = fit.response_name
    percent = fmt.level_percent(spread.coverage)
    lead = (
        f"At baseline ({reference_point(fit)}) {groups} differ with an SD of "
        f"{fmt.number(spread.sd)} in their intercepts (variance {fmt.number(spread.variance)}), "
        f"around an average {outcome} of {fmt.number(spread.intercept)}."
    )
    spread_words = (
        f"If the {group} intercepts are normally distributed, as the model assumes, "
        f"about {percent} of {groups} have a baseline {outcome} between "
        f"{fmt.number(spread.lower)} and {fmt.number(spread.upper)} "
        f"{plausible_range(spread, 'the average')}. {range_caveat(groups)}"
    )
    return [
        Heading(f"How much {groups} differ at baseline ({model.title})"),
        Paragraph(lead),
        Paragraph(spread_words),
        Paragraph(variance_words.variance_sentence(fit)),
        variance_words.variance_table(fit),
    ]
