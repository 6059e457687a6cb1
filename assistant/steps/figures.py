"""Figure steps: the observed data, caterpillar, trajectory and residual plots, written to
the output folder.

``engine.plots`` is imported inside each handler: it loads matplotlib, which costs a
second at start-up that sessions without figures should not pay.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from functools import cache, partial
from pathlib import Path
from typing import Any

from assistant.column_words import columns_for_words, columns_with_stems
from assistant.data_problems import outcome_problem
from assistant.errors import AssistantError
from assistant.model_building import group_column
from assistant.references import resolve_one
from assistant.slope_candidates import random_slopes
from assistant.state import SessionState
from assistant.step_results import EngineResult
from assistant.steps.base import PlanContext, StepResult, step_field, step_level
from assistant.steps.blups import named_group, require_random_slopes
from assistant.steps.data import data_roles, model_on_current_data, require_data
from engine.blups import grouping_factors
from engine.data import describe_data, wide_measure_problem
from grammar.plan import PlotData

#: Words that mean "the time variable, whatever its column is called" ("over time").
TIME_ROLE_WORDS = frozenset({"time", "times", "occasion", "occasions", "visit", "visits",
                             "wave", "waves"})


def _target(state: SessionState) -> tuple[Path, str]:
    options = state.options
    return Path(options.output_dir), str(options.format)


def _figure_step(
    kind: str, draw: Any, step: Any, state: SessionState, **options: Any
) -> StepResult:
    """Draw one figure of the referenced model into the output folder, in the chosen format."""
    model = resolve_one(state, step_field(step, "model"))
    folder, fmt = _target(state)
    figure = draw(model.fit, folder, fmt=fmt, prefix=f"model{model.number}", **options)
    return StepResult(EngineResult(kind, figure, model), state, tuple(figure.paths))


def caterpillar(step: Any, state: SessionState, context: PlanContext) -> StepResult:
    from engine.plots import caterpillar_figure

    term = step_field(step, "term")
    group = _caterpillar_group(step, state)
    if term == "slope":
        group = _group_with_slopes(resolve_one(state, step_field(step, "model")), group)
    return _figure_step(
        "figure_caterpillar",
        caterpillar_figure,
        step,
        state,
        term=term,
        group=group,
        level=state.options.level,
    )


def _group_with_slopes(model: Any, group: str | None) -> str | None:
    """ "caterpillar plot of the slopes": the one grouping factor with random slopes when
    none was named (a factor with intercepts only has no slope panel to draw); a model
    without any is refused with how to add one."""
    if group is not None:
        require_random_slopes(model, group)
        return group
    require_random_slopes(model, None)
    with_slopes = list(dict.fromkeys(g for g, _ in random_slopes(model.fit)))
    return with_slopes[0] if len(with_slopes) == 1 else None


def _caterpillar_group(step: Any, state: SessionState) -> str | None:
    """The grouping factor "plot the rater effects" names (None: every factor); a word
    that names none is refused with the model's grouping factors."""
    word = step_field(step, "group")
    if word is None:
        return None
    fit = resolve_one(state, step_field(step, "model")).fit
    group = named_group(fit, word)
    if group is None:
        names = ", ".join(grouping_factors(fit))
        raise AssistantError(
            f"The model has no grouping factor '{word}'; its grouping factors are {names}."
        )
    return group


