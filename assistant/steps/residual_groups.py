"""The step for "is the residual variance the same in both groups?": the conditional
residuals' spread per level of a factor (engine.residual_variance_by_group)."""

from __future__ import annotations

from typing import Any

from assistant.errors import AssistantError
from assistant.model_building import group_column
from assistant.references import resolve_one
from assistant.state import SessionState
from assistant.step_results import EngineResult
from assistant.steps.base import PlanContext, StepResult, step_field
from engine.missingness_by import between_subject_factors
from engine.residual_variance_by_group import residual_variance_by_group


def residual_spread_by_group(step: Any, state: SessionState, context: PlanContext) -> StepResult:
    model = resolve_one(state, step_field(step, "model"))
    fit = model.fit
    column = _groups_column(step_field(step, "column"), fit)
    result = residual_variance_by_group(fit, column)
    return StepResult(EngineResult("residual_variance_by_group", result, model), state)


def _groups_column(word: str | None, fit: Any) -> str:
    """The column named, else the model's one factor fixed within each subject (the
    treatment arm of "both groups")."""
    variables = [v for v in fit.model_formula.variables() if v in fit.data.columns]
    if word is not None:
        named = group_column(word, fit.data.columns)
        if named in fit.data.columns:
            return str(named)
    subjects = fit.model_formula.grouping_variables()
    factors = between_subject_factors(fit.data, subjects[0], variables) if subjects else []
    if len(factors) == 1:
        return factors[0]
    if factors:
        raise AssistantError(
            f"The model has several group factors ({', '.join(factors)}); say which one, e.g. "
            f"`does the residual variance differ by {factors[0]}?`"
        )
    raise AssistantError(
        "The model has no factor that splits the "
        f"{subjects[0] if subjects else 'subject'}s into groups; name a column of the data "
        "to compare the residual spread by, e.g. `does the residual variance differ by sex?`"
    )


HANDLERS = {"residual_variance_by_group": residual_spread_by_group}
