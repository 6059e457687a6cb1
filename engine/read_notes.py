"""What a file needed to become a table of numbers and factors, and the tidying itself.

Spreadsheets hand over cells a model cannot use as they are: numbers followed by their
unit ("12.5 kg"), numbers with thousands separators ("30,120"), empty columns left by a
trailing separator, a notes sheet in front of the data sheet. :func:`tidy_columns` reads
the first three unambiguously (every filled cell of the column has the same form) and
returns a :class:`ReadNote` for each change, so the answer can say what was done.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

NoteKind = Literal["unit", "thousands", "empty_column", "sheet", "name_trimmed"]


@dataclass(frozen=True)
class ReadNote:
    """One change made while reading a file.

    ``unit``: ``column`` held numbers followed by ``detail`` (the unit), now numbers;
    ``thousands``: ``column`` held numbers with comma thousands separators, now numbers;
    ``empty_column``: ``column`` (no header, no values) was dropped; ``sheet``: the
    workbook sheet ``detail`` was read and ``others`` were not; ``name_trimmed``: the
    header ``detail`` had spaces around it and is now ``column``."""

    kind: NoteKind
    column: str | None = None
    detail: str = ""
    others: tuple[str, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict:
        return {
            "kind": self.kind, "column": self.column, "detail": self.detail,
            "others": list(self.others),
        }


@dataclass(frozen=True)
class LoadedTable:
    """A file read into a table, with what reading it changed."""

    data: pd.DataFrame
    notes: tuple[ReadNote, ...] = ()


#: A number followed by a unit: "12.5 kg", "37 °C", "80%", "120 mmHg".
_NUMBER_UNIT = re.compile(r"\s*([-+]?(?:\d+(?:\.\d*)?|\.\d+))\s*([^\d\s.,;:+\-][^\d;,]{0,11}?)\s*")
_PLAIN_NUMBER = re.compile(r"\s*[-+]?(?:\d+(?:\.\d*)?|\.\d+)\s*")
_THOUSANDS = re.compile(r"\s*[-+]?\d{1,3}(?:,\d{3})+(?:\.\d+)?\s*")
#: The name pandas gives a column without a header.
_NO_HEADER = re.compile(r"Unnamed: \d+")


class _DistinctText:
    """A text column's filled cells as row codes into its distinct stripped strings.

    The checks below test every distinct value once: an id column of a million rows has
    a few thousand distinct values, and a regular expression per row took seconds."""

    def __init__(self, codes: np.ndarray, values: list[str], index: pd.Index):
        self.codes, self.values, self.index = codes, values, index

    def numbers(self, per_value: list[float]) -> pd.Series:
        """A number per row (missing where the cell is), from a number per distinct value."""
        table = np.append(np.asarray(per_value, dtype=float), np.nan)
        return pd.Series(table[self.codes], index=self.index)


def _distinct_text(series: pd.Series) -> _DistinctText | None:
    """The filled cells of a text column as distinct stripped strings; None for other
    columns (numbers, booleans, categories, or any filled cell that is not a string)."""
    if pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series):
        return None
    if isinstance(series.dtype, pd.CategoricalDtype):
        return None
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    raw = np.asarray(uniques, dtype=object).tolist()  # faster than iterating Arrow
    if not raw or not all(isinstance(v, str) for v in raw):
        return None
    stripped = [v.strip() for v in raw]
    codes = np.where(codes < 0, len(stripped), codes)  # missing -> the NaN slot
    return _DistinctText(codes, stripped, series.index)


def _unit_numbers(series: pd.Series) -> tuple[pd.Series, str] | None:
    """The column as numbers and its one unit, when every filled cell is a number with that
    unit (or a plain number); None otherwise."""
    cells = _distinct_text(series)
    if cells is None:
        return None
    parts = [_NUMBER_UNIT.fullmatch(v) for v in cells.values]
    plain = [_PLAIN_NUMBER.fullmatch(v) is not None for v in cells.values]
    if not all(p is not None or q for p, q in zip(parts, plain, strict=True)):
        return None
    units = {p.group(2) for p in parts if p is not None}
    if len(units) != 1:
        return None
    numbers = [
        float(p.group(1)) if p is not None else float(v)
        for p, v in zip(parts, cells.values, strict=True)
    ]
    return cells.numbers(numbers), units.pop()


def _thousands_numbers(series: pd.Series) -> pd.Series | None:
    """The column as numbers when every filled cell is a number and some have comma
    thousands separators ("30,120.5")."""
    cells = _distinct_text(series)
    if cells is None:
        return None
    grouped = [_THOUSANDS.fullmatch(v) is not None for v in cells.values]
    plain = [_PLAIN_NUMBER.fullmatch(v) is not None for v in cells.values]
    if not all(g or q for g, q in zip(grouped, plain, strict=True)) or not any(grouped):
        return None
    return cells.numbers([float(v.replace(",", "")) for v in cells.values])


def _trimmed_names(frame: pd.DataFrame) -> tuple[pd.DataFrame, list[ReadNote]]:
    """Headers without the spaces around them (" weight " -> "weight"), unless trimming
    would give two columns the same name."""
    names = [str(c) for c in frame.columns]
    trimmed = [n.strip() or n for n in names]
    if trimmed == names or len(set(trimmed)) < len(trimmed):
        return frame, []
    notes = [
        ReadNote("name_trimmed", new, old) for old, new in zip(names, trimmed, strict=True)
        if old != new
    ]
    return frame.set_axis(trimmed, axis=1), notes


def tidy_columns(frame: pd.DataFrame, *, decimal: str = ".") -> LoadedTable:
    """Drop columns without header and values; trim spaces around headers; read
    numbers with units or thousands separators as numbers. ``decimal`` is the file's
    decimal mark (a comma makes "1,234" a decimal number, so thousands are left alone)."""
    notes: list[ReadNote] = []
    data = frame
    empty = [
        c for c in data.columns
        if _NO_HEADER.fullmatch(str(c)) and bool(data[c].isna().all())
    ]
    if empty:
        data = data.drop(columns=empty)
        notes.extend(ReadNote("empty_column", str(c)) for c in empty)
    data, trimmed = _trimmed_names(data)
    notes.extend(trimmed)
    changed: dict[str, pd.Series] = {}
    for name in data.columns:
        with_unit = _unit_numbers(data[name])
        if with_unit is not None:
            changed[name], unit = with_unit
            notes.append(ReadNote("unit", str(name), unit))
            continue
        if decimal == ".":
            grouped = _thousands_numbers(data[name])
            if grouped is not None:
                changed[name] = grouped
                notes.append(ReadNote("thousands", str(name)))
    if changed:
        data = data.assign(**{str(k): v for k, v in changed.items()})
    return LoadedTable(data, tuple(notes))
