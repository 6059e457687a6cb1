"""Observed means of the outcome at each value of a time (or x) column, optionally in each
level of a group factor, with their standard errors and t intervals: the numbers of the
"means with error bars" figure that opens most repeated-measures papers.

The count, mean and SD of each cell are those of :func:`engine.observed_means.observed_means`
(pandas, SD with the n - 1 denominator as R's ``sd``; rows missing the outcome, x or group
are left out of their cell). From them, per cell:

* SE = SD / sqrt(n), the standard error of a sample mean;
* the interval mean ± t(1 - α/2, n - 1) · SE, with α = 1 - level (the one-sample t
  interval, R's ``t.test(y)$conf.int``).

These intervals are per cell and ignore the clustering: each treats the cell's values as
independent and says nothing about the difference between two cells measured on the
same subjects. The model's estimated marginal means (``engine.marginal_means``) are the
intervals that account for it. Cells with one value have no SD, SE or interval (None).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from engine.errors import LmmInputError
from engine.observed_means import observed_means
from engine.transforms import format_level

#: The spreads an error bar can show.
BAR_KINDS = ("ci", "se", "sd")


@dataclass(frozen=True)
class MeanInterval:
    """One cell: the x value (a number when x is numeric, else its level as text), the
    group level (None without a group), n, the observed mean, SD (n - 1), SE = SD/sqrt(n)
    and the t interval's bounds; SD, SE and bounds are None when n < 2."""

    x: float | str
    group: str | None
    n: int
    mean: float
    sd: float | None
    se: float | None
    lower: float | None
    upper: float | None

    def to_dict(self) -> dict[str, Any]:
        return {"x": self.x, "group": self.group, "n": self.n, "mean": self.mean,
                "sd": self.sd, "se": self.se, "lower": self.lower, "upper": self.upper}


@dataclass(frozen=True)
class ObservedMeanIntervals:
    """Per-cell observed mean, SD, SE and ``level`` t interval of ``outcome`` at each value
    of ``x`` (in each level of ``group``), cells ordered by group then x. ``x_numeric``
    says whether x is a number (drawn to scale) or a factor (drawn at even spacing, in
    ``x_levels`` order). ``n_left_out`` rows had a missing outcome, x or group value."""

    outcome: str
    x: str
    group: str | None
    level: float
    x_numeric: bool
    x_levels: tuple[float | str, ...]
    group_levels: tuple[str, ...]
    cells: tuple[MeanInterval, ...]
    n_left_out: int

    def group_cells(self, level: str | None) -> tuple[MeanInterval, ...]:
        """The cells of one group level (None: all cells when there is no group)."""
        return tuple(c for c in self.cells if c.group == level)

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": "observed_mean_intervals", "outcome": self.outcome, "x": self.x,
            "group": self.group, "level": self.level, "x_numeric": self.x_numeric,
            "x_levels": list(self.x_levels), "group_levels": list(self.group_levels),
            "cells": [c.to_dict() for c in self.cells], "n_left_out": self.n_left_out,
        }


def _x_values(series: pd.Series) -> tuple[bool, dict[str, float | str]]:
    """Whether x is numeric, and each x level's text (as ``observed_means`` writes it)
    mapped to the value the figure draws."""
    values = series.dropna().unique()
    numeric = pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)
    if numeric:
        return True, {format_level(v): float(v) for v in sorted(values)}
    return False, {format_level(v): format_level(v) for v in sorted(values, key=str)}


def observed_mean_intervals(
    data: pd.DataFrame, outcome: str, x: str, group: str | None = None, level: float = 0.95
) -> ObservedMeanIntervals:
    """Observed mean, SD, SE and t interval of ``outcome`` per value of ``x`` (and level
    of ``group``); see the module for the formulas."""
    if not 0 < level < 1:
        raise LmmInputError(f"The confidence level must be between 0 and 1, not {level}.")
    if group is not None and group == x:
        group = None
    by = (x,) if group is None else (x, group)
    table = observed_means(data, outcome, by)  # checks the columns and the outcome type
    numeric, x_value = _x_values(data[x])
    cells = []
    for cell in table.cells:
        sd = cell.sd
        se = lower = upper = None
        if sd is not None:
            se = sd / float(np.sqrt(cell.n))
            half = float(stats.t.ppf(0.5 + level / 2, cell.n - 1)) * se
            lower, upper = cell.mean - half, cell.mean + half
        cells.append(MeanInterval(x_value[cell.levels[0]],
                                  cell.levels[1] if group is not None else None,
                                  cell.n, cell.mean, sd, se, lower, upper))
    x_levels = tuple(dict.fromkeys(v for v in x_value.values()
                                   if any(c.x == v for c in cells)))
    group_levels = tuple(dict.fromkeys(c.group for c in cells if c.group is not None))
    order = {v: i for i, v in enumerate(x_levels)}
    groups = {g: i for i, g in enumerate(group_levels)}
    cells.sort(key=lambda c: (groups.get(c.group, 0), order[c.x]))
    return ObservedMeanIntervals(outcome, x, group, level, numeric, x_levels, group_levels,
                                 tuple(cells), table.n_left_out)
