"""Data in: load a file, check it, describe it, reshape it wide to long, transform columns.

Every problem a user can fix raises :class:`engine.errors.LmmInputError` whose text is one
sentence naming the problem and the fix. Results are typed dataclasses holding numbers and
names only; the assistant's narration turns them into words.
"""

from __future__ import annotations

import csv
import difflib
import io
import math
import re
import warnings
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from engine.errors import LmmInputError
from engine.missing_codes import SuspectedCode, suspected_missing_code
from engine.read_notes import LoadedTable, ReadNote, tidy_columns

FileFormat = Literal["csv", "tsv", "excel", "parquet"]

#: File extensions read without being told the format.
EXTENSION_FORMATS: dict[str, FileFormat] = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".txt": "tsv",
    ".xlsx": "excel",
    ".xlsm": "excel",
    ".parquet": "parquet",
    ".pq": "parquet",
}

#: Spellings of ``format`` accepted from a plan step.
FORMAT_ALIASES: dict[str, FileFormat] = {
    "csv": "csv",
    "tsv": "tsv",
    "tab": "tsv",
    "txt": "tsv",
    "excel": "excel",
    "xlsx": "excel",
    "parquet": "parquet",
    "pq": "parquet",
}

_SNIFF_BYTES = 8192


# --------------------------------------------------------------------------- helpers
def _fmt_names(names: Iterable[object], limit: int = 8) -> str:
    items = [f"'{n}'" for n in names]
    if len(items) > limit:
        items = items[:limit] + [f"and {len(items) - limit} more"]
    return ", ".join(items)


def closest_names(name: str, candidates: Iterable[str], n: int = 3) -> list[str]:
    """Up to ``n`` candidates that look like ``name`` (case-insensitive): first those of
    which ``name`` is a whole word ('pain' -> ``pain_score``), then by difflib ratio."""
    pool = [str(c) for c in candidates]
    lowered = {c.lower(): c for c in pool}
    key = name.lower()
    words = [c for c in lowered if key in re.split(r"[_.\s]+", c) and c != key]
    close = difflib.get_close_matches(key, list(lowered), n=n, cutoff=0.6)
    hits = list(dict.fromkeys([*words, *close]))[:n]
    return [lowered[h] for h in hits]


def require_columns(df: pd.DataFrame, columns: Iterable[str], role: str = "column") -> None:
    """Raise :class:`LmmInputError` for the first name in ``columns`` that ``df`` lacks."""
    for name in columns:
        if name in df.columns:
            continue
        wide = wide_measure_problem(df, str(name))
        if wide is not None:
            raise LmmInputError(wide)
        hints = closest_names(str(name), map(str, df.columns))
        hint = f"did you mean {_fmt_names(hints)}?" if hints else (
            f"the columns are {_fmt_names(df.columns)}."
        )
        raise LmmInputError(f"The data have no {role} named '{name}'; {hint}")


def wide_measure_problem(df: pd.DataFrame, name: str) -> str | None:
    """When ``name`` is no column but the stub of numbered columns (``pain`` of pain_0,
    pain_1, ...): the sentence saying the data are wide and how to reshape them."""
    wanted = name.strip().casefold()
    for group in find_stub_groups(df):
        if wanted in {group.stub.casefold(), group.prefix.rstrip(_SEPARATORS).casefold()}:
            return (
                f"The data are in wide format: {name} is spread over the columns "
                f"{_fmt_names(group.columns)}, one per time point, so there is no single "
                f"column '{name}' yet. Reshape them first with `reshape from wide to long "
                f"format first` (one row per subject and time, with columns {group.stub} and "
                "time), then ask again."
            )
    return None


def require_unique_columns(df: pd.DataFrame, source: str = "The data") -> None:
    """Raise :class:`LmmInputError` when two columns of ``df`` share a name.

    A repeated name makes every reference to that column ambiguous (pandas returns a
    table instead of a column), so such data are refused before any analysis.
    """
    duplicated = sorted({str(c) for c in df.columns[df.columns.duplicated()]})
    if duplicated:
        raise LmmInputError(
            f"{source} have duplicated column names ({_fmt_names(duplicated)}); "
            "rename them so that every column has its own name."
        )


def _is_numeric(series: pd.Series) -> bool:
    return bool(
        pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)
    )


def _finite_float(value: float) -> float | None:
    value = float(value)
    return value if math.isfinite(value) else None


#: ``DataFrame.attrs`` key of the :class:`ReadNote` tuple of a table read from a file.
READ_NOTES_ATTR = "lmm_read_notes"


# --------------------------------------------------------------------------- load
def load_data(path: str | Path, format: str | None = None) -> pd.DataFrame:
    """Read a CSV, TSV, Excel (.xlsx via openpyxl: the first sheet that holds a table) or
    Parquet (pyarrow) file; :func:`read_table` with what reading changed.

    The format comes from ``format`` (``csv``, ``tsv``, ``excel``, ``parquet``) or else the
    file's extension. Column names are kept exactly as written (spaces and accents
    included). A missing file, an empty file, a header without rows, a binary file with a
    text extension, a workbook that is not one, duplicated column names and an unknown
    extension each raise :class:`LmmInputError`.
    """
    return read_table(path, format).data


def read_table(path: str | Path, format: str | None = None) -> LoadedTable:
    """:func:`load_data`'s table and the :class:`engine.read_notes.ReadNote` of each change
    made while reading: numbers with a unit or thousands separators read as numbers,
    columns without header and values dropped, the workbook sheet read."""
    file = Path(path).expanduser()
    if not file.exists():
        raise LmmInputError(missing_file_message(file))
    if file.is_dir():
        raise LmmInputError(
            f"'{file}' is a folder, not a file; give the path of a data file inside it."
        )
    kind = _resolve_format(file, format)
    if file.stat().st_size == 0:
        raise LmmInputError(f"The file '{file.name}' is empty; check that it was saved fully.")

    sheet_notes: tuple[ReadNote, ...] = ()
    decimal = "."
    if kind in ("csv", "tsv"):
        frame, decimal = _read_text_table(file, kind)
    elif kind == "excel":
        frame, sheet_notes = _read_excel(file)
    else:
        frame = _read_parquet(file)

    duplicated = sorted({str(c) for c in frame.columns[frame.columns.duplicated()]})
    if duplicated:
        raise LmmInputError(
            f"The file '{file.name}' has duplicated column names ({_fmt_names(duplicated)}); "
            "rename them so that every column has its own name."
        )
    if frame.shape[1] == 0:
        raise LmmInputError(f"The file '{file.name}' has no columns; check that it holds a table.")
    if len(frame) == 0:
        raise LmmInputError(
            f"The file '{file.name}' has a header but no data rows; add the observations, "
            "one row each."
        )
    tidied = tidy_columns(frame, decimal=decimal)
    notes = sheet_notes + tidied.notes
    data = tidied.data
    data.attrs[READ_NOTES_ATTR] = notes  # kept with the data for describe_data
    return LoadedTable(data, notes)


