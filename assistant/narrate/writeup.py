"""Methods and results paragraphs for a paper about one model, in APA style (7th
edition), with the references they cite.

Every number is one the engine computed (the fit, ``engine.variance.variance_explained``
for Nakagawa and Schielzeth's R² and the adjusted ICC, ``engine.compare`` for the
likelihood ratio test) and is formatted by :mod:`assistant.narrate.numbers`: p values as
``p < .001`` / ``p = .042``, numbers bounded by 1 (correlations, R², ICC) without a
leading zero, intervals as ``95% CI [lo, hi]``.
"""

from __future__ import annotations

from typing import Any

from assistant.narrate import numbers as fmt
from assistant.narrate.blocks import Block, Bullets, Heading, Paragraph, code
from assistant.narrate.fit import (
    METHOD_WORDS,
    boundary_components,
    confidence_level,
    group_words,
    random_structure_words,
    reference_point,
    test_words,
)
from assistant.narrate.terms import (
    INTERCEPT_NAMES,
    column_of,
    contrast_words,
    polynomial_words,
    readable_term,
    scaled_variable,
    split_term,
    squared_variable,
)
from assistant.narrate.variance import group_name, has_random_slope, is_residual
from assistant.step_results import PaperWriteUp
from engine.data import applied_transforms

#: In-text citation and full APA reference of every work the paragraphs may cite.
REFERENCES: dict[str, tuple[str, str]] = {
    "lme4": (
        "Bates et al., 2015",
        "Bates, D., Mächler, M., Bolker, B., & Walker, S. (2015). Fitting linear "
        "mixed-effects models using lme4. Journal of Statistical Software, 67(1), 1–48. "
        "https://doi.org/10.18637/jss.v067.i01",
    ),
    "lmerTest": (
        "Kuznetsova et al., 2017",
        "Kuznetsova, A., Brockhoff, P. B., & Christensen, R. H. B. (2017). lmerTest "
        "package: Tests in linear mixed effects models. Journal of Statistical Software, "
        "82(13), 1–26. https://doi.org/10.18637/jss.v082.i13",
    ),
    "kenward_roger": (
        "Kenward & Roger, 1997",
        "Kenward, M. G., & Roger, J. H. (1997). Small sample inference for fixed effects "
        "from restricted maximum likelihood. Biometrics, 53(3), 983–997. "
        "https://doi.org/10.2307/2533558",
    ),
    "pbkrtest": (
        "Halekoh & Højsgaard, 2014",
        "Halekoh, U., & Højsgaard, S. (2014). A Kenward-Roger approximation and parametric "
        "bootstrap methods for tests in linear mixed models – The R package pbkrtest. "
        "Journal of Statistical Software, 59(9), 1–32. https://doi.org/10.18637/jss.v059.i09",
    ),
    "nakagawa2013": (
        "Nakagawa & Schielzeth, 2013",
        "Nakagawa, S., & Schielzeth, H. (2013). A general and simple method for obtaining "
        "R² from generalized linear mixed-effects models. Methods in Ecology and Evolution, "
        "4(2), 133–142. https://doi.org/10.1111/j.2041-210x.2012.00261.x",
    ),
    "nakagawa2017": (
        "Nakagawa et al., 2017",
        "Nakagawa, S., Johnson, P. C. D., & Schielzeth, H. (2017). The coefficient of "
        "determination R² and intra-class correlation coefficient from generalized linear "
        "mixed-effects models revisited and expanded. Journal of the Royal Society "
        "Interface, 14(134), 20170213. https://doi.org/10.1098/rsif.2017.0213",
    ),
    "bobyqa": (
        "Powell, 2009",
        "Powell, M. J. D. (2009). The BOBYQA algorithm for bound constrained optimization "
        "without derivatives (Report No. DAMTP 2009/NA06). Department of Applied "
        "Mathematics and Theoretical Physics, University of Cambridge.",
    ),
    "stram_lee": (
        "Stram & Lee, 1994",
        "Stram, D. O., & Lee, J. W. (1994). Variance components testing in the "
        "longitudinal mixed effects model. Biometrics, 50(4), 1171–1177.",
    ),
}


