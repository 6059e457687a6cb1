"""Our own evaluation of the whitelisted formula functions (never ``eval``).

Every function a formula may call is listed in ``grammar.formula.FORMULA_FUNCTIONS``;
this module holds one numpy implementation per name, and checks at import time that
the two lists agree. Arithmetic inside a call (``I(x^2)``, ``log(x + 1)``) is
evaluated by walking the formula AST.

Stateful transforms remember what they learned from the fitting data, so that
predictions on new data reuse it, as R's ``makepredictcall`` does:

* ``scale(x)`` and ``center(x)``: the mean (and R's SD, denominator n - 1);
* ``poly(x, d)``: R's orthogonal polynomial (``stats::poly``, QR of the centred
  Vandermonde matrix) and its three-term recurrence coefficients ``alpha``/``norm2``;
* ``factor(x)``: the levels seen in the fit.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from engine.errors import LmmInputError
from grammar.formula import FORMULA_FUNCTIONS, BinOp, Call, Expr, Neg, Num, Var


@dataclass
class TransformState:
    """What stateful transforms learned from the fitting data, keyed by call text."""

    centers: dict[str, float] = field(default_factory=dict)
    scales: dict[str, float] = field(default_factory=dict)
    poly_coefs: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    factor_levels: dict[str, list] = field(default_factory=dict)


@dataclass(frozen=True, eq=False)
class Factor:
    """A factor as R stores one: a 0-based level code per row (-1 when missing) and the
    level labels in order. Lighter than ``pd.Categorical``, whose construction validates
    its categories and costs more than a whole small design."""

    codes: np.ndarray
    levels: list[str]

    def __len__(self) -> int:
        return self.codes.shape[0]

    def without_unused_levels(self) -> Factor:
        """The same factor with the levels no row uses left out (R's ``droplevels``)."""
        counts = np.bincount(self.codes + 1, minlength=len(self.levels) + 1)[1:]
        if np.count_nonzero(counts) == len(self.levels):
            return self
        used = np.flatnonzero(counts)
        new_code = np.full(len(self.levels) + 1, -1, dtype=np.int64)
        new_code[used] = np.arange(used.size)
        return Factor(new_code[self.codes], [self.levels[i] for i in used])

    def labels(self) -> np.ndarray:
        """The label of every row (object array; ``None`` where the value is missing)."""
        table = np.array([*self.levels, None], dtype=object)
        return table[self.codes]

    def to_categorical(self) -> pd.Categorical:
        return pd.Categorical.from_codes(self.codes, categories=self.levels)


Value = np.ndarray | Factor | float
#: A column's values as pandas stores them: a NumPy array or an extension array.
ColumnArray = np.ndarray | pd.api.extensions.ExtensionArray


class ModelColumns:
    """The model's variables on the rows a fit keeps, looked up by name as in a DataFrame.

    Holds each variable's values as stored (:func:`column_array`), so no DataFrame or
    Series is built just to read columns, and evaluates each column once however many
    terms use it (``(1 | a/b)`` reads ``a`` twice).
    """

    def __init__(self, columns: dict[str, ColumnArray], n_rows: int) -> None:
        self._columns = columns
        self._n_rows = n_rows
        self._values: dict[str, np.ndarray | Factor] = {}

    def __getitem__(self, name: str) -> ColumnArray:
        return self._columns[name]

    def __len__(self) -> int:
        return self._n_rows

    def value(self, name: str) -> np.ndarray | Factor:
        """``array_value`` of a column, computed once."""
        if name not in self._values:
            self._values[name] = array_value(self._columns[name])
        return self._values[name]


def _numeric(value: Value, what: str) -> np.ndarray | float:
    if isinstance(value, Factor):
        raise LmmInputError(
            f"{what} needs numbers, but it was given a categorical variable; "
            "use a numeric column there."
        )
    return value


def _elementwise(fn: Callable[[np.ndarray], np.ndarray]) -> Callable:
    def apply(call: Call, args: list[Value], state: TransformState, fitting: bool) -> Value:
        x = np.asarray(_numeric(args[0], f"{call.func}()"), dtype=float)
        with np.errstate(all="ignore"):
            return fn(x)

    return apply


def _center(call: Call, args: list[Value], state: TransformState, fitting: bool) -> Value:
    key = call.text()
    x = np.asarray(_numeric(args[0], "center()"), dtype=float)
    if fitting or key not in state.centers:
        state.centers[key] = float(np.mean(x))
    return x - state.centers[key]


def _scale(call: Call, args: list[Value], state: TransformState, fitting: bool) -> Value:
    """R's ``scale(x)``: centre on the mean and divide by the SD (denominator n - 1)."""
    key = call.text()
    x = np.asarray(_numeric(args[0], "scale()"), dtype=float)
    if fitting or key not in state.centers:
        sd = float(np.std(x, ddof=1)) if x.size > 1 else 0.0
        if not np.isfinite(sd) or sd == 0.0:
            raise LmmInputError(
                f"{key} cannot be computed because the values do not vary; "
                "leave that variable out or use center() instead."
            )
        state.centers[key] = float(np.mean(x))
        state.scales[key] = sd
    return (x - state.centers[key]) / state.scales[key]


def _identity(call: Call, args: list[Value], state: TransformState, fitting: bool) -> Value:
    return args[0]


def _factor(call: Call, args: list[Value], state: TransformState, fitting: bool) -> Value:
    """R's ``factor(x)``: numeric values sort numerically, text sorts as text."""
    key = call.text()
    value = args[0]
    if isinstance(value, Factor):
        uniques, inverse = _distinct(value.labels())
    else:
        uniques, inverse = _distinct(np.asarray(value))
    if fitting or key not in state.factor_levels:
        state.factor_levels[key] = sorted(uniques)
    levels = state.factor_levels[key]
    position = {level: i for i, level in enumerate(levels)}
    known = np.array([position.get(u, -1) for u in uniques], dtype=np.int64)
    codes = known[inverse]
    if (codes < 0).any():
        raise LmmInputError(
            f"{key} has values that were not seen when the model was fitted; "
            "predict only for levels present in the fitting data."
        )
    return Factor(codes, [format_level(v) for v in levels])


def _distinct(values: np.ndarray) -> tuple[list, np.ndarray]:
    """The distinct values (as Python objects, in order of appearance) and each row's index."""
    inverse, uniques = pd.factorize(values, sort=False, use_na_sentinel=False)
    return uniques.tolist(), np.asarray(inverse, dtype=np.int64)


def poly_fit(x: np.ndarray, degree: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """R's ``poly(x, degree)``: returns (basis n x degree, alpha, norm2).

    As in ``stats::poly``: QR-decompose the Vandermonde matrix of centred x, keep
    Q scaled by diag(R) (the monic orthogonal polynomials), then normalise each
    column to unit length. ``alpha`` and ``norm2`` are the recurrence coefficients
    R stores in the ``coefs`` attribute and uses for prediction.
    """
    if degree >= np.unique(x).size:
        raise LmmInputError(
            f"poly(x, {degree}) needs more distinct values of x than the degree "
            f"({np.unique(x).size} distinct values); lower the degree."
        )
    xbar = float(np.mean(x))
    xc = x - xbar
    vander = np.vander(xc, degree + 1, increasing=True)
    q, r = np.linalg.qr(vander)
    z = q * np.diag(r)
    norm2 = np.sum(z**2, axis=0)
    alpha = (np.sum(xc[:, None] * z**2, axis=0) / norm2 + xbar)[:degree]
    norm2_full = np.concatenate([[1.0], norm2])
    basis = z / np.sqrt(norm2_full[1:])
    return basis[:, 1:], alpha, norm2_full


def poly_predict(x: np.ndarray, alpha: np.ndarray, norm2: np.ndarray) -> np.ndarray:
    """Evaluate R's orthogonal polynomial at new x with the stored recurrence."""
    degree = alpha.size
    z = np.ones((x.size, degree + 1))
    z[:, 1] = x - alpha[0]
    for i in range(1, degree):
        z[:, i + 1] = (x - alpha[i]) * z[:, i] - (norm2[i + 1] / norm2[i]) * z[:, i - 1]
    return z[:, 1:] / np.sqrt(norm2[2:])


def _poly(call: Call, args: list[Value], state: TransformState, fitting: bool) -> Value:
    key = call.text()
    x = np.asarray(_numeric(args[0], "poly()"), dtype=float)
    degree = int(np.asarray(args[1]).item())
    if fitting or key not in state.poly_coefs:
        basis, alpha, norm2 = poly_fit(x, degree)
        state.poly_coefs[key] = (alpha, norm2)
        return basis
    alpha, norm2 = state.poly_coefs[key]
    return poly_predict(x, alpha, norm2)


#: One implementation per whitelisted name.
IMPLEMENTATIONS: dict[str, Callable[[Call, list[Value], TransformState, bool], Value]] = {
    "log": _elementwise(np.log),
    "log2": _elementwise(np.log2),
    "log10": _elementwise(np.log10),
    "log1p": _elementwise(np.log1p),
    "exp": _elementwise(np.exp),
    "sqrt": _elementwise(np.sqrt),
    "abs": _elementwise(np.abs),
    "scale": _scale,
    "center": _center,
    "I": _identity,
    "factor": _factor,
    "as.factor": _factor,
    "poly": _poly,
}

assert set(IMPLEMENTATIONS) == set(FORMULA_FUNCTIONS), "transforms and whitelist disagree"


def format_level(value: object) -> str:
    """A level label as R prints it: whole numbers without a trailing ``.0``."""
    if isinstance(value, float | np.floating) and np.isfinite(value) and value == int(value):
        return str(int(value))
    if isinstance(value, bool | np.bool_):
        return "TRUE" if value else "FALSE"
    return str(value)


_ARITHMETIC = {
    "+": np.add,
    "-": np.subtract,
    "*": np.multiply,
    "/": np.divide,
    "^": np.power,
}


def evaluate(
    expr: Expr, data: pd.DataFrame | ModelColumns, state: TransformState, *, fitting: bool = True
) -> Value:
    """Value of a formula expression on ``data``: a column, a number or a call.

    Columns come back as float arrays when numeric and as a ``Factor`` when they are
    factors (text, categorical or boolean columns).
    """
    if isinstance(expr, Var):
        return column_value(data, expr.name)
    if isinstance(expr, Num):
        return float(expr.value)
    if isinstance(expr, Neg):
        return -np.asarray(_numeric(evaluate(expr.operand, data, state, fitting=fitting), "-"))
    if isinstance(expr, BinOp):
        if expr.op not in _ARITHMETIC:
            raise LmmInputError(f"The operator {expr.op!r} is not arithmetic here.")
        left = _numeric(evaluate(expr.left, data, state, fitting=fitting), f"'{expr.op}'")
        right = _numeric(evaluate(expr.right, data, state, fitting=fitting), f"'{expr.op}'")
        with np.errstate(all="ignore"):
            return _ARITHMETIC[expr.op](np.asarray(left, float), np.asarray(right, float))
    if isinstance(expr, Call):
        args = [evaluate(a, data, state, fitting=fitting) for a in expr.args]
        value = IMPLEMENTATIONS[expr.func](expr, args, state, fitting)
        if not isinstance(value, Factor):
            value = np.broadcast_to(np.asarray(value, dtype=float), _shape(value, len(data)))
            if not np.all(np.isfinite(value)):
                bad = int(np.sum(~np.isfinite(value).reshape(len(data), -1).all(axis=1)))
                raise LmmInputError(
                    f"{expr.text()} is not a finite number for {bad} row(s) (for example "
                    "the log of zero or of a negative value); transform the column so that "
                    "it is defined everywhere, or drop those rows."
                )
        return value
    raise LmmInputError("A random-effects term cannot be used as a value.")


def _shape(value: object, n: int) -> tuple[int, ...]:
    arr = np.asarray(value)
    if arr.ndim == 2:
        return arr.shape
    return (n,)


def is_factor_column(series: pd.Series) -> bool:
    """R's rule: text, categorical and logical columns are factors."""
    return is_factor_dtype(series.dtype)


def is_factor_dtype(dtype: object) -> bool:
    """``is_factor_column`` for a column's dtype."""
    if isinstance(dtype, np.dtype):
        return dtype.kind not in "iufc"
    return not pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype)


def column_value(data: pd.DataFrame | ModelColumns, name: str) -> np.ndarray | Factor:
    """A column as floats, or as a ``Factor`` with text labels (see ``series_value``)."""
    if isinstance(data, ModelColumns):
        return data.value(name)
    return series_value(data[name])


def column_array(series: pd.Series) -> ColumnArray:
    """A column's values as pandas stores them: a NumPy array for numbers, booleans and
    objects, else the pandas array (categorical, nullable, Arrow-backed, dates)."""
    dtype = series.dtype
    if isinstance(dtype, np.dtype) and dtype.kind in "biufcO":
        return series.to_numpy()
    return series.array


def series_value(series: pd.Series) -> np.ndarray | Factor:
    """A column's values as floats, or as a ``Factor`` with text labels (``array_value``)."""
    return array_value(column_array(series))


def as_floats(values: ColumnArray) -> np.ndarray:
    """``Series.to_numpy(dtype=float)`` on a column's stored values: extension arrays
    convert themselves; a NumPy array that is already float comes back as a read-only
    view, as pandas returns it, so nothing writes into the caller's data."""
    if not isinstance(values, np.ndarray):
        return values.to_numpy(dtype=float)
    result = np.asarray(values, dtype=float)
    if result is values or np.shares_memory(values[:2], result[:2]):
        result = result.view()
        result.flags.writeable = False
    return result


def array_value(values: ColumnArray) -> np.ndarray | Factor:
    """A column's values as floats, or as a ``Factor`` with text labels.

    Levels of text columns sort as text, numbers numerically, booleans FALSE < TRUE;
    a pandas categorical keeps its own level order (R's factor levels) without the
    levels no row uses. Only the distinct values are formatted, so this stays fast on
    millions of rows. Missing values get the code -1.
    """
    dtype = values.dtype
    if not is_factor_dtype(dtype):
        return as_floats(values)
    if isinstance(dtype, pd.CategoricalDtype):
        categories = dtype.categories
        codes = np.asarray(values.codes, dtype=np.int64)
        if isinstance(categories.dtype, pd.StringDtype):
            return Factor(codes, categories.tolist()).without_unused_levels()
        if pd.api.types.is_numeric_dtype(categories.dtype) or categories.dtype == bool:
            labels = [format_level(v) for v in categories]
        else:
            labels = [str(v) for v in categories.to_numpy(dtype=object)]
        return _checked_factor(Factor(codes, labels).without_unused_levels())
    short_text = _short_text_factor(values)
    if short_text is not None:
        return short_text
    codes, uniques = _factorize(values)
    text = all(type(value) is str for value in uniques)
    if text:
        order = sorted(range(len(uniques)), key=uniques.__getitem__)
        labels = [uniques[i] for i in order]
    else:
        order = sorted(range(len(uniques)), key=lambda i: _level_key(uniques[i]))
        labels = [format_level(uniques[i]) for i in order]
    rank = np.full(len(uniques) + 1, -1, dtype=np.int64)
    rank[order] = np.arange(len(uniques))
    factor = Factor(rank[codes], labels)
    return factor if text else _checked_factor(factor)


#: Arrow-backed text columns up to this many rows are numbered in Python (``_factorize``).
SHORT_TEXT_ROWS = 1_500


#: Up to this many rows a text column is numbered in Python (``_short_text_factor``).
#: Arrow's dictionary encoding takes fewer instructions from ~130 rows on, but inside a
#: fit it costs a fixed ~0.1 ms of wall time and more on a busy machine (sleepstudy's
#: 180-row Subject: whole fit 0.95 -> 0.82 ms, penicillin 5.9 -> 1.9 ms at load 8);
#: numbering in Python costs ~0.25 us a row, so the two meet at about 300-400 rows.
PYTHON_TEXT_ROWS = 300


def _short_text_factor(values: ColumnArray) -> Factor | None:
    """The factor of a short Arrow-backed text column without missing values, else None.

    The same codes and levels as numbering the values in order of appearance and then
    sorting the levels (``array_value``), in fewer steps: up to ``PYTHON_TEXT_ROWS`` rows
    the levels are the sorted set of the values and each row's code is looked up in C
    (``map`` over a dict); longer columns are numbered by Arrow's dictionary encoding
    (in order of appearance), whose codes are then ranked by the sorted levels.
    """
    if not isinstance(values, pd.arrays.ArrowStringArray) or len(values) > SHORT_TEXT_ROWS:
        return None
    arrow = values.__arrow_array__()
    if arrow.null_count:
        return None
    if len(values) > PYTHON_TEXT_ROWS:
        chunk = arrow.chunk(0) if arrow.num_chunks == 1 else arrow.combine_chunks()
        encoded = chunk.dictionary_encode()
        uniques = encoded.dictionary.to_pylist()
        order = sorted(range(len(uniques)), key=uniques.__getitem__)
        rank = np.empty(len(uniques), dtype=np.int64)
        rank[order] = np.arange(len(uniques))
        return Factor(rank[np.asarray(encoded.indices)], [uniques[i] for i in order])
    rows = arrow.to_pylist()
    levels = sorted(set(rows))
    position = {level: code for code, level in enumerate(levels)}
    codes = np.fromiter(map(position.__getitem__, rows), dtype=np.int64, count=len(rows))
    return Factor(codes, levels)


def _factorize(values: ColumnArray) -> tuple[np.ndarray, list]:
    """``pd.factorize``: a code per row (-1 when missing) and the distinct values in order
    of appearance.

    Arrow-backed text skips pandas' conversions. A short column is read as Python strings
    and numbered with a dict: Arrow's dictionary encoding costs a fixed ~0.1 ms a call
    in a fit, which the dict only reaches at ~2,000 rows; longer columns use it.
    """
    if isinstance(values, pd.arrays.ArrowStringArray):
        if len(values) <= SHORT_TEXT_ROWS:
            rows = values.__arrow_array__().to_pylist()
            position: dict[str | None, int] = {}
            codes = [position.setdefault(v, len(position)) for v in rows]
            numbered = np.array(codes, dtype=np.int64)
            missing = position.pop(None, None)
            if missing is not None:  # None (missing) gets -1; the codes after it move down
                numbered = np.where(numbered == missing, -1, numbered - (numbered > missing))
            return numbered, list(position)
        encoded = values.__arrow_array__().combine_chunks().dictionary_encode()
        indices = encoded.indices
        if indices.null_count:
            indices = indices.fill_null(-1)
        return indices.to_numpy().astype(np.int64), encoded.dictionary.to_pylist()
    codes, uniques = pd.factorize(values, sort=False)
    return codes, uniques.tolist()


def _checked_factor(factor: Factor) -> Factor:
    """Refuse two levels that print alike (``1`` and ``"1"`` in one column)."""
    if len(set(factor.levels)) < len(factor.levels):
        twice = next(level for level in factor.levels if factor.levels.count(level) > 1)
        raise LmmInputError(
            f"A factor holds different values that all read '{twice}'; make that column "
            "all text or all numbers."
        )
    return factor


def _level_key(value: object) -> tuple:
    if isinstance(value, bool | np.bool_):
        return (0, int(value), "")
    if isinstance(value, int | float | np.integer | np.floating):
        return (1, float(value), "")
    return (2, 0.0, str(value))
