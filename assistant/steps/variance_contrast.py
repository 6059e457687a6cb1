"""The ``variance_contrast`` step: which of two grouping factors varies more.

The two words name grouping factors of the model as the BLUP steps read them (any case,
plurals); the numbers are ``engine.variance_contrast``'s.
"""

from __future__ import annotations

from typing import Any

from assistant.errors import AssistantError
from assistant.references import resolve_one
from assistant.state import SessionState
from assistant.step_results import EngineResult
from assistant.steps.base import PlanContext, StepResult, step_field
from assistant.steps.blups import named_group
from engine.blups import grouping_factors
from engine.variance_contrast import variance_contrast as contrast_of


def variance_contrast(step: Any, state: SessionState, context: PlanContext) -> StepResult:
    model = resolve_one(state, step_field(step, "model"))
    fit = model.fit
    words = tuple(step_field(step, "groups", ()))
    if len(words) != 2:
        raise AssistantError("Name two grouping factors, e.g. `do raters differ more than items?`.")
    groups = []
    for word in words:
        group = named_group(fit, str(word))
        if group is None:
            names = ", ".join(grouping_factors(fit))
            raise AssistantError(
                f"'{word}' is not a grouping factor of {model.title}; its grouping factors "
                f"are {names}."
            )
        groups.append(group)
    result = contrast_of(fit, groups[0], groups[1], level=state.options.level)
    return StepResult(EngineResult("variance_contrast", result, model), state)


HANDLERS = {"variance_contrast": variance_contrast}
