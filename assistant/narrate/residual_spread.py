"""Words for "is there heteroscedasticity?": how the spread of the residuals changes with
the fitted values, measured by ``engine.residual_checks`` (the SD ratio of the top and
bottom thirds of fitted values, and Spearman's correlation of |residual| with the fitted
value), then the residual figure as usual."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from assistant.narrate import figures
from assistant.narrate import numbers as fmt
from assistant.narrate.blocks import Block, Paragraph
from engine.residual_checks import FUNNEL_P, FUNNEL_SD_RATIO, MIN_OBS_FOR_SHAPE


def spread_sentence(checks: Any) -> str:
    """The answer: yes (the funnel rule fired), not clearly (the SD ratio is past the
    rule's bound but the size of the residuals does not trend with the fitted value), or
    no; always with the two numbers the rule reads."""
    ratio, rho, p = (checks.sd_ratio_top_bottom, checks.spearman_abs_resid_fitted,
                     checks.spearman_p)
    if not all(math.isfinite(v) for v in (ratio, rho, p)):
        return (
            "The spread of the residuals cannot be judged here: it needs at least "
            f"{MIN_OBS_FOR_SHAPE} observations with differing fitted values."
        )
    numbers = (
        f"the residual SD among the highest third of fitted values is {fmt.number(ratio)} "
        f"times that among the lowest third, and the size of the residuals has a rank "
        f"correlation of {fmt.fixed(rho, 2)} with the fitted value "
        f"({fmt.p_value(p)})"
    )
    bounds = (
        f"the check calls it a funnel only when the ratio is above {FUNNEL_SD_RATIO:g} or "
        f"below {fmt.fixed(1 / FUNNEL_SD_RATIO, 2)} and the correlation points the same way "
        f"with p < {FUNNEL_P:g}"
    )
    if "funnel" in checks.codes:
        return (
            f"Yes: {numbers}. The spread of the residuals changes with the fitted values; "
            "a transformed outcome (e.g. log) or a model of the variance may fit better."
        )
    if ratio > FUNNEL_SD_RATIO or ratio < 1 / FUNNEL_SD_RATIO:
        return (
            f"Not clearly: {numbers}. The ratio alone is large, but the size of the residuals "
            f"does not trend with the fitted value ({bounds}), so a few large residuals "
            "rather than a funnel may be behind it; look at the residuals-vs-fitted panel."
        )
    return f"No clear sign of it: {numbers} ({bounds})."


def spread_blocks(figure: Any, model: Any, paths: list[Path]) -> list[Block]:
    return [Paragraph(f"Heteroscedasticity, {model.title}: {spread_sentence(figure.checks)}"),
            *figures.figure_blocks(figure, model, paths)]
