"""Narration of a fitted linear mixed model (an engine ``LmmFit``).

What was fitted, on how much data, each fixed effect in a sentence with its interval
and test, the variance components, the ICC and what it means, and any trouble the
fit had with the next thing to try. Every number is formatted by
:mod:`assistant.narrate.numbers` from the fit's own fields.
"""

from __future__ import annotations

import math
import re
from typing import Any

import pandas as pd

from assistant.narrate import numbers as fmt
from assistant.narrate.blocks import Block, Bullets, Detail, Heading, Paragraph, code, table
from assistant.narrate.changes import NULL_MODEL_WORDS, centring_blocks, change_words
from assistant.narrate.convergence import centred_search_blocks, hessian_blocks
from assistant.narrate.terms import (
    INTERCEPT_NAMES,
    coefficient_words,
    column_of,
    contrast_words,
    per_unit,
    reference_level,
    scaled_variable,
    split_term,
    squared_variable,
)
from assistant.narrate.variance import (
    group_name,
    has_random_slope,
    icc_blocks,
    is_residual,
    plural_term,
    variance_explained_sentence,
    variance_sentence,
    variance_table,
)
from engine.data import MIN_CLUSTER_LEVELS
from engine.design import far_from_zero_groups
from engine.lmm import hessian_warning

#: A variance this small relative to the residual variance counts as zero (lme4's
#: singularity check looks at theta on the boundary; this mirrors it for wording).
NEAR_ZERO_SD_RATIO = 1e-4
NEAR_ONE_CORRELATION = 0.999

METHOD_WORDS = {
    "REML": "restricted maximum likelihood (REML)",
    "ML": "maximum likelihood (ML)",
}
DDF_WORDS = {
    "satterthwaite": "Satterthwaite degrees of freedom",
    "kenward-roger": "Kenward-Roger degrees of freedom and adjusted standard errors",
    "residual": "residual degrees of freedom (observations minus fixed effects)",
    "asymptotic": "large-sample z tests (no small-sample correction)",
}


# ------------------------------------------------------------- the structure
def group_words(label: str, labels: set[str]) -> str:
    """``cask within batch`` for lme4's nested ``cask:batch``; ``a and b`` for a crossing."""
    parts = label.split(":")
    if len(parts) == 2 and parts[1] in labels:
        return f"{parts[0]} within {parts[1]}"
    if len(parts) > 1:
        return "combination of " + fmt.join_words(parts)
    return label


def random_structure_words(fit: Any) -> str:
    """``a random intercept and a random slope for time for each Subject (correlated)``."""
    mf = fit.model_formula
    by_group: dict[str, list[Any]] = {}
    for rt in mf.random_terms:
        by_group.setdefault(rt.group_label, []).append(rt)
    labels = set(by_group)
    phrases = []
    for group, terms in by_group.items():
        intercept = any(rt.intercept for rt in terms)
        slopes = [t.label for rt in terms for t in rt.terms]
        pieces = []
        if intercept:
            pieces.append("a random intercept")
        if slopes:
            noun = "a random slope" if len(slopes) == 1 else "random slopes"
            pieces.append(f"{noun} for {fmt.join_words(slopes)}")
        text = f"{' and '.join(pieces)} for each {group_words(group, labels)}"
        if intercept and slopes:
            correlated = len(terms) == 1 and not terms[0].from_double_bar
            text += " (correlated)" if correlated else " (uncorrelated)"
        phrases.append(text)
    return fmt.join_words(phrases)


def fit_heading(model: Any) -> str:
    return f"{model.title}: {code(model.fit.formula)}"


def ddf_words(method: str) -> str:
    """A df method in words ("Satterthwaite degrees of freedom")."""
    return DDF_WORDS.get(method, f"{method} degrees of freedom")


def ddf_phrase(fit: Any) -> str:
    """The fit's df method in words, and why the one the session asked for was not used
    (``LmmFit.ddf_unavailable``)."""
    words = ddf_words(fit.ddf_method)
    reason = getattr(fit, "ddf_unavailable", None)
    return f"{words} ({reason}, so these are used instead)" if reason else words