#: Each optimizer as a methods section names it: short name, description, and the key of
#: its reference when it has one.
OPTIMIZER_NAMES: dict[str, tuple[str, str, str | None]] = {
    "bobyqa": ("BOBYQA", "the BOBYQA optimizer of NLopt, lme4's default", "bobyqa"),
    "l-bfgs-b": ("L-BFGS-B", "SciPy's L-BFGS-B optimizer with the analytic gradient", None),
    "nelder-mead": ("Nelder-Mead", "SciPy's Nelder-Mead optimizer", None),
    "powell": ("Powell's method", "SciPy's implementation of Powell's method", None),
}


class Citations:
    """The works cited so far, in order, and their in-text form."""

    def __init__(self) -> None:
        self.keys: list[str] = []

    def cite(self, *keys: str) -> str:
        """``Bates et al., 2015; Kuznetsova et al., 2017`` (for use inside parentheses)."""
        for key in keys:
            if key not in self.keys:
                self.keys.append(key)
        return "; ".join(REFERENCES[key][0] for key in keys)

    def reference_list(self) -> list[str]:
        """The full references, alphabetical as APA orders them."""
        return sorted(REFERENCES[key][1] for key in self.keys)


# ------------------------------------------------------------------ methods
def _fixed_part_words(fit: Any) -> str:
    """``Days``, ``time, treatment and the time × treatment interaction``."""
    terms = fit.model_formula.fixed_terms
    mains = [readable_term(t.label) for t in terms if t.order == 1]
    interactions = [" × ".join(readable_term(f.text()) for f in t.factors)
                    for t in terms if t.order > 1]
    words = list(mains)
    if interactions:
        noun = "interaction" if len(interactions) == 1 else "interactions"
        words.append(f"the {fmt.join_words(interactions)} {noun}")
    return fmt.join_words(words)


def model_sentence(fit: Any) -> str:
    fixed = _fixed_part_words(fit)
    n_fixed = len(fit.model_formula.fixed_terms)
    if fixed:
        fixed_words = f"{fixed} as {'a fixed effect' if n_fixed == 1 else 'fixed effects'}"
    else:
        fixed_words = "an intercept as the only fixed effect"
    if not fit.model_formula.intercept:
        fixed_words += " (without a fixed intercept)"
    return (
        f"The outcome, {fit.response_name}, was analysed with a linear mixed-effects model with "
        f"{fixed_words} and {random_structure_words(fit)}; in lme4's notation, "
        f"{code(fit.formula)}."
    )


def _transform_words(t: Any) -> str:
    if t.operation == "center":
        return f"{t.column} was grand-mean centred (mean {fmt.number(t.center)} subtracted)"
    if t.operation == "scale":
        return f"{t.column} was divided by its sample SD ({fmt.number(t.scale)})"
    if t.operation == "standardize":
        return (
            f"{t.column} was standardized to mean 0 and SD 1 (sample mean "
            f"{fmt.number(t.center)}, SD {fmt.number(t.scale)}), so its coefficient is the "
            "change per standard deviation"
        )
    if t.operation == "log":
        return f"{t.column} was log-transformed (natural log)"
    if t.operation == "days":
        return f"{t.column} was converted to days since its first date ({t.origin[:10]})"
    return (
        f"{t.column} was treated as a categorical factor with "
        f"{fmt.integer(len(t.levels or []))} levels"
    )


def preprocessing_sentence(fit: Any) -> str | None:
    """The session's column transforms (``engine.data.transform_columns``) behind the data
    the model was fitted to, for the variables of the model: a reader must know that a
    predictor was centred or standardized to read its coefficient and the intercept."""
    source = getattr(fit, "source_data", None)
    if source is None:
        return None
    used = set(fit.model_formula.variables())
    done = [t for t in applied_transforms(source) if t.column in used]
    if not done:
        return None
    words = fmt.join_words([_transform_words(t) for t in done])
    return f"Before the analysis, {words}."


