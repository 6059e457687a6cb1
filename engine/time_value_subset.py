"""Subsets by the values of the time column: "exclude the first two days", "use only
days 2 to 9".

Where :mod:`engine.visit_subset` ranks each subject's own time points, a request in the
time column's unit speaks of the study's time values: "the first two days" are the two
smallest distinct values of ``Days`` in the whole data (0 and 1 in sleepstudy), whoever
was seen then, and "days 2 to 9" are the rows whose ``Days`` lies between 2 and 9
inclusive. Both come down to a closed range of values, ``low`` to ``high``, whose rows
are kept or dropped (``dplyr::filter(between(Days, 2, 9))`` and its negation). The time
column must hold numbers. A row with no time value matches no range: a ``keep`` leaves
it out, a ``drop`` leaves it in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from engine.data import require_columns
from engine.errors import LmmInputError
from engine.subset import newly_single_valued, refuse_empty_or_single, subjects_kept

Action = Literal["drop", "keep"]
End = Literal["first", "last"]


@dataclass(frozen=True)
class TimeValueSubsetResult:
    """The rows kept when those with ``low <= time <= high`` were kept or dropped.

    ``values_named`` are the distinct time values in that range (the values the rows
    dropped or kept have); ``values_left`` those of the rows kept. ``n_no_time`` rows had
    no time value. ``subjects_lost`` had rows before and none after; ``single_valued``
    lists columns that varied before and take one value now.
    """

    data: pd.DataFrame = field(repr=False)
    action: Action
    subject: str
    time: str
    low: float
    high: float
    values_named: tuple[float, ...]
    values_left: tuple[float, ...]
    n_before: int
    n_after: int
    n_subjects_before: int
    n_subjects_after: int
    subjects_lost: tuple[str, ...]
    n_no_time: int
    single_valued: tuple[str, ...] = ()

    @property
    def n_removed(self) -> int:
        return self.n_before - self.n_after

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": "subset_time_values",
            "action": self.action,
            "subject": self.subject,
            "time": self.time,
            "low": self.low,
            "high": self.high,
            "values_named": list(self.values_named),
            "values_left": list(self.values_left),
            "n_before": self.n_before,
            "n_after": self.n_after,
            "n_removed": self.n_removed,
            "n_subjects_before": self.n_subjects_before,
            "n_subjects_after": self.n_subjects_after,
            "subjects_lost": list(self.subjects_lost),
            "n_no_time": self.n_no_time,
            "single_valued": list(self.single_valued),
        }


def _numeric_time(df: pd.DataFrame, time: str) -> np.ndarray:
    series = df[time]
    if not pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series):
        raise LmmInputError(
            f"{time} does not hold numbers, so its values cannot be counted as days or "
            f"weeks; select rows by comparison instead, e.g. `keep only rows where {time} "
            "is ...`."
        )
    return series.to_numpy(dtype=float, na_value=np.nan)


def time_value_range(
    df: pd.DataFrame, time: str, *, from_end: End = "first", start: int = 1, stop: int = 1
) -> tuple[float, float]:
    """The range of values held by the ``start``-th to ``stop``-th distinct values of
    ``time`` in the whole data, counted from ``from_end`` ("the first two days")."""
    require_columns(df, [time])
    values = np.unique(_numeric_time(df, time))
    values = values[~np.isnan(values)]
    if start < 1 or stop < start:
        raise LmmInputError(
            f"Time values are counted from 1 up, so {start} to {stop} names none; ask e.g. "
            "for `exclude the first two days`."
        )
    if start > len(values):
        raise LmmInputError(
            f"{time} has {len(values)} distinct values, so there is no value number {start}; "
            "the data stay as they were."
        )
    ordered = values if from_end == "first" else values[::-1]
    chosen = ordered[start - 1 : stop]
    return float(chosen.min()), float(chosen.max())


def select_time_values(
    df: pd.DataFrame, action: Action, *, subject: str, time: str, low: float, high: float
) -> TimeValueSubsetResult:
    """Keep or drop the rows whose ``time`` lies in ``[low, high]``; unusable requests
    raise :class:`LmmInputError` naming the fix."""
    if action not in ("drop", "keep"):
        raise LmmInputError(f"A subset either drops or keeps rows, not {action!r}.")
    require_columns(df, [subject, time])
    if low > high:
        low, high = high, low
    t = _numeric_time(df, time)
    has_time = ~np.isnan(t)
    named = has_time & (t >= low) & (t <= high)
    if not named.any():
        present = np.unique(t[has_time])
        span = f"{present.min():g} to {present.max():g}" if present.size else "no values"
        raise LmmInputError(
            f"No row has {time} between {low:g} and {high:g} ({time} runs from {span}); "
            "the data stay as they were."
        )
    keep = named if action == "keep" else ~named
    kept = df.loc[keep].reset_index(drop=True)
    refuse_empty_or_single(kept, len(df), [subject], action)
    n_subjects_before, n_subjects_after, lost = subjects_kept(df, kept, subject)
    left = kept[time].to_numpy(dtype=float, na_value=np.nan)
    return TimeValueSubsetResult(
        data=kept,
        action=action,
        subject=subject,
        time=time,
        low=float(low),
        high=float(high),
        values_named=tuple(float(v) for v in np.unique(t[named])),
        values_left=tuple(float(v) for v in np.unique(left[~np.isnan(left)])),
        n_before=len(df),
        n_after=len(kept),
        n_subjects_before=n_subjects_before,
        n_subjects_after=n_subjects_after,
        subjects_lost=lost,
        n_no_time=int((~has_time).sum()),
        single_valued=newly_single_valued(df, kept),
    )
