"""Report steps on fitted models: comparisons, variance components, tables, predictions
and the side-by-side comparisons with RM-ANOVA and OLS."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from assistant.column_words import (
    check_outcome,
    columns_for_words,
    predictor_for_words,
    singular_forms,
)
from assistant.errors import AssistantError
from assistant.references import resolve, resolve_many, resolve_one
from assistant.slope_candidates import random_slopes, within_group_predictors
from assistant.state import SessionState
from assistant.step_results import (
    EngineResult,
    FitStatisticsReport,
    ModelTable,
    ModelView,
    SessionComparison,
)
from assistant.steps.base import PlanContext, StepResult, step_field, step_level
from assistant.steps.blups import named_group
from assistant.steps.models import with_session_ddf
from assistant.steps.options import normalise_ddf
from engine.baseline_spread import baseline_spread
from engine.blups import grouping_factors, match_level
from engine.coefficient_meaning import coefficient_meaning, match_coefficients
from engine.compare import compare_models
from engine.data import time_candidates
from engine.errors import LmmInputError
from engine.fit_statistics import comparability_issue, fit_statistics
from engine.fixed_covariance import fixed_effects_covariance
from engine.group_spread import group_spread
from engine.level_prediction import level_prediction
from engine.marginal_means import marginal_means
from engine.new_unit_prediction import new_unit_intervals
from engine.predict import factor_levels, fixed_part_variables, population_predictions
from engine.random_effects_tests import random_effects_tests
from engine.rescaled_coefficient import rescaled_coefficient
from engine.side_by_side import ols_side_by_side, rm_anova_side_by_side
from engine.slope_spread import random_slope_variables, slope_spread
from engine.starting_values import baseline_time
from engine.variance import variance_explained
from grammar.formula import variables_in

CRITERIA = ("AIC", "BIC", "LRT")
#: Asked beside the criteria: each model's own R² in the comparison table.
R2 = "R2"


def compare(step: Any, state: SessionState, context: PlanContext) -> StepResult:
    refs = list(step_field(step, "models", []))
    models = resolve_many(state, refs)
    duplicates: list[tuple[int, int]] = []
    if not refs:
        models, duplicates = _distinct_models_of_current_data(state, models)
    if len(models) < 2 and refs and len(state.models) >= 2:
        named = models[0].number if models else refs[0]
        other = next(number for number in state.models if number != named)
        raise AssistantError(
            f"A comparison needs two models, and the request names only model {named}; "
            f"name both, e.g. `compare models {named} and {other}`."
        )
    if len(models) < 2:
        raise AssistantError(
            "Comparing needs at least two fitted models; fit another one first, e.g. "
            "`fit a random slope model`. For this model's own AIC, BIC and R², ask "
            "`how well does the model fit`."
        )
    datasets = {m.dataset for m in models}
    if len(datasets) > 1:
        raise AssistantError(
            "These models were fitted to different data sets; compare models of one data set."
        )
    asked = tuple(step_field(step, "criteria", []) or CRITERIA)
    criteria = tuple(c for c in asked if c in CRITERIA) or CRITERIA
    if R2 in asked:
        criteria = (*criteria, R2)
    refit = str(step_field(step, "refit", "auto")).lower()
    comparison = compare_models([m.fit for m in models], refit=refit)
    ordered = tuple(models[i] for i in comparison.order)
    pairwise = []
    if "LRT" in criteria:
        pairwise = _skip_over_ties(ordered, comparison, refit)
    # R² describes each model as the user fitted it, not its ML refit for the likelihoods
    r2 = tuple(fit_statistics(m.fit) for m in ordered) if R2 in criteria else ()
    result = SessionComparison(
        ordered, comparison, criteria, tuple(pairwise), tuple(duplicates), r2
    )
    return StepResult(result, replace(state, last_comparison=result))


def _distinct_models_of_current_data(
    state: SessionState, models: list
) -> tuple[list, list[tuple[int, int]]]:
    """ "Compare the models" without a list: every model of the current data set, each
    formula and method once (the latest fit of it), so a refit twin is not compared
    with itself. Returns the models and the (left out, kept) number pairs."""
    current = [m for m in models if m.dataset == state.current_data_name] or models
    latest: dict[tuple[str, str], object] = {}
    for model in current:
        latest[(model.fit.formula, model.fit.method)] = model
    kept = [m for m in current if latest[(m.fit.formula, m.fit.method)] is m]
    duplicates = [
        (m.number, latest[(m.fit.formula, m.fit.method)].number) for m in current if m not in kept
    ]
    return kept, duplicates


def _skip_over_ties(ordered: tuple, comparison: Any, refit: str) -> list[tuple]:
    """Extra tests where a row sits after a model with as many parameters as the one
    before it: the table tests row j against row j−1 only, which is not nested then, so
    row j is also tested against row j−2 (e.g. intercept + slope vs random intercept)."""
    npar = list(comparison.table["npar"])
    extra = []
    for j in range(2, len(ordered)):
        if npar[j - 1] == npar[j - 2] and npar[j] > npar[j - 2]:
            pair = compare_models([ordered[j - 2].fit, ordered[j].fit], refit=refit)
            extra.append((ordered[j - 2], ordered[j], pair))
    return extra


def _slope_hint(fit: Any) -> str | None:
    """The one variable a random slope could be added for (for advice), if there is one."""
    groups = grouping_factors(fit)
    if len(groups) != 1 or random_slopes(fit):
        return None
    candidates = within_group_predictors(fit, groups[0])
    return candidates[0] if len(candidates) == 1 else None


def _view(name: str) -> Any:
    def handler(step: Any, state: SessionState, context: PlanContext) -> StepResult:
        model = resolve_one(state, step_field(step, "model"))
        variance = None
        if name in {"variance_components", "icc"}:
            variance = variance_explained(model.fit)
        include_icc = bool(step_field(step, "include_icc", True))
        asked_ddf = normalise_ddf(step_field(step, "ddf"))
        newer_ddf = state.newer_option(model, "ddf")
        if name in {"fixed_effects", "settings"}:
            # the same model's tests with other degrees of freedom; no new model is filed
            if asked_ddf is not None and asked_ddf != model.fit.ddf_method:
                model = replace(model, fit=model.fit.refit(ddf=asked_ddf))
            elif asked_ddf is None and newer_ddf is not None:
                model = with_session_ddf(model, newer_ddf)
        term = step_field(step, "term")
        if name == "fixed_effects" and step_field(step, "interaction", False):
            return _interaction_tests(model, str(term) if term else None, state)
        if name == "fixed_effects" and term:
            return _significance_of(model, str(term), state)
        question = step_field(step, "question")
        if name == "variance_components" and question == "baseline":
            return _baseline_spread(model, step_field(step, "group"), state)
        if name == "variance_components" and question == "group_spread":
            spread = _group_spread(model, step_field(step, "group"), state)
            if spread is not None:
                return spread
            include_icc = True  # the words name no grouping factor: the whole split
        if name == "variance_components" and question == "slope_spread":
            return _slope_spread(model, step_field(step, "group"), step_field(step, "slope"),
                                 state)
        if name == "settings" and question == "formula":
            return StepResult(ModelView(name, model, question=question), state)
        if name == "variance_components" and question == "correlation":
            return StepResult(ModelView(name, model, variance, include_icc, question=question,
                                        slope_hint=_slope_hint(model.fit)), state)
        return StepResult(ModelView(name, model, variance, include_icc), state)

    return handler


def _baseline_spread(model: Any, word: str | None, state: SessionState) -> StepResult:
    """ "how much do subjects differ at baseline?": the SD of that factor's random
    intercepts and the range of the groups' own intercepts it implies."""
    fit = model.fit
    groups = grouping_factors(fit)
    group = named_group(fit, word) if word else None
    if group is None and len(groups) == 1:
        group = groups[0]
    if group is None:
        raise AssistantError(
            f"{model.title} has several grouping factors ({', '.join(groups)}); say which, "
            f"e.g. `how much do {groups[0]} differ at baseline?`."
        )
    try:
        spread = baseline_spread(fit, group, float(state.options.level))
    except LmmInputError as err:
        raise AssistantError(str(err).replace("The model", model.title, 1)) from None
    return StepResult(EngineResult("baseline_spread", spread, model), state)


