"""Steps that re-express or check a fitted model: its standardized fixed effects
(engine.standardized) and the normality of its random effects (engine.blup_normality,
with the normal QQ plots of engine.plots.residual_figure)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from assistant.references import resolve_one
from assistant.state import SessionState
from assistant.step_results import EngineResult
from assistant.steps.base import PlanContext, StepResult, step_field
from engine.blup_normality import blup_normality
from engine.standardized import standardized_coefficients


def standardized(step: Any, state: SessionState, context: PlanContext) -> StepResult:
    """β̂·sd(x)/sd(y) per numeric coefficient, β̂/sd(y) per factor level."""
    model = resolve_one(state, step_field(step, "model"))
    result = standardized_coefficients(model.fit)
    return StepResult(EngineResult("standardized_coefficients", result, model), state)


def random_effects_normality(step: Any, state: SessionState, context: PlanContext) -> StepResult:
    """The normal QQ plots (residuals and each term's BLUPs) and the BLUPs' Shapiro-Wilk."""
    from engine.plots import residual_figure

    model = resolve_one(state, step_field(step, "model"))
    options = state.options
    figure = residual_figure(
        model.fit, Path(options.output_dir), which="qq", fmt=str(options.format),
        prefix=f"model{model.number}",
    )
    result = blup_normality(model.fit)
    return StepResult(
        EngineResult("random_effects_normality", result, model), state, tuple(figure.paths)
    )


HANDLERS = {
    "standardized_coefficients": standardized,
    "random_effects_normality": random_effects_normality,
}
