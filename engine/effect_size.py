"""The effect size of one fixed effect: Cohen's d for a factor, the standardized slope
for a numeric predictor.

Factor (each level against the reference level): Westfall, Kenny & Judd (2014,
*J. Exp. Psychol. Gen.* 143:2020-2045) define d for mixed models as the difference of the
condition means over the SD of an observation around its condition mean, all random
effects included:

    d = beta / sqrt(sum over random terms of their variance + sigma^2).

Brysbaert & Stevens (2018, *J. Cognition* 1:9) use the same for crossed participants x
items designs. With random intercepts only, a term's variance is its intercept variance.
With a random slope of the factor itself, the variance of a level's random effect differs
between the two conditions; following WKJ, who code the conditions c = -1/2, +1/2, a
term contributes its variance averaged over the two conditions, z' Sigma z for the
indicator rows z of each condition. With +-1/2 codes that is
var(intercept) + c^2 var(slope) = var(intercept) + var(slope) / 4; it does not depend on
how the factor is coded (with R's 0/1 dummies it is tau00 + tau01 + tau11 / 2).
A random slope of another predictor makes the total variance depend on that predictor,
so no single denominator exists: such models are refused.

The interval is the fixed effect's own interval (the fit's df) divided by the same
denominator, which is treated as known.

Numeric predictor: the standardized slope beta * sd(x) / sd(y) with sample SDs over the
model's rows (``engine.standardized``: Cohen, Cohen, West & Aiken 2003; Schielzeth 2010).
"""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from engine.coefficient_meaning import interaction_terms
from engine.errors import LmmInputError
from engine.standardized import standardized_coefficients
from engine.transforms import is_factor_column

INTERCEPT = "(Intercept)"
_LEVEL = re.compile(r"^(?P<var>.+?)\[(?:T\.)?(?P<level>.*)\]$")


@dataclass(frozen=True)
class VariancePart:
    """One random term's share of the denominator: ``variance`` = its random-effect
    variance averaged over the two conditions; ``intercept_only`` when the term has a
    random intercept only (then ``variance`` is that intercept variance)."""

    group: str
    columns: tuple[str, ...]
    variance: float
    intercept_only: bool


@dataclass(frozen=True)
class ContrastEffect:
    """Cohen's d of one level against the reference: ``estimate`` and its interval
    (``ci_lower``, ``ci_upper``) from the fit, divided by ``sd_total`` of the contrast."""

    term: str
    level: str
    estimate: float
    ci_lower: float
    ci_upper: float
    parts: tuple[VariancePart, ...]
    residual_variance: float
    total_variance: float
    sd_total: float
    d: float
    d_lower: float
    d_upper: float


@dataclass(frozen=True)
class EffectSize:
    """The effect size of ``variable`` (see the module). ``kind`` "factor" (``contrasts``,
    ``reference``) or "numeric" (``estimate``, ``sd_x``, ``sd_y``, ``standardized``
    and its interval); ``interactions`` the fixed terms that also involve the variable
    (the coefficient is then a simple effect); ``level`` the interval's level."""

    variable: str
    response: str
    kind: str
    level: float
    reference: str | None = None
    contrasts: tuple[ContrastEffect, ...] = ()
    term: str | None = None
    estimate: float | None = None
    ci_lower: float | None = None
    ci_upper: float | None = None
    sd_x: float | None = None
    sd_y: float | None = None
    standardized: float | None = None
    standardized_lower: float | None = None
    standardized_upper: float | None = None
    interactions: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"kind": "effect_size", "effect_kind": self.kind,
                **{k: v for k, v in asdict(self).items() if k != "kind"}}


def fixed_variables(fit: Any) -> list[str]:
    """The main-effect terms of the fixed part (no intercept, no interactions)."""
    return [t for t in fit.fixed_term_columns if t != INTERCEPT and ":" not in t]


def _column(term: str) -> str:
    match = re.match(r"^(?:factor|as\.factor|ordered)\((?P<inner>.+)\)$", term)
    return (match.group("inner") if match else term).strip().strip("`")


def effect_size_term(fit: Any, variable: str | None) -> str:
    """The fixed term of ``variable`` (its name or its column's, any case); without one,
    the model's only factor term, else its only term."""
    terms = fixed_variables(fit)
    if variable is not None:
        folded = variable.casefold()
        found = [t for t in terms if t.casefold() == folded or _column(t).casefold() == folded]
        if not found:
            raise LmmInputError(
                f"{variable} is not a main effect in the fixed part of this model (its fixed "
                f"terms: {', '.join(terms) or 'none'}); name one of those."
            )
        return found[0]
    factors = [t for t in terms if _is_factor_term(fit, t)]
    if len(factors) == 1:
        return factors[0]
    if len(terms) == 1:
        return terms[0]
    raise LmmInputError(
        "Which fixed effect's effect size? The model has several: "
        f"{', '.join(terms) or 'none'}; ask e.g. 'what is the effect size of {terms[0]}?'."
        if terms else "The model has no fixed effect besides the intercept."
    )