def estimation_sentence(fit: Any, cite: Citations) -> str:
    name = fit.opt.optimizer
    _, optimizer_words, source = OPTIMIZER_NAMES.get(name, (name, name, None))
    if source:
        optimizer_words += f" ({cite.cite(source)})"
    if fit.method == "ML":
        how = (
            "Parameters were estimated by maximum likelihood (ML), whose likelihoods can be "
            "compared between models with different fixed effects; its variance estimates "
            "are somewhat smaller than those of restricted maximum likelihood (REML)"
        )
    else:
        how = (
            f"Parameters were estimated by {METHOD_WORDS['REML']}, which corrects the "
            "variance estimates for the degrees of freedom used by the fixed effects"
        )
    return f"{how}. The profiled deviance was minimised with {optimizer_words}."


def software_sentence(cite: Citations) -> str:
    return (
        "The model was fitted with lmm-assistant, a Python implementation of the "
        f"penalised least-squares method of the R package lme4 ({cite.cite('lme4')}) that "
        "reproduces lme4's estimates; it was not fitted in R itself."
    )


def tests_sentence(fit: Any, cite: Citations) -> str:
    level = fmt.level_percent(confidence_level(fit))
    intervals = f"{level} confidence intervals are Wald intervals with the same degrees of freedom"
    ddf = fit.ddf_method
    if ddf == "satterthwaite":
        return (
            "Fixed effects were tested with t tests using Satterthwaite's approximation to "
            f"the degrees of freedom, as in the lmerTest package ({cite.cite('lmerTest')}); "
            f"{intervals}."
        )
    if ddf == "kenward-roger":
        return (
            "Fixed effects were tested with t tests using the Kenward-Roger adjusted "
            f"standard errors and degrees of freedom ({cite.cite('kenward_roger')}), as in "
            f"the pbkrtest package ({cite.cite('pbkrtest')}); {intervals}."
        )
    if ddf == "residual":
        df = fmt.degrees_of_freedom(fit.fixed_effects[0].df)
        return (
            "Fixed effects were tested with t tests on the residual degrees of freedom "
            f"(observations minus fixed effects, {df}); {intervals}."
        )
    return (
        "Fixed effects were tested with Wald z tests (a large-sample approximation without "
        f"a small-sample correction); {level} confidence intervals are Wald intervals."
    )


def variance_method_sentence(fit: Any, cite: Citations) -> str | None:
    if not fit.model_formula.intercept:
        return None  # no R² is reported without a fixed intercept
    sources = ["nakagawa2013", "nakagawa2017"] if has_random_slope(fit) else ["nakagawa2013"]
    return (
        "The variance explained is given as marginal R², for the fixed effects alone, and "
        f"conditional R², for the fixed and random effects together ({cite.cite(*sources)})."
    )


def missing_sentence(fit: Any) -> str:
    if not fit.n_dropped:
        return "No observations had missing values on the model's variables."
    total = fit.nobs + fit.n_dropped
    by_variable = [
        f"{fmt.integer(n)} on {name}" for name, n in fit.dropped_by_variable.items() if n
    ]
    detail = f" ({fmt.join_words(by_variable)})" if by_variable else ""
    return (
        f"Of the {fmt.integer(total)} rows, {fmt.integer(fit.n_dropped)} with a missing "
        f"value{detail} {'was' if fit.n_dropped == 1 else 'were'} excluded; the model used "
        f"the remaining {fmt.plural(fit.nobs, 'observation')}, including every complete "
        "observation of units with some missing data."
    )


def _first_fit_problems(check: Any) -> list[str]:
    problems = []
    if not check.converged:
        problems.append("the optimizer did not report convergence")
    if check.detail.get("gradient_ok") is False:
        problems.append("the scaled gradient at the optimum exceeded lme4's tolerance")
    if check.detail.get("hessian_ok") is False:
        problems.append("the curvature at the optimum was not clearly positive")
    if check.singular:
        problems.append("a variance parameter was estimated on its boundary (a singular fit)")
    return problems


