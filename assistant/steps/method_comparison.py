"""Steps that set one model under two methods side by side: Satterthwaite against
Kenward-Roger degrees of freedom, and REML against ML (engine.method_comparison)."""

from __future__ import annotations

from typing import Any

from assistant.references import resolve_one
from assistant.state import SessionState
from assistant.step_results import EngineResult
from assistant.steps.base import PlanContext, StepResult, step_field
from engine.method_comparison import ddf_comparison, estimation_comparison


def compare_methods(step: Any, state: SessionState, context: PlanContext) -> StepResult:
    """``methods`` "ddf": each fixed effect's Satterthwaite and Kenward-Roger test;
    "estimation": the model fitted by REML and by ML."""
    model = resolve_one(state, step_field(step, "model"))
    if step_field(step, "methods") == "estimation":
        return StepResult(EngineResult("estimation_comparison",
                                       estimation_comparison(model.fit), model), state)
    return StepResult(EngineResult("ddf_comparison", ddf_comparison(model.fit), model), state)


HANDLERS = {"compare_methods": compare_methods}