def missing_file_message(file: Path) -> str:
    """One sentence for a path that is not there, naming a close file of its folder."""
    folder = file.parent
    if not folder.is_dir():
        return f"There is no folder '{folder}'; check the path to '{file.name}'."
    # only files the loader can read are worth suggesting (not 'thr.py' for 'nothere.csv')
    neighbours = [
        p.name for p in folder.iterdir()
        if p.is_file() and p.suffix.lower() in EXTENSION_FORMATS
    ]
    hints = closest_names(file.name, neighbours)
    if not hints:
        hints = closest_names(file.stem, [Path(n).stem for n in neighbours])
        hints = [n for n in neighbours if Path(n).stem in hints]
    if hints:
        return f"There is no file '{file.name}' in '{folder}'; did you mean {_fmt_names(hints)}?"
    return f"There is no file '{file.name}' in '{folder}'; check the name and the folder."


def _resolve_format(file: Path, format: str | None) -> FileFormat:
    if format is not None:
        kind = FORMAT_ALIASES.get(format.strip().lower())
        if kind is None:
            raise LmmInputError(
                f"'{format}' is not a format I can read; use csv, tsv, excel or parquet."
            )
        return kind
    suffix = file.suffix.lower()
    kind = EXTENSION_FORMATS.get(suffix)
    if kind is not None:
        return kind
    if suffix == ".xls":
        raise LmmInputError(
            f"'{file.name}' is an old-style .xls workbook; save it as .xlsx or .csv and load that."
        )
    if suffix in ("", ".dat"):
        raise LmmInputError(
            f"I cannot tell the format of '{file.name}' from its name; say the format, "
            f"for example `load \"{file.name}\" as csv`."
        )
    raise LmmInputError(
        f"I cannot read '{suffix}' files; save '{file.name}' as .csv, .tsv, .xlsx or .parquet."
    )


def _read_text_table(file: Path, kind: FileFormat) -> tuple[pd.DataFrame, str]:
    """The table of a text file and its decimal mark."""
    head = file.read_bytes()[:_SNIFF_BYTES]
    if head.startswith(b"PK\x03\x04"):
        raise LmmInputError(
            f"'{file.name}' is a zipped file (probably an Excel workbook), not plain text; "
            "rename it to .xlsx or export it as CSV."
        )
    if head.startswith(b"PAR1"):
        raise LmmInputError(
            f"'{file.name}' is a Parquet file, not plain text; rename it to .parquet."
        )
    if b"\x00" in head:
        raise LmmInputError(
            f"'{file.name}' is a binary file, not a text table; export the data as CSV."
        )
    text = _decode(file.read_bytes())
    if not text.strip():
        raise LmmInputError(f"The file '{file.name}' is empty; check that it was saved fully.")
    text = text.lstrip("\ufeff")
    text = _without_title_lines(text)
    separator, decimal = _sniff_separator(text, kind)
    header = next(csv.reader(io.StringIO(text), delimiter=separator))
    seen: set[str] = set()
    duplicated = sorted({h for h in header if h in seen or seen.add(h)})
    if duplicated:
        raise LmmInputError(
            f"The file '{file.name}' has duplicated column names ({_fmt_names(duplicated)}); "
            "rename them so that every column has its own name."
        )
    # "1.234,50": a decimal comma with dots grouping the thousands
    thousands = "." if decimal == "," and _THOUSANDS_DOTS.search(text) else None
    try:
        frame = pd.read_csv(
            io.StringIO(text), sep=separator, decimal=decimal, thousands=thousands
        )
        return frame, decimal
    except pd.errors.ParserError as err:
        match = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(err))
        if match:
            expected, line, saw = match.groups()
            raise LmmInputError(
                f"Line {line} of '{file.name}' has {saw} fields but the header has {expected}; "
                "fix that row (a stray separator or a missing quote)."
            ) from None
        raise LmmInputError(
            f"'{file.name}' is not a well-formed table; check its separators and quotes."
        ) from None
    except pd.errors.EmptyDataError:
        raise LmmInputError(
            f"The file '{file.name}' is empty; check that it was saved fully."
        ) from None


#: Lines read to tell title lines above a table from its header.
_TITLE_SCAN_LINES = 30


def _filled_fields(line: str) -> tuple[int, int]:
    """(fields, non-empty fields) of one line, split at its most frequent separator."""
    separator = max((",", ";", "\t"), key=line.count)
    fields = next(csv.reader([line], delimiter=separator), [])
    return len(fields), sum(1 for f in fields if f.strip())


def _without_title_lines(text: str) -> str:
    """``text`` from its header on: a spreadsheet export often starts with a title line
    ("My study, exported 3 May") and blank lines above a table of three or more columns.
    Leading lines with at most one filled field are dropped when the lines below them
    are wider."""
    lines = text.splitlines(keepends=True)
    counts = [_filled_fields(line) for line in lines[:_TITLE_SCAN_LINES]]
    widths = [n for n, _ in counts if n > 1]
    if not widths:
        return text
    width = max(set(widths), key=widths.count)
    if width < 3:
        return text
    skip = 0
    while skip < len(counts) - 1 and counts[skip][1] <= 1:
        skip += 1
    return "".join(lines[skip:]) if skip else text


_THOUSANDS_DOTS = re.compile(r"(^|;)\s*-?\d{1,3}(\.\d{3})+,\d+\s*(;|$)", flags=re.MULTILINE)


def _sniff_separator(text: str, kind: FileFormat) -> tuple[str, str]:
    """The field separator and decimal mark of a text table.

    The header line decides between comma, semicolon and tab (a ``.csv`` saved by a
    European spreadsheet uses ``;`` and often a decimal comma; a ``.txt`` may hold commas).
    """
    first = text.lstrip("\ufeff").splitlines()[0]
    preferred = "\t" if kind == "tsv" else ","
    counts = {sep: first.count(sep) for sep in (preferred, ",", ";", "\t")}
    separator = max(counts, key=lambda sep: counts[sep])
    if counts[separator] == 0:
        separator = preferred
    decimal = "."
    if separator == ";" and re.search(r"(^|;)\s*-?\d+,\d+\s*(;|$)", text, flags=re.MULTILINE):
        decimal = ","
    return separator, decimal


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")