def _group_spread(model: Any, word: str | None, state: SessionState) -> StepResult | None:
    """ "how much do schools differ in their average score?": the SD of that factor's
    random intercepts beside the residual SD, its share of the variance (the ICC) and the
    range of the groups' own means; None when the words name no grouping factor of the
    model ("how much does pain vary?"), which the variance components answer."""
    fit = model.fit
    groups = grouping_factors(fit)
    group = named_group(fit, word) if word else None
    if group is None and word is None and len(groups) == 1:
        group = groups[0]
    if group is None:
        return None
    try:
        spread = group_spread(fit, group, float(state.options.level))
    except LmmInputError as err:
        raise AssistantError(str(err).replace("The model", model.title, 1)) from None
    return StepResult(EngineResult("group_spread", spread, model), state)


def _slope_spread(model: Any, word: str | None, slope: str | None,
                  state: SessionState) -> StepResult:
    """ "how much do subjects differ in how fast they deteriorate?": the SD of that
    factor's random slopes and the range of the groups' own slopes it implies."""
    fit = model.fit
    groups = [g for g in grouping_factors(fit) if random_slope_variables(fit, g)]
    group = named_group(fit, word) if word else None
    if group is None and len(groups) == 1:
        group = groups[0]
    if not groups or (group is not None and group not in groups):
        suggestion = next(iter(within_group_predictors(fit, group or grouping_factors(fit)[0])),
                          None)
        how = f" with `add a random slope for {suggestion}`" if suggestion else ""
        raise AssistantError(
            f"{model.title} has no random slope{' for ' + group if group else ''}, so its "
            f"groups all share one slope and do not differ in it; add one first{how}."
        )
    if group is None:
        raise AssistantError(
            f"{model.title} has random slopes for several grouping factors "
            f"({', '.join(groups)}); say which, e.g. `how much do {groups[0]} differ in "
            "their slopes?`."
        )
    variables = random_slope_variables(fit, group)
    if slope is not None:
        # "the day slopes": the words name one of the random slopes' variables
        named = slope if slope in variables else predictor_for_words(slope, variables,
                                                                     model.title)
        variables = [named or slope]
    if len(variables) > 1:
        raise AssistantError(
            f"{model.title} has random slopes of {', '.join(variables)} for {group}; name "
            f"one, e.g. `what is the SD of the {variables[0]} slopes?`."
        )
    try:
        spread = slope_spread(fit, group, variables[0], float(state.options.level))
    except LmmInputError as err:
        raise AssistantError(str(err).replace("The model", model.title, 1)) from None
    return StepResult(EngineResult("slope_spread", spread, model), state)


