"""Type III F tests for the fixed-effect terms, as lmerTest's ``anova(m, type = 3)``.

The hypothesis matrices follow lmerTest (``get_contrasts_type3`` and
``extract_contrasts_type3``, which implement SAS's type III estimable functions,
Goodnight 1976): the fixed part is written in its over-parameterised form (an intercept
and, for every term, one column per level combination of its factors times its numeric
variables); each over-parameterised column is expressed in the coefficients of the
treatment-coded X; and, from the highest-order term down, the columns of a term that is
*contained* in other terms are made orthogonal (in the over-parameterised space) to the
columns of the terms containing it. Term F1 is contained in F2 when every variable of F1 is
in F2, F2 has more variables, and both involve the same numeric variables (SAS's rule as
lmerTest's ``containment``). With treatment coding this tests, for example, the average
slope of ``age`` over the levels of ``Sex`` in ``age * Sex``.

Each term's hypothesis Lβ = 0 is tested with Satterthwaite's F (lmerTest's ``contestMD``,
``engine.satterthwaite``) or with Kenward-Roger's scaled F (pbkrtest's ``KRmodcomp``,
``engine.kenward_roger``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from engine.errors import LmmInputError

ANOVA_COLUMNS = ["term", "F", "num_df", "den_df", "p"]
ANOVA_DDF = {"satterthwaite": "satterthwaite", "kenward-roger": "kenward-roger"}


def _factor_block(value, n: int) -> tuple[np.ndarray, bool]:
    """Over-parameterised columns of one factor of a term, and whether it is numeric."""
    from engine.transforms import Factor

    if isinstance(value, Factor):
        value = value.without_unused_levels()
        codes = value.codes
        block = np.zeros((n, len(value.levels)))
        block[np.arange(n), codes] = 1.0
        return block, False
    arr = np.asarray(value, dtype=float)
    arr = np.broadcast_to(arr, (n,)) if arr.ndim == 0 else arr
    return arr.reshape(n, -1), True


def _row_kron(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a[:, :, None] * b[:, None, :]).reshape(a.shape[0], -1)


def _term_parts(fit) -> list[tuple[str, frozenset[str], frozenset[str], np.ndarray]]:
    """(label, variables, numeric variables, over-parameterised block) for each term."""
    from engine.transforms import TransformState, evaluate

    frame = fit.data
    n = len(frame)
    state = fit.transform_state if fit.transform_state is not None else TransformState()
    parts = []
    for term in fit.model_formula.fixed_terms:
        block = np.ones((n, 1))
        variables = set()
        numerics = set()
        for factor in term.factors:
            key = factor.text()
            values, numeric = _factor_block(evaluate(factor, frame, state, fitting=False), n)
            block = _row_kron(block, values)
            variables.add(key)
            if numeric:
                numerics.add(key)
        parts.append((term.label, frozenset(variables), frozenset(numerics), block))
    return parts


def _contains(small, large) -> bool:
    """lmerTest's ``term_contain``: is term ``small`` contained in term ``large``?"""
    _, vars_small, num_small, _ = small
    _, vars_large, num_large, _ = large
    return vars_small < vars_large and num_small == num_large


