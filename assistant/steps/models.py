"""Model steps: fitting (by formula or by structure), modifying, and the convergence ladder."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pandas as pd

from assistant.column_words import null_outcome_column
from assistant.errors import AssistantError
from assistant.model_building import (
    add_or_drop,
    check_formula,
    classify_structure,
    formula_label,
    group_column,
    modify_formula,
    null_model_formula,
    parts_from_data,
    parts_from_formula,
    terms_containing,
    with_crossed_intercepts,
    with_structure,
)
from assistant.references import resolve_one
from assistant.state import FittedModel, SessionState
from assistant.step_results import (
    EngineResult,
    FitOutcome,
    ModelChange,
    ModelView,
    RefitUnchanged,
)
from assistant.steps.base import PlanContext, StepResult, step_field
from assistant.steps.data import require_data
from assistant.steps.options import normalise_ddf, normalise_method, normalise_optimizer
from engine.convergence import remedy_convergence
from engine.data import describe_data
from engine.fixed_covariance import quadratic_terms
from engine.hessian_check import HESSIAN_OK
from engine.kenward_roger import kenward_roger_obstacle
from engine.lmm import fit_lmm as engine_fit_lmm
from engine.starting_values import baseline_time
from engine.variance import variance_explained
from grammar.build import formula_from_words
from grammar.plan import BASELINE_VALUE

UNCORRELATED_SLOPE_NOTE = (
    'Next to an intercept + slope model, "random slope" is read as a random intercept '
    "and a random slope without their correlation, so the models are nested: each adds "
    "one variance parameter to the one before, and likelihood-ratio tests compare them."
)
SLOPE_WITH_INTERCEPT_NOTE = (
    "A random slope model keeps the random intercept too (the usual lme4 reading); "
    "ask for `(0 + x | g)` to fit the slope alone."
)


def has_trouble(fit: Any) -> bool:
    """True when the fit needs the convergence ladder: it did not converge, it is
    singular, or lme4's Hessian check (``check.conv.hess``) failed at its optimum."""
    check = getattr(fit.opt, "hessian_check", None)
    hessian_failed = check is not None and check.outcome != HESSIAN_OK
    return (not fit.converged) or bool(fit.singular) or hessian_failed


def fit_formula(
    formula: str,
    data: Any,
    state: SessionState,
    *,
    method: str | None = None,
    ddf: str | None = None,
    optimizer: str | None = None,
    max_iter: int | None = None,
    level: float | None = None,
) -> Any:
    """Fit with the session's defaults for whatever the step leaves open."""
    options = state.options
    method = method or options.method
    return engine_fit_lmm(
        formula,
        data,
        reml=method == "REML",
        ddf=ddf or session_ddf(options.ddf, method),
        optimizer=optimizer or options.optimizer,
        max_iter=max_iter if max_iter is not None else options.max_iter,
        level=level if level is not None else options.level,
        # the session's df setting gives way where it cannot be computed (Kenward-Roger
        # on a model too large for it); a df method the request names does not
        ddf_fallback=None if ddf else "satterthwaite",
    )


def with_session_ddf(model: Any, ddf: str) -> Any:
    """``model`` with its tests by ``ddf``, the session's newer df setting (no new model
    is filed). Where Kenward-Roger cannot be computed for the model (too many random
    effects, or an ML fit), the model keeps its tests and its fit notes why."""
    fit = model.fit
    if ddf == fit.ddf_method:
        return model
    if ddf == "kenward-roger":
        obstacle = kenward_roger_obstacle(fit.model.q, fit.reml)
        if obstacle is not None:
            return replace(model, fit=replace(fit, ddf_unavailable=obstacle))
    return replace(model, fit=fit.refit(ddf=ddf))


def session_ddf(ddf: str, method: str) -> str:
    """The session's df method for a fit by ``method``: Kenward-Roger is defined for REML
    fits only (pbkrtest), so a default of Kenward-Roger gives ML fits Satterthwaite df.
    A request that names both still gets the engine's error."""
    if ddf == "kenward-roger" and method != "REML":
        return "satterthwaite"
    return ddf


def run_ladder(fit: Any, data: Any, rungs: tuple[str, ...] | None = None) -> Any:
    """engine.convergence's remediation ladder for a fit that had trouble (``rungs``: only
    those remedies, e.g. ``("optimizer",)``, when the user asked for one)."""
    return remedy_convergence(
        fit.formula,
        data,
        reml=fit.reml,
        optimizer=fit.optimizer,
        ddf=fit.ddf_method,
        max_iter=fit.opt.max_iter,
        fit=fit,
        rungs=rungs,
    )


