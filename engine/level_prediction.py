"""A prediction for one known level of a grouping factor: lme4's ``predict(m, newdata)``.

For a subject the model has seen (Subject 308), the conditional prediction at given
predictor values is x'β̂ + z'b̂: the population prediction plus that level's BLUPs, each
random term's column evaluated at the same values (for Subject 308 at Days = 12:
b̂₀ + 12·b̂_Days). Random effects of other grouping factors are set to zero, as lme4's
``re.form = ~ (… | Subject)`` does. The population part x'β̂ (``re.form = NA``, a new
subject) comes with its Wald-t interval from :func:`engine.predict.population_predictions`;
lme4 gives no interval for the conditional prediction, and none is made up here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from engine.blups import INTERCEPT, level_blups, require_level
from engine.design import fixed_design_for
from engine.errors import LmmInputError
from engine.predict import PredictionGrid, population_predictions


@dataclass(frozen=True)
class LevelPrediction:
    """x'β̂ + z'b̂ for one level at the predictor values of ``population``'s rows.

    ``frame`` has the predictor columns, ``population`` (x'β̂), ``deviation`` (z'b̂) and
    ``estimate`` (their sum), one row per row of ``population.frame``.
    """

    response: str
    group: str
    level: str  # as stored in the fit
    requested: str  # as asked for
    blups: dict[str, float]  # the level's BLUP per random-effect term
    frame: pd.DataFrame
    population: PredictionGrid  # x'β̂ with its interval: a new level of the group

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": "level_prediction", "response": self.response, "group": self.group,
            "level": self.level, "requested": self.requested, "blups": dict(self.blups),
            "rows": self.frame.to_dict(orient="records"),
            "population": self.population.to_dict(),
        }


def level_prediction(
    fit: Any, group: str, level_text: str, at: dict[str, Any] | None = None,
    level: float = 0.95,
) -> LevelPrediction:
    """The conditional prediction for level ``level_text`` of ``group`` at ``at``
    (the default grid of :func:`engine.predict.population_predictions` otherwise)."""
    stored = require_level(fit, group, level_text)
    population = population_predictions(fit, level=level, at=at or None)
    predictors = population.frame.drop(columns=["estimate", "se", "df", "lower", "upper"])
    design = fixed_design_for(fit, predictors)
    blups = level_blups(fit, group, stored)
    deviation = np.zeros(len(predictors))
    for term, value in blups.items():
        deviation += value * random_term_column(fit, term, predictors, design)
    frame = predictors.copy()
    frame["population"] = population.frame["estimate"].to_numpy()
    frame["deviation"] = deviation
    frame["estimate"] = frame["population"] + deviation
    return LevelPrediction(
        response=fit.response_name, group=group, level=stored, requested=level_text,
        blups=blups, frame=frame, population=population,
    )


def random_term_column(
    fit: Any, term: str, predictors: pd.DataFrame, design: np.ndarray
) -> np.ndarray:
    """A random term's column at the new predictor values: the fixed design's column of the
    same name, the intercept, or a numeric predictor itself."""
    if term in fit.fixed_names:
        return design[:, list(fit.fixed_names).index(term)]
    if term == INTERCEPT:
        return np.ones(len(predictors))
    if term in predictors and pd.api.types.is_numeric_dtype(predictors[term]):
        return predictors[term].to_numpy(dtype=float)
    raise LmmInputError(
        f"The random effect of {term} has no column in the model's fixed part to evaluate "
        f"at new values, so a prediction for one level cannot be made; add {term} to the "
        "fixed part, or ask for the population prediction."
    )
