"""Views of one model (fixed effects, BLUPs, variance components, ICC), predictions,
convergence audits and option changes."""

from __future__ import annotations

from typing import Any

from assistant.narrate import blups as blup_words
from assistant.narrate import fit as fit_words
from assistant.narrate import numbers as fmt
from assistant.narrate import variance as variance_words
from assistant.narrate.blocks import Block, Bullets, Heading, Paragraph, code
from assistant.narrate.correlation_answer import correlation_answer_blocks
from assistant.narrate.terms import INTERCEPT_NAMES
from assistant.step_results import ModelView, OptionChanged

OPTION_WORDS = {
    "method": "Fitting method",
    "ddf": "Degrees of freedom for tests",
    "optimizer": "Optimizer",
    "max_iter": "Iteration limit",
    "level": "Confidence level",
    "output_dir": "Output folder (figures and exported files)",
    "format": "Figure format",
}


def option_sentence(change: OptionChanged) -> str:
    value = change.value
    if change.name == "level":
        value = fmt.level_percent(value)
    text = f"{OPTION_WORDS.get(change.name, change.name)} set to {value}"
    if change.name == "ddf":
        text += "; the tests reported from now on use it, for earlier models too"
    elif change.name in {"method", "optimizer", "max_iter"}:
        text += "; it applies to models fitted from now on, and `refit` refits a model with it"
    elif change.name == "level":
        text += "; it applies to models fitted from now on"
    if change.name == "method" and change.value == "ML":
        text += ". Use ML to compare fixed effects; report the final model with REML"
    text += "."
    if change.kr_needs_reml:
        text += (
            " Kenward-Roger's correction is defined for REML fits only, so ML fits use "
            "Satterthwaite degrees of freedom until you say `use REML`."
        )
    return text


def convergence_status_blocks(model: Any) -> list[Block]:
    """ "Did the model converge?": the current model's own record before the general help."""
    fit = model.fit
    trouble = fit_words.trouble_blocks(fit)
    if fit.converged and not fit.singular:
        opt = getattr(fit, "opt", None)
        record = (
            f": {opt.optimizer} stopped after {fmt.plural(opt.evaluations, 'evaluation')}"
            if opt is not None else ""
        )
        return [
            Paragraph(
                f"{model.title} converged{record}, and the fit is not singular (no variance "
                "at zero, no correlation at ±1)."
            ),
            *trouble,
        ]
    return [Paragraph(f"{model.title} has trouble:"), *trouble]


def model_view_blocks(view: ModelView) -> list[Block]:
    model, fit = view.model, view.model.fit
    if view.view == "current":
        return [
            Paragraph(
                f"Using {model.title}, {code(fit.formula)}, fitted to all "
                f"{fmt.plural(fit.nobs, 'observation')}, for what follows."
            )
        ]
    if view.view == "settings" and view.question == "formula":
        return [Paragraph(formula_sentence(model))]
    if view.view == "settings":
        return [Paragraph(settings_sentence(model))]
    if view.view == "fixed_effects":
        ddf = fit_words.ddf_phrase(fit)
        return [
            Heading(f"Fixed effects of {model.title}"),
            *focus_blocks(view),
            Paragraph(f"Tests and intervals use {ddf}."),
            Bullets(tuple(fit_words.fixed_effect_sentence(fe, fit) for fe in fit.fixed_effects)),
            *[Paragraph(text) for text in [fit_words.log_outcome_sentence(fit)] if text],
            fit_words.fixed_effects_table(fit),
        ]
    if view.view == "blups":
        return blup_words.blup_blocks(model, view.group, view.levels)
    if view.view == "convergence":
        return convergence_status_blocks(model)
    blocks: list[Block] = [Heading(f"Variance components of {model.title}")]
    if view.view == "variance_components" and view.question == "correlation":
        blocks.extend(correlation_answer_blocks(fit, model.title, view.slope_hint))
    if view.view == "variance_components":
        blocks.append(Paragraph(variance_words.variance_sentence(fit)))
        blocks.append(variance_words.variance_table(fit))
    if view.include_icc or view.view == "icc":
        blocks.extend(variance_words.icc_blocks(fit, view.variance))
    explained = variance_words.variance_explained_sentence(view.variance)
    if explained:
        blocks.append(Paragraph(explained))
    blocks.extend(fit_words.trouble_blocks(fit))
    return blocks


#: What each optimizer is, for the settings answer.
OPTIMIZER_WORDS = {
    "bobyqa": "NLopt's BOBYQA (lme4's default, derivative-free)",
    "l-bfgs-b": "L-BFGS-B (scipy, with the analytic gradient)",
    "nelder-mead": "Nelder-Mead (scipy, derivative-free)",
    "powell": "Powell's method (scipy, derivative-free)",
}


def settings_sentence(model: Any) -> str:
    """How ``model`` was fitted: the criterion, the optimizer and what it did, the df
    method and the confidence level of its intervals."""
    fit = model.fit
    opt = fit.opt
    method = fit_words.METHOD_WORDS.get(fit.method, fit.method)
    optimizer = OPTIMIZER_WORDS.get(opt.optimizer, opt.optimizer)
    outcome = "converged" if opt.converged else f"stopped without converging ({opt.return_code})"
    ddf = fit_words.ddf_phrase(fit)
    return (
        f"{model.title} was fitted by {method} with {optimizer}: "
        f"{fmt.plural(opt.evaluations, 'evaluation')} of the profiled deviance, and it "
        f"{outcome}{'; the fit is singular' if fit.singular else ''}. Its tests use {ddf}, "
        f"and its intervals are {fmt.level_percent(fit.level)} intervals. Change any of "
        f"these with e.g. {fmt.join_words(_setting_changes(fit))}."
    )


