"""From a parsed lme4 formula and a DataFrame to the model's matrices.

* Columns are read one by one as pandas stores them (``read_columns``, ``ModelColumns``),
  never copied into a DataFrame first and never wrapped in a Series; every whitelisted
  call is evaluated by ``engine.transforms`` into named columns (float arrays or
  ``Factor``s, ``EvaluatedColumns``).
* Treatment coding (first level as the reference) is built directly for the common
  shapes; other fixed parts go through formulaic, which only ever sees plain
  backtick-quoted names of the evaluated columns.
* Random terms become ``RandomTermDesign`` objects: the term's own model matrix
  (n x s), its grouping factor as integer codes and level labels. Level labels of an
  interaction grouping factor join the values with ``:`` (lme4's ``a:b``).
* Rows with a missing value in any model variable are dropped and counted, and
  aliased fixed-effect columns are dropped as lme4 does (pivoted QR, tol 1e-7).
"""

from __future__ import annotations

import copy
import itertools
import math
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
from scipy.linalg import lapack

from engine.column_shift import (
    far_on_nonzero,
    indicator_columns,
    indicator_support,
    intercept_column,
)
from engine.data import all_dates, closest_names, stray_text_values, wide_measure_problem
from engine.errors import LmmInputError
from engine.missing_codes import stray_text_fix
from engine.transforms import (
    SHORT_TEXT_ROWS,
    ColumnArray,
    Factor,
    ModelColumns,
    TransformState,
    column_array,
    evaluate,
    format_level,
    is_factor_dtype,
)
from grammar.formula import (
    BinOp,
    Call,
    Expr,
    ModelFormula,
    Neg,
    RandomTerm,
    Term,
    Var,
    variables_in,
)

#: lme4's rank tolerance for the fixed-effects model matrix (``lmerControl``).
RANK_TOLERANCE = 1e-7


@dataclass
class RandomTermDesign:
    """One random-effects term: ``(columns | group)`` evaluated on the model frame."""

    group: str
    columns: list[str]
    levels: list[str]
    codes: np.ndarray
    matrix: np.ndarray
    from_double_bar: bool = False

    @property
    def n_columns(self) -> int:
        return self.matrix.shape[1]

    @property
    def n_levels(self) -> int:
        return len(self.levels)


class ModelFrame:
    """The model frame: the model's variables on the rows the fit used, indexed 0..n-1.

    Built on first use (``table``), as few fits ever need it and building it costs more
    than the rest of a small design. It keeps copies of the columns read for the fit
    (``read_columns`` gives the caller's own arrays), so later edits of the caller's
    DataFrame do not reach it.
    """

    def __init__(
        self, data: pd.DataFrame, columns: dict[str, ColumnArray], keep: np.ndarray | None
    ) -> None:
        self._columns = {name: values.copy() for name, values in columns.items()}
        self._column_index = data.columns
        self._keep = keep
        self._table: pd.DataFrame | None = None

    def table(self) -> pd.DataFrame:
        """``data[variables]`` on the kept rows with a fresh index (the same object on
        every call)."""
        if self._table is None:
            names = list(self._columns)
            subset = pd.DataFrame(dict(enumerate(self._columns.values())))
            subset.columns = self._column_index.take(
                [self._column_index.get_loc(name) for name in names]
            )
            if self._keep is not None:
                subset = subset.loc[self._keep]
            self._table = subset.reset_index(drop=True)
            self._columns = {}
        return self._table

    def source_positions(self, n_source: int) -> np.ndarray:
        """For each row of the model frame, its 0-based position in the data the fit was
        given (``n_source`` rows): the same numbers unless rows were dropped for missing
        values."""
        if self._keep is None:
            return np.arange(n_source)
        return np.flatnonzero(self._keep)


@dataclass
class ModelDesign:
    """Everything the numerical model needs, plus what was dropped on the way."""

    response_name: str
    y: np.ndarray
    X: np.ndarray
    fixed_names: list[str]
    fixed_term_columns: dict[str, list[int]]
    aliased: list[str]
    random_terms: list[RandomTermDesign]
    model_frame: ModelFrame
    n_dropped: int
    dropped_by_variable: dict[str, int]
    state: TransformState = field(default_factory=TransformState)

    @property
    def frame(self) -> pd.DataFrame:
        """The used rows and the model's variables, indexed 0..n-1 (``LmmFit.data``)."""
        return self.model_frame.table()