def kept_fit(fit: Any, audit: Any) -> Any:
    """The fit to keep after the ladder: always the model that was asked for.

    When the ladder ends at the same model on the same data, its fit is kept (it may
    come from a better optimizer). When it goes on to change the model (a simpler random
    part) or the data (scaled predictors), those changes are narrated as suggestions;
    a better optimizer it found on the way is still used for the model asked for.
    """
    scaled = "scaled_predictors" in audit.changes
    if audit.final_fit is not None and audit.final_formula == fit.formula and not scaled:
        return audit.final_fit
    switched = [c.split(":", 1)[1] for c in audit.changes if c.startswith("optimizer:")]
    if switched and not scaled:
        return fit.refit(optimizer=switched[-1])
    return fit


def variance_without_icc(fit: Any) -> Any:
    """Nakagawa's adjusted ICC and R² for a fit without a plain ICC (random slopes,
    several grouping factors), so the narration can give a number where the ICC is
    undefined; None when the fit has a plain ICC."""
    if fit.icc is not None:
        return None
    return variance_explained(fit)


def model_data(model: FittedModel) -> Any:
    """The data frame a model was fitted to (later transforms of the data set do not count)."""
    source = getattr(model.fit, "source_data", None)
    return source if source is not None else model.fit.data


def _on_dataset(state: SessionState, model: FittedModel, data: Any) -> SessionState:
    """A state whose current data set is the model's, so a new model is filed under it."""
    if state.current_data_name == model.dataset:
        return state
    return state.with_dataset(model.dataset, state.datasets.get(model.dataset, data))


def register(
    state: SessionState, fit: Any, label: str | None = None, audit: Any = None
) -> tuple[FittedModel, SessionState]:
    model = FittedModel(
        number=state.next_model_number(),
        structure=classify_structure(fit.model_formula),
        fit=fit,
        dataset=state.current_data_name or "data",
        label=label,
        audit=audit,
    )
    return model, state.with_model(model)


def _fit_with_ladder(
    formula: str, data: Any, state: SessionState, **kwargs: Any
) -> tuple[Any, Any]:
    fit = fit_formula(formula, data, state, **kwargs)
    audit = None
    if has_trouble(fit):
        audit = run_ladder(fit, data)
        fit = kept_fit(fit, audit)
    return fit, audit


def _formula_for(
    step: Any, state: SessionState, context: PlanContext, data: Any
) -> tuple[str, str | None, dict[str, str], str | None, dict[str, str]]:
    """(formula, built_from, guessed roles, note, roles taken from the person's description)
    for a fit_lmm step."""
    described_roles: dict[str, str] = {}
    formula = step_field(step, "formula")
    crossed = [group_column(c, data.columns) for c in step_field(step, "crossed_with", ())]
    if formula and crossed and not step_field(step, "nested_in"):
        # the words named the factors (perhaps as plurals, "raters crossed with items"):
        # the random intercepts are those of the columns they mean
        groups = [group_column(step_field(step, "group"), data.columns), *crossed]
        return with_crossed_intercepts(str(formula), [g for g in groups if g]), None, {}, None, {}
    group_named = step_field(step, "group")
    if formula and step_field(step, "response") and group_named:
        # built by the grammar from words ("students nested in schools"): built again from
        # the columns the words name (the plural "schools" is the column school)
        group = group_column(group_named, data.columns)
        if group is not None:
            rebuilt = formula_from_words(
                step_field(step, "response"), tuple(step_field(step, "predictors", ()) or ()),
                group, step_field(step, "structure"), step_field(step, "slope"),
                group_column(step_field(step, "nested_in"), data.columns), tuple(crossed),
            )
            return str(rebuilt or formula), None, {}, None, {}
        # a role word ("random intercepts for subjects" where the column is Subject): the
        # data's grouping factor, found below as for a model described without one
        formula = None
    if formula:
        return str(formula), None, {}, None, {}
    structure = step_field(step, "structure", "random_intercept")
    note = None
    uncorrelated = structure == "random_slope" and context.contrasts_slope_structures
    if structure == "random_slope":
        note = UNCORRELATED_SLOPE_NOTE if uncorrelated else SLOPE_WITH_INTERCEPT_NOTE
    overrides = {
        "response": step_field(step, "response"),
        "group": group_column(step_field(step, "group"), data.columns),
        "slope": step_field(step, "slope"),
        "nested_in": group_column(step_field(step, "nested_in"), data.columns),
        "crossed_with": tuple(c for c in crossed if c),
    }
    predictors = step_field(step, "predictors")
    model = state.last_model
    explicit_data_roles = overrides["response"] or predictors
    if model is not None and model.dataset == state.current_data_name and not explicit_data_roles:
        parts = parts_from_formula(model.fit.model_formula, data)
        parts = with_structure(parts, **overrides)
        built_from, roles = f"model {model.number}", {}
    else:
        summary = describe_data(data)
        predictors, described = _fill_from_description(
            overrides, predictors, state.described_roles, summary.time_guess
        )
        guessed = parts_from_data(
            data,
            summary,
            suggested_formula=state.suggested_formulas.get(state.current_data_name or ""),
            predictors=predictors,
            **overrides,
        )
        parts, built_from, roles = guessed.parts, "data", guessed.roles
        described_roles = described
        if described:
            built_from = "description"
            roles = {**described, **{k: v for k, v in roles.items() if k not in described}}

    text = parts.formula(structure, uncorrelated=uncorrelated)
    check_formula(text)
    return text, built_from, roles, note, described_roles


