"""How much the groups differ in a slope (``engine.slope_spread``): the SD of their random
slopes and the range of their own slopes it implies (Raudenbush and Bryk's plausible-value
range), then the variance components."""

from __future__ import annotations

from typing import Any

from assistant.narrate import numbers as fmt
from assistant.narrate import variance as variance_words
from assistant.narrate.baseline_spread import (
    group_noun,
    plausible_range,
    plural,
    range_caveat,
)
from assistant.narrate.blocks import Block, Heading, Paragraph


def slope_spread_blocks(spread: Any, model: Any) -> list[Block]:
    fit = model.fit
    group = group_noun(spread.group)
    groups = plural(group)
    outcome = fit.response_name
    variable = spread.variable
    percent = fmt.level_percent(spread.coverage)
    lead = (
        f"On average {outcome} changes by {fmt.number(spread.slope)} per unit of {variable}; "
        f"the {group} slopes of {variable} differ around it with an SD of "
        f"{fmt.number(spread.sd)} (variance {fmt.number(spread.variance)})."
    )
    spread_words = (
        f"If the {group} slopes are normally distributed, as the model assumes, about "
        f"{percent} of {groups} have a slope between {fmt.number(spread.lower)} and "
        f"{fmt.number(spread.upper)} per unit of {variable} "
        f"{plausible_range(spread, 'the average')}. About "
        f"{fmt.percent(spread.share_opposite)} of {groups} would have a slope of the "
        f"opposite sign to the average. {range_caveat(groups)}"
    )
    return [
        Heading(f"How much {groups} differ in their {variable} slopes ({model.title})"),
        Paragraph(lead),
        Paragraph(spread_words),
        Paragraph(variance_words.variance_sentence(fit)),
        variance_words.variance_table(fit),
    ]
