"""Whether a clustered or crossed design is balanced: how many observations each level of
each factor, and each combination of two factors' levels, holds.

A design is *balanced* when every level of each factor has the same number of
observations and every combination of two crossed factors' levels (every cell) is
present with the same count; for a nested pair, when every outer level holds the same
number of inner levels with the same count each (Searle, Casella & McCulloch 1992,
Variance Components, ch. 1, on balanced and unbalanced data). Rows where a factor is
missing are left out of its counts.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations
from typing import Any

import pandas as pd

from engine.crossing import FULLY_CROSSED, NESTED, CrossingTable, crossing_table
from engine.errors import LmmInputError


@dataclass(frozen=True)
class LevelCounts:
    """Observations per level of ``factor``: ``n_levels`` levels, holding ``minimum`` to
    ``maximum`` observations (``smallest``/``largest``: a level with that count)."""

    factor: str
    n_levels: int
    minimum: int
    maximum: int
    smallest: str
    largest: str

    @property
    def balanced(self) -> bool:
        return self.minimum == self.maximum

    def to_dict(self) -> dict[str, Any]:
        return {"factor": self.factor, "n_levels": self.n_levels, "minimum": self.minimum,
                "maximum": self.maximum, "smallest": self.smallest,
                "largest": self.largest, "balanced": self.balanced}


def pair_balanced(table: CrossingTable) -> bool:
    """A pair of factors is balanced when its present cells hold equal counts and it is
    fully crossed, or nested with the same number of inner levels in every outer one."""
    if table.min_per_cell != table.max_per_cell:
        return False
    if table.design == FULLY_CROSSED:
        return True
    if table.design == NESTED:
        spread = (table.second_per_first if table.nested_in == table.first
                  else table.first_per_second)
        return spread[0] == spread[1]
    return False


@dataclass(frozen=True)
class DesignBalance:
    """The counts of ``n_rows`` rows per level (``levels``, one per factor) and per cell of
    every pair of factors (``cells``: ``engine.crossing.CrossingTable``); ``balanced``
    when every factor and every pair is (``pair_balanced``)."""

    n_rows: int
    levels: tuple[LevelCounts, ...]
    cells: tuple[CrossingTable, ...]

    @property
    def balanced(self) -> bool:
        return all(c.balanced for c in self.levels) and all(map(pair_balanced, self.cells))

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": "design_balance", "n_rows": self.n_rows, "balanced": self.balanced,
            "levels": [c.to_dict() for c in self.levels],
            "cells": [{**c.to_dict(), "balanced": pair_balanced(c)} for c in self.cells],
        }


def design_balance(data: pd.DataFrame, factors: list[str]) -> DesignBalance:
    """Count the observations of ``data`` per level of each of ``factors`` and per cell
    of each pair of them."""
    if not factors:
        raise LmmInputError(
            "There is no grouping factor or categorical predictor whose balance to check; "
            "name one, e.g. `how many observations per school?`."
        )
    missing = [f for f in factors if f not in data.columns]
    if missing:
        raise LmmInputError(f"The data have no column '{missing[0]}'.")
    levels = []
    for factor in factors:
        counts = data[factor].dropna().astype(str).value_counts()
        if counts.empty:
            raise LmmInputError(f"Every value of {factor} is missing.")
        levels.append(LevelCounts(
            factor=factor, n_levels=len(counts), minimum=int(counts.min()),
            maximum=int(counts.max()), smallest=str(counts.idxmin()),
            largest=str(counts.idxmax()),
        ))
    cells = tuple(crossing_table(data, a, b) for a, b in combinations(factors, 2))
    rows = int(data[factors].notna().all(axis=1).sum())
    return DesignBalance(n_rows=rows, levels=tuple(levels), cells=cells)
