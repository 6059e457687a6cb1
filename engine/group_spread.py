"""How much the groups differ: the SD of their random intercepts, the residual variance
beside it, the share of the variance that lies between the groups, and the range of the
groups' own means the SD implies.

For a random intercept b_j ~ N(0, σ²_b) of grouping factor g and residual ε ~ N(0, σ²):

- the between-group SD σ̂_b and the within-group (residual) SD σ̂ (lme4's ``VarCorr``);
- the share of the variance left by the fixed effects that lies between the levels of g:
  the ICC σ²_b / (σ²_b + σ²) for a single random intercept, and for several random
  intercepts (crossed or nested) σ²_g / (Σ_k σ²_k + σ²) (performance's
  ``icc(by_group = TRUE)``; ``engine.variance.GroupShare``). With a random slope the share
  changes with the slope variable, so there is none (``share`` is None) and Nakagawa's
  adjusted ICC, which averages over the data, is given instead;
- the range β̂₀ ± z·σ̂_b that a share ``coverage`` of the groups' own means (at the fixed
  intercept's reference point) falls in, Raudenbush & Bryk's plausible-value range
  (:mod:`engine.baseline_spread`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from engine.baseline_spread import INTERCEPT, BaselineSpread, baseline_spread
from engine.variance import VarianceExplained, variance_explained


@dataclass(frozen=True)
class GroupSpread:
    """How much one grouping factor's levels differ (see the module docstring).

    ``spread`` holds σ̂²_b, σ̂_b, β̂₀ and the plausible-value range; ``residual_variance``
    is σ̂²; ``share`` the ICC (one random intercept) or the factor's share of the
    variance (several random intercepts), None with a random slope; ``share_kind`` says
    which (``"icc"``, ``"group_share"``, None); ``total_variance`` the denominator of the
    share (σ²_b + σ², or Σ_k σ²_k + σ²; None without a share); ``variance`` is
    the whole model's decomposition (``engine.variance.variance_explained``: the ICC,
    Nakagawa's adjusted ICC, every factor's share); ``random_slope`` is true when the
    factor also has a random slope."""

    spread: BaselineSpread
    residual_variance: float
    share: float | None
    share_kind: str | None
    total_variance: float | None
    variance: VarianceExplained
    random_slope: bool

    @property
    def residual_sd(self) -> float:
        return self.residual_variance ** 0.5

    @property
    def icc_adjusted(self) -> float:
        """Nakagawa's adjusted ICC σ²_r / (σ²_r + σ²) of the whole model."""
        return float(self.variance.icc_adjusted)

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": "group_spread", **{k: v for k, v in self.spread.to_dict().items()
                                       if k != "kind"},
            "residual_variance": self.residual_variance, "residual_sd": self.residual_sd,
            "share": self.share, "share_kind": self.share_kind,
            "total_variance": self.total_variance,
            "icc_adjusted": self.icc_adjusted, "random_slope": self.random_slope,
        }


def group_spread(fit: Any, group: str, coverage: float = 0.95) -> GroupSpread:
    """How much ``group``'s levels differ in ``fit`` (see the module docstring)."""
    spread = baseline_spread(fit, group, coverage)
    variance = variance_explained(fit)
    share: float | None = None
    kind: str | None = None
    total: float | None = None
    if variance.icc is not None:
        share, kind = float(variance.icc), "icc"
        total = variance.var_random + variance.var_residual
    else:
        found = [s for s in variance.group_shares if s.group == group]
        if found:
            share, kind = float(found[0].variance_share), "group_share"
            total = variance.var_random + variance.var_residual
    slope = any(v.group == group and v.var2 is None and v.var1 != INTERCEPT
                for v in fit.variance_components)
    return GroupSpread(
        spread=spread, residual_variance=float(fit.sigma) ** 2, share=share,
        share_kind=kind, total_variance=total, variance=variance, random_slope=slope,
    )