def method_sentence(fit: Any) -> str:
    method = METHOD_WORDS.get(fit.method, fit.method)
    structure = random_structure_words(fit)
    return f"Fitted by {method}, with {ddf_phrase(fit)}; the model has {structure}."


def group_size_sentence(fit: Any) -> str:
    """Observations, groups, observations per group and rows dropped."""
    pieces = []
    labels = set(fit.ngroups)
    for group, count in fit.ngroups.items():
        size_range = fit.group_size_range(group)
        if size_range is not None:
            low, mid, high = size_range
            spread = (
                f"{fmt.integer(low)} each"
                if low == high
                else f"{fmt.integer(low)} to {fmt.integer(high)} each, median "
                f"{fmt.degrees_of_freedom(mid)}"
            )
            pieces.append(f"{fmt.integer(count)} levels of {group_words(group, labels)} ({spread})")
        else:
            pieces.append(f"{fmt.integer(count)} levels of {group_words(group, labels)}")
    text = f"It uses {fmt.plural(fit.nobs, 'observation')} in {fmt.join_words(pieces)}."
    if fit.n_dropped:
        by_var = [
            f"{fmt.integer(n)} missing {var}" for var, n in fit.dropped_by_variable.items() if n
        ]
        detail = f" ({fmt.join_words(by_var)})" if by_var else ""
        text += (
            f" {fmt.plural(fit.n_dropped, 'row')} with missing values "
            f"{'was' if fit.n_dropped == 1 else 'were'} left out{detail}; "
            f"every other observation of those {_units_of(fit)} is still used."
        )
    else:
        text += " No rows were dropped for missing values."
    return text


def _units_of(fit: Any) -> str:
    """What a row with a missing value belonged to: "subjects" with one grouping factor,
    "levels of rater and item" with crossed or nested factors."""
    groups = [g for g in fit.ngroups if ":" not in g]
    return "subjects" if len(groups) < 2 else f"levels of {fmt.join_words(groups)}"


# --------------------------------------------------------------- fixed effects
def confidence_level(fit: Any) -> float:
    level = getattr(fit, "level", 0.95)
    return float(level) if fmt.is_number(level) else 0.95


def test_words(fe: Any, fit: Any) -> str:
    """``t(236.4) = −8.12, p < .001`` or ``z = −8.12, p < .001`` without a df."""
    df = fe.df
    if fit.ddf_method == "asymptotic" or not fmt.is_number(df) or math.isinf(float(df)):
        stat = f"z = {fmt.statistic(fe.t)}"
    else:
        stat = f"t({fmt.degrees_of_freedom(df)}) = {fmt.statistic(fe.t)}"
    return f"{stat}, {fmt.p_value(fe.p)}"


def interval_words(fe: Any, level: float) -> str:
    return f"{fmt.level_percent(level)} CI {fmt.interval(fe.ci_lower, fe.ci_upper, fe.se)}"


def _includes_zero(fe: Any) -> bool:
    return (
        fmt.is_number(fe.ci_lower)
        and fmt.is_number(fe.ci_upper)
        and fe.ci_lower <= 0 <= fe.ci_upper
    )