def _significance_of(model: Any, name: str, state: SessionState) -> StepResult:
    """The answer to "is <variable> significant?": the type III tests of the fixed-effect
    terms containing it, or, for a grouping factor, the tests of its random effects."""
    fit = model.fit
    variables = fixed_part_variables(fit.model_formula, fit.data).ordered
    grouping = fit.model_formula.grouping_variables()
    variable = _matching_name(name, variables) or _matching_name(name, grouping)
    if variable is None:
        listed = ", ".join(f"`{v}`" for v in variables) or "none"
        raise AssistantError(
            f"{model.title} has no predictor or grouping factor `{name}`; its predictors "
            f"are {listed}."
        )
    if variable not in variables:
        return StepResult(
            EngineResult("random_effects_tests", random_effects_tests(fit), model), state
        )
    table = fit.anova(ddf=_anova_ddf(fit.ddf_method))
    terms = fit.model_formula.fixed_terms
    labels = {t.label for t in terms if any(variable in variables_in(f) for f in t.factors)}
    tests = table[table["term"].isin(labels)].reset_index(drop=True)
    return StepResult(ModelView("fixed_effects", model, focus=variable, focus_tests=tests), state)


def _interaction_tests(model: Any, term: str | None, state: SessionState) -> StepResult:
    """The answer to "is the interaction significant?": the type III tests of the model's
    interaction terms, those containing every variable of ``term`` ("time:treatment")
    when it names some. A model without such a term gets an empty set of tests, which
    the narration explains (the model assumes the effect does not change)."""
    fit = model.fit
    variables = fixed_part_variables(fit.model_formula, fit.data).ordered
    wanted: list[str] = []
    data_columns = [str(c) for c in getattr(fit.source_data, "columns", [])]
    for name in (term.split(":") if term else []):
        # a column the model leaves out cannot interact in it: the narration says so
        variable = _matching_name(name, variables) or _matching_name(name, data_columns)
        if variable is None:
            listed = ", ".join(f"`{v}`" for v in variables) or "none"
            raise AssistantError(
                f"{model.title} has no predictor `{name}`; its predictors are {listed}."
            )
        wanted.append(variable)
    labels = {
        t.label
        for t in fit.model_formula.fixed_terms
        if t.order > 1
        and all(any(v in variables_in(f) for f in t.factors) for v in wanted)
    }
    table = fit.anova(ddf=_anova_ddf(fit.ddf_method))
    tests = table[table["term"].isin(labels)].reset_index(drop=True)
    focus = ":".join(wanted) if wanted else "interaction"
    return StepResult(
        ModelView("fixed_effects", model, focus=focus, focus_tests=tests, focus_interaction=True),
        state,
    )


