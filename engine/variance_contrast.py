"""Two grouping factors' random-intercept variances side by side ("do raters differ more
than items?"): each variance and SD (lme4's ``VarCorr``), the SD's profile-likelihood
interval (lme4's ``confint(method = "profile")``), and the ratio of the variances."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from engine.errors import LmmInputError

INTERCEPT = "(Intercept)"


@dataclass(frozen=True)
class InterceptVariance:
    """One grouping factor's random-intercept variance, SD and the SD's profile interval."""

    group: str
    variance: float
    sd: float
    sd_lower: float
    sd_upper: float
    #: the factor also has random slopes (the intercept variance is then at 0 of them)
    has_slopes: bool


@dataclass(frozen=True)
class VarianceContrast:
    """``first`` and ``second`` compared: ``ratio`` is first's variance over second's."""

    first: InterceptVariance
    second: InterceptVariance
    residual_variance: float
    ratio: float
    level: float

    @property
    def intervals_overlap(self) -> bool:
        a, b = self.first, self.second
        return a.sd_lower <= b.sd_upper and b.sd_lower <= a.sd_upper

    def to_dict(self) -> dict[str, Any]:
        def one(v: InterceptVariance) -> dict[str, Any]:
            return {"group": v.group, "variance": v.variance, "sd": v.sd,
                    "sd_lower": v.sd_lower, "sd_upper": v.sd_upper,
                    "has_slopes": v.has_slopes}

        return {"kind": "variance_contrast", "first": one(self.first),
                "second": one(self.second), "residual_variance": self.residual_variance,
                "ratio": self.ratio, "level": self.level,
                "intervals_overlap": self.intervals_overlap}


def variance_contrast(fit: Any, first: str, second: str, *, level: float = 0.95
                      ) -> VarianceContrast:
    """The random-intercept variances of grouping factors ``first`` and ``second``."""
    if first == second:
        raise LmmInputError(f"Name two different grouping factors, not {first} twice.")
    intervals = fit.confint(method="profile", level=level)
    by_name = {row.parameter: (row.lower, row.upper) for row in intervals.itertuples()}
    shares = []
    for group in (first, second):
        rows = [v for v in fit.variance_components if v.group == group]
        intercept = [v for v in rows if v.var1 == INTERCEPT and v.var2 is None]
        if not intercept:
            raise LmmInputError(
                f"{group} has no random intercept in this model, so its variance cannot be "
                "set beside another factor's."
            )
        lower, upper = by_name[f"sd_{INTERCEPT}|{group}"]
        has_slopes = any(v.var1 not in (INTERCEPT, None) for v in rows)
        shares.append(InterceptVariance(group, intercept[0].vcov, intercept[0].sdcor,
                                        float(lower), float(upper), has_slopes))
    residual = fit.sigma ** 2
    ratio = shares[0].variance / shares[1].variance if shares[1].variance > 0 else float("inf")
    return VarianceContrast(shares[0], shares[1], residual, ratio, level)