def _read_excel(file: Path) -> tuple[pd.DataFrame, tuple[ReadNote, ...]]:
    """The first sheet that holds a table (a notes sheet in front is passed over), and a
    note naming the sheet read when the workbook has several."""
    from openpyxl.utils.exceptions import InvalidFileException

    if not zipfile.is_zipfile(file):
        raise LmmInputError(
            f"'{file.name}' is not an Excel workbook; if it is a CSV file, rename it to .csv."
        )
    try:
        book = pd.ExcelFile(file, engine="openpyxl")
        sheets = [str(name) for name in book.sheet_names]
        tops = {}
        for name in sheets:
            tops[name] = pd.read_excel(book, sheet_name=name, header=None, nrows=_TITLE_SCAN_LINES)
            if _holds_table(tops[name]):
                break
        chosen = name if _holds_table(tops[name]) else sheets[0]
        top = tops[chosen]
        skip = _excel_title_rows(top)
        header = top.iloc[skip : skip + 1]
        frame = pd.read_excel(book, sheet_name=chosen, skiprows=skip)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, ValueError, OSError):
        raise LmmInputError(
            f"'{file.name}' could not be opened as an Excel workbook; save it again as .xlsx."
        ) from None
    if header.empty:
        where = "The first sheet" if len(sheets) == 1 else "No sheet"
        raise LmmInputError(f"{where} of '{file.name}' holds a table; put the table there.")
    notes: tuple[ReadNote, ...] = ()
    if len(sheets) > 1:
        others = tuple(n for n in sheets if n != chosen)
        notes = (ReadNote("sheet", None, chosen, others),)
    names = [str(v) for v in header.iloc[0].tolist() if not pd.isna(v)]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise LmmInputError(
            f"The file '{file.name}' has duplicated column names ({_fmt_names(duplicated)}); "
            "rename them so that every column has its own name."
        )
    return frame, notes


def _holds_table(top: pd.DataFrame) -> bool:
    """Whether the top of a sheet holds a table: a header and a row below it, with two or
    more filled cells in most rows (a notes sheet has one column of text)."""
    filled = [n for n in top.notna().sum(axis=1).tolist() if n > 0]
    return len(filled) >= 2 and max(set(filled), key=filled.count) >= 2


def _excel_title_rows(top: pd.DataFrame) -> int:
    """How many title rows (at most one filled cell) sit above a sheet's header row, when
    the table below has three or more filled columns (see ``_without_title_lines``)."""
    filled = top.notna().sum(axis=1).tolist()
    wide = [n for n in filled if n > 1]
    if not wide or max(set(wide), key=wide.count) < 3:
        return 0
    skip = 0
    while skip < len(filled) - 1 and filled[skip] <= 1:
        skip += 1
    return skip


def _read_parquet(file: Path) -> pd.DataFrame:
    import pyarrow
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(file)
    except (pyarrow.ArrowInvalid, OSError):
        raise LmmInputError(
            f"'{file.name}' is not a Parquet file; check the file or say its real format."
        ) from None
    names = table.column_names
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise LmmInputError(
            f"The file '{file.name}' has duplicated column names ({_fmt_names(duplicated)}); "
            "rename them so that every column has its own name."
        )
    return table.to_pandas()


# --------------------------------------------------------------------------- describe
ColumnKind = Literal["numeric", "factor", "datetime"]

#: A column counts as centred when its mean is this small relative to its SD (or to 1).
CENTRED_TOLERANCE = 1e-8


def is_centred(values: Any) -> bool:
    """Whether numeric values have mean zero up to rounding: |mean| ≤ 1e-8 · max(SD, 1).

    Where a covariate's zero is its mean, a main effect next to its interaction is the
    effect at the average covariate, and x and x² are uncorrelated for symmetric x.
    """
    array = np.asarray(values, dtype=float)
    array = array[~np.isnan(array)]
    if array.size == 0:
        return True
    sd = float(array.std(ddof=1)) if array.size > 1 else 0.0
    return abs(float(array.mean())) <= CENTRED_TOLERANCE * max(sd, 1.0)


#: Fewer levels than this make a poor guess at the clustering (Bolker's GLMM FAQ asks
#: for at least 5 levels to estimate a variance).
MIN_CLUSTER_LEVELS = 5
_ID_WORDS = (
    "id", "subject", "patient", "participant", "person", "case", "student", "school",
    "cluster", "group", "batch", "plate", "hospital", "clinic", "site", "family", "unit",
)
#: Names of a unit measured repeatedly (a repeat of one of these means long data).
_SUBJECT_WORDS = ("id", "subject", "patient", "participant", "person", "case", "student")
_TIME_WORDS = (
    "time", "visit", "day", "days", "week", "weeks", "month", "months", "year", "years",
    "wave", "occasion", "session", "trial", "period", "hour", "hours",
)
_OUTCOME_WORDS = (
    "score", "outcome", "response", "reaction", "y", "value", "result", "measure",
    "yield", "distance", "strength", "diameter", "pain", "normexam",
)


def _name_words(name: str) -> list[str]:
    spaced = re.sub(r"([a-z])([A-Z])", r"\1 \2", str(name))
    return [w for w in re.split(r"[^A-Za-z]+", spaced.lower()) if w]


def _name_matches(name: str, words: Sequence[str]) -> bool:
    return any(w in words for w in _name_words(name))


