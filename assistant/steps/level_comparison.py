"""The ``level_comparison`` step: is one level of a factor higher than another?

The factor is the one named, else the factor of the model's fixed part that has both
levels; the difference and its test are ``engine.level_difference``'s.
"""

from __future__ import annotations

from typing import Any

from assistant.errors import AssistantError
from assistant.references import resolve_one
from assistant.state import SessionState
from assistant.step_results import EngineResult, LevelComparisonAnswer
from assistant.steps.base import PlanContext, StepResult, step_field
from engine.level_difference import factors_with_levels, level_difference


def level_comparison(step: Any, state: SessionState, context: PlanContext) -> StepResult:
    model = resolve_one(state, step_field(step, "model"))
    fit = model.fit
    first, second = str(step.first), str(step.second)
    factor = step_field(step, "factor")
    if factor is None:
        factor = _factor_with(fit, first, second)
    elif factor not in fit.data.columns:
        raise AssistantError(
            f"The model has no factor {factor!r}; name one of its factors, e.g. "
            f"`is condition B higher than A?`."
        )
    difference = level_difference(fit, str(factor), first, second, level=state.options.level)
    answer = LevelComparisonAnswer(difference, str(step_field(step, "direction", "higher")))
    return StepResult(EngineResult("level_comparison", answer, model), state)


def _factor_with(fit: Any, first: str, second: str) -> str:
    found = factors_with_levels(fit, first, second)
    if len(found) == 1:
        return found[0]
    if found:
        raise AssistantError(
            f"Both {' and '.join(found)} have levels {first!r} and {second!r}; say which, "
            f"e.g. `is {found[0]} {first} higher than {second}?`."
        )
    raise AssistantError(
        f"No factor of the model's fixed part has both levels {first!r} and {second!r}."
    )


HANDLERS = {"level_comparison": level_comparison}