def _optimizer_name(name: str) -> str:
    return OPTIMIZER_NAMES.get(name, (name, name, None))[0]


def _simplification_words(step: Any) -> str:
    """``without the correlation (`y ~ x + (1 + x || g)`), χ²(1) = 0.31, p = .579``; a
    dropped slope is tested on the boundary (the 50:50 χ² mixture's p)."""
    what, _, where = str(step.detail.get("change", "")).partition(":")
    column = where.partition("|")[0]
    label = "without the correlation" if what == "uncorrelated" else (
        f"without the random slope of {column}"
    )
    p = step.lrt_p_boundary if step.kind == "drop_slope" else step.lrt_p
    return (
        f"{label} ({code(step.formula)}), χ²({fmt.integer(step.lrt_df)}) = "
        f"{fmt.statistic(step.lrt_chisq)}, {fmt.p_value(p)}"
    )


def _remedy_sentences(audit: Any, fit: Any) -> list[str]:
    """What the convergence ladder tried, one sentence per kind of remedy."""
    sentences = []
    optimizers = []
    agree = False
    simpler = []
    for step in audit.steps[1:]:
        if step.decision == "failed":
            continue
        if step.kind == "iteration_limit":
            sentences.append(
                "Refitted without the iteration limit, the optimizer converged."
                if step.decision == "kept"
                else "Even without the iteration limit the optimizer did not converge."
            )
        elif step.kind == "center_scale":
            columns = fmt.join_words(list(step.detail.get("columns", {})))
            sentences.append(
                f"Centring and scaling {columns} removed the problem; the model is reported "
                "on the original scale."
                if step.decision == "kept"
                else f"Centring and scaling {columns} did not remove the problem, so the "
                "original scale was kept."
            )
        elif step.kind == "optimizer":
            optimizers.append(_optimizer_name(str(step.detail.get("optimizer", step.optimizer))))
            agree = agree or bool(step.detail.get("optima_agree"))
        elif step.kind in ("uncorrelated", "drop_slope"):
            simpler.append(_simplification_words(step))
    if optimizers:
        outcome = (
            "reached the same optimum, so the estimates do not depend on the optimizer"
            if agree
            else f"reached different optima; the estimates reported are those of "
            f"{_optimizer_name(fit.optimizer)}"
        )
        sentences.insert(
            0, f"Refitting with {fmt.join_words(optimizers)} {outcome}."
        )
    if simpler:
        sentences.append(
            "Simpler random-effects structures were tested against it by likelihood ratio "
            f"tests: {'; '.join(simpler)}."
        )
    return sentences


def convergence_sentences(model: Any) -> list[str]:
    """What happened at the optimum, and what was done about it in the session (the
    convergence ladder's audit, when it ran)."""
    fit, audit = model.fit, model.audit
    sentences = []
    if audit is not None and audit.steps and audit.steps[0].kind == "check_optimum":
        problems = _first_fit_problems(audit.steps[0])
        if problems:
            sentences.append(f"In the first fit, {fmt.join_words(problems)}.")
        sentences += _remedy_sentences(audit, fit)
        if fit.optimizer != audit.steps[0].optimizer:
            sentences.append(
                f"The estimates reported are from the fit with {_optimizer_name(fit.optimizer)}."
            )
    status = "converged" if fit.converged else (
        f"did not report convergence ({fit.opt.return_code}), so the estimates should be "
        "read with caution"
    )
    if fit.singular:
        where = boundary_components(fit)
        detail = f" ({fmt.join_words(where)})" if where else ""
        sentences.append(
            f"The optimizer {status}, but the reported fit is singular{detail}: the data do "
            "not support the full random-effects structure, which was kept as specified."
        )
    else:
        sentences.append(f"The optimizer {status} and the fit was not singular.")
    return sentences


