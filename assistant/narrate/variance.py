"""Variance components, the ICC and what it means, and Nakagawa's R² in words.

The ICC is the engine's (``LmmFit.icc``, single random intercept only); for models with
random slopes or several grouping factors the adjusted ICC and the R² come from
``engine.variance.variance_explained`` (Nakagawa and Schielzeth 2013; Nakagawa, Johnson
and Schielzeth 2017).
"""

from __future__ import annotations

import re
from typing import Any

from assistant.narrate import numbers as fmt
from assistant.narrate.blocks import Block, Paragraph, table
from assistant.narrate.terms import INTERCEPT_NAMES

#: ICC thresholds used in the wording (see the `icc` help topic).
ICC_HIGH = 0.5
ICC_LOW = 0.05


def has_random_slope(fit: Any) -> bool:
    return any(rt.terms for rt in fit.model_formula.random_terms)


def is_residual(vc: Any) -> bool:
    return vc.group == "Residual"


def group_name(group: str) -> str:
    """lme4 names the second term of a group ``Subject.1`` (from ``||``); say ``Subject``."""
    return re.sub(r"\.\d+$", "", group)


def variance_sentence(fit: Any) -> str:
    """The variances and SDs in one sentence."""
    pieces = []
    for vc in fit.variance_components:
        if vc.var2 is not None:
            continue
        if is_residual(vc):
            pieces.append(f"residual variance {fmt.number(vc.vcov)} (SD {fmt.number(vc.sdcor)})")
        elif vc.var1 in INTERCEPT_NAMES:
            pieces.append(
                f"{group_name(vc.group)} intercept variance {fmt.number(vc.vcov)} "
                f"(SD {fmt.number(vc.sdcor)})"
            )
        else:
            pieces.append(
                f"{group_name(vc.group)} variance of the {vc.var1} slope {fmt.number(vc.vcov)} "
                f"(SD {fmt.number(vc.sdcor)})"
            )
    for vc in fit.variance_components:
        if vc.var2 is not None:
            pieces.append(
                f"correlation between the {group_name(vc.group)} {plural_term(vc.var1)} and "
                f"{plural_term(vc.var2)} {fmt.proportion(vc.sdcor)}"
            )
    return "Variance components: " + fmt.join_words(pieces) + "."


def plural_term(var: str | None) -> str:
    return "intercepts" if var in INTERCEPT_NAMES else f"{var} slopes"


def variance_table(fit: Any) -> Any:
    rows = []
    for vc in fit.variance_components:
        if vc.var2 is None:
            rows.append([vc.group, vc.var1 or "", fmt.number(vc.vcov), fmt.number(vc.sdcor), ""])
        else:
            rows.append([vc.group, f"{vc.var1} ~ {vc.var2}", "", "", fmt.proportion(vc.sdcor)])
    return table(
        ["Group", "Term", "Variance", "SD", "Corr"], rows, "llrrr", caption="Variance components"
    )


def icc_meaning(icc: float) -> str:
    """What an ICC of this size means for the analysis (thresholds 0.05 and 0.5)."""
    if icc > ICC_HIGH:
        return (
            "Differences between clusters dominate: observations from the same cluster are "
            "strongly alike, and ignoring the clustering would make the standard errors of "
            "predictors that vary between clusters far too small."
        )
    if icc < ICC_LOW:
        return (
            "Little of the variance lies between clusters; even so, with large clusters "
            "ignoring the clustering can understate the standard errors of predictors that "
            "vary between clusters."
        )
    return (
        "Clustering matters moderately: observations from the same cluster are "
        "noticeably alike, so the mixed model's standard errors are the ones to trust."
    )


def icc_sentence(fit: Any) -> str:
    group = next(iter(fit.ngroups))
    meaning = icc_meaning(fit.icc)
    if getattr(fit, "singular", False) and fit.icc < ICC_LOW:
        # the boundary estimate: zero variance is what the optimum says, not a finding
        meaning = (
            f"The {group} variance is estimated as zero (a singular fit): these data "
            "cannot tell between-cluster variation apart from noise, which is not the "
            "same as showing there is none."
        )
    return (
        f"ICC = {fmt.proportion(fit.icc)}: {fmt.percent(fit.icc)} of the variance in "
        f"{fit.response_name} not explained by the fixed effects lies between levels of "
        f"{group}. {meaning}"
    )


def no_single_icc_sentence(fit: Any, variance: Any) -> str:
    """Why a slope (or multi-factor) model has no single ICC, and the adjusted ICC."""
    if has_random_slope(fit):
        why = (
            "With a random slope there is no single ICC: how much of the variance lies "
            "between clusters changes with the value of the slope variable, so any one "
            "number would depend on where you look."
        )
    else:
        shares = getattr(variance, "group_shares", ())
        if shares:
            return group_shares_sentence(fit, variance, shares)
        why = (
            "With more than one grouping factor each factor has its own share of the "
            "variance, so no single ICC describes the model."
        )
    adjusted = adjusted_icc(variance)
    if adjusted is None:
        return why
    return (
        f"{why} The adjusted ICC (Nakagawa and Schielzeth), which averages the "
        f"random-effect variance over the data, is {fmt.proportion(adjusted)}. "
        f"{icc_meaning(adjusted)}"
    )


