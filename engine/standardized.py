"""Standardized fixed effects: each coefficient in standard deviations of the outcome.

For a numeric predictor column x the standardized coefficient is

    β* = β̂ · sd(x) / sd(y),

the change in y, in SDs of y, per SD of x (the "beta weight" of regression texts, e.g.
Cohen, Cohen, West & Aiken 2003, section 3.2; for mixed models Schielzeth 2010,
*Methods Ecol. Evol.* 1:103-113). SDs are sample SDs (n − 1, R's ``sd``) over the rows
the model used, and x is the column as it enters the fixed-effects design (so the SD of
``I(x^2)`` is that of x², of ``a:b`` that of the product).

A coefficient of a factor level (or of a term that involves a factor) is a difference
between groups: dividing by sd(x) of a 0/1 dummy has no useful meaning, so it is left
unstandardized in x and given as the standardized difference β̂ / sd(y) instead.

When the fixed part has main effects only, each a plain column of the data (no
interactions, no transformed terms), β* equals the estimate of a refit with the
numeric predictors and the outcome z-scored, and β̂ / sd(y) that of a factor level with
only y z-scored (``equals_z_scored_refit``); otherwise β* depends on the scaling of the
product or transformed column and is not the coefficient of any z-scored refit.
The SE and the fit's own interval are scaled by the same factor (the SDs are treated
as fixed).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from engine.errors import LmmInputError
from engine.transforms import is_factor_column

INTERCEPT = "(Intercept)"


@dataclass(frozen=True)
class StandardizedCoefficient:
    """One fixed-effect coefficient and its standardized version.

    ``kind`` is ``numeric`` (β* = β̂·sd(x)/sd(y)), ``factor`` (β̂/sd(y), the standardized
    difference; ``sd_x`` is None) or ``intercept`` (not standardized: every value None).
    """

    name: str
    term: str
    kind: str
    estimate: float
    se: float
    sd_x: float | None
    standardized: float | None
    standardized_se: float | None
    standardized_lower: float | None
    standardized_upper: float | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name, "term": self.term, "kind": self.kind,
            "estimate": self.estimate, "se": self.se, "sd_x": self.sd_x,
            "standardized": self.standardized, "standardized_se": self.standardized_se,
            "standardized_lower": self.standardized_lower,
            "standardized_upper": self.standardized_upper,
        }


@dataclass(frozen=True)
class StandardizedCoefficients:
    """Standardized fixed effects of one fit (see the module docstring)."""

    response: str
    sd_y: float
    nobs: int
    coefficients: tuple[StandardizedCoefficient, ...]
    equals_z_scored_refit: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": "standardized_coefficients", "response": self.response,
            "sd_y": self.sd_y, "nobs": self.nobs,
            "equals_z_scored_refit": self.equals_z_scored_refit,
            "coefficients": [c.to_dict() for c in self.coefficients],
        }


def _term_of_columns(fit: Any) -> dict[int, str]:
    """Fixed-effects design column index -> the R term it belongs to."""
    return {j: term for term, columns in fit.fixed_term_columns.items() for j in columns}


def _involves_factor(term: str, data: Any) -> bool:
    for part in term.split(":"):
        name = part.strip().strip("`")
        if name in data.columns and is_factor_column(data[name]):
            return True
        if name.startswith(("factor(", "as.factor(", "ordered(")):
            return True
    return False


def _plain_column(term: str, data: Any) -> bool:
    name = term.strip().strip("`")
    return name in data.columns


def standardized_coefficients(fit: Any) -> StandardizedCoefficients:
    """β̂·sd(x)/sd(y) for numeric design columns, β̂/sd(y) for factor contrasts."""
    y = np.asarray(fit.model.y, dtype=float)
    if y.size < 2:
        raise LmmInputError("Standardized coefficients need at least two observations.")
    sd_y = float(np.std(y, ddof=1))
    if not math.isfinite(sd_y) or sd_y <= 0:
        raise LmmInputError(
            f"{fit.response_name} does not vary, so coefficients cannot be put in its SDs."
        )
    X = np.asarray(fit.model.X, dtype=float)
    data = fit.data
    term_of = _term_of_columns(fit)
    table = {row.term: row for row in fit.fixed_effects}
    out = []
    for j, name in enumerate(fit.fixed_names):
        row = table[name]
        term = term_of.get(j, name)
        if term == INTERCEPT or name == INTERCEPT:
            out.append(StandardizedCoefficient(name, INTERCEPT, "intercept", row.estimate,
                                               row.se, None, None, None, None, None))
            continue
        if _involves_factor(term, data):
            kind, sd_x, scale = "factor", None, 1.0 / sd_y
        else:
            sd_x = float(np.std(X[:, j], ddof=1))
            kind, scale = "numeric", sd_x / sd_y
        out.append(StandardizedCoefficient(
            name, term, kind, row.estimate, row.se, sd_x, row.estimate * scale,
            row.se * scale, row.ci_lower * scale, row.ci_upper * scale,
        ))
    terms = [t for t in fit.fixed_term_columns if t != INTERCEPT]
    simple = all(":" not in t and (_plain_column(t, data) or _involves_factor(t, data))
                 for t in terms)
    return StandardizedCoefficients(
        response=fit.response_name, sd_y=sd_y, nobs=int(y.size),
        coefficients=tuple(out), equals_z_scored_refit=simple,
    )