def comparison_method_sentence(result: PaperWriteUp) -> str | None:
    comparison = result.comparison
    if comparison is None or "LRT" not in comparison.criteria:
        return None
    c = comparison.comparison
    if c.refitted_with_ml:
        how = (
            "after refitting them by maximum likelihood, because REML likelihoods of models "
            "with different fixed effects cannot be compared"
            if c.refit_reason == "fixed_effects_differ"
            else "after refitting them by maximum likelihood"
        )
    elif c.criterion == "REML":
        how = (
            "on their REML likelihoods, which are comparable because the models share "
            "their fixed effects"
        )
    else:
        how = "on their ML likelihoods"
    return f"Nested models were compared with likelihood ratio tests {how}."


def methods_paragraph(result: PaperWriteUp, cite: Citations) -> str:
    model = result.model
    fit = model.fit
    sentences = [
        model_sentence(fit),
        preprocessing_sentence(fit),
        estimation_sentence(fit, cite),
        software_sentence(cite),
        tests_sentence(fit, cite),
        variance_method_sentence(fit, cite),
        comparison_method_sentence(result),
        missing_sentence(fit),
        *convergence_sentences(model),
    ]
    return " ".join(s for s in sentences if s)


# ------------------------------------------------------------------ results
def _group_plural(group: str) -> str | None:
    """``patients`` for the grouping factor ``patient``, ``batches`` for ``batch``; None
    for a name that is not a plain word (``cask:batch``, ``school_id``), which reads as
    ``levels of ...``, and for one that is already plural."""
    if not group.isalpha() or group.endswith("s"):
        return None
    if group.endswith(("ch", "sh", "x", "z")):
        return group + "es"
    if group.endswith("y") and group[-2:-1].lower() not in set("aeiou"):
        return group[:-1] + "ies"
    return group + "s"


def _groups_words(fit: Any, group: str, count: int) -> str:
    """``18 Subjects`` for a plain name, ``60 levels of cask within batch`` otherwise."""
    plural = _group_plural(group)
    if plural is not None:
        return fmt.plural(count, group, plural)
    return f"{fmt.integer(count)} levels of {group_words(group, set(fit.ngroups))}"


def sample_sentence(fit: Any) -> str:
    pieces = []
    for group, count in fit.ngroups.items():
        words = _groups_words(fit, group, count)
        size = fit.group_size_range(group)
        if size is not None:
            low, middle, high = size
            per = (
                f"{fmt.integer(low)} observations each" if low == high
                else f"{fmt.integer(low)} to {fmt.integer(high)} observations each, median "
                f"{fmt.degrees_of_freedom(middle)}"
            )
            words += f" ({per})"
        pieces.append(words)
    return (
        f"The analysis included {fmt.plural(fit.nobs, 'observation')} from "
        f"{fmt.join_words(pieces)}."
    )


def apa_statistics(fe: Any, fit: Any) -> str:
    """``b = 10.5, SE = 1.5, t(17.0) = 6.77, p < .001, 95% CI [7.2, 13.7]``."""
    level = fmt.level_percent(confidence_level(fit))
    return (
        f"b = {fmt.estimate(fe.estimate, fe.se)}, SE = {fmt.estimate(fe.se, fe.se)}, "
        f"{test_words(fe, fit)}, {level} CI "
        f"{fmt.bracketed_interval(fe.ci_lower, fe.ci_upper, fe.se)}"
    )


def _codes_every_level(part: Any, fit: Any) -> bool:
    """True when every level of the part's factor has its own coefficient (a model without
    a fixed intercept): each is then a level's expected value, not a difference."""
    column = column_of(part.variable)
    if fit.model_formula.intercept or column not in fit.data.columns:
        return False
    coded = [
        p for fe in fit.fixed_effects
        for p in [split_term(fe.term)] if len(p) == 1 and p[0].variable == part.variable
    ]
    return len(coded) == fit.data[column].nunique(dropna=True)


