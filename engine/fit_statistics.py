"""How well one fitted LMM fits: likelihood, information criteria and Nakagawa's R².

The likelihood numbers follow lme4 (``logLik``, ``AIC``, ``BIC``, ``REMLcrit`` and
``deviance`` of a ``merMod``):

- ``loglik`` is the maximised log-likelihood of the fit's own criterion: the REML
  log-likelihood for a REML fit, the ordinary one for an ML fit;
- ``npar`` counts the fixed effects, the covariance parameters θ and σ;
- AIC = −2 logLik + 2 npar, BIC = −2 logLik + log(n) npar;
- ``reml_criterion`` (REML fits) and ``deviance`` (ML fits) are both −2 logLik of
  their fit. lme4 deprecates ``deviance()`` of a REML fit (it returns the REML
  criterion with a warning), so a REML fit has no ``deviance`` here and an ML fit no
  ``reml_criterion``.

REML likelihoods are only comparable between models with the same fixed effects: the
REML criterion drops a term that depends on the fixed-effects design.

lme4's ``summary()`` also prints ``df.resid`` = n − npar for ML fits. That count is a
convention, not the residual degrees of freedom of any test in a mixed model, so it is
not reported.

The R² are Nakagawa and Schielzeth's (2013, *Methods Ecol. Evol.* 4:133) marginal and
conditional R² with Johnson's (2014, *Methods Ecol. Evol.* 5:944) random-slope
variance, computed once in :func:`engine.variance.variance_explained`. The variance of
the fixed-effect predictions Xβ̂ uses R's ``var`` (divisor n − 1), as MuMIn's
``r.squaredGLMM`` (``var(fitted)`` with ``fitted`` = Xβ̂) and performance's
``r2_nakagawa`` (insight's ``.compute_variance_fixed``: ``var(beta %*% t(X))``) both do.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from engine.variance import variance_explained

if TYPE_CHECKING:
    from engine.results import LmmFit


@dataclass(frozen=True)
class FitStatistics:
    """Fit statistics of one LMM (see the module docstring for definitions and sources).

    ``ngroups`` is the number of levels per grouping factor (lme4's ``ngrps``);
    ``var_fixed``, ``var_random`` and ``var_residual`` are the three variance parts
    behind the R² (σ²_f, σ²_r, σ²_ε).
    """

    method: str
    nobs: int
    ngroups: dict[str, int]
    npar: int
    loglik: float
    aic: float
    bic: float
    reml_criterion: float | None
    deviance: float | None
    sigma: float
    r2_marginal: float
    r2_conditional: float
    var_fixed: float
    var_random: float
    var_residual: float

    @property
    def reml(self) -> bool:
        return self.method == "REML"

    def to_dict(self) -> dict:
        def num(value: float | None) -> float | None:
            return float(value) if value is not None and math.isfinite(value) else None

        return {
            "kind": "fit_statistics",
            "method": self.method,
            "nobs": int(self.nobs),
            "ngroups": {str(k): int(v) for k, v in self.ngroups.items()},
            "npar": int(self.npar),
            "loglik": num(self.loglik),
            "aic": num(self.aic),
            "bic": num(self.bic),
            "reml_criterion": num(self.reml_criterion),
            "deviance": num(self.deviance),
            "sigma": num(self.sigma),
            "r2_marginal": num(self.r2_marginal),
            "r2_conditional": num(self.r2_conditional),
            "var_fixed": num(self.var_fixed),
            "var_random": num(self.var_random),
            "var_residual": num(self.var_residual),
        }


def fit_statistics(fit: LmmFit) -> FitStatistics:
    """The fit statistics of ``fit``: lme4's likelihood numbers and Nakagawa's R²."""
    reml = fit.method == "REML"
    minus_two_loglik = -2.0 * float(fit.loglik)
    variance = variance_explained(fit)
    return FitStatistics(
        method=fit.method,
        nobs=int(fit.nobs),
        ngroups={str(k): int(v) for k, v in fit.ngroups.items()},
        npar=int(fit.npar),
        loglik=float(fit.loglik),
        aic=float(fit.aic),
        bic=float(fit.bic),
        reml_criterion=minus_two_loglik if reml else None,
        deviance=None if reml else minus_two_loglik,
        sigma=float(fit.sigma),
        r2_marginal=variance.r2_marginal,
        r2_conditional=variance.r2_conditional,
        var_fixed=variance.var_fixed,
        var_random=variance.var_random,
        var_residual=variance.var_residual,
    )


#: Why the likelihoods (and so AIC/BIC) of several fits cannot be set side by side.
ISSUE_DIFFERENT_DATA = "different_data"  # other outcome or other rows
ISSUE_MIXED_METHODS = "mixed_methods"  # REML and ML criteria together
ISSUE_REML_FIXED_EFFECTS_DIFFER = "reml_fixed_effects_differ"  # REML, other fixed effects


def comparability_issue(fits: list[LmmFit]) -> str | None:
    """Whether the fits' own log-likelihoods, AIC and BIC may be compared (``None``) or
    why not (one of the ``ISSUE_*`` codes).

    Likelihoods compare only fits of the same outcome on the same rows, by one criterion;
    REML likelihoods further need the same fixed effects, because the REML criterion
    depends on the fixed-effects design (lme4's ``anova()`` refits with ML for this).
    """
    if len(fits) < 2:
        return None
    first = fits[0]
    for other in fits[1:]:
        same_y = (
            other.response_name == first.response_name
            and other.nobs == first.nobs
            and np.allclose(np.asarray(other.model.y, dtype=float),
                            np.asarray(first.model.y, dtype=float), rtol=1e-12, atol=0.0)
        )
        if not same_y:
            return ISSUE_DIFFERENT_DATA
    if len({f.method for f in fits}) > 1:
        return ISSUE_MIXED_METHODS
    if first.method == "REML" and len({_fixed_key(f) for f in fits}) > 1:
        return ISSUE_REML_FIXED_EFFECTS_DIFFER
    return None


def _fixed_key(fit: LmmFit) -> tuple[str, ...]:
    return tuple(sorted(str(name) for name in fit.fixed_names))