@dataclass(frozen=True)
class ColumnSummary:
    """One column of a data set.

    ``kind`` is ``numeric`` (a number the model can use as is), ``datetime`` (dates or
    date-times: a datetime column, or text that reads as dates, see
    :func:`looks_like_dates`) or ``factor`` (other text, categories, booleans). A
    ``datetime`` column has ``first`` and ``last`` (ISO 8601 text: the date alone when every
    value is at midnight), ``span_days`` (last minus first, in days) and ``n_unique``.
    ``levels`` lists up to ``MAX_LEVELS_SHOWN`` levels of a factor in
    sorted order (``n_levels`` counts them all); ``minimum``/``mean``/``maximum``/``sd`` (sample
    SD, ddof 1) describe a numeric column over its finite values; ``n_infinite`` counts its
    infinite values (a model refuses them until they are replaced or marked missing).
    ``stray_text`` lists the entries that kept a column of numbers from being read as
    numeric (``'n/a'``, ``'missing'``): see :func:`stray_text_values`. ``missing_code`` is
    a repeated value such as -99 far outside the others that looks like a code for a
    missing value (:func:`engine.missing_codes.suspected_missing_code`).
    """

    name: str
    kind: ColumnKind
    dtype: str
    n_missing: int
    n_unique: int
    levels: list[str] | None = None
    n_levels: int | None = None
    minimum: float | None = None
    mean: float | None = None
    maximum: float | None = None
    sd: float | None = None
    n_infinite: int = 0
    stray_text: list[str] | None = None
    missing_code: SuspectedCode | None = None
    first: str | None = None
    last: str | None = None
    span_days: float | None = None

    def to_dict(self) -> dict:
        return {
            "first": self.first, "last": self.last, "span_days": self.span_days,
            "n_infinite": self.n_infinite,
            "stray_text": list(self.stray_text) if self.stray_text is not None else None,
            "missing_code": self.missing_code.to_dict() if self.missing_code else None,
            "name": self.name, "kind": self.kind, "dtype": self.dtype,
            "n_missing": self.n_missing, "n_unique": self.n_unique,
            "levels": list(self.levels) if self.levels is not None else None,
            "n_levels": self.n_levels,
            "minimum": self.minimum, "mean": self.mean, "maximum": self.maximum, "sd": self.sd,
        }


MAX_LEVELS_SHOWN = 20


@dataclass(frozen=True)
class DataSummary:
    """What a data set holds, and a guess at its roles.

    ``id_guess`` is a column that identifies subjects or clusters (repeats in long data);
    ``time_guess`` a within-subject time column; ``outcome_guess`` a numeric column that
    varies within subjects. Each guess is ``None`` when nothing fits. ``layout`` is
    ``long`` (an id repeats), ``wide`` (numbered repeated columns such as pain_0, pain_1 and
    one row per subject) or ``unknown``; ``wide_stubs`` lists the stubs of numbered groups.
    """

    n_rows: int
    n_columns: int
    columns: list[ColumnSummary]
    n_complete_rows: int
    id_guess: str | None = None
    time_guess: str | None = None
    outcome_guess: str | None = None
    layout: Literal["long", "wide", "unknown"] = "unknown"
    wide_stubs: list[str] = field(default_factory=list)
    read_notes: tuple[ReadNote, ...] = ()

    def column(self, name: str) -> ColumnSummary:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(name)

    def to_dict(self) -> dict:
        return {
            "kind": "data_summary",
            "n_rows": self.n_rows, "n_columns": self.n_columns,
            "n_complete_rows": self.n_complete_rows,
            "columns": [c.to_dict() for c in self.columns],
            "id_guess": self.id_guess, "time_guess": self.time_guess,
            "outcome_guess": self.outcome_guess, "layout": self.layout,
            "wide_stubs": list(self.wide_stubs),
            "read_notes": [note.to_dict() for note in self.read_notes],
        }


def _summarise_column(name: str, series: pd.Series) -> ColumnSummary:
    n_missing = int(series.isna().sum())
    present = series.dropna()
    n_unique = int(present.nunique())
    dtype = str(series.dtype)
    if _is_numeric(series):
        values = present.to_numpy(dtype=float)
        infinite = np.isinf(values)
        values = values[~infinite]
        has = values.size > 0
        return ColumnSummary(
            name=str(name), kind="numeric", dtype=dtype, n_missing=n_missing,
            n_unique=n_unique, n_infinite=int(infinite.sum()),
            minimum=_finite_float(values.min()) if has else None,
            mean=_finite_float(values.mean()) if has else None,
            maximum=_finite_float(values.max()) if has else None,
            sd=_finite_float(values.std(ddof=1)) if values.size > 1 else None,
            missing_code=suspected_missing_code(str(name), series),
        )
    dates = as_dates(series)
    if dates is not None:
        return _summarise_dates(str(name), dtype, n_missing, dates)
    if isinstance(series.dtype, pd.CategoricalDtype):
        levels = [str(v) for v in series.cat.categories]
    else:
        levels = sorted({str(v) for v in np.asarray(pd.unique(present), dtype=object).tolist()})
    return ColumnSummary(
        name=str(name), kind="factor", dtype=dtype, n_missing=n_missing, n_unique=n_unique,
        levels=levels[:MAX_LEVELS_SHOWN], n_levels=len(levels),
        stray_text=stray_text_values(series),
    )


_DATE_TEXT = re.compile(
    r"\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}([ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?)?"
)


def looks_like_dates(column: pd.Series) -> bool:
    """Dates or date-times: a datetime column, or text such as 2024-01-15 or 15/01/2024.
    As a predictor they would be one category per day (a built formula leaves them out,
    the design refuses them as a bare predictor)."""
    if pd.api.types.is_datetime64_any_dtype(column):
        return True
    if not pd.api.types.is_string_dtype(column) and column.dtype != object:
        return False
    return all_dates([str(v) for v in pd.unique(column.dropna())])


def all_dates(values: list[str]) -> bool:
    """Every one of the (present, distinct) text ``values`` reads as a date, as
    :func:`looks_like_dates` reads a column."""
    return bool(values) and all(_DATE_TEXT.fullmatch(v.strip()) for v in values)


def as_dates(series: pd.Series) -> pd.Series | None:
    """The column as pandas datetimes when it holds dates (:func:`looks_like_dates`) and
    every present value reads as one in a single format (pandas infers it from the first
    value; day-first is tried when month-first leaves some unread, then ISO 8601 dates with
    and without times); None otherwise."""
    if pd.api.types.is_datetime64_any_dtype(series):
        return series
    if isinstance(series.dtype, pd.CategoricalDtype) or not looks_like_dates(series):
        return None
    readings: tuple[dict[str, Any], ...] = (
        {"dayfirst": False}, {"dayfirst": True}, {"format": "ISO8601"},
    )
    for reading in readings:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                dates = pd.to_datetime(series, errors="coerce", **reading)
            except (ValueError, TypeError, OverflowError):
                continue
        if (dates.notna() == series.notna()).all():
            return dates
    return None


