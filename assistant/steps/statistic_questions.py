"""Steps of the questions answered by one statistic of a fitted model: influential
clusters (engine.influence), the effect size of a fixed effect (engine.effect_size), a
fixed effect against a practical threshold (engine.effect_threshold) and ceiling or floor
effects of the outcome (engine.ceiling_floor)."""

from __future__ import annotations

from typing import Any

from assistant.errors import AssistantError
from assistant.model_building import GROUP_ROLE_WORDS
from assistant.references import resolve_one
from assistant.state import SessionState
from assistant.step_results import EngineResult
from assistant.steps.base import PlanContext, StepResult, step_field
from assistant.steps.blups import named_group
from assistant.steps.reports import term_in_model
from engine.ceiling_floor import ceiling_floor
from engine.coefficient_meaning import match_coefficients
from engine.effect_size import effect_size
from engine.effect_threshold import threshold_test
from engine.errors import LmmInputError
from engine.influence import cluster_influence
from engine.power import DEFAULT_NSIM as DEFAULT_POWER_NSIM
from engine.power import DEFAULT_SEED as DEFAULT_POWER_SEED
from engine.power import (
    TARGET_POWER,
    default_sizes,
    grouping_variables,
    power_coefficient,
    simulate_power,
)


def influence(step: Any, state: SessionState, context: PlanContext) -> StepResult:
    """Leave-one-level-out refits of the model: Cook's distance and DFBETAS per level."""
    model = resolve_one(state, step_field(step, "model"))
    group = influence_factor(step_field(step, "group"), model.fit, model.title)
    result = cluster_influence(model.fit, group)
    return StepResult(EngineResult("cluster_influence", result, model), state)


def influence_factor(word: str | None, fit: Any, title: str) -> str | None:
    """The grouping factor ``word`` names (its plural too); None (the engine's choice) for
    no word or a role word ("subjects", "clusters") on a model with several factors."""
    if word is None:
        return None
    found = named_group(fit, word)
    if found is not None:
        return found
    if word.casefold() in GROUP_ROLE_WORDS:
        return None
    groups = [str(g) for g in fit.ngroups]
    raise AssistantError(
        f"{word} is not a grouping factor of {title}; influence is measured by leaving out "
        f"one level of a grouping factor at a time ({', '.join(groups)}). Ask e.g. `are "
        f"there influential {groups[0]}?`."
    )


def fixed_effect_size(step: Any, state: SessionState, context: PlanContext) -> StepResult:
    """Cohen's d of a factor or the standardized slope of a numeric predictor."""
    model = resolve_one(state, step_field(step, "model"))
    result = effect_size(model.fit, step_field(step, "variable"))
    return StepResult(EngineResult("effect_size", result, model), state)


def effect_against_threshold(step: Any, state: SessionState,
                             context: PlanContext) -> StepResult:
    """The coefficient against the threshold asked; without one, the coefficient's row
    (the answer asks for the smallest effect that matters)."""
    model = resolve_one(state, step_field(step, "model"))
    term = term_in_model(model, step_field(step, "term"))
    threshold = step_field(step, "threshold")
    try:
        if threshold is None:
            names = match_coefficients(model.fit, term)
            rows = [fe for fe in model.fit.fixed_effects if fe.term in names]
            return StepResult(EngineResult("effect_threshold_needed", rows, model), state)
        result = threshold_test(model.fit, term, float(threshold),
                                step_field(step, "direction") or "higher")
    except LmmInputError as err:
        raise AssistantError(str(err).replace("The model", model.title, 1)) from None
    return StepResult(EngineResult("effect_threshold", result, model), state)


def bounds(step: Any, state: SessionState, context: PlanContext) -> StepResult:
    """The shares of the outcome at its bounds, against Terwee et al.'s 15% rule."""
    model = resolve_one(state, step_field(step, "model"))
    result = ceiling_floor(model.fit, step_field(step, "side") or "both",
                           step_field(step, "bound"))
    return StepResult(EngineResult("ceiling_floor", result, model), state)


#: The significance level of a power simulation unless one is asked for.
DEFAULT_ALPHA = 0.05


def power(step: Any, state: SessionState, context: PlanContext) -> StepResult:
    """Simulated power of one fixed effect's test (engine.power), over numbers of levels
    of a grouping factor when sizes or a sample size are asked for."""
    model = resolve_one(state, step_field(step, "model"))
    fit = model.fit
    sizes = list(step_field(step, "sizes", ()) or ())
    sample_size = bool(step_field(step, "sample_size", False))
    word = step_field(step, "group")
    try:
        coefficient = power_coefficient(fit, step_field(step, "variable"))
        group = _power_group(fit, word) if (word or sizes or sample_size) else None
        if sample_size and not sizes and group is not None:
            sizes = default_sizes(int(fit.data[group].nunique()))
        nsim = step_field(step, "nsim")
        alpha = step_field(step, "alpha")
        seed = step_field(step, "seed")
        target = step_field(step, "target")
        result = simulate_power(
            fit, coefficient, effect=step_field(step, "effect"),
            alpha=DEFAULT_ALPHA if alpha is None else float(alpha),
            nsim=DEFAULT_POWER_NSIM if nsim is None else int(nsim), group=group,
            sizes=sizes or None, seed=DEFAULT_POWER_SEED if seed is None else int(seed),
            level=float(state.options.level),
            target=TARGET_POWER if target is None else float(target),
        )
    except LmmInputError as err:
        raise AssistantError(str(err)) from None
    return StepResult(EngineResult("power_analysis", result, model), state)


def _power_group(fit: Any, word: str | None) -> str:
    """The grouping variable whose number of levels a power curve varies: the one ``word``
    names (as every request names a grouping factor), or the model's only one."""
    variables = grouping_variables(fit)
    if word is None and len(variables) == 1:
        return variables[0]
    found = named_group(fit, word) if word is not None else None
    if found in variables:
        return found
    if word is None:
        raise AssistantError(
            "Which grouping factor should have more or fewer levels? Name one, e.g. `how many "
            f"{variables[0]}s do I need`."
        )
    raise AssistantError(
        f"'{word}' is not a grouping factor of the model; the number of levels of "
        + " or ".join(f"'{v}'" for v in variables) + " can be varied."
    )


HANDLERS = {
    "power_analysis": power,
    "cluster_influence": influence,
    "effect_size": fixed_effect_size,
    "effect_threshold": effect_against_threshold,
    "ceiling_floor": bounds,
}