def formula_sentence(model: Any) -> str:
    """ "Which formula did you fit?": the model's lme4 formula, the criterion, the
    optimizer and the rows it used (those with a missing value in a model column are left
    out, as lme4's ``na.omit``)."""
    fit = model.fit
    method = fit_words.METHOD_WORDS.get(fit.method, fit.method)
    optimizer = OPTIMIZER_WORDS.get(fit.opt.optimizer, fit.opt.optimizer)
    dropped = ""
    if fit.n_dropped:
        dropped = (f" ({fmt.plural(fit.n_dropped, 'row')} with a missing value in a model "
                   "column left out)")
    return (
        f"{model.title} is {code(fit.formula)}, fitted by {method} with {optimizer} to "
        f"{fmt.plural(fit.nobs, 'row')} of `{model.dataset}`{dropped}."
    )


def _setting_changes(fit: Any) -> list[str]:
    """Requests that change a setting (Kenward-Roger exists for REML fits only)."""
    if fit.method != "REML":
        return ["`refit with REML`", "`try another optimizer`"]
    other_ddf = "Satterthwaite" if fit.ddf_method == "kenward-roger" else "Kenward-Roger"
    return ["`refit with ML`", f"`use {other_ddf}`", "`try another optimizer`"]


def _term_words(term: str) -> str:
    return "intercept" if term in INTERCEPT_NAMES else f"{term} slope"


def _f_test(row: dict) -> str:
    verdict = "significant" if row["p"] < 0.05 else "not significant"
    return (
        f"F({fmt.integer(row['num_df'])}, {fmt.degrees_of_freedom(row['den_df'])}) = "
        f"{fmt.statistic(row['F'])}, {fmt.p_value(row['p'])}: {verdict} at the 5% level"
    )


def interaction_blocks(view: ModelView, rows: list[dict]) -> list[Block]:
    """The answer to "is the interaction significant?" (or "does the effect of time differ
    between treatment groups?"): each interaction term's type III test and what it says,
    or, when the model has no such term, what the model assumes and how to test it."""
    title = view.model.title
    asked = [] if view.focus == "interaction" else view.focus.split(":")
    if not rows:
        return [Paragraph(_no_interaction_sentence(view, asked))]
    sentences = []
    for row in rows:
        parts = row["term"].split(":")
        sentences.append(f"Test of the {row['term']} interaction in {title}: {_f_test(row)}.")
        first, rest = parts[0], fmt.join_words(parts[1:])
        if row["p"] < 0.05:
            sentences.append(
                f"The effect of {first} changes with {rest}, so describe the effect of each "
                "at chosen values or levels of the other rather than as one overall effect."
            )
        else:
            sentences.append(
                f"The data do not show that the effect of {first} changes with {rest}; a "
                "test that is not significant does not prove the effects equal."
            )
    return [Paragraph(" ".join(sentences) + " (Type III F tests, as lmerTest's `anova`.)")]


def _no_interaction_sentence(view: ModelView, asked: list[str]) -> str:
    title = view.model.title
    predictors = [t.label for t in view.model.fit.model_formula.fixed_terms if t.order == 1]
    if len(asked) >= 2:
        first, rest = asked[0], fmt.join_words(asked[1:])
        pair = (asked[0], asked[1])
        assumption = (
            f"{title} has no interaction between {fmt.join_words(asked)}, so it assumes "
            f"that the effect of {first} is the same whatever the value of {rest}."
        )
    elif asked:
        others = [p for p in predictors if p != asked[0]]
        pair = (asked[0], others[0]) if others else None
        assumption = (
            f"{title} has no interaction involving {asked[0]}, so it assumes that the "
            f"effect of {asked[0]} is the same whatever the values of the other predictors."
        )
    else:
        pair = (predictors[0], predictors[1]) if len(predictors) >= 2 else None
        assumption = (
            f"{title} has no interaction terms, so it assumes that each predictor's effect "
            "is the same whatever the values of the others."
        )
    if pair is None:
        return assumption
    return (
        f"{assumption} To test {'one' if not asked else 'it'}, add the interaction "
        f"(`add the interaction between {pair[0]} and {pair[1]}`) and compare the two "
        "models (`compare the models`)."
    )


def focus_blocks(view: ModelView) -> list[Block]:
    """The answer to "is <variable> significant?" before the whole table: the type III
    test of each term containing the variable."""
    if view.focus is None or view.focus_tests is None:
        return []
    rows = view.focus_tests.to_dict(orient="records")
    if view.focus_interaction:
        return interaction_blocks(view, rows)
    if not rows:
        return []
    main = [r for r in rows if r["term"] == view.focus]
    others = [r for r in rows if r["term"] != view.focus]
    sentences = [f"Test of {view.focus}: {_f_test(r)}." for r in main]
    sentences += [f"Its interaction {r['term']}: {_f_test(r)}." for r in others]
    if main and others:
        sentences.append(
            f"With an interaction in the model, the test of {view.focus} alone is about the "
            "point where the variables it interacts with are 0 (or at their reference "
            "level); the interaction test says whether its effect changes with them."
        )
    return [Paragraph(" ".join(sentences) + " (Type III F tests, as lmerTest's `anova`.)")]
