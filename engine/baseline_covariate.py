"""The baseline as a covariate (ANCOVA-style analysis of repeated measures): "adjust for
baseline pain", "control for baseline pain_score".

Each subject's outcome at the baseline (time 0 when the time column takes it, else its
smallest value: ``engine.starting_values.baseline_time``) becomes the column
``baseline_<outcome>``; the rows at or before the baseline leave the data, so the
outcome analysed is the follow-up alone, and the model is refitted with the covariate
added, as in ``lmer(y ~ time + arm + baseline_y + (1 | id), data = subset(d, time > 0))``.
A subject with several rows at the baseline gets their mean; a subject with no outcome
there has no baseline and leaves the data (every one of its rows), as does one with no
row after it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from engine.data import require_columns
from engine.errors import LmmInputError
from engine.starting_values import baseline_time
from engine.subset import refuse_empty_or_single, subjects_kept
from engine.visit_subset import orderable_time

#: The covariate's name: the prefix before the outcome's.
BASELINE_PREFIX = "baseline_"


@dataclass(frozen=True)
class BaselineCovariateResult:
    """The follow-up rows of the subjects with a baseline, with the column ``column``
    (their outcome at ``time`` = ``start``).

    ``n_baseline_rows`` rows were at the baseline and ``n_earlier_rows`` before it;
    ``subjects_without_baseline`` had no outcome there and lost their
    ``n_rows_without_baseline`` later rows; ``subjects_without_follow_up`` had a
    baseline but no later row; ``n_repeated_baseline`` subjects had several baseline
    rows (their mean is used); ``n_no_time`` rows had no time value.
    """

    data: pd.DataFrame = field(repr=False)
    outcome: str
    subject: str
    time: str
    start: float
    column: str
    n_before: int
    n_after: int
    n_baseline_rows: int
    n_earlier_rows: int
    n_subjects_before: int
    n_subjects_after: int
    subjects_without_baseline: tuple[str, ...]
    n_rows_without_baseline: int
    subjects_without_follow_up: tuple[str, ...]
    n_repeated_baseline: int
    n_no_time: int
    baseline_mean: float
    baseline_sd: float

    def to_dict(self) -> dict[str, Any]:
        out = {k: v for k, v in vars(self).items() if k != "data"}
        out["subjects_without_baseline"] = list(self.subjects_without_baseline)
        out["subjects_without_follow_up"] = list(self.subjects_without_follow_up)
        out["kind"] = "baseline_covariate"
        return out


def baseline_column_name(outcome: str) -> str:
    return f"{BASELINE_PREFIX}{outcome}"


def baseline_as_covariate(
    df: pd.DataFrame, *, outcome: str, subject: str, time: str
) -> BaselineCovariateResult:
    """Each subject's baseline outcome as a column of its later rows (see the module);
    an unusable request raises :class:`LmmInputError` naming the fix."""
    require_columns(df, [outcome, subject, time])
    if len({outcome, subject, time}) < 3:
        raise LmmInputError(
            "The outcome, the subjects and the time must be three different columns; name "
            "them, e.g. `adjust for baseline pain_score`."
        )
    if not pd.api.types.is_numeric_dtype(df[outcome]) or pd.api.types.is_bool_dtype(
        df[outcome]
    ):
        raise LmmInputError(f"{outcome} is not numeric, so it cannot be a baseline covariate.")
    column = baseline_column_name(outcome)
    if column in df.columns:
        raise LmmInputError(
            f"The data already have a column {column}: the baseline is taken out already. "
            "Say `undo` to go back to the data before it."
        )
    times = orderable_time(df[time])
    if times is None or not pd.api.types.is_numeric_dtype(df[time]):
        raise LmmInputError(
            f"{time} is not a numeric time column, so it has no first time point; name the "
            "time column of a model, e.g. `LMM: y ~ time + (1 | id)`, first."
        )
    start = baseline_time(times)
    if np.isnan(start):
        raise LmmInputError(f"{time} has no values, so there is no baseline to take.")
    at_start = times == start
    present = df[outcome].notna().to_numpy() & df[subject].notna().to_numpy()
    baseline_rows = df.loc[at_start & present]
    values = baseline_rows.groupby(subject, sort=False)[outcome].mean()
    repeated = int((baseline_rows.groupby(subject, sort=False).size() > 1).sum())
    with np.errstate(invalid="ignore"):
        later = times > start
    follow_up = df.loc[later & df[subject].notna().to_numpy()]
    has_baseline = follow_up[subject].isin(values.index).to_numpy()
    kept = follow_up.loc[has_baseline].reset_index(drop=True)
    kept[column] = kept[subject].map(values).astype(float)
    if kept.empty:
        raise LmmInputError(
            f"No {subject} has both an {outcome} at {time} = {_shown(start)} and a later row, "
            "so there is nothing to adjust; the data stay as they were."
        )
    refuse_empty_or_single(kept, len(df), [subject], "keep")
    n_before_subjects, n_after_subjects, _ = subjects_kept(df, kept, subject)
    all_subjects = pd.unique(df[subject].dropna())
    without = tuple(str(s) for s in all_subjects if s not in values.index)
    followed = set(pd.unique(follow_up[subject]))
    no_follow_up = tuple(str(s) for s in values.index if s not in followed)
    used = values[values.index.isin(kept[subject].unique())]
    return BaselineCovariateResult(
        data=kept,
        outcome=outcome,
        subject=subject,
        time=time,
        start=float(start),
        column=column,
        n_before=len(df),
        n_after=len(kept),
        n_baseline_rows=int(at_start.sum()),
        n_earlier_rows=int(np.sum(times < start)),
        n_subjects_before=n_before_subjects,
        n_subjects_after=n_after_subjects,
        subjects_without_baseline=without,
        n_rows_without_baseline=int((~has_baseline).sum()),
        subjects_without_follow_up=no_follow_up,
        n_repeated_baseline=repeated,
        n_no_time=int(np.isnan(times).sum()),
        baseline_mean=float(used.mean()),
        baseline_sd=float(used.std(ddof=1)) if len(used) > 1 else float("nan"),
    )


def _shown(number: float) -> str:
    return str(int(number)) if float(number).is_integer() else repr(number)
