"""A fixed-effect coefficient expressed for another number of units of its predictor.

The coefficient of x per ``k`` units is k·β̂ with standard error |k|·SE(β̂) and interval
k·(lower, upper): the same as refitting with x/k as the predictor, whose coefficient is
k·β̂ (the design column is divided by k). The t statistic, its degrees of freedom and the
p value do not change (lmerTest's Satterthwaite df are invariant to rescaling a column).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from engine.coefficient_meaning import match_coefficients
from engine.errors import LmmInputError
from engine.results import FixedEffect


@dataclass(frozen=True)
class RescaledCoefficient:
    """One coefficient per ``per`` units of its predictor: ``original`` is the fit's row,
    ``rescaled`` the same row with estimate, SE and interval multiplied by ``per`` (t, df
    and p unchanged); ``level`` is the interval's confidence level."""

    term: str
    per: float
    original: FixedEffect
    rescaled: FixedEffect
    level: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": "rescaled_coefficient",
            "term": self.term,
            "per": self.per,
            "level": self.level,
            "original": vars(self.original),
            "rescaled": vars(self.rescaled),
        }


def rescaled_coefficient(fit: Any, asked: str, per: float) -> RescaledCoefficient:
    """The coefficient named by ``asked`` for ``per`` units of its predictor."""
    if per == 0:
        raise LmmInputError("A coefficient per 0 units is always 0; give another number.")
    terms = match_coefficients(fit, asked)
    if len(terms) != 1:
        raise LmmInputError(
            f"'{asked}' names {len(terms)} coefficients ({', '.join(terms)}); name one."
        )
    row = next(r for r in fit.fixed_effects if r.term == terms[0])
    lower, upper = sorted((per * row.ci_lower, per * row.ci_upper))
    scaled = FixedEffect(
        term=row.term, estimate=per * row.estimate, se=abs(per) * row.se, df=row.df,
        t=row.t if per > 0 else -row.t, p=row.p, ci_lower=lower, ci_upper=upper,
    )
    return RescaledCoefficient(terms[0], float(per), row, scaled, float(fit.level))
