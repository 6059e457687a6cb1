"""The ICC's confidence interval step (engine.icc_interval) for one model."""

from __future__ import annotations

from typing import Any

from assistant.references import resolve_one
from assistant.state import SessionState
from assistant.step_results import EngineResult
from assistant.steps.base import PlanContext, StepResult, step_field, step_level
from engine.bootstrap import DEFAULT_NSIM
from engine.icc_interval import icc_interval


def icc_with_interval(step: Any, state: SessionState, context: PlanContext) -> StepResult:
    """The ICC and its interval at the step's (or the session's) confidence level."""
    model = resolve_one(state, step_field(step, "model"))
    result = icc_interval(
        model.fit,
        step_level(step, state),
        step_field(step, "method"),
        nsim=step_field(step, "nsim", DEFAULT_NSIM),
        seed=step_field(step, "seed"),
    )
    return StepResult(EngineResult("icc_interval", result, model), state)


HANDLERS = {"icc_interval": icc_with_interval}