def trajectory(step: Any, state: SessionState, context: PlanContext) -> StepResult:
    """The model's trajectory; before any model of the current data ("plot the
    trajectories" right after loading it) the observed trajectories instead."""
    from engine.plots import trajectory_figure

    by = step_field(step, "by")
    if step_field(step, "model") is None and model_on_current_data(state, None) is None:
        drawn = observed_data(PlotData(by=by, over=step_field(step, "over")), state, context)
        if not step_field(step, "band", False):
            return drawn
        # the intervals are the model's: say so rather than drop them unannounced
        return replace(drawn, result=replace(drawn.result, note=(
            "No model is fitted yet, so this figure shows the observed data with the mean "
            "at each time, without intervals; the confidence band (error bars) is that of "
            "the model's estimated means: fit a model, then ask again.")))
    overlay = bool(step_field(step, "overlay_blups", True))
    fit = resolve_one(state, step_field(step, "model")).fit
    group = named_group(fit, by) if by is not None else None
    count = step_field(step, "n_levels")
    if count is not None and group is None:
        raise AssistantError(
            f"'{by}' is not a grouping factor of the model, so there are no lines of "
            f"{count} of its levels to draw; name the grouping factor, e.g. `plot the "
            f"fitted lines for {count} {grouping_factors(fit)[0]} levels`."
        )
    levels: tuple[str, ...] = ()
    asked_levels = tuple(step_field(step, "levels", ()) or ())
    if asked_levels and group is None:
        groups = grouping_factors(fit)
        if by is None and len(groups) > 1:
            # "for 308 and 309" without the factor's name, in a model with several
            raise AssistantError(
                f"The model has {len(groups)} grouping factors ({', '.join(groups)}); name "
                f"the one {asked_levels[0]} belongs to, e.g. `plot the fitted lines for "
                f"{groups[0]} {' and '.join(asked_levels)}`."
            )
        if by is not None and len(groups) != 1:
            raise AssistantError(
                f"'{by}' is not a grouping factor of the model; name one of "
                f"{', '.join(groups)}, e.g. `plot the fitted lines for {groups[0]} "
                f"{asked_levels[0]}`."
            )
        group = groups[0]  # "for patients P001 and P002" with a column named patient_id
    if group is not None:
        # "the fitted lines for each subject": a line per level of the grouping factor
        # (its BLUPs), not panels, which only a factor of the fixed part can make
        by, overlay = None, True
        if asked_levels:
            levels = _named_levels(fit, group, asked_levels)
        elif count is not None:
            from engine.plots.trajectory import levels_across_ranking

            levels = levels_across_ranking(fit, group, int(count))
            if len(levels) == fit.ngroups[group]:
                levels = ()  # every level asked for: the usual grey lines
    extra = {"group": group, "levels": levels} if levels else {}
    if levels and asked_levels:
        extra["levels_named"] = True
    return _figure_step(
        "figure_trajectory",
        trajectory_figure,
        step,
        state,
        band=bool(step_field(step, "band", True)),
        overlay_blups=overlay,
        by=by,
        time=step_field(step, "over"),
        level=step_level(step, state),
        **extra,
    )


def _named_levels(fit: Any, group: str, asked: tuple[str, ...]) -> tuple[str, ...]:
    """The stored levels of ``group`` that "for subjects 308 and 309" names."""
    from engine.blups import match_level

    stored = list(dict.fromkeys(str(r.level) for r in fit.random_effects if r.group == group))
    found = []
    for word in asked:
        level = match_level(stored, word)
        if level is None:
            shown = ", ".join(stored[:8]) + (", …" if len(stored) > 8 else "")
            raise AssistantError(f"{group} has no level '{word}'; its levels are {shown}.")
        found.append(level)
    return tuple(dict.fromkeys(found))


def residuals(step: Any, state: SessionState, context: PlanContext) -> StepResult:
    """The residual plots; for "is there heteroscedasticity?" (question "spread") the answer
    leads with the spread of the residuals against the fitted values."""
    from engine.plots import residual_figure

    kind = "residual_spread" if step_field(step, "question") == "spread" else "figure_residuals"
    return _figure_step(kind, residual_figure, step, state, which=step_field(step, "which", "all"))


def outcome_column(words: str | None, columns: Any) -> str | None:
    """The column a word names by its stem ("day" for ``Days``), or several words by the
    looser fit of ``columns_for_words`` ("reaction time" for ``Reaction``), when exactly
    one column fits; the words as written otherwise (a typo is reported, not guessed)."""
    if words is None or words in columns:
        return words
    names = [str(c) for c in columns]
    several = len(words.split()) > 1
    found = columns_for_words(words, names) if several else columns_with_stems(words, names)
    return found[0] if len(found) == 1 else words