def _fill_from_description(
    overrides: dict[str, Any], predictors: Any, described: dict[str, str],
    time_guess: str | None = None,
) -> tuple[Any, dict[str, str]]:
    """Fill the roles a fit request left out from the roles the person described
    (``SessionState.described_roles``), in place in ``overrides``; returns the predictors
    to use and the roles taken from the description (role words -> column, for the
    answer to say where each came from).

    A described treatment or covariates make the fixed part time (described, else the
    data's time column ``time_guess``) plus those; otherwise the predictors stay as the
    request gave them (or as guessed).
    """
    used: dict[str, str] = {}
    for field_name, role, words in (
        ("response", "outcome", "outcome"),
        ("group", "group", "grouping factor"),
        ("nested_in", "nested_in", "nested in"),
        ("slope", "time", "time"),
    ):
        if not overrides.get(field_name) and described.get(role):
            overrides[field_name] = described[role]
            used[words] = described[role]
    extra = [described["treatment"]] if described.get("treatment") else []
    extra += [c for c in described.get("covariates", "").split(", ") if c]
    if not predictors and extra:
        time_column = described.get("time") or time_guess
        time = [time_column] if time_column else []
        predictors = tuple(dict.fromkeys(time + extra))
        if described.get("treatment"):
            used["treatment"] = described["treatment"]
        if described.get("covariates"):
            used["covariates"] = described["covariates"]
    return predictors, used


_MODEL_FIELDS = (
    "formula", "structure", "response", "predictors", "group", "slope", "nested_in",
    "crossed_with",
)


def fit_lmm(step: Any, state: SessionState, context: PlanContext) -> StepResult:
    data = require_data(state)
    model = state.last_model
    says_nothing = not any(step_field(step, name) for name in _MODEL_FIELDS)
    if says_nothing and model is not None and model.dataset == state.current_data_name:
        # "LMM handles missing data": a mixed model is already there; use it, fit nothing.
        return StepResult(ModelView("current", model), state)
    formula, built_from, roles, note, described = _formula_for(step, state, context, data)
    fit, audit = _fit_with_ladder(
        formula,
        data,
        state,
        method=normalise_method(step_field(step, "method")),
        ddf=normalise_ddf(step_field(step, "ddf")),
        optimizer=normalise_optimizer(step_field(step, "optimizer")),
        max_iter=step_field(step, "max_iter"),
        level=step_field(step, "level"),
    )
    model, new_state = register(state, fit, step_field(step, "label"), audit)
    outcome = FitOutcome(model, built_from, roles, note, variance_without_icc(fit),
                         quadratics=quadratic_terms(fit), described_roles=described)
    return StepResult(outcome, new_state)


