"""Is the effect linear? The line against one mean per value: the test, both models'
AIC, and what a small or a large p does and does not mean."""

from __future__ import annotations

from typing import Any

from assistant.narrate import numbers as fmt
from assistant.narrate.blocks import Block, Heading, Paragraph, code, table


def linearity_blocks(result: Any, model: Any) -> list[Block]:
    x = result.variable
    k = result.n_values
    values = ", ".join(f"{v:g}" for v in result.values)
    how = (
        f"I compared {model.title}, where {x} has a straight-line effect, with the same model "
        f"giving each of the {k} distinct values of {x} ({values}) its own mean: "
        f"{code(result.stepwise_formula)}. Both were fitted by maximum likelihood, since "
        "their fixed effects differ (as lme4's anova refits them)."
    )
    if result.random_slope:
        how += f" The random part is unchanged, so the random slope keeps {x} numeric."
    verdict = (
        f"Likelihood-ratio test: χ²({result.df}) = {fmt.statistic(result.chisq)}, "
        f"{fmt.p_value(result.p)} ({result.df} df: the extra coefficients of one mean per "
        f"value over the line). AIC {fmt.number(result.linear_aic)} for the straight line, "
        f"{fmt.number(result.stepwise_aic)} for one mean per value"
    )
    lower = "the straight line" if result.linear_aic <= result.stepwise_aic else (
        "one mean per value")
    verdict += f" (lower is better: {lower})."
    if result.p < 0.05:
        meaning = (
            f"The small p means the means at the values of {x} depart from a straight line "
            "by more than chance would explain: the effect is not linear. It does not say "
            f"which shape fits; plot the data, or try a curve (`add {x} squared`)."
        )
    else:
        meaning = (
            f"The p is not small: the data show no departure from a straight line in {x}. "
            "That is not proof that the effect is exactly linear; a small sample leaves the "
            "test little power to see a mild curve. A small p would have meant that the "
            "means depart from the line by more than chance explains, without saying which "
            "shape fits instead."
        )
    blocks: list[Block] = [
        Heading(f"Is the effect of {x} linear?"),
        Paragraph(how),
        Paragraph(f"{verdict} {meaning}"),
    ]
    if not result.stepwise_converged or result.stepwise_singular:
        blocks.append(Paragraph(
            "The model with one mean per value had a fitting problem ("
            + ("it did not converge" if not result.stepwise_converged else "a singular fit")
            + "); read the test with care."
        ))
    blocks.append(table(
        ["Model", "npar", "AIC", "BIC", "logLik"],
        [
            [f"{x} as a straight line", str(result.linear_npar), fmt.number(result.linear_aic),
             fmt.number(result.linear_bic), fmt.number(result.linear_loglik)],
            [f"one mean per value of {x}", str(result.stepwise_npar),
             fmt.number(result.stepwise_aic), fmt.number(result.stepwise_bic),
             fmt.number(result.stepwise_loglik)],
        ],
        align="lrrrr",
        caption="Both models fitted by ML",
    ))
    return blocks
