"""The within_between step: group-mean centering of a predictor, and the refit that
separates its within- and between-cluster effects (engine.within_between)."""

from __future__ import annotations

from typing import Any

from assistant.errors import AssistantError
from assistant.model_building import group_column, modify_formula
from assistant.state import SessionState
from assistant.step_results import FitOutcome, ModelChange, WithinBetweenOutcome
from assistant.steps.base import PlanContext, StepResult, step_field
from assistant.steps.data import data_roles, require_data
from assistant.steps.models import _fit_with_ladder, register, variance_without_icc
from assistant.steps.subset import newest_model_on
from engine.fixed_covariance import quadratic_terms
from engine.within_between import split_within_between, within_between_effects


def within_between(step: Any, state: SessionState, context: PlanContext) -> StepResult:
    data = require_data(state)
    column = str(step_field(step, "column") or "")
    if not column:
        raise AssistantError("Say which predictor to split, e.g. `center SES within school`.")
    name = state.current_data_name or "data"
    base = newest_model_on(state, name)
    group = group_column(step_field(step, "group"), data.columns) or data_roles(
        state, data=data
    ).get("group")
    if group is None:
        raise AssistantError(
            "Say within which grouping factor to split it, e.g. `center SES within school`."
        )
    split = split_within_between(data, column, group)
    new_state = state.with_dataset(name, split.data, state.suggested_formulas.get(name))
    main_effects = {t.label for t in base.fit.model_formula.fixed_terms} if base else set()
    if column not in main_effects:
        return StepResult(WithinBetweenOutcome(name, split, base), new_state)
    parts = (split.within_name, split.between_name)
    fit, audit = _fit_with_ladder(
        modify_formula(base.fit.model_formula, "replace_term", (column, *parts)),
        split.data,
        new_state,
        method=base.fit.method,
        ddf=base.fit.ddf_method,
        optimizer=base.fit.optimizer,
    )
    model, new_state = register(new_state, fit, None, audit)
    fitted = FitOutcome(
        model, f"model {base.number}", {}, None, variance_without_icc(fit),
        change=ModelChange("within_between", (column,), parts),
        quadratics=quadratic_terms(fit),
    )
    effects = within_between_effects(fit, split)
    return StepResult(WithinBetweenOutcome(name, split, base, fitted, effects), new_state)


HANDLERS = {"within_between": within_between}
