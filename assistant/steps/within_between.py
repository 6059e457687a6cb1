"""The within_between step: group-mean centering of a predictor, and the refit that
separates its within- and between-cluster effects (engine.within_between)."""

from __future__ import annotations

from typing import Any

from assistant.errors import AssistantError
from assistant.model_building import group_column
from assistant.state import FittedModel, SessionState
from assistant.step_results import FitOutcome, ModelChange, WithinBetweenOutcome
from assistant.steps.base import PlanContext, StepResult, step_field
from assistant.steps.data import require_data
from assistant.steps.models import _fit_with_ladder, register, variance_without_icc
from engine.data import describe_data
from engine.fixed_covariance import quadratic_terms
from engine.within_between import split_within_between, within_between_effects


def within_between(step: Any, state: SessionState, context: PlanContext) -> StepResult:
    data = require_data(state)
    column = str(step_field(step, "column") or "")
    if not column:
        raise AssistantError("Say which predictor to split, e.g. `center SES within school`.")
    name = state.current_data_name or "data"
    base = state.last_model if state.last_model and state.last_model.dataset == name else None
    group = _group(step_field(step, "group"), data, base)
    split = split_within_between(data, column, group)
    hint = state.suggested_formulas.get(name)
    new_state = state.with_dataset(name, split.data, hint)
    if base is None or column not in _main_effects(base):
        return StepResult(WithinBetweenOutcome(name, split, base), new_state)
    fit, audit = _fit_with_ladder(
        _split_formula(base, split),
        split.data,
        new_state,
        method=base.fit.method,
        ddf=base.fit.ddf_method,
        optimizer=base.fit.optimizer,
    )
    model, new_state = register(new_state, fit, None, audit)
    fitted = FitOutcome(
        model, f"model {base.number}", {}, None, variance_without_icc(fit),
        change=ModelChange("within_between", (column,), (split.within_name, split.between_name)),
        quadratics=quadratic_terms(fit),
    )
    effects = within_between_effects(fit, split)
    return StepResult(WithinBetweenOutcome(name, split, base, fitted, effects), new_state)


def _group(given: str | None, data: Any, base: FittedModel | None) -> str:
    """The column named, else the current model's (first) grouping factor, else the data's
    guessed one."""
    if given is not None:
        column = group_column(given, data.columns)
        if column is not None:
            return column
    if base is not None:
        groups = base.fit.model_formula.grouping_variables()
        if groups:
            return groups[0]
    guess = describe_data(data).id_guess
    if guess is None:
        raise AssistantError(
            "Say within which grouping factor to split it, e.g. `center SES within school`."
        )
    return guess


def _main_effects(model: FittedModel) -> set[str]:
    terms = model.fit.model_formula.fixed_terms
    return {t.label for t in terms if t.order == 1}


def _split_formula(base: FittedModel, split: Any) -> str:
    """The base model's formula with ``split.column`` replaced by its two parts; a term
    that interacts with it keeps the original column (the answer says so)."""
    mf = base.fit.model_formula
    fixed = []
    for term in mf.fixed_terms:
        if term.label == split.column:
            fixed.extend([split.within_name, split.between_name])
        else:
            fixed.append(term.label)
    head = [] if mf.intercept else ["0"]
    rhs = " + ".join([*head, *fixed, *(b.text() for b in mf.written_random)])
    return f"{mf.response_label} ~ {rhs}"


HANDLERS = {"within_between": within_between}
