"""Levels of a grouping column ranked by their observed mean outcome ("which school has
the highest average score?").

The question asks about the data: each level's mean of the non-missing outcome values,
its count and SD, as :func:`engine.observed_means.observed_means` computes them (pandas
``groupby(...).agg(["count", "mean", "std"])``). Levels whose means are equal are tied
at the top. A model's BLUPs rank the levels differently: adjusted for its predictors
and shrunk toward the average the more, the fewer observations a level has; the
assistant puts that ranking's first level beside this one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from engine.errors import LmmInputError
from engine.observed_means import ObservedCell, observed_means


@dataclass(frozen=True)
class ObservedMeanRanking:
    """Every level of ``group`` with its observed n, mean and SD of ``outcome``, highest
    mean first when ``descending``; ``top`` is how many the caller shows (None: all);
    ``n_left_out`` rows had a missing outcome or level."""

    outcome: str
    group: str
    descending: bool
    top: int | None
    cells: tuple[ObservedCell, ...]
    n_left_out: int

    @property
    def shown(self) -> tuple[ObservedCell, ...]:
        return self.cells if self.top is None else self.cells[: self.top]

    @property
    def leaders(self) -> tuple[ObservedCell, ...]:
        """The first level and every level tied with its mean."""
        first = self.cells[0].mean
        return tuple(c for c in self.cells if np.isclose(c.mean, first, rtol=1e-12, atol=0))

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": "observed_mean_ranking", "outcome": self.outcome, "group": self.group,
            "descending": self.descending, "top": self.top, "n_levels": len(self.cells),
            "n_left_out": self.n_left_out,
            "rows": [{"level": c.levels[0], "n": c.n, "mean": c.mean, "sd": c.sd}
                     for c in self.shown],
        }


def rank_observed_means(
    data: pd.DataFrame, outcome: str, group: str, *, descending: bool = True,
    top: int | None = None,
) -> ObservedMeanRanking:
    """The levels of ``group`` ordered by their observed mean ``outcome`` (see the module)."""
    if top is not None and top < 1:
        raise LmmInputError(f"Ask for at least one level, not {top}.")
    table = observed_means(data, outcome, (group,))
    cells = sorted(table.cells, key=lambda c: c.mean, reverse=descending)
    return ObservedMeanRanking(outcome=outcome, group=group, descending=descending, top=top,
                               cells=tuple(cells), n_left_out=table.n_left_out)
