"""Questions answered by a second model and a test, read on the model they are about:
'is there a time by treatment interaction?' and 'do we need the correlation?'.

Whether an interaction is needed is one question with two answers, depending on the
model it is asked about:

* the model has the interaction: its own test (the coefficient's Satterthwaite t test,
  and lmerTest's type III F test, which is the joint test when a factor has more than
  two levels);
* the model lacks it: the model with the interaction added (with its main effects),
  the interaction's test in that model, and the likelihood-ratio test of the two
  models. Their fixed effects differ, so the comparison refits both by ML, as lme4's
  ``anova()`` does (``engine.compare.compare_models`` with ``refit="auto"``).

"The interaction" with no variables named is the model's one interaction when it has
exactly one; in a model without interactions, the pair of its one time-like numeric
predictor and its one factor (and the answer says so: :class:`InteractionChoice`).
Anything else is asked back in one sentence.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from assistant.errors import AssistantError
from assistant.references import resolve_one
from assistant.state import SessionState
from assistant.step_refinement import refine_step
from engine.data import time_candidates
from engine.predict import fixed_part_variables
from grammar.formula import variables_in
from grammar.plan import CompareModels, FixedEffects, ModifyModel

#: The model fitted just before the newest (``assistant.references``).
BEFORE_LAST_REF = "before_last"


@dataclass(frozen=True)
class InteractionChoice:
    """The interaction an unnamed question ("is the interaction needed?") was taken to
    mean: ``variables`` (time-like predictor first), found by ``rule``
    (``"time_and_factor"``: the model's only time-like numeric predictor and only factor;
    ``"time_partner"``: one variable was named, the other is the model's time-like
    predictor or, when the named one is that predictor, its only factor;
    ``"cross_level_slope"`` / ``"cross_level"``: "is there a cross-level interaction?",
    the model's only level-1 predictor with a random slope (or, without random slopes,
    its only level-1 predictor) and its only level-2 predictor)."""

    variables: tuple[str, str]
    rule: str

    kind = "interaction_choice"


@dataclass(frozen=True)
class QuestionSteps:
    """The steps that answer a question on the current models, and what the answer
    should say about how the question was read."""

    steps: tuple[Any, ...]
    readings: tuple[Any, ...] = ()


def refine_question(step: Any, state: SessionState) -> QuestionSteps | None:
    """The steps a question step stands for on the current models, or None for a step
    that runs as it is."""
    kind = getattr(step, "kind", "")
    if kind == "interaction_test":
        return refine_interaction_test(step, state)
    if kind == "correlation_test":
        return refine_correlation_test(step, state)
    return None


def refine_correlation_test(step: Any, state: SessionState) -> QuestionSteps:
    """ "Do we need the correlation?": the correlation with its profile interval (the step
    itself), the model with ``||`` and the likelihood-ratio test of the two. Their fixed
    effects are the same, so ``compare_models`` keeps the fits' own REML likelihoods, as
    lme4's ``anova(refit = FALSE)``."""
    ref = getattr(step, "model", None)
    model = resolve_one(state, ref)
    if not any(v.var2 is not None and v.group != "Residual"
               for v in model.fit.variance_components):
        raise AssistantError(
            f"{model.title} estimates no correlation between random effects, so there is none "
            "to test; a term such as (1 + x | g) estimates one."
        )
    base = BEFORE_LAST_REF if ref in (None, "last") else ref
    return QuestionSteps((
        step,
        ModifyModel("uncorrelated", (), ref),
        CompareModels(("LRT",), (base, "last")),
    ))


def refine_interaction_test(step: Any, state: SessionState) -> QuestionSteps:
    """The steps answering an ``interaction_test`` step on the model it names."""
    ref = getattr(step, "model", None)
    model = resolve_one(state, ref)
    fit = model.fit
    named = tuple(getattr(step, "variables", ()) or ())
    if getattr(step, "cross_level", False) and not named:
        variables, readings = _cross_level_variables(fit, model.title)
        existing = _existing_label(fit, variables)
        if existing is not None:
            return QuestionSteps((FixedEffects(ref, term=existing, interaction=True),), readings)
        named = variables
        base = BEFORE_LAST_REF if ref in (None, "last") else ref
        term = ":".join(variables)
        return QuestionSteps(
            (
                ModifyModel("add_covariate", (term,), ref),
                FixedEffects(term=term, interaction=True),
                CompareModels(("LRT",), (base, "last")),
            ),
            readings,
        )
    present = _interaction_labels(fit)
    if not named and present:
        if len(present) > 1:
            listed = ", ".join(present)
            raise AssistantError(
                f"{model.title} has several interactions ({listed}); say which one, e.g. "
                f"`is the {present[0].replace(':', ' by ')} interaction needed?`."
            )
        return QuestionSteps((FixedEffects(ref, term=present[0], interaction=True),))
    variables, readings = _interaction_variables(named, fit, model.title)
    term = ":".join(variables)
    existing = _existing_label(fit, variables)
    if existing is not None:
        return QuestionSteps((FixedEffects(ref, term=existing, interaction=True),), readings)
    across_group = refine_step(FixedEffects(ref, term=term, interaction=True), state)
    if across_group is not None:  # the second variable is the grouping factor
        return QuestionSteps(across_group.steps, readings + across_group.readings)
    base = BEFORE_LAST_REF if ref in (None, "last") else ref
    return QuestionSteps(
        (
            ModifyModel("add_covariate", (term,), ref),
            FixedEffects(term=term, interaction=True),
            CompareModels(("LRT",), (base, "last")),
        ),
        readings,
    )


