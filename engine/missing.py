"""Missing-data audit of long data: who was seen how often, which visits are missing.

An LMM uses every observed row (valid under missing at random); RM-ANOVA keeps only the
subjects seen at every time point. This audit gives the numbers behind that contrast.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from engine.data import require_columns
from engine.errors import LmmInputError


@dataclass(frozen=True)
class TimeMissing:
    """One time point: ``n_observed`` subjects have a complete row there, ``n_missing`` do not
    (out of every subject in the data)."""

    time: float | str
    n_observed: int
    n_missing: int

    def to_dict(self) -> dict:
        return {"time": self.time, "n_observed": self.n_observed, "n_missing": self.n_missing}


@dataclass(frozen=True)
class MissingAudit:
    """Observations per subject, missing visits and complete cases.

    An *observation* is a row whose ``variables`` (and ``time``) are all present.

    - ``obs_per_subject_min/median/max/mean``: distribution of observations per subject;
      ``obs_count_table`` maps k to the number of subjects with exactly k observations
      (k from 0, for subjects whose rows are all incomplete, up to the most seen).
    - ``missing_by_time``: against the full set of time points seen in the data (only
      when ``time`` is given).
    - ``missing_by_variable``: rows with a missing value, per variable.
    - ``n_complete_subjects``: subjects with an observation at every time point (or, without
      ``time``, with no incomplete row); ``n_complete_case_rows`` the rows a listwise-deletion
      analysis (RM-ANOVA) keeps; ``n_dropped_by_listwise`` the observations it throws away.
    - ``n_monotone_dropout`` subjects seen up to some time and never after; ``n_intermittent``
      subjects with a gap followed by a later visit; ``n_duplicate_rows`` rows repeating a
      subject and time already seen.
    """

    subject: str
    time: str | None
    variables: list[str]
    n_subjects: int
    n_rows: int
    n_observations: int
    obs_per_subject_min: int
    obs_per_subject_median: float
    obs_per_subject_max: int
    obs_per_subject_mean: float
    obs_count_table: dict[int, int]
    time_points: list[float | str]
    missing_by_time: list[TimeMissing]
    missing_by_variable: dict[str, int]
    n_complete_subjects: int
    n_complete_case_rows: int
    n_dropped_by_listwise: int
    n_monotone_dropout: int
    n_intermittent: int
    n_duplicate_rows: int
    #: A time column left out of the visit grid for having more than MAX_TIME_POINTS
    #: distinct values, and that number (0 when none was left out).
    unused_time: str | None = None
    n_unused_time_values: int = 0

    @property
    def n_incomplete_subjects(self) -> int:
        """Subjects missing at least one time point (or with an incomplete row)."""
        return self.n_subjects - self.n_complete_subjects

    @property
    def n_missing_visits(self) -> int:
        """Subject-by-time cells without an observation."""
        return sum(t.n_missing for t in self.missing_by_time)

    @property
    def n_visit_cells(self) -> int:
        """Subject-by-time cells in all: every subject at every time point seen in the
        data (the denominator of the share of missing visits)."""
        return self.n_subjects * len(self.missing_by_time)

    @property
    def missing_visit_share(self) -> float:
        """The share of subject-by-time cells without an observation (NaN without time)."""
        cells = self.n_visit_cells
        return self.n_missing_visits / cells if cells else float("nan")

    def to_dict(self) -> dict:
        return {
            "kind": "missing_data",
            "subject": self.subject, "time": self.time, "variables": list(self.variables),
            "n_subjects": self.n_subjects, "n_rows": self.n_rows,
            "n_observations": self.n_observations,
            "obs_per_subject": {
                "min": self.obs_per_subject_min, "median": self.obs_per_subject_median,
                "max": self.obs_per_subject_max, "mean": self.obs_per_subject_mean,
            },
            "obs_count_table": [
                {"n_observations": k, "n_subjects": v} for k, v in self.obs_count_table.items()
            ],
            "time_points": list(self.time_points),
            "missing_by_time": [t.to_dict() for t in self.missing_by_time],
            "n_missing_visits": self.n_missing_visits,
            "n_visit_cells": self.n_visit_cells,
            "missing_by_variable": dict(self.missing_by_variable),
            "n_complete_subjects": self.n_complete_subjects,
            "n_incomplete_subjects": self.n_incomplete_subjects,
            "n_complete_case_rows": self.n_complete_case_rows,
            "n_dropped_by_listwise": self.n_dropped_by_listwise,
            "n_monotone_dropout": self.n_monotone_dropout,
            "unused_time": self.unused_time,
            "n_unused_time_values": self.n_unused_time_values,
            "n_intermittent": self.n_intermittent,
            "n_duplicate_rows": self.n_duplicate_rows,
        }


def _json_time(value: object) -> float | str:
    if isinstance(value, (int, float, np.integer, np.floating)):
        return float(value)
    return str(value)


#: A time column with more distinct values than this is not a grid of visits (a
#: continuous predictor, or times measured rather than scheduled): the audit then counts
#: incomplete rows per subject, as it does without a time column.
MAX_TIME_POINTS = 100


def missing_data_audit(
    df: pd.DataFrame,
    subject: str,
    time: str | None = None,
    variables: Sequence[str] | None = None,
) -> MissingAudit:
    """Audit missing data in long format (one row per subject and time).

    ``variables`` defaults to every column except ``subject`` and ``time``.
    """
    variables, frame, subjects, complete_row, observed = _observations(
        df, subject, time, variables
    )
    counts = observed.groupby(subject, sort=False).size().reindex(subjects, fill_value=0)
    count_values = counts.to_numpy(dtype=int)
    table = {int(k): int((count_values == k).sum()) for k in range(int(count_values.max()) + 1)}
    table = {k: v for k, v in table.items() if v > 0}

    missing_by_variable = {v: int(df[v].isna().sum()) for v in variables}
    shared = {
        "subject": subject, "variables": variables,
        "n_subjects": int(len(subjects)), "n_rows": int(len(df)),
        "n_observations": int(len(observed)),
        "obs_per_subject_min": int(count_values.min()),
        "obs_per_subject_median": float(np.median(count_values)),
        "obs_per_subject_max": int(count_values.max()),
        "obs_per_subject_mean": float(count_values.mean()),
        "obs_count_table": table, "missing_by_variable": missing_by_variable,
    }

    unused_time, n_time_values = None, 0
    if time is not None:
        n_time_values = int(frame[time].nunique())
        if n_time_values > MAX_TIME_POINTS:
            unused_time, time = time, None
    if time is None:
        incomplete = frame[~complete_row].groupby(subject, sort=False).size()
        n_complete_subjects = int(len(subjects) - incomplete.index.nunique())
        complete_ids = set(subjects) - set(incomplete.index)
        n_complete_case_rows = int(observed[subject].isin(complete_ids).sum())
        return MissingAudit(
            **shared, time=None, time_points=[], missing_by_time=[],
            n_complete_subjects=n_complete_subjects,
            n_complete_case_rows=n_complete_case_rows,
            n_dropped_by_listwise=int(len(observed) - n_complete_case_rows),
            n_monotone_dropout=0, n_intermittent=0, n_duplicate_rows=0,
            unused_time=unused_time,
            n_unused_time_values=n_time_values if unused_time is not None else 0,
        )

    times = sorted(pd.unique(frame[time].dropna()))
    seen = observed.drop_duplicates([subject, time])
    n_duplicate_rows = int(len(observed) - len(seen))
    grid = _visit_grid(seen, subject, time, subjects, times)
    by_time = [
        TimeMissing(
            time=_json_time(t), n_observed=int(grid[:, j].sum()),
            n_missing=int(len(subjects) - grid[:, j].sum()),
        )
        for j, t in enumerate(times)
    ]
    complete_subject = grid.all(axis=1)
    n_complete_case_rows = int(complete_subject.sum() * len(times))
    monotone = intermittent = 0
    for row in grid[~complete_subject]:
        seen_at = np.flatnonzero(row)
        if seen_at.size == 0:
            continue
        last = seen_at[-1]
        if row[: last + 1].all():
            monotone += 1
        else:
            intermittent += 1
    return MissingAudit(
        **shared, time=time,
        time_points=[_json_time(t) for t in times],
        missing_by_time=by_time,
        n_complete_subjects=int(complete_subject.sum()),
        n_complete_case_rows=n_complete_case_rows,
        n_dropped_by_listwise=int(len(seen) - n_complete_case_rows),
        n_monotone_dropout=monotone,
        n_intermittent=intermittent,
        n_duplicate_rows=n_duplicate_rows,
    )


def subject_completeness(
    df: pd.DataFrame, subject: str, time: str, variables: Sequence[str] | None = None
) -> pd.Series:
    """Per subject (the index, in order of appearance): True when it has an observation at
    every time point of the data, as :func:`missing_data_audit` counts complete subjects."""
    _, frame, subjects, _, observed = _observations(df, subject, time, variables)
    times = sorted(pd.unique(frame[time].dropna()))
    if len(times) > MAX_TIME_POINTS:
        raise LmmInputError(
            f"'{time}' has {len(times):,} distinct values, too many to be visits, so no "
            f"{subject} can be seen at every one of them; name the column that holds the "
            "visits or waves."
        )
    grid = _visit_grid(observed, subject, time, subjects, times)
    return pd.Series(grid.all(axis=1), index=pd.Index(subjects, name=subject))


def _observations(
    df: pd.DataFrame, subject: str, time: str | None, variables: Sequence[str] | None
) -> tuple[list[str], pd.DataFrame, np.ndarray, pd.Series, pd.DataFrame]:
    """Checked inputs: the analysed variables, the rows with a subject, the subjects in order
    of appearance, which rows are complete observations, and those rows."""
    require_columns(df, [subject], role="subject column")
    if time is not None:
        require_columns(df, [time], role="time column")
        if time == subject:
            raise LmmInputError(
                f"'{subject}' cannot be both the subject and the time column; name two columns."
            )
    if variables is None:
        variables = [str(c) for c in df.columns if c not in (subject, time)]
    else:
        variables = list(variables)
        require_columns(df, variables)
    if len(df) == 0:
        raise LmmInputError("The data have no rows; load data before auditing missing values.")
    frame = df[df[subject].notna()]
    subjects = pd.unique(frame[subject])
    checked = variables + ([time] if time is not None else [])
    complete_row = frame[checked].notna().all(axis=1) if checked else pd.Series(True, frame.index)
    return variables, frame, subjects, complete_row, frame[complete_row]


def _visit_grid(
    observed: pd.DataFrame, subject: str, time: str, subjects: np.ndarray, times: list
) -> np.ndarray:
    """Subjects by time points: True where the subject has an observation."""
    grid = np.zeros((len(subjects), len(times)), dtype=bool)
    rows = pd.Index(subjects).get_indexer(observed[subject])
    cols = pd.Index(times).get_indexer(observed[time])
    grid[rows, cols] = True
    return grid