def observed_data(step: Any, state: SessionState, context: PlanContext) -> StepResult:
    """The data before any model: roles named in the request, else those of the newest
    model on this data, else guessed from the data (:func:`data_roles`)."""
    from engine.plots import observed_data_figure

    data = require_data(state)
    describe = cache(partial(describe_data, data))  # one pass over the data at most
    roles = data_roles(state, describe=describe)
    outcome = step_field(step, "outcome")
    wide = None if outcome is None or outcome in data.columns else (
        wide_measure_problem(data, outcome)
    )
    if wide is not None:
        raise AssistantError(wide)  # "plot pain over time" with pain_0, pain_1, ... columns
    group = group_column(step_field(step, "group"), data.columns)
    over = step_field(step, "over")
    if outcome is not None and outcome == roles.get("time") and over is None:
        outcome, over = None, outcome  # "plot time": the data over time
    elif outcome is not None and outcome == roles.get("group") and group is None:
        outcome, group = None, outcome  # "plot patient": a line or column per patient
    outcome = outcome_column(outcome, data.columns) or roles.get("outcome")
    group = group or roles.get("group")
    by = step_field(step, "by")
    if by is not None and by.casefold() in ARM_WORDS and by not in data.columns:
        by = arm_factor(state, data, group)  # "by group": the treatment arm, not the patients
    by = None if by is None else (
        group_column(outcome_column(by, data.columns), data.columns) or roles.get("group")
    )
    if by is not None and by == group:
        by = None  # "plot pain_score by patient": one line per patient, no panels
    if outcome is None:
        summary = describe()
        if summary.layout == "wide":
            stubs = ", ".join(f"{s}_…" for s in summary.wide_stubs)
            raise AssistantError(
                f"The data are wide (one row per subject, repeated columns {stubs}), so "
                "there is no single outcome column to plot over time; reshape them first: "
                "`reshape from wide to long format first`, then plot."
            )
        raise AssistantError(
            outcome_problem(data) or "I could not tell which column is the outcome; name it, "
            "e.g. `plot score over time for each id`."
        )
    if group is None:
        raise AssistantError(
            "I could not tell which column identifies the subjects or clusters; name it, "
            f"e.g. `plot {outcome} over time for each id`."
        )
    time = _time_role(over, state, roles, data.columns, describe)
    if by is not None and by == time:
        by = None  # "plot pain_score by time": against time, not a panel per visit
    folder, fmt = _target(state)
    figure = observed_data_figure(
        data, folder, outcome=outcome, group=group, time=time, by=by, fmt=fmt,
        prefix=state.current_data_name or "",
    )
    return StepResult(EngineResult("figure_observed_data", figure), state, tuple(figure.paths))


#: Words for the groups a study compares ("plot pain over time by group").
ARM_WORDS = frozenset({"group", "groups", "arm", "arms", "condition", "conditions"})


def arm_factor(state: SessionState, data: Any, subject: str) -> str:
    """The one factor fixed within each subject (a treatment arm) among the newest model's
    variables, else among all columns; a request to name it when there is not exactly one."""
    from engine.missingness_by import between_subject_factors

    model = model_on_current_data(state, None)
    candidates = list(map(str, data.columns))
    if model is not None:
        candidates = [c for c in candidates
                      if c in model.fit.model_formula.variables()] or candidates
    factors = between_subject_factors(data, subject, candidates)
    if len(factors) == 1:
        return factors[0]
    options = factors or [c for c in map(str, data.columns) if c != subject]
    raise AssistantError(
        f"Say which column splits the {subject}s into groups, e.g. "
        f"`plot over time by {options[0]}` (columns: {', '.join(options)})."
    )


def _time_role(
    named: str | None, state: SessionState, roles: dict[str, str], columns: Any,
    describe: Callable[[], Any],
) -> str | None:
    """The time axis of a data plot, or None for the per-cluster layout.

    A column the request names; "time" (and the like) means the time role. Otherwise
    the role only when it is time-like: the data's own time guess, or a variable with a
    random slope in the newest model. A covariate that a model merely contains (SES of
    pupils in schools) does not turn clustered data into trajectories.
    """
    if named is not None:
        if named in columns or named.lower() not in TIME_ROLE_WORDS:
            return named
        if "time" not in roles:
            raise AssistantError(
                "I could not tell which column is the time variable; name it, e.g. "
                "`plot score over week for each id`."
            )
        return roles["time"]
    candidate = roles.get("time")
    if candidate is None:
        return None
    model = state.last_model
    if model is not None and model.dataset == state.current_data_name:
        slopes = {term.label for rt in model.fit.model_formula.random_terms for term in rt.terms}
        if candidate in slopes:
            return candidate
    if candidate == describe().time_guess:
        return candidate
    return None


HANDLERS = {
    "plot_data": observed_data,
    "plot_caterpillar": caterpillar,
    "plot_trajectory": trajectory,
    "plot_residuals": residuals,
}
