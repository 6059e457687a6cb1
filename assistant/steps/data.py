"""Data steps: samples, files, reshaping, transforms, descriptions, the missing-data audit."""

from __future__ import annotations

import difflib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from assistant.errors import AssistantError
from assistant.model_building import group_column, parts_from_formula
from assistant.references import NO_DATA, resolve_one
from assistant.state import SessionState
from assistant.step_results import DatasetLoaded, EngineResult
from assistant.steps.base import PlanContext, StepResult, step_field
from engine.cluster_sizes import cluster_sizes
from engine.data import describe_data, read_table, transform_columns
from engine.data import reshape_long as engine_reshape
from engine.dropout_timing import dropout_before
from engine.errors import LmmInputError
from engine.missing import missing_data_audit
from engine.missingness_by import between_subject_factors, missingness_by
from engine.samples import list_samples, load_sample
from engine.subjects_per_level import subjects_per_level
from grammar.errors import suggestions_for
from grammar.spaced_names import column_of_label


def require_data(state: SessionState) -> Any:
    data = state.data
    if data is None:
        raise AssistantError(NO_DATA)
    return data


def loaded_dataset(name: str, source: str, frame: Any, **extra: Any) -> DatasetLoaded:
    """The answer for a data set that became current (or changed), with its summary."""
    return DatasetLoaded(
        name=name,
        source=source,
        nrows=int(len(frame)),
        columns=tuple(str(c) for c in frame.columns),
        summary=describe_data(frame),
        **extra,
    )


def use_sample(step: Any, state: SessionState, context: PlanContext) -> StepResult:
    name = str(step_field(step, "name", "")).strip()
    if not name:
        raise AssistantError("Name the sample, e.g. `use sample pain_trial`.")
    try:
        frame = load_sample(name)
    except LmmInputError as err:
        raise AssistantError(_unknown_sample(name, str(err))) from None
    key = name.lower().replace("-", "_").replace(" ", "_")
    info = next((s for s in list_samples() if s.name == key), None)
    description = info.description if info else ""
    suggested = info.suggested_formula if info else None
    result = loaded_dataset(key, "sample", frame, description=description)
    return StepResult(result, state.with_dataset(key, frame, suggested))


def _unknown_sample(name: str, message: str) -> str:
    """The message for a sample that does not exist: "plto the data" reads as the sample
    'plto', so a name that is a misspelt request word gets that request suggested."""
    if "did you mean" in message:
        return message
    for request in suggestions_for(f"{name} the data"):
        verb = request.split()[0]
        if difflib.SequenceMatcher(None, name.lower(), verb).ratio() >= 0.6:
            return (f"I did not recognise '{name}': it is neither a request word nor a "
                    f"sample; did you mean `{request}`? (The samples are "
                    f"{', '.join(s.name for s in list_samples())}.)")
    return message


def _fresh_name(state: SessionState, base: str) -> str:
    if base not in state.datasets:
        return base
    n = 2
    while f"{base}_{n}" in state.datasets:
        n += 1
    return f"{base}_{n}"


def load_data(step: Any, state: SessionState, context: PlanContext) -> StepResult:
    path = step_field(step, "path")
    if not path:
        raise AssistantError("Name the file to load, e.g. `load visits.csv`.")
    table = read_table(path, step_field(step, "format"))
    frame = table.data
    name = Path(str(path)).stem or "data"
    if name in state.datasets:
        # loading the same file again replaces it; another file with that stem gets a suffix
        name = name if state.datasets.get(name) is not None else _fresh_name(state, name)
    result = loaded_dataset(name, "file", frame)
    return StepResult(result, state.with_dataset(name, frame))


def reshape_long(step: Any, state: SessionState, context: PlanContext) -> StepResult:
    data = require_data(state)
    kwargs: dict[str, Any] = {}
    for key in ("id_column", "stub", "time_name", "value_name"):
        value = step_field(step, key)
        if value is not None:
            kwargs[key] = value
    columns = tuple(step_field(step, "columns", ()) or ())
    if columns:
        kwargs["columns"] = columns
    reshaped = engine_reshape(data, **kwargs)
    base = state.current_data_name or "data"
    name = _fresh_name(state, base if base.endswith("_long") else f"{base}_long")
    result = loaded_dataset(name, "reshape", reshaped.data, engine_result=reshaped)
    return StepResult(result, state.with_dataset(name, reshaped.data))


def describe(step: Any, state: SessionState, context: PlanContext) -> StepResult:
    data = require_data(state)
    return StepResult(EngineResult("data_summary", describe_data(data)), state)