def _first_time_point(model: Any, variable: str) -> str:
    """The baseline of ``variable`` among the rows the model used ("center time at
    baseline"; ``engine.starting_values.baseline_time``), as text for ``center_at``."""
    data = model.fit.data
    if variable not in data.columns or not pd.api.types.is_numeric_dtype(data[variable]):
        raise AssistantError(
            f"The model has no numeric predictor {variable!r} to center at its first value; "
            f"its formula is `{model.fit.model_formula.text()}`."
        )
    first = baseline_time(data[variable])
    if first == 0:
        raise AssistantError(
            f"{variable} is already 0 at baseline in the model's data, so the intercept "
            f"already is the expected {model.fit.response_name} there; centring at baseline "
            "would change nothing."
        )
    return f"{first:.15g}"


def modify_model(step: Any, state: SessionState, context: PlanContext) -> StepResult:
    operation = step_field(step, "operation")
    if operation == "null_model":
        return _null_model(step, state)
    base = resolve_one(state, step_field(step, "model"))
    if not operation:
        raise AssistantError("Say how to change the model, e.g. `add a random slope for time`.")
    if operation == "add_or_drop_term":  # "compare with and without X": settled here
        operation = add_or_drop(base.fit.model_formula, list(step_field(step, "variables", [])))
    variables = list(step_field(step, "variables", []))
    if operation == "center_at" and variables[1:2] == [BASELINE_VALUE]:
        variables[1] = _first_time_point(base, variables[0])
    group = group_column(step_field(step, "group"), model_data(base).columns)
    dropping = operation in ("drop_term", "drop_variable")
    grouping = _grouping_factor_named(base, variables) if dropping else None
    if grouping is not None:
        # "compare with a model without items": items is no fixed term but the grouping
        # factor of a random term, which is what goes
        operation, variables, group = "remove_random_term", [], grouping
    groups = base.fit.model_formula.grouping_variables()
    if operation in _RANDOM_TERM_CHANGES and group is None and len(groups) == 1:
        group = groups[0]  # a role word ("patients") for the model's one grouping factor
    if dropping:
        _refuse_level_as_term(base, variables)
    formula = modify_formula(base.fit.model_formula, operation, variables, group)
    data = model_data(base)
    working = _on_dataset(state, base, data)
    subset = state.current_subset_of(base)
    if subset is not None:  # the rows kept from the model's data set, which is current
        data, working = state.datasets[subset], state
    fit, audit = _fit_with_ladder(
        formula,
        data,
        working,
        method=base.fit.method,
        ddf=base.fit.ddf_method,
        optimizer=base.fit.optimizer,
    )
    model, new_state = register(working, fit, None, audit)
    kept = {"subset": (subset, base.dataset)} if subset is not None else {}
    named = (str(group),) if operation in _RANDOM_TERM_CHANGES else tuple(variables)
    before = {t.label for t in base.fit.model_formula.fixed_terms}
    implied: tuple[str, ...] = ()
    if operation == "add_covariate":
        implied = tuple(t.label for t in fit.model_formula.fixed_terms
                        if t.label not in before and t.label not in named)
    elif operation == "drop_variable":  # the interactions that went with the variable
        implied = tuple(t for t in terms_containing(base.fit.model_formula, variables)
                        if t not in named)
    change = ModelChange(operation, named, implied)
    outcome = FitOutcome(
        model, f"model {base.number}", {}, None, variance_without_icc(fit), newer_choices=kept,
        change=change, quadratics=quadratic_terms(fit),
    )
    return StepResult(outcome, new_state)


#: Changes that name a grouping factor rather than variables.
_RANDOM_TERM_CHANGES = frozenset({"remove_random_term", "keep_random_term"})


def _grouping_factor_named(base: Any, variables: list[str]) -> str | None:
    """The grouping factor that the one variable of a ``drop_term`` names (itself or its
    plural) when it is no fixed term of the model; None otherwise."""
    if len(variables) != 1:
        return None
    mf = base.fit.model_formula
    if variables[0] in {t.label for t in mf.fixed_terms}:
        return None
    groups = mf.grouping_variables()
    named = group_column(variables[0], groups)
    return named if named in groups else None


