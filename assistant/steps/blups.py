"""The ``blups`` step: all BLUPs, one level's, one factor's, or levels ranked by a term.

Which grouping factor a word means is decided here, as for the other steps that take a
group (``assistant.model_building.group_column``): the factor itself in any case, its
plural ("patients"), or a role word ("subject") when the model has one factor or only
one factor has the level asked for. The statistics are ``engine.blups``.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from assistant.errors import AssistantError
from assistant.model_building import GROUP_ROLE_WORDS, group_column
from assistant.outcome_direction import higher_is_worse
from assistant.references import resolve_one
from assistant.slope_candidates import random_slopes, within_group_predictors
from assistant.state import SessionState
from assistant.step_results import (
    AskedRanking,
    ChangeRanking,
    EngineResult,
    ModelView,
    ObservedMeanAnswer,
    SharedSlopeAnswer,
)
from assistant.steps.base import PlanContext, StepResult, step_field
from assistant.steps.data import data_roles, model_on_current_data, require_data
from assistant.steps.models import model_data
from engine.blups import (
    ANY_SLOPE,
    grouping_factors,
    levels_of,
    lookup_blups,
    match_level,
    rank_blups,
)
from engine.errors import LmmInputError
from engine.group_coefficients import group_coefficients
from engine.observed_mean_ranking import rank_observed_means
from engine.own_slopes import rank_own_slopes
from engine.shared_slope import shared_slopes
from engine.starting_values import rank_starting_values


def blups(step: Any, state: SessionState, context: PlanContext) -> StepResult:
    if step_field(step, "observed") is not None and step_field(step, "order") in (
        "highest", "lowest"
    ):
        return _observed_ranking(step, state)
    model = resolve_one(state, step_field(step, "model"))
    fit = model.fit
    word = step_field(step, "group")
    level = step_field(step, "level")
    order = step_field(step, "order")
    interval = state.options.level
    if order is not None and step_field(step, "asked") in CHANGE_WORDS:
        return _change_ranking(step, model, _group_for(fit, word, None, "rank"), state)
    if order is not None and step_field(step, "at_start") and step_field(step, "side") is None:
        return _starting_ranking(step, model, _group_for(fit, word, None, "rank"), state)
    if order is not None:
        group = _group_for(fit, word, None, "rank")
        ranking = rank_blups(
            fit, group, step_field(step, "term"), str(order), step_field(step, "top"), interval,
            side=step_field(step, "side"),
        )
        asked = step_field(step, "asked")
        if asked is not None:
            asked_ranking = AskedRanking(ranking, str(asked))
            return StepResult(EngineResult("blup_ranking_asked", asked_ranking, model), state)
        return StepResult(EngineResult("blup_ranking", ranking, model), state)
    if level is not None:
        if word is None and named_group(fit, str(level)) and not _groups_with(fit, level):
            # "show the BLUPs for subject": the factor's BLUPs, not a level called subject
            return StepResult(ModelView("blups", model, group=named_group(fit, level)), state)
        group = _group_for(fit, word, str(level), "look up")
        lookup = lookup_blups(fit, group, str(level), interval)
        return StepResult(EngineResult("blup_lookup", lookup, model), state)
    top = step_field(step, "top")
    if top is not None:
        # "the BLUPs for the first 5 patients": those levels, in the fit's level order
        group = _group_for(fit, word, None, "show")
        shown = tuple(levels_of(fit, group)[: int(top)])
        return StepResult(ModelView("blups", model, group=group, levels=shown), state)
    group = _group_for(fit, word, None, "show") if word is not None else None
    if step_field(step, "term") == ANY_SLOPE:
        require_random_slopes(model, group)
    return StepResult(ModelView("blups", model, group=group), state)


#: Words of change a ranking can be asked in; "worsens" and "improves" name a direction
#: only through which way the outcome is worse.
CHANGE_WORDS = ("worsens", "improves", "rises", "falls")


def _change_ranking(step: Any, model: Any, group: str, state: SessionState) -> StepResult:
    """ "which subject deteriorates fastest?": the levels by their own slope (fixed part +
    BLUP), in the direction the words mean for this outcome."""
    fit = model.fit
    asked = str(step_field(step, "asked"))
    fastest = step_field(step, "order") != "flattest"
    worse_up = higher_is_worse(str(fit.response_name))
    rising = {"rises": True, "falls": False,
              "worsens": bool(worse_up), "improves": not worse_up}[asked]
    variable = time_predictor(fit, group, state)
    if not random_slopes(fit, group) and variable is not None:
        # no random slope: every level shares the fixed slope, which answers the question
        try:
            shared = shared_slopes(fit, group, variable, state.options.level)
        except LmmInputError as err:
            raise AssistantError(str(err)) from None
        answer = SharedSlopeAnswer(shared, asked, rising, worse_up is not None)
        return StepResult(EngineResult("shared_slope_answer", answer, model), state)
    try:
        ranking = rank_own_slopes(fit, group, step_field(step, "term"),
                                  descending=rising == fastest, top=step_field(step, "top"))
    except LmmInputError as err:
        raise AssistantError(str(err)) from None
    result = ChangeRanking(ranking, asked, fastest, rising, worse_up is not None)
    return StepResult(EngineResult("change_ranking", result, model), state)


def _observed_ranking(step: Any, state: SessionState) -> StepResult:
    """ "which school has the highest average score?": the levels by their observed mean
    outcome in the current data, with the first level by the random intercept's BLUP of
    the model of these data (the one named, else the newest), when it has one."""
    ref = step_field(step, "model")
    model = resolve_one(state, ref) if ref is not None else model_on_current_data(state, None)
    data = require_data(state) if ref is None else model_data(model)
    word = step_field(step, "group")
    if model is not None:
        group = _group_for(model.fit, word, None, "rank")
    else:
        group = group_column(word, data.columns) if word is not None else None
        group = group or data_roles(state, data=data).get("group")
        if group is None or group not in data.columns:
            raise AssistantError(
                f"There is no column {word!r} to rank; name a column of the data, e.g. "
                "`which school has the highest average score?`."
            )
    outcome = _observed_outcome(str(step_field(step, "observed")), data, state, model)
    descending = step_field(step, "order") == "highest"
    try:
        ranking = rank_observed_means(data, outcome, group, descending=descending,
                                      top=step_field(step, "top"))
    except LmmInputError as err:
        raise AssistantError(str(err)) from None
    blup_first, adjusted = None, ()
    if model is not None and outcome == model.fit.response_name and any(
        r.group == group and r.term == "(Intercept)" for r in model.fit.random_effects
    ):
        blup_first = rank_blups(model.fit, group, "(Intercept)", str(step_field(step, "order")),
                                1, state.options.level)
        adjusted = tuple(v for v in model.fit.model_formula.variables()
                         if v != outcome and v not in group.split(":")
                         and v not in model.fit.model_formula.grouping_variables())
    answer = ObservedMeanAnswer(ranking, blup_first, adjusted)
    return StepResult(EngineResult("observed_mean_ranking", answer, model), state)


def _observed_outcome(words: str, data: Any, state: SessionState, model: Any) -> str:
    """The numeric column the outcome's words name ("score" for test_score, "test score"),
    else the model's outcome, else the data's guessed one."""
    typed = [w.casefold() for w in words.split()]
    numeric = [str(c) for c in data.columns if pd.api.types.is_numeric_dtype(data[c])]
    for column in numeric:
        parts = column.casefold().replace(".", "_").split("_")
        if "_".join(typed) == column.casefold() or (typed and all(w in parts for w in typed)):
            return column
    if model is not None:
        return str(model.fit.response_name)
    outcome = data_roles(state, data=data).get("outcome")
    if outcome is None:
        raise AssistantError(
            f"No numeric column is named '{words}'; name the outcome as a column."
        )
    return outcome


def time_predictor(fit: Any, group: str, state: SessionState) -> str | None:
    """The model's time variable: a numeric column of its fixed part that changes within
    ``group`` (also inside ``factor(time)``), the session's time column when it is one,
    else a numeric main effect, else the first (None: none)."""
    frame = fit.data
    keys = set(group.split(":")) | set(fit.model_formula.grouping_variables())
    changing = [
        v for v in fit.model_formula.variables()
        if v in frame.columns and v != fit.response_name and v not in keys
        and pd.api.types.is_numeric_dtype(frame[v]) and not pd.api.types.is_bool_dtype(frame[v])
        and int(frame.groupby(group)[v].nunique().max()) > 1
    ]
    try:
        guessed = data_roles(state).get("time")
    except AssistantError:
        guessed = None
    if guessed in changing:
        return guessed
    main = [v for v in within_group_predictors(fit, group) if v in changing]
    return (main or changing or [None])[0]


def _starting_ranking(step: Any, model: Any, group: str, state: SessionState) -> StepResult:
    """ "which patient has the highest baseline pain?": the levels by the model's
    prediction at the start, fixed part at their own covariates plus their BLUPs."""
    fit = model.fit
    try:
        ranking = rank_starting_values(
            fit, group, time_predictor(fit, group, state),
            descending=step_field(step, "order") != "lowest", top=step_field(step, "top"),
        )
    except LmmInputError as err:
        raise AssistantError(str(err)) from None
    return StepResult(EngineResult("starting_value_ranking", ranking, model), state)


def require_random_slopes(model: Any, group: str | None) -> None:
    """ "show the random slopes" of a model without any: say so, and how to add one."""
    fit = model.fit
    if random_slopes(fit, group):
        return
    factors = [group] if group is not None else grouping_factors(fit)
    candidates = [c for g in factors for c in within_group_predictors(fit, g)]
    intercepts = " and ".join(factors)
    if len(candidates) == 1:
        advice = (f" To let the effect of {candidates[0]} vary between the levels of "
                  f"{factors[0]}, add one: `add a random slope for {candidates[0]}`.")
    elif candidates:
        advice = (f" To add one, name the predictor, e.g. "
                  f"`add a random slope for {candidates[0]}`.")
    else:
        advice = (" None of its predictors changes within the levels of "
                  f"{intercepts}, so none could have a random slope.")
    raise AssistantError(
        f"{model.title} has no random slopes: its only random effects are the intercepts "
        f"of {intercepts}.{advice}"
    )


def named_group(fit: Any, word: str) -> str | None:
    """The grouping factor ``word`` names: itself in any case, or its plural; a role word
    ("subject", "cluster") names the model's only grouping factor."""
    groups = grouping_factors(fit)
    found = grouping_factor_named(word, groups)
    if found is None and word.casefold() in GROUP_ROLE_WORDS and len(groups) == 1:
        return groups[0]
    return found