def build_design(model_formula: ModelFormula, data: pd.DataFrame) -> ModelDesign:
    """Evaluate ``model_formula`` on ``data`` (checks, missing rows, X, y, Z terms)."""
    if not isinstance(data, pd.DataFrame):
        raise LmmInputError("The data must be a table (a pandas DataFrame); load a data set first.")
    variables = model_formula.variables()
    _check_columns_exist(variables + model_formula.written_variables, data)
    stored = read_columns(data, variables)
    missing = {name: _missing_mask(values) for name, values in stored.items()}
    _check_outcome(variables_in(model_formula.response), stored, missing)
    keep, n_dropped, dropped_by_variable = _rows_to_keep(missing, len(data))
    # With every row kept the fit evaluates the stored columns themselves, so the text
    # check can read a column's distinct values from the factor the fit needs anyway.
    every_row = ModelColumns(stored, len(data)) if keep is None else None
    _check_numbers_read_as_text(model_formula, stored, every_row)
    if not model_formula.random_terms:
        raise LmmInputError(
            "The formula has no random-effects term; add one such as (1 | group), "
            "or fit an ordinary linear model instead."
        )

    n = len(data) - n_dropped
    if n == 0:
        empty = [name for name in variables if bool(missing[name].all())]
        if empty:
            names = " and ".join(f"'{name}'" for name in empty)
            raise LmmInputError(
                f"The column {names} has no values (every row is missing); leave "
                f"{'it' if len(empty) == 1 else 'them'} out of the model."
            )
        raise LmmInputError(
            "No row has a value for every variable in the model; check for missing values."
        )
    model_frame = ModelFrame(data, stored, keep)
    if every_row is not None:
        columns = every_row
    else:
        columns = ModelColumns({name: values[keep] for name, values in stored.items()}, n)
    _check_finite(columns, variables)

    state = TransformState()
    learned = keep is not None and _learn_transforms(model_formula, stored, missing, state)
    y_value = evaluate(model_formula.response, columns, state, fitting=not learned)
    if isinstance(y_value, Factor):  # factor(y): its labels read back as numbers
        y_value = y_value.to_categorical()
    y = np.asarray(y_value, dtype=float).reshape(-1)

    private, column_of = _private_frame(model_formula, columns, state, fitting=not learned)
    X, names, term_columns = _fixed_matrix(model_formula, private, column_of)
    X, names, term_columns, aliased = drop_aliased_columns(X, names, term_columns)

    random_terms = [
        _random_term(rt, columns, private, column_of, state) for rt in model_formula.random_terms
    ]
    _check_enough_rows(len(y), X.shape[1], n_dropped)
    _check_grouping(random_terms, len(y))
    return ModelDesign(
        response_name=model_formula.response_label,
        y=y,
        X=X,
        fixed_names=names,
        fixed_term_columns=term_columns,
        aliased=aliased,
        random_terms=random_terms,
        model_frame=model_frame,
        n_dropped=n_dropped,
        dropped_by_variable=dropped_by_variable,
        state=state,
    )


#: Transforms whose result depends on the data they are fitted on.
_STATEFUL_CALLS = frozenset({"center", "scale", "poly"})


def _has_stateful_call(expr: Expr) -> bool:
    if isinstance(expr, Call):
        return expr.func in _STATEFUL_CALLS or any(_has_stateful_call(a) for a in expr.args)
    if isinstance(expr, BinOp):
        return _has_stateful_call(expr.left) or _has_stateful_call(expr.right)
    if isinstance(expr, Neg):
        return _has_stateful_call(expr.operand)
    return False


def _learn_transforms(
    model_formula: ModelFormula,
    stored: dict[str, ColumnArray],
    missing: dict[str, np.ndarray],
    state: TransformState,
) -> bool:
    """Fit ``center``, ``scale`` and ``poly`` on the rows where their own variables are
    present, as R's model frame does before it drops incomplete rows: a row missing only
    the outcome still counts towards the mean, SD or polynomial basis of x. (Fitted on
    the complete rows instead, ``scale(x)`` and ``poly(x, 2)`` gave other coefficients
    and a REML criterion 0.005 and 0.08 off lme4's when y had 3 missing values in 52.)
    Returns whether anything was learned; the caller then reuses ``state``."""
    factors = [model_formula.response]
    for term in model_formula.fixed_terms:
        factors.extend(term.factors)
    for rt in model_formula.random_terms:
        for term in rt.terms:
            factors.extend(term.factors)
    learned = False
    for factor in factors:
        if not _has_stateful_call(factor):
            continue
        names = variables_in(factor)
        present = ~np.logical_or.reduce([missing[name] for name in names]) if names else None
        if present is None or not present.any():
            continue
        rows = ModelColumns({name: stored[name][present] for name in names}, int(present.sum()))
        evaluate(factor, rows, state, fitting=True)
        learned = True
    return learned


def read_columns(data: pd.DataFrame, variables: tuple[str, ...]) -> dict[str, ColumnArray]:
    """Each variable's values as pandas stores them (``column_array``), read straight from
    the frame's blocks (pandas' ``DataFrame._get_column_array``; ``data[name]`` where that
    is unavailable or the name is not a single column).

    A small fit reads only a few columns, but building a Series per column costs more
    than all the checks made on the values. The arrays are the caller's: read only.
    """
    read = getattr(data, "_get_column_array", None)
    out: dict[str, ColumnArray] = {}
    for name in variables:
        loc = data.columns.get_loc(name) if read is not None else None
        out[name] = read(loc) if isinstance(loc, int) else column_array(data[name])
    return out


# ------------------------------------------------------------------- checks
def _check_columns_exist(variables: tuple[str, ...], data: pd.DataFrame) -> None:
    index = data.columns
    if (
        isinstance(index.dtype, pd.StringDtype)
        and index.is_unique
        and all(name in index for name in variables)
    ):
        return
    columns = [str(c) for c in index]
    for name in variables:
        if columns.count(name) > 1:
            raise LmmInputError(
                f"The data have {columns.count(name)} columns named '{name}'; rename them so "
                "that every column has its own name."
            )
        if name in data.columns:
            continue
        wide = wide_measure_problem(data, name)
        if wide is not None:
            raise LmmInputError(wide)
        close = closest_names(name, columns)  # case-insensitive: 'ses' suggests 'SES'
        if close:
            hint = "did you mean " + " or ".join(f"'{c}'" for c in close) + "?"
        else:
            shown = ", ".join(columns[:8]) + (", ..." if len(columns) > 8 else "")
            hint = f"the columns are: {shown}."
        raise LmmInputError(f"The data has no column '{name}'; {hint}")