def _null_model(step: Any, state: SessionState) -> StepResult:
    """ "fit the null model", "an empty model for reaction time": the outcome (the one the
    words name, else the model's) with an intercept and the random intercepts of the
    model's grouping factors; before any model, those the data suggest."""
    words = [str(v) for v in step_field(step, "variables", ()) if v]
    if not state.models and step_field(step, "model") is None:
        data = require_data(state)
        outcome = null_outcome_column(words[0], data.columns) if words else None
        return _null_model_from_data(state, outcome)
    base = resolve_one(state, step_field(step, "model"))
    data = model_data(base)
    outcome = null_outcome_column(words[0], data.columns) if words else None
    mf = base.fit.model_formula
    formula = null_model_formula(mf, outcome)
    working = _on_dataset(state, base, data)
    subset = state.current_subset_of(base)
    if subset is not None:
        data, working = state.datasets[subset], state
    fit, audit = _fit_with_ladder(formula, data, working, method=base.fit.method,
                                  ddf=base.fit.ddf_method, optimizer=base.fit.optimizer)
    model, new_state = register(working, fit, None, audit)
    kept = {"subset": (subset, base.dataset)} if subset is not None else {}
    named = (outcome,) if outcome is not None and outcome != mf.response_label else ()
    outcome_view = FitOutcome(
        model, f"model {base.number}", {}, None, variance_without_icc(fit), newer_choices=kept,
        change=ModelChange("null_model", named), quadratics=quadratic_terms(fit),
    )
    return StepResult(outcome_view, new_state)


def _null_model_from_data(state: SessionState, outcome: str | None = None) -> StepResult:
    """ "fit the null model" before any model: the outcome (as named, else that of the
    data set's suggested model or the engine's guess) and grouping factor of the data set's
    suggested model, or the engine's guesses, with an intercept only."""
    data = require_data(state)
    guessed = parts_from_data(
        data, describe_data(data),
        suggested_formula=state.suggested_formulas.get(state.current_data_name or ""),
    )
    parts = guessed.parts
    response = outcome or parts.response
    if response == parts.group:
        raise AssistantError(
            f"`{response}` is the grouping factor; an empty model needs a numeric outcome."
        )
    formula = f"{formula_label(response)} ~ 1 + (1 | {parts.group})"
    check_formula(formula)
    fit, audit = _fit_with_ladder(formula, data, state, method=None, ddf=None,
                                  optimizer=None, max_iter=None)
    model, new_state = register(state, fit, None, audit)
    roles = {"outcome": response, "grouping factor": parts.group}
    outcome = FitOutcome(model, "data", roles, None, variance_without_icc(fit),
                         change=ModelChange("null_model", ()))
    return StepResult(outcome, new_state)


def _refuse_level_as_term(base: FittedModel, variables: Any) -> None:
    """ "exclude P001" reads as dropping a term; when P001 is no term but a level of a
    column, say how to leave its rows out instead."""
    data = model_data(base)
    terms = {t.label for t in base.fit.model_formula.fixed_terms}
    for name in variables:
        if name in terms or name in data.columns:
            continue
        for column in data.columns:
            series = data[column]
            if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
                continue
            if name in {str(v) for v in series.dropna().unique()}:
                raise AssistantError(
                    f"{name} is not a term of the model but a level of {column}; to leave "
                    f"its rows out, say `exclude {column} {name}`."
                )


#: "More iterations": the new evaluation limit is this many times what the fit used.
ITERATION_FACTOR = 10
MIN_ITERATIONS = 10_000


def fix_convergence(step: Any, state: SessionState, context: PlanContext) -> StepResult:
    """Run the ladder on a model, or only the rung asked for (``strategy="optimizer"`` or
    ``"simplify"``; ``"iterations"`` refits with a larger evaluation limit); a better
    optimum of the same model becomes a new model."""
    model = resolve_one(state, step_field(step, "model"))
    data = model_data(model)
    if step_field(step, "strategy") == "iterations":
        limit = max(MIN_ITERATIONS, ITERATION_FACTOR * int(model.fit.opt.evaluations))
        more = model.fit.refit(max_iter=limit)
        new_model, new_state = register(_on_dataset(state, model, data), more)
        note = f"Refitted with up to {limit:,} evaluations of the objective."
        outcome = FitOutcome(
            new_model, f"model {model.number}", {}, note, variance_without_icc(more)
        )
        return StepResult(outcome, new_state)
    strategy = step_field(step, "strategy")
    audit = run_ladder(model.fit, data, rungs=(strategy,) if strategy else None)
    kept = kept_fit(model.fit, audit)
    if kept is model.fit:
        return StepResult(EngineResult("convergence_audit", audit, model), state)
    working = _on_dataset(state, model, data)
    new_model, new_state = register(working, kept, None, audit)
    return StepResult(
        FitOutcome(new_model, f"model {model.number}", {}, None, variance_without_icc(kept)),
        new_state,
    )


