"""Plain-word steps whose meaning depends on the model: read again just before they run.

"Does the effect of SES differ across schools?" asks about an interaction when the
second word is a covariate or a fixed factor, but when it names the model's grouping
factor the question is whether SES needs a random slope by school: adding a fixed
SES:school interaction would spend a coefficient per school and answer a different
question. The grammar cannot tell the two apart; :func:`refine_step` can, from the
model the step is about, and turns such a step into the random-slope test: the model
with ``(1 + SES | school)``, then lmerTest's ``ranova`` on it (a REML likelihood-ratio
test with the same fixed effects, and the boundary-corrected p); when the model already
has that slope, the test alone.

Two questions name *the* slope without saying whose (``assistant.slope_candidates``):
"does the slope vary between patients?" (a ``random_effects_tests`` step with
``slope="slope"``) tests the model's one random slope by that factor, or, when the model
has none, adds the slope of its one predictor that changes within the factor's levels;
"which subject is most affected by sleep deprivation?" (a ``blups`` ranking whose term
names no column) ranks by the model's one random slope. The answer says which slope it
took (a :class:`ColumnReading` with rule ``"within_predictor"`` or ``"random_slope"``);
several candidates get one question back.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import pandas as pd

from assistant.column_words import ColumnReading, columns_for_words, resolve_column_word
from assistant.errors import AssistantError
from assistant.references import resolve, resolve_one
from assistant.slope_candidates import (
    has_random_slope,
    random_slope_variables,
    random_slopes,
    within_group_predictors,
)
from assistant.state import SessionState
from assistant.steps.blups import grouping_factor_named, named_group
from engine.blups import ANY_SLOPE, grouping_factors
from engine.predict import fixed_part_variables
from grammar.plan import (
    EVERY_SLOPE,
    CompareModels,
    Confint,
    ExplainCoefficient,
    FixedEffects,
    MarginalMeans,
    ModifyModel,
    RandomEffectsTests,
    Refit,
)

#: Later steps of a plan that already show intervals at a level just chosen.
_LEVEL_SHOWN = frozenset({"confint", "fit_lmm", "refit", "modify_model", "fixed_effects",
                          "bootstrap_confint"})


@dataclass(frozen=True)
class Refinement:
    """The steps that carry out a step, and what the answer should say it took words to
    mean."""

    steps: tuple[Any, ...]
    readings: tuple[ColumnReading, ...] = ()


def refine_step(
    step: Any, state: SessionState, later: tuple[str, ...] = ()
) -> Refinement | None:
    """The steps that carry out ``step`` on the current models, or None to run it as it
    is; ``later`` are the kinds of the plan's steps after it."""
    kind = getattr(step, "kind", "")
    if kind == "model_settings" and getattr(step, "question", None) == "formula":
        return _each_formula(step, state)
    if kind == "subset_visits" and getattr(step, "unit", None):
        return _refit_on_time_values(step, state, later)
    if kind == "random_effects_tests" and getattr(step, "slope", None):
        return _slope_test(step, state)
    if kind == "random_effects_tests":
        steps = _groups_differ(step, state)
        return None if steps is None else Refinement(steps)
    if kind == "set_option" and getattr(step, "name", None) == "ddf":
        # "use Kenward-Roger (instead of Satterthwaite)" with a model fitted: its tests
        # again with the new df, unless the plan asks for them itself
        if state.last_model is None or "fixed_effects" in later:
            return None
        return Refinement((step, FixedEffects()))
    if kind == "set_option" and getattr(step, "name", None) == "level":
        # "use 90% CIs" with a model fitted: the level for the fits to come, and the
        # current model's intervals at it now, unless the plan fits or shows intervals
        if state.last_model is None or _LEVEL_SHOWN & set(later):
            return None
        return Refinement((step, Confint(level=float(step.value))))
    if kind == "compare_models":
        steps = (
            _compare_with_slope_model(step, state)
            or _compare_with_intercept_model(step, state)
            or _compare_with_uncorrelated(step, state)
        )
        return None if steps is None else Refinement(steps)
    if kind == "blups" and getattr(step, "order", None) and getattr(step, "term", None):
        return _affected_by(step, state)
    if kind == "marginal_means" and getattr(step, "trend", None):
        return _slope_without_factor(step, state)
    if kind != "fixed_effects" or not getattr(step, "interaction", False):
        return None
    steps = _interaction_as_slope(step, state)
    return None if steps is None else Refinement(steps)


