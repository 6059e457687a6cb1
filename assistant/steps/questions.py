"""Steps of the questions answered with a second model and a test
(``assistant.interaction_question`` plans them): the random-effect correlation reported
before its likelihood-ratio test (engine.random_correlation)."""

from __future__ import annotations

from typing import Any

from assistant.references import resolve_one
from assistant.state import SessionState
from assistant.step_results import EngineResult
from assistant.steps.base import PlanContext, StepResult, step_field
from engine.random_correlation import random_correlations


def correlation_test(step: Any, state: SessionState, context: PlanContext) -> StepResult:
    """The model's random-effect correlations with their profile intervals."""
    model = resolve_one(state, step_field(step, "model"))
    result = random_correlations(model.fit, level=state.options.level)
    return StepResult(EngineResult("random_correlations", result, model), state)


HANDLERS = {
    "correlation_test": correlation_test,
}
