"""The parametric bootstrap step: lme4's ``confint(method = "boot")`` for one model, shown
beside the same model's Wald and profile intervals."""

from __future__ import annotations

from typing import Any

from assistant.references import resolve_one
from assistant.state import SessionState
from assistant.step_results import BootstrapReport, EngineResult
from assistant.steps.base import PlanContext, StepResult, step_field, step_level
from engine.bootstrap import DEFAULT_NSIM, parametric_bootstrap
from engine.errors import LmmInputError


def bootstrap_intervals(step: Any, state: SessionState, context: PlanContext) -> StepResult:
    """Bootstrap, Wald and profile intervals at the step's (or the session's) level.

    The profile costs about 400 deviance evaluations per parameter, a refit about 70, so
    next to even the smallest bootstrap it adds little; when the profile module declines
    (its own time budget), the table shows Wald and bootstrap intervals only.
    """
    model = resolve_one(state, step_field(step, "model"))
    level = step_level(step, state)
    nsim = step_field(step, "nsim", DEFAULT_NSIM)
    result = parametric_bootstrap(model.fit, nsim, seed=step_field(step, "seed"), level=level)
    wald = model.fit.confint(method="wald", level=level)
    try:
        profile = model.fit.confint(method="profile", level=level)
    except LmmInputError:
        profile = None
    report = BootstrapReport(result, wald, profile)
    return StepResult(EngineResult("bootstrap_confint", report, model), state)


HANDLERS = {"bootstrap_confint": bootstrap_intervals}