def _anova_ddf(ddf: str) -> str:
    """The F tests' df method: lmerTest's anova has Satterthwaite and Kenward-Roger only,
    so a fit with residual or asymptotic df is tested with Satterthwaite df."""
    return ddf if ddf in {"satterthwaite", "kenward-roger"} else "satterthwaite"


def _matching_name(name: str, names: Any) -> str | None:
    """``name`` among ``names``, forgiving case and a plural ``s``."""
    for candidate in (name, name[:-1] if name.endswith("s") else ""):
        for known in names:
            if candidate and known.casefold() == candidate.casefold():
                return known
    return None


def fit_statistics_report(step: Any, state: SessionState, context: PlanContext) -> StepResult:
    """Log-likelihood, AIC, BIC and R² of the model named, or of several models.

    With no model named the question is about the current model; when its data set has
    other models too, they get a row each, so that "fit statistics" after fitting three
    models shows all three (each model's own numbers, as R's ``AIC(m1, m2, m3)``).
    """
    ref = step_field(step, "model")
    refs = list(step_field(step, "models", ()) or ())
    if refs:
        models = resolve_many(state, refs)
        focus = models[0] if len(models) == 1 else None
    elif ref is None:
        focus = resolve_one(state, None)
        models = [m for m in state.models.values() if m.dataset == focus.dataset]
    else:
        models = resolve(state, ref)
        focus = models[0] if len(models) == 1 else None
    fits = [m.fit for m in models]
    result = FitStatisticsReport(
        tuple(models),
        tuple(fit_statistics(fit) for fit in fits),
        focus,
        comparability_issue(fits),
        step_field(step, "measure"),
    )
    return StepResult(result, state)


def anova(step: Any, state: SessionState, context: PlanContext) -> StepResult:
    model = resolve_one(state, step_field(step, "model"))
    ddf = _anova_ddf(
        normalise_ddf(step_field(step, "ddf"))
        or state.newer_option(model, "ddf")
        or model.fit.ddf_method
    )
    table = model.fit.anova(ddf=ddf)
    return StepResult(ModelTable("anova", model, table, ddf), state)


def confint(step: Any, state: SessionState, context: PlanContext) -> StepResult:
    model = resolve_one(state, step_field(step, "model"))
    method = str(step_field(step, "method", "wald")).lower()
    if method not in {"wald", "profile"}:
        raise AssistantError(f"Intervals can be 'wald' or 'profile', not {method!r}.")
    level = step_level(step, state)
    table = model.fit.confint(method=method, level=level)
    return StepResult(ModelTable("confint", model, table, method, float(level)), state)