def transform(step: Any, state: SessionState, context: PlanContext) -> StepResult:
    data = require_data(state)
    operation = step_field(step, "operation")
    columns = list(step_field(step, "columns", []))
    if not operation:
        raise AssistantError("Say what to do with the columns, e.g. `center age`.")
    if not columns:
        columns = continuous_predictors(state)
    if not columns:
        raise AssistantError(f"Say which columns to {operation}, e.g. `{operation} age`.")
    done = transform_columns(data, operation, columns)
    name = state.current_data_name or "data"
    result = loaded_dataset(name, "transform", done.data, engine_result=done)
    hint = state.suggested_formulas.get(name)
    return StepResult(result, state.with_dataset(name, done.data, hint))


def continuous_predictors(state: SessionState) -> list[str]:
    """Numeric predictor columns of the last model on the current data ("the predictors");
    before any model of these data, the numeric columns other than the guessed grouping
    factor and outcome (``engine.data.describe_data``)."""
    model = state.last_model
    data = state.data
    if data is None:
        return []
    if model is None or model.dataset != state.current_data_name:
        summary = describe_data(data)
        skip = {summary.id_guess, summary.outcome_guess}
        return [
            str(name)
            for name in data.columns
            if str(name) not in skip
            and pd.api.types.is_numeric_dtype(data[name])
            and not pd.api.types.is_bool_dtype(data[name])
        ]
    mf = model.fit.model_formula
    skip = set(mf.grouping_variables()) | {mf.response_label}
    return [
        name
        for name in mf.variables()
        if name not in skip
        and name in data.columns
        and pd.api.types.is_numeric_dtype(data[name])
        and not pd.api.types.is_bool_dtype(data[name])
    ]


def missing_data(step: Any, state: SessionState, context: PlanContext) -> StepResult:
    ref = step_field(step, "model")
    model = resolve_one(state, ref) if ref is not None else None
    if model is None:
        data = require_data(state)
    else:
        source = getattr(model.fit, "source_data", None)
        data = source if source is not None else model.fit.data
    roles = data_roles(state, model=model, data=data)
    per = group_column(step_field(step, "per"), data.columns)
    if _counts_subjects(step, roles, data) and per != roles["group"]:
        # "how many patients are in each group?": subjects per level, not rows per subject
        variables = roles_variables(state, roles, model=model)
        factor = per if per in data.columns else _one_between_factor(data, roles, variables)
        result = subjects_per_level(data, roles["group"], factor)
        return StepResult(EngineResult("subjects_per_level", result), state)
    counted = step_field(step, "counted")
    if counted is not None and per is None and step_field(step, "per") is not None:
        per = roles.get("group")  # "how many observations do the patients have?": a role word
    if counted is not None and per is not None and (
        per == roles.get("group") or per in data.columns
    ):
        # "how many students per school?", "how many ratings per rater?": the size of each
        # level (its distinct students, its ratings, or its rows), with no visits or time
        # points in it
        unit_column = group_column(counted, data.columns)
        unit_column = unit_column if unit_column in data.columns else None
        sizes = cluster_sizes(data, per, counted, unit_column,
                              measure=_is_measure(data, unit_column, roles))
        return StepResult(EngineResult("cluster_sizes", sizes), state)
    if per in data.columns:  # "per subject" names a role, "per patient(s)" a column
        roles["group"] = per
    if "group" not in roles:
        raise AssistantError(
            "I could not tell which column identifies the subjects; fit a model first, "
            "e.g. `LMM: y ~ time + (1 | id)`, and ask again."
        )
    variables = roles_variables(state, roles, model=model)
    if step_field(step, "question") == "related":
        related = _missingness_related(data, roles, variables, step_field(step, "related_to"))
        return StepResult(EngineResult("missingness_by", related), state)
    audit = missing_data_audit(data, roles["group"], time=roles.get("time"), variables=variables)
    if step_field(step, "question") == "complete_subjects":
        return StepResult(EngineResult("complete_subjects", audit), state)
    if step_field(step, "question") == "dropout":
        before = step_field(step, "before")
        if before is not None and roles.get("time") is not None:
            result = dropout_before(data, roles["group"], roles["time"], before, variables)
            return StepResult(EngineResult("dropout_before", result), state)
        return StepResult(EngineResult("dropout", audit), state)
    return StepResult(EngineResult("missing_data", audit), state)


def _is_measure(data: Any, column: str | None, roles: dict[str, Any]) -> bool:
    """ "ratings per rater" names the outcome, or a column of fractional numbers: values
    that repeat by chance, so each row with one is counted (not the distinct values, as
    for an identifier such as a student column)."""
    if column is None:
        return False
    if column == roles.get("outcome"):
        return True
    values = data[column].dropna()
    return (pd.api.types.is_float_dtype(values)
            and not bool((values == values.round()).all()))


