"""``missing_code``: cells holding a missing-value code (-99, 999, ".") become missing.

The current data set is changed in place (like a transform): models fitted before keep
their data, and ``undo`` brings the codes back. The answer counts the cells per column
(``engine.missing_codes.code_as_missing``).
"""

from __future__ import annotations

from typing import Any

from assistant.errors import AssistantError
from assistant.state import SessionState
from assistant.steps.base import PlanContext, StepResult, step_field
from assistant.steps.data import loaded_dataset, require_data
from engine.data import require_columns
from engine.missing_codes import code_as_missing


def missing_code(step: Any, state: SessionState, context: PlanContext) -> StepResult:
    data = require_data(state)
    codes = tuple(step_field(step, "codes", ()) or ())
    if not codes:
        raise AssistantError(
            "Say which value stands for a missing value, e.g. `treat -99 as missing`."
        )
    columns = tuple(step_field(step, "columns", ()) or ())
    require_columns(data, columns)
    done = code_as_missing(data, codes, columns)
    name = state.current_data_name or "data"
    result = loaded_dataset(name, "missing_codes", done.data, engine_result=done)
    hint = state.suggested_formulas.get(name)
    return StepResult(result, state.with_dataset(name, done.data, hint))


HANDLERS = {"missing_code": missing_code}
