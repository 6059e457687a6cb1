"""How much the groups differ (``engine.group_spread.GroupSpread``): the between-group SD
beside the residual SD, the share of the variance between the groups, and what the SD
means on the outcome's scale (the range of the groups' own means)."""

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
from assistant.narrate.fit import reference_point


def _where(fit: Any) -> str:
    """Where the groups' means are compared: nowhere to say for an intercept-only fixed
    part, else at the fixed intercept's reference point."""
    if len(fit.fixed_effects) <= 1:
        return ""
    return f" (at {reference_point(fit)})"


def _centre(fit: Any) -> str:
    """The fixed intercept in words: the grand mean, or the mean at the reference point."""
    if len(fit.fixed_effects) <= 1:
        return "the grand mean"
    return f"the mean at {reference_point(fit)},"


def _share_blocks(result: Any, fit: Any, groups: str) -> list[Block]:
    """The share of the variance between the groups: this factor's share beside the other
    grouping factors, else the ICC or why there is none, as the variance components
    word it (``variance.icc_blocks``)."""
    spread = result.spread
    if result.share_kind == "group_share":
        return [Paragraph(
            f"{fmt.percent(result.share)} of the variance in {fit.response_name} not "
            f"explained by the fixed effects lies between {groups} "
            f"({fmt.number(spread.variance)} of {fmt.number(result.total_variance)}: the "
            "residual and every random intercept's variance together). This is the ICC of "
            f"{spread.group} alone, with the other grouping factors counted as noise."
        )]
    blocks = variance_words.icc_blocks(fit, result.variance)
    if result.random_slope:
        blocks.append(Paragraph(
            f"`how much do {groups} differ in their slopes?` describes the slopes."))
    return blocks


def group_spread_blocks(result: Any, model: Any) -> list[Block]:
    fit = model.fit
    spread = result.spread
    group = group_noun(spread.group)
    groups = plural(group)
    outcome = fit.response_name
    percent = fmt.level_percent(spread.coverage)
    lead = (
        f"{groups[:1].upper()}{groups[1:]} differ in their average {outcome}{_where(fit)} with "
        f"an SD of {fmt.number(spread.sd)} (variance {fmt.number(spread.variance)}); within "
        f"{variance_words.with_article(group)}, observations scatter around what the model "
        f"predicts for that {group} with a residual SD of "
        f"{fmt.number(result.residual_sd)} (variance {fmt.number(result.residual_variance)})."
    )
    scale = (
        f"On the scale of {outcome}: if the {group} means are normally distributed, as the "
        f"model assumes, the middle {percent} of {groups} have an average {outcome} between "
        f"{fmt.number(spread.lower)} and {fmt.number(spread.upper)} "
        f"{plausible_range(spread, f'{_centre(fit)} {fmt.number(spread.intercept)}')}. "
        f"{range_caveat(groups)}"
    )
    return [
        Heading(f"How much {groups} differ ({model.title})"),
        Paragraph(lead),
        *_share_blocks(result, fit, groups),
        Paragraph(scale),
        variance_words.variance_table(fit),
    ]
