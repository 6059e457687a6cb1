"""Subsets by the order of time within each subject: "only the first 3 visits",
"drop the last visit", "only visits 1 to 3".

Each subject's distinct time values are ranked in sorted order (a dense rank: rows of a
subject at the same time share a rank, as ``rank(method="dense")`` in pandas or
``dplyr::dense_rank`` within ``group_by(subject)``); the rows whose rank lies in the
range asked for are kept or dropped. Counting from the end ranks the newest time first.
A subject with fewer time points than the range asks for keeps whatever of it exists.

The time column must be ordered: numbers, dates, or text that reads as numbers or dates.
Rows with no subject or no time value cannot be ranked: a ``keep`` leaves them out, a
``drop`` leaves them in (only the rows named are removed); both count them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from engine.data import as_dates, require_columns
from engine.errors import LmmInputError
from engine.subset import newly_single_valued, refuse_empty_or_single, subjects_kept

Action = Literal["drop", "keep"]
End = Literal["first", "last"]


@dataclass(frozen=True)
class VisitSubsetResult:
    """The rows kept when each subject's time points ``start``..``stop`` (1-based, counted
    from the ``from_end`` end) were kept or dropped.

    ``n_subjects_short`` counts subjects with fewer than ``stop`` distinct time points;
    ``max_time_points`` is the most any subject has. ``n_unranked`` rows had no subject
    or time value. ``subjects_lost`` had rows before and none after; ``single_valued``
    lists columns that varied before and take one value now.
    """

    data: pd.DataFrame = field(repr=False)
    action: Action
    from_end: End
    start: int
    stop: int
    subject: str
    time: str
    n_before: int
    n_after: int
    n_subjects_before: int
    n_subjects_after: int
    subjects_lost: tuple[str, ...]
    n_subjects_short: int
    max_time_points: int
    n_unranked: int
    single_valued: tuple[str, ...] = ()

    @property
    def n_removed(self) -> int:
        return self.n_before - self.n_after

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": "subset_visits",
            "action": self.action,
            "from_end": self.from_end,
            "start": self.start,
            "stop": self.stop,
            "subject": self.subject,
            "time": self.time,
            "n_before": self.n_before,
            "n_after": self.n_after,
            "n_removed": self.n_removed,
            "n_subjects_before": self.n_subjects_before,
            "n_subjects_after": self.n_subjects_after,
            "subjects_lost": list(self.subjects_lost),
            "n_subjects_short": self.n_subjects_short,
            "max_time_points": self.max_time_points,
            "n_unranked": self.n_unranked,
            "single_valued": list(self.single_valued),
        }


def orderable_time(series: pd.Series) -> np.ndarray | None:
    """The column as numbers that sort like its values (dates as nanoseconds), NaN where
    missing; None when it holds text that is neither numbers nor dates."""
    if pd.api.types.is_bool_dtype(series):
        return None
    if pd.api.types.is_datetime64_any_dtype(series):
        values = series.to_numpy(dtype="datetime64[ns]").astype("int64").astype(float)
        values[series.isna().to_numpy()] = np.nan
        return values
    if pd.api.types.is_numeric_dtype(series):
        return series.to_numpy(dtype=float, na_value=np.nan)
    numbers = pd.to_numeric(series, errors="coerce")
    if series.notna().any() and (numbers.notna() == series.notna()).all():
        return numbers.to_numpy(dtype=float, na_value=np.nan)
    dates = as_dates(series) if series.notna().any() else None
    return None if dates is None else orderable_time(dates)


def time_point_ranks(subject: pd.Series, time: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each row, the dense rank of its time among its subject's distinct times (1 =
    earliest) and the number of distinct times of its subject; 0 for a row with no
    subject or time value."""
    codes, _ = pd.factorize(subject, use_na_sentinel=True)
    usable = (codes >= 0) & ~np.isnan(time)
    rank = np.zeros(len(time), dtype=np.int64)
    count = np.zeros(len(time), dtype=np.int64)
    rows = np.flatnonzero(usable)
    if rows.size == 0:
        return rank, count
    order = rows[np.lexsort((time[rows], codes[rows]))]
    group, value = codes[order], time[order]
    new_group = np.r_[True, group[1:] != group[:-1]]
    new_value = new_group | np.r_[True, value[1:] != value[:-1]]
    distinct_so_far = np.cumsum(new_value)
    group_index = np.cumsum(new_group) - 1
    first_of_group = distinct_so_far[new_group]
    ranks = distinct_so_far - first_of_group[group_index] + 1
    last_of_group = np.r_[np.flatnonzero(new_group)[1:] - 1, len(order) - 1]
    totals = ranks[last_of_group]
    rank[order] = ranks
    count[order] = totals[group_index]
    return rank, count


def select_time_points(
    df: pd.DataFrame,
    action: Action,
    *,
    subject: str,
    time: str,
    from_end: End = "first",
    start: int = 1,
    stop: int = 1,
) -> VisitSubsetResult:
    """Keep or drop each subject's time points ``start``..``stop`` counted from
    ``from_end``; unusable requests raise :class:`LmmInputError` naming the fix."""
    if action not in ("drop", "keep"):
        raise LmmInputError(f"A subset either drops or keeps rows, not {action!r}.")
    if from_end not in ("first", "last"):
        raise LmmInputError(
            f"Time points are counted from the first or the last, not {from_end!r}."
        )
    require_columns(df, [subject, time])
    if subject == time:
        raise LmmInputError(
            f"{subject} cannot be both the subject and the time column; name the time, e.g. "
            "`keep the first 3 visits by week`."
        )
    if start < 1 or stop < start:
        raise LmmInputError(
            f"Time points are numbered from 1 up, so {start} to {stop} names none; ask e.g. "
            "for `only visits 1 to 3`."
        )
    values = orderable_time(df[time])
    if values is None:
        raise LmmInputError(
            f"{time} holds text that is neither numbers nor dates, so its values have no "
            "order; name a numeric time column, e.g. `keep the first 3 visits by week`."
        )
    rank, count = time_point_ranks(df[subject], values)
    ranked = rank > 0
    if ranked.any() and count.max() == 1 and df[subject].duplicated().any():
        raise LmmInputError(
            f"{time} does not change within any {subject}, so it cannot order their "
            "visits; name a time column, e.g. `keep the first 3 visits by week`."
        )
    position = rank if from_end == "first" else count - rank + 1
    named = ranked & (position >= start) & (position <= stop)
    keep = named if action == "keep" else ~named
    kept = df.loc[keep].reset_index(drop=True)
    refuse_empty_or_single(kept, len(df), [subject], action)
    n_subjects_before, n_subjects_after, lost = subjects_kept(df, kept, subject)
    per_subject = pd.Series(count[ranked]).groupby(df[subject].to_numpy()[ranked]).first()
    return VisitSubsetResult(
        data=kept,
        action=action,
        from_end=from_end,
        start=int(start),
        stop=int(stop),
        subject=subject,
        time=time,
        n_before=len(df),
        n_after=len(kept),
        n_subjects_before=n_subjects_before,
        n_subjects_after=n_subjects_after,
        subjects_lost=lost,
        n_subjects_short=int((per_subject < stop).sum()),
        max_time_points=int(count.max()) if count.size else 0,
        n_unranked=int((~ranked).sum()),
        single_valued=newly_single_valued(df, kept),
    )
