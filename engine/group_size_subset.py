"""Subsets by how much data each subject has: "drop patients with fewer than 2 visits",
"keep only patients with at least 3 visits", "remove patients seen only once".

A subject's size is its number of usable rows: rows with a value in every counted column
(the current model's variables, else the outcome), as ``df.dropna(subset=counted)
.groupby(subject).size()`` in pandas or ``table()`` of the complete cases in R. Every
row of a subject whose size compares with the bound is dropped (or, for ``keep``, every
row of the others), including its rows with missing values, so that the subject leaves
the data as a whole. Rows with no subject belong to no one: a ``keep`` leaves them out,
a ``drop`` leaves them in, as in ``engine.visit_subset``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import pandas as pd

from engine.data import require_columns
from engine.errors import LmmInputError
from engine.subset import (
    newly_single_valued,
    ordered_mask,
    refuse_empty_or_single,
    subjects_kept,
)

Action = Literal["drop", "keep"]
#: The bounds a request can set on a subject's number of rows.
SIZE_OPERATORS = ("<", "<=", ">", ">=")


@dataclass(frozen=True)
class GroupSizeSubsetResult:
    """The rows kept when the subjects (levels of ``group``) whose number of usable rows
    compares with ``count`` by ``operator`` were dropped or kept.

    ``counted`` are the columns a row needs values in to count (empty: every row counts).
    ``sizes`` maps each number of usable rows to how many subjects had it before the
    subset. ``subjects_lost`` had rows before and none after; ``n_rows_unassigned`` rows
    had no subject; ``single_valued`` lists columns that varied before and take one
    value now.
    """

    data: pd.DataFrame = field(repr=False)
    action: Action
    operator: str
    count: int
    group: str
    counted: tuple[str, ...]
    n_before: int
    n_after: int
    n_subjects_before: int
    n_subjects_after: int
    subjects_lost: tuple[str, ...]
    sizes: dict[int, int]
    n_rows_unassigned: int = 0
    single_valued: tuple[str, ...] = ()

    @property
    def n_removed(self) -> int:
        return self.n_before - self.n_after

    @property
    def subject(self) -> str:
        """The subjects' column, under the name the other subset results use."""
        return self.group

    @property
    def n_subjects_removed(self) -> int:
        return self.n_subjects_before - self.n_subjects_after

    @property
    def largest(self) -> int:
        return max(self.sizes, default=0)

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": "subset_group_size",
            "action": self.action,
            "operator": self.operator,
            "count": self.count,
            "group": self.group,
            "counted": list(self.counted),
            "n_before": self.n_before,
            "n_after": self.n_after,
            "n_removed": self.n_removed,
            "n_subjects_before": self.n_subjects_before,
            "n_subjects_after": self.n_subjects_after,
            "n_subjects_removed": self.n_subjects_removed,
            "subjects_lost": list(self.subjects_lost),
            "sizes": {str(k): v for k, v in sorted(self.sizes.items())},
            "n_rows_unassigned": self.n_rows_unassigned,
            "single_valued": list(self.single_valued),
        }


def usable_rows_per_group(
    df: pd.DataFrame, group: str, counted: Sequence[str] = ()
) -> pd.Series:
    """Each level of ``group``'s number of rows with a value in every ``counted`` column
    (0 for a level whose rows all miss one), indexed by level in order of appearance."""
    usable = df[list(counted)].notna().all(axis=1) if counted else pd.Series(True, df.index)
    assigned = df[group].notna()
    return usable[assigned].groupby(df.loc[assigned, group], sort=False).sum().astype(int)


def select_groups_by_size(
    df: pd.DataFrame,
    action: Action,
    *,
    group: str,
    operator: str,
    count: float,
    counted: Sequence[str] = (),
    grouping: Sequence[str] = (),
) -> GroupSizeSubsetResult:
    """Drop or keep every row of the levels of ``group`` whose number of usable rows
    compares with ``count`` by ``operator`` (one of :data:`SIZE_OPERATORS`); ``grouping``
    (the model's grouping factors) must keep two levels each. A bound below 1, not whole,
    or above the largest subject raises :class:`LmmInputError` naming the fix."""
    if action not in ("drop", "keep"):
        raise LmmInputError(f"A subset either drops or keeps rows, not {action!r}.")
    if operator not in SIZE_OPERATORS:
        raise LmmInputError(
            f"{operator!r} is not a bound I know; use one of {', '.join(SIZE_OPERATORS)}."
        )
    counted = tuple(c for c in dict.fromkeys(counted) if c != group)
    require_columns(df, [group, *counted])
    sizes = usable_rows_per_group(df, group, counted)
    if sizes.empty:
        raise LmmInputError(f"{group} has no values, so there are no subjects to count.")
    largest = int(sizes.max())
    number = float(count)
    if not number.is_integer() or number < 1:
        raise LmmInputError(
            f"A number of rows is a whole number from 1 up, so {_shown(number)} is no bound; "
            f"ask e.g. for `drop {group}s with fewer than 2 visits`."
        )
    if number > largest:
        raise LmmInputError(
            f"No {group} has more than {largest} usable "
            f"{'row' if largest == 1 else 'rows'}, so a bound of {int(number)} is past every "
            f"one; use a number from 1 to {largest}."
        )
    matches = ordered_mask(sizes.to_numpy(dtype=float), operator, number)
    chosen = sizes.index[matches if action == "keep" else ~matches]
    in_chosen = df[group].isin(chosen).to_numpy()
    unassigned = df[group].isna().to_numpy()
    keep = in_chosen | unassigned if action == "drop" else in_chosen
    kept = df.loc[keep].reset_index(drop=True)
    refuse_empty_or_single(kept, len(df), [group, *grouping], action)
    n_before, n_after, lost = subjects_kept(df, kept, group)
    counts = sizes.value_counts()
    return GroupSizeSubsetResult(
        data=kept,
        action=action,
        operator=operator,
        count=int(number),
        group=group,
        counted=counted,
        n_before=len(df),
        n_after=len(kept),
        n_subjects_before=n_before,
        n_subjects_after=n_after,
        subjects_lost=lost,
        sizes={int(k): int(v) for k, v in sorted(counts.items())},
        n_rows_unassigned=int(unassigned.sum()),
        single_valued=newly_single_valued(df, kept),
    )


def _shown(number: float) -> str:
    return str(int(number)) if float(number).is_integer() else repr(number)
