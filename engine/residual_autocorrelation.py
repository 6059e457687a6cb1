"""Serial correlation left in a repeated-measures model: the empirical autocorrelation
function of the within-subject residuals, next to what the fitted model itself implies.

The observed autocorrelation at lag k is the statistic of Pinheiro & Bates (2000,
*Mixed-Effects Models in S and S-PLUS*, §5.3; nlme's ``ACF`` for an ``lme`` fit): with
each subject's conditional residuals r = y − Xβ̂ − Zb̂ in time order,

    ρ̂(k) = [Σ_subjects Σ_t r_t r_(t+k) / N(k)] / [Σ r_t² / N(0)],

where N(k) counts the pairs k observations apart. Lags count observations, not time
units, so with unequal spacing or skipped visits a lag mixes different time gaps (the
result says when). Under no autocorrelation ρ̂(k) falls within ±z_(0.975)/√N(k) about 95%
of the time (the band ``plot.ACF`` draws).

Conditional residuals are never independent, even when the model is right: estimating
each subject's random effects takes out the subject's own level (and slope), so the rest
of its residuals must balance around zero and lean negative at short lags. The model's
own benchmark removes that confusion. Under the fitted model r = V*⁻¹(y − Xβ̂) with
V* = ZΛΛ'Z' + I, so Cov(r) = σ²P with P = V*⁻¹ − V*⁻¹X(X'V*⁻¹X)⁻¹X'V*⁻¹ (the REML
projection; Harville 1977). The model-implied autocorrelation is the same ratio with
σ²P's entries in place of the products r_t r_(t+k). Observed correlation well above it
is serial dependence the random effects do not carry.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

from engine.errors import LmmInputError

#: The normal quantile of the 95% band for an autocorrelation of zero.
_Z_975 = 1.959963984540054


@dataclass(frozen=True)
class LagCorrelation:
    """One lag: the observed autocorrelation, the number of residual pairs behind it, the
    half-width of the 95% band under no autocorrelation, and the autocorrelation the
    fitted model implies for its own residuals (None when it cannot be computed)."""

    lag: int
    autocorrelation: float
    pairs: int
    bound: float
    model_implied: float | None

    @property
    def excess(self) -> float | None:
        """Observed minus model-implied autocorrelation."""
        if self.model_implied is None:
            return None
        return self.autocorrelation - self.model_implied


@dataclass(frozen=True)
class ResidualAutocorrelation:
    """The residuals' autocorrelation within ``group`` along ``time``, lag 0 first.

    ``equally_spaced``: the time points seen in the data are evenly spaced;
    ``subjects_with_gaps``: subjects missing a time point between their first and last.
    Both tell whether one lag is one step of time for everyone.
    """

    group: str
    time: str
    lags: tuple[LagCorrelation, ...]
    n_subjects: int
    max_per_subject: int
    equally_spaced: bool
    subjects_with_gaps: int

    @property
    def lag_one(self) -> LagCorrelation | None:
        return self.lags[1] if len(self.lags) > 1 else None

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["lags"] = [asdict(lag) for lag in self.lags]
        return {"kind": "residual_autocorrelation", **out}


def default_max_lag(max_per_subject: int) -> int:
    """The largest lag shown: one less than the most observations of a subject, at most
    10·log10 of that count (the rule of R's ``acf`` and nlme's ``ACF``)."""
    longest = max_per_subject - 1
    return max(0, min(longest, int(10 * math.log10(longest + 1)))) if longest > 0 else 0


def residual_autocorrelation(
    fit: Any, group: str, time: str, max_lag: int | None = None
) -> ResidualAutocorrelation:
    """The autocorrelation of ``fit``'s conditional residuals within the levels of
    ``group``, ordered by ``time`` (a column of the model's data)."""
    data = fit.data
    for column in (group, time):
        if column not in data.columns:
            raise LmmInputError(
                f"{column} is not a column of the model's data; name the subject and time "
                "columns the model uses."
            )
    times = pd.to_numeric(data[time], errors="coerce")
    if times.isna().any():
        raise LmmInputError(
            f"{time} is not numeric, so its values cannot put each {group}'s residuals in "
            "order; use a numeric time column."
        )
    codes, levels = pd.factorize(data[group].astype(str), sort=True)
    order = np.lexsort((times.to_numpy(), codes))
    residuals = np.asarray(fit.residuals(), dtype=float)
    rows_of = np.split(order, np.flatnonzero(np.diff(codes[order])) + 1)
    sizes = np.array([rows.size for rows in rows_of])
    if len(levels) < 2 or sizes.max() < 2:
        raise LmmInputError(
            f"Autocorrelation needs repeated observations of each {group}; every {group} "
            "here has at most one."
        )
    top = default_max_lag(int(sizes.max())) if max_lag is None else int(max_lag)
    top = max(1, min(top, int(sizes.max()) - 1))
    observed = _lag_products([residuals[rows] for rows in rows_of], top)
    implied = _model_implied(fit, group, rows_of, top)
    pairs = [int(np.maximum(sizes - k, 0).sum()) for k in range(top + 1)]
    lags = tuple(
        LagCorrelation(
            lag=k,
            autocorrelation=observed[k],
            pairs=pairs[k],
            bound=_Z_975 / math.sqrt(pairs[k]) if pairs[k] else math.inf,
            model_implied=None if implied is None else implied[k],
        )
        for k in range(top + 1)
    )
    return ResidualAutocorrelation(
        group=group,
        time=time,
        lags=lags,
        n_subjects=len(levels),
        max_per_subject=int(sizes.max()),
        equally_spaced=_equally_spaced(times.to_numpy()),
        subjects_with_gaps=_subjects_with_gaps(times.to_numpy(), rows_of),
    )


def _lag_products(series: list[np.ndarray], top: int) -> list[float]:
    """ρ̂(0..top): the mean lag-k product over all subjects over the mean square."""
    sums = np.zeros(top + 1)
    counts = np.zeros(top + 1)
    for r in series:
        for k in range(min(top, r.size - 1) + 1):
            sums[k] += float(r[: r.size - k] @ r[k:])
            counts[k] += r.size - k
    means = sums / counts
    return [float(v) for v in means / means[0]]


def _model_implied(fit: Any, group: str, rows_of: list[np.ndarray], top: int) -> list[float] | None:
    """The same ratio with Cov(r) = σ²P in place of the products; None unless ``group`` is
    the model's only grouping factor (then V* is block diagonal by subject)."""
    grouping = fit.model_formula.grouping_variables()
    if list(grouping) != [group]:
        return None
    model = fit.model
    w = (model.Z @ model.lambda_of(np.asarray(fit.theta, dtype=float))).tocsr()
    x = np.asarray(model.X, dtype=float)
    m_star = np.asarray(fit.vcov_beta, dtype=float) / fit.sigma**2
    sums = np.zeros(top + 1)
    counts = np.zeros(top + 1)
    for rows in rows_of:
        block = w[rows].toarray()
        block = block[:, np.any(block != 0, axis=0)]
        v_inv = np.linalg.inv(np.eye(rows.size) + block @ block.T)
        vx = v_inv @ x[rows]
        p = v_inv - vx @ m_star @ vx.T
        for k in range(min(top, rows.size - 1) + 1):
            sums[k] += float(np.trace(p, offset=k))
            counts[k] += rows.size - k
    means = sums / counts
    return [float(v) for v in means / means[0]]


def _equally_spaced(times: np.ndarray) -> bool:
    points = np.unique(times)
    if points.size < 3:
        return True
    steps = np.diff(points)
    return bool(np.allclose(steps, steps[0]))


def _subjects_with_gaps(times: np.ndarray, rows_of: list[np.ndarray]) -> int:
    """Subjects missing a time point of the data between their own first and last."""
    points = np.unique(times)
    gaps = 0
    for rows in rows_of:
        own = np.unique(times[rows])
        inside = points[(points >= own[0]) & (points <= own[-1])]
        gaps += int(inside.size > own.size)
    return gaps
