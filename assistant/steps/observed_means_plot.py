"""The ``plot_observed_means`` step: the outcome's observed mean at each time value, one
line per group, with error bars (``engine.plots.observed_means``).

Columns the request names come first. What it leaves open comes from the newest model on
the current data (its outcome, the time and, for the lines, its one between-subject
factor whose levels are all seen at every time: the treatment arms of a trial), else from
the data's own guesses of the outcome and time, with no split: before any model only the
columns named split the means.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from assistant.errors import AssistantError
from assistant.model_building import group_column
from assistant.state import SessionState
from assistant.step_results import EngineResult
from assistant.steps.base import PlanContext, StepResult, step_field, step_level
from assistant.steps.data import data_roles, model_on_current_data, require_data
from assistant.steps.figures import ARM_WORDS, TIME_ROLE_WORDS, arm_factor, outcome_column
from engine.missingness_by import between_subject_factors


def _named_column(word: str | None, data: Any, role: str) -> str | None:
    """The column a word of the request names, or one plain message naming the problem."""
    if word is None:
        return None
    column = outcome_column(word, data.columns)
    if column in data.columns:
        return column
    column = group_column(word, data.columns)
    if column is not None and column in data.columns:
        return column
    raise AssistantError(
        f"There is no column called {word!r} in the data, so there is no {role} to plot; "
        f"name one of {', '.join(map(str, data.columns))}."
    )


def _time_word(word: str | None, data: Any, roles: dict[str, str]) -> str | None:
    """ "over time", "by visit": the time column when the word is no column itself."""
    if word is None or word in data.columns or word.casefold() not in TIME_ROLE_WORDS:
        return _named_column(word, data, "x axis")
    if "time" not in roles:
        raise AssistantError(
            "I could not tell which column is the time; name it, e.g. "
            "`plot the means of score by week`."
        )
    return roles["time"]


def _model_split(data: Any, model: Any, roles: dict[str, str], time: str) -> str | None:
    """The model's one between-subject factor crossed with time (every level at every
    time value), or None when it has none or several."""
    from engine.plots.observed_means import MAX_GROUPS

    if model is None or "group" not in roles:
        return None
    variables = [str(v) for v in model.fit.model_formula.variables()]
    found = []
    for factor in between_subject_factors(data, roles["group"], variables):
        if factor in (time, roles.get("outcome")):
            continue
        cells = data[[time, factor]].dropna().drop_duplicates()
        levels = cells[factor].nunique()
        if 1 < levels <= MAX_GROUPS and len(cells) == levels * cells[time].nunique():
            found.append(factor)
    return found[0] if len(found) == 1 else None


def _model_factor(data: Any, model: Any, roles: dict[str, str], outcome: str) -> str | None:
    """Without a time column, the x axis of the model's one factor in the fixed part (the
    condition of a rating study), or None."""
    if model is None:
        return None
    variables = [str(v) for v in model.fit.model_formula.variables()]
    factors = [v for v in variables
               if v in data.columns and v not in (outcome, roles.get("group"))
               and not pd.api.types.is_numeric_dtype(data[v])
               and v not in model.fit.ngroups]
    return factors[0] if len(factors) == 1 else None


def observed_means_plot(step: Any, state: SessionState, context: PlanContext) -> StepResult:
    from engine.plots.observed_means import observed_means_figure

    data = require_data(state)
    model = model_on_current_data(state, None)
    roles = data_roles(state, model=model, data=data)
    outcome = _named_column(step_field(step, "outcome"), data, "outcome")
    outcome = outcome or roles.get("outcome")
    if outcome is None:
        raise AssistantError("Name the outcome, e.g. `plot the means of score by time`.")
    over = _time_word(step_field(step, "over"), data, roles)
    by_word = step_field(step, "by")
    if by_word is not None and by_word.casefold() in ARM_WORDS and by_word not in data.columns:
        by = arm_factor(state, data, roles["group"]) if "group" in roles else None
        if by is None:
            raise AssistantError("Name the column of the groups, e.g. `by treatment`.")
    else:
        by = _time_word(by_word, data, roles)
    if over is None and by is not None and by in (roles.get("time"), by_word) and (
        by == roles.get("time") or "time" not in roles
    ):
        # "error bar plot of pain by time": time is the x axis; without a time column,
        # "plot the means of rating by condition" puts the column named there
        over, by = by, None
    over = over or roles.get("time") or _model_factor(data, model, roles, outcome)
    if over is None:
        factors = [str(c) for c in data.columns if str(c) != outcome
                   and not pd.api.types.is_numeric_dtype(data[c])
                   and 1 < data[c].nunique() < len(data)]
        example = min(factors, key=lambda c: data[c].nunique(), default="time")
        raise AssistantError(
            "I could not tell which column to put on the x axis (there is no time column "
            f"that I can see); name it, e.g. `plot the means of {outcome} by {example}`."
        )
    if by is not None and by == roles.get("time") and over != by:
        over, by = by, over  # "plot means by treatment and time": time on the x axis
    note = None
    if by is None and by_word is None:
        by = _model_split(data, model, roles, over)
        if by is not None:
            note = (f"The lines are the levels of {by}, the model's factor that is fixed "
                    f"within each {roles['group']}; name another with `by <column>`.")
    if by == over:
        by = None
    if roles.get("group") is not None and by == roles["group"]:
        raise AssistantError(
            f"{by} identifies the subjects, so a line per {by} is the spaghetti plot: "
            f"`plot {outcome} over {over} for each {by}`."
        )
    folder, fmt = state.options.output_dir, str(state.options.format)
    figure = observed_means_figure(
        data, folder, outcome=outcome, x=over, group=by,
        bars=step_field(step, "bars", "ci") or "ci", level=step_level(step, state), fmt=fmt,
        prefix=state.current_data_name or "",
    )
    return StepResult(EngineResult("figure_observed_means", figure, note=note), state,
                      tuple(figure.paths))


HANDLERS = {"plot_observed_means": observed_means_plot}