def _summarise_dates(name: str, dtype: str, n_missing: int, dates: pd.Series) -> ColumnSummary:
    present = dates.dropna()
    if present.empty:
        return ColumnSummary(name=name, kind="datetime", dtype=dtype, n_missing=n_missing,
                             n_unique=0)
    first, last = present.min(), present.max()
    at_midnight = bool((present == present.dt.normalize()).all())
    shown = "%Y-%m-%d" if at_midnight else "%Y-%m-%d %H:%M:%S"
    return ColumnSummary(
        name=name, kind="datetime", dtype=dtype, n_missing=n_missing,
        n_unique=int(present.nunique()),
        first=first.strftime(shown), last=last.strftime(shown),
        span_days=float((last - first) / pd.Timedelta(days=1)),
    )


#: A text column is taken for numbers spoiled by a few stray entries when at least this
#: share of its non-missing values read as numbers.
STRAY_TEXT_MIN_NUMERIC_SHARE = 0.8
MAX_STRAY_VALUES = 5


def stray_text_values(series: pd.Series) -> list[str] | None:
    """The distinct entries that made a column of numbers text (``'n/a'``, ``'missing'``).

    pandas (like R's ``read.csv``) reads only empty cells and ``NA``-like tokens as missing;
    any other word turns the whole column into text. When at least
    ``STRAY_TEXT_MIN_NUMERIC_SHARE`` of the non-missing values (and at least three) are
    numbers, the rest (up to ``MAX_STRAY_VALUES``, sorted) are returned; otherwise ``None``.
    """
    if _is_numeric(series) or isinstance(series.dtype, pd.CategoricalDtype):
        return None
    present = series.dropna()
    if pd.api.types.is_bool_dtype(present) or len(present) < 3:
        return None
    # each distinct entry is read once (an id column has far fewer than it has rows)
    codes, uniques = pd.factorize(present)
    text = pd.Series(
        [str(v).strip() for v in np.asarray(uniques, dtype=object).tolist()], dtype=object
    )
    numeric = pd.to_numeric(text, errors="coerce").notna().to_numpy()
    rows_per_value = np.bincount(codes, minlength=len(text))
    n_numeric = int(rows_per_value[numeric].sum())
    if n_numeric < 3 or n_numeric == len(present):
        return None
    if n_numeric / len(present) < STRAY_TEXT_MIN_NUMERIC_SHARE:
        return None
    return sorted(set(text[~numeric]))[:MAX_STRAY_VALUES]


def describe_data(df: pd.DataFrame) -> DataSummary:
    """Rows, columns (kind, missing values, levels or range) and a guess at id/time/outcome."""
    columns = [_summarise_column(str(name), df[name]) for name in df.columns]
    id_guess = _guess_id(df)
    stubs = [g.stub for g in find_stub_groups(df)]
    if id_guess is not None and df[id_guess].duplicated().any():
        layout = "long"
    elif stubs:
        layout = "wide"
    else:
        layout = "unknown"
    time_guess = outcome_guess = None
    if layout != "wide":  # wide data have their time and outcome in the column names
        time_guess = _guess_time(df, id_guess)
        outcome_guess = _guess_outcome(df, id_guess, time_guess)
    return DataSummary(
        n_rows=int(len(df)), n_columns=int(df.shape[1]), columns=columns,
        n_complete_rows=int(df.notna().all(axis=1).sum()),
        id_guess=id_guess, time_guess=time_guess, outcome_guess=outcome_guess,
        layout=layout, wide_stubs=stubs,
        read_notes=_read_notes_of(df),
    )


def _read_notes_of(df: pd.DataFrame) -> tuple[ReadNote, ...]:
    """The notes :func:`read_table` left on ``df`` about columns it still has."""
    notes = df.attrs.get(READ_NOTES_ATTR, ())
    if not isinstance(notes, tuple):
        return ()
    columns = {str(c) for c in df.columns}
    return tuple(
        n for n in notes
        if isinstance(n, ReadNote) and (n.column is None or n.column in columns
                                        or n.kind == "empty_column")
    )


def _guess_id(df: pd.DataFrame) -> str | None:
    """An id-like column: named like one and either repeating (long) or unique per row."""
    n = len(df)
    named = [c for c in df.columns if _name_matches(str(c), _ID_WORDS)]
    usable = [
        c for c in named
        if 1 < df[c].nunique() <= n and not (_is_numeric(df[c]) and _has_fractions(df[c]))
    ]
    # text labels before numbers, pure id names ("school") before "school_size", then the
    # coarsest grouping (school before student)
    usable.sort(key=lambda c: (
        _is_numeric(df[c]),
        any(w not in _ID_WORDS for w in _name_words(str(c))),
        df[c].nunique(),
    ))
    # a column of 2 to 4 levels ("group": A/B) is more likely a between-subject factor
    # than the clustering: too few levels to estimate a variance from
    enough = [c for c in usable if df[c].nunique() >= MIN_CLUSTER_LEVELS]
    repeating = [c for c in enough if df[c].nunique() < n]
    if repeating:
        return str(repeating[0])
    if enough or usable:
        return str((enough or usable)[0])
    for c in df.columns:
        if not _is_numeric(df[c]) and df[c].notna().all() and df[c].is_unique and n > 1:
            return str(c)
    return None


def _has_fractions(series: pd.Series) -> bool:
    values = series.dropna().to_numpy(dtype=float)
    return bool(np.any(values != np.round(values)))


def _varies_within(df: pd.DataFrame, column: str, id_column: str | None) -> bool:
    if id_column is None or not df[id_column].duplicated().any():
        return False
    per_group = df.groupby(id_column, observed=True, sort=False)[column].nunique(dropna=True)
    return bool((per_group > 1).any())


def time_candidates(df: pd.DataFrame, id_column: str | None) -> list[str]:
    """Columns named like a time ("week", "visit") that vary within levels of
    ``id_column``, numeric ones first: the first is :func:`describe_data`'s time guess."""
    candidates = [c for c in df.columns if c != id_column and _name_matches(str(c), _TIME_WORDS)]
    within = [str(c) for c in candidates if _varies_within(df, str(c), id_column)]
    # a numeric time ("weeks": 0, 4, 12) before its text labels ("visit": "week 4"), so
    # that a random slope has a variable to vary along
    within.sort(key=lambda c: not _is_numeric(df[c]))
    return within


def _guess_time(df: pd.DataFrame, id_column: str | None) -> str | None:
    candidates = [c for c in df.columns if c != id_column and _name_matches(str(c), _TIME_WORDS)]
    within = time_candidates(df, id_column)
    if within:
        return str(within[0])
    if candidates and (id_column is None or not df[id_column].duplicated().any()):
        return str(candidates[0])
    return None


