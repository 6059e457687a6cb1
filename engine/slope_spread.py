"""How much the groups differ in a slope: the range of their own slopes.

In a model with a random slope of x for groups j, each group's own slope is β_x + b_xj
with b_xj ~ N(0, σ²_x), so a share ``coverage`` of the groups has a slope in
β_x ± z·σ_x, z = Φ⁻¹((1 + coverage)/2) (1.96 for 95%): the plausible-value range of
Raudenbush & Bryk (2002, *Hierarchical Linear Models*, 2nd ed., §4.2), applied to a
slope as they do for the intercept. It describes the population of groups under the
model's normality assumption and leaves out the uncertainty of β̂_x and σ̂_x.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from engine.baseline_spread import INTERCEPT, plausible_value_range
from engine.errors import LmmInputError


@dataclass(frozen=True)
class SlopeSpread:
    """The spread of one grouping factor's slopes of ``variable``: the fixed slope β̂_x,
    the SD σ̂_x of the random slopes and the range β̂_x ± z·σ̂_x that ``coverage`` of the
    groups' own slopes fall in, under the model; ``share_opposite`` is the share of
    groups whose own slope has the other sign than β̂_x, Φ(−|β̂_x|/σ̂_x)."""

    group: str
    variable: str
    slope: float
    variance: float
    sd: float
    coverage: float
    z: float
    lower: float
    upper: float
    share_opposite: float
    n_levels: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": "slope_spread", "group": self.group, "variable": self.variable,
            "slope": self.slope, "variance": self.variance, "sd": self.sd,
            "coverage": self.coverage, "z": self.z, "lower": self.lower, "upper": self.upper,
            "share_opposite": self.share_opposite, "n_levels": self.n_levels,
        }


def random_slope_variables(fit: Any, group: str) -> list[str]:
    """The variables with a random slope (a variance, not a covariance) for ``group``."""
    return [v.var1 for v in fit.variance_components
            if v.group == group and v.var2 is None and v.var1 != INTERCEPT]


def slope_spread(fit: Any, group: str, variable: str, coverage: float = 0.95) -> SlopeSpread:
    """The range of ``group``'s own slopes of ``variable`` (see the module docstring)."""
    rows = [v for v in fit.variance_components
            if v.group == group and v.var1 == variable and v.var2 is None]
    if not rows:
        raise LmmInputError(
            f"The model has no random slope of {variable} for {group}, so its levels all "
            f"share one slope; add one with `add a random slope for {variable}`."
        )
    names = list(fit.fixed_names)
    if variable not in names:
        raise LmmInputError(
            f"The model has no fixed effect of {variable}, so the {group} slopes have no "
            f"average to spread around; add {variable} to the fixed part."
        )
    variance = float(rows[0].vcov)
    beta = float(fit.beta[names.index(variable)])
    sd, z, lower, upper = plausible_value_range(beta, variance, coverage)
    share_opposite = 0.5 * math.erfc(abs(beta) / (sd * math.sqrt(2.0))) if sd > 0 else 0.0
    return SlopeSpread(
        group=group, variable=variable, slope=beta, variance=variance, sd=sd,
        coverage=coverage, z=z, lower=lower, upper=upper,
        share_opposite=share_opposite, n_levels=int(fit.ngroups[group]),
    )