def grouping_factor_named(word: str, groups: list[str]) -> str | None:
    """The one of ``groups`` that ``word`` names: itself in any case, or its plural."""
    folded = word.casefold()
    for candidate in (folded, folded[:-1] if folded.endswith("s") else None,
                      folded[:-2] if folded.endswith("es") else None):
        found = [g for g in groups if candidate and g.casefold() == candidate]
        if len(found) == 1:
            return found[0]
    return None


def _groups_with(fit: Any, level: str) -> list[str]:
    """The grouping factors with this level: by exact name if any has it, else by the
    looser matches of ``engine.blups.match_level``."""
    groups = grouping_factors(fit)
    exact = [g for g in groups if level in levels_of(fit, g)]
    return exact or [g for g in groups if match_level(levels_of(fit, g), level)]


def _group_for(fit: Any, word: str | None, level: str | None, verb: str) -> str:
    """The grouping factor a request means (see the module docstring)."""
    groups = grouping_factors(fit)
    if word is not None:
        named = named_group(fit, word)
        if named is not None:
            return named
        if word.casefold() not in GROUP_ROLE_WORDS:
            raise AssistantError(
                f"{word!r} is not a grouping factor of the model; its grouping "
                f"{'factor is' if len(groups) == 1 else 'factors are'} {', '.join(groups)}."
            )
    if len(groups) == 1:
        return groups[0]
    if level is not None:
        having = _groups_with(fit, level)
        if len(having) == 1:
            return having[0]
        if having:
            raise AssistantError(
                f"Both {' and '.join(having)} have a level {level!r}; say which, e.g. "
                f"`show the BLUPs for {having[0]} {level}`."
            )
        raise AssistantError(
            f"No grouping factor of the model has a level {level!r}; its grouping factors "
            f"are {', '.join(groups)}."
        )
    raise AssistantError(
        f"The model has several grouping factors ({', '.join(groups)}); say which to {verb}, "
        f"e.g. `top 5 {groups[0]}`."
    )


def group_coefficients_report(
    step: Any, state: SessionState, context: PlanContext
) -> StepResult:
    """lme4's ``coef()``: each level's fixed effect plus BLUP, per grouping factor."""
    model = resolve_one(state, step_field(step, "model"))
    try:
        coefficients = group_coefficients(model.fit)
    except LmmInputError as err:
        raise AssistantError(f"{model.title}: {err}") from None
    return StepResult(EngineResult("group_coefficients", coefficients, model), state)


HANDLERS = {"blups": blups, "group_coefficients": group_coefficients_report}