#: The settings a refit takes from the session when the user chose them after the model.
REFIT_SETTINGS = ("method", "ddf", "optimizer", "max_iter", "level")


def refit(step: Any, state: SessionState, context: PlanContext) -> StepResult:
    """The same formula fitted again, as R's ``update(m)``: settings the step names win;
    a setting the user chose after the model was fitted comes next; the model's own
    setting otherwise. When the model's data set was transformed after the fit, the
    refit uses the data set as it is now; when the current data set is a subset cut from
    the model's data set, the refit uses the rows kept (and files the model there)."""
    base = resolve_one(state, step_field(step, "model"))
    given, newer = _refit_settings(step, state, base)
    current = state.newer_data(base)
    subset = state.current_subset_of(base)
    if subset is not None:  # rows were left out of the model's data since: use the rest
        newer["subset"] = (subset, base.dataset)
        data = state.datasets[subset]
    elif current is not None:
        newer["data"] = base.dataset
        data = current
    else:
        named = {name: _fit_setting(base.fit, name) for name in REFIT_SETTINGS
                 if step_field(step, name) is not None}
        if named and _same_settings(base.fit, given):  # "refit by ML" of an ML fit
            return StepResult(RefitUnchanged(base, named), state)
        data = model_data(base)
    method = given["method"]
    fit = base.fit.refit(
        reml=None if method is None else method == "REML",
        ddf=given["ddf"],
        optimizer=given["optimizer"],
        max_iter=given["max_iter"],
        level=given["level"],
        data=data,
    )
    audit = None
    if has_trouble(fit):
        audit = run_ladder(fit, data)
        fit = kept_fit(fit, audit)
    working = state if subset is not None else _on_dataset(state, base, data)
    model, new_state = register(working, fit, None, audit)
    outcome = FitOutcome(
        model, f"model {base.number}", {}, None, variance_without_icc(fit), newer_choices=newer
    )
    return StepResult(outcome, new_state)


def _refit_settings(
    step: Any, state: SessionState, base: FittedModel
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The settings of a refit (None keeps the model's own) and those of them that come
    from choices the user made after the model was fitted."""
    given = {
        "method": normalise_method(step_field(step, "method")),
        "ddf": normalise_ddf(step_field(step, "ddf")),
        "optimizer": normalise_optimizer(step_field(step, "optimizer")),
        "max_iter": step_field(step, "max_iter"),
        "level": step_field(step, "level"),
    }
    newer: dict[str, Any] = {}
    for name in REFIT_SETTINGS:
        if given[name] is None:
            value = state.newer_option(base, name)
            if value is not None and value != _fit_setting(base.fit, name):
                given[name] = newer[name] = value
    method = given["method"] or base.fit.method
    own = base.fit.ddf_method
    # a model whose df followed the session's choice (as its method allowed) follows it
    # still: an ML fit that got Satterthwaite for a Kenward-Roger choice gets KR by REML
    followed = own == session_ddf(state.options.ddf, base.fit.method)
    if given["ddf"] is None and followed and state.options.ddf != own:
        given["ddf"] = newer["ddf"] = state.options.ddf
    if normalise_ddf(step_field(step, "ddf")) is None:
        ddf = given["ddf"] or base.fit.ddf_method
        if session_ddf(ddf, method) != ddf:
            given["ddf"] = "satterthwaite"
            newer.pop("ddf", None)
            newer["kenward_roger_needs_reml"] = True
    return given, newer


def _same_settings(fit: Any, given: dict[str, Any]) -> bool:
    """True when a refit with ``given`` (None keeps the fit's own) would repeat ``fit``."""
    return all(given[name] is None or given[name] == _fit_setting(fit, name)
               for name in REFIT_SETTINGS)


def _fit_setting(fit: Any, name: str) -> Any:
    """A fit's own value of a session option."""
    return {
        "method": fit.method,
        "ddf": fit.ddf_method,
        "optimizer": fit.optimizer,
        "max_iter": fit.opt.max_iter,
        "level": fit.level,
    }[name]


HANDLERS = {
    "fit_lmm": fit_lmm,
    "modify_model": modify_model,
    "fix_convergence": fix_convergence,
    "refit": refit,
}
