"""The step for "is the drop in pain from baseline to month 6 bigger in the treated
group?": each group's model change between two times and how the changes differ
(engine.change_between_times)."""

from __future__ import annotations

from typing import Any

from assistant.errors import AssistantError
from assistant.references import resolve_one
from assistant.state import SessionState
from assistant.step_results import EngineResult
from assistant.steps.base import PlanContext, StepResult, step_field
from assistant.steps.blups import time_predictor
from engine.change_between_times import change_between_times
from engine.errors import LmmInputError
from engine.marginal_means import interacting_variables
from engine.missingness_by import between_subject_factors
from engine.predict import fixed_part_variables


def change_between_times_step(step: Any, state: SessionState, context: PlanContext) -> StepResult:
    model = resolve_one(state, step_field(step, "model"))
    fit = model.fit
    groups = fit.model_formula.grouping_variables()
    if not groups:
        raise AssistantError("The model has no subjects to follow over time.")
    time = time_predictor(fit, groups[0], state)
    if time is None:
        raise AssistantError(
            f"The model has no time variable that changes within {groups[0]}; fit one with "
            f"time in it, e.g. `LMM: y ~ time * treatment + (1 | {groups[0]})`."
        )
    observed = fit.data[time].astype(float)
    first, last = float(observed.min()), float(observed.max())
    start = step_field(step, "start")
    end = step_field(step, "end")
    start = first if start is None else float(start)
    end = last if end is None else float(end)
    for value in (start, end):
        if not first <= value <= last:
            raise AssistantError(
                f"{time} = {value:g} is outside the data ({first:g} to {last:g}); name times "
                "within that range."
            )
    factor = _factor(fit, step_field(step, "factor"), time, groups[0])
    try:
        result = change_between_times(fit, factor, time, start, end, level=fit.level)
    except LmmInputError as err:
        raise AssistantError(str(err)) from None
    return StepResult(EngineResult("change_between_times", result, model), state)


def _factor(fit: Any, word: str | None, time: str, subject: str) -> str:
    """The factor named, or the factor one of whose levels was named ("the treated
    group"), else the model's one factor that interacts with time, else its one
    between-subject factor."""
    data = fit.data
    factors = [f for f in fixed_part_variables(fit.model_formula, data).factors if f != time]
    if word is not None:
        if word in factors:
            return word
        for factor in factors:
            if word.casefold() in {str(v).casefold() for v in data[factor].unique()}:
                return factor
    partners = interacting_variables(fit.model_formula, time)
    interacting = [f for f in factors if f in partners]
    candidates = interacting or between_subject_factors(data, subject, factors)
    if len(candidates) == 1:
        return candidates[0]
    if not candidates:
        raise AssistantError(
            "The model has no factor that splits the subjects into groups, so there is one "
            "change for everyone; add the group factor, e.g. `LMM: y ~ time * treatment + "
            f"(1 | {subject})`."
        )
    raise AssistantError(
        f"Say which groups to compare: {', '.join(candidates)}, e.g. `does the change "
        f"from baseline to the end differ between {candidates[0]} groups?`"
    )


HANDLERS = {"change_between_times": change_between_times_step}