def effect_label(fe: Any, fit: Any) -> str:
    """What a coefficient is, for the sentence that reports it: ``the Days slope``, ``the
    difference treated vs control``, ``the time × treatment interaction (the difference
    in the time slope, treated vs control)``."""
    parts = split_term(fe.term)
    if len(parts) == 1 and parts[0].level is None:
        if (squared := squared_variable(fe.term)) is not None:
            return f"the {squared} squared term"
        if (poly := polynomial_words(fe.term)) is not None:
            return poly
        if (scaled := scaled_variable(fe.term)) is not None:
            return f"the slope per standard deviation of {scaled}"
        return f"the {readable_term(fe.term)} slope"
    if len(parts) == 1 and _codes_every_level(parts[0], fit):
        # without a fixed intercept the first factor gets one mean per level
        return (
            f"the expected {fit.response_name} for {column_of(parts[0].variable)} = "
            f"{parts[0].level}"
        )
    if len(parts) == 1:
        return f"the difference {contrast_words(parts[0], fit.data)}"
    names = " × ".join(readable_term(column_of(p.variable)) for p in parts)
    levels = [p for p in parts if p.level is not None]
    slopes = [p for p in parts if p.level is None]
    if not levels:
        return f"the {names} interaction"
    contrasts = fmt.join_words([contrast_words(p, fit.data) for p in levels])
    if len(slopes) == 1:
        slope = readable_term(slopes[0].variable)
        return f"the {names} interaction (the difference in the {slope} slope, {contrasts})"
    return f"the {names} interaction ({contrasts})"


def fixed_effect_sentences(fit: Any) -> list[str]:
    sentences = []
    for fe in fit.fixed_effects:
        if fe.term in INTERCEPT_NAMES and len(fit.fixed_effects) == 1:
            sentences.append(
                f"The overall mean {fit.response_name} was {apa_statistics(fe, fit)}."
            )
        elif fe.term in INTERCEPT_NAMES:
            sentences.append(
                f"The intercept, the expected {fit.response_name} with {reference_point(fit)}, "
                f"was {apa_statistics(fe, fit)}."
            )
        else:
            label = effect_label(fe, fit)
            sentences.append(f"For {label}, {apa_statistics(fe, fit)}.")
    squared = [v for fe in fit.fixed_effects if (v := squared_variable(fe.term)) is not None]
    for variable in squared:
        sentences.append(
            f"With the squared term, the {variable} slope is the slope at {variable} = 0."
        )
    if any(len(split_term(fe.term)) > 1 for fe in fit.fixed_effects):
        sentences.append(
            "Because the model includes interactions, each lower-order coefficient is the "
            "effect where the variables it interacts with are zero or at their reference level."
        )
    return sentences


def _group_label(fit: Any, group: str) -> str:
    """``Subject``; ``cask within batch`` for lme4's nested ``cask:batch``."""
    return group_words(group_name(group), set(fit.ngroups))


def _component_words(fit: Any, vc: Any) -> str:
    group = _group_label(fit, vc.group)
    what = "intercepts" if vc.var1 in INTERCEPT_NAMES else f"{vc.var1} slopes"
    return (
        f"SD = {fmt.number(vc.sdcor)} (variance {fmt.number(vc.vcov)}) for the {group} {what}"
    )


def random_effects_sentence(fit: Any) -> str:
    spreads = [
        _component_words(fit, vc) for vc in fit.variance_components
        if vc.var2 is None and not is_residual(vc)
    ]
    correlations = [
        f"r = {fmt.bounded(vc.sdcor)} between the {_group_label(fit, vc.group)} "
        f"{'intercepts' if vc.var1 in INTERCEPT_NAMES else vc.var1 + ' slopes'} and "
        f"{'intercepts' if vc.var2 in INTERCEPT_NAMES else vc.var2 + ' slopes'}"
        for vc in fit.variance_components if vc.var2 is not None
    ]
    residual = next(vc for vc in fit.variance_components if is_residual(vc))
    text = f"The random effects had {fmt.join_words(spreads)}"
    if correlations:
        text += f", with a correlation of {fmt.join_words(correlations)}"
    return (
        f"{text}; the residual SD was {fmt.number(residual.sdcor)} (variance "
        f"{fmt.number(residual.vcov)})."
    )


