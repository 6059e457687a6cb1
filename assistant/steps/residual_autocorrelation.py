"""The step for "is there autocorrelation in the residuals?": the within-subject residuals'
autocorrelation by lag and the model's own benchmark (engine.residual_autocorrelation)."""

from __future__ import annotations

from typing import Any

from assistant.errors import AssistantError
from assistant.model_building import group_column
from assistant.references import resolve_one
from assistant.state import SessionState
from assistant.step_results import EngineResult
from assistant.steps.base import PlanContext, StepResult, step_field
from assistant.steps.blups import time_predictor
from engine.errors import LmmInputError
from engine.residual_autocorrelation import residual_autocorrelation


def residual_autocorrelation_step(
    step: Any, state: SessionState, context: PlanContext
) -> StepResult:
    model = resolve_one(state, step_field(step, "model"))
    fit = model.fit
    groups = fit.model_formula.grouping_variables()
    if not groups:
        raise AssistantError("The model has no grouping factor, so there are no subjects to "
                             "follow over time.")
    group = groups[0]
    word = step_field(step, "time")
    time = group_column(word, fit.data.columns) if word else time_predictor(fit, group, state)
    if time is None or time not in fit.data.columns:
        raise AssistantError(
            f"I could not tell which column orders each {group}'s observations in time; the "
            f"model needs a numeric time variable that changes within {group}, e.g. "
            f"`LMM: y ~ time + (1 | {group})`."
        )
    try:
        result = residual_autocorrelation(fit, group, str(time))
    except LmmInputError as err:
        raise AssistantError(str(err)) from None
    return StepResult(EngineResult("residual_autocorrelation", result, model), state)


HANDLERS = {"residual_autocorrelation": residual_autocorrelation_step}
