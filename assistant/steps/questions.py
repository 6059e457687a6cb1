"""Steps of the questions answered with a second model and a test: the random-effect
correlation reported before its likelihood-ratio test (engine.random_correlation;
``assistant.interaction_question`` plans the rest) and the linearity of a numeric
predictor's effect (engine.linearity); the design effect (engine.design_effect) and the
inter-rater reliability (engine.reliability) of a fitted model."""

from __future__ import annotations

from typing import Any

from assistant.errors import AssistantError
from assistant.references import resolve_one
from assistant.state import SessionState
from assistant.step_results import EngineResult
from assistant.steps.base import PlanContext, StepResult, step_field
from assistant.steps.blups import grouping_factor_named
from assistant.steps.reports import TIME_UNIT_WORDS
from engine.data import time_candidates
from engine.design_effect import design_effect
from engine.linearity import linearity_test
from engine.predict import fixed_part_variables
from engine.random_correlation import random_correlations
from engine.reliability import rater_reliability

#: Names of a grouping factor that holds raters (its name, or a word of it, in any case).
RATER_WORDS = frozenset({
    "rater", "judge", "coder", "observer", "annotator", "reviewer", "assessor", "examiner",
    "scorer", "evaluator", "grader", "reader", "interviewer", "clinician",
})


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


def kish_design_effect(step: Any, state: SessionState, context: PlanContext) -> StepResult:
    """Kish's design effect and the effective sample size of the model's clustering."""
    model = resolve_one(state, step_field(step, "model"))
    result = design_effect(model.fit)
    return StepResult(EngineResult("design_effect", result, model), state)


def reliability(step: Any, state: SessionState, context: PlanContext) -> StepResult:
    """McGraw & Wong's ICCs of the model's crossed raters x targets design."""
    model = resolve_one(state, step_field(step, "model"))
    rater = rater_factor(step_field(step, "rater"), model.fit, model.title)
    result = rater_reliability(model.fit, rater)
    return StepResult(EngineResult("rater_reliability", result, model), state)


def rater_factor(word: str | None, fit: Any, title: str) -> str:
    """The grouping factor holding the raters: the one ``word`` names (its plural too),
    else the one named like a rater ("rater", "judge", "coder", ...)."""
    groups = [str(g) for g in fit.ngroups]
    if len(groups) != 2:
        return groups[0]  # not a raters x targets model: the engine says what is needed
    if word is not None:
        named = grouping_factor_named(word, groups)
        if named is not None:
            return named
    found = [g for g in groups if _rater_like(g)]
    if len(found) == 1 and (word is None or _rater_like(word)):
        return found[0]
    raise AssistantError(
        f"Which grouping factor of {title} holds the raters ({', '.join(groups)})? Name it, "
        f"e.g. `how reliable are the {groups[0]}?`."
    )


def _rater_like(name: str) -> bool:
    words = name.casefold().replace("-", "_").replace(".", "_").split("_")
    return any(w in RATER_WORDS or w.removesuffix("s") in RATER_WORDS for w in words)


HANDLERS = {
    "design_effect": kish_design_effect,
    "rater_reliability": reliability,
    "correlation_test": correlation_test,
    "linearity_test": linearity,
}