def icc_sentence(fit: Any, variance: Any, cite: Citations) -> str:
    """The ICC where one number describes the model; else why not, and what instead."""
    if not fit.model_formula.intercept:
        return (
            "No ICC or R² is reported: without a fixed intercept the random intercepts also "
            f"carry the overall level of {fit.response_name}."
        )
    if fit.icc is not None and fmt.is_number(fit.icc):
        group = next(iter(fit.ngroups))
        between = _group_plural(group) or f"levels of {group}"
        return (
            f"The intraclass correlation was ICC = {fmt.bounded(fit.icc)}: "
            f"{fmt.percent(fit.icc)} of the variance not explained by the fixed effects lay "
            f"between {between}."
        )
    adjusted = getattr(variance, "icc_adjusted", None)
    if has_random_slope(fit):
        slopes = sorted({t.label for rt in fit.model_formula.random_terms for t in rt.terms})
        text = (
            "No single ICC is reported: with a random slope the share of variance between "
            f"clusters changes with {fmt.join_words(slopes)}"
        )
        if fmt.is_number(adjusted):
            text += (
                "; the adjusted ICC, which averages the random-effect variance over the "
                f"observed data, was {fmt.bounded(adjusted)} ({cite.cite('nakagawa2017')})"
            )
        return text + "."
    shares = getattr(variance, "group_shares", ())
    text = "No single ICC is reported: each grouping factor has its own share of the variance"
    if shares:
        parts = [f"{_group_label(fit, s.group)} {fmt.percent(s.variance_share)}" for s in shares]
        text += (
            f" not explained by the fixed effects ({fmt.join_words(parts)}, residual "
            f"{fmt.percent(variance.residual_share)})"
        )
    if fmt.is_number(adjusted):
        text += (
            f"; the adjusted ICC, for observations sharing every grouping factor, was "
            f"{fmt.bounded(adjusted)} ({cite.cite('nakagawa2013')})"
        )
    return text + "."


def r2_sentence(fit: Any, variance: Any, cite: Citations) -> str | None:
    marginal = getattr(variance, "r2_marginal", None)
    conditional = getattr(variance, "r2_conditional", None)
    if not (fmt.is_number(marginal) and fmt.is_number(conditional)):
        return None
    if not fit.model_formula.intercept:
        return None  # said with the ICC: the variance parts do not separate then
    sources = ["nakagawa2013", "nakagawa2017"] if has_random_slope(fit) else ["nakagawa2013"]
    if getattr(variance, "var_fixed", None) == 0:
        return (
            "With the intercept as the only fixed effect, marginal R² is 0 by construction; "
            f"the random effects explained {fmt.percent(conditional)} of the variance "
            f"(conditional R² = {fmt.bounded(conditional)}; {cite.cite(*sources)})."
        )
    return (
        f"The fixed effects explained {fmt.percent(marginal)} of the variance (marginal "
        f"R² = {fmt.bounded(marginal)}) and the fixed and random effects together "
        f"{fmt.percent(conditional)} (conditional R² = {fmt.bounded(conditional)}; "
        f"{cite.cite(*sources)})."
    )


def _model_words(model: Any) -> str:
    return f"{code(model.fit.formula)}"


