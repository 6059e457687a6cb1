"""Observed means of the outcome in each cell of one or more columns ("table of observed
mean pain by visit and arm"): the descriptive table that goes before a model, with each
cell's number of non-missing values, mean and sample SD (n - 1 denominator, R's ``sd``).
Rows whose outcome or cell column is missing are left out and counted."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from engine.errors import LmmInputError
from engine.transforms import format_level


@dataclass(frozen=True)
class ObservedCell:
    """One cell: its values of the ``by`` columns (as text), n, mean and SD (None for n < 2)."""

    levels: tuple[str, ...]
    n: int
    mean: float
    sd: float | None


@dataclass(frozen=True)
class ObservedMeans:
    """The outcome's observed mean, SD and n in each cell of ``by``, cells in sorted order;
    ``n_left_out`` rows had a missing outcome or cell value."""

    outcome: str
    by: tuple[str, ...]
    cells: tuple[ObservedCell, ...]
    n_left_out: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": "observed_means", "outcome": self.outcome, "by": list(self.by),
            "cells": [{"levels": list(c.levels), "n": c.n, "mean": c.mean, "sd": c.sd}
                      for c in self.cells],
            "n_left_out": self.n_left_out,
        }


def observed_means(
    data: pd.DataFrame, outcome: str, by: tuple[str, ...] | list[str]
) -> ObservedMeans:
    """Count, mean and SD of ``outcome`` in each combination of the ``by`` columns."""
    by = tuple(by)
    for name in (outcome, *by):
        if name not in data.columns:
            raise LmmInputError(f"There is no column called {name!r} in the data.")
    if not by:
        raise LmmInputError("Name the columns to tabulate the means by, e.g. `by time`.")
    if not pd.api.types.is_numeric_dtype(data[outcome]):
        raise LmmInputError(f"{outcome} is not numeric, so it has no mean; name a numeric outcome.")
    frame = data[[outcome, *by]].dropna()
    if frame.empty:
        raise LmmInputError(f"No row has {outcome} and {', '.join(by)} all present.")
    grouped = frame.groupby(list(by), observed=True, sort=True)[outcome]
    stats = grouped.agg(["count", "mean", "std"])
    cells = []
    for key, row in stats.iterrows():
        key = key if isinstance(key, tuple) else (key,)
        sd = float(row["std"]) if row["count"] > 1 else None
        cells.append(ObservedCell(tuple(format_level(k) for k in key), int(row["count"]),
                                  float(row["mean"]), sd))
    return ObservedMeans(outcome, by, tuple(cells), int(len(data) - len(frame)))
