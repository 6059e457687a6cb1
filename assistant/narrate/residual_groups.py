"""Words for "is the residual variance the same in both groups?" (engine.
residual_variance_by_group): each group's residual SD, Levene's and Brown-Forsythe's tests,
and what the check can and cannot say."""

from __future__ import annotations

from typing import Any

from assistant.narrate import numbers as fmt
from assistant.narrate.blocks import Block, Heading, Paragraph, table


def residual_groups_blocks(result: Any, model: Any) -> list[Block]:
    column = result.column
    rows = [[level.level, fmt.integer(level.n), fmt.number(level.residual_sd)]
            for level in result.levels]
    tests = (
        f"Brown-Forsythe test (deviations from each group's median): F({result.df1}, "
        f"{result.df2}) = {fmt.statistic(result.brown_forsythe_f)}, "
        f"{fmt.p_value(result.brown_forsythe_p)}; Levene's test (from the mean): F = "
        f"{fmt.statistic(result.levene_f)}, {fmt.p_value(result.levene_p)}"
    )
    ratio = f"the larger residual variance is {fmt.number(result.variance_ratio)} times the smaller"
    if result.brown_forsythe_p < 0.05:
        verdict = (
            f"No: {ratio}, and the difference is larger than chance explains ({tests}). The "
            "model's single residual variance does not fit both groups; standard errors of "
            f"comparisons between levels of {column} may be off."
        )
    else:
        verdict = (
            f"The data show no clear difference: {ratio} ({tests}). That is no proof the "
            "variances are equal, but the model's one residual variance is a fair summary."
        )
    how = (
        "What this is: a check on the fitted model's conditional residuals (observed minus "
        "fixed-effect prediction minus the subject's random effects), grouped by "
        f"{column}. The model itself has one residual SD, {fmt.number(result.model_sigma)}; "
        "the residuals' own SDs come out smaller because the random effects absorb part of "
        "each subject's noise. The residuals are correlated within a subject, so the p "
        "values are approximate. A model with a separate residual variance per group "
        "(nlme's varIdent) would answer this directly; this engine, like lme4, fits one "
        "residual variance only."
    )
    return [
        Heading(f"Residual spread by {column}, {model.title}"),
        table([column, "Observations", "Residual SD"], rows),
        Paragraph(verdict),
        Paragraph(how),
    ]
