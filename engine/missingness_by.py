"""Is missingness related to a variable? Completers against subjects with missed visits.

A subject is *complete* when it has an observation (a row whose analysed variables are
all present) at every time point of the data, as in :func:`engine.missing.missing_data_audit`.
The variable is compared between complete and incomplete subjects:

* a factor, constant within subject (a treatment arm): the share of complete subjects per
  level, tested with Fisher's exact test for two levels (R's ``fisher.test``, two-sided)
  and Pearson's chi-square test of independence otherwise (R's ``chisq.test``, which
  applies no continuity correction beyond 2 x 2 tables);
* a numeric variable: its subject-level value (the value itself when it is constant within
  subject, such as age; otherwise the value at the first time point, the baseline), with
  Welch's two-sample t test (R's ``t.test``, unequal variances).

A relation with an observed variable is compatible with data missing at random, which a
mixed model handles when the variable is in the model; a relation with the unobserved
values themselves cannot be tested from the data (Little & Rubin, *Statistical Analysis
with Missing Data*, 2019).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from engine.data import require_columns
from engine.errors import LmmInputError
from engine.missing import subject_completeness
from engine.predict import factor_levels

#: Below this expected count per cell, the chi-square approximation is doubtful (Cochran).
SMALL_EXPECTED_COUNT = 5.0


@dataclass(frozen=True)
class LevelCompleteness:
    """Complete and incomplete subjects in one level of a factor."""

    level: str
    n_subjects: int
    n_complete: int

    @property
    def n_incomplete(self) -> int:
        return self.n_subjects - self.n_complete

    @property
    def share_complete(self) -> float:
        return self.n_complete / self.n_subjects

    def to_dict(self) -> dict:
        return {
            "level": self.level, "n_subjects": self.n_subjects,
            "n_complete": self.n_complete, "n_incomplete": self.n_incomplete,
        }


@dataclass(frozen=True)
class GroupSummary:
    """A numeric variable among complete or among incomplete subjects."""

    n: int
    mean: float
    sd: float

    def to_dict(self) -> dict:
        return {"n": self.n, "mean": self.mean, "sd": self.sd}


@dataclass(frozen=True)
class MissingnessByFactor:
    """Completeness by the levels of a subject-level factor, with its test of independence.

    ``test`` is ``"fisher"`` (``statistic`` is the sample odds ratio, ``df`` None) or
    ``"chi_square"`` (Pearson's X², ``df`` = levels − 1); ``min_expected`` is the smallest
    expected cell count of the 2-column table.
    """

    subject: str
    time: str
    variable: str
    levels: list[LevelCompleteness]
    test: str
    statistic: float
    df: int | None
    p_value: float
    min_expected: float

    @property
    def n_subjects(self) -> int:
        return sum(level.n_subjects for level in self.levels)

    def to_dict(self) -> dict:
        return {
            "kind": "missingness_by_factor",
            "subject": self.subject, "time": self.time, "variable": self.variable,
            "levels": [level.to_dict() for level in self.levels],
            "test": self.test, "statistic": self.statistic, "df": self.df,
            "p_value": self.p_value, "min_expected": self.min_expected,
        }


@dataclass(frozen=True)
class MissingnessByNumeric:
    """A numeric variable's subject-level value in complete and incomplete subjects.

    ``baseline`` is the time point the value was taken at when it varies within subject
    (None when it is constant within subject); ``n_without_value`` subjects had no value
    there and are left out. ``difference`` is incomplete minus complete; ``t``, ``df`` and
    ``p_value`` are Welch's.
    """

    subject: str
    time: str
    variable: str
    baseline: float | str | None
    complete: GroupSummary
    incomplete: GroupSummary
    n_without_value: int
    difference: float
    t: float
    df: float
    p_value: float

    def to_dict(self) -> dict:
        return {
            "kind": "missingness_by_numeric",
            "subject": self.subject, "time": self.time, "variable": self.variable,
            "baseline": self.baseline,
            "complete": self.complete.to_dict(), "incomplete": self.incomplete.to_dict(),
            "n_without_value": self.n_without_value, "difference": self.difference,
            "t": self.t, "df": self.df, "p_value": self.p_value,
        }


def missingness_by(
    df: pd.DataFrame,
    subject: str,
    time: str,
    variable: str,
    variables: Sequence[str] | None = None,
) -> MissingnessByFactor | MissingnessByNumeric:
    """Compare ``variable`` between subjects seen at every ``time`` point and the others.

    ``variables`` are the analysed columns that make a row an observation (the model's);
    by default every column but ``subject`` and ``time``.
    """
    require_columns(df, [variable])
    if variable in (subject, time):
        raise LmmInputError(
            f"'{variable}' is the {'subject' if variable == subject else 'time'} column; "
            "name another column to relate the missed visits to, e.g. the treatment arm."
        )
    complete = subject_completeness(df, subject, time, variables)
    if complete.all() or not complete.any():
        which = "every" if complete.all() else "no"
        raise LmmInputError(
            f"{which.capitalize()} {subject} was seen at every time point, so there are no two "
            f"groups to compare; the missing-data audit (`missing data audit`) shows the visits."
        )
    values, baseline = _subject_values(df, subject, time, variable)
    column = df[variable]
    is_numeric = pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column)
    if is_numeric and column.dropna().nunique() > 2:
        return _by_numeric(subject, time, variable, baseline, values, complete)
    if baseline is not None:
        raise LmmInputError(
            f"'{variable}' changes within {subject}, so it does not sort subjects into groups; "
            f"name a column that is fixed for each {subject}, such as the treatment arm."
        )
    return _by_factor(subject, time, variable, values, complete)


def between_subject_factors(
    df: pd.DataFrame, subject: str, candidates: Sequence[str]
) -> list[str]:
    """The ``candidates`` that are factors (not numeric) fixed within each subject, such
    as a treatment arm: the groups whose missed visits can be compared."""
    found = []
    for name in candidates:
        if name == subject or name not in df.columns:
            continue
        column = df[name]
        if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
            continue
        if (df.groupby(subject, sort=False)[name].nunique(dropna=True) <= 1).all():
            found.append(name)
    return found


def _subject_values(
    df: pd.DataFrame, subject: str, time: str, variable: str
) -> tuple[pd.Series, float | str | None]:
    """One value of ``variable`` per subject, and the baseline time when it had to be used."""
    frame = df[df[subject].notna()]
    spread = frame.groupby(subject, sort=False)[variable].nunique(dropna=True)
    if (spread <= 1).all():
        return frame.groupby(subject, sort=False)[variable].first(), None
    first_time = min(frame[time].dropna().unique())
    at_start = frame[frame[time] == first_time].groupby(subject, sort=False)[variable].first()
    baseline = float(first_time) if isinstance(first_time, (int, float, np.number)) else str(
        first_time
    )
    return at_start, baseline


def _by_factor(
    subject: str, time: str, variable: str, values: pd.Series, complete: pd.Series
) -> MissingnessByFactor:
    values = values.reindex(complete.index)
    known = values.notna()
    table = pd.crosstab(values[known], complete[known])
    table = table.reindex(index=factor_levels(values), columns=[True, False], fill_value=0)
    if len(table) < 2:
        raise LmmInputError(
            f"'{variable}' has a single value among the {subject}s, so there is nothing to "
            "compare; name a column with at least two groups."
        )
    from scipy import stats  # imported here: scipy.stats loads slowly

    counts = table.to_numpy()
    levels = [
        LevelCompleteness(str(level), int(row.sum()), int(row[0]))
        for level, row in zip(table.index, counts, strict=True)
    ]
    expected = stats.contingency.expected_freq(counts)
    if counts.shape[0] == 2:
        odds_ratio, p_value = stats.fisher_exact(counts, alternative="two-sided")
        return MissingnessByFactor(
            subject, time, variable, levels, "fisher", float(odds_ratio), None,
            float(p_value), float(expected.min()),
        )
    chi2, p_value, dof, _ = stats.chi2_contingency(counts, correction=False)
    return MissingnessByFactor(
        subject, time, variable, levels, "chi_square", float(chi2), int(dof),
        float(p_value), float(expected.min()),
    )


def _by_numeric(
    subject: str,
    time: str,
    variable: str,
    baseline: float | str | None,
    values: pd.Series,
    complete: pd.Series,
) -> MissingnessByNumeric:
    values = values.reindex(complete.index).astype(float)
    known = values.notna()
    done, not_done = values[known & complete], values[known & ~complete]
    if len(done) < 2 or len(not_done) < 2:
        raise LmmInputError(
            f"Too few {subject}s have a value of '{variable}' in one of the two groups "
            "(complete and incomplete) to compare them; at least two are needed in each."
        )
    from scipy import stats

    welch = stats.ttest_ind(not_done, done, equal_var=False)
    return MissingnessByNumeric(
        subject=subject, time=time, variable=variable, baseline=baseline,
        complete=_summary(done), incomplete=_summary(not_done),
        n_without_value=int((~known).sum()),
        difference=float(not_done.mean() - done.mean()),
        t=float(welch.statistic), df=float(welch.df), p_value=float(welch.pvalue),
    )


def _summary(values: pd.Series) -> GroupSummary:
    return GroupSummary(int(len(values)), float(values.mean()), float(values.std(ddof=1)))