def _guess_outcome(df: pd.DataFrame, id_column: str | None, time_column: str | None) -> str | None:
    numeric = [
        str(c) for c in df.columns
        if str(c) not in (id_column, time_column) and _is_numeric(df[c])
    ]
    if not numeric:
        return None
    within = [c for c in numeric if _varies_within(df, c, id_column)]
    pool = within or numeric
    named = [c for c in pool if _name_matches(c, _OUTCOME_WORDS)]
    if named:
        return named[0]
    return max(pool, key=lambda c: df[c].nunique())


# --------------------------------------------------------------------------- wide to long
_SUFFIX = re.compile(r"^(?P<prefix>.*?[^\d.\-])(?P<number>\d+(?:\.\d+)?)$")
_SEPARATORS = "_.- "
_TIME_TAGS = (
    "t", "time", "m", "mo", "month", "months", "w", "wk", "week", "weeks", "d", "day",
    "days", "v", "visit", "y", "yr", "year", "years", "wave", "h", "hour",
)


@dataclass(frozen=True)
class StubGroup:
    """Columns that repeat one measure at numbered times: ``pain_0, pain_1, pain_3``.

    ``prefix`` is the text before the number (``pain_`` or ``pain_m``), ``stub`` the measure's
    name (``pain``), ``columns`` and ``times`` the matching column names and their numbers,
    in increasing time order.
    """

    stub: str
    prefix: str
    columns: tuple[str, ...]
    times: tuple[float, ...]


def _stub_of_prefix(prefix: str) -> str:
    base = prefix.rstrip(_SEPARATORS)
    parts = re.split(r"[_.\- ]", base)
    if len(parts) > 1 and parts[-1].lower() in _TIME_TAGS:
        base = base[: len(base) - len(parts[-1])].rstrip(_SEPARATORS)
    else:
        # a capitalised tag glued to the measure: scoreT1, painWeek2
        camel = re.fullmatch(r"(?P<stem>.*[a-z])(?P<tag>[A-Z][a-z]*)", base)
        if camel and camel["tag"].lower() in _TIME_TAGS:
            base = camel["stem"]
    return base or prefix


def find_stub_groups(df: pd.DataFrame) -> list[StubGroup]:
    """Groups of two or more columns named ``<stub><sep><number>`` with distinct numbers."""
    by_prefix: dict[str, list[tuple[float, str]]] = {}
    for name in df.columns:
        match = _SUFFIX.match(str(name))
        if match is None or not re.search(r"[A-Za-z]", match["prefix"]):
            continue
        by_prefix.setdefault(match["prefix"], []).append((float(match["number"]), str(name)))
    groups = []
    for prefix, items in by_prefix.items():
        times = [t for t, _ in items]
        if len(items) < 2 or len(set(times)) != len(times):
            continue
        items.sort()
        groups.append(
            StubGroup(
                stub=_stub_of_prefix(prefix), prefix=prefix,
                columns=tuple(n for _, n in items), times=tuple(t for t, _ in items),
            )
        )
    return groups


@dataclass(frozen=True)
class ReshapeResult:
    """A wide table made long, and what was done.

    ``data`` has one row per subject and time with an observed value: columns
    ``id_column``, ``time_name``, the value column(s), then the between-subject columns.
    ``value_columns`` maps each new value column to the wide columns it came from;
    ``time_values`` are the times read from the column suffixes. ``n_missing_cells`` wide
    cells were empty and left out (``missing_by_time`` splits them by time). ``id_created``
    is true when no id column existed and one was made from the row number.
    """

    data: pd.DataFrame
    id_column: str
    id_created: bool
    time_name: str
    time_values: list[float]
    value_columns: dict[str, list[str]]
    between_columns: list[str]
    n_subjects: int
    n_rows_wide: int
    n_rows_long: int
    n_missing_cells: int
    missing_by_time: dict[float, int]
    #: numbered columns of the same stub the caller left out of ``columns`` (kept as
    #: between-subject columns)
    unlisted: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {
            "kind": "reshape_long",
            "id_column": self.id_column, "id_created": self.id_created,
            "time_name": self.time_name, "time_values": [float(t) for t in self.time_values],
            "value_columns": {k: list(v) for k, v in self.value_columns.items()},
            "between_columns": list(self.between_columns),
            "n_subjects": self.n_subjects, "n_rows_wide": self.n_rows_wide,
            "n_rows_long": self.n_rows_long, "n_missing_cells": self.n_missing_cells,
            "missing_by_time": [
                {"time": float(t), "n_missing": n} for t, n in self.missing_by_time.items()
            ],
            "columns": [str(c) for c in self.data.columns],
            "unlisted": list(self.unlisted),
        }


def _listed_group(
    df: pd.DataFrame, columns: tuple[str, ...], groups: list[StubGroup]
) -> list[StubGroup]:
    """The one stub group made of exactly the ``columns`` named."""
    require_columns(df, list(columns), role="repeated-measure column")
    parsed = [_SUFFIX.match(str(c)) for c in columns]
    if any(m is None for m in parsed) or len({m["prefix"] for m in parsed}) != 1:
        raise LmmInputError(
            f"The columns {_fmt_names(columns)} do not share a name with numbered endings "
            "(like pain_0, pain_1); name columns of one measure, or say `reshape to long` "
            "to find them."
        )
    if len(columns) < 2 or len(set(columns)) != len(columns):
        raise LmmInputError("Name at least two different columns of the repeated measure.")
    items = sorted((float(m["number"]), str(c)) for m, c in zip(parsed, columns, strict=True))
    if len({t for t, _ in items}) != len(items):
        raise LmmInputError(
            f"The columns {_fmt_names(columns)} end in the same number, so their times "
            "cannot be told apart."
        )
    prefix = parsed[0]["prefix"]
    return [StubGroup(stub=_stub_of_prefix(prefix), prefix=prefix,
                      columns=tuple(c for _, c in items), times=tuple(t for t, _ in items))]


