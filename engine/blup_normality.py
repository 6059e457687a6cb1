"""Do the random effects look normal? Shapiro-Wilk and moments of each term's BLUPs.

The model assumes each random-effect term is normal across the levels of its grouping
factor; the conditional modes (BLUPs, lme4's ``ranef``) are the only estimates of the
level effects, so they are what a QQ plot (``qqnorm(ranef(m))``) and a test can look at.
BLUPs are shrunken toward zero, the more so for levels with little data, so their
distribution is not that of the true effects: the test is a rough guide only
(Verbeke & Lesaffre 1996; McCulloch & Neuhaus 2011 on how little mild non-normality
changes the fixed effects).

Per term: Shapiro-Wilk W and p (Shapiro & Wilk 1965, Royston's algorithm as in R's
``shapiro.test``, via ``scipy.stats.shapiro``; defined for 3 to 5000 values that are
not all equal), and the bias-corrected skewness and excess kurtosis (0 for a normal).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

#: R's ``shapiro.test`` takes between 3 and 5000 values.
SHAPIRO_MIN, SHAPIRO_MAX = 3, 5000


@dataclass(frozen=True)
class BlupNormalityTerm:
    """One random-effect term's BLUPs: their number, Shapiro-Wilk test and moments
    (None where undefined: too few or too many levels, or all BLUPs equal)."""

    group: str
    term: str
    n_levels: int
    sd: float
    shapiro_w: float | None
    shapiro_p: float | None
    skewness: float | None
    excess_kurtosis: float | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "group": self.group, "term": self.term, "n_levels": self.n_levels, "sd": self.sd,
            "shapiro_w": self.shapiro_w, "shapiro_p": self.shapiro_p,
            "skewness": self.skewness, "excess_kurtosis": self.excess_kurtosis,
        }


@dataclass(frozen=True)
class BlupNormality:
    """Every random-effect term of a fit, in the fit's order."""

    terms: tuple[BlupNormalityTerm, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"kind": "random_effects_normality", "terms": [t.to_dict() for t in self.terms]}


def _finite(value: float) -> float | None:
    value = float(value)
    return value if math.isfinite(value) else None


def term_normality(group: str, term: str, values: np.ndarray) -> BlupNormalityTerm:
    """Shapiro-Wilk and moments of one term's BLUPs."""
    from scipy import stats  # imported here: scipy.stats loads slowly

    n = int(values.size)
    sd = float(np.std(values, ddof=1)) if n > 1 else 0.0
    varies = n > 1 and sd > 1e-12 * max(1.0, float(np.max(np.abs(values))))
    w = p = None
    if varies and SHAPIRO_MIN <= n <= SHAPIRO_MAX:
        result = stats.shapiro(values)
        w, p = _finite(result.statistic), _finite(result.pvalue)
    skew = _finite(stats.skew(values, bias=False)) if varies and n >= 3 else None
    kurt = _finite(stats.kurtosis(values, bias=False)) if varies and n >= 4 else None
    return BlupNormalityTerm(group, term, n, sd, w, p, skew, kurt)


def blup_normality(fit: Any) -> BlupNormality:
    """One :class:`BlupNormalityTerm` per (grouping factor, term) of ``fit``."""
    values: dict[tuple[str, str], list[float]] = {}
    for effect in fit.random_effects:
        values.setdefault((effect.group, effect.term), []).append(float(effect.value))
    return BlupNormality(tuple(
        term_normality(group, term, np.asarray(v)) for (group, term), v in values.items()
    ))