def _check_outcome(
    response_vars: tuple[str, ...],
    stored: dict[str, ColumnArray],
    missing: dict[str, np.ndarray],
) -> None:
    for name in response_vars:
        if missing[name].all():
            raise LmmInputError(
                f"The outcome '{name}' has no values (every row is missing); "
                "choose a column that holds the measurements."
            )
        if is_factor_dtype(stored[name].dtype):
            stray = stray_text_values(pd.Series(stored[name], copy=False))
            if stray:
                entries = ", ".join(f"'{v}'" for v in stray)
                word = "entry" if len(stray) == 1 else "entries"
                raise LmmInputError(
                    f"The outcome '{name}' was read as text because of the {word} {entries}; "
                    f"{stray_text_fix(stray)}."
                )
            raise LmmInputError(
                f"The outcome '{name}' is not numeric; a linear mixed model needs a numeric "
                "outcome, so choose a numeric column or convert this one to numbers."
            )


#: More distinct numbers than this in a text predictor mean a measurement, not categories.
MAX_NUMERIC_LABELS = 20


def _check_numbers_read_as_text(
    model_formula: ModelFormula,
    stored: dict[str, ColumnArray],
    columns: ModelColumns | None = None,
) -> None:
    """Refuse a bare predictor that holds dates, or measurements turned into text by a
    stray word.

    Used as it is, such a column would become a factor with one coefficient per distinct
    number. A few numeric labels (doses 0, 10, 20 and 'placebo') stay a factor, and
    ``factor(x)`` asks for one explicitly. ``columns``, when given, evaluates the same
    columns as ``stored`` (every row kept): an Arrow text column's distinct values are
    then its factor's levels, which the design reuses.
    """
    terms = list(model_formula.fixed_terms)
    for rt in model_formula.random_terms:
        terms.extend(rt.terms)
    checked: set[str] = set()
    for term in terms:
        for factor in term.factors:
            if not isinstance(factor, Var) or factor.name not in stored:
                continue
            if factor.name in checked:
                continue
            checked.add(factor.name)
            column = stored[factor.name]
            dtype = column.dtype
            dated = pd.api.types.is_datetime64_any_dtype(dtype)
            if not dated and pd.api.types.is_numeric_dtype(dtype):
                continue
            if dated:
                distinct = None
            elif columns is not None and isinstance(column, pd.arrays.ArrowStringArray):
                distinct = list(columns.value(factor.name).levels)
            else:
                distinct = _distinct_text(column)
            if dated or (distinct is not None and all_dates(distinct)):
                raise LmmInputError(
                    f"The predictor '{factor.name}' holds dates, which would enter the model as "
                    "one category per day; use a number instead, such as the days since "
                    f"the first date (the assistant's `convert {factor.name} to days`), or "
                    f"write factor({factor.name}) to keep one category per date."
                )
            # a text column with few values is a factor either way: the check of stray
            # words in numbers needs more than MAX_NUMERIC_LABELS distinct values
            if distinct is None or len(distinct) <= MAX_NUMERIC_LABELS:
                continue
            stray = stray_text_values(pd.Series(column, copy=False))
            if not stray or len(distinct) - len(stray) <= MAX_NUMERIC_LABELS:
                continue
            entries = ", ".join(f"'{v}'" for v in stray)
            word = "entry" if len(stray) == 1 else "entries"
            raise LmmInputError(
                f"The predictor '{factor.name}' holds numbers but was read as text because of "
                f"the {word} {entries}; {stray_text_fix(stray)}."
            )


def _distinct_text(values: ColumnArray) -> list[str] | None:
    """The distinct present values of a text column (None for other kinds), read from the
    column's array: ``Series.unique`` and ``nunique`` cost four times as much on short
    columns."""
    if not (pd.api.types.is_string_dtype(values.dtype) or values.dtype == object):
        return None
    if isinstance(values, pd.arrays.ArrowStringArray) and len(values) <= SHORT_TEXT_ROWS:
        # Arrow's unique and the mask of its result cost ~25 µs on any column; a short
        # one is read as Python strings (None where missing), in order of appearance.
        rows = values.__arrow_array__().to_pylist()
        return [value for value in dict.fromkeys(rows) if value is not None]
    if isinstance(values, np.ndarray):
        distinct = pd.unique(values)
        return [str(v) for v in distinct[~pd.isna(distinct)]]
    distinct = values.unique()
    return [str(v) for v in distinct[~np.asarray(distinct.isna(), dtype=bool)]]


def _missing_mask(values: ColumnArray) -> np.ndarray:
    """Which rows of a column are missing, as ``Series.isna`` tells, read from the values."""
    if isinstance(values, np.ndarray):
        kind = values.dtype.kind
        if kind in "iub":
            return np.zeros(len(values), dtype=bool)
        if kind == "f":
            return np.isnan(values)
        return pd.isna(values)
    return np.asarray(values.isna(), dtype=bool)


def _rows_to_keep(
    missing: dict[str, np.ndarray], n_rows: int
) -> tuple[np.ndarray | None, int, dict[str, int]]:
    """The rows without a missing value (None when that is every row), how many were
    dropped, and the missing count of each variable."""
    by_variable = {name: int(np.count_nonzero(mask)) for name, mask in missing.items()}
    masks = [mask for name, mask in missing.items() if by_variable[name]]
    if not masks:
        return None, 0, by_variable
    keep = ~np.logical_or.reduce(masks) if len(masks) > 1 else ~masks[0]
    return keep, n_rows - int(keep.sum()), by_variable