def reshape_long(
    df: pd.DataFrame,
    id_column: str | None = None,
    stub: str | None = None,
    time_name: str = "time",
    value_name: str | None = None,
    columns: tuple[str, ...] = (),
) -> ReshapeResult:
    """Wide to long (one row per subject and time), as R's ``reshape(direction="long")``.

    Repeated-measure columns are found from a common stub with a numeric suffix
    (``pain_0, pain_1, pain_3, pain_6`` or ``pain_m0, …``); the suffix becomes ``time_name``.
    Several stubs with the same times are reshaped together. All other columns stay as
    between-subject columns. Missing wide cells are left out of the long frame and counted.

    ``columns`` names the wide columns of the measure exactly ("pain_0 pain_1 pain_3 are
    the visits"): they must share one stub; other columns of that stub stay as
    between-subject columns (``ReshapeResult.unlisted`` names them).
    """
    groups = find_stub_groups(df)
    unlisted: list[str] = []
    if columns:
        groups = _listed_group(df, columns, groups)
        listed = set(groups[0].columns)
        unlisted = [c for g in find_stub_groups(df) if g.prefix == groups[0].prefix
                    for c in g.columns if c not in listed]
    if stub is not None:
        wanted = stub.strip()
        groups = [g for g in groups if wanted in (g.stub, g.prefix, g.prefix.rstrip(_SEPARATORS))]
        if not groups:
            raise LmmInputError(
                f"No numbered columns start with '{stub}' (like {stub}_1, {stub}_2); "
                f"the columns are {_fmt_names(df.columns)}."
            )
    if not groups:
        raise LmmInputError(
            "The data already look long: no group of numbered columns such as pain_0, pain_1 "
            "was found, so fit the model on them as they are."
        )
    if len({g.times for g in groups}) > 1:
        raise LmmInputError(
            f"There are several groups of numbered columns ({_fmt_names(g.stub for g in groups)}) "
            "with different times; say which one to reshape, for example 'reshape "
            f"{groups[0].stub} to long'."
        )
    stubs = [g.stub for g in groups]
    if len(set(stubs)) != len(stubs):
        raise LmmInputError(
            f"The numbered columns {_fmt_names(g.prefix + '…' for g in groups)} share the name "
            f"'{stubs[0]}'; say which prefix to reshape."
        )
    if value_name is not None and len(groups) > 1:
        raise LmmInputError(
            f"A single value name cannot hold {len(groups)} measures ({_fmt_names(stubs)}); "
            "leave the value name out or say which measure to reshape."
        )
    value_names = [value_name] if value_name is not None else stubs
    repeated = [c for g in groups for c in g.columns]
    others = [str(c) for c in df.columns if str(c) not in repeated]

    id_created = False
    if id_column is None:
        id_column = _guess_wide_id(df, others)
        if id_column is None:
            id_column, id_created = _fresh_name("id", df.columns), True
    else:
        require_columns(df, [id_column], role="id column")
        if df[id_column].isna().any() or df[id_column].duplicated().any():
            raise LmmInputError(
                f"The id column '{id_column}' repeats, so the data already look long; "
                "fit the model on them as they are."
            )
    for new in [time_name, *value_names]:
        if new in others:
            raise LmmInputError(
                f"The data already have a column '{new}'; choose another name for the new "
                "column, for example 'reshape to long with time called visit'."
            )
    if len({time_name, *value_names}) != 1 + len(value_names):
        raise LmmInputError(
            f"The time column and the value column cannot both be called '{time_name}'; "
            "pick two different names."
        )

    wide = df.copy()
    if id_created:
        wide.insert(0, id_column, np.arange(1, len(df) + 1))
    between = [c for c in others if c != id_column]
    times = list(groups[0].times)
    time_values = [int(t) if float(t).is_integer() else t for t in times]

    pieces = []
    missing_by_time: dict[float, int] = {}
    for position, t in enumerate(time_values):
        block = wide[[id_column]].copy()
        block[time_name] = t
        for name, group in zip(value_names, groups, strict=True):
            block[name] = wide[group.columns[position]].to_numpy()
        for col in between:
            block[col] = wide[col].to_numpy()
        block["_row"] = np.arange(len(wide))
        absent = block[value_names].isna().all(axis=1)
        missing_by_time[float(t)] = int(block[value_names].isna().sum().sum())
        pieces.append(block[~absent])
    long = pd.concat(pieces, ignore_index=True)
    long = long.sort_values(["_row", time_name], kind="stable").drop(columns="_row")
    long = long.reset_index(drop=True)
    return ReshapeResult(
        unlisted=unlisted,
        data=long,
        id_column=id_column,
        id_created=id_created,
        time_name=time_name,
        time_values=[float(t) for t in times],
        value_columns={n: list(g.columns) for n, g in zip(value_names, groups, strict=True)},
        between_columns=between,
        n_subjects=int(len(df)),
        n_rows_wide=int(len(df)),
        n_rows_long=int(len(long)),
        n_missing_cells=int(sum(missing_by_time.values())),
        missing_by_time=missing_by_time,
    )


def _guess_wide_id(df: pd.DataFrame, others: list[str]) -> str | None:
    """A column unique per row (id-like names first); ``None`` when there is none.

    With no unique column, a subject-like column that repeats (``patient`` listed twice)
    means the data are long already; a repeating cluster (``school``, ``group``) does not.
    """
    named = [c for c in others if _name_matches(c, _ID_WORDS)]
    unique = [
        c for c in others
        if df[c].notna().all() and df[c].is_unique
        and not (_is_numeric(df[c]) and _has_fractions(df[c]))
    ]
    for c in named:
        if c in unique:
            return c
    if unique:
        return unique[0]
    for c in named:
        if _name_matches(c, _SUBJECT_WORDS) and df[c].duplicated().any():
            raise LmmInputError(
                f"The column '{c}' repeats, so the data already look long; fit the model on "
                "them as they are, or name the id column if I guessed wrong."
            )
    return None


def _fresh_name(base: str, taken: Iterable[object]) -> str:
    names = {str(t) for t in taken}
    candidate, k = base, 1
    while candidate in names:
        k += 1
        candidate = f"{base}{k}"
    return candidate


# --------------------------------------------------------------------------- transforms
TransformOperation = Literal["center", "scale", "standardize", "log", "factor", "days"]
TRANSFORM_OPERATIONS: tuple[str, ...] = (
    "center", "scale", "standardize", "log", "factor", "days"
)


