"""The ``baseline_comparison`` step: a factor's levels at the first time point, observed
and by the model (``engine.baseline_comparison``).

The factor is the one named (a generic word such as "groups" or "arms" stands for the
model's only factor); the time is the model's one time-like predictor.
"""

from __future__ import annotations

from typing import Any

from assistant.errors import AssistantError
from assistant.references import resolve_one
from assistant.state import SessionState
from assistant.step_results import EngineResult
from assistant.steps.base import PlanContext, StepResult, step_field
from assistant.steps.reports import _factor_of, _matching_name
from engine.baseline_comparison import baseline_comparison
from engine.data import time_candidates
from engine.predict import fixed_part_variables

#: Words that name "the groups" without naming a factor.
GROUP_WORDS = frozenset({"group", "groups", "arm", "arms", "condition", "conditions"})


def compare_at_baseline(step: Any, state: SessionState, context: PlanContext) -> StepResult:
    model = resolve_one(state, step_field(step, "model"))
    fit = model.fit
    named = step_field(step, "factor")
    factors = fixed_part_variables(fit.model_formula, fit.data).factors
    if named is not None and named.casefold() in GROUP_WORDS:
        named = _matching_name(named, factors)
    factor = _factor_of(model, named)
    result = baseline_comparison(fit, factor, _time_predictor(model, factor),
                                 level=state.options.level)
    return StepResult(EngineResult("baseline_comparison", result, model), state)


def _time_predictor(model: Any, factor: str) -> str:
    """The model's one fixed-part predictor that varies within its grouping factor and is
    named or behaves like a time."""
    fit = model.fit
    variables = fixed_part_variables(fit.model_formula, fit.data).ordered
    groups = fit.model_formula.grouping_variables()
    within = [c for c in time_candidates(fit.data, groups[0] if groups else None)
              if c in variables and c != factor]
    if len(within) == 1:
        return str(within[0])
    if not within:
        raise AssistantError(
            f"{model.title} has no time predictor, so there is no first time point; fit one "
            "with time in it, e.g. `LMM: y ~ time + group + (1 | id)`."
        )
    raise AssistantError(
        f"{model.title} has several time-like predictors ({', '.join(within)}); compare the "
        f"groups at a value of one, e.g. `compare {factor} at {within[0]} 0`."
    )


HANDLERS = {"baseline_comparison": compare_at_baseline}