def _slope_without_factor(step: Any, state: SessionState) -> Refinement | None:
    """ "How does reaction time change with days?" asks for a slope in each level of the
    model's factor; a model with no factor has one slope, its coefficient, which is the
    answer (the step with no factor to split by would only refuse)."""
    if any(getattr(step, name, None) for name in ("factor", "by", "at", "focus")):
        return None
    if not state.models:
        return None
    model = _step_model(step, state)
    if model is None:
        return None
    fit = model.fit
    if fixed_part_variables(fit.model_formula, fit.data).factors:
        return None
    return Refinement((ExplainCoefficient(str(step.trend), False, getattr(step, "model", None)),))


def _step_model(step: Any, state: SessionState) -> Any:
    """The model the step refers to, or None when the reference does not resolve (the
    step itself, run unchanged, then says what is wrong with it)."""
    try:
        return resolve_one(state, getattr(step, "model", None))
    except AssistantError:
        return None


def _interaction_as_slope(step: Any, state: SessionState) -> tuple[Any, ...] | None:
    parts = str(getattr(step, "term", None) or "").split(":")
    if len(parts) != 2 or not state.models:
        return None
    model = _step_model(step, state)
    if model is None:
        return None
    fit = model.fit
    groups = grouping_factors(fit)
    variable, across = parts
    group = grouping_factor_named(across, groups)
    if group is None or grouping_factor_named(variable, groups) is not None:
        return None
    fixed_terms = {t.label for t in fit.model_formula.fixed_terms}
    if f"{variable}:{group}" in fixed_terms or f"{group}:{variable}" in fixed_terms:
        return None  # the model has that interaction: report it, as asked
    ref = getattr(step, "model", None)
    if any(t.group == group and variable in t.columns for t in fit.model.terms):
        return (RandomEffectsTests(ref),)  # the slope is there: test it
    return (ModifyModel("add_random_slope", (variable,), ref, group), RandomEffectsTests())


def _slope_test(step: Any, state: SessionState) -> Refinement:
    """ "does the slope vary between patients?": the test of that random slope, after
    adding it when the model has none."""
    ref = getattr(step, "model", None)
    model = resolve_one(state, ref)
    fit = model.fit
    slope = str(step.slope)
    word = getattr(step, "group", None)
    factor = _fixed_factor_named(fit, word)
    if factor is not None:
        # "does the slope differ by treatment?": a fixed factor, not a grouping factor, so
        # the slope in each of its levels and their difference (the interaction's test)
        # "does the time slope differ by treatment?": the slope named, as a column
        named = None if slope == ANY_SLOPE else resolve_column_word(
            slope, [str(c) for c in fit.data.columns])
        trend = "time" if slope == ANY_SLOPE else (slope if named is None else named.column)
        return Refinement((MarginalMeans(ref, factor, trend=trend),))
    if slope == EVERY_SLOPE:  # "should I add random slopes?"
        return _every_slope_test(ref, model, word)
    if slope != ANY_SLOPE:  # "is the SES slope random?"
        group = _group_asked(fit, word) if word or len(grouping_factors(fit)) == 1 else None
        reading = resolve_column_word(slope, [str(c) for c in fit.data.columns])
        slope = slope if reading is None else reading.column
        if has_random_slope(fit, slope, group):
            return Refinement((RandomEffectsTests(ref),))
        return Refinement((ModifyModel("add_random_slope", (slope,), ref, group),
                           RandomEffectsTests()))
    group = _group_asked(fit, word)
    having = [column for _, column in random_slopes(fit, group)]
    if len(having) == 1:
        reading = ColumnReading("the slope", having[0], "random_slope", group)
        return Refinement((RandomEffectsTests(ref),), (reading,))
    if having:
        raise AssistantError(_which_slope(model.title, group, having, "has random slopes for"))
    candidates = within_group_predictors(fit, group)
    if not candidates:
        raise AssistantError(
            f"{model.title} has no numeric predictor that changes within {group}, so it "
            f"has no slope that could vary between levels of {group}; add one first, e.g. "
            "`add time as a covariate`."
        )
    if len(candidates) > 1:
        raise AssistantError(
            _which_slope(model.title, group, candidates, "has several predictors that change "
                         f"within {group}:")
        )
    reading = ColumnReading("the slope", candidates[0], "within_predictor", group)
    return Refinement(
        (ModifyModel("add_random_slope", (candidates[0],), ref, group), RandomEffectsTests()),
        (reading,),
    )


