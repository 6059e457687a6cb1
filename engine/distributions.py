"""The tail probabilities and quantiles the tests need, as R's ``pt``/``qt``/``pchisq``/``pf``.

They call scipy.special's distribution functions (Cephes/Boost) directly. These are
the same routines scipy.stats uses, so the values are identical, but importing
scipy.stats costs about half a second and its generic argument checking costs
~50 µs per call, more than the rest of a small fit. Conventions follow R:
an infinite df gives the normal (``t``) or chi-squared (``F``) limit, a statistic at or
below 0 has upper tail 1, and invalid df give NaN.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import special

ArrayLike = float | np.ndarray


def _out(value: np.ndarray) -> ArrayLike:
    return float(value) if np.ndim(value) == 0 else value


def normal_quantile(prob: ArrayLike) -> ArrayLike:
    """R's ``qnorm(prob)``."""
    return _out(special.ndtri(np.asarray(prob, dtype=float)))


#: Up to this many df are checked as Python floats (two ``np.all`` calls cost ~5 µs).
SHORT_DF = 32


def _usual_df(df: np.ndarray) -> bool:
    """Every df finite and positive: the tests' usual case, which needs no masking."""
    if df.size <= SHORT_DF:
        return all(0.0 < value < math.inf for value in df.ravel().tolist())
    return bool(np.all(df > 0) and np.all(df < np.inf))


def t_quantile(prob: ArrayLike, df: ArrayLike) -> ArrayLike:
    """R's ``qt(prob, df)``; ``df = Inf`` gives the normal quantile."""
    prob, df = np.asarray(prob, float), np.asarray(df, float)
    if _usual_df(df):
        return _out(special.stdtrit(df, prob))
    prob, df = np.broadcast_arrays(prob, df)
    finite = np.isfinite(df)
    valid_df = np.where(finite & (df > 0), df, 1.0)
    value = np.where(finite, special.stdtrit(valid_df, prob), special.ndtri(prob))
    return _out(np.where(np.isfinite(df) & ~(df > 0), np.nan, value))


def t_two_sided_p(t: ArrayLike, df: ArrayLike) -> ArrayLike:
    """lmerTest's two-sided p, ``2 * pt(abs(t), df, lower.tail = FALSE)``.

    The lower tail at ``-|t|`` is computed directly, so tiny p-values keep their
    precision; ``df = Inf`` is the z test.
    """
    t, df = np.asarray(t, float), np.asarray(df, float)
    if _usual_df(df):
        return _out(2.0 * special.stdtr(df, -np.abs(t)))
    t, df = np.broadcast_arrays(t, df)
    neg = -np.abs(t)
    finite = np.isfinite(df)
    valid_df = np.where(finite & (df > 0), df, 1.0)
    value = np.where(finite, 2.0 * special.stdtr(valid_df, neg), 2.0 * special.ndtr(neg))
    return _out(np.where(finite & ~(df > 0), np.nan, value))


def t_upper_tail(t: float, df: float) -> float:
    """R's ``pt(t, df, lower.tail = FALSE)`` for one statistic; ``df = Inf`` is the normal
    tail (the upper tail at t is the lower tail at -t, computed directly)."""
    if not df > 0:
        return math.nan
    if math.isinf(df):
        return float(special.ndtr(-t))
    return float(special.stdtr(df, -t))


def chi2_upper(x: ArrayLike, df: ArrayLike) -> ArrayLike:
    """R's ``pchisq(x, df, lower.tail = FALSE)``: 1 for x <= 0, NaN when df <= 0."""
    x, df = np.broadcast_arrays(np.asarray(x, float), np.asarray(df, float))
    valid_df = np.where(df > 0, df, 1.0)
    value = np.where(x > 0, special.chdtrc(valid_df, np.maximum(x, 0.0)), 1.0)
    return _out(np.where(df > 0, value, np.nan))


def f_upper(x: ArrayLike, df1: ArrayLike, df2: ArrayLike) -> ArrayLike:
    """R's ``pf(x, df1, df2, lower.tail = FALSE)``.

    1 for x <= 0; NaN when a df is not positive; an infinite ``df2`` gives the limit
    ``pchisq(df1 * x, df1, lower.tail = FALSE)``.
    """
    x, df1, df2 = np.broadcast_arrays(
        np.asarray(x, float), np.asarray(df1, float), np.asarray(df2, float)
    )
    ok = (df1 > 0) & (df2 > 0)
    d1 = np.where(ok, df1, 1.0)
    d2 = np.where(ok & np.isfinite(df2), df2, 1.0)
    xx = np.maximum(x, 0.0)
    value = np.where(
        np.isfinite(df2), special.fdtrc(d1, d2, xx), special.chdtrc(d1, d1 * xx)
    )
    value = np.where(x > 0, value, 1.0)
    return _out(np.where(ok, value, np.nan))
