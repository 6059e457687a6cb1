"""Subsets of the data and the refit without outliers.

* ``subset_data``: the rows kept (``engine.subset.select_rows``) become a new data set,
  ``<name>_subset`` (numbered when taken), made current; earlier models keep their data.
  A column may be named as itself, its plural or a role word ("subject"), as for the
  other steps that take a group (``assistant.model_building.group_column``), or not at
  all ("only treated patients": the column that has the level).
* ``subset_visits``: each subject's first or last time points (``engine.visit_subset``),
  a new data set like ``subset_data``'s; subject and time columns as named, else guessed.
* ``use_dataset``: an earlier data set of the session becomes current again.
* ``refit_without_outliers``: a model fitted again without the observations the residual
  diagnostics call outlying (``engine.sensitivity``), filed as a new model on a data set
  of its own, ``<name>_without_outliers``; the current data set does not change.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

import pandas as pd

from assistant.column_words import singular_forms
from assistant.errors import AssistantError
from assistant.model_building import classify_structure, group_column
from assistant.references import resolve_one
from assistant.state import FittedModel, SessionState
from assistant.step_results import (
    DatasetLoaded,
    DataSubset,
    GroupSizeSubset,
    OutlierRefit,
    TimeValueSubset,
    VisitSubset,
)
from assistant.steps.base import PlanContext, StepResult, step_field
from assistant.steps.data import data_roles, model_roles, require_data, use_sample
from engine.blups import match_level
from engine.data import closest_names, describe_data, time_candidates
from engine.group_size_subset import select_groups_by_size
from engine.samples import list_samples
from engine.sensitivity import outlier_sensitivity
from engine.subset import select_rows
from engine.time_value_subset import select_time_values, time_value_range
from engine.visit_subset import orderable_time, select_time_points
from grammar.plan import UseSample

SUBSET_SUFFIX = "_subset"
NO_OUTLIERS_SUFFIX = "_without_outliers"


def fresh_name(datasets: dict[str, Any], base: str) -> str:
    """``base``, or ``base_2``, ``base_3``, … when it is taken."""
    if base not in datasets:
        return base
    n = 2
    while f"{base}_{n}" in datasets:
        n += 1
    return f"{base}_{n}"


def subset_base(parent: str) -> str:
    """The name subsets of ``parent`` share: ``pain_trial_subset`` for ``pain_trial`` and
    for its subsets (``pain_trial_subset_2`` too), numbered by :func:`fresh_name`."""
    found = re.fullmatch(rf"(.+?){SUBSET_SUFFIX}(_\d+)?", parent)
    return (found.group(1) if found else parent) + SUBSET_SUFFIX


def newest_model_on(state: SessionState, dataset: str | None) -> FittedModel | None:
    """The most recent model fitted to ``dataset``."""
    on_it = [m for m in state.models.values() if m.dataset == dataset]
    return max(on_it, key=lambda m: m.number) if on_it else None


def _grouping(state: SessionState, data: pd.DataFrame) -> tuple[str | None, tuple[str, ...]]:
    """(the subjects' column, every grouping column that must keep two levels): the
    newest model's grouping factors on this data, else the column guessed as the id."""
    model = newest_model_on(state, state.current_data_name)
    if model is not None:
        names = [g for g in model.fit.model_formula.grouping_variables() if g in data.columns]
        if names:
            return names[0], tuple(names)
    guess = describe_data(data).id_guess
    return guess, (guess,) if guess else ()


def _text_columns(data: pd.DataFrame) -> list[str]:
    return [
        str(c)
        for c in data.columns
        if not pd.api.types.is_numeric_dtype(data[c]) or pd.api.types.is_bool_dtype(data[c])
    ]


def _has_levels(series: pd.Series, values: tuple[str, ...]) -> bool:
    levels = [str(v) for v in pd.unique(series.dropna())]
    return all(match_level(levels, v) is not None for v in values)


def _singular_levels(data: pd.DataFrame, values: tuple[str, ...]) -> tuple[str, ...]:
    """Each value as the level it names when no column holds it but one holds its singular
    ("only females": the level ``female``); other values as they are."""
    columns = _text_columns(data)

    def level_of(value: str) -> str:
        if any(_has_levels(data[c], (value,)) for c in columns):
            return value
        for singular in singular_forms(value):
            if any(_has_levels(data[c], (singular,)) for c in columns):
                return singular
        return _active_arm(data, value) or value

    return tuple(level_of(v) for v in values)


#: Levels that mark a trial's comparison arm: "the treatment group" is the other level.
CONTROL_LEVELS = frozenset({"control", "controls", "placebo", "ctrl", "sham", "untreated",
                            "usual care", "usual_care", "standard care", "standard_care"})


def _active_arm(data: pd.DataFrame, word: str) -> str | None:
    """The level "the treatment group" means (words16): when ``word`` names a two-level
    column one of whose levels is a control arm (control, placebo, ...), its other level
    (``treatment`` in pain_trial: ``treated``); else None."""
    named = [c for c in _text_columns(data) if c.casefold() == word.casefold()]
    if len(named) != 1:
        return None
    levels = [str(v) for v in pd.unique(data[named[0]].dropna())]
    others = [v for v in levels if v.casefold() not in CONTROL_LEVELS]
    return others[0] if len(levels) == 2 and len(others) == 1 else None


def _column_with_levels(data: pd.DataFrame, values: tuple[str, ...]) -> str:
    """The one column that has every value ("only treated patients": treatment)."""
    having = [c for c in _text_columns(data) if _has_levels(data[c], values)]
    if len(having) == 1:
        return having[0]
    shown = ", ".join(repr(v) for v in values)
    if having:
        raise AssistantError(
            f"Both {having[0]} and {having[1]} have {shown}; name the column, e.g. "
            f"`keep only {having[0]} = {values[0]}`."
        )
    levels = sorted({str(v) for c in _text_columns(data) for v in data[c].dropna().unique()})
    close = closest_names(values[0], levels)
    hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    raise AssistantError(
        f"No column of the data has the value {values[0]!r}; name the column and the "
        f"value, e.g. `keep only treatment = treated`.{hint}"
    )


def _column_for(
    word: str | None, values: tuple[str, ...], data: pd.DataFrame, state: SessionState
) -> str:
    """The column a request means: itself, its plural, a role word, or none named."""
    if word is None:
        return _column_with_levels(data, values)
    name = group_column(word, data.columns)
    if name is None:  # a role word: the grouping factor
        _, grouping = _grouping(state, data)
        having = [g for g in grouping if _has_levels(data[g], values)]
        if having or grouping:
            return (having or list(grouping))[0]
        raise AssistantError(
            f"I could not tell which column holds the {word}s; name the column, e.g. "
            f"`exclude {data.columns[0]} {values[0] if values else 1}`."
        )
    if name not in data.columns:
        folded = [str(c) for c in data.columns if str(c).casefold() in
                  {name.casefold(), name.casefold().removesuffix("s")}]
        if len(folded) == 1:
            return folded[0]
    return name


def subset_data(step: Any, state: SessionState, context: PlanContext) -> StepResult:
    data = require_data(state)
    parent = state.current_data_name or "data"
    values = tuple(str(v) for v in step_field(step, "values", ()))
    rows = tuple(int(r) for r in step_field(step, "rows", ()))
    subjects, grouping = _grouping(state, data)
    if not rows and step_field(step, "column") is None:
        values = _singular_levels(data, values)
    column = None if rows else _column_for(step_field(step, "column"), values, data, state)
    result = select_rows(
        data,
        step_field(step, "action", "drop"),
        column=column,
        operator=step_field(step, "operator", "=="),
        values=values,
        rows=rows,
        group=subjects,
        grouping=grouping,
    )
    model = newest_model_on(state, parent)
    follows = bool({"refit", "modify_model"} & set(context.kinds))
    if result.n_removed == 0:
        # nothing matched: no new data set; the narration says the data are unchanged
        return StepResult(DataSubset(parent, parent, result, model, follows), state)
    name = fresh_name(state.datasets, subset_base(parent))
    outcome = DataSubset(name, parent, result, model, refit_follows=follows)
    return StepResult(outcome, state.with_subset(name, result.data, parent))


def _counted_columns(state: SessionState, data: pd.DataFrame, parent: str) -> tuple[str, ...]:
    """The columns a row needs values in to count toward its subject: the newest model's
    variables on this data, else the outcome the session takes for it (none: all rows)."""
    model = newest_model_on(state, parent)
    if model is not None:
        return tuple(v for v in model.fit.model_formula.variables() if v in data.columns)
    outcome = data_roles(state, data=data).get("outcome")
    return (outcome,) if outcome else ()


def subset_group_size(step: Any, state: SessionState, context: PlanContext) -> StepResult:
    """Whole subjects dropped or kept by their number of usable rows
    (``engine.group_size_subset``); the rows kept become a new data set, made current, as
    for ``subset_data``. The subjects are the column named, else the newest model's
    grouping factor on this data, else the data's guess."""
    data = require_data(state)
    parent = state.current_data_name or "data"
    subjects, grouping = _grouping(state, data)
    named = group_column(step_field(step, "group"), data.columns)
    group = named or subjects
    if group is None:
        raise AssistantError(
            "I could not tell which column identifies the subjects; name it, e.g. "
            "`drop patients with fewer than 2 visits`."
        )
    model = newest_model_on(state, parent)
    result = select_groups_by_size(
        data,
        step_field(step, "action", "drop"),
        group=group,
        operator=str(step_field(step, "operator", "<")),
        count=step_field(step, "count", 2),
        counted=_counted_columns(state, data, parent),
        grouping=grouping,
    )
    follows = bool({"refit", "modify_model"} & set(context.kinds))
    guessed = named is None and model is None
    if result.n_removed == 0:
        outcome = GroupSizeSubset(parent, parent, result, model, follows, guessed)
        return StepResult(outcome, state)
    name = fresh_name(state.datasets, subset_base(parent))
    outcome = GroupSizeSubset(name, parent, result, model, follows, guessed)
    return StepResult(outcome, state.with_subset(name, result.data, parent))


def _visit_roles(
    step: Any, state: SessionState, data: pd.DataFrame
) -> tuple[str, str, tuple[str, ...]]:
    """(subject column, time column, roles guessed) of a time-point subset: the columns
    the request names ("per patient", "by week"), else the newest model's on this data,
    else the data's guess (:func:`assistant.steps.data.data_roles`). Only roles taken
    from the data's guess count as guessed."""
    roles = data_roles(state, data=data)
    from_model = model_roles(state, data=data)
    subject = group_column(step_field(step, "subject"), data.columns)
    time = None
    by = group_column(step_field(step, "by"), data.columns)
    if by is not None:
        if by in data.columns and orderable_time(data[by]) is None and subject is None:
            subject = by  # "first 3 visits by patient": the subjects, not an order
        else:
            time = by
    guessed = tuple(
        role
        for role, named, key in (("subject", subject, "group"), ("time", time, "time"))
        if named is None and key not in from_model
    )
    subject = subject or roles.get("group")
    if subject is None:
        raise AssistantError(
            "I could not tell which column identifies the subjects; name it, e.g. "
            "`keep the first 3 visits per patient`."
        )
    time = time or roles.get("time")
    if time is None or time == subject:
        raise AssistantError(
            f"I could not tell which column gives the order of each {subject}'s visits; "
            "name it, e.g. `keep the first 3 visits by week`."
        )
    return subject, time, guessed


def subset_visits(step: Any, state: SessionState, context: PlanContext) -> StepResult:
    """Each subject's first or last time points (``engine.visit_subset``), kept or
    dropped; the rows kept become a new data set, made current, as for ``subset_data``.
    A request in a unit of time counts the time column's values instead
    (``engine.time_value_subset``)."""
    data = require_data(state)
    parent = state.current_data_name or "data"
    if step_field(step, "unit") is not None:
        return _time_value_subset(step, state, context, data, parent)
    subject, time, guessed = _visit_roles(step, state, data)
    result = select_time_points(
        data,
        step_field(step, "action", "keep"),
        subject=subject,
        time=time,
        from_end=step_field(step, "from_end", "first"),
        start=int(step_field(step, "start", 1)),
        stop=int(step_field(step, "stop", 1)),
    )
    others = tuple(c for c in time_candidates(data, subject) if c != time)
    model = newest_model_on(state, parent)
    follows = bool({"refit", "modify_model"} & set(context.kinds))
    if result.n_removed == 0:
        outcome = VisitSubset(parent, parent, result, model, follows, guessed, others)
        return StepResult(outcome, state)
    name = fresh_name(state.datasets, subset_base(parent))
    outcome = VisitSubset(name, parent, result, model, follows, guessed, others)
    return StepResult(outcome, state.with_subset(name, result.data, parent))


def _unit_column(unit: str, columns: Any) -> str | None:
    """The column a unit of time names: ``Days`` for "days", ``week`` for "weeks"."""
    names = [str(c) for c in columns]
    singular = unit[:-1] if unit.endswith("s") else unit
    for word in (unit, singular):
        found = [n for n in names if n.casefold() == word]
        if len(found) == 1:
            return found[0]
    return None


def _time_value_subset(
    step: Any, state: SessionState, context: PlanContext, data: pd.DataFrame, parent: str
) -> StepResult:
    """ "exclude the first two days", "use only days 2 to 9": rows by the time column's
    values; the time column is the one the unit names, else the guessed one."""
    unit = str(step_field(step, "unit"))
    named = _unit_column(unit, data.columns)
    subject, time, guessed = _visit_roles(step, state, data)
    if named is not None and named != subject:
        time, guessed = named, tuple(g for g in guessed if g != "time")
    start, stop = int(step_field(step, "start", 1)), int(step_field(step, "stop", 1))
    if step_field(step, "by_value", False):
        low, high = float(start), float(stop)
    else:
        low, high = time_value_range(
            data, time, from_end=step_field(step, "from_end", "first"), start=start, stop=stop
        )
    result = select_time_values(
        data, step_field(step, "action", "keep"), subject=subject, time=time, low=low, high=high
    )
    model = newest_model_on(state, parent)
    follows = bool({"refit", "modify_model"} & set(context.kinds))
    name = fresh_name(state.datasets, subset_base(parent))
    outcome = TimeValueSubset(name, parent, result, unit, model, follows, guessed)
    if result.n_removed == 0:
        return StepResult(replace(outcome, name=parent), state)
    return StepResult(outcome, state.with_subset(name, result.data, parent))


def use_dataset(step: Any, state: SessionState, context: PlanContext) -> StepResult:
    """Make an earlier data set current; a sample not loaded yet is loaded."""
    wanted = str(step_field(step, "name", "")).strip()
    names = list(state.datasets)
    found = wanted if wanted in state.datasets else next(
        (n for n in names if n.casefold() == wanted.casefold()), None
    )
    if found is None:
        if wanted.lower() in {s.name for s in list_samples()}:
            return use_sample(UseSample(wanted), state, context)
        close = closest_names(wanted, names)
        known = (
            f"this session has {', '.join(names)}" if names else "no data set is loaded yet"
        )
        hint = f" Did you mean {close[0]}?" if close else ""
        raise AssistantError(f"There is no data set called {wanted!r}; {known}.{hint}")
    frame = state.datasets[found]
    loaded = DatasetLoaded(
        name=found,
        source="switch",
        nrows=int(len(frame)),
        columns=tuple(str(c) for c in frame.columns),
        summary=describe_data(frame),
    )
    return StepResult(loaded, state.with_dataset(found, frame))


def refit_without_outliers(step: Any, state: SessionState, context: PlanContext) -> StepResult:
    base = resolve_one(state, step_field(step, "model"))
    found = outlier_sensitivity(base.fit)
    if not found.found:
        return StepResult(OutlierRefit(base, found), state)
    name = fresh_name(state.datasets, base.dataset + NO_OUTLIERS_SUFFIX)
    model = FittedModel(
        number=state.next_model_number(),
        structure=classify_structure(found.refit.model_formula),
        fit=found.refit,
        dataset=name,
        label=f"model {base.number} without outliers",
    )
    new_state = state.with_subset(name, found.data_without, base.dataset, current=False)
    new_state = new_state.with_model(model)
    return StepResult(OutlierRefit(base, found, model, name), new_state)


HANDLERS = {
    "subset_data": subset_data,
    "subset_visits": subset_visits,
    "subset_group_size": subset_group_size,
    "use_dataset": use_dataset,
    "refit_without_outliers": refit_without_outliers,
}