def fixed_effect_sentence(fe: Any, fit: Any) -> str:
    """One fixed effect in words, with its interval and test."""
    response = fit.response_name
    level = confidence_level(fit)
    bracket = f"({interval_words(fe, level)}; {test_words(fe, fit)})"
    if fe.term in INTERCEPT_NAMES and len(fit.fixed_effects) == 1:
        return (
            f"The average {response} is {fmt.estimate(fe.estimate, fe.se)} "
            f"({interval_words(fe, level)})."
        )
    if fe.term in INTERCEPT_NAMES:
        return (
            f"At the reference point ({reference_point(fit)}) the expected {response} is "
            f"{fmt.estimate(fe.estimate, fe.se)} ({interval_words(fe, level)})."
        )
    parts = split_term(fe.term)
    size = fmt.magnitude(fe.estimate, fe.se)
    up = fe.estimate >= 0
    squared = squared_variable(fe.term)
    curved = {squared_variable(other.term) for other in fit.fixed_effects}
    if squared is not None:
        text = (
            f"The {squared} squared term is {fmt.estimate(fe.estimate, fe.se)} {bracket}: "
            f"the {response} curve over {squared} bends {'upward' if up else 'downward'} "
            f"(its {squared} slope {'grows' if up else 'falls'} as {squared} increases)."
        )
    elif len(parts) == 1 and parts[0].level is None and parts[0].variable in curved:
        variable = parts[0].variable
        verb = "rising" if up else "falling"
        text = (
            f"At {variable} = 0 {response} was {verb} by {size} {per_unit(variable)} "
            f"{bracket}; with the squared term the slope changes with {variable}."
        )
    elif len(parts) == 1 and parts[0].level is None and parts[0].variable in fit.data.columns:
        verb = "rose" if up else "fell"
        text = f"{response} {verb} by {size} {per_unit(parts[0].variable)} {bracket}."
    elif len(parts) == 1 and (scaled := scaled_variable(fe.term)) is not None:
        verb = "rose" if up else "fell"
        text = (
            f"{response} {verb} by {size} per standard deviation of {scaled} {bracket}."
        )
    elif len(parts) == 1 and parts[0].level is not None:
        direction = "higher" if up else "lower"
        text = (
            f"{response} was {size} {direction} for {contrast_words(parts[0], fit.data)} {bracket}."
        )
    elif len(parts) == 2 and sum(p.level is not None for p in parts) == 1:
        slope = next(p for p in parts if p.level is None)
        factor = next(p for p in parts if p.level is not None)
        direction = "higher" if up else "lower"
        text = (
            f"The {slope.variable} slope of {response} was {size} {direction} for "
            f"{contrast_words(factor, fit.data)} {bracket}."
        )
    elif (
        len(parts) == 2
        and all(p.level is None and p.variable in fit.data.columns for p in parts)
    ):
        direction = "higher" if up else "lower"
        text = (
            f"The {parts[0].variable} slope of {response} was {size} {direction} "
            f"{per_unit(parts[1].variable)} {bracket}."
        )
    elif len(parts) == 2 and all(p.level is not None for p in parts):
        # a factor-by-factor interaction: how the second contrast changes with the first
        direction = "higher" if up else "lower"
        text = (
            f"The {contrast_words(parts[1], fit.data)} difference in {response} was {size} "
            f"{direction} for {_level_words(parts[0], fit)} than for "
            f"{_level_words(parts[0], fit, reference=True)} {bracket}."
        )
    elif (words := coefficient_words(fe.term)) is not None:
        subject, caveat = words
        text = f"{subject} is {fmt.estimate(fe.estimate, fe.se)} {bracket}.{caveat}"
    else:
        text = f"{fe.term}: estimate {fmt.estimate(fe.estimate, fe.se)} {bracket}."
    if len(parts) == 1 and squared is None and _first_of_its_variable(fe, fit):
        text += _interaction_caveat(parts[0], fit)
    if _includes_zero(fe):
        text += " The interval includes zero, so the data are consistent with no effect."
    return text


def _outside_words(fit: Any, column: str) -> str:
    """``school_size = 0 lies outside the data (203 to 1,194)`` when 0 is outside the
    column's range in the model frame, else empty."""
    if column not in fit.data.columns:
        return ""
    values = fit.data[column]
    if not pd.api.types.is_numeric_dtype(values) or values.empty:
        return ""
    low, high = float(values.min()), float(values.max())
    if low <= 0 <= high:
        return ""
    return f"{column} = 0 lies outside the data ({fmt.value_range(low, high)})"


def _first_of_its_variable(fe: Any, fit: Any) -> bool:
    """True for the first main-effect coefficient of a variable (``time 1 vs 0`` of a
    factor's three contrasts), so a caveat about all of them is said once."""
    variable = column_of(split_term(fe.term)[0].variable)
    for other in fit.fixed_effects:
        pieces = split_term(other.term)
        if len(pieces) == 1 and column_of(pieces[0].variable) == variable:
            return other is fe
    return True