def group_shares_sentence(fit: Any, variance: Any, shares: Any) -> str:
    """Each grouping factor's share of the variance and what two observations sharing it
    have in common (``engine.variance.GroupShare``), for crossed or nested intercepts."""
    parts = [f"{share.group} {fmt.percent(share.variance_share)}" for share in shares]
    correlations = []
    for share in shares:
        where = (
            f"in the same {share.group} (and so the same {fmt.join_words(list(share.nested_in))})"
            if share.nested_in
            else f"in the same {share.group} only"
        )
        correlations.append(f"{fmt.proportion(share.correlation)} for two {where}")
    text = (
        "With more than one grouping factor there is no single ICC: each factor has its own "
        f"share of the variance in {fit.response_name} not explained by the fixed effects "
        f"({fmt.join_words(parts)}; residual {fmt.percent(variance.residual_share)}). The "
        "correlation of two observations depends on which levels they share: "
        f"{fmt.join_words(correlations)}."
    )
    adjusted = adjusted_icc(variance)
    top = shares[0]
    # sharing the first factor's level means sharing every other (it is nested in all)
    if adjusted is not None and len(top.nested_in) == len(shares) - 1:
        text += " The first is also the adjusted ICC of Nakagawa and Schielzeth."
    elif adjusted is not None:
        text += (
            f" Two observations that share every grouping factor correlate "
            f"{fmt.proportion(adjusted)} (the adjusted ICC of Nakagawa and Schielzeth)."
        )
    return f"{text} {_shares_meaning(top)}"


def _shares_meaning(top: Any) -> str:
    """What the largest shared-level correlation means for the analysis."""
    if top.correlation > ICC_HIGH:
        return (
            f"Observations that share {with_article(top.group)} are strongly alike, so "
            "ignoring that grouping would make the standard errors of predictors that vary "
            f"between levels of {top.group} far too small."
        )
    if top.correlation < ICC_LOW:
        return (
            "Each factor on its own makes observations only slightly alike; even so, with "
            "many observations per level ignoring a factor can understate standard errors."
        )
    return (
        f"Observations that share {with_article(top.group)} are noticeably alike, so the mixed "
        "model's standard errors are the ones to trust."
    )


def with_article(noun: str) -> str:
    """The noun with its indefinite article ("an item", "a rater"), judged by spelling."""
    return f"{'an' if noun[:1].lower() in 'aeiou' else 'a'} {noun}"


def adjusted_icc(variance: Any) -> float | None:
    if variance is None:
        return None
    value = getattr(variance, "icc_adjusted", None)
    return float(value) if fmt.is_number(value) else None


def icc_blocks(fit: Any, variance: Any) -> list[Block]:
    if _random_intercept_without_fixed_intercept(fit):
        return [Paragraph(no_fixed_intercept_sentence(fit))]
    if fit.icc is not None and fmt.is_number(fit.icc):
        return [Paragraph(icc_sentence(fit))]
    return [Paragraph(no_single_icc_sentence(fit, variance))]


def _random_intercept_without_fixed_intercept(fit: Any) -> bool:
    has_fixed = any(name in ("Intercept", "(Intercept)") for name in fit.fixed_names)
    has_random = any(
        not is_residual(vc) and vc.var2 is None and vc.var1 == "(Intercept)"
        for vc in fit.variance_components
    )
    return has_random and not has_fixed


def no_fixed_intercept_sentence(fit: Any) -> str:
    """Why an ICC is not read when the fixed part has no intercept (``y ~ 0 + x``): the
    random intercepts then vary around zero, not around the mean, so their variance
    also holds the overall level of the outcome."""
    return (
        f"The fixed part has no intercept, so the random intercepts vary around zero rather "
        f"than around the mean {fit.response_name}: their variance also holds the overall "
        f"level of {fit.response_name}, so an ICC or R² built on it does not measure how "
        "alike observations of the same cluster are. Keep the intercept (leave out `0 +`) "
        "to read them."
    )


def variance_explained_sentence(variance: Any) -> str | None:
    marginal = getattr(variance, "r2_marginal", None)
    conditional = getattr(variance, "r2_conditional", None)
    if not (fmt.is_number(marginal) and fmt.is_number(conditional)):
        return None
    if getattr(variance, "var_fixed", None) == 0:
        # an intercept-only fixed part has no fixed-effect variance: R²m is 0 by definition
        return (
            "The fixed part is the intercept alone, so the marginal R² is 0 by construction; "
            f"the random effects explain {fmt.percent(conditional)} of the variance "
            "(conditional R², Nakagawa and Schielzeth)."
        )
    return (
        f"The fixed effects explain {fmt.percent(marginal)} of the variance (marginal R²); "
        f"fixed and random effects together explain {fmt.percent(conditional)} "
        "(conditional R², Nakagawa and Schielzeth)."
    )