def predict(step: Any, state: SessionState, context: PlanContext) -> StepResult:
    """Population predictions; with a level of the grouping factor among the values
    ("for subject 308") that level's own prediction, x'beta + z'b (lme4's predict())."""
    model = resolve_one(state, step_field(step, "model"))
    outcome = step_field(step, "outcome")
    if outcome:
        check_outcome(outcome, model)
    pairs = list(step_field(step, "at", ()) or ())
    _refuse_every_level(model.fit, pairs)
    levels = [(group, value) for name, value in pairs
              if (group := named_group(model.fit, name)) is not None]
    if len(levels) > 1:
        raise AssistantError(
            "A prediction can be for one level of one grouping factor; name one, e.g. "
            f"`for {levels[0][0]} {levels[0][1]}`."
        )
    rest = [(name, value) for name, value in pairs if named_group(model.fit, name) is None]
    at = _fixed_values(model.fit, rest)
    level = step_field(step, "level") or state.options.level  # "with 90% CI"
    if levels:
        group, level_name = levels[0]
        if not level_name:
            example = _first_level(model.fit, group)
            raise AssistantError(f"Name the {group}, e.g. `for {group} {example}`.")
        try:
            result = level_prediction(model.fit, group, level_name, at or None, level)
        except LmmInputError as err:
            raise AssistantError(str(err)) from None
        return StepResult(EngineResult("level_prediction", result, model), state)
    grid = population_predictions(model.fit, level=level, at=at or None)
    if step_field(step, "new_unit", False):
        intervals = new_unit_intervals(model.fit, grid, step_field(step, "unit"))
        return StepResult(EngineResult("new_unit_predictions", intervals, model), state)
    return StepResult(EngineResult("predictions", grid, model), state)


def _refuse_every_level(fit: Any, pairs: list[Any]) -> None:
    """ "predictions for each patient" asks for every level at once: point to the requests
    that give each level's own line or coefficients, and to one level's prediction."""
    for name, value in pairs:
        if name.casefold() not in {"each", "every", "all"} or not value:
            continue
        group = named_group(fit, value)
        if group is None:
            continue
        example = _first_level(fit, group)
        raise AssistantError(
            f"A prediction is for one {group} at a time, e.g. `predict for {group} {example}`; "
            f"for every {group} at once ask `plot each {group}'s fitted line` or "
            f"`each {group}'s own intercept and slope`."
        )


def _first_level(fit: Any, group: str) -> str:
    return next(str(e.level) for e in fit.random_effects if e.group == group)


def _fixed_values(fit: Any, pairs: Any) -> dict[str, str]:
    """The request's (name, value) pairs as predictor values. "for treated patients"
    arrives as the pair (treated, patients): a name that is no predictor but a level of
    exactly one factor of the model stands for that factor at that level."""
    variables = fixed_part_variables(fit.model_formula, fit.data)
    levels = {
        str(level).casefold(): (factor, str(level))
        for factor in variables.factors
        for level in factor_levels(fit.data[factor])
    }
    predictors = {*variables.continuous, *variables.factors}
    out: dict[str, str] = {}
    for name, value in pairs:
        level_key = _level_key(name, levels) if name not in predictors else None
        if level_key is not None:
            factor, level = levels[level_key]
            out[factor] = level
        elif name not in predictors and (time := _time_named_by_unit(fit, name)) is not None:
            out[time] = value
        elif name not in predictors and (start := _baseline_pair(fit, name, value)) is not None:
            out[start[0]] = start[1]
        elif not value and _names_one_observation(fit, name):
            continue  # "for a student": any one observation, the population prediction
        elif not value:
            raise AssistantError(f"Give a value for {name}, e.g. `predictions at {name} 3`.")
        else:
            out[name] = value
    return out


def _level_key(name: str, levels: dict[str, tuple[str, str]]) -> str | None:
    """The key in ``levels`` that ``name`` names: the level itself, or its plural
    ("for controls" is the level ``control``); None when it names none."""
    key = name.casefold()
    return next((c for c in (key, *singular_forms(key)) if c in levels), None)


def _names_one_observation(fit: Any, name: str) -> bool:
    """Whether ``name`` is a column of the data outside the model whose values differ on
    every row (an identifier of the observations, such as ``student``)."""
    source = getattr(fit, "source_data", None)
    data = source if source is not None else fit.data
    if name not in data.columns:
        return False
    column = data[name].dropna()
    return len(column) > 0 and column.nunique() == len(column)


#: Words for a unit of time that may stand for the model's time predictor ("at month 6"
#: when the column is called ``time``).
TIME_UNIT_WORDS = frozenset({
    "time", "visit", "day", "week", "month", "year", "hour", "wave", "occasion", "session",
})


