"""Steps of the questions answered with a second model and a test: the random-effect
correlation reported before its likelihood-ratio test (engine.random_correlation;
``assistant.interaction_question`` plans the rest) and the linearity of a numeric
predictor's effect (engine.linearity)."""

from __future__ import annotations

from typing import Any

from assistant.errors import AssistantError
from assistant.references import resolve_one
from assistant.state import SessionState
from assistant.step_results import EngineResult
from assistant.steps.base import PlanContext, StepResult, step_field
from assistant.steps.reports import TIME_UNIT_WORDS
from engine.data import time_candidates
from engine.linearity import linearity_test
from engine.predict import fixed_part_variables
from engine.random_correlation import random_correlations


def correlation_test(step: Any, state: SessionState, context: PlanContext) -> StepResult:
    """The model's random-effect correlations with their profile intervals."""
    model = resolve_one(state, step_field(step, "model"))
    result = random_correlations(model.fit, level=state.options.level)
    return StepResult(EngineResult("random_correlations", result, model), state)


def linearity(step: Any, state: SessionState, context: PlanContext) -> StepResult:
    """The line in a numeric predictor against one mean per value (ML fits, LRT)."""
    model = resolve_one(state, step_field(step, "model"))
    variable = linearity_variable(step_field(step, "variable"), model.fit, model.title)
    result = linearity_test(model.fit, variable)
    return StepResult(EngineResult("linearity_test", result, model), state)


def linearity_variable(word: str | None, fit: Any, title: str) -> str:
    """The numeric predictor a linearity question means: the one named; for no name or a
    unit of time that is no column ("is the time trend linear?" with a column Days), the
    model's one time-like numeric predictor, else its one numeric predictor."""
    continuous = list(fixed_part_variables(fit.model_formula, fit.data).continuous)
    if word is not None and word in continuous:
        return word
    unit = None if word is None else word.casefold().removesuffix("s")
    if word is not None and word in fit.data.columns:
        raise AssistantError(
            f"{word} is not a numeric predictor of {title}, so it has no straight-line effect "
            f"to test; its numeric predictors: {', '.join(continuous) or 'none'}."
        )
    if word is None or unit in TIME_UNIT_WORDS:
        groups = fit.model_formula.grouping_variables()
        times = [c for c in time_candidates(fit.data, groups[0] if groups else None)
                 if c in continuous]
        if len(times) == 1:
            return times[0]
        if word is None and len(continuous) == 1:
            return continuous[0]
    raise AssistantError(
        f"Which predictor's effect do you mean? {title} has the numeric predictors "
        f"{', '.join(continuous) or 'none'}; name one, e.g. `is the effect of "
        f"{continuous[0] if continuous else 'x'} linear?`."
    )


HANDLERS = {
    "correlation_test": correlation_test,
    "linearity_test": linearity,
}