def _check_finite(columns: ModelColumns, variables: tuple[str, ...]) -> None:
    for name in variables:
        dtype = columns[name].dtype
        if is_factor_dtype(dtype) or (isinstance(dtype, np.dtype) and dtype.kind in "iu"):
            continue
        values = columns.value(name)  # the column as floats, kept for the model
        bad = int(np.count_nonzero(np.isinf(values)))
        if bad:
            raise LmmInputError(
                f"The column '{name}' holds {bad} infinite value(s); replace them with "
                "finite numbers or mark them as missing."
            )


def _check_enough_rows(n: int, p: int, n_dropped: int) -> None:
    """The residual variance needs more observations than fixed-effect coefficients
    (the REML criterion divides by n - p; lme4 refuses such designs too)."""
    if n > p:
        return
    dropped = f" ({n_dropped} row(s) with missing values were left out)" if n_dropped else ""
    raise LmmInputError(
        f"The model has {p} fixed-effect coefficient(s) but only {n} usable observation(s)"
        f"{dropped}, so nothing is left to estimate the variances; use fewer predictors "
        "or more data."
    )


def _check_grouping(terms: list[RandomTermDesign], n: int) -> None:
    seen: set[str] = set()
    for term in terms:
        if term.group in seen:
            continue
        seen.add(term.group)
        if term.n_levels < 2:
            raise LmmInputError(
                f"The grouping factor '{term.group}' has only {term.n_levels} level; a random "
                "effect needs at least two groups, so drop that term or pick another factor."
            )
        if term.n_levels >= n:
            raise LmmInputError(
                f"The grouping factor '{term.group}' has as many levels ({term.n_levels}) as "
                f"there are observations ({n}), so its variance cannot be told apart from "
                "the residual variance; group at a coarser level or drop the term."
            )
    for term in terms:
        if term.n_levels * term.n_columns >= n:
            shown = term.columns if term.n_columns <= 4 else [
                *term.columns[:2], f"… {term.n_columns - 2} more columns"
            ]
            raise LmmInputError(
                f"The term ({' + '.join(shown)} | {term.group}) has "
                f"{term.n_levels * term.n_columns} random effects for {n} observations, "
                "which cannot be estimated; simplify the random-effects part."
            )


# --------------------------------------------------------------- fixed part
def _factor_key(expr: Expr) -> str:
    return expr.name if isinstance(expr, Var) else expr.text()


class EvaluatedColumns(dict):
    """Named columns evaluated from a formula's factors (float arrays or ``Factor``s),
    all ``n_rows`` long."""

    def __init__(self, n_rows: int) -> None:
        super().__init__()
        self.n_rows = n_rows

    def as_table(self) -> pd.DataFrame:
        """The columns as a DataFrame (factors as ``pd.Categorical``), for formulaic."""
        return pd.DataFrame(
            {
                name: value.to_categorical() if isinstance(value, Factor) else value
                for name, value in self.items()
            },
            index=range(self.n_rows),
        )


def _private_frame(
    model_formula: ModelFormula, frame: pd.DataFrame | ModelColumns, state: TransformState,
    *, fitting: bool = True,
) -> tuple[EvaluatedColumns, dict[str, list[str]]]:
    """Evaluate each factor of each term into named columns (float arrays or factors).

    ``fitting=False`` makes stateful transforms reuse ``state`` (new data).
    """
    n = len(frame)
    columns = EvaluatedColumns(n)
    column_of: dict[str, list[str]] = {}
    terms = list(model_formula.fixed_terms)
    for rt in model_formula.random_terms:
        terms.extend(rt.terms)
    for term in terms:
        for factor in term.factors:
            key = _factor_key(factor)
            if key in column_of:
                continue
            value = evaluate(factor, frame, state, fitting=fitting)
            if isinstance(value, Factor):
                columns[key] = value.without_unused_levels()
                column_of[key] = [key]
            elif np.ndim(value) == 2:
                names = [f"{key}{i + 1}" for i in range(np.shape(value)[1])]
                for i, name in enumerate(names):
                    columns[name] = np.asarray(value, dtype=float)[:, i]
                column_of[key] = names
            else:
                value = np.asarray(value, dtype=float)
                columns[key] = value if value.shape == (n,) else np.broadcast_to(value, (n,))
                column_of[key] = [key]
    return columns, column_of


#: Stands in for a backtick inside a column name handed to formulaic, whose quoted names
#: end at the next backtick (the key of ``factor(`visit time`)`` holds two).
_TICK = "\ue000"


def _formulaic_name(name: str) -> str:
    return name.replace("`", _TICK)


def _term_spec(term: Term, column_of: dict[str, list[str]]) -> str:
    parts = []
    for factor in term.factors:
        names = column_of[_factor_key(factor)]
        quoted = [f"`{_formulaic_name(n)}`" for n in names]
        parts.append(quoted[0] if len(quoted) == 1 else "(" + " + ".join(quoted) + ")")
    return ":".join(parts)