#: Words for the first time point ("at baseline", "at the start", "at entry").
BASELINE_WORDS = frozenset({"baseline", "start", "entry", "randomization", "randomisation"})


def _time_named_by_unit(fit: Any, word: str) -> str | None:
    """The model's time predictor when ``word`` is a unit of time ("month", "weeks") that is
    no column of the data and exactly one continuous predictor of the model is a time
    (named like one and varying within the grouping factor); None otherwise."""
    unit = word.casefold()
    unit = unit[:-1] if unit.endswith("s") else unit
    if unit not in TIME_UNIT_WORDS or word in _data_columns(fit):
        return None
    return _model_time(fit)


def _baseline_pair(fit: Any, name: str, value: str) -> tuple[str, str] | None:
    """("time", "0") for "at baseline" / "at the start" / "at the first visit" (the pair
    (first, visit)) when the model has one time predictor: that predictor at its baseline
    in the model's data (``engine.starting_values.baseline_time``: 0 when it occurs, else
    the first time point). None when ``name`` is no such word, is
    a column of the data, or the model has no single time predictor."""
    word = name.casefold()
    unit = value.casefold().removesuffix("s")
    is_start = (word in BASELINE_WORDS and not value) or (
        word == "first" and unit in TIME_UNIT_WORDS
    )
    if not is_start or name in _data_columns(fit):
        return None
    time = _model_time(fit)
    if time is None:
        return None
    return time, f"{baseline_time(fit.data[time]):.15g}"


def _data_columns(fit: Any) -> set[str]:
    source = getattr(fit, "source_data", None)
    return {*fit.data.columns, *(source.columns if source is not None else ())}


def _model_time(fit: Any) -> str | None:
    """The model's one continuous predictor that is a time (named like one and varying
    within the grouping factor), else None."""
    continuous = fixed_part_variables(fit.model_formula, fit.data).continuous
    groups = fit.model_formula.grouping_variables()
    group = groups[0] if groups else None
    times = [c for c in time_candidates(fit.data, group) if c in continuous]
    return times[0] if len(times) == 1 else None


def compare_rm_anova(step: Any, state: SessionState, context: PlanContext) -> StepResult:
    model = resolve_one(state, step_field(step, "model"))
    result = rm_anova_side_by_side(model.fit)
    return StepResult(EngineResult("rm_anova_side_by_side", result, model), state)


def compare_ols(step: Any, state: SessionState, context: PlanContext) -> StepResult:
    model = resolve_one(state, step_field(step, "model"))
    result = ols_side_by_side(model.fit)
    return StepResult(EngineResult("ols_side_by_side", result, model), state)


def marginal_means_report(step: Any, state: SessionState, context: PlanContext) -> StepResult:
    """Estimated marginal means of a factor and their pairwise comparisons."""
    model = resolve_one(state, step_field(step, "model"))
    fit = model.fit
    ddf = state.newer_option(model, "ddf")
    if ddf is not None:
        model = with_session_ddf(model, ddf)
        fit = model.fit
    asked_factor, focus = step_field(step, "factor"), step_field(step, "focus")
    level_of = _factor_with_level(fit, asked_factor) if step_field(step, "trend") else None
    if level_of is not None and focus is None:
        # "slope of time in control": a level of the factor, not a factor
        asked_factor, focus = level_of, asked_factor
    factor = _factor_of(model, asked_factor)
    at = {
        _predictor_named(model, name): list(values)
        for name, values in step_field(step, "at", ()) or ()
    }
    by, trend = step_field(step, "by"), step_field(step, "trend")
    if trend and _predictor_named(model, trend) in fixed_part_variables(
        fit.model_formula, fit.data
    ).factors:
        # "does the treatment effect change over time?" with time as a factor: the
        # treatment effect at each of its levels, as there is no slope to report
        by, trend = by or trend, None
    try:
        result = marginal_means(
            fit, factor, level=state.options.level, adjust=step_field(step, "adjust", "tukey"),
            at=at or None, by=_predictor_named(model, by) if by else None,
            trend=_predictor_named(model, trend) if trend else None,
        )
    except LmmInputError as err:
        raise AssistantError(str(err).replace("The model", model.title, 1)) from None
    if focus is not None:
        result = replace(result, focus=_focus_level(result, focus, model.title))
    return StepResult(EngineResult("marginal_means", result, model), state)


