"""Prediction intervals for a new unit: what a subject the model has not seen would score.

The population prediction x'β̂ (``engine.predict``) and its confidence interval describe
the mean over all units. A new unit (a new subject, school or rater) has its own random
effects b_new ~ N(0, Σ), which the data say nothing about, so its values scatter around
x'β̂ with the between-unit spread. At predictor values x, with z the random terms'
columns there (1 and Days for ``(1 + Days | Subject)``):

* the new unit's own mean x'β + z'b_new has variance x'Var(β̂)x + z'Σz;
* one new observation of it, x'β + z'b_new + ε, adds the residual variance σ².

The intervals are x'β̂ ± z_{(1+level)/2} times the square root of each variance, with
every random term's b drawn afresh (a new level of every grouping factor) and the
variance parameters taken as known: the plug-in interval of Bolker et al.'s GLMM FAQ
("Predictions and/or confidence (or prediction) intervals on predictions") and of
Gelman & Hill (2007, §12.8) without simulation. It is a little too narrow when the
variances are poorly estimated (few units), which the narration says.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from engine.design import fixed_design_for
from engine.distributions import normal_quantile
from engine.level_prediction import random_term_column
from engine.predict import ESTIMATE_COLUMNS, PredictionGrid

#: The columns :func:`new_unit_intervals` adds to the grid's predictor columns.
NEW_UNIT_COLUMNS = (
    "estimate", "se", "sd_between", "sd_unit_mean", "unit_lower", "unit_upper",
    "sd_observation", "observation_lower", "observation_upper",
)


@dataclass(frozen=True)
class NewUnitIntervals:
    """Intervals for a new unit at each row of ``population``'s grid.

    ``frame``: the predictor columns, ``estimate`` (x'β̂) and ``se`` (√(x'Var(β̂)x)),
    ``sd_between`` (√(z'Σz), the spread of new units' means around x'β), the new unit's
    mean's SD √(se² + z'Σz) with its interval (``unit_lower``, ``unit_upper``), and one
    new observation's SD √(se² + z'Σz + σ²) with its interval (``observation_lower``,
    ``observation_upper``). ``groups``: the grouping factors whose random effects are
    drawn afresh (all of the model's); ``unit``: the unit as the user named it, if any.
    """

    population: PredictionGrid
    frame: pd.DataFrame
    groups: tuple[str, ...]
    residual_sd: float
    level: float
    unit: str | None = None

    def to_dict(self) -> dict[str, Any]:
        rows = self.frame.astype(object).where(pd.notna(self.frame), None)
        return {
            "kind": "new_unit_predictions",
            "response": self.population.response,
            "unit": self.unit,
            "groups": list(self.groups),
            "residual_sd": self.residual_sd,
            "level": self.level,
            "interval": "normal plug-in (variance parameters taken as known)",
            "rows": rows.to_dict(orient="records"),
            "population": self.population.to_dict(),
        }


def between_unit_variance(fit: Any, predictors: pd.DataFrame) -> np.ndarray:
    """z'Σz at each row of ``predictors``, summed over the model's random terms, with
    Σ = σ² T T' each term's covariance (lme4's ``VarCorr``) and z its columns there."""
    model = fit.model
    theta = np.asarray(fit.theta, dtype=float)
    sigma2 = float(fit.sigma) ** 2
    design = fixed_design_for(fit, predictors)
    total = np.zeros(len(predictors))
    for term in model.terms:
        covariance = term.covariance(theta, sigma2)
        z = np.column_stack(
            [random_term_column(fit, column, predictors, design) for column in term.columns]
        )
        total += np.einsum("ia,ab,ib->i", z, covariance, z)
    return np.maximum(total, 0.0)


def new_unit_intervals(
    fit: Any, population: PredictionGrid, unit: str | None = None
) -> NewUnitIntervals:
    """The intervals of :class:`NewUnitIntervals` at the rows of ``population`` (from
    :func:`engine.predict.population_predictions`), at its confidence level."""
    predictors = population.frame.drop(columns=list(ESTIMATE_COLUMNS))
    estimate = population.frame["estimate"].to_numpy(dtype=float)
    se = population.frame["se"].to_numpy(dtype=float)
    between = between_unit_variance(fit, predictors)
    residual = float(fit.sigma) ** 2
    q = float(normal_quantile(0.5 + population.level / 2.0))
    unit_sd = np.sqrt(se**2 + between)
    observation_sd = np.sqrt(se**2 + between + residual)
    frame = predictors.copy()
    frame["estimate"] = estimate
    frame["se"] = se
    frame["sd_between"] = np.sqrt(between)
    frame["sd_unit_mean"] = unit_sd
    frame["unit_lower"] = estimate - q * unit_sd
    frame["unit_upper"] = estimate + q * unit_sd
    frame["sd_observation"] = observation_sd
    frame["observation_lower"] = estimate - q * observation_sd
    frame["observation_upper"] = estimate + q * observation_sd
    groups = tuple(dict.fromkeys(term.group for term in fit.model.terms))
    return NewUnitIntervals(
        population=population, frame=frame, groups=groups,
        residual_sd=float(fit.sigma), level=population.level, unit=unit,
    )
