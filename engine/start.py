"""Starting values of theta for the optimizer, as lme4 chooses them.

lme4 (``mkLmerDevfun``, lme4 >= 1.1) starts from theta = 1 for every standard
deviation and 0 for every correlation, except when every random-effects term is a
scalar intercept on its own grouping factor. Then it uses a moment estimate: for
each factor k, v_k is the sample variance of the response's group means spread back
over the rows (R's ``var(ave(y, f))``), v_e = var(y) - sum(v_k), and, when v_e > 0,
theta_k = sqrt(v_k / v_e). On crossed models with many levels this halves the
number of BOBYQA evaluations.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from engine.model import LmmModel


def is_scalar_intercept_model(model: LmmModel) -> bool:
    """lme4's condition: every term is ``(1 | f)`` and no two terms share a factor f.

    lme4 tests the column names (all ``"(Intercept)"``) and that there are as many
    distinct grouping factors as theta parameters.
    """
    groups = [t.group for t in model.terms]
    return len(set(groups)) == len(groups) and all(
        t.columns == ["(Intercept)"] for t in model.terms
    )


def _group_mean_variance(y: np.ndarray, codes: np.ndarray, n_levels: int) -> float:
    """Sample variance (n - 1 divisor) of each row's group mean of y."""
    sums = np.bincount(codes, weights=y, minlength=n_levels)
    counts = np.bincount(codes, minlength=n_levels)
    # an empty level's sum is 0.0, so dividing it by 1 gives the 0 it is assigned
    means = sums / np.maximum(counts, 1)
    return _sample_variance(means[codes])


def _sample_variance(x: np.ndarray) -> float:
    """``np.var(x, ddof=1)``: the same operations, without its argument handling."""
    n = x.size
    deviations = x - float(np.add.reduce(x)) / n
    np.multiply(deviations, deviations, deviations)
    return float(np.add.reduce(deviations)) / (n - 1)


def moment_start(model: LmmModel) -> np.ndarray | None:
    """lme4's moment-based starting theta for scalar random intercepts, or ``None``.

    ``None`` means lme4 starts from its usual values: the model has other terms, or
    the group-mean variances leave no positive residual variance.
    """
    if not is_scalar_intercept_model(model):
        return None
    y = np.asarray(model.y, dtype=float)
    if y.size < 2:
        return None
    spread = np.array(
        [_group_mean_variance(y, t.codes, t.n_levels) for t in model.terms], dtype=float
    )
    residual = _sample_variance(y) - float(np.sum(spread))
    if not residual > 0:
        return None
    return np.sqrt(spread / residual)


def lme4_start(model: LmmModel) -> np.ndarray:
    """The theta lme4 optimizes from: :func:`moment_start` when it applies, else
    ``model.theta_start`` (1 for standard deviations, 0 for correlations)."""
    start = moment_start(model)
    return np.array(model.theta_start, dtype=float) if start is None else start
