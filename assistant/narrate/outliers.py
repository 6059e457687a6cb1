"""Outlying observations and clusters (``engine.outliers``), in words and a table."""

from __future__ import annotations

from typing import Any

from assistant.narrate import numbers as fmt
from assistant.narrate.blocks import Block, Heading, Paragraph, table


def outlier_blocks(report: Any, model: Any) -> list[Block]:
    fit = model.fit
    blocks: list[Block] = [Heading(f"Outliers, {model.title}")]
    bound = fmt.fixed(report.threshold, 2)
    rule = (
        f"a standardized residual (observed − fitted, with the BLUPs, over σ̂) beyond "
        f"±{bound}, the bound that any of {fmt.integer(report.nobs)} normal residuals "
        f"passes with only 5% chance"
    )
    found = report.observations
    if not found:
        blocks.append(Paragraph(f"No observation is outlying: none has {rule}."))
    else:
        blocks.append(Paragraph(
            f"{fmt.plural(len(found), 'observation')} of {fmt.integer(report.nobs)} "
            f"{'is' if len(found) == 1 else 'are'} outlying, with {rule}; most extreme first:"
        ))
        groups = [name for name, _ in found[0].levels]
        rows = [
            [str(o.source_row + 1), *[level for _, level in o.levels],
             fmt.number(o.observed), fmt.number(o.fitted), fmt.fixed(o.standardized, 2)]
            for o in found
        ]
        blocks.append(table(["Row", *groups, f"Observed {fit.response_name}", "Fitted",
                             "Std. residual"], rows))
    blocks.extend(_cluster_blocks(report))
    blocks.append(Paragraph(_advice(bool(found))))
    return blocks


def _cluster_blocks(report: Any) -> list[Block]:
    levels = report.extreme_levels
    if not levels:
        return [Paragraph(
            "No cluster stands out: no BLUP is beyond the same kind of bound among its "
            "term's levels (SD taken without the flagged levels)."
        )]
    rows = [[e.group, e.term, e.level, fmt.number(e.blup), fmt.fixed(e.standardized, 2),
             fmt.fixed(e.threshold, 2)] for e in levels]
    return [
        Paragraph(
            f"{fmt.plural(len(levels), 'cluster')} {'stands' if len(levels) == 1 else 'stand'} "
            f"out: a BLUP more than the bound for its number of levels away from zero, in "
            f"SDs of the other levels' BLUPs:"
        ),
        table(["Group", "Term", "Level", "BLUP", "BLUP / SD", "Bound"], rows),
    ]


def _advice(any_rows: bool) -> str:
    text = (
        "An outlier is a reason to check the data (entry errors, a different kind of "
        "subject), not to delete it."
    )
    if any_rows:
        text += (
            " `refit without the outliers` fits the model again without these rows and "
            "sets the estimates side by side, to show how much they move."
        )
    return text
