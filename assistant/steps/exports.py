"""The ``export_results`` step: a model's tables and fit JSON, or the last comparison, as
files in the output folder (assistant.exports does the writing). Several models share
one file per table (a ``model`` column in CSV, a key per model in JSON)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from assistant.errors import AssistantError
from assistant.exports import (
    comparison_table,
    long_table,
    model_keys,
    target_path,
    write_json,
    write_table,
    write_tables_json,
)
from assistant.references import resolve, resolve_many, resolve_one
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
    several = _several_models(step, state)
    if several is not None:
        return _export_several(several, table, name, fmt, folder, state)
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


def _several_models(step: Any, state: SessionState) -> list | None:
    """The models of "export all models" / "export models 1 and 2", or None when the
    request is about one model (which keeps the one-model files)."""
    refs = list(step_field(step, "models", ()) or ())
    if refs:
        return resolve_many(state, refs)
    ref = step_field(step, "model")
    if ref is None:
        return None
    found = resolve(state, ref)
    return found if len(found) > 1 or str(ref).lower() == "all" else None


def _export_several(
    models: list, table: str | None, name: str | None, fmt: str, folder: Path,
    state: SessionState,
) -> StepResult:
    """One file per table for all the models: long CSV tables with a ``model`` column,
    JSON objects keyed by model label."""
    keys = model_keys(models)
    prefix = "models_" + "_".join(str(m.number) for m in models) + "_"
    fits = {key: m.fit.to_dict() for key, m in zip(keys, models, strict=True)}
    files: list[ExportedFile] = []
    results_in_one_csv = False
    if table is None and name is not None:
        path = target_path(folder, name)
        if path.suffix.lower() == ".json":
            files.append(write_json(fits, path, "fit"))
        else:
            files.append(write_table(long_table(models, fixed_effects_table), path,
                                     "fixed_effects"))
            results_in_one_csv = True
    elif table is None:
        if fmt != "json":
            for what, build in _TABLES.items():
                path = target_path(folder, f"{prefix}{what}.csv")
                files.append(write_table(long_table(models, build), path, what))
        files.append(write_json(fits, target_path(folder, f"{prefix}fit.json"), "fit"))
        if state.last_comparison is not None and fmt != "json":
            path = target_path(folder, "model_comparison.csv")
            files.append(write_table(comparison_table(state.last_comparison), path, "comparison"))
    elif table == "fit":
        files.append(write_json(fits, target_path(folder, name or f"{prefix}fit.json"), "fit"))
    else:
        path = target_path(folder, name or f"{prefix}{table}.{fmt}")
        if path.suffix.lower() == ".json":
            tables = {key: _TABLES[table](m.fit) for key, m in zip(keys, models, strict=True)}
            files.append(write_tables_json(tables, path, table))
        else:
            files.append(write_table(long_table(models, _TABLES[table]), path, table))
    result = ExportedFiles(None, tuple(files), results_in_one_csv, tuple(models), tuple(keys))
    return StepResult(result, state)


HANDLERS = {"export_results": export_results}
