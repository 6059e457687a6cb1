"""The levels of a factor at the first time point ("compare the treatment groups at
baseline"), seen two ways:

* observed: each level's number of observations, mean and SD of the outcome among the
  model's rows at the first value of its time predictor, and for two levels their
  difference with Welch's t interval (Welch 1947: unequal variances, the
  Welch–Satterthwaite df);
* the model: the factor's estimated marginal means at that time value and their
  difference (``engine.marginal_means``, emmeans' ``at``), with the fit's df method.

Without a factor-by-time interaction the model's difference is the same at every time
(``time_interacts`` False), so the observed difference is the only one that is about
the first time point alone. In a randomised trial a baseline difference is chance by
design; it describes the balance of the arms rather than a hypothesis (CONSORT 2010,
item 15).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from engine.distributions import t_quantile, t_two_sided_p
from engine.errors import LmmInputError
from engine.marginal_means import ContrastTest, MarginalMeans, marginal_means
from engine.predict import factor_levels, fixed_part_variables
from engine.transforms import format_level


@dataclass(frozen=True)
class ObservedLevel:
    """The outcome among one level's rows at the first time point (``sd`` NaN below two
    rows)."""

    level: str
    n: int
    mean: float
    sd: float


@dataclass(frozen=True)
class BaselineComparison:
    """A factor's levels at ``first_time`` of ``time``: ``observed`` per level (in the
    factor's level order), ``observed_difference`` (second level minus first, Welch; two
    levels with two rows or more each only) and ``model`` (the marginal means there)."""

    factor: str
    time: str
    first_time: float | str
    response: str
    observed: tuple[ObservedLevel, ...]
    observed_difference: ContrastTest | None
    model: MarginalMeans
    time_interacts: bool
    level: float

    def to_dict(self) -> dict[str, Any]:
        diff = self.observed_difference
        return {
            "kind": "baseline_comparison", "factor": self.factor, "time": self.time,
            "first_time": self.first_time, "response": self.response,
            "observed": [
                {"level": o.level, "n": o.n, "mean": o.mean, "sd": _json(o.sd)}
                for o in self.observed
            ],
            "observed_difference": None if diff is None else {
                k: _json(getattr(diff, k))
                for k in ("estimate", "se", "df", "t", "p", "lower", "upper")
            },
            "model": self.model.to_dict(),
            "time_interacts": self.time_interacts,
            "level": self.level,
        }


def _json(x: float) -> float | None:
    return None if math.isnan(x) else float(x)


def baseline_comparison(
    fit: Any, factor: str, time: str, *, level: float = 0.95
) -> BaselineComparison:
    """Compare ``factor``'s levels at the first value of ``time`` (see the module)."""
    data = fit.data
    variables = fixed_part_variables(fit.model_formula, data)
    if factor not in variables.factors:
        raise LmmInputError(
            f"{factor!r} is no factor of the model's fixed part; name one of "
            f"{', '.join(variables.factors) or 'its factors (it has none)'}."
        )
    if time not in variables.ordered or time == factor:
        raise LmmInputError(
            f"{time!r} is no time predictor of the model; fit a model with time in it, "
            "e.g. `LMM: y ~ time + group + (1 | id)`."
        )
    response = fit.response_name
    if response not in data.columns:
        raise LmmInputError(
            f"The outcome {response!r} is transformed in the formula, so its observed means "
            "are not the model's scale; fit the model on a column of its own."
        )
    first = _first_value(data[time], time in variables.factors)
    at_first = data[time].map(format_level) == format_level(first)
    levels = factor_levels(data[factor])
    keys = data[factor].map(format_level)
    observed = []
    for value in levels:
        y = data.loc[at_first & (keys == format_level(value)), response].to_numpy(float)
        sd = float(np.std(y, ddof=1)) if y.size > 1 else float("nan")
        mean = float(y.mean()) if y.size else float("nan")
        observed.append(ObservedLevel(str(value), int(y.size), mean, sd))
    model = marginal_means(fit, factor, level=level, adjust="none", at={time: [first]})
    return BaselineComparison(
        factor=factor,
        time=time,
        first_time=first,
        response=response,
        observed=tuple(observed),
        observed_difference=_welch(observed, level),
        model=model,
        time_interacts=time in model.interacting,
        level=level,
    )


def _first_value(series: Any, categorical: bool) -> float | str:
    if categorical:
        return factor_levels(series)[0]
    return float(series.min())


def _welch(observed: list[ObservedLevel], level: float) -> ContrastTest | None:
    """Second level minus first with Welch's standard error, df and t interval."""
    if len(observed) != 2 or any(o.n < 2 for o in observed):
        return None
    a, b = observed
    va, vb = a.sd**2 / a.n, b.sd**2 / b.n
    se = math.sqrt(va + vb)
    if se == 0:
        return None
    df = (va + vb) ** 2 / (va**2 / (a.n - 1) + vb**2 / (b.n - 1))
    estimate = b.mean - a.mean
    t = estimate / se
    half = float(t_quantile((1 + level) / 2, df)) * se
    p = float(t_two_sided_p(t, df))
    return ContrastTest(estimate, se, df, t, p, estimate - half, estimate + half)