def _factor_with_level(fit: Any, word: str | None) -> str | None:
    """The fixed-part factor that has a level ``word`` names, when ``word`` names no
    factor itself; else None."""
    factors = fixed_part_variables(fit.model_formula, fit.data).factors
    if word is None or _matching_name(word, factors):
        return None
    found = [f for f in factors if match_level(factor_levels(fit.data[f]), word) is not None]
    return found[0] if len(found) == 1 else None


def _focus_level(result: Any, asked: str, title: str) -> str:
    """The level of the table that "in the control group" names (as stored)."""
    levels = list(dict.fromkeys(m.level for m in result.means))
    found = match_level(levels, asked)
    if found is None:
        found = match_level(levels, asked.removesuffix("s"))
    if found is None:
        raise AssistantError(
            f"{result.factor} in {title} has no level '{asked}'; its levels are "
            f"{', '.join(levels)}."
        )
    return found


def _predictor_named(model: Any, name: str) -> str:
    """The fixed-part predictor a request names: its own name (case and a plural forgiven),
    or a unit of time ("months", "visit") for the model's time predictor."""
    fit = model.fit
    variables = fixed_part_variables(fit.model_formula, fit.data).ordered
    found = _matching_name(name, variables) or _time_named_by_unit(fit, name)
    if found is None:
        listed = ", ".join(f"`{v}`" for v in variables) or "none"
        raise AssistantError(
            f"{model.title} has no predictor `{name}`; its predictors are {listed}."
        )
    return found


def random_effects_tests_report(
    step: Any, state: SessionState, context: PlanContext
) -> StepResult:
    """Likelihood-ratio tests of each random-effect term (lmerTest's ranova)."""
    model = resolve_one(state, step_field(step, "model"))
    result = random_effects_tests(model.fit)
    return StepResult(EngineResult("random_effects_tests", result, model), state)


#: Words that name "the groups" of a factor without naming it.
_ARM_WORDS = frozenset({"arm", "arms", "group", "groups", "condition", "conditions"})


def _factor_of(model: Any, name: str | None) -> str:
    """The factor a request names (a plural or another case is forgiven), or the model's
    only factor when it names none."""
    fit = model.fit
    factors = fixed_part_variables(fit.model_formula, fit.data).factors
    if name is not None and name.casefold() in _ARM_WORDS and not _matching_name(name, factors):
        name = None  # "the difference between arms": the model's only factor
    if name is None:
        if len(factors) == 1:
            return factors[0]
        if not factors:
            raise AssistantError(
                f"{model.title} has no factor among its fixed effects, so there are no "
                "levels to compare; treat a predictor as one with `factor(x)` in the formula."
            )
        listed = " or ".join(f"`{f}`" for f in factors)
        raise AssistantError(
            f"Say which factor to compare, e.g. `pairwise comparisons of {factors[0]}`; "
            f"{model.title} has {listed}."
        )
    # "compare treated and control at each time": a level names its factor
    return _matching_name(name, factors) or _factor_with_level(fit, name) or name


def explain_coefficient(step: Any, state: SessionState, context: PlanContext) -> StepResult:
    """What a coefficient means: its sentence and, for an interaction, the simple effects."""
    model = resolve_one(state, step_field(step, "model"))
    fit = model.fit
    level = getattr(fit, "level", None) or state.options.level
    asked = step_field(step, "level")
    if asked is not None and abs(float(asked) - float(level)) > 1e-12:
        # "the 90% CI for time": the same fit, its intervals at the level asked
        fit = fit.refit(level=float(asked))
        model = replace(model, fit=fit)
        level = float(asked)
    outcome = step_field(step, "outcome")
    if outcome:
        check_outcome(outcome, model)
    per = step_field(step, "per")
    if per is not None:
        # "the effect of school_size per 100 students": the coefficient for that many units
        try:
            rescaled = rescaled_coefficient(
                fit, term_in_model(model, step_field(step, "term")), float(per)
            )
        except LmmInputError as err:
            raise AssistantError(str(err).replace("The model", model.title, 1)) from None
        return StepResult(EngineResult("rescaled_coefficient", rescaled, model), state)
    term = _the_slope(fit) if step_field(step, "slope", False) else step_field(step, "term")
    try:
        meaning = coefficient_meaning(
            fit, term_in_model(model, term),
            interaction=bool(step_field(step, "interaction")), level=float(level),
        )
    except LmmInputError as err:
        message = str(err).replace("The model", model.title, 1)
        raise AssistantError(message + _add_column_hint(fit, step_field(step, "term"))) from None
    return StepResult(EngineResult("coefficient_meaning", meaning, model), state)


