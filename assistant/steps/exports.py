"""The ``export_results`` step: a model's tables and fit JSON, or the last comparison, as
files in the output folder (assistant.exports does the writing)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from assistant.errors import AssistantError
from assistant.exports import comparison_table, target_path, write_json, write_table
from assistant.references import resolve_one
from assistant.state import SessionState
from assistant.step_results import ExportedFile, ExportedFiles
from assistant.steps.base import PlanContext, StepResult, step_field
from engine.result_tables import (
    fixed_effects_table,
    random_effects_table,
    variance_components_table,
)

_TABLES = {
    "fixed_effects": fixed_effects_table,
    "variance_components": variance_components_table,
    "random_effects": random_effects_table,
}
NO_COMPARISON = (
    "No models have been compared yet, so there is no comparison table to write; "
    "compare first, e.g. `compare models 1 and 2`."
)


def export_results(step: Any, state: SessionState, context: PlanContext) -> StepResult:
    table = step_field(step, "table")
    name = step_field(step, "path")
    fmt = str(step_field(step, "format", "csv")).lower()
    folder = Path(state.options.output_dir)
    if name is not None:
        target_path(folder, name)  # a bad name is refused before anything else
    if table == "comparison":
        if state.last_comparison is None:
            raise AssistantError(NO_COMPARISON)
        path = target_path(folder, name or f"model_comparison.{fmt}")
        written = write_table(comparison_table(state.last_comparison), path, "comparison")
        return StepResult(ExportedFiles(None, (written,)), state)
    if table is not None and table not in (*_TABLES, "fit"):
        raise AssistantError(f"There is no table {table!r} to write; ask for `export the results`.")
    model = resolve_one(state, step_field(step, "model"))
    prefix = f"model{model.number}_"
    files: list[ExportedFile] = []
    results_in_one_csv = False
    if table is None and name is not None:
        # "save the results to results.csv": one file; a CSV holds the coefficient table
        path = target_path(folder, name)
        if path.suffix.lower() == ".json":
            files.append(write_json(model.fit.to_dict(), path, "fit"))
        else:
            files.append(write_table(fixed_effects_table(model.fit), path, "fixed_effects"))
            results_in_one_csv = True
    elif table is None:
        if fmt != "json":
            for what, build in _TABLES.items():
                path = target_path(folder, f"{prefix}{what}.csv")
                files.append(write_table(build(model.fit), path, what))
        files.append(write_json(model.fit.to_dict(), target_path(folder, f"{prefix}fit.json"),
                                "fit"))
        if state.last_comparison is not None and fmt != "json":
            path = target_path(folder, "model_comparison.csv")
            files.append(write_table(comparison_table(state.last_comparison), path, "comparison"))
    elif table == "fit":
        path = target_path(folder, name or f"{prefix}fit.json")
        files.append(write_json(model.fit.to_dict(), path, "fit"))
    else:
        path = target_path(folder, name or f"{prefix}{table}.{fmt}")
        files.append(write_table(_TABLES[table](model.fit), path, table))
    return StepResult(ExportedFiles(model, tuple(files), results_in_one_csv), state)


HANDLERS = {"export_results": export_results}