def comparison_sentences(result: PaperWriteUp, cite: Citations) -> list[str]:
    """Each likelihood ratio test of the session's comparison: χ²(df) = …, p …, with the
    boundary-corrected p (a 50:50 χ² mixture) when a variance was tested at zero."""
    comparison = result.comparison
    if comparison is None or "LRT" not in comparison.criteria:
        return []
    c = comparison.comparison
    if not c.lrt_valid:
        return []
    records = c.table.to_dict(orient="records")
    pairs = [
        (comparison.models[i - 1], comparison.models[i], records[i])
        for i in range(1, len(records))
    ]
    pairs += [
        (small, large, pair.table.to_dict(orient="records")[1])
        for small, large, pair in comparison.pairwise
    ]
    sentences = []
    for small, large, rec in pairs:
        if not fmt.is_number(rec["Df"]) or rec["Df"] <= 0:
            continue
        text = (
            f"Compared with {_model_words(small)}, the model {_model_words(large)} had "
            f"χ²({fmt.integer(rec['Df'])}) = {fmt.statistic(rec['Chisq'])}, "
            f"{fmt.p_value(rec['p'])}"
        )
        if fmt.is_number(rec.get("p_boundary")):
            text += (
                f" ({fmt.p_value(rec['p_boundary'])} with the boundary correction for a "
                f"variance tested at zero; {cite.cite('stram_lee')})"
            )
        by_row = {m.number: r for m, r in zip(comparison.models, records, strict=True)}
        aic = [by_row.get(m.number, {}).get("AIC") for m in (small, large)]
        if all(fmt.is_number(a) for a in aic):
            text += f"; AIC {fmt.number(aic[1])} against {fmt.number(aic[0])}"
        sentences.append(text + ".")
    return sentences


def results_paragraph(result: PaperWriteUp, cite: Citations) -> str:
    fit = result.model.fit
    sentences = [
        sample_sentence(fit),
        *fixed_effect_sentences(fit),
        random_effects_sentence(fit),
        icc_sentence(fit, result.variance, cite),
        r2_sentence(fit, result.variance, cite),
        *comparison_sentences(result, cite),
    ]
    return " ".join(s for s in sentences if s)


# ------------------------------------------------------------------ notes
def author_notes(result: PaperWriteUp) -> list[str]:
    """What the author should know before using the text: a simpler model the convergence
    checks ended with, a singular fit, columns lme4 would drop or warn about."""
    model = result.model
    fit, audit = model.fit, model.audit
    notes = []
    if audit is not None and audit.final_formula != audit.requested_formula:
        notes.append(
            f"The convergence checks ended with the simpler {code(audit.final_formula)}; "
            "reviewers may prefer it. To write it up instead, fit it "
            f"({code('LMM: ' + audit.final_formula)}) and ask for the write-up again."
        )
    elif fit.singular:
        notes.append(
            "The fit is singular: consider a simpler random-effects structure (`remove the "
            "random slope`, `make the random effects uncorrelated`), compare the models, and "
            "write up the one you keep."
        )
    aliased = list(getattr(fit, "aliased", []) or [])
    if aliased:
        notes.append(
            f"{fmt.join_words([code(a) for a in aliased])} could not be estimated (a constant "
            "or a combination of other columns) and is left out of the text: say so in the "
            "methods."
        )
    scaled = list(getattr(fit, "poorly_scaled", []) or [])
    if scaled:
        notes.append(
            f"{fmt.join_words([code(c) for c in scaled])} {'is' if len(scaled) == 1 else 'are'} "
            "on a very different scale from the other predictors; rescaled predictors "
            "(`standardize ...`) give more readable coefficients."
        )
    notes.append(
        "This is a draft built from the model's own numbers: check that the words fit your "
        "design (units, what the groups are) before you use it."
    )
    return notes


# ------------------------------------------------------------------ blocks
def writeup_blocks(result: PaperWriteUp) -> list[Block]:
    """The paragraphs asked for, then the references they cite; part "table": the results
    table for a paper (assistant.narrate.paper_table)."""
    if result.part == "table":
        from assistant.narrate.paper_table import paper_table_blocks

        return paper_table_blocks(result)
    cite = Citations()
    blocks: list[Block] = [
        Heading(f"Write-up of {result.model.title}, APA style")
    ]
    if result.part in (None, "methods"):
        blocks += [Heading("Methods"), Paragraph(methods_paragraph(result, cite))]
    if result.part in (None, "results"):
        blocks += [Heading("Results"), Paragraph(results_paragraph(result, cite))]
    blocks += [Heading("References"), Bullets(tuple(cite.reference_list()))]
    blocks += [Heading("Before you use it"), Bullets(tuple(author_notes(result)))]
    return blocks
