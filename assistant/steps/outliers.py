"""The outlier step (engine.outliers): the observations and clusters of a model that the
residual diagnostics call outlying. Before any model is fitted there are no residuals,
so the question gets the help topic on outliers and subsets instead."""

from __future__ import annotations

from typing import Any

from assistant.references import resolve_one
from assistant.state import SessionState
from assistant.step_results import EngineResult
from assistant.steps.base import PlanContext, StepResult, step_field
from assistant.steps.options import show_help
from engine.outliers import outlier_report
from grammar.plan import Help


def outliers(step: Any, state: SessionState, context: PlanContext) -> StepResult:
    if step_field(step, "model") is None and state.last_model is None:
        return show_help(Help("subsets"), state, context)
    model = resolve_one(state, step_field(step, "model"))
    return StepResult(EngineResult("outliers", outlier_report(model.fit), model), state)


HANDLERS = {"outliers": outliers}