def _the_slope(fit: Any) -> str:
    """The variable "the average slope" means: the numeric predictor with a random slope
    when there is one, else the model's only numeric predictor."""
    numeric = list(fixed_part_variables(fit.model_formula, fit.data).continuous)
    in_random = {column for _, column in random_slopes(fit)}
    random = [v for v in numeric if v in in_random]
    for candidates in (random, numeric):
        if len(candidates) == 1:
            return candidates[0]
    choices = random or numeric
    if not choices:
        raise AssistantError("The model has no numeric predictor, so it has no slope to report.")
    raise AssistantError(
        "Which slope? The model has slopes for " + " and ".join(choices)
        + f"; ask e.g. `what is the effect of {choices[0]}?`."
    )


def _add_column_hint(fit: Any, term: str | None) -> str:
    """For a coefficient asked about that is a column of the data but not in the model:
    the request that adds it (its effect can only be estimated in a model that has it)."""
    source = getattr(fit, "source_data", None)
    columns = [str(c) for c in (source.columns if source is not None else fit.data.columns)]
    if not term:
        return ""
    if term not in columns:
        # "schools size" (from "do bigger schools score higher?") names school_size
        found = columns_for_words(term, columns)
        if len(found) != 1:
            return ""
        term = found[0]
    return f" {term} is a column of the data; to estimate its effect, add it: `add {term}`."


def term_in_model(model: Any, term: str | None) -> str | None:
    """The coefficient a request names in its own words: the term as typed when the model
    has it, else the one predictor the words fit ("day" for ``Days``) or the time
    predictor a unit of time stands for ("per month" for ``time``)."""
    fit = model.fit
    if term is None or ":" in term:
        return term
    try:
        match_coefficients(fit, term)
        return term
    except LmmInputError:
        pass
    predictors = fixed_part_variables(fit.model_formula, fit.data).ordered
    named = predictor_for_words(term, predictors, model.title)
    if named is not None:
        return named
    time = _time_named_by_unit(fit, term)
    if time is None:
        return term
    asked, own = term.casefold().removesuffix("s"), time.casefold().removesuffix("s")
    if own in TIME_UNIT_WORDS and own not in {asked, "time"} and asked != "time":
        # "per week" of a model whose time predictor counts days: its slope is per day
        raise AssistantError(
            f"`{time}` in {model.title} counts {own}s, so its coefficient is the change per "
            f"{own}, not per {asked}; ask `what is the effect of {time}`."
        )
    return time


def vcov_report(step: Any, state: SessionState, context: PlanContext) -> StepResult:
    """lme4's ``vcov()`` of one model, with the correlations of the estimates."""
    model = resolve_one(state, step_field(step, "model"))
    covariance = fixed_effects_covariance(model.fit)
    return StepResult(EngineResult("fixed_effects_covariance", covariance, model), state)


HANDLERS = {
    "compare_models": compare,
    "vcov": vcov_report,
    "explain_coefficient": explain_coefficient,
    "marginal_means": marginal_means_report,
    "random_effects_tests": random_effects_tests_report,
    "variance_components": _view("variance_components"),
    "icc": _view("icc"),
    "model_settings": _view("settings"),
    "fit_statistics": fit_statistics_report,
    "fixed_effects": _view("fixed_effects"),
    "anova": anova,
    "confint": confint,
    "predict": predict,
    "compare_rm_anova": compare_rm_anova,
    "compare_ols": compare_ols,
}