def _numeric_matrix(
    intercept: bool, terms: tuple[Term, ...], private: EvaluatedColumns, column_of: dict
) -> tuple[np.ndarray, list[str], dict[str, list[int]]]:
    """The model matrix when no factor is involved: products of numeric columns.

    Same columns, order and names as formulaic gives (``a:b`` for a product, one
    column per combination when a factor has several columns, e.g. ``poly(x, 2)1:z``),
    without its overhead, which dominates small fits.
    """
    products: list[tuple[str, ...]] = [()] if intercept else []
    names: list[str] = ["(Intercept)"] if intercept else []
    term_columns: dict[str, list[int]] = {"(Intercept)": [0]} if intercept else {}
    for term in terms:
        choices = [column_of[_factor_key(f)] for f in term.factors]
        for combo in itertools.product(*choices):
            term_columns.setdefault(term.label, []).append(len(products))
            products.append(combo)
            names.append(":".join(combo))
    matrix = np.empty((private.n_rows, len(products)))
    for j, combo in enumerate(products):
        column = matrix[:, j]
        if not combo:
            column[:] = 1.0
            continue
        column[:] = private[combo[0]]
        for name in combo[1:]:
            np.multiply(column, private[name], out=column)
    return matrix, names, term_columns


def _treatment_matrix(
    intercept: bool, terms: tuple[Term, ...], private: EvaluatedColumns, column_of: dict
) -> tuple[np.ndarray, list[str], dict[str, list[int]]] | None:
    """The model matrix formulaic builds, for the common shapes only, without its overhead.

    Handled: an intercept, and terms with at most one factor column, each a product of
    single numeric columns and at most one factor whose margin (the term without the
    factor, or the intercept) is in the model. Then every factor is treatment-coded
    (R's ``contr.treatment``: one indicator per level but the first), columns are named
    as formulaic names them (``f[T.level]``, ``x:f[T.level]``) and terms are ordered by
    degree, as formulaic and R order them. Anything else returns ``None``.
    """
    if not intercept:
        return None
    # each factor's text once per term (Term.key and Term.label write them anew per call)
    texts = [[f.text() for f in term.factors] for term in terms]
    present = {frozenset(t) for t in texts} | {frozenset()}
    plans = []
    for term, term_texts in zip(terms, texts, strict=True):
        names = [column_of[_factor_key(f)] for f in term.factors]
        if any(len(cols) != 1 or "`" in cols[0] for cols in names):
            return None
        names = [cols[0] for cols in names]
        factor_at = [i for i, n in enumerate(names) if isinstance(private[n], Factor)]
        if len(factor_at) > 1:
            return None
        if factor_at:
            f = factor_at[0]
            margin = frozenset(t for i, t in enumerate(term_texts) if i != f)
            factor = private[names[f]]
            if margin not in present or len(factor.levels) < 2 or np.any(factor.codes < 0):
                return None
        plans.append((":".join(term_texts), names, factor_at[0] if factor_at else None))
    plans.sort(key=lambda plan: len(plan[1]))  # by degree (Term.order), stable
    out_names = ["(Intercept)"]
    term_columns: dict[str, list[int]] = {"(Intercept)": [0]}
    for label, names, f in plans:
        levels = [None] if f is None else private[names[f]].levels[1:]
        positions = term_columns.setdefault(label, [])
        for level in levels:
            parts = list(names)
            if f is not None:
                parts[f] = f"{names[f]}[T.{level}]"
            positions.append(len(out_names))
            out_names.append(":".join(parts))
    matrix = np.empty((private.n_rows, len(out_names)))
    matrix[:, 0] = 1.0
    j = 1
    for _, names, f in plans:
        numeric = matrix[:, j]
        numeric[:] = 1.0
        for i, name in enumerate(names):
            if i != f:
                np.multiply(numeric, private[name], out=numeric)
        if f is None:
            j += 1
            continue
        factor = private[names[f]]
        # The numeric product sits in the first level's column, so that one is filled last.
        for level_index in range(len(factor.levels) - 1, 0, -1):
            np.multiply(numeric, factor.codes == level_index, out=matrix[:, j + level_index - 1])
        j += len(factor.levels) - 1
    return matrix, out_names, term_columns


def _formulaic_matrix(
    intercept: bool, terms: tuple[Term, ...], private: EvaluatedColumns, column_of: dict
) -> tuple[np.ndarray, list[str], dict[str, list[int]]]:
    used = {n for t in terms for f in t.factors for n in column_of[_factor_key(f)]}
    if not any(isinstance(private[n], Factor) for n in used):
        return _numeric_matrix(intercept, terms, private, column_of)
    direct = _treatment_matrix(intercept, terms, private, column_of)
    if direct is not None:
        return direct
    return _formulaic_model_matrix(intercept, terms, private, column_of)


def _formulaic_model_matrix(
    intercept: bool, terms: tuple[Term, ...], private: EvaluatedColumns, column_of: dict
) -> tuple[np.ndarray, list[str], dict[str, list[int]]]:
    """formulaic's ``model_matrix`` on the evaluated columns, names in lme4's style."""
    # Imported here: most designs never reach formulaic, and importing it costs a
    # tenth of a second at every start of the assistant.
    from formulaic import model_matrix

    specs = ["1" if intercept else "0"] + [_term_spec(t, column_of) for t in terms]
    frame = private.as_table().rename(columns=_formulaic_name)
    mm = model_matrix(" + ".join(specs), frame, na_action="ignore")
    names = [
        "(Intercept)" if c == "Intercept" else str(c).replace(_TICK, "`") for c in mm.columns
    ]
    matrix = np.asarray(mm, dtype=float).reshape(private.n_rows, len(names))
    by_factors = {}
    for term in terms:
        cols = frozenset(n for f in term.factors for n in column_of[_factor_key(f)])
        by_factors[(cols, term.order)] = term.label
    term_columns: dict[str, list[int]] = {}
    position = {c: i for i, c in enumerate(mm.columns)}
    for structure in mm.model_spec.structure:
        factor_names = frozenset(str(f).replace(_TICK, "`") for f in structure.term.factors)
        if factor_names == {"1"}:
            label = "(Intercept)"
        else:
            label = next(
                (lab for (cols, order), lab in by_factors.items()
                 if factor_names <= cols and len(factor_names) == order),
                str(structure.term),
            )
        term_columns.setdefault(label, []).extend(position[c] for c in structure.columns)
    return matrix, names, term_columns


