"""The step for "how reliable are the patient means?" (engine.group_mean_reliability)."""

from __future__ import annotations

from typing import Any

from assistant.references import resolve_one
from assistant.state import SessionState
from assistant.step_results import EngineResult
from assistant.steps.base import PlanContext, StepResult, step_field
from engine.group_mean_reliability import group_mean_reliability


def mean_reliability(step: Any, state: SessionState, context: PlanContext) -> StepResult:
    model = resolve_one(state, step_field(step, "model"))
    result = group_mean_reliability(model.fit)
    return StepResult(EngineResult("group_mean_reliability", result, model), state)


HANDLERS = {"group_mean_reliability": mean_reliability}
