"""Writing result tables and the fit JSON to files (I/O only: the tables come from
``engine.result_tables``, the fit JSON is ``LmmFit.to_dict()``, CONTRACTS §3).

A relative file name is placed inside the output folder (a folder part is kept:
``tables/fixed.csv``); an absolute one is used as it is. Folders are created as needed.
Only ``.csv`` and ``.json`` names are written.

Several models go to one file per table: a long CSV table whose first columns are
``model`` (the model's number) and ``formula`` (:func:`long_table`), or a JSON object
keyed by model label (:func:`model_keys`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from assistant.errors import AssistantError
from assistant.json_text import indented_json
from assistant.step_results import ExportedFile

SUFFIXES = (".csv", ".json")


def target_path(folder: Path, name: str) -> Path:
    """Where a file the user named goes (see the module docstring); refuses other suffixes."""
    path = Path(name).expanduser()
    if path.suffix.lower() not in SUFFIXES:
        raise AssistantError(
            f"I write tables as .csv files and the fit as a .json file, so {name!r} cannot "
            "be written; name a file such as `results.csv` or `fit.json`."
        )
    return path if path.is_absolute() else folder / path


def write_table(table: pd.DataFrame, path: Path, what: str) -> ExportedFile:
    """A table as CSV (or, for a .json name, as a JSON list of rows)."""
    existed = _prepare(path)
    try:
        if path.suffix.lower() == ".json":
            path.write_text(indented_json(table) + "\n")
        else:
            table.to_csv(path, index=False)
    except OSError as err:
        raise _not_written(path, err) from None
    return ExportedFile(path, what, len(table), existed)


def write_json(payload: dict[str, Any], path: Path, what: str) -> ExportedFile:
    """A JSON object (the fit, CONTRACTS §3) with NaN written as null."""
    if path.suffix.lower() != ".json":
        raise AssistantError(
            f"The fit is a JSON object, so it needs a .json file name, not {path.name!r}; "
            "e.g. `save the fit to fit.json`."
        )
    existed = _prepare(path)
    try:
        path.write_text(indented_json(payload) + "\n")
    except OSError as err:
        raise _not_written(path, err) from None
    return ExportedFile(path, what, None, existed)


def write_tables_json(tables: dict[str, pd.DataFrame], path: Path, what: str) -> ExportedFile:
    """Several models' tables as one JSON object: each key's value is its list of rows."""
    if path.suffix.lower() != ".json":
        raise AssistantError(f"{path.name!r} is not a .json file name; name one such as "
                             "`results.json`.")
    existed = _prepare(path)
    try:
        path.write_text(indented_json(tables) + "\n")
    except OSError as err:
        raise _not_written(path, err) from None
    return ExportedFile(path, what, sum(len(t) for t in tables.values()), existed)


def _prepare(path: Path) -> bool:
    """Create the folder; True when a file is already there (it will be replaced)."""
    if path.is_dir():
        raise AssistantError(f"{path} is a folder; give a file name such as `{path}/results.csv`.")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise _not_written(path, err) from None
    return path.exists()


def _not_written(path: Path, err: OSError) -> AssistantError:
    reason = err.strerror or type(err).__name__
    return AssistantError(f"{path} could not be written ({reason}); choose another file or folder.")


def model_keys(models: Any) -> list[str]:
    """The key of each model in a JSON file of several models: its label when it was
    given one ("called baseline"), else ``model<number>``; a clash falls back to the
    number, so every key is unique."""
    keys: list[str] = []
    for model in models:
        key = model.label or f"model{model.number}"
        if key in keys:
            key = f"model{model.number}"
        keys.append(key)
    return keys


def long_table(models: Any, build: Any) -> pd.DataFrame:
    """One table of several models: ``build(fit)``'s rows for each model, after a
    ``model`` column (the model's number) and a ``formula`` column."""
    parts = []
    for model in models:
        part = build(model.fit).copy()
        part.insert(0, "formula", model.fit.formula)
        part.insert(0, "model", model.number)
        parts.append(part)
    return pd.concat(parts, ignore_index=True)


def comparison_table(comparison: Any) -> pd.DataFrame:
    """A session comparison's table (``engine.compare``), with the model numbers first."""
    table = comparison.comparison.table.reset_index(drop=True).copy()
    table.insert(0, "model", [m.number for m in comparison.models])
    return table