def _cross_level_variables(
    fit: Any, title: str
) -> tuple[tuple[str, str], tuple[InteractionChoice, ...]]:
    """ "Is there a cross-level interaction?": the model's level-1 predictor (one that
    varies within the levels of a grouping factor; the one with a random slope when the
    model has one) by its level-2 predictor (constant within each level of that factor),
    when the model singles out one pair; else the question is asked back."""
    data = fit.data
    formula = fit.model_formula
    roles = fixed_part_variables(formula, data)
    predictors = [v for v in roles.ordered if v in data.columns]
    pairs: list[tuple[str, str]] = []
    with_slope: list[tuple[str, str]] = []
    for group in formula.grouping_variables():
        if group not in data.columns:
            continue
        within = data.groupby(group, observed=True)
        constant = {v for v in predictors if v != group
                    and int(within[v].nunique(dropna=True).max()) <= 1}
        slopes = {name for rt in formula.random_terms if group in rt.group_variables
                  for term in rt.terms for f in term.factors for name in variables_in(f)}
        level1 = [v for v in predictors if v not in constant and v != group]
        level2 = [v for v in predictors if v in constant]
        found = [(a, b) for a in level1 for b in level2]
        pairs += found
        with_slope += [(a, b) for a, b in found if a in slopes]
    chosen = with_slope if with_slope else pairs
    if len(chosen) == 1:
        pair = chosen[0]
        rule = "cross_level_slope" if with_slope else "cross_level"
        return pair, (InteractionChoice(pair, rule),)
    if not pairs:
        raise AssistantError(
            f"{title} has no cross-level pair to test: a cross-level interaction needs a "
            "predictor that varies within the groups and one that is constant within each "
            "group, and its predictors "
            f"({', '.join(predictors) if predictors else 'none'}) do not include both; name "
            "the two, e.g. `is there a <level-1 variable> by <level-2 variable> interaction?`."
        )
    listed = "; ".join(f"{a} by {b}" for a, b in chosen)
    a, b = chosen[0]
    raise AssistantError(
        f"Which cross-level interaction do you mean? {title} allows several ({listed}); "
        f"name one, e.g. `is there a {a} by {b} interaction?`."
    )


def _interaction_labels(fit: Any) -> list[str]:
    """The model's fixed interaction terms by their variables, as the fixed-effects step
    names them ("time:treatment", also for ``factor(time):treatment``)."""
    return [_variables_label(t) for t in fit.model_formula.fixed_terms if len(t.factors) > 1]


def _variables_label(term: Any) -> str:
    return ":".join(name for f in term.factors for name in variables_in(f))


def _existing_label(fit: Any, variables: tuple[str, ...]) -> str | None:
    """The model's interaction of ``variables``, in any order, named by its variables in
    the model's order (``time:treatment`` also for ``factor(time):treatment``)."""
    wanted = sorted(variables)
    for label in _interaction_labels(fit):
        if sorted(label.split(":")) == wanted:
            return label
    return None


def _interaction_variables(
    named: tuple[str, ...], fit: Any, title: str
) -> tuple[tuple[str, ...], tuple[InteractionChoice, ...]]:
    """The two variables of the interaction meant, and how they were chosen."""
    if len(named) >= 2:
        return named, ()
    roles = fixed_part_variables(fit.model_formula, fit.data)
    groups = fit.model_formula.grouping_variables()
    times = [c for c in time_candidates(fit.data, groups[0] if groups else None)
             if c in roles.continuous]
    factors = list(roles.factors)
    if len(named) == 1:
        (word,) = named
        if len(times) == 1 and word == times[0]:
            if len(factors) == 1:
                pair = (times[0], factors[0])
                return pair, (InteractionChoice(pair, "time_partner"),)
            raise AssistantError(
                f"Which groups do you mean? Name the factor whose groups might change at "
                f"different rates over {word}, e.g. `is there a {word} by <factor> "
                "interaction?`."
            )
        if len(times) == 1:
            pair = (times[0], word)
            return pair, (InteractionChoice(pair, "time_partner"),)
        raise AssistantError(
            f"Over what should the {word} groups change? {title} has "
            f"{'no' if not times else 'more than one'} time-like numeric predictor; name "
            f"it, e.g. `is there a <time> by {word} interaction?`."
        )
    if len(times) == 1 and len(factors) == 1:
        pair = (times[0], factors[0])
        return pair, (InteractionChoice(pair, "time_and_factor"),)
    predictors = list(roles.ordered)
    if len(predictors) < 2:
        only = predictors[0] if predictors else "<variable>"
        raise AssistantError(
            f"{title} has {'one predictor' if predictors else 'no predictors'} "
            f"({only if predictors else 'none'}), so it has no interaction to test; name a "
            f"second variable, e.g. `is there a {only} by <variable> interaction?`."
        )
    raise AssistantError(
        f"Which interaction do you mean? {title} has none, and its predictors "
        f"({', '.join(predictors)}) do not single one out; name two, e.g. "
        f"`is there a {predictors[0]} by {predictors[1]} interaction?`."
    )