def _counts_subjects(step: Any, roles: dict[str, str], data: pd.DataFrame) -> bool:
    """Whether "how many <counted> ..." counts the subjects: a role word ("patients",
    "subjects") or the subjects' own column."""
    word = step_field(step, "counted")
    if word is None or "group" not in roles:
        return False
    column = group_column(word, data.columns)
    return column is None or column == roles["group"]


def _one_between_factor(
    data: pd.DataFrame, roles: dict[str, str], variables: list[str] | None
) -> str:
    """The one factor fixed within each subject among the analysed variables (the
    treatment arm of "how many patients are in each group?")."""
    subject = roles["group"]
    factors = between_subject_factors(data, subject, variables or list(map(str, data.columns)))
    if len(factors) == 1:
        return factors[0]
    options = factors or [
        c for c in map(str, data.columns) if c not in (subject, roles.get("time"))
    ]
    raise AssistantError(
        f"Say which column's groups to count {subject}s in, e.g. "
        f"`how many {subject}s per {options[0]}?` (columns: {', '.join(options)})."
    )


def _missingness_related(
    data: pd.DataFrame, roles: dict[str, str], variables: list[str], column: str | None
) -> Any:
    """Completers against the others on ``column`` (default: the one between-subject factor
    among the analysed variables, e.g. the treatment arm)."""
    subject, time = roles["group"], roles.get("time")
    if time is None:
        raise AssistantError(
            "Comparing who missed visits needs the time column; fit a model with time in it "
            "first, e.g. `LMM: y ~ time + (1 | id)`, and ask again."
        )
    if column is None:
        factors = between_subject_factors(data, subject, variables or list(map(str, data.columns)))
        if len(factors) != 1:
            options = factors or [c for c in map(str, data.columns) if c not in (subject, time)]
            raise AssistantError(
                "Say which column to relate the missed visits to, e.g. "
                f"`is missingness related to {options[0]}?` (columns: {', '.join(options)})."
            )
        column = factors[0]
    return missingness_by(data, subject, time, column, variables)


def model_on_current_data(state: SessionState, model: Any) -> Any:
    """The model named, else the newest model when it was fitted to the current data."""
    if model is not None:
        return model
    newest = state.last_model
    if newest is not None and newest.dataset == state.current_data_name:
        return newest
    return None


def roles_variables(
    state: SessionState, roles: dict[str, str], model: Any = None
) -> list[str] | None:
    """The variables whose presence makes an observation: the model's (the one named, else
    the newest on the current data), else the outcome."""
    model = model_on_current_data(state, model)
    skip = {roles.get("group"), roles.get("time")}
    if model is not None:
        names = [v for v in model.fit.model_formula.variables() if v not in skip]
        return names or None
    outcome = roles.get("outcome")
    return [outcome] if outcome else None


def model_roles(
    state: SessionState, model: Any = None, data: Any = None
) -> dict[str, str]:
    """The roles a model names (the one named, else the newest on the current data): its
    outcome, its grouping factor and, when it has a random slope, the slope's variable as
    the time; empty without such a model."""
    data = require_data(state) if data is None else data
    model = model_on_current_data(state, model)
    if model is None:
        return {}
    parts = parts_from_formula(model.fit.model_formula, data)
    roles = {"outcome": parts.response, "group": parts.group, "time": parts.slope}
    roles = {k: column_of_label(v) for k, v in roles.items() if v}
    if roles.get("time") not in data.columns:
        roles.pop("time", None)
    return roles


def data_roles(
    state: SessionState, model: Any = None, data: Any = None,
    describe: Callable[[], Any] | None = None,
) -> dict[str, str]:
    """Outcome, time and grouping column: from the model (the one named, else the newest
    on the current data), else guessed from the data. The data are described (a pass
    over every column) only when the model leaves a role open; ``describe`` gives that
    description when the caller has it (or will reuse it)."""
    data = require_data(state) if data is None else data
    roles = model_roles(state, model, data)
    if all(role in roles for role in ("group", "time", "outcome")):
        return roles
    summary = describe_data(data) if describe is None else describe()
    roles.setdefault("group", summary.id_guess)
    roles.setdefault("time", summary.time_guess)
    roles.setdefault("outcome", summary.outcome_guess)
    return {k: v for k, v in roles.items() if v}


HANDLERS = {
    "use_sample": use_sample,
    "load_data": load_data,
    "reshape_long": reshape_long,
    "describe_data": describe,
    "transform": transform,
    "missing_data": missing_data,
}
