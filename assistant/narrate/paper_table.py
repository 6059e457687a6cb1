"""A results table to paste into a paper ("give me a table I can paste into my paper"):
the fixed effects in APA columns, the random-effect variances, and a note with the sample,
the estimation method, the df method and R². Every number is the fit's own."""

from __future__ import annotations

import re
from typing import Any

from assistant.narrate import numbers as fmt
from assistant.narrate.blocks import Block, Heading, Paragraph, table
from assistant.narrate.fit import confidence_level
from assistant.narrate.tables import DDF_NAMES


def paper_table_blocks(result: Any) -> list[Block]:
    model = result.model
    fit = model.fit
    level = fmt.level_percent(confidence_level(fit))
    fixed_rows = [
        [_predictor(fe.term), fmt.estimate(fe.estimate, fe.se), fmt.estimate(fe.se, fe.se),
         fmt.bracketed_interval(fe.ci_lower, fe.ci_upper, fe.se),
         fmt.degrees_of_freedom(fe.df), fmt.statistic(fe.t), fmt.p_cell(fe.p)]
        for fe in fit.fixed_effects
    ]
    random_rows = []
    for vc in fit.variance_components:
        if vc.var2 is not None:
            random_rows.append([f"{vc.group}: corr({vc.var1}, {vc.var2})", "",
                                fmt.fixed(vc.sdcor, 2)])
        elif vc.group == "Residual":
            random_rows.append(["Residual", fmt.number(vc.vcov), fmt.number(vc.sdcor)])
        else:
            random_rows.append([f"{vc.group}: {vc.var1}", fmt.number(vc.vcov),
                                fmt.number(vc.sdcor)])
    fixed = table(["Predictor", "b", "SE", f"{level} CI", "df", "t", "p"], fixed_rows,
                  align="lrrrrrr")
    random = table(["Random effect", "Variance", "SD / r"], random_rows, align="lrr")
    groups = ", ".join(fmt.plural(int(n), str(g), f"{g}s") for g, n in fit.ngroups.items())
    note = (
        f"Note. N = {fmt.integer(fit.nobs)} observations ({groups}). Linear mixed model "
        f"`{fit.formula}` fitted by {fit.method}; tests use {_ddf_words(fit.ddf_method)} "
        "degrees of freedom."
    )
    variance = result.variance
    if variance is not None and fmt.is_number(getattr(variance, "r2_marginal", None)):
        note += (f" Marginal R² = {fmt.bounded(variance.r2_marginal)}, conditional R² = "
                 f"{fmt.bounded(variance.r2_conditional)}.")
    return [
        Heading(f"Table for a paper: {model.title}"),
        Paragraph("Table 1. Fixed effects"),
        fixed,
        Paragraph("Random effects"),
        random,
        Paragraph(note),
        Paragraph("The columns are separated by spaces; `export the fixed effects` writes the "
                  "same numbers as a CSV file, which a spreadsheet or word processor opens as "
                  "a table."),
    ]


def _ddf_words(method: str) -> str:
    return DDF_NAMES.get(method, method)


def _predictor(term: str) -> str:
    """``time:treatment[T.treated]`` as ``time × treatment (treated)``."""
    return re.sub(r"\[T\.([^\]]+)\]", r" (\1)", term).replace(":", " × ")