def type3_contrasts(fit) -> dict[str, np.ndarray]:
    """One hypothesis matrix (rows × p) per fixed-effect term, in formula order.

    As lmerTest's ``get_contrasts_type3``, a model with at most one term besides the
    intercept (or one column) gets the sequential (type I) matrices of
    :func:`sequential_contrasts` instead. Both span the same hypothesis, so the F value
    is the same, but the Satterthwaite df of a multi-row F test (lmerTest's
    ``contestMD``, an eigen-decomposition of L Var(β) L') depends on the rows chosen.
    """
    X = np.asarray(fit.model.X, dtype=float)
    p = X.shape[1]
    parts = _term_parts(fit)
    columns = {label: list(fit.fixed_term_columns.get(label, [])) for label, *_ in parts}
    if p <= 1 or len(parts) <= 1:
        return sequential_contrasts(X, columns, bool(fit.model_formula.intercept))
    blocks = [np.ones((X.shape[0], 1))] if fit.model_formula.intercept else []
    blocks += [block for *_, block in parts]
    full = np.column_stack(blocks)
    coef, *_ = np.linalg.lstsq(X, full, rcond=None)  # full = X · coef
    basis = coef.T  # one row per over-parameterised column, one column per β
    combo = np.eye(p)  # current columns of L = basis · combo

    by_order = sorted(range(len(parts)), key=lambda k: -len(parts[k][1]))
    for k in by_order:
        label = parts[k][0]
        own = columns[label]
        containing = [
            c
            for other in parts
            if other[0] != label and _contains(parts[k], other)
            for c in columns[other[0]]
        ]
        if not own or not containing:
            continue
        target = basis @ combo[:, own]
        design = basis @ combo[:, containing]
        b, *_ = np.linalg.lstsq(design, target, rcond=None)
        combo[:, own] = combo[:, own] - combo[:, containing] @ b
    combo[np.abs(combo) < 1e-10] = 0.0

    out = {}
    for label, *_ in parts:
        own = columns[label]
        if not own:
            continue
        L = combo[:, own].T
        out[label] = L[np.sum(np.abs(L), axis=1) > 1e-8]
    return out


def type3_anova(fit, ddf: str = "satterthwaite") -> pd.DataFrame:
    """Type III table ``term, F, num_df, den_df, p`` (lmerTest ``anova(m, type = 3)``)."""
    key = str(ddf).lower().replace("_", "-")
    key = {"kr": "kenward-roger", "kenward roger": "kenward-roger"}.get(key, key)
    if key not in ANOVA_DDF:
        raise LmmInputError(
            f"Unknown denominator df method '{ddf}' for the F tests; use 'satterthwaite' or "
            "'kenward-roger'."
        )
    contrasts = type3_contrasts(fit)
    rows = []
    if key == "kenward-roger":
        from engine.kenward_roger import kenward_roger_f_test, vcov_adjusted

        adjustment = vcov_adjusted(fit)
        for label, L in contrasts.items():
            res = kenward_roger_f_test(fit, L, adjustment)
            rows.append([label, res.F, res.num_df, res.den_df, res.p])
    else:
        from engine.satterthwaite import satterthwaite_f_test

        for label, L in contrasts.items():
            F, num_df, den_df, p = satterthwaite_f_test(fit, L)
            rows.append([label, float(F), int(num_df), float(den_df), float(p)])
    table = pd.DataFrame(rows, columns=ANOVA_COLUMNS)
    table["num_df"] = table["num_df"].astype(int)
    return table


#: Entries of the Doolittle factor below this are set to zero (lmerTest's ``doolittle``).
DOOLITTLE_EPS = 1e-6


def sequential_contrasts(
    X: np.ndarray, columns: dict[str, list[int]], intercept: bool
) -> dict[str, np.ndarray]:
    """Type I hypothesis matrices, as lmerTest's ``get_contrasts_type1``: the rows of
    U' where X'X = U'DU with U unit upper triangular (the Doolittle factorisation
    without pivoting), one block of rows per term's columns of X; entries below
    :data:`DOOLITTLE_EPS` in size are zero, and so is a column whose pivot is."""
    p = X.shape[1]
    if p == 0 or (p == 1 and intercept):
        return {}
    if p == 1:
        upper = np.ones((1, 1))
    else:
        upper = _unit_upper_doolittle(X.T @ X)
    return {label: upper[own] for label, own in columns.items() if own}


def _unit_upper_doolittle(a: np.ndarray) -> np.ndarray:
    """U' of :func:`sequential_contrasts`: the transpose of the unit lower triangular
    factor of a = L·(upper) built row by row, with lmerTest's small-value rule."""
    n = a.shape[0]
    lower = np.eye(n)
    upper = np.zeros((n, n))
    for i in range(n):
        upper[i] = a[i] - lower[i, :i] @ upper[:i]
        for j in range(i + 1, n):
            value = a[j, i] - lower[j, :i] @ upper[:i, i]
            lower[j, i] = 0.0 if abs(upper[i, i]) < DOOLITTLE_EPS else value / upper[i, i]
    lower[np.abs(lower) < DOOLITTLE_EPS] = 0.0
    return lower.T