def _every_slope_test(ref: str | None, model: Any, word: str | None) -> Refinement:
    """ "should I add random slopes?": the test of the random slopes the model has, then
    for each predictor that changes within a grouping factor and has no random slope by
    it, that slope added to the model asked about and tested (each from the same model).
    A factor that changes within the groups ("condition" within raters) is a candidate
    too: its slope ``(1 + condition | rater)`` adds a deviation per non-reference level."""
    fit = model.fit
    groups = [_group_asked(fit, word)] if word else grouping_factors(fit)
    base = ref if ref is not None else str(model.number)
    steps: list[Any] = []
    readings: list[ColumnReading] = []
    if any(random_slopes(fit, group) for group in groups):
        steps.append(RandomEffectsTests(base))
    for group in groups:
        having = {column for _, column in random_slopes(fit, group)} | {
            variable for _, variable in random_slope_variables(fit, group)}
        for column in within_group_predictors(fit, group, factors=True):
            if column in having:
                continue
            steps += [ModifyModel("add_random_slope", (column,), base, group),
                      RandomEffectsTests()]
            readings.append(ColumnReading("random slopes", column, "each_within_predictor",
                                          group))
    if not steps:
        raise AssistantError(
            f"{model.title} has no predictor that changes within "
            f"{' or '.join(groups)}, so no slope could vary between their levels; add one "
            "first, e.g. `add time as a covariate`."
        )
    return Refinement(tuple(steps), tuple(readings))


def _fixed_factor_named(fit: Any, word: str | None) -> str | None:
    """The fixed-part factor (a text or category column of the model's fixed terms) that
    ``word`` names, itself or its plural, when it is no grouping factor; else None."""
    if not word or named_group(fit, str(word)) is not None:
        return None
    grouping = set(fit.model_formula.grouping_variables())
    factors = [
        str(v) for v in fit.model_formula.variables()
        if v in fit.data.columns and v != fit.response_name and v not in grouping
        and not pd.api.types.is_numeric_dtype(fit.data[v])
    ]
    return grouping_factor_named(str(word), factors)


def _which_slope(title: str, group: str, names: list[str], what: str) -> str:
    listed = ", ".join(names[:-1]) + f" and {names[-1]}"
    return (
        f"Which slope do you mean? {title} {what} {listed}; name one, e.g. `does the "
        f"slope of {names[0]} vary between {group}?`"
    )


def _group_asked(fit: Any, word: str | None) -> str:
    groups = grouping_factors(fit)
    if word:
        found = named_group(fit, str(word))
        if found is None:
            raise AssistantError(
                f"'{word}' is not a grouping factor of the model; its grouping "
                f"{'factor is' if len(groups) == 1 else 'factors are'} {', '.join(groups)}."
            )
        return found
    if len(groups) == 1:
        return groups[0]
    raise AssistantError(
        f"The model has several grouping factors ({', '.join(groups)}); say between which "
        f"levels, e.g. `does the slope vary between {groups[0]}?`"
    )


def _affected_by(step: Any, state: SessionState) -> Refinement | None:
    """ "which subject is most affected by sleep deprivation?": words that name no
    column mean the model's one random slope."""
    term = str(step.term)
    if term in (ANY_SLOPE, "(Intercept)") or not state.models:
        return None
    model = _step_model(step, state)
    if model is None:
        return None
    fit = model.fit
    source = getattr(fit, "source_data", None)
    columns = [str(c) for c in (source.columns if source is not None else fit.data.columns)]
    if columns_for_words(term, columns):
        return None  # a column: ranked by its slope, or told it has none
    slopes = random_slopes(fit)
    if len(slopes) != 1:
        return None  # none or several: the ranking names the random effects there are
    group, column = slopes[0]
    reading = ColumnReading(term, column, "random_slope", group)
    return Refinement((replace(step, term=column),), (reading,))


def _groups_differ(step: Any, state: SessionState) -> tuple[Any, ...] | None:
    """ "Do treatment groups differ in their average pain?" names a factor of the fixed
    part, not a grouping factor: its own test (the coefficient table led by it) answers
    it, not the random intercept's. A grouping factor, or no word, runs the step as is."""
    word = getattr(step, "group", None)
    if not word or not state.models:
        return None
    model = _step_model(step, state)
    if model is None:
        return None
    fit = model.fit
    if grouping_factor_named(word, grouping_factors(fit)) is not None:
        return None
    fixed_columns = {c for t in fit.model_formula.fixed_terms for c in t.label.split(":")}
    column = grouping_factor_named(word, sorted(fixed_columns))
    if column is None:
        return None
    return (FixedEffects(getattr(step, "model", None), term=column),)


