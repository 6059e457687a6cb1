"""How fully two grouping factors are crossed: which combinations of their levels hold
observations.

Two factors A (a levels) and B (b levels) are *fully crossed* when every one of the a·b
combinations has at least one observation, *nested* when each level of one occurs with a
single level of the other, and *partially crossed* otherwise (Baayen, Davidson & Bates
2008, J. Mem. Lang. 59:390, on crossed random effects of subjects and items).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from engine.errors import LmmInputError

FULLY_CROSSED = "fully_crossed"
PARTIALLY_CROSSED = "partially_crossed"
NESTED = "nested"


@dataclass(frozen=True)
class CrossingTable:
    """The level combinations of ``first`` and ``second`` in ``n_rows`` rows.

    ``cells_present`` of ``cells_possible`` (= ``n_first`` × ``n_second``) combinations
    hold at least one row; ``min_per_cell``/``max_per_cell`` count rows in the present
    cells; ``second_per_first`` is (fewest, most) levels of ``second`` seen with one level
    of ``first``, and ``first_per_second`` the reverse; ``design`` is FULLY_CROSSED,
    NESTED (``nested_in`` names the outer factor) or PARTIALLY_CROSSED.
    """

    first: str
    second: str
    n_rows: int
    n_first: int
    n_second: int
    cells_present: int
    cells_possible: int
    min_per_cell: int
    max_per_cell: int
    second_per_first: tuple[int, int]
    first_per_second: tuple[int, int]
    design: str
    nested_in: str | None

    @property
    def share_present(self) -> float:
        return self.cells_present / self.cells_possible

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": "crossing_table", "first": self.first, "second": self.second,
            "n_rows": self.n_rows, "n_first": self.n_first, "n_second": self.n_second,
            "cells_present": self.cells_present, "cells_possible": self.cells_possible,
            "share_present": self.share_present, "min_per_cell": self.min_per_cell,
            "max_per_cell": self.max_per_cell,
            "second_per_first": list(self.second_per_first),
            "first_per_second": list(self.first_per_second),
            "design": self.design, "nested_in": self.nested_in,
        }


def crossing_table(data: pd.DataFrame, first: str, second: str) -> CrossingTable:
    """Count the combinations of ``first`` and ``second`` present in ``data`` (rows where
    either is missing are left out)."""
    for name in (first, second):
        if name not in data.columns:
            raise LmmInputError(f"The data have no column '{name}'.")
    pairs = data[[first, second]].dropna()
    if pairs.empty:
        raise LmmInputError(f"No row has both {first} and {second}.")
    counts = pairs.groupby([first, second], observed=True).size()
    n_first, n_second = pairs[first].nunique(), pairs[second].nunique()
    seconds = counts.groupby(level=0, observed=True).size()
    firsts = counts.groupby(level=1, observed=True).size()
    present, possible = len(counts), n_first * n_second
    nested_in = None
    if present == possible:
        design = FULLY_CROSSED
    elif firsts.max() == 1:
        design, nested_in = NESTED, first
    elif seconds.max() == 1:
        design, nested_in = NESTED, second
    else:
        design = PARTIALLY_CROSSED
    return CrossingTable(
        first=first, second=second, n_rows=len(pairs), n_first=int(n_first),
        n_second=int(n_second), cells_present=int(present), cells_possible=int(possible),
        min_per_cell=int(counts.min()), max_per_cell=int(counts.max()),
        second_per_first=(int(seconds.min()), int(seconds.max())),
        first_per_second=(int(firsts.min()), int(firsts.max())),
        design=design, nested_in=nested_in,
    )
