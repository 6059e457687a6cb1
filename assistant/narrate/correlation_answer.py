"""The answer to "what is the correlation between intercept and slope?".

The correlation of a grouping factor's random intercept and slope is lme4's
``VarCorr`` correlation (the ``sdcor`` of the row with two variables in
``as.data.frame(VarCorr(m))``; its ``vcov`` is the covariance). A model without a
random slope has no such correlation, and a slope fitted with ``||`` has it fixed at
zero: the answer says so instead of printing variances that do not answer the question.
"""

from __future__ import annotations

from typing import Any

from assistant.narrate import numbers as fmt
from assistant.narrate.blocks import Block, Paragraph
from assistant.narrate.terms import INTERCEPT_NAMES
from assistant.narrate.variance import group_name, is_residual, plural_term

#: Below this size a correlation is described as close to zero.
NEGLIGIBLE = 0.1
#: From this size on a correlation sits at the boundary (a singular fit).
BOUNDARY = 0.99


def correlation_answer_blocks(fit: Any, title: str, slope_hint: str | None) -> list[Block]:
    """One paragraph per estimated correlation of random effects, or one saying why
    there is none and how to fit one."""
    correlations = [vc for vc in fit.variance_components if vc.var2 is not None]
    if correlations:
        return [Paragraph(_correlation_sentence(vc)) for vc in correlations]
    slopes = [
        vc for vc in fit.variance_components
        if vc.var2 is None and not is_residual(vc) and vc.var1 not in INTERCEPT_NAMES
    ]
    if slopes:
        vc = slopes[0]
        group = group_name(vc.group)
        return [Paragraph(
            f"{title} fits the random slope of {vc.var1} by {group} uncorrelated with the "
            f"intercept (`||` in the formula), so their correlation is fixed at 0, not "
            f"estimated. To estimate it, put the slope and the intercept in one term: "
            f"`(1 + {vc.var1} | {group})`."
        )]
    example = f"`add a random slope for {slope_hint or '<variable>'}`"
    return [Paragraph(
        f"{title} has a random intercept only and no random slope, so there is no "
        f"correlation between intercept and slope to report. To estimate one, fit a "
        f"random slope, e.g. {example}; the correlation is then one of its variance "
        "components."
    )]


def _correlation_sentence(vc: Any) -> str:
    group = group_name(vc.group)
    first, second = plural_term(vc.var1), plural_term(vc.var2)
    r = float(vc.sdcor)
    said = (
        f"The correlation between the {group} {first} and {second} is "
        f"{fmt.proportion(r)} (covariance {fmt.number(vc.vcov)})"
    )
    if abs(r) >= BOUNDARY:
        return (
            f"{said}: at the boundary of ±1, so the fit is singular and the data cannot "
            "estimate this correlation; consider `make the random effects uncorrelated`."
        )
    if abs(r) < NEGLIGIBLE:
        return (
            f"{said}: close to zero, so a {group}'s {_singular(first)} says little about "
            f"its {_singular(second)}."
        )
    direction = "higher" if r > 0 else "lower"
    return (
        f"{said}: {group} levels with higher {first} tend to have {direction} {second}."
    )


def _singular(plural: str) -> str:
    return plural[:-1] if plural.endswith("s") else plural