#: A comparison's references to a random-slope structure, which the assistant may fit.
_SLOPE_REFS = frozenset({"random_slope", "intercept_and_slope"})


def _base_of_unfitted(step: Any, state: SessionState, structures: frozenset[str]) -> Any:
    """The model a comparison with a not yet fitted structure starts from: when the step
    names one of ``structures`` and no fitted model is of it, the other model named (else
    the current one); None when such a model exists, or nothing fits the words."""
    refs = tuple(getattr(step, "models", ()) or ())
    if not state.models or not structures & set(refs):
        return None
    wanted = next(r for r in refs if r in structures)
    try:
        resolve_one(state, wanted)
        return None
    except AssistantError:
        pass
    others = [r for r in refs if r != wanted] or [None]
    try:
        return resolve_one(state, others[0])
    except AssistantError:
        return None


def _compare_with_slope_model(step: Any, state: SessionState) -> tuple[Any, ...] | None:
    """ "Compare random intercept and random slope models" when only the random intercept
    model has been fitted: its random-slope version is fitted (the slope the assistant
    would add to it) and the two are compared; with a random-slope model there already,
    the comparison runs as asked."""
    base = _base_of_unfitted(step, state, _SLOPE_REFS)
    if base is None or base.structure != "random_intercept":
        return None
    number = str(base.number)
    return (ModifyModel("add_random_slope", (), number),
            CompareModels(step.criteria, (number, "last"), step.refit))


_INTERCEPT_REFS = frozenset({"random_intercept"})


def _compare_with_intercept_model(step: Any, state: SessionState) -> tuple[Any, ...] | None:
    """ "Compare it with a random intercept model" when no such model has been fitted:
    the model named (else the current one) with its random slopes removed is fitted and
    the two are compared (the mirror of :func:`_compare_with_slope_model`); with a random
    intercept model there already, the comparison runs as asked."""
    base = _base_of_unfitted(step, state, _INTERCEPT_REFS)
    if base is None or not random_slopes(base.fit):
        return None  # nothing to remove: the step says which models there are
    number = str(base.number)
    return (ModifyModel("remove_random_slope", (), number),
            CompareModels(step.criteria, (number, "last"), step.refit))


_UNCORRELATED_REFS = frozenset({"uncorrelated", "uncorrelated_slope", "label:uncorrelated"})


def _compare_with_uncorrelated(step: Any, state: SessionState) -> tuple[Any, ...] | None:
    """ "Compare it with the uncorrelated model" when no such model has been fitted: the
    model with its random effects made uncorrelated (``||``) is fitted and the two are
    compared, as "compare with a model without the random slope" does; a fitted model
    called or built that way is compared as asked."""
    refs = tuple(getattr(step, "models", ()) or ())
    if not state.models or not _UNCORRELATED_REFS & set(refs):
        return None
    if any(m.structure == "uncorrelated_slope"
           or (m.label or "").casefold() == "uncorrelated" for m in state.models.values()):
        return None
    others = [r for r in refs if r not in _UNCORRELATED_REFS] or [None]
    try:
        base = resolve_one(state, others[0])
    except AssistantError:
        return None
    if not any(c.var2 is not None and c.group != "Residual"
               for c in base.fit.variance_components):
        return None  # nothing to uncorrelate: the step says what is wrong
    number = str(base.number)
    return (ModifyModel("uncorrelated", (), number),
            CompareModels(step.criteria, (number, "last"), step.refit))


def _refit_on_time_values(
    step: Any, state: SessionState, later: tuple[str, ...]
) -> Refinement | None:
    """ "exclude the first two days" speaks of the current model's time: the subset, then
    the model fitted again on it (unless the plan refits or changes a model itself)."""
    if not state.models or {"refit", "modify_model", "fit_lmm"} & set(later):
        return None
    newest = state.models[max(state.models)]
    if newest.dataset != state.current_data_name:
        return None
    return Refinement((step, Refit()))


def _each_formula(step: Any, state: SessionState) -> Refinement | None:
    """ "list the model formulas": one formula step per model the reference names (None:
    the step names one model and runs as it is)."""
    if step.model is None or not state.models:
        return None
    models = resolve(state, step.model)
    if len(models) < 2:
        return None
    return Refinement(tuple(replace(step, model=str(m.number)) for m in models))