def _interaction_caveat(part: Any, fit: Any) -> str:
    """A main effect in a model where its variable also enters an interaction is the effect
    at the partners' reference point (level or zero), not an average: say so."""
    variable = column_of(part.variable)
    partners: dict[str, str] = {}
    outside: list[str] = []
    for other in fit.fixed_effects:
        pieces = split_term(other.term)
        if len(pieces) < 2 or variable not in {column_of(p.variable) for p in pieces}:
            continue
        for piece in pieces:
            column = column_of(piece.variable)
            if column == variable or column in partners:
                continue
            if piece.level is None:
                partners[column] = f"{column} = 0"
                outside.append(_outside_words(fit, column))
            else:
                ref = reference_level(fit.data, piece.variable)
                known = ref is not None
                partners[column] = f"{column} = {ref}" if known else f"the reference {column}"
    if not partners:
        return ""
    levels = sum(
        len(p) == 1 and column_of(p[0].variable) == variable
        for p in (split_term(other.term) for other in fit.fixed_effects)
    )
    kind = "slope" if part.level is None else "difference"
    if levels < 2:
        subject, average = f"this is the {kind}", "an average effect"
    else:
        subject, average = f"these {levels} differences are", "average effects"
    text = (
        f" Because {variable} interacts with {fmt.join_words(list(partners))}, {subject} "
        f"at {fmt.join_words(list(partners.values()))} only, not {average}"
    )
    outside = [words for words in outside if words]
    return text + (f"; {fmt.join_words(outside)}." if outside else ".")


def _level_words(part: Any, fit: Any, reference: bool = False) -> str:
    """``time 3`` for a number (bare numbers say nothing alone), else the level itself;
    ``reference`` gives the factor's reference level instead."""
    level = reference_level(fit.data, part.variable) if reference else part.level
    if level is None:
        return f"{column_of(part.variable)} other than {part.level}"
    if re.fullmatch(r"-?\d+(\.\d+)?", str(level)):
        return f"{column_of(part.variable)} {level}"
    return str(level)


def reference_point(fit: Any) -> str:
    """Where the intercept is the expected outcome: ``Days = 0``, ``treatment = control``."""
    names = []
    for fe in fit.fixed_effects:
        for part in split_term(fe.term):
            if part.level is None and part.variable in fit.data.columns:
                names.append(f"{part.variable} = 0")
            elif part.level is None and (scaled := scaled_variable(part.variable)):
                names.append(f"{scaled} at its mean")
            elif part.level is not None:
                ref = contrast_words(part, fit.data).split(" vs ")[-1]
                names.append(f"{column_of(part.variable)} = {ref}")
    unique = list(dict.fromkeys(names))
    return fmt.join_words(unique) if unique else "all predictors at zero"


def fixed_effects_table(fit: Any, terms: Any = None) -> Any:
    """The coefficient table; ``terms`` keeps only those coefficients (None: all)."""
    level = fmt.level_percent(confidence_level(fit))
    stat = "z" if fit.ddf_method == "asymptotic" else "t"
    rows = []
    for fe in fit.fixed_effects:
        if terms is not None and fe.term not in terms:
            continue
        rows.append(
            [
                fe.term,
                fmt.estimate(fe.estimate, fe.se),
                fmt.estimate(fe.se, fe.se),
                fmt.estimate(fe.ci_lower, fe.se),
                fmt.estimate(fe.ci_upper, fe.se),
                fmt.degrees_of_freedom(fe.df),
                fmt.statistic(fe.t),
                fmt.p_cell(fe.p),
            ]
        )
    return table(
        ["Term", "Estimate", "SE", f"{level} lower", f"{level} upper", "df", stat, "p"],
        rows,
        "lrrrrrrr",
        caption="Fixed effects",
    )


_LOG_CALL = re.compile(r"^log\((?P<inner>[^,()]+)\)$")


def log_outcome_sentence(fit: Any) -> str | None:
    """How effects on a natural-log outcome read on the outcome's own scale (a difference
    b in log(y) is a ratio e^b in y); None for any other outcome."""
    match = _LOG_CALL.match(str(fit.response_name))
    if not match:
        return None
    inner = match.group("inner").strip().strip("`")
    return (
        f"The outcome is log({inner}) (natural log), so these effects are on the log scale: "
        f"a difference b multiplies the geometric mean of {inner} by e^b (a change of "
        "about 100·b% when b is small)."
    )


