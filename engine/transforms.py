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


Value = np.ndarray | pd.Categorical | float


def _numeric(value: Value, what: str) -> np.ndarray | float:
    if isinstance(value, pd.Categorical):
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
    if isinstance(value, pd.Categorical):
        raw = np.asarray(value.astype(object))
    else:
        raw = np.asarray(value)
    if fitting or key not in state.factor_levels:
        state.factor_levels[key] = sorted(pd.unique(raw).tolist())
    levels = state.factor_levels[key]
    labels = [format_level(v) for v in levels]
    codes = pd.Categorical(raw, categories=levels).codes
    if (codes < 0).any():
        raise LmmInputError(
            f"{key} has values that were not seen when the model was fitted; "
            "predict only for levels present in the fitting data."
        )
    return pd.Categorical.from_codes(codes, categories=labels)


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
    expr: Expr, data: pd.DataFrame, state: TransformState, *, fitting: bool = True
) -> Value:
    """Value of a formula expression on ``data``: a column, a number or a call.

    Columns come back as float arrays when numeric and as ``pd.Categorical`` when
    they are factors (text, categorical or boolean columns).
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
        if not isinstance(value, pd.Categorical):
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
    return not pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series)


def column_value(data: pd.DataFrame, name: str) -> np.ndarray | pd.Categorical:
    """A column as floats, or as a factor (``pd.Categorical`` with text labels).

    Levels of text columns sort as text, numbers numerically, booleans FALSE < TRUE;
    a pandas categorical keeps its own level order (R's factor levels). Only the
    distinct values are formatted, so this stays fast on millions of rows.
    """
    series = data[name]
    if not is_factor_column(series):
        return series.to_numpy(dtype=float)
    if isinstance(series.dtype, pd.CategoricalDtype):
        cat = series.cat.remove_unused_categories()
        categories = cat.cat.categories
        if pd.api.types.is_numeric_dtype(categories.dtype) or categories.dtype == bool:
            labels = [format_level(v) for v in categories]
        else:
            labels = [str(v) for v in categories.to_numpy(dtype=object)]
        return pd.Categorical.from_codes(cat.cat.codes.to_numpy(), categories=labels)
    codes, uniques = pd.factorize(series, sort=False)
    uniques = list(uniques)
    order = sorted(range(len(uniques)), key=lambda i: _level_key(uniques[i]))
    rank = np.empty(len(uniques), dtype=np.int64)
    rank[order] = np.arange(len(uniques))
    labels = [format_level(uniques[i]) for i in order]
    return pd.Categorical.from_codes(rank[codes], categories=labels)


def _level_key(value: object) -> tuple:
    if isinstance(value, bool | np.bool_):
        return (0, int(value), "")
    if isinstance(value, int | float | np.integer | np.floating):
        return (1, float(value), "")
    return (2, 0.0, str(value))
