"""The baseline_covariate step: each subject's outcome at the first time point becomes a
covariate, the baseline rows leave the data and the model is refitted with it
(``engine.baseline_covariate``): "adjust for baseline pain"."""

from __future__ import annotations

from typing import Any

import pandas as pd

from assistant.errors import AssistantError
from assistant.model_building import modify_formula
from assistant.references import resolve_one
from assistant.slope_candidates import within_group_predictors
from assistant.state import FittedModel, SessionState
from assistant.step_results import BaselineCovariateOutcome, FitOutcome, ModelChange
from assistant.steps.base import PlanContext, StepResult, step_field
from assistant.steps.data import data_roles, require_data
from assistant.steps.models import _fit_with_ladder, register, variance_without_icc
from assistant.steps.subset import fresh_name, newest_model_on
from engine.baseline_covariate import baseline_as_covariate
from engine.fixed_covariance import quadratic_terms
from grammar.formula import parse_formula

#: Words that name the outcome without naming a column ("the baseline score").
OUTCOME_WORDS = frozenset({"outcome", "score", "scores", "value", "values", "response",
                           "measure", "measurement", "dv"})
#: The suffix of the data set of follow-up rows.
FOLLOW_UP_SUFFIX = "_after_baseline"


def _base_model(step: Any, state: SessionState) -> FittedModel | None:
    """The model named, else the newest on the current data, else the newest of the data
    set the current data were cut from (a subset: the model is refitted on its rows)."""
    ref = step_field(step, "model")
    if ref is not None:
        return resolve_one(state, ref)
    found = newest_model_on(state, state.current_data_name)
    if found is not None:
        return found
    related = [m for m in state.models.values() if state.current_subset_of(m)]
    return max(related, key=lambda m: m.number) if related else None


def _outcome(word: str | None, response: str | None, data: pd.DataFrame) -> str:
    """The outcome the words name: the model's response (``response``) when they fit it
    ("pain" for pain_score); without a model, the one column they name."""
    folded = (word or "").casefold().replace(" ", "_")
    if response and (not folded or folded in OUTCOME_WORDS
                     or folded in response.casefold()):
        if response not in data.columns:
            raise AssistantError(
                f"The outcome {response} is transformed in the formula; fit the model on a "
                "column of its own to use its baseline as a covariate."
            )
        return response
    if response:
        raise AssistantError(
            f"The model's outcome is {response}, and '{word}' does not name it; say "
            f"`adjust for baseline {response}`, or add another column as a covariate with "
            "`adjust for <column>`."
        )
    named = [str(c) for c in data.columns if folded and folded in str(c).casefold()]
    if len(named) == 1:
        return named[0]
    raise AssistantError(
        "I could not tell which column is the outcome; name it, e.g. "
        "`adjust for baseline pain_score`."
    )


def _time_and_subject(base: FittedModel | None, roles: dict[str, str]) -> tuple[str, str]:
    if base is not None:
        groups = base.fit.model_formula.grouping_variables()
        subject = groups[0] if groups else roles.get("group")
        candidates = within_group_predictors(base.fit, subject) if subject else []
        time = roles.get("time") if roles.get("time") in candidates else (
            candidates[0] if candidates else roles.get("time"))
    else:
        subject, time = roles.get("group"), roles.get("time")
    if subject is None or time is None:
        raise AssistantError(
            "I could not tell which columns hold the subjects and the time; fit the model "
            "first, e.g. `LMM: pain_score ~ time + treatment + (1 | patient)`."
        )
    return str(subject), str(time)


def baseline_covariate(step: Any, state: SessionState, context: PlanContext) -> StepResult:
    base = _base_model(step, state)
    if base is not None and base.dataset != state.current_data_name and \
            state.current_subset_of(base) is None:
        parent = base.dataset
    else:
        parent = state.current_data_name or "data"
    data = state.datasets.get(parent) if parent in state.datasets else require_data(state)
    roles = data_roles(state, model=base, data=data)
    suggested = state.suggested_formulas.get(parent)
    if base is not None:
        formula_of = base.fit.model_formula
        method = base.fit.method
        settings = {"ddf": base.fit.ddf_method, "optimizer": base.fit.optimizer}
        response: str | None = str(formula_of.response_label)
    elif suggested:
        formula_of, method, settings = parse_formula(suggested), None, {}
        response = str(formula_of.response_label)
    else:
        formula_of, method, settings, response = None, None, {}, roles.get("outcome")
    outcome = _outcome(step_field(step, "outcome"), response, data)
    subject, time = _time_and_subject(base, roles)
    result = baseline_as_covariate(data, outcome=outcome, subject=subject, time=time)
    if formula_of is None:
        formula_of = parse_formula(f"{outcome} ~ {time} + (1 | {subject})")
    formula = modify_formula(formula_of, "add_covariate", [result.column])
    name = fresh_name(state.datasets, parent + FOLLOW_UP_SUFFIX)
    new_state = state.with_subset(name, result.data, parent)
    fit, audit = _fit_with_ladder(formula, result.data, new_state, method=method, **settings)
    model, new_state = register(new_state, fit, None, audit)
    fitted = FitOutcome(
        model, f"model {base.number}" if base is not None else None, {}, None,
        variance_without_icc(fit),
        change=ModelChange("add_covariate", (result.column,)) if base is not None else None,
        quadratics=quadratic_terms(fit),
    )
    return StepResult(BaselineCovariateOutcome(name, parent, result, base, fitted), new_state)


HANDLERS = {"baseline_covariate": baseline_covariate}
