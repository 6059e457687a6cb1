"""Missing-value codes: numbers such as -99 or 999 that stand for "not measured".

SPSS, SAS and Stata exports often write a missing measurement as a code (-9, -99, 999,
-999, 9999) instead of leaving the cell empty; analysed as a real value, one code drags a
mean and a slope far off. :func:`suspected_missing_code` finds such a code in a numeric
column: a value made of nines (optionally negative) that occurs at least twice and lies
beyond the far-out fences of the other values (Tukey's Q1 − 3·IQR, Q3 + 3·IQR, with the
fence at least one value range away). :func:`code_as_missing` turns the cells holding
given codes into missing values and counts them per column.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from engine.errors import LmmInputError

#: The values made of nines that count as codes: -9, ±99, ±999, ... up to nine digits.
#: A plain 9 is too common a real value (a 1-9 scale) to count.
NINES_CODES: tuple[float, ...] = (-9.0,) + tuple(
    sign * float("9" * digits) for digits in range(2, 10) for sign in (-1, 1)
)
#: A code must occur at least this often to be suspected ("repeated").
MIN_CODE_COUNT = 2
#: Tukey's far-out fence multiplier.
FENCE_IQR = 3.0
#: Other values needed before a code can be told from them.
MIN_OTHER_VALUES = 5


@dataclass(frozen=True)
class SuspectedCode:
    """A value of a numeric column that looks like a missing-value code.

    ``value`` occurs ``count`` times; the column's other finite values run from
    ``other_min`` to ``other_max``."""

    column: str
    value: float
    count: int
    other_min: float
    other_max: float

    def to_dict(self) -> dict:
        return {
            "column": self.column, "value": self.value, "count": self.count,
            "other_min": self.other_min, "other_max": self.other_max,
        }


def suspected_missing_code(name: str, series: pd.Series) -> SuspectedCode | None:
    """The nines-only value of a numeric column that looks like a missing-value code, or
    None. When several qualify the most frequent one is returned."""
    if not pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series):
        return None
    values = pd.to_numeric(series, errors="coerce").to_numpy(dtype=float)
    values = values[np.isfinite(values)]
    if values.size < MIN_OTHER_VALUES + MIN_CODE_COUNT:
        return None
    found: SuspectedCode | None = None
    for value in NINES_CODES:
        hits = values == value
        count = int(hits.sum())
        if count < MIN_CODE_COUNT:
            continue
        others = values[~hits]
        if others.size < MIN_OTHER_VALUES or not _far_outside(value, others):
            continue
        if found is None or count > found.count:
            found = SuspectedCode(
                column=name, value=value, count=count,
                other_min=float(others.min()), other_max=float(others.max()),
            )
    return found


def _far_outside(value: float, others: np.ndarray) -> bool:
    """Whether ``value`` lies beyond Tukey's far-out fences of ``others`` and at least one
    range of ``others`` away from their nearest value."""
    q1, q3 = np.quantile(others, [0.25, 0.75])
    spread = float(others.max() - others.min())
    iqr = float(q3 - q1)
    if value > q3 + FENCE_IQR * iqr and value > others.max():
        return value - float(others.max()) >= spread
    if value < q1 - FENCE_IQR * iqr and value < others.min():
        return float(others.min()) - value >= spread
    return False


def treat_as_missing_request(values: Sequence[object]) -> str:
    """The request that marks ``values`` as missing: ``treat -99 as missing``,
    ``treat "." and "n/a" as missing`` (text in quotes, numbers as they are)."""
    shown = []
    for value in values:
        text = str(value)
        if isinstance(value, float) and value == round(value):
            text = str(int(value))
        if _as_number(text) is None:
            text = f"'{text}'" if '"' in text else f'"{text}"'
        shown.append(text)
    return f"treat {' and '.join(shown)} as missing"


def stray_text_fix(stray: Sequence[str]) -> str:
    """The end of a sentence about entries that made a column of numbers text."""
    return (
        f"say `{treat_as_missing_request(stray)}` to mark those cells as missing "
        "(or write NA in the file and load it again)"
    )


def suspected_missing_codes(df: pd.DataFrame) -> list[SuspectedCode]:
    """:func:`suspected_missing_code` of every column of ``df`` that has one."""
    found = (suspected_missing_code(str(name), df[name]) for name in df.columns)
    return [code for code in found if code is not None]


@dataclass(frozen=True)
class CodedCells:
    """Cells of one column that held a code and are now missing. ``now_numeric`` is True
    when the column was text only because of the code and now holds numbers."""

    column: str
    count: int
    now_numeric: bool = False

    def to_dict(self) -> dict:
        return {"column": self.column, "count": self.count, "now_numeric": self.now_numeric}


@dataclass(frozen=True)
class MissingCodeResult:
    """The data with the codes turned into missing values, and what changed per column."""

    data: pd.DataFrame
    codes: tuple[str, ...]
    changed: tuple[CodedCells, ...]
    columns_searched: tuple[str, ...]

    @property
    def total(self) -> int:
        return sum(cell.count for cell in self.changed)

    def to_dict(self) -> dict:
        return {
            "kind": "missing_codes", "codes": list(self.codes),
            "changed": [c.to_dict() for c in self.changed],
            "columns_searched": list(self.columns_searched), "total": self.total,
        }


def _as_number(code: str) -> float | None:
    try:
        number = float(code)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _code_mask(series: pd.Series, codes: Sequence[str]) -> pd.Series:
    """Cells of ``series`` equal to one of the codes: as numbers in a numeric column, as
    text (spaces around ignored, or the same number) in any other."""
    numbers = [n for n in map(_as_number, codes) if n is not None]
    if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
        return series.isin(numbers) if numbers else pd.Series(False, index=series.index)
    text = series.astype("string").str.strip()
    mask = text.isin([c.strip() for c in codes]).fillna(False)
    if numbers:
        as_numbers = pd.to_numeric(text, errors="coerce")
        mask = mask | as_numbers.isin(numbers).fillna(False)
    return mask.astype(bool)


def code_as_missing(
    df: pd.DataFrame, codes: Sequence[str], columns: Sequence[str] = ()
) -> MissingCodeResult:
    """Cells of ``columns`` (every column when empty) that hold one of ``codes`` become
    missing. A text column that then holds only numbers becomes numeric. Raises
    :class:`LmmInputError` when no cell holds any of the codes."""
    codes = tuple(str(c) for c in codes)
    searched = tuple(columns) if columns else tuple(str(c) for c in df.columns)
    data = df.copy()
    changed: list[CodedCells] = []
    for name in searched:
        mask = _code_mask(data[name], codes)
        count = int(mask.sum())
        if not count:
            continue
        column = data[name].mask(mask)
        now_numeric = False
        if not pd.api.types.is_numeric_dtype(column):
            numbers = pd.to_numeric(column, errors="coerce")
            if column.notna().any() and bool((numbers.notna() == column.notna()).all()):
                column, now_numeric = numbers, True
        data[name] = column
        changed.append(CodedCells(column=name, count=count, now_numeric=now_numeric))
    if not changed:
        shown = " or ".join(f"'{c}'" for c in codes)
        where = f"'{searched[0]}'" if len(searched) == 1 else "any column"
        raise LmmInputError(
            f"No cell of {where} holds {shown}, so nothing was changed; check the code as it "
            "appears in the data."
        )
    return MissingCodeResult(
        data=data, codes=codes, changed=tuple(changed), columns_searched=searched
    )