def _is_factor_term(fit: Any, term: str) -> bool:
    if term != _column(term):
        return True
    column = fit.data[term] if term in fit.data.columns else None
    return column is not None and is_factor_column(column)


def effect_size(fit: Any, variable: str | None = None) -> EffectSize:
    """Cohen's d (factor) or the standardized slope (numeric) of ``variable``."""
    term = effect_size_term(fit, variable)
    interactions = interaction_terms(fit, term)
    if _is_factor_term(fit, term):
        return _factor_effect(fit, term, interactions)
    return _numeric_effect(fit, term, interactions)


def _numeric_effect(fit: Any, term: str, interactions: tuple[str, ...]) -> EffectSize:
    table = standardized_coefficients(fit)
    row = next(c for c in table.coefficients if c.term == term)
    fe = next(f for f in fit.fixed_effects if f.term == row.name)
    return EffectSize(
        variable=term, response=fit.response_name, kind="numeric", level=float(fit.level),
        term=row.name, estimate=float(row.estimate), sd_x=row.sd_x, sd_y=table.sd_y,
        ci_lower=float(fe.ci_lower), ci_upper=float(fe.ci_upper),
        standardized=row.standardized, standardized_lower=row.standardized_lower,
        standardized_upper=row.standardized_upper, interactions=interactions,
    )


def _factor_effect(fit: Any, term: str, interactions: tuple[str, ...]) -> EffectSize:
    column = _column(term)
    names = [fit.fixed_names[j] for j in fit.fixed_term_columns[term]]
    rows = {fe.term: fe for fe in fit.fixed_effects}
    levels = [_level_of(name) for name in names]
    sigma2 = float(fit.sigma) ** 2
    reference = _reference_level(fit, column, levels)
    contrasts = []
    for name, level in zip(names, levels, strict=True):
        parts = tuple(_variance_part(fit, t, column, (reference, level))
                      for t in fit.model.terms)
        total = sum(p.variance for p in parts) + sigma2
        sd = math.sqrt(total)
        fe = rows[name]
        contrasts.append(ContrastEffect(
            term=name, level=str(level), estimate=float(fe.estimate),
            ci_lower=float(fe.ci_lower), ci_upper=float(fe.ci_upper), parts=parts,
            residual_variance=sigma2, total_variance=total, sd_total=sd,
            d=float(fe.estimate) / sd, d_lower=float(fe.ci_lower) / sd,
            d_upper=float(fe.ci_upper) / sd,
        ))
    return EffectSize(
        variable=column, response=fit.response_name, kind="factor", level=float(fit.level),
        reference=reference, contrasts=tuple(contrasts),
        interactions=interactions,
    )


def _level_of(name: str) -> str:
    match = _LEVEL.match(name)
    return match.group("level") if match else name


def _reference_level(fit: Any, column: str, levels: list[str]) -> str | None:
    if column not in fit.data.columns:
        return None
    values = fit.data[column]
    categories = (list(values.cat.categories) if hasattr(values, "cat")
                  else sorted(values.dropna().unique()))
    rest = [str(v) for v in categories if str(v) not in levels]
    return rest[0] if len(rest) == 1 else None


def _variance_part(
    fit: Any, term: Any, column: str, conditions: tuple[str | None, str]
) -> VariancePart:
    """The term's random-effect variance averaged over the two ``conditions`` (the
    reference level, None when unknown, and the other level): z' Sigma z for each
    condition's row z of the term's columns."""
    sigma2 = float(fit.sigma) ** 2
    cov = term.covariance(np.asarray(fit.theta, dtype=float), sigma2)
    rows = []
    for condition in conditions:
        z = []
        for name in term.columns:
            if name == INTERCEPT:
                z.append(1.0)
                continue
            match = _LEVEL.match(name)
            if match is None or _column(match.group("var")) != column:
                raise LmmInputError(
                    f"The random slope of {name} for {term.group} makes the variance of "
                    f"{fit.response_name} depend on {name}, so there is no single SD to "
                    "divide by for a standardized effect size (Westfall, Kenny & Judd 2014 "
                    "allow random slopes only of the contrast-coded factor itself). Ask it "
                    f"of the random-intercept model (`remove the random slope`, then `effect "
                    f"size of {column}`), or take the difference in {fit.response_name}'s own "
                    f"units (`estimated marginal means of {column}`)."
                )
            z.append(1.0 if match.group("level") == condition else 0.0)
        rows.append(np.array(z))
    variance = float(np.mean([z @ cov @ z for z in rows]))
    return VariancePart(
        group=str(term.group), columns=tuple(term.columns), variance=variance,
        intercept_only=tuple(term.columns) == (INTERCEPT,),
    )