@dataclass(frozen=True)
class ColumnTransform:
    """What was done to one column, with the state needed to repeat it on new data.

    ``center`` is the mean subtracted (center, standardize), ``scale`` the sample SD
    (ddof 1, as R's ``scale()``) divided by (scale, standardize); ``levels`` are the factor
    levels (factor); ``origin`` is the first date (ISO 8601) that ``days`` counts from (a
    date column becomes the days since it, fractions of a day included). Following
    formulaic's stateful transforms, :meth:`apply` reuses these values instead of
    recomputing them.
    """

    column: str
    operation: TransformOperation
    center: float | None = None
    scale: float | None = None
    levels: list[str] | None = None
    origin: str | None = None

    def apply(self, values: pd.Series) -> pd.Series:
        """Transform ``values`` with the stored mean, SD, levels or first date."""
        if self.operation == "days":
            dates = as_dates(values)
            if dates is None:
                raise LmmInputError(
                    f"The column '{self.column}' does not hold dates, so it cannot be turned "
                    "into days; choose a column of dates."
                )
            return (dates - pd.Timestamp(self.origin)) / pd.Timedelta(days=1)
        if self.operation == "factor":
            return pd.Categorical(values.astype(object).map(_level_text), categories=self.levels)
        if self.operation == "log":
            return np.log(values.astype(float))
        result = values.astype(float)
        if self.center is not None:
            result = result - self.center
        if self.scale is not None:
            result = result / self.scale
        return result

    def to_dict(self) -> dict:
        return {
            "column": self.column, "operation": self.operation,
            "center": self.center, "scale": self.scale,
            "levels": list(self.levels) if self.levels is not None else None,
            "origin": self.origin,
        }


@dataclass(frozen=True)
class TransformResult:
    """A copy of the data with the named columns replaced in place, and the record of it."""

    data: pd.DataFrame
    operation: TransformOperation
    transforms: list[ColumnTransform]

    def to_dict(self) -> dict:
        return {
            "kind": "transform",
            "operation": self.operation,
            "columns": [t.to_dict() for t in self.transforms],
        }


def _level_text(value: object) -> object:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return np.nan
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def transform_columns(
    df: pd.DataFrame, operation: str, columns: str | Sequence[str]
) -> TransformResult:
    """Center, scale (divide by the SD), standardize, log or make a factor of columns, or
    turn date columns into the days since their first date (``days``).

    Columns are replaced in place in a copy of ``df``; the means and SDs used are recorded
    (stateful, as formulaic's ``center``/``scale``). SDs are sample SDs (ddof 1) as in R's
    ``scale()``; missing values stay missing and are ignored in the mean and SD.
    """
    op = operation.strip().lower()
    if op == "standardise":
        op = "standardize"
    if op not in TRANSFORM_OPERATIONS:
        raise LmmInputError(
            f"'{operation}' is not a transform I know; use one of "
            f"{', '.join(TRANSFORM_OPERATIONS)}."
        )
    names = [columns] if isinstance(columns, str) else list(columns)
    if not names:
        raise LmmInputError(f"Say which columns to {op}, for example '{op} age'.")
    require_columns(df, names)
    out = df.copy()
    records: list[ColumnTransform] = []
    for name in dict.fromkeys(names):
        record = _plan_transform(df[name], name, op)
        out[name] = record.apply(df[name])
        records.append(record)
    out.attrs[TRANSFORMS_ATTR] = (*applied_transforms(df), *records)
    return TransformResult(data=out, operation=op, transforms=records)  # type: ignore[arg-type]


#: The key of ``DataFrame.attrs`` under which :func:`transform_columns` keeps the record of
#: every transform the frame went through, oldest first. pandas carries ``attrs`` over to
#: copies and row subsets, so a subset of centred data still says it was centred.
TRANSFORMS_ATTR = "lmm_column_transforms"


def applied_transforms(frame: pd.DataFrame) -> tuple[ColumnTransform, ...]:
    """The transforms (:func:`transform_columns`) that made ``frame``, oldest first."""
    return tuple(frame.attrs.get(TRANSFORMS_ATTR, ()))


def _plan_transform(series: pd.Series, name: str, op: str) -> ColumnTransform:
    if op == "factor":
        if isinstance(series.dtype, pd.CategoricalDtype):
            levels = [str(v) for v in series.cat.categories]
        else:
            present = series.dropna()
            if _is_numeric(present):
                levels = [_level_text(v) for v in sorted(present.unique())]
            else:
                levels = sorted({str(v) for v in present})
        return ColumnTransform(column=name, operation="factor", levels=levels)
    if op == "days":
        dates = as_dates(series)
        if dates is None or dates.isna().all():
            raise LmmInputError(
                f"The column '{name}' does not hold dates, so it cannot be turned into days; "
                "choose a column of dates."
            )
        return ColumnTransform(column=name, operation="days", origin=dates.min().isoformat())
    if not _is_numeric(series):
        if as_dates(series) is not None:
            raise LmmInputError(
                f"The column '{name}' holds dates, so it cannot be {_past(op)}; turn it into "
                f"a number first with `convert {name} to days`."
            )
        raise LmmInputError(
            f"The column '{name}' is not numeric, so it cannot be {_past(op)}; "
            "choose a numeric column."
        )
    values = series.dropna().to_numpy(dtype=float)
    if values.size == 0:
        raise LmmInputError(f"The column '{name}' has no values; choose a column with data.")
    infinite = int(np.isinf(values).sum())
    if infinite:
        raise LmmInputError(
            f"The column '{name}' holds {infinite} infinite value(s), so it cannot be "
            f"{_past(op)}; replace them with finite numbers or mark them as missing first."
        )
    if op == "log":
        bad = values[values <= 0]
        if bad.size:
            raise LmmInputError(
                f"The column '{name}' has {bad.size} value(s) at or below zero (smallest "
                f"{bad.min():g}), so it has no logarithm; use log1p({name}) in the formula or "
                "shift it to be positive."
            )
        return ColumnTransform(column=name, operation="log")
    mean = float(values.mean())
    sd = float(values.std(ddof=1)) if values.size > 1 else 0.0
    if op in ("scale", "standardize") and not sd > 0:
        raise LmmInputError(
            f"The column '{name}' does not vary (its SD is 0), so it cannot be scaled; "
            "leave it out or only center it."
        )
    if op == "center":
        return ColumnTransform(column=name, operation="center", center=mean)
    if op == "scale":
        return ColumnTransform(column=name, operation="scale", scale=sd)
    return ColumnTransform(column=name, operation="standardize", center=mean, scale=sd)


def _past(op: str) -> str:
    return {"center": "centered", "scale": "scaled", "standardize": "standardized",
            "log": "logged"}.get(op, op)