def _fixed_matrix(
    model_formula: ModelFormula, private: EvaluatedColumns, column_of: dict
) -> tuple[np.ndarray, list[str], dict[str, list[int]]]:
    return _formulaic_matrix(model_formula.intercept, model_formula.fixed_terms, private, column_of)


#: lme4's ``check.scaleX`` tolerance: a column SD, or a ratio of two SDs, beyond 1e3.
SCALE_TOLERANCE = 1e3


def _row_moments(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and sample SD of each row (a column of X, laid out as a row)."""
    means = np.add.reduce(rows, axis=1) / rows.shape[1]
    deviations = rows - means[:, None]
    return means, np.sqrt(np.add.reduce(deviations * deviations, axis=1) / (rows.shape[1] - 1))


def poorly_scaled_columns(
    X: np.ndarray, names: list[str], tol: float = SCALE_TOLERANCE
) -> list[str]:
    """The fixed-effect columns lme4's ``checkScaleX`` would warn about.

    As in lme4, only continuous columns count (a column of 0s and 1s is a dummy); the
    check fires when a column's sample SD is above ``tol`` or below ``1/tol``, or when
    two columns' SDs differ by more than a factor ``tol``. The columns named are those
    whose SD is itself out of range, else the two with the smallest and largest SD.
    """
    if X.shape[0] < 2:
        return []
    # one row per column, so that every reduction runs along contiguous rows (a
    # reduction down the columns of X costs more than the rest of the check)
    rows = np.ascontiguousarray(X.T)
    dummy = np.logical_and.reduce((rows == 0.0) | (rows == 1.0), axis=1)
    continuous = [j for j, is_dummy in enumerate(dummy.tolist()) if not is_dummy]
    if not continuous:
        return []
    _, column_sd = _row_moments(rows[continuous])
    # NumPy's scalar isfinite and log cost a microsecond each: test the SDs as Python
    # floats and take their logs in one call
    kept = [
        (names[j], sd)
        for j, sd in zip(continuous, column_sd.tolist(), strict=True)
        if math.isfinite(sd) and sd > 0
    ]
    if not kept:
        return []
    logs = np.log(np.array([sd for _, sd in kept])).tolist()
    log_sd = {name: value for (name, _), value in zip(kept, logs, strict=True)}
    limit = float(np.log(tol))
    extreme = [name for name, value in log_sd.items() if abs(value) > limit]
    if extreme:
        return extreme
    smallest = min(log_sd, key=log_sd.__getitem__)
    largest = max(log_sd, key=log_sd.__getitem__)
    if log_sd[largest] - log_sd[smallest] > limit:
        return [smallest, largest]
    return []


#: A continuous predictor whose mean is this many SDs from zero costs the deviance
#: digits: its cross-products cancel to about (mean / SD)^2 times machine precision.
FAR_FROM_ZERO_RATIO = 1e4


@dataclass(frozen=True)
class FarFromZero:
    """A continuous fixed-effect column centred far from zero: its name, mean and SD
    (for a column that is zero off a 0/1 column's support, such as x:fB, where that
    column is 1)."""

    name: str
    mean: float
    sd: float
    #: Whether the fit centred the column for its cross-products (engine.column_shift.
    #: ColumnShift), so that it costs no precision; False where the same variable
    #: sits in a random-effects term, whose cross-products keep the loss. A column
    #: that has interactions with a factor (x and x:fB) counts as centred only when
    #: they were centred as well.
    centred_in_fit: bool = False
    #: The variable in an interaction column's name (x in x:f[T.B]), which is what a
    #: user would centre; None when the name is the variable's or names none alone.
    variable: str | None = None


def far_from_zero_groups(columns: list[FarFromZero]) -> list[list[FarFromZero]]:
    """The columns grouped by the variable a user would centre (x for x:f[T.A] and
    x:f[T.B]), in order of first appearance: one report per variable."""
    groups: dict[str, list[FarFromZero]] = {}
    for column in columns:
        groups.setdefault(column.variable or column.name, []).append(column)
    return list(groups.values())


def _interaction_variable(name: str) -> str | None:
    """The one part of an interaction column's name that is not a factor level (x in
    ``x:f[T.B]``), or None."""
    parts = [part for part in name.split(":") if "[" not in part]
    return parts[0] if ":" in name and len(parts) == 1 else None


def far_from_zero_columns(
    X: np.ndarray,
    names: list[str],
    ratio: float = FAR_FROM_ZERO_RATIO,
    centred: np.ndarray | None = None,
) -> list[FarFromZero]:
    """Continuous fixed-effect columns (not 0/1 dummies) whose mean exceeds ``ratio``
    SDs; ``centred`` flags the columns the fit centred. Uncentred, the Schur complement
    that gives log|R_X| subtracts sums of squares of the column's size: with
    mean / SD = 1e5 the REML criterion was 0.002 off a 50-digit evaluation (1e3:
    2.5e-7), and lme4 warned of a large gradient there.

    An interaction with a factor level (x:fB, zero where f is not B) is far from zero
    when its mean where fB = 1 exceeds ``ratio`` SDs there; it is nearly a multiple of
    fB and costs X'X as many digits as x itself. When a named column has the same
    values there (x), the variable is named once, under that column, and counts as
    centred only if both were; otherwise the interaction column is named itself. An
    interaction column of a factor without columns of its own (``y ~ x:f``) is judged
    on its nonzero rows.
    """
    n = X.shape[0]
    if n < 2 or X.shape[1] == 0:
        return []
    rows = np.ascontiguousarray(X.T)  # reductions along contiguous rows, as above
    means, sds = _row_moments(rows)
    far = np.flatnonzero(np.abs(means) > ratio * sds)

    def was_centred(j: int) -> bool:
        return bool(centred is not None and centred[j])

    found = {
        j: FarFromZero(names[j], float(means[j]), float(sds[j]), was_centred(j))
        for j in far.tolist()
        if math.isfinite(sds[j]) and sds[j] > 0 and not np.all((rows[j] == 0) | (rows[j] == 1))
    }
    # population SDs from the sample SDs, for the necessary condition's sums
    population_sds = sds * math.sqrt((n - 1) / n)
    possible = far_on_nonzero(rows.T, ratio, means, population_sds)
    if not possible.any():
        return [found[j] for j in sorted(found)]
    indicators, others = indicator_columns(rows.T)
    intercept = intercept_column(rows.T)
    for t in others:
        if t in found or not possible[t]:
            continue
        # the rows where x:fB may be nonzero, or those where it is (x:f with no column
        # for f's levels, which no change of basis can centre)
        support = indicator_support(rows.T, t, indicators, intercept)
        on = rows[t] != 0 if support is None else support[1]
        if np.count_nonzero(on) < 2:
            continue
        values = rows[t][on]
        mean, sd = float(values.mean()), float(values.std(ddof=1))
        if not (math.isfinite(sd) and sd > 0 and abs(mean) > ratio * sd):
            continue
        same = [j for j in found if np.array_equal(rows[j][on], values)]
        for j in same:
            found[j] = replace(found[j], centred_in_fit=found[j].centred_in_fit and was_centred(t))
        if not same:
            found[t] = FarFromZero(
                names[t], mean, sd, was_centred(t), _interaction_variable(names[t])
            )
    return [found[j] for j in sorted(found)]


#: A column whose part orthogonal to the earlier columns is at least this share of its
#: norm is kept by the rule of ``drop_aliased_columns`` whatever the rounding.
_CLEARLY_INDEPENDENT = 1e3 * RANK_TOLERANCE


def _clearly_full_rank(X: np.ndarray) -> bool:
    """Every column far from the span of the earlier ones (|R_jj| of X's QR against the
    column's norm, which is the norm of R's column j)."""
    n, p = X.shape
    if n < p:
        return False
    factored, _, _, info = lapack.dgeqrf(X)
    if info != 0:
        return False
    threshold = _CLEARLY_INDEPENDENT**2
    if p <= 8:  # plain floats: NumPy's per-call overhead would dominate
        R = factored[:p].tolist()
        return all(
            R[j][j] ** 2 > threshold * sum(R[i][j] ** 2 for i in range(j + 1))
            for j in range(p)
        )
    R = np.triu(factored[:p])
    diagonal = R.diagonal()
    return bool((diagonal * diagonal > threshold * np.einsum("ij,ij->j", R, R)).all())


def drop_aliased_columns(
    X: np.ndarray, names: list[str], term_columns: dict[str, list[int]]
) -> tuple[np.ndarray, list[str], dict[str, list[int]], list[str]]:
    """Drop columns that are linear combinations of earlier ones.

    lme4 (``chkRank.drop.cols``) uses R's limited-pivoting QR (``qr(X, tol = 1e-7)``),
    which keeps columns in order and moves a column to the end when its part
    orthogonal to the columns already kept is below the tolerance. This reproduces
    that rule with a column-by-column Gram-Schmidt on the kept columns, unless a
    Householder QR shows every column far above the tolerance.
    """
    p = X.shape[1]
    if p == 0 or _clearly_full_rank(X):
        return X, names, term_columns, []
    norms = np.linalg.norm(X, axis=0)
    kept: list[int] = []
    basis = np.zeros((X.shape[0], 0))
    for j in range(p):
        col = X[:, j]
        resid = col - basis @ (basis.T @ col) if basis.shape[1] else col.copy()
        resid = resid - basis @ (basis.T @ resid) if basis.shape[1] else resid
        rnorm = np.linalg.norm(resid)
        if norms[j] > 0 and rnorm > RANK_TOLERANCE * norms[j]:
            kept.append(j)
            basis = np.column_stack([basis, resid / rnorm])
    if len(kept) == p:
        return X, names, term_columns, []
    aliased = [names[j] for j in range(p) if j not in kept]
    new_index = {old: new for new, old in enumerate(kept)}
    new_terms = {
        label: [new_index[c] for c in cols if c in new_index]
        for label, cols in term_columns.items()
    }
    new_terms = {label: cols for label, cols in new_terms.items() if cols}
    return X[:, kept], [names[j] for j in kept], new_terms, aliased


# -------------------------------------------------------------- random part
def grouping_factor(
    group: tuple[Expr, ...], frame: pd.DataFrame | ModelColumns, state: TransformState
) -> tuple[np.ndarray, list[str]]:
    """Integer codes per row and level labels of a grouping factor.

    Every grouping variable is a factor whatever its type. A single factor keeps
    its level order (text sorted as text; numbers as their labels, sorted as text,
    as the reference data's ``factor(as.character(x))``); an interaction ``a:b`` has
    one level per observed combination, labelled ``"a:b"`` and sorted as text.
    """
    codes_list: list[np.ndarray] = []
    labels_list: list[list[str]] = []
    for expr in group:
        value = evaluate(expr, frame, state)
        if isinstance(value, Factor):
            codes_list.append(value.codes)
            labels_list.append(value.levels)
        else:
            codes, uniques = pd.factorize(np.asarray(value).reshape(-1), sort=False)
            labels = [format_level(v) for v in uniques]
            order = sorted(range(len(labels)), key=lambda i: labels[i])
            rank = np.empty(len(labels), dtype=np.int64)
            rank[order] = np.arange(len(labels))
            codes_list.append(rank[codes])
            labels_list.append([labels[i] for i in order])
    if len(codes_list) == 1:
        codes, labels = codes_list[0], labels_list[0]
        used = np.flatnonzero(np.bincount(codes, minlength=len(labels)))
        if used.size == len(labels):
            return codes, labels
        new_code = np.zeros(len(labels), dtype=np.int64)
        new_code[used] = np.arange(used.size)
        return new_code[codes], [labels[i] for i in used]
    combined = np.zeros(len(frame), dtype=np.int64)
    for codes, labels in zip(codes_list, labels_list, strict=True):
        combined = combined * len(labels) + codes
    n_combinations = int(np.prod([len(labels) for labels in labels_list]))
    used, inverse = _sorted_distinct(combined, n_combinations)
    names = []
    for key in used.tolist():
        parts = []
        for labels in reversed(labels_list):
            key, code = divmod(key, len(labels))
            parts.append(labels[code])
        names.append(":".join(reversed(parts)))
    order = sorted(range(len(names)), key=lambda i: names[i])
    rank = np.empty(len(names), dtype=np.int64)
    rank[order] = np.arange(len(names))
    return rank[inverse], [names[i] for i in order]


def _sorted_distinct(keys: np.ndarray, bound: int) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(keys, return_inverse=True)`` for keys in ``0..bound-1``; by counting
    when the range is small, which is much cheaper than sorting for short columns."""
    if bound > 4 * keys.size + 1024:
        return np.unique(keys, return_inverse=True)
    present = np.bincount(keys, minlength=bound) > 0
    position = np.cumsum(present) - 1
    return np.flatnonzero(present), position[keys]


def _random_term(
    rt: RandomTerm,
    frame: ModelColumns,
    private: EvaluatedColumns,
    column_of: dict,
    state: TransformState,
) -> RandomTermDesign:
    matrix, names, _ = _formulaic_matrix(rt.intercept, rt.terms, private, column_of)
    codes, levels = grouping_factor(rt.group, frame, state)
    return RandomTermDesign(
        group=rt.group_label,
        columns=names,
        levels=levels,
        codes=codes,
        matrix=matrix,
        from_double_bar=rt.from_double_bar,
    )


# ------------------------------------------------------------ new data
def fixed_design_for(fit, new_data: pd.DataFrame) -> np.ndarray:
    """Fixed-effects design rows for ``new_data``, coded exactly as the fit's X.

    Used for predictions (engine.predict). Stateful transforms reuse what they
    learned from the fitting data (``fit.transform_state``, evaluated with
    ``fitting=False``, as R's ``makepredictcall``); factor columns take the fit's
    levels, so the reference level and the columns are the fit's even when
    ``new_data`` holds only some levels; columns the fit dropped as aliased are
    dropped here too. Only the fixed part is evaluated, so ``new_data`` needs the
    fixed-part columns only.
    """
    fixed_only = replace(fit.model_formula, random_terms=())
    missing = [
        name for term in fixed_only.fixed_terms for f in term.factors
        for name in variables_in(f) if name not in new_data.columns
    ]
    if missing:
        raise LmmInputError(
            f"The new data lacks the column(s) {', '.join(dict.fromkeys(missing))}; "
            "give a value for every predictor of the model's fixed part."
        )
    state = copy.deepcopy(fit.transform_state) or TransformState()
    fitted_columns, _ = _private_frame(fixed_only, fit.data, state, fitting=False)
    new_columns, column_of = _private_frame(fixed_only, new_data, state, fitting=False)
    for name, value in new_columns.items():
        if not isinstance(value, Factor):
            continue
        levels = fitted_columns[name].levels
        n_missing = int(np.sum(value.codes < 0))
        if n_missing:
            raise LmmInputError(
                f"'{name}' is missing in {n_missing} row(s) of the new data; give every row "
                f"one of the levels {', '.join(levels)}."
            )
        unseen = sorted(set(value.levels) - set(levels))
        if unseen:
            raise LmmInputError(
                f"'{name}' has the level(s) {', '.join(unseen)}, which the fitted data do "
                f"not have; use one of: {', '.join(levels)}."
            )
        position = {level: i for i, level in enumerate(levels)}
        fitted_code = np.array([position[level] for level in value.levels], dtype=np.int64)
        new_columns[name] = Factor(fitted_code[value.codes], list(levels))
    X, names, _ = _formulaic_matrix(
        fixed_only.intercept, fixed_only.fixed_terms, new_columns, column_of
    )
    position = {name: i for i, name in enumerate(names)}
    return X[:, [position[name] for name in fit.fixed_names]]
