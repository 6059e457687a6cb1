"""Is the residual variance the same in each group (treatment arm)? A check on the fitted
model's conditional residuals, not a model with group-specific residual variances.

The fitted model assumes one residual variance σ² for every observation. This module
measures how far the data depart from that, per level of a factor:

* the SD of the conditional residuals y − Xβ̂ − Zb̂ (lme4's ``residuals(m)``) in each level
  (sample SD, n − 1 divisor), and the ratio of the largest to the smallest variance;
* Levene's (1960) test, the one-way ANOVA F of |r − mean of the level|, and the
  Brown-Forsythe (1974) variant with the level's median (both as ``scipy.stats.levene``
  with ``center="mean"`` / ``"median"``, and car's ``leveneTest`` in R).

Caveat, stated with the answer: conditional residuals are shrunken and correlated within
a subject, so the tests' p values are approximate. Estimating a residual variance per
group (nlme's ``varIdent``; not possible in lme4, nor here) is the model-based answer.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from engine.errors import LmmInputError

#: A factor with more levels than this is not a set of groups to compare this way.
MAX_LEVELS = 20


@dataclass(frozen=True)
class LevelSpread:
    level: str
    n: int
    residual_sd: float


@dataclass(frozen=True)
class ResidualVarianceByGroup:
    """``levels`` in the data's order; ``variance_ratio`` largest over smallest residual
    variance; Levene's (centre: mean) and Brown-Forsythe's (centre: median) F tests with
    their df; ``model_sigma`` the model's single residual SD σ̂."""

    column: str
    levels: tuple[LevelSpread, ...]
    variance_ratio: float
    levene_f: float
    levene_p: float
    brown_forsythe_f: float
    brown_forsythe_p: float
    df1: int
    df2: int
    model_sigma: float

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["levels"] = [asdict(level) for level in self.levels]
        return {"kind": "residual_variance_by_group", **out}


def residual_variance_by_group(fit: Any, column: str) -> ResidualVarianceByGroup:
    """The conditional residuals' spread per level of ``column`` (a column of the model's
    data), with Levene's and Brown-Forsythe's tests of equal variances."""
    from scipy import stats

    data = fit.data
    if column not in data.columns:
        raise LmmInputError(
            f"{column} is not a variable of the model; name a column the model uses, such "
            "as its treatment factor."
        )
    values = data[column].astype(str).to_numpy()
    levels = list(dict.fromkeys(values))
    if not 2 <= len(levels) <= MAX_LEVELS:
        raise LmmInputError(
            f"{column} has {len(levels)} distinct values; comparing residual spread needs a "
            f"factor with 2 to {MAX_LEVELS} groups, such as a treatment arm."
        )
    residuals = np.asarray(fit.residuals(), dtype=float)
    groups = [residuals[values == level] for level in levels]
    if min(len(g) for g in groups) < 3:
        raise LmmInputError(
            f"Some level of {column} has fewer than 3 observations, too few to estimate its "
            "residual spread."
        )
    spreads = tuple(LevelSpread(level, len(g), float(np.std(g, ddof=1)))
                    for level, g in zip(levels, groups, strict=True))
    variances = [s.residual_sd ** 2 for s in spreads]
    levene = stats.levene(*groups, center="mean")
    brown_forsythe = stats.levene(*groups, center="median")
    return ResidualVarianceByGroup(
        column=column, levels=spreads, variance_ratio=max(variances) / min(variances),
        levene_f=float(levene.statistic), levene_p=float(levene.pvalue),
        brown_forsythe_f=float(brown_forsythe.statistic),
        brown_forsythe_p=float(brown_forsythe.pvalue),
        df1=len(levels) - 1, df2=len(residuals) - len(levels), model_sigma=float(fit.sigma),
    )
