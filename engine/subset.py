"""Subsets of a data set: rows dropped or kept by levels of a column, by a comparison, or
by row number.

A request names its rows in words ("exclude patient P001", "remove rows where age > 70",
"exclude rows 57, 8 and 60"); the grammar turns those words into the typed arguments of
:func:`select_rows`, and nothing a user typed is ever evaluated: the comparison is one of
:data:`OPERATORS`, applied here with numpy, and a value is read as a number or matched
against the column's own levels.

Row numbers are 1-based positions in the data set, the numbering the residual
diagnostics use (``engine.residual_checks`` reports 0-based positions in the model
frame; the narration adds one). The kept rows get a fresh index 0..n-1, so the rows of
the subset are numbered anew.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from engine.blups import match_level
from engine.data import closest_names, require_columns
from engine.errors import LmmInputError

#: The comparisons a request can make; "==" with several values means "any of them";
#: the last two take no value.
OPERATORS = ("==", "!=", "<", "<=", ">", ">=", "is_missing", "not_missing")
_MISSINGNESS = frozenset({"is_missing", "not_missing"})
_ORDERING = frozenset({"<", "<=", ">", ">="})
#: How many of a column's levels an error message names.
LEVELS_NAMED = 6

Action = Literal["drop", "keep"]


@dataclass(frozen=True)
class SubsetResult:
    """Which rows a selection kept, and what was lost with the others.

    ``rule`` is ``"levels"`` (a column equal / not equal to named values), ``"compare"``
    (an ordering against a number), ``"missing"`` (a value missing or present) or
    ``"rows"`` (row numbers). ``values`` holds the
    values as stored in the column (the level a typed "p1" matched, or the number);
    ``removed_rows`` are 1-based positions in the data before. A text column whose
    values all spell numbers ("308", "309") is ordered by those numbers. ``group`` is the column
    whose levels count as subjects: ``groups_lost`` had rows before and none after.
    ``single_valued`` lists columns that varied before and take one value now (such a
    column can no longer be a predictor). ``n_missing_compared`` counts rows whose value
    in the compared column is missing: they never match a comparison.
    """

    data: pd.DataFrame = field(repr=False)
    action: Action
    rule: Literal["levels", "compare", "missing", "rows"]
    column: str | None
    operator: str | None
    values: tuple[Any, ...]
    n_before: int
    n_after: int
    removed_rows: tuple[int, ...]
    group: str | None = None
    n_groups_before: int | None = None
    n_groups_after: int | None = None
    groups_lost: tuple[str, ...] = ()
    single_valued: tuple[str, ...] = ()
    n_missing_compared: int = 0

    @property
    def n_removed(self) -> int:
        return self.n_before - self.n_after

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": "subset_data",
            "action": self.action,
            "rule": self.rule,
            "column": self.column,
            "operator": self.operator,
            "values": [_plain(v) for v in self.values],
            "n_before": self.n_before,
            "n_after": self.n_after,
            "n_removed": self.n_removed,
            "removed_rows": list(self.removed_rows),
            "group": self.group,
            "n_groups_before": self.n_groups_before,
            "n_groups_after": self.n_groups_after,
            "groups_lost": list(self.groups_lost),
            "single_valued": list(self.single_valued),
            "n_missing_compared": self.n_missing_compared,
        }


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    return value


# ----------------------------------------------------------------------- choosing
def select_rows(
    df: pd.DataFrame,
    action: Action,
    *,
    column: str | None = None,
    operator: str = "==",
    values: Sequence[str | float] = (),
    rows: Sequence[int] = (),
    group: str | None = None,
    grouping: Sequence[str] = (),
) -> SubsetResult:
    """Drop or keep rows of ``df``.

    With ``rows``: those 1-based row numbers. Otherwise the rows whose ``column``
    compares with ``values`` by ``operator``: ``==``/``!=`` against one or more levels
    (or numbers), the orderings against one number. ``group`` is the column of subjects
    to count; every column in ``grouping`` (the model's grouping factors) must keep at
    least two levels. The data are not changed; an unusable request raises
    :class:`LmmInputError` naming the problem.
    """
    if action not in ("drop", "keep"):
        raise LmmInputError(f"A subset either drops or keeps rows, not {action!r}.")
    n = len(df)
    if rows:
        matches = _row_mask(n, rows)
        rule, shown_values, missing = "rows", tuple(sorted(set(int(r) for r in rows))), 0
        column = None
        operator_used: str | None = None
    else:
        if column is None:
            raise LmmInputError("Say which column to select rows by, e.g. `age > 70`.")
        require_columns(df, [column])
        if operator not in OPERATORS:
            raise LmmInputError(
                f"{operator!r} is not a comparison I know; use one of {', '.join(OPERATORS)}."
            )
        if operator in _MISSINGNESS:
            absent = df[column].isna().to_numpy()
            matches = absent if operator == "is_missing" else ~absent
            shown_values, missing, rule = (), int(absent.sum()), "missing"
        elif not values:
            raise LmmInputError(f"Say which value of {column} to compare with.")
        else:
            matches, shown_values, missing = _column_mask(df[column], column, operator, values)
            rule = "compare" if operator in _ORDERING else "levels"
        operator_used = operator
    keep = ~matches if action == "drop" else matches
    kept = df.loc[keep].reset_index(drop=True)
    refuse_empty_or_single(kept, n, grouping, action)
    removed = tuple(int(i) + 1 for i in np.flatnonzero(~keep))
    before_groups = after_groups = None
    lost: tuple[str, ...] = ()
    if group is not None and group in df.columns:
        before = pd.unique(df[group].dropna())
        after = set(pd.unique(kept[group].dropna()))
        before_groups, after_groups = len(before), len(after)
        lost = tuple(_level_text(v) for v in before if v not in after)
    return SubsetResult(
        data=kept,
        action=action,
        rule=rule,
        column=column,
        operator=operator_used,
        values=shown_values,
        n_before=n,
        n_after=len(kept),
        removed_rows=removed,
        group=group if before_groups is not None else None,
        n_groups_before=before_groups,
        n_groups_after=after_groups,
        groups_lost=lost,
        single_valued=newly_single_valued(df, kept),
        n_missing_compared=missing,
    )


def _row_mask(n: int, rows: Sequence[int]) -> np.ndarray:
    mask = np.zeros(n, dtype=bool)
    for row in rows:
        if isinstance(row, float) and not float(row).is_integer():
            raise LmmInputError(f"Row numbers are whole numbers; {row} is not one.")
        number = int(row)
        if not 1 <= number <= n:
            raise LmmInputError(
                f"The data have {n:,} rows, numbered 1 to {n:,}; there is no row {number}."
            )
        mask[number - 1] = True
    return mask


def _is_numeric(series: pd.Series) -> bool:
    return bool(pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series))


def _as_number(value: str | float) -> float | None:
    if isinstance(value, int | float | np.number):
        number = float(value)
    else:
        try:
            number = float(str(value).strip())
        except ValueError:
            return None
    return number if math.isfinite(number) else None


def _column_mask(
    series: pd.Series, column: str, operator: str, values: Sequence[str | float]
) -> tuple[np.ndarray, tuple[Any, ...], int]:
    """Rows matching the comparison, the values as stored, and the rows with no value."""
    present = series.notna().to_numpy()
    missing = int((~present).sum())
    if _is_numeric(series):
        numbers = []
        for value in values:
            number = _as_number(value)
            if number is None:
                raise LmmInputError(
                    f"{column} holds numbers, so compare it with a number, e.g. "
                    f"`{column} > {_example_number(series)}`; {str(value)!r} is not one."
                )
            numbers.append(number)
        data = series.to_numpy(dtype=float, na_value=np.nan)
        if operator in _ORDERING:
            _one_value(column, operator, numbers)
            return ordered_mask(data, operator, numbers[0]) & present, (numbers[0],), missing
        stored = []
        hits = np.zeros(len(series), dtype=bool)
        for number in numbers:
            found = present & (data == number)
            if not found.any():
                raise LmmInputError(_no_value_message(series, column, str(_shown(number))))
            hits |= found
            stored.append(_shown(number))
        return (hits if operator == "==" else present & ~hits), tuple(stored), missing
    if operator in _ORDERING and _numbers_as_text(series) is not None:
        # subject codes such as "308", "309": ordered as the numbers they spell
        numbers = [_as_number(v) for v in values]
        if any(n is None for n in numbers):
            raise LmmInputError(
                f"Compare {column} with a number, e.g. `{column} {operator} "
                f"{_levels(series)[0]}`; {str(values[0])!r} is not one."
            )
        _one_value(column, operator, numbers)
        data = _numbers_as_text(series)
        return ordered_mask(data, operator, numbers[0]) & present, (_shown(numbers[0]),), missing
    if operator in _ORDERING:
        levels = _levels(series)
        raise LmmInputError(
            f"{column} holds categories ({', '.join(levels[:LEVELS_NAMED])}), which have no "
            f"order, so it cannot be compared with {operator}; use `{column} is "
            f"{levels[0]}` or `{column} is not {levels[0]}`."
        )
    levels = _levels(series)
    text = series.map(_level_text, na_action="ignore")
    chosen = []
    for value in values:
        level = match_level(levels, str(value))
        if level is None:
            raise LmmInputError(_no_value_message(series, column, str(value)))
        chosen.append(level)
    hits = text.isin(chosen).to_numpy() & present
    return (hits if operator == "==" else present & ~hits), tuple(dict.fromkeys(chosen)), missing


def _numbers_as_text(series: pd.Series) -> np.ndarray | None:
    """The column's values as numbers when every value is a number written as text."""
    converted = pd.to_numeric(series, errors="coerce")
    if series.notna().any() and (converted.notna() == series.notna()).all():
        return converted.to_numpy(dtype=float, na_value=np.nan)
    return None


def _one_value(column: str, operator: str, numbers: list[float]) -> None:
    if len(numbers) != 1:
        raise LmmInputError(
            f"Compare {column} {operator} with one number, e.g. `{column} {operator} 70`."
        )


def ordered_mask(data: np.ndarray, operator: str, number: float) -> np.ndarray:
    """Where ``data`` compares with ``number`` by one of the orderings ``<``, ``<=``,
    ``>``, ``>=`` (False where ``data`` is NaN)."""
    with np.errstate(invalid="ignore"):
        if operator == "<":
            return data < number
        if operator == "<=":
            return data <= number
        if operator == ">":
            return data > number
        return data >= number


def _shown(number: float) -> float | int:
    return int(number) if float(number).is_integer() else number


def _level_text(value: Any) -> str:
    """A value as a level's name: 308.0 is '308', text as it is."""
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    return str(value)


def _levels(series: pd.Series) -> list[str]:
    return [_level_text(v) for v in pd.unique(series.dropna())]


def _example_number(series: pd.Series) -> str:
    median = float(series.median()) if series.notna().any() else 0.0
    return str(_shown(round(median)))


def _no_value_message(series: pd.Series, column: str, value: str) -> str:
    """One sentence, as for an unknown level elsewhere: close matches, then a few values."""
    levels = _levels(series)
    close = closest_names(value, levels)
    hint = f" (did you mean {' or '.join(close)}?)" if close else ""
    listed = "are" if len(levels) <= LEVELS_NAMED else "include"
    return (
        f"{column} has no value {value!r}{hint}; its {len(levels):,} values {listed} "
        f"{', '.join(levels[:LEVELS_NAMED])}."
    )


def refuse_empty_or_single(
    kept: pd.DataFrame, n_before: int, grouping: Sequence[str], action: Action
) -> None:
    """Refuse a subset that leaves no row, or one level of a grouping factor (no mixed
    model can be fitted to it); the caller's data stay as they were."""
    if kept.empty:
        what = "every row" if action == "drop" else "no row"
        raise LmmInputError(
            f"That selection matches {what} of the {n_before:,}, leaving no data; the data "
            "stay as they were."
        )
    for name in grouping:
        if name in kept.columns and kept[name].nunique(dropna=True) < 2:
            raise LmmInputError(
                f"That selection leaves one level of the grouping factor {name}, too few for "
                "a mixed model; the data stay as they were."
            )


def subjects_kept(
    before: pd.DataFrame, after: pd.DataFrame, subject: str
) -> tuple[int, int, tuple[str, ...]]:
    """Levels of ``subject`` in ``before`` and in ``after`` (a subset), and the levels the
    subset lost entirely, in their order of appearance."""
    levels = pd.unique(before[subject].dropna())
    left = set(pd.unique(after[subject].dropna()))
    return len(levels), len(left), tuple(str(v) for v in levels if v not in left)


def newly_single_valued(before: pd.DataFrame, after: pd.DataFrame) -> tuple[str, ...]:
    """Columns that varied in ``before`` and take a single value in ``after`` (a subset),
    so that no model on the subset can use them."""
    return tuple(
        str(c)
        for c in before.columns
        if before[c].nunique(dropna=True) > 1 and after[c].nunique(dropna=True) == 1
    )
