"""The mean outcome in one level of a fixed factor, observed and as the model estimates it.

"What is the mean rating in condition A?" has two honest answers. The observed mean is
the plain average of the outcome over the model frame's rows at that level (the rows the
fit used; rows dropped for missing values are not in it). The model's estimate is the
level's estimated marginal mean x̄'β̂ (Lenth's ``emmeans`` default reference grid, from
:func:`engine.marginal_means.marginal_means`), with the fit's df method and its Wald
interval: it allows for the grouping (raters and items that saw more of one level count
no more than the others) and for the other fixed terms, averaged over or held at their
means. The two agree exactly in a balanced design with no other fixed terms; otherwise
they may differ, and the interval belongs to the model's number only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from engine.blups import match_level
from engine.errors import LmmInputError
from engine.marginal_means import ContrastTest, marginal_means
from engine.predict import factor_levels, fixed_part_variables


@dataclass(frozen=True)
class LevelMean:
    """Observed and model-estimated mean of the outcome in ``level`` of ``factor``."""

    response: str
    factor: str
    level: str  # as stored in the fit
    requested: str  # as asked for
    n: int  # model-frame rows at that level
    observed_mean: float
    observed_sd: float  # NaN with a single row
    estimate: ContrastTest  # the estimated marginal mean x̄'β̂, with its test and interval
    averaged_over: tuple[str, ...]
    held_at_mean: dict[str, float]
    interval_level: float
    df_method: str

    def to_dict(self) -> dict[str, Any]:
        def finite(value: float) -> float | None:
            return float(value) if np.isfinite(value) else None

        return {
            "kind": "level_mean", "response": self.response, "factor": self.factor,
            "level": self.level, "requested": self.requested, "n": self.n,
            "observed_mean": finite(self.observed_mean),
            "observed_sd": finite(self.observed_sd),
            "estimate": finite(self.estimate.estimate), "se": finite(self.estimate.se),
            "df": finite(self.estimate.df), "lower": finite(self.estimate.lower),
            "upper": finite(self.estimate.upper),
            "averaged_over": list(self.averaged_over),
            "held_at_mean": dict(self.held_at_mean),
            "interval_level": self.interval_level, "df_method": self.df_method,
        }


def _factor_with_level(fit: Any, factors: list[str], text: str) -> tuple[str, str]:
    found = []
    for name in factors:
        matched = match_level([str(v) for v in factor_levels(fit.data[name])], text)
        if matched is not None:
            found.append((name, matched))
    if len(found) == 1:
        return found[0]
    if not found:
        listed = ", ".join(factors) if factors else "none"
        raise LmmInputError(
            f"No factor of the model's fixed part has a level '{text}' (its factors: "
            f"{listed}); name the factor and one of its levels, e.g. "
            f"'the mean {fit.response_name} in <factor> <level>'."
        )
    names = " and ".join(name for name, _ in found)
    raise LmmInputError(
        f"Both {names} have a level '{text}'; name the factor too, e.g. "
        f"'the mean {fit.response_name} in {found[0][0]} {text}'."
    )


def level_mean(
    fit: Any, factor: str | None, level_text: str, level: float = 0.95
) -> LevelMean:
    """The observed mean of the outcome at one level of a fixed factor, beside the model's
    estimated marginal mean there (see the module). ``factor`` None: the one fixed factor
    that has that level."""
    data = fit.data
    variables = fixed_part_variables(fit.model_formula, data)
    factors = list(variables.factors)
    if factor is None:
        factor, stored = _factor_with_level(fit, factors, level_text)
    else:
        if factor not in factors:
            groups = fit.model_formula.grouping_variables()
            if factor in groups:
                raise LmmInputError(
                    f"{factor} is a grouping factor of the model, so its levels have no "
                    f"fixed mean; ask for one level's random effects instead, e.g. "
                    f"'what is {factor} {level_text}'s random intercept'."
                )
            listed = ", ".join(factors) if factors else "none"
            raise LmmInputError(
                f"{factor} is not a factor of the model's fixed part (its factors: {listed})."
            )
        levels = [str(v) for v in factor_levels(data[factor])]
        stored = match_level(levels, level_text)
        if stored is None:
            raise LmmInputError(
                f"{factor} has no level '{level_text}'; its levels are {', '.join(levels)}."
            )
    means = marginal_means(fit, factor, level=level)
    (row,) = [m for m in means.means if m.level == stored]
    outcome = data[fit.response_name][data[factor].astype(str) == stored].astype(float)
    return LevelMean(
        response=fit.response_name, factor=factor, level=stored, requested=level_text,
        n=int(outcome.size), observed_mean=float(outcome.mean()),
        observed_sd=float(outcome.std(ddof=1)) if outcome.size > 1 else float("nan"),
        estimate=row.test, averaged_over=means.averaged_over,
        held_at_mean=dict(means.held_at_mean), interval_level=level,
        df_method=means.df_method,
    )
