"""The ``level_mean`` step: "what is the mean rating in condition A?" (engine.level_mean)."""

from __future__ import annotations

from typing import Any

from assistant.references import resolve_one
from assistant.state import SessionState
from assistant.step_results import EngineResult
from assistant.steps.base import PlanContext, StepResult, step_field
from engine.level_mean import level_mean


def mean_in_level(step: Any, state: SessionState, context: PlanContext) -> StepResult:
    model = resolve_one(state, step_field(step, "model"))
    factor = step_field(step, "factor")
    result = level_mean(model.fit, None if factor is None else str(factor),
                        str(step_field(step, "level", "")), level=state.options.level)
    return StepResult(EngineResult("level_mean", result, model), state)


HANDLERS = {"level_mean": mean_in_level}
