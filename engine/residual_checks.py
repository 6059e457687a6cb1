"""Simple, stated rules for what stands out in the residuals and random effects of a fit.

The rules mirror what a reader looks for in lme4's diagnostic plots (``plot(m)``,
``qqnorm(resid(m))``, ``qqnorm(ranef(m))``); each has a fixed threshold so that the
same fit always gives the same findings. Residuals are the conditional residuals
y − Xβ̂ − Zb̂, standardized as Pearson residuals r/σ̂ (lme4's
``residuals(m, type = "pearson")`` for a linear mixed model).

Rules (each returns a :class:`Finding` when it fires; the measured numbers are kept in
:class:`ResidualChecks` whether or not it fires):

``funnel``
    Split the observations into thirds by fitted value. The rule fires when the SD of
    the residuals in the top third is more than :data:`FUNNEL_SD_RATIO` (1.5) times
    that of the bottom third (spread grows with the mean), or less than 1/1.5 times
    (spread shrinks), *and* the Spearman correlation between |residual| and fitted
    value points the same way with p < :data:`FUNNEL_P` (0.05), which keeps small
    samples from firing by chance. Needs at least :data:`MIN_OBS_FOR_SHAPE` rows.
``heavy_tails``
    Fires when the excess kurtosis of the standardized residuals (bias-corrected
    Fisher definition, 0 under normality) exceeds both :data:`KURTOSIS_MIN` (1.0) and
    :data:`KURTOSIS_SE_MULTIPLE` (3) times its large-sample SE √(24/n); or when the
    number of |standardized residual| > 3 exceeds the 99th percentile of the count
    normality implies, Binomial(n, 0.0027).
``outlying_observations``
    Rows whose |standardized residual| exceeds max(3, Φ⁻¹(1 − 0.025/n)), a
    Bonferroni bound, so that with n normal residuals the chance of any row firing is
    about 5%.
``extreme_levels``
    For each random-effect term with at least :data:`MIN_LEVELS` levels, the levels
    whose |BLUP| / SD(BLUPs of that term) exceeds max(3, Φ⁻¹(1 − 0.025/m)) for m
    levels (the same Bonferroni bound): a few subjects far from the rest. The SD is
    first that of all levels; then, as in Rosner's (1983) generalized ESD procedure,
    it is recomputed without the levels already flagged until no new level is
    flagged, so that a small cluster of extreme levels cannot hide itself by
    inflating the SD it is measured against. With normal BLUPs the chance of
    flagging any level stays that of the first step (simulated: 1-4% for 18-500
    levels); a robust MAD-based SD was rejected because it flags a level in 9-17% of
    normal samples of 18-80 levels.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np
from scipy import special

from engine.results import RandomEffectColumns, blups_by_term

FUNNEL_SD_RATIO = 1.5
FUNNEL_P = 0.05
MIN_OBS_FOR_SHAPE = 12
KURTOSIS_MIN = 1.0
KURTOSIS_SE_MULTIPLE = 3.0
TAIL_Z = 3.0
#: P(|Z| > 3) for a standard normal Z: 2 Φ(−3), scipy.stats' ``2 * norm.sf(3)``.
NORMAL_TAIL_SHARE = float(2.0 * special.ndtr(-TAIL_Z))
TAIL_COUNT_QUANTILE = 0.99
FAMILYWISE_ALPHA = 0.05
MIN_LEVELS = 5


@dataclass(frozen=True)
class Finding:
    """One rule that fired: ``code`` names the rule, ``values`` the numbers behind it.

    ``group``/``term``/``levels`` are set for ``extreme_levels``; ``rows`` (0-based
    positions in ``fit.data``) for ``outlying_observations``.
    """

    code: str
    values: dict[str, float]
    group: str | None = None
    term: str | None = None
    levels: tuple[str, ...] = ()
    rows: tuple[int, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "values": {k: _finite_or_none(v) for k, v in self.values.items()},
            "group": self.group,
            "term": self.term,
            "levels": list(self.levels),
            "rows": list(self.rows),
        }


@dataclass(frozen=True)
class ResidualChecks:
    """The measured numbers and the findings of the rules in this module's docstring.

    NaN marks a number that could not be measured (too few rows, zero spread).
    """

    n: int
    sd_ratio_top_bottom: float
    spearman_abs_resid_fitted: float
    spearman_p: float
    excess_kurtosis: float
    n_beyond_3: int
    expected_beyond_3: float
    outlier_threshold: float
    findings: tuple[Finding, ...] = field(default=())

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(f.code for f in self.findings)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "findings":
                out[f.name] = [x.to_dict() for x in value]
            else:
                out[f.name] = _finite_or_none(value)
        return out


def _finite_or_none(value: Any) -> Any:
    if isinstance(value, float | np.floating):
        return float(value) if np.isfinite(value) else None
    return value


def bonferroni_z(count: int) -> float:
    """max(3, Φ⁻¹(1 − 0.025/count)): a two-sided 5% family-wise bound on |z|."""
    from scipy import stats  # imported here: scipy.stats loads slowly

    return float(max(TAIL_Z, stats.norm.isf(FAMILYWISE_ALPHA / (2.0 * max(count, 1)))))


def _funnel(resid: np.ndarray, fitted: np.ndarray) -> tuple[float, float, float, Finding | None]:
    from scipy import stats

    n = resid.size
    if n < MIN_OBS_FOR_SHAPE or np.ptp(fitted) == 0:
        return np.nan, np.nan, np.nan, None
    order = np.argsort(fitted, kind="stable")
    third = n // 3
    sd_low = float(np.std(resid[order[:third]], ddof=1))
    sd_high = float(np.std(resid[order[-third:]], ddof=1))
    ratio = sd_high / sd_low if sd_low > 0 else np.inf
    rho, p = stats.spearmanr(np.abs(resid), fitted)
    rho, p = float(rho), float(p)
    widening = ratio > FUNNEL_SD_RATIO and rho > 0
    narrowing = ratio < 1.0 / FUNNEL_SD_RATIO and rho < 0
    finding = None
    if (widening or narrowing) and p < FUNNEL_P:
        finding = Finding(
            "funnel",
            {"sd_ratio_top_bottom": ratio, "spearman_rho": rho, "spearman_p": p,
             "direction": 1.0 if widening else -1.0},
        )
    return ratio, rho, p, finding


def _tails(z: np.ndarray) -> tuple[float, int, float, Finding | None]:
    from scipy import stats

    n = z.size
    kurt = float(stats.kurtosis(z, fisher=True, bias=False)) if n >= 4 else np.nan
    n_beyond = int(np.sum(np.abs(z) > TAIL_Z))
    expected = n * NORMAL_TAIL_SHARE
    count_limit = float(stats.binom.ppf(TAIL_COUNT_QUANTILE, n, NORMAL_TAIL_SHARE))
    kurt_limit = max(KURTOSIS_MIN, KURTOSIS_SE_MULTIPLE * np.sqrt(24.0 / max(n, 1)))
    heavy = (np.isfinite(kurt) and kurt > kurt_limit) or n_beyond > count_limit
    finding = None
    if heavy:
        finding = Finding(
            "heavy_tails",
            {"excess_kurtosis": kurt, "kurtosis_limit": float(kurt_limit),
             "n_beyond_3": float(n_beyond), "expected_beyond_3": expected,
             "count_limit": count_limit},
        )
    return kurt, n_beyond, expected, finding


def _outlying_rows(z: np.ndarray) -> tuple[float, Finding | None]:
    limit = bonferroni_z(z.size)
    rows = np.flatnonzero(np.abs(z) > limit)
    if rows.size == 0:
        return limit, None
    rows = rows[np.argsort(-np.abs(z[rows]), kind="stable")]
    values = {"threshold": limit, "max_abs_z": float(np.abs(z[rows[0]]))}
    return limit, Finding("outlying_observations", values, rows=tuple(int(r) for r in rows))


def masking_resistant_flags(values: np.ndarray, limit: float) -> tuple[np.ndarray, float]:
    """Levels with |value| / SD > ``limit``, the SD recomputed without the levels
    flagged so far until nothing changes; returns (flags, final SD)."""
    flagged = np.zeros(values.size, dtype=bool)
    while True:
        rest = values[~flagged]
        spread = float(np.std(rest, ddof=1)) if rest.size > 1 else 0.0
        if not spread > 0:
            return flagged, spread
        updated = flagged | (np.abs(values) / spread > limit)
        if (updated == flagged).all():
            return flagged, spread
        flagged = updated


def extreme_levels(random_effects: Sequence[Any] | RandomEffectColumns) -> tuple[Finding, ...]:
    """The ``extreme_levels`` rule for every (group, term) of the random effects (rows,
    or a fit's columns)."""
    found: list[Finding] = []
    for (group, term), (levels, values) in blups_by_term(random_effects).items():
        if values.size < MIN_LEVELS:
            continue
        limit = bonferroni_z(values.size)
        flags, spread = masking_resistant_flags(values, limit)
        hits = np.flatnonzero(flags)
        if hits.size == 0:
            continue
        hits = hits[np.argsort(-np.abs(values[hits]), kind="stable")]
        found.append(
            Finding(
                "extreme_levels",
                {"threshold": limit, "max_abs_z": float(np.abs(values[hits[0]]) / spread),
                 "sd_unflagged": spread, "n_levels": float(values.size)},
                group=group,
                term=term,
                levels=tuple(levels[i] for i in hits.tolist()),
            )
        )
    return tuple(found)


def check_residual_arrays(
    residuals: np.ndarray, fitted: np.ndarray, sigma: float,
    random_effects: Sequence[Any] | RandomEffectColumns = (),
) -> ResidualChecks:
    """Apply every rule to conditional residuals, fitted values, σ̂ and the BLUPs."""
    resid = np.asarray(residuals, dtype=float)
    fit_vals = np.asarray(fitted, dtype=float)
    z = resid / sigma if sigma > 0 else np.zeros_like(resid)
    ratio, rho, p, funnel = _funnel(resid, fit_vals)
    kurt, n_beyond, expected, tails = _tails(z)
    limit, outliers = _outlying_rows(z)
    findings = [f for f in (funnel, tails, outliers) if f is not None]
    findings.extend(extreme_levels(random_effects))
    return ResidualChecks(
        n=int(resid.size),
        sd_ratio_top_bottom=ratio,
        spearman_abs_resid_fitted=rho,
        spearman_p=p,
        excess_kurtosis=kurt,
        n_beyond_3=n_beyond,
        expected_beyond_3=expected,
        outlier_threshold=limit,
        findings=tuple(findings),
    )


def check_residuals(fit) -> ResidualChecks:
    """Apply every rule to a fitted model (``fit.residuals()``, ``fit.fitted()``,
    ``fit.sigma``, ``fit.random_effects``)."""
    columns = getattr(fit, "random_effect_columns", None)
    return check_residual_arrays(
        np.asarray(fit.residuals(), dtype=float),
        np.asarray(fit.fitted(), dtype=float),
        float(fit.sigma),
        fit.random_effects if columns is None else columns,
    )
