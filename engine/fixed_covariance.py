"""The sampling covariance of the fixed-effect estimates, and what it says about
polynomial terms.

``vcov(β̂) = σ̂² (R_X'R_X)⁻¹`` is the fit's ``vcov_beta`` (lme4's ``vcov(m)``); its
correlation form ``D^-1/2 V D^-1/2`` with ``D = diag(V)`` is what lme4's ``summary()``
prints as "Correlation of Fixed Effects" (R's ``cov2cor(vcov(m))``).

A quadratic term ``I(x^2)`` next to ``x`` is strongly correlated with it when ``x`` is
far from centred (x and x² rise together over a positive range); centring ``x`` first
reduces that correlation (to the part due to skewness: centred x is uncorrelated with x²
when its values are symmetric) without changing the fitted curve or the coefficient of
x² (e.g. Fox 2016, *Applied Regression Analysis*, ch. 17; Singer and Willett 2003,
ch. 6).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from engine.data import is_centred

if TYPE_CHECKING:
    from engine.results import LmmFit

_SQUARE = re.compile(r"^I\((?P<var>.+?)\s*(?:\^|\*\*)\s*2\)$")


@dataclass(frozen=True)
class FixedEffectsCovariance:
    """``vcov`` (p × p, lme4's ``vcov()``) and ``correlation`` (``cov2cor``) of the
    fixed-effect estimates, rows and columns in ``terms`` order (the fit's
    ``fixed_names``)."""

    kind: ClassVar[str] = "fixed_effects_covariance"
    terms: tuple[str, ...]
    vcov: np.ndarray
    correlation: np.ndarray

    @property
    def largest_correlation(self) -> tuple[str, str, float] | None:
        """The pair of estimates with the largest |correlation| (None for one term)."""
        p = len(self.terms)
        if p < 2:
            return None
        rows, cols = np.tril_indices(p, k=-1)
        values = np.nan_to_num(np.abs(self.correlation[rows, cols]), nan=-1.0)
        k = int(np.argmax(values))
        i, j = int(rows[k]), int(cols[k])
        return self.terms[j], self.terms[i], float(self.correlation[i, j])

    def to_dict(self) -> dict[str, Any]:
        pair = self.largest_correlation
        return {
            "kind": self.kind,
            "terms": list(self.terms),
            "vcov": self.vcov.tolist(),
            "correlation": self.correlation.tolist(),
            "largest_correlation": None if pair is None else list(pair),
        }


def fixed_effects_covariance(fit: LmmFit) -> FixedEffectsCovariance:
    """The covariance and correlation matrices of β̂ (lme4's ``vcov`` and the
    "Correlation of Fixed Effects" of ``summary``)."""
    vcov = np.array(fit.vcov_beta, dtype=float)
    sd = np.sqrt(np.diag(vcov))
    with np.errstate(invalid="ignore", divide="ignore"):
        correlation = vcov / np.outer(sd, sd)
    np.fill_diagonal(correlation, 1.0)
    return FixedEffectsCovariance(tuple(fit.fixed_names), vcov, correlation)


@dataclass(frozen=True)
class QuadraticTerm:
    """A squared term ``I(x^2)`` of the fixed part: its variable, the linear term ``x``
    when the model has one, the variable's mean and SD in the model frame, whether it is
    centred (:func:`engine.data.is_centred`) and the correlation of
    the linear and quadratic estimates (None without a linear term)."""

    variable: str
    quadratic_term: str
    linear_term: str | None
    mean: float
    sd: float
    centred: bool
    correlation: float | None


def quadratic_terms(fit: LmmFit) -> tuple[QuadraticTerm, ...]:
    """Every ``I(x^2)`` term of the fit whose ``x`` is a numeric column of the data."""
    names = list(fit.fixed_names)
    found: list[QuadraticTerm] = []
    covariance: FixedEffectsCovariance | None = None
    for index, name in enumerate(names):
        match = _SQUARE.match(name)
        if match is None:
            continue
        variable = match.group("var").strip().strip("`")
        if variable not in fit.data.columns:
            continue
        values = np.asarray(fit.data[variable], dtype=float)
        mean, sd = float(values.mean()), float(values.std(ddof=1)) if values.size > 1 else 0.0
        linear = variable if variable in names else None
        correlation = None
        if linear is not None:
            covariance = covariance or fixed_effects_covariance(fit)
            correlation = float(covariance.correlation[names.index(linear), index])
        found.append(QuadraticTerm(
            variable=variable, quadratic_term=name, linear_term=linear, mean=mean, sd=sd,
            centred=is_centred(values), correlation=correlation,
        ))
    return tuple(found)
