"""Levels ranked by where the model puts them at the start: "which patient has the highest
baseline pain?", "who starts highest?".

A level's random intercept alone is its deviation from the reference row of the fixed
part (control arm, time 0), and lme4's ``coef()`` intercept leaves out every fixed effect
other than the intercept, such as the arm. The model's own answer is the conditional
prediction at the start, lme4's ``predict(m, newdata)`` with the level's own covariates
and time at the baseline: x'β̂ + z'b̂, with x the fixed-part row of the level's earliest
row with time set to the baseline and z'b̂ its BLUPs of this grouping factor evaluated
there (the intercept BLUP, plus each random slope's BLUP times its predictor's value).
The fixed part is read off the fit's own design as in ``engine.own_slopes``; random
effects of other grouping factors count as zero, as lme4's ``re.form`` with this factor
alone.

The baseline is time 0 when the time predictor takes that value, else its smallest
value (:func:`baseline_time`). The observed outcome at that time is shown beside the
prediction when the level has a row there (their mean when it has several).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from engine.blups import INTERCEPT
from engine.design import fixed_design_for
from engine.errors import LmmInputError
from engine.level_prediction import random_term_column
from engine.own_slopes import fixed_part_by_level, values_differ
from engine.visit_subset import orderable_time


def baseline_time(values: Any) -> float:
    """The baseline of a time column: 0 when it takes that value, else its smallest
    value (NaN when it has none)."""
    numbers = np.asarray(values, dtype=float)
    numbers = numbers[~np.isnan(numbers)]
    if numbers.size == 0:
        return float("nan")
    return 0.0 if np.any(numbers == 0.0) else float(numbers.min())


@dataclass(frozen=True)
class StartingValue:
    """One level at the start: ``fixed`` (x'β̂ at its covariates, time at the
    baseline) + ``deviation`` (z'b̂, its BLUPs there) = ``predicted``; ``cond_sd`` is
    the intercept BLUP's conditional SD; ``observed`` the outcome observed at the
    baseline (None when the level has no row there), over ``n_observed`` rows."""

    level: str
    fixed: float
    deviation: float
    predicted: float
    cond_sd: float
    observed: float | None
    n_observed: int


@dataclass(frozen=True)
class StartingValueRanking:
    """Every level of ``group`` ordered by its predicted outcome at ``time`` =
    ``start`` (``time`` None: the model has no time predictor, and the prediction is
    the same at every visit), highest first when ``descending``; ``top`` is how many
    the caller wants shown (None: all)."""

    group: str
    time: str | None
    start: float | None
    response: str
    descending: bool
    top: int | None
    rows: tuple[StartingValue, ...]
    #: whether the fixed part at the start differs between levels (a factor constant
    #: within each level, such as the arm, or a covariate such as age)
    fixed_varies: bool
    #: levels whose fixed part at the start depends on which of their rows is used (a
    #: covariate that changes over time): their earliest row is used
    covariates_change: tuple[str, ...] = ()
    #: levels without an observed outcome at the start
    n_unobserved: int = 0

    @property
    def shown(self) -> tuple[StartingValue, ...]:
        return self.rows if self.top is None else self.rows[: self.top]

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": "starting_value_ranking", "group": self.group, "time": self.time,
            "start": self.start, "response": self.response, "descending": self.descending,
            "top": self.top, "fixed_varies": self.fixed_varies,
            "covariates_change": list(self.covariates_change),
            "n_unobserved": self.n_unobserved,
            "rows": [vars(r) for r in self.shown],
        }


def rank_starting_values(
    fit: Any, group: str, time: str | None, descending: bool = True,
    top: int | None = None,
) -> StartingValueRanking:
    """The levels of ``group`` ordered by x'β̂ + z'b̂ at the baseline (see the module).
    ``time`` is the model's time predictor (None: none)."""
    if top is not None and top < 1:
        raise LmmInputError(f"Ask for at least one level, not {top}.")
    frame = fit.data
    effects = [e for e in fit.random_effects if e.group == group]
    if not effects:
        raise LmmInputError(f"{group} is not a grouping factor of the model.")
    at_start = frame.copy()
    order = None
    start = None
    if time is not None:
        values = orderable_time(frame[time]) if time in frame.columns else None
        if values is None or not pd.api.types.is_numeric_dtype(frame[time]):
            raise LmmInputError(
                f"{time} is not a numeric time predictor of the model, so the model has no "
                "prediction at the start to rank by."
            )
        start = baseline_time(values)
        at_start[time] = start
        order = values
    design = fixed_design_for(fit, at_start)
    fixed_rows = design @ np.asarray(fit.beta, dtype=float)
    deviation_rows = np.zeros(len(frame))
    codes = frame[group].astype(str).to_numpy()
    for effect in effects:
        column = random_term_column(fit, effect.term, at_start, design)
        deviation_rows[codes == str(effect.level)] += (
            float(effect.value) * column[codes == str(effect.level)]
        )
    levels = list(dict.fromkeys(str(e.level) for e in effects))
    fixed, changing = fixed_part_by_level(fit, group, fixed_rows, levels, order)
    deviation, _ = fixed_part_by_level(fit, group, deviation_rows, levels, order)
    intercept_sd = {str(e.level): float(e.cond_sd) for e in effects if e.term == INTERCEPT}
    observed = _observed_at_start(fit, group, time, start)
    rows = []
    for level, value in fixed.items():
        seen = observed.get(level)
        rows.append(StartingValue(
            level=level, fixed=value, deviation=deviation[level],
            predicted=value + deviation[level], cond_sd=intercept_sd.get(level, float("nan")),
            observed=None if seen is None else seen[0],
            n_observed=0 if seen is None else seen[1],
        ))
    rows.sort(key=lambda r: r.predicted, reverse=descending)
    return StartingValueRanking(
        group=group, time=time, start=start, response=str(fit.response_name),
        descending=descending, top=top, rows=tuple(rows),
        fixed_varies=values_differ(list(fixed.values())), covariates_change=changing,
        n_unobserved=sum(1 for r in rows if r.observed is None),
    )


def _observed_at_start(
    fit: Any, group: str, time: str | None, start: float | None
) -> dict[str, tuple[float, int]]:
    """Each level's mean observed outcome at the baseline and its number of rows there
    (the model's rows; an outcome transformed in the formula has none on its scale)."""
    frame = fit.data
    response = str(fit.response_name)
    if time is None or start is None or response not in frame.columns:
        return {}
    at_start = frame[frame[time].astype(float) == start]
    grouped = at_start.groupby(at_start[group].astype(str))[response]
    means, counts = grouped.mean(), grouped.count()
    return {str(k): (float(means[k]), int(counts[k])) for k in means.index}
