"""How much the groups differ at baseline: the range of their own intercepts.

In a model with a random intercept for groups j, each group's own intercept is
β₀ + b_j with b_j ~ N(0, σ²_b), so a share ``coverage`` of the groups has an intercept in
β₀ ± z·σ_b, z = Φ⁻¹((1 + coverage)/2) (1.96 for 95%): the "plausible value range" of
Raudenbush & Bryk (2002, *Hierarchical Linear Models*, 2nd ed., §4.2). It describes the
population of groups under the model's normality assumption and leaves out the
uncertainty of β̂₀ and σ̂_b.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from engine.blups import interval_z
from engine.errors import LmmInputError

INTERCEPT = "(Intercept)"


@dataclass(frozen=True)
class BaselineSpread:
    """The spread of one grouping factor's intercepts: the fixed intercept β̂₀, the SD σ̂_b
    of the random intercepts and the range β̂₀ ± z·σ̂_b that ``coverage`` of the groups'
    own intercepts fall in, under the model."""

    group: str
    intercept: float
    variance: float
    sd: float
    coverage: float
    z: float
    lower: float
    upper: float
    n_levels: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": "baseline_spread", "group": self.group, "intercept": self.intercept,
            "variance": self.variance, "sd": self.sd, "coverage": self.coverage, "z": self.z,
            "lower": self.lower, "upper": self.upper, "n_levels": self.n_levels,
        }


def baseline_spread(fit: Any, group: str, coverage: float = 0.95) -> BaselineSpread:
    """The range of ``group``'s own intercepts (see the module docstring)."""
    if INTERCEPT not in list(fit.fixed_names):
        raise LmmInputError(
            "The model has no fixed intercept, so its groups' intercepts have no average to "
            "spread around; fit it with an intercept."
        )
    rows = [v for v in fit.variance_components
            if v.group == group and v.var1 == INTERCEPT and v.var2 is None]
    if not rows:
        raise LmmInputError(
            f"The model has no random intercept for {group}, so its levels all share one "
            f"intercept; add one with `add a random intercept for {group}`."
        )
    variance = float(rows[0].vcov)
    beta0 = float(fit.beta[list(fit.fixed_names).index(INTERCEPT)])
    sd, z, lower, upper = plausible_value_range(beta0, variance, coverage)
    return BaselineSpread(
        group=group, intercept=beta0, variance=variance, sd=sd, coverage=coverage, z=z,
        lower=lower, upper=upper, n_levels=int(fit.ngroups[group]),
    )


def plausible_value_range(
    mean: float, variance: float, coverage: float
) -> tuple[float, float, float, float]:
    """Raudenbush & Bryk's plausible-value range of a random coefficient with average
    ``mean`` and variance ``variance``: (σ, z, mean − z·σ, mean + z·σ), with
    z = Φ⁻¹((1 + coverage)/2)."""
    sd = math.sqrt(variance)
    z = interval_z(coverage)
    return sd, z, mean - z * sd, mean + z * sd
