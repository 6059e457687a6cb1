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
"""

from __future__ import annotations

from typing import Any

from assistant.errors import AssistantError
from assistant.references import resolve_one
from assistant.state import SessionState
from assistant.steps.blups import grouping_factor_named
from engine.blups import grouping_factors
from grammar.plan import CompareModels, FixedEffects, ModifyModel, RandomEffectsTests


def refine_step(step: Any, state: SessionState) -> tuple[Any, ...] | None:
    """The steps that carry out ``step`` on the current models, or None to run it as it is."""
    if getattr(step, "kind", "") == "random_effects_tests":
        if getattr(step, "slope", None):
            return _slope_test(step, state)
        return _groups_differ(step, state)
    if getattr(step, "kind", "") == "compare_models":
        return _compare_with_slope_model(step, state)
    if getattr(step, "kind", "") != "fixed_effects" or not getattr(step, "interaction", False):
        return None
    parts = str(getattr(step, "term", None) or "").split(":")
    if len(parts) != 2 or not state.models:
        return None
    try:
        model = resolve_one(state, getattr(step, "model", None))
    except AssistantError:
        return None  # the step itself says what is wrong with the reference
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


def _groups_differ(step: Any, state: SessionState) -> tuple[Any, ...] | None:
    """ "Do treatment groups differ in their average pain?" names a factor of the fixed
    part, not a grouping factor: its own test (the coefficient table led by it) answers
    it, not the random intercept's. A grouping factor, or no word, runs the step as is."""
    word = getattr(step, "group", None)
    if not word or not state.models:
        return None
    try:
        model = resolve_one(state, getattr(step, "model", None))
    except AssistantError:
        return None
    fit = model.fit
    if grouping_factor_named(word, grouping_factors(fit)) is not None:
        return None
    fixed_columns = {c for t in fit.model_formula.fixed_terms for c in t.label.split(":")}
    column = grouping_factor_named(word, sorted(fixed_columns))
    if column is None:
        return None
    return (FixedEffects(getattr(step, "model", None), term=column),)


def _slope_test(step: Any, state: SessionState) -> tuple[Any, ...] | None:
    """ "Is the SES slope random?": ranova on a model with SES's random slope by the
    factor named (else the model's grouping factor): the model itself when it has that
    slope, else the model with it added first (same fixed effects, so REML LRTs)."""
    if not state.models:
        return None
    ref = getattr(step, "model", None)
    try:
        fit = resolve_one(state, ref).fit
    except AssistantError:
        return None
    groups = grouping_factors(fit)
    word = getattr(step, "group", None)
    group = grouping_factor_named(word, groups) if word else None
    if word and group is None:
        raise AssistantError(
            f"'{word}' is not a grouping factor of the model; its grouping "
            f"{'factor is' if len(groups) == 1 else 'factors are'} {', '.join(groups)}."
        )
    if group is None and len(groups) == 1:
        group = groups[0]
    variable = str(step.slope)
    has_slope = [t for t in fit.model.terms if variable in t.columns
                 and (group is None or t.group == group)]
    if has_slope:
        return (RandomEffectsTests(ref),)
    return (ModifyModel("add_random_slope", (variable,), ref, group), RandomEffectsTests())


#: A comparison's references to a random-slope structure, which the assistant may fit.
_SLOPE_REFS = frozenset({"random_slope", "intercept_and_slope"})


def _compare_with_slope_model(step: Any, state: SessionState) -> tuple[Any, ...] | None:
    """ "Compare random intercept and random slope models" when only the random intercept
    model has been fitted: its random-slope version is fitted (the slope the assistant
    would add to it) and the two are compared; with a random-slope model there already,
    the comparison runs as asked."""
    refs = tuple(getattr(step, "models", ()) or ())
    if not state.models or not _SLOPE_REFS & set(refs):
        return None
    slope_ref = next(r for r in refs if r in _SLOPE_REFS)
    try:
        resolve_one(state, slope_ref)
        return None
    except AssistantError:
        pass
    others = [r for r in refs if r != slope_ref] or [None]
    try:
        base = resolve_one(state, others[0])
    except AssistantError:
        return None
    if base.structure != "random_intercept":
        return None
    number = str(base.number)
    return (ModifyModel("add_random_slope", (), number),
            CompareModels(step.criteria, (number, "last"), step.refit))
