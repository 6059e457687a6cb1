"""The ``observed_means`` step: the outcome's observed mean, SD and n per cell
(``engine.observed_means``), with "visit" and "arm" read as the time column and the one
between-subject factor of the current model (else of the data)."""

from __future__ import annotations

from typing import Any

from assistant.errors import AssistantError
from assistant.model_building import group_column
from assistant.state import SessionState
from assistant.step_results import EngineResult
from assistant.steps.base import PlanContext, StepResult, step_field
from assistant.steps.data import data_roles, require_data
from engine.missingness_by import between_subject_factors
from engine.observed_means import observed_means


def observed_means_table(step: Any, state: SessionState, context: PlanContext) -> StepResult:
    data = require_data(state)
    model = state.last_model
    if model is not None and model.dataset != state.current_data_name:
        model = None
    roles = data_roles(state, model=model, data=data)
    by = tuple(_by_column(word, data, roles, model) for word in step_field(step, "by", ()))
    outcome = roles.get("outcome")
    named = step_field(step, "outcome")
    if named is not None and named in data.columns:
        outcome = named
    elif named is not None and outcome is not None and not _names(named, outcome):
        raise AssistantError(
            f"The outcome here is {outcome}; there is no column {named!r}. Name it as a "
            f"column, e.g. `observed means of {outcome} by {', '.join(by)}`."
        )
    if outcome is None:
        raise AssistantError("Name the outcome, e.g. `observed means of score by time`.")
    return StepResult(EngineResult("observed_means", observed_means(data, outcome, by)), state)


def _names(word: str, column: str) -> bool:
    """Whether a word the user typed names the column ("pain" for pain_score)."""
    word, column = word.casefold(), column.casefold()
    return word == column or column.split("_")[0] == word or column.startswith(word)


def _by_column(word: str, data: Any, roles: dict[str, str], model: Any) -> str:
    if word in data.columns:
        return word
    if word == "time":
        if "time" in roles:
            return roles["time"]
        raise AssistantError("I could not tell which column is the time; name it, e.g. `by time`.")
    if word == "arm":
        if "group" not in roles:
            raise AssistantError("Name the column of the arms, e.g. `by treatment`.")
        variables = list(map(str, data.columns))
        if model is not None:
            variables = [str(v) for v in model.fit.model_formula.variables()]
        factors = between_subject_factors(data, roles["group"], variables)
        if len(factors) == 1:
            return factors[0]
        listed = ", ".join(f"`{f}`" for f in factors) or "none found"
        raise AssistantError(
            f"Say which column holds the arms (columns fixed within each {roles['group']}: "
            f"{listed}), e.g. `observed means by {roles.get('time', 'time')} and "
            f"{factors[0] if factors else 'treatment'}`."
        )
    column = group_column(word, data.columns)
    if column is None or column not in data.columns:
        raise AssistantError(f"There is no column called {word!r} in the data.")
    return column


HANDLERS = {"observed_means": observed_means_table}
