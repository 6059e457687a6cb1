"""The write-up step: what the methods and results paragraphs of one model need.

No statistic is computed here beyond the engine's own: the fit (refitted only when the
session's df method was chosen after it, as the fixed-effects report does), Nakagawa's
R² and adjusted ICC (``engine.variance.variance_explained``), and the session's last
model comparison when it holds the model.
"""

from __future__ import annotations

from typing import Any

from assistant.references import resolve_one
from assistant.state import FittedModel, SessionState
from assistant.step_results import PaperWriteUp
from assistant.steps.base import PlanContext, StepResult, step_field
from assistant.steps.models import session_ddf, with_session_ddf
from engine.variance import variance_explained


def write_up(step: Any, state: SessionState, context: PlanContext) -> StepResult:
    model = resolve_one(state, step_field(step, "model"))
    newer_ddf = state.newer_option(model, "ddf")
    if newer_ddf is not None:
        # the tests the user chose for reporting; no new model is filed
        model = with_session_ddf(model, session_ddf(newer_ddf, model.fit.method))
    comparison = state.last_comparison
    compared_as = _compared_as(model, comparison)
    result = PaperWriteUp(
        model,
        step_field(step, "part"),
        variance_explained(model.fit),
        comparison if compared_as is not None else None,
        compared_as,
    )
    return StepResult(result, state)


def _compared_as(model: FittedModel, comparison: Any) -> FittedModel | None:
    """The model of ``comparison`` that stands for ``model``: itself, or else a model of
    the same formula on the same data (the REML fit reported after an ML comparison)."""
    if comparison is None:
        return None
    for other in comparison.models:
        if other.number == model.number:
            return other
    for other in comparison.models:
        if other.dataset == model.dataset and other.fit.formula == model.fit.formula:
            return other
    return None


HANDLERS = {"write_up": write_up}
