"""Estimated marginal means and pairwise comparisons (``engine.marginal_means``)."""

from __future__ import annotations

from typing import Any

from assistant.narrate import numbers as fmt
from assistant.narrate.blocks import Block, Heading, Paragraph, table
from assistant.narrate.fit import DDF_WORDS

ADJUSTMENT_WORDS = {
    "tukey": "Tukey's method",
    "holm": "Holm's method",
    "bonferroni": "Bonferroni's method",
}


def marginal_means_blocks(result: Any, model: Any) -> list[Block]:
    level = fmt.level_percent(result.level)
    blocks: list[Block] = [
        Heading(f"Estimated marginal means of {result.factor}, {model.title}"),
        Paragraph(_grid_sentence(result)),
    ]
    rows = [
        [
            m.level,
            fmt.estimate(m.test.estimate, m.test.se),
            fmt.number(m.test.se),
            fmt.degrees_of_freedom(m.test.df),
            fmt.estimate(m.test.lower, m.test.se),
            fmt.estimate(m.test.upper, m.test.se),
        ]
        for m in result.means
    ]
    blocks.append(
        table(
            [result.factor, f"Mean {result.response}", "SE", "df", f"{level} lower",
             f"{level} upper"],
            rows,
            "lrrrrr",
        )
    )
    blocks.append(Paragraph(_pairs_sentence(result)))
    diff_rows = [
        [
            f"{d.level1} − {d.level2}",
            fmt.estimate(d.test.estimate, d.test.se),
            fmt.number(d.test.se),
            fmt.degrees_of_freedom(d.test.df),
            fmt.statistic(d.test.t),
            fmt.p_cell(d.test.p),
        ]
        + ([fmt.p_cell(d.p_adjusted)] if result.adjustment != "none" else [])
        for d in result.differences
    ]
    headers = ["Comparison", "Difference", "SE", "df", "t", "p"]
    if result.adjustment != "none":
        headers.append(f"p ({result.adjustment})")
    blocks.append(table(headers, diff_rows, "l" + "r" * (len(headers) - 1)))
    if result.interacting:
        others = fmt.join_words([f"`{v}`" for v in result.interacting])
        blocks.append(
            Paragraph(
                f"{result.factor} interacts with {others} in this model, so its differences "
                f"change with {'it' if len(result.interacting) == 1 else 'them'}; these means "
                "average over (or hold fixed) that change. "
                f"Compare levels at chosen values with `predict {result.response} at ...`."
            )
        )
    return blocks


def _grid_sentence(result: Any) -> str:
    parts = []
    if result.averaged_over:
        parts.append(
            "averaged with equal weights over the levels of "
            + fmt.join_words([f"`{f}`" for f in result.averaged_over])
        )
    if result.held_at_mean:
        parts.append(
            "with "
            + fmt.join_words(
                [f"{name} at its mean ({fmt.value(v)})" for name, v in result.held_at_mean.items()]
            )
        )
    grid = f" ({'; '.join(parts)})" if parts else ""
    df = DDF_WORDS.get(result.df_method, f"{result.df_method} degrees of freedom")
    return (
        f"The model's mean {result.response} at each level of {result.factor}{grid}, as "
        f"emmeans computes them; tests and intervals use {df}."
    )


def _pairs_sentence(result: Any) -> str:
    diffs = result.differences
    if len(diffs) == 1:
        d = diffs[0]
        return (
            f"{d.level1} vs {d.level2}: difference {fmt.estimate(d.test.estimate, d.test.se)} "
            f"({fmt.level_percent(result.level)} CI "
            f"{fmt.interval(d.test.lower, d.test.upper, d.test.se)}; "
            f"t({fmt.degrees_of_freedom(d.test.df)}) = {fmt.statistic(d.test.t)}, "
            f"{fmt.p_value(d.test.p)})."
        )
    adjusted = result.adjustment != "none"
    p_of = (lambda d: d.p_adjusted) if adjusted else (lambda d: d.test.p)
    significant = [d for d in diffs if p_of(d) < 0.05]
    how = (
        f"after adjusting for {len(diffs)} comparisons by "
        f"{ADJUSTMENT_WORDS[result.adjustment]}"
        if adjusted
        else "without adjusting for the number of comparisons"
    )
    if not significant:
        head = f"None of the {len(diffs)} pairs differs significantly at the 5% level {how}."
    else:
        listed = "; ".join(
            f"{d.level1} − {d.level2} = {fmt.estimate(d.test.estimate, d.test.se)} "
            f"({fmt.p_value(p_of(d))})"
            for d in significant
        )
        head = (
            f"{len(significant)} of the {len(diffs)} pairs differ significantly at the 5% "
            f"level {how}: {listed}."
        )
    return head + " The intervals above are for single means, not adjusted."