def fixed_effects_blocks(fit: Any, detailed: bool) -> list[Block]:
    sentences = [fixed_effect_sentence(fe, fit) for fe in fit.fixed_effects]
    blocks: list[Block] = [Bullets(tuple(sentences))]
    log_scale = log_outcome_sentence(fit)
    if log_scale and len(fit.fixed_effects) > 1:
        blocks.append(Paragraph(log_scale))
    blocks.append(Detail((fixed_effects_table(fit),)))
    return blocks


# -------------------------------------------------------------------- trouble
def boundary_components(fit: Any) -> list[str]:
    """Variance components at the boundary: zero variances and correlations of ±1."""
    sigma = float(fit.sigma) if fmt.is_number(fit.sigma) else 1.0
    found = []
    for vc in fit.variance_components:
        if is_residual(vc):
            continue
        if vc.var2 is None and abs(vc.sdcor) <= NEAR_ZERO_SD_RATIO * max(sigma, 1e-12):
            found.append(
                f"the {group_name(vc.group)} {_term_words(vc.var1)} variance is estimated as zero"
            )
        elif vc.var2 is not None and fmt.is_number(vc.sdcor):
            if abs(vc.sdcor) >= NEAR_ONE_CORRELATION:
                found.append(
                    f"the correlation between the {group_name(vc.group)} "
                    f"{plural_term(vc.var1)} and {plural_term(vc.var2)} is "
                    f"{fmt.proportion(vc.sdcor)}"
                )
    return found


def _term_words(var1: str | None) -> str:
    return "intercept" if var1 in INTERCEPT_NAMES else f"{var1} slope"


def trouble_blocks(fit: Any, ladder_ran: bool = False) -> list[Block]:
    """Singular fits and convergence problems in plain words, with the next step
    (``ladder_ran``: the convergence ladder's account follows)."""
    blocks: list[Block] = []
    if fit.singular:
        where = boundary_components(fit)
        what = f" ({fmt.join_words(where)})" if where else ""
        advice = (
            "remove the random slope or its correlation (`remove the random slope`, "
            "`make the random effects uncorrelated`) and compare the two models"
            if has_random_slope(fit)
            else "drop the random term whose variance is zero; the model without it "
            "describes the data as well"
        )
        blocks.append(
            Paragraph(
                f"**The fit is singular**{what}: the data cannot support the full "
                f"random-effects structure. Next, {advice}."
            )
        )
    if not fit.converged:
        opt = getattr(fit, "opt", None)
        record = ""
        if opt is not None:
            record = (
                f" ({opt.optimizer} stopped with '{opt.return_code}' after "
                f"{fmt.integer(opt.evaluations)} evaluations)"
            )
        blocks.append(
            Paragraph(
                f"**The optimizer did not converge**{record}: the estimates may not be the "
                "best ones. Next, try `fix convergence`, centre and scale the predictors, "
                "or simplify the random effects."
            )
        )
    blocks.extend(hessian_blocks(fit, ladder_ran))
    blocks.extend(centred_search_blocks(fit))
    aliased = list(getattr(fit, "aliased", []) or [])
    data = getattr(fit, "data", None)
    constant = [
        a for a in aliased
        if data is not None and a in data.columns and data[a].nunique(dropna=True) <= 1
    ]
    combined = [a for a in aliased if a not in constant]
    if constant:
        blocks.append(
            Paragraph(
                f"Left out {fmt.join_words([f'`{a}`' for a in constant])}: the same value in "
                "every row, so its effect cannot be told apart from the intercept (lme4 does "
                "the same). Leave it out of the formula."
            )
        )
    if combined:
        blocks.append(
            Paragraph(
                f"Left out {fmt.join_words([f'`{a}`' for a in combined])}: an exact combination "
                "of other columns, so the data cannot tell its effect apart (lme4 does the same)."
            )
        )
    blocks.extend(scale_blocks(fit))
    blocks.extend(far_from_zero_blocks(fit))
    blocks.extend(few_levels_blocks(fit))
    # The engine's own notes on singularity, convergence, the Hessian check and scales are
    # said above in full.
    hessian_note = hessian_warning(getattr(getattr(fit, "opt", None), "hessian_check", None))
    extra = [
        w
        for w in getattr(fit, "warnings", [])
        if w
        and w != hessian_note
        and "singular" not in w.lower()
        and "converge" not in w.lower()
        and "different scales" not in w.lower()
        and "far from zero" not in w.lower()
        and "second search" not in w.lower()
    ]
    if extra:
        blocks.append(Detail((Bullets(tuple(f"Engine note: {w}" for w in extra)),)))
    return blocks


