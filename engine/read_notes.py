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


def _text_cells(series: pd.Series) -> pd.Series | None:
    """The filled cells of a text column as stripped strings; None for other columns."""
    if pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series):
        return None
    if isinstance(series.dtype, pd.CategoricalDtype):
        return None
    present = series.dropna()
    if present.empty or not all(isinstance(v, str) for v in present):
        return None
    return present.str.strip()


def _unit_numbers(series: pd.Series) -> tuple[pd.Series, str] | None:
    """The column as numbers and its one unit, when every filled cell is a number with that
    unit (or a plain number); None otherwise."""
    cells = _text_cells(series)
    if cells is None:
        return None
    parts = cells.str.fullmatch(_NUMBER_UNIT.pattern)
    plain = cells.str.fullmatch(_PLAIN_NUMBER.pattern)
    if not bool((parts | plain).all()) or not bool(parts.any()):
        return None
    extracted = cells.str.extract("^" + _NUMBER_UNIT.pattern + "$")
    units = set(extracted[1].dropna())
    if len(units) != 1:
        return None
    numbers = pd.to_numeric(extracted[0].where(parts, cells), errors="coerce")
    return numbers.reindex(series.index), units.pop()


def _thousands_numbers(series: pd.Series) -> pd.Series | None:
    """The column as numbers when every filled cell is a number and some have comma
    thousands separators ("30,120.5")."""
    cells = _text_cells(series)
    if cells is None:
        return None
    grouped = cells.str.fullmatch(_THOUSANDS.pattern)
    plain = cells.str.fullmatch(_PLAIN_NUMBER.pattern)
    if not bool((grouped | plain).all()) or not bool(grouped.any()):
        return None
    return pd.to_numeric(cells.str.replace(",", "", regex=False)).reindex(series.index)


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
