"""The outcome's observed means per cell (``engine.observed_means``)."""

from __future__ import annotations

from typing import Any

from assistant.narrate import numbers as fmt
from assistant.narrate.blocks import Block, Heading, Paragraph, table


def observed_means_blocks(result: Any) -> list[Block]:
    """One row per cell: its levels, n, mean and SD, with what was left out."""
    by = " and ".join(result.by)
    n = sum(c.n for c in result.cells)
    sentence = (
        f"Observed {result.outcome} in each cell of {by}: {fmt.integer(n)} values in "
        f"{fmt.integer(len(result.cells))} cells; the SD uses n − 1. These are the raw data, "
        "not model estimates: with missed visits the cells hold different patients, so the "
        "model's marginal means are the fairer comparison."
    )
    if result.n_left_out:
        sentence += (f" {fmt.plural(result.n_left_out, 'row')} with a missing value "
                     f"{'is' if result.n_left_out == 1 else 'are'} not counted.")
    rows = [[*c.levels, fmt.integer(c.n), fmt.value(c.mean),
             "–" if c.sd is None else fmt.value(c.sd)] for c in result.cells]
    header = [*result.by, "n", "Mean", "SD"]
    return [
        Heading(f"Observed {result.outcome} by {by}"),
        Paragraph(sentence),
        table(header, rows, "r" * len(header)),
    ]