def few_levels_blocks(fit: Any) -> list[Block]:
    """A grouping factor with very few levels, and what to do instead."""
    few = {group: n for group, n in fit.ngroups.items() if n < MIN_CLUSTER_LEVELS}
    return [
        Paragraph(
            f"`{group}` has only {n} levels: a variance estimated from {n} clusters is very "
            f"imprecise (a common rule of thumb asks for at least {MIN_CLUSTER_LEVELS}). With so "
            f"few, consider `{group}` as a fixed effect instead: add it to the fixed part "
            "and drop its random term."
        )
        for group, n in few.items()
    ]


def scale_blocks(fit: Any) -> list[Block]:
    """lme4's "predictors on very different scales" check, with the rescaling to ask for."""
    columns = list(getattr(fit, "poorly_scaled", []) or [])
    if not columns:
        return []
    data = getattr(fit, "data", None)
    plain = [
        c
        for c in columns
        if data is not None and c in data.columns and c.replace("_", "").isalnum()
    ]
    ask = f"`standardize {plain[0]}`" if plain else "`standardize the predictors`"
    return [
        Paragraph(
            f"{fmt.join_words([f'`{c}`' for c in columns])} "
            f"{'is' if len(columns) == 1 else 'are'} on a very different scale from the other "
            "predictors (lme4 warns about this too), so the estimates are hard to read and the "
            f"fit can be less stable. Rescale before fitting, e.g. {ask}, then fit again."
        )
    ]


def far_from_zero_blocks(fit: Any) -> list[Block]:
    """Predictors centred far from zero for their spread (engine.design.FarFromZero)."""
    blocks: list[Block] = []
    data = getattr(fit, "data", None)
    for group in far_from_zero_groups(getattr(fit, "far_from_zero", []) or []):
        first = group[0]
        variable = getattr(first, "variable", None) or first.name
        plain = data is not None and variable in data.columns
        ask = f"`center {variable}`" if plain else "centring it"
        where = (
            f"`{first.name}` sits far from zero for its spread (mean "
            f"{fmt.number(first.mean)}, SD {fmt.number(first.sd)})"
            if len(group) == 1
            else f"`{variable}` sits far from zero for its spread in "
            + fmt.join_words(
                [
                    f"`{c.name}` (mean {fmt.number(c.mean)}, SD {fmt.number(c.sd)})"
                    for c in group
                ]
            )
        )
        blocks.append(
            Paragraph(
                f"{where}. The intercept is then the expected outcome at a value far "
                "outside the data"
                + (
                    " (the fit centred the predictor internally, so it lost no precision)"
                    if all(getattr(c, "centred_in_fit", False) for c in group)
                    else ", and the fit loses numerical precision"
                )
                + f". Try {ask}, then fit again."
            )
        )
    return blocks


def optimizer_sentence(fit: Any) -> str | None:
    opt = getattr(fit, "opt", None)
    if opt is None:
        return None
    return (
        f"Optimizer {opt.optimizer}: {fmt.integer(opt.evaluations)} evaluations, return "
        f"code '{opt.return_code}', largest gradient {fmt.number(opt.max_abs_gradient)}; "
        f"{'REML criterion' if fit.reml else 'deviance'} {fmt.number(fit.criterion)}, "
        f"log-likelihood {fmt.number(fit.loglik)}, AIC {fmt.number(fit.aic)}, "
        f"BIC {fmt.number(fit.bic)}."
    )


