"""The model's change between two time points in each level of a factor, and how the
changes differ: "is the drop in pain from baseline to month 6 bigger in the treated group?".

For each level g of ``factor`` the change is μ(end, g) − μ(start, g), where μ is the
model's mean at that time on emmeans' reference grid (other factors averaged with equal
weights, other continuous predictors at their means; the rows of
``engine.marginal_means``). Each change is the contrast c'β̂ with c the difference of the
two grid rows, and two levels' changes differ by the difference of their c's: with a
linear time slope and a time × factor interaction this is (end − start) times the
interaction coefficient; with ``factor(time)`` it is the difference of the two cell
contrasts. Tests and intervals use the fit's df method (Satterthwaite as lmerTest's
``contest1D``, or Kenward-Roger), like every other contrast of the engine.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from engine.errors import LmmInputError
from engine.marginal_means import ContrastTest, contrast_tests, level_rows
from engine.predict import factor_levels, fixed_part_variables


@dataclass(frozen=True)
class LevelChange:
    """The model's change from ``start`` to ``end`` in one level."""

    level: str
    test: ContrastTest


@dataclass(frozen=True)
class ChangeDifference:
    """``level1``'s change minus ``level2``'s."""

    level1: str
    level2: str
    test: ContrastTest


@dataclass(frozen=True)
class ChangeBetweenTimes:
    """Changes of ``response`` from ``start`` to ``end`` of ``time`` per level of
    ``factor``, and their pairwise differences (unadjusted p values). ``time_interacts``:
    the model lets the time course differ between the levels (otherwise every level's
    change is the same by construction)."""

    response: str
    factor: str
    time: str
    start: float
    end: float
    changes: tuple[LevelChange, ...]
    differences: tuple[ChangeDifference, ...]
    level: float
    df_method: str
    time_interacts: bool
    averaged_over: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        def test(t: ContrastTest) -> dict[str, float]:
            return vars(t).copy()

        return {
            "kind": "change_between_times", "response": self.response, "factor": self.factor,
            "time": self.time, "start": self.start, "end": self.end, "level": self.level,
            "df_method": self.df_method, "time_interacts": self.time_interacts,
            "averaged_over": list(self.averaged_over),
            "changes": [{"level": c.level, **test(c.test)} for c in self.changes],
            "differences": [{"level1": d.level1, "level2": d.level2, **test(d.test)}
                            for d in self.differences],
        }


def change_between_times(
    fit: Any, factor: str, time: str, start: float, end: float, level: float = 0.95
) -> ChangeBetweenTimes:
    """Each level's model change of the outcome from ``start`` to ``end`` and the
    pairwise differences of those changes (see the module)."""
    data = fit.data
    variables = fixed_part_variables(fit.model_formula, data)
    if factor not in variables.factors:
        raise LmmInputError(
            f"{factor} is not a factor of the model; name the grouping of subjects whose "
            "changes to compare, such as the treatment arm."
        )
    if time not in data.columns:
        raise LmmInputError(f"{time} is not a variable of the model.")
    if start == end:
        raise LmmInputError("The two time points are the same; name two different times.")
    others = [f for f in variables.factors if f not in (factor, time)]
    means = {name: float(data[name].mean()) for name in variables.continuous
             if name not in (time,)}
    levels = factor_levels(data[factor])
    before = level_rows(fit, factor, levels, others, {**means, time: start}, None)
    after = level_rows(fit, factor, levels, others, {**means, time: end}, None)
    change_rows = after - before
    pairs = [(i, j) for i in range(len(levels)) for j in range(i + 1, len(levels))]
    difference_rows = np.array([change_rows[i] - change_rows[j] for i, j in pairs])
    interacts = bool(np.any(np.abs(difference_rows) > 1e-12)) if pairs else False
    if not interacts:
        # the model gives every level the same time course: no difference to test
        pairs, difference_rows = [], difference_rows[:0]
    tests, df_method = contrast_tests(
        fit, np.vstack([change_rows, difference_rows.reshape(-1, change_rows.shape[1])]), level
    )
    names = [str(v) for v in levels]
    k = len(levels)
    return ChangeBetweenTimes(
        response=str(fit.response_name),
        factor=factor,
        time=time,
        start=float(start),
        end=float(end),
        changes=tuple(LevelChange(names[i], tests[i]) for i in range(k)),
        differences=tuple(ChangeDifference(names[i], names[j], tests[k + n])
                          for n, (i, j) in enumerate(pairs)),
        level=level,
        df_method=df_method,
        time_interacts=interacts,
        averaged_over=tuple(others),
    )