def newer_choices_sentence(choices: dict[str, Any], built_from: str | None) -> str | None:
    """What a refit took from choices the user made after the original fit."""
    if not choices:
        return None
    settings = []
    for name, value in choices.items():
        if name == "method":
            settings.append("REML" if value == "REML" else "maximum likelihood (ML)")
        elif name == "ddf":
            settings.append(ddf_words(value))
        elif name == "optimizer":
            settings.append(f"the {value} optimizer")
        elif name == "max_iter":
            settings.append(f"an iteration limit of {fmt.integer(value)}")
        elif name == "level":
            settings.append(f"{fmt.level_percent(value)} confidence intervals")
    since = f"after {built_from} was fitted" if built_from else "since the last fit"
    parts = []
    if settings:
        parts.append(f"with the session's current settings: {fmt.join_words(settings)}")
    if "data" in choices:
        parts.append(
            f"on `{choices['data']}` as it is now (it was transformed {since}; "
            "the earlier model keeps the old values)"
        )
    text = "Refitted " + "; and ".join(parts) + "." if parts else ""
    if "subset" in choices:
        subset, parent = choices["subset"]
        text += (
            f" Fitted to `{subset}`, the rows kept from `{parent}`; "
            f"{built_from or 'the earlier model'} keeps every row it had."
        )
    if choices.get("kenward_roger_needs_reml"):
        text += (
            " Kenward-Roger's correction is defined for REML fits only, so this ML fit "
            "uses Satterthwaite degrees of freedom."
        )
    return text.strip() or None


def described_roles_sentence(roles: dict[str, str], described: dict[str, str]) -> str:
    """Where each role of a formula built from a description came from."""
    said = ", ".join(f"{role} {name}" for role, name in roles.items() if role in described)
    guessed = ", ".join(
        f"{role} {name}" for role, name in roles.items() if role not in described
    )
    text = f"I built this formula from your description ({said})"
    if guessed:
        text += f" and, for what it left out, from the data ({guessed})"
    return text + ". If a role is wrong, say so or type the formula yourself."


# -------------------------------------------------------------------- the whole
def fit_blocks(
    model: Any,
    *,
    variance: Any = None,
    built_from: str | None = None,
    guessed: dict[str, str] | None = None,
    change: Any = None,
    quadratics: tuple[Any, ...] = (),
    described: dict[str, str] | None = None,
) -> list[Block]:
    """Everything about one fitted model: brief prose, with tables at the detailed level.

    ``built_from`` "description": ``described`` are the roles (role words -> column)
    taken from the person's description of the study, ``guessed`` all the roles used.

    ``change`` is the modify_model change that built it from ``built_from``;
    ``quadratics`` the engine's record of its squared terms (for the centring advice).
    """
    fit = model.fit
    blocks: list[Block] = [Heading(fit_heading(model))]
    if built_from == "description" and guessed:
        blocks.append(Paragraph(described_roles_sentence(guessed, described or {})))
    elif built_from == "data" and guessed:
        roles = ", ".join(f"{role} {name}" for role, name in guessed.items())
        blocks.append(
            Paragraph(
                f"I built this formula from the data ({roles}). If a role is wrong, type the "
                "formula yourself, e.g. `LMM: y ~ x + (1 | id)`."
            )
        )
        if change is not None and change.operation == "null_model":
            blocks.append(Paragraph(NULL_MODEL_WORDS[:1].upper() + NULL_MODEL_WORDS[1:] + "."))
    elif built_from and change is not None:
        blocks.append(Paragraph(f"Built from {built_from} by {change_words(change)}."))
    elif built_from:
        blocks.append(
            Paragraph(f"Built from {built_from}: same outcome, fixed effects and grouping.")
        )
    blocks.append(Paragraph(f"{method_sentence(fit)} {group_size_sentence(fit)}"))
    blocks.extend(trouble_blocks(fit, getattr(model, "audit", None) is not None))
    blocks.extend(fixed_effects_blocks(fit, detailed=False))
    blocks.extend(centring_blocks(quadratics))
    blocks.append(Paragraph(variance_sentence(fit)))
    blocks.append(Detail((variance_table(fit),)))
    blocks.extend(icc_blocks(fit, variance))
    explained = variance_explained_sentence(variance)
    if explained:
        blocks.append(Detail((Paragraph(explained),)))
    opt = optimizer_sentence(fit)
    if opt:
        blocks.append(Detail((Paragraph(opt),)))
    return blocks
