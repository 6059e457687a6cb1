"""Confidence intervals for the intraclass correlation of a random-intercept model.

**One random intercept** (``y ~ ... + (1 | g)``): the ICC is σ²_u / (σ²_u + σ²_ε) =
θ² / (1 + θ²) with θ = σ_u / σ_ε, lme4's relative covariance factor. It depends on θ
alone and rises with it, so its profile-likelihood interval is the image of θ's: the
θ where the profiled criterion d(θ) (β and σ maximised out, as lme4's ``devfun``; Bates et
al. 2015, *J. Stat. Softw.* 67(1), section 3.4) exceeds its minimum by the χ²₁ quantile
of the level. The criterion is the fit's own (REML for a REML fit), so the interval is
a restricted-likelihood-ratio interval around the ICC the fit reports (lme4's
``profile`` would use the ML deviance instead, centred on the ML estimate). When
d(0) is within the cutoff, the lower limit is 0: the data cannot rule out no clustering.

**Several grouping factors, random intercepts only** (crossed or nested): each factor's
ICC (:class:`engine.variance.GroupShare`'s ``correlation``) depends on every variance, so
its interval comes from lme4's parametric bootstrap (:mod:`engine.bootstrap`,
``bootMer``-style refits to simulated responses): the share computed from each refit's
SDs, and boot's percentile interval of those.

A model with random slopes has no single ICC (it changes with the slope's covariate), so
no interval is given for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from engine.bootstrap import DEFAULT_NSIM, parametric_bootstrap, percentile_interval
from engine.distributions import normal_quantile
from engine.errors import LmmInputError
from engine.variance import icc_random_intercept, variance_explained

ICC_INTERVAL_METHODS = ("profile", "bootstrap")

#: θ beyond which the ICC (θ² / (1 + θ²) > 0.9999999) is reported as reaching 1.
THETA_CEILING = 1e4
#: Brent's tolerance on θ: far below any printed digit of the ICC.
THETA_XTOL = 1e-10


@dataclass(frozen=True)
class IccLimits:
    """One grouping factor's ICC with its interval (``lower``/``upper`` on the 0-1 scale)."""

    group: str
    estimate: float
    lower: float
    upper: float

    def to_dict(self) -> dict[str, Any]:
        return {"group": self.group, "estimate": self.estimate, "lower": self.lower,
                "upper": self.upper}


@dataclass(frozen=True)
class IccInterval:
    """ICC intervals of one model.

    ``method`` is ``profile`` or ``bootstrap``; ``criterion`` the likelihood profiled (REML
    or ML, the fit's); ``lower_at_zero`` marks a profile whose lower limit is the
    boundary θ = 0. For the bootstrap, ``nsim``, ``seed``, ``n_used`` (refits that
    succeeded) and ``n_singular`` (refits with a variance at zero) are set.
    """

    kind: ClassVar[str] = "icc_interval"

    method: str
    criterion: str
    level: float
    limits: tuple[IccLimits, ...]
    lower_at_zero: bool = False
    nsim: int | None = None
    seed: int | None = None
    n_used: int | None = None
    n_singular: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "method": self.method,
            "criterion": self.criterion,
            "level": self.level,
            "limits": [row.to_dict() for row in self.limits],
            "lower_at_zero": self.lower_at_zero,
            "nsim": self.nsim,
            "seed": self.seed,
            "n_used": self.n_used,
            "n_singular": self.n_singular,
        }


def icc_from_theta(theta: float) -> float:
    """σ²_u / (σ²_u + σ²_ε) written in θ = σ_u / σ_ε (σ_ε as the unit)."""
    return icc_random_intercept(theta * theta, 1.0)


def icc_interval(
    fit: Any,
    level: float = 0.95,
    method: str | None = None,
    *,
    nsim: int = DEFAULT_NSIM,
    seed: int | None = None,
) -> IccInterval:
    """The ICC's confidence interval(s): profile for one random intercept (or when
    ``method="profile"``), the parametric bootstrap for several grouping factors (or when
    ``method="bootstrap"``)."""
    if not 0.0 < level < 1.0:
        raise LmmInputError(f"A confidence level lies between 0 and 1, not {level}.")
    if method is not None and method not in ICC_INTERVAL_METHODS:
        raise LmmInputError(
            f"The ICC's interval comes from the profile likelihood or the parametric "
            f"bootstrap, not {method!r}: its sampling distribution is bounded by 0 and 1 "
            f"and skewed, so a Wald interval would be misleading."
        )
    terms = list(fit.model.terms)
    if any(list(term.columns) != ["(Intercept)"] for term in terms):
        raise LmmInputError(
            "This model has random slopes, so its ICC changes with the slope's variable and "
            "has no single interval. Ask for the ICC's interval of a random-intercept model, "
            "or for bootstrap intervals of the variance components."
        )
    single = len(terms) == 1
    chosen = method or ("profile" if single else "bootstrap")
    if chosen == "profile":
        if not single:
            raise LmmInputError(
                "A profile interval of the ICC needs a model with one random intercept; with "
                "several grouping factors each ICC depends on every variance. Ask for a "
                "bootstrap interval of the ICC instead."
            )
        return _profile_interval(fit, level)
    return _bootstrap_interval(fit, level, nsim, seed)


def _profile_interval(fit: Any, level: float) -> IccInterval:
    model = fit.model
    reml = fit.method == "REML"
    theta_hat = float(np.asarray(fit.theta, dtype=float)[0])

    def criterion(theta: float) -> float:
        return float(model.deviance(np.array([theta]), reml))

    # the chi-square(1) quantile of ``level`` is the squared normal one of (1 + level) / 2
    cutoff = criterion(theta_hat) + float(normal_quantile((1.0 + level) / 2.0)) ** 2

    def excess(theta: float) -> float:
        return criterion(theta) - cutoff

    lower_at_zero = excess(0.0) <= 0.0
    lower = 0.0 if lower_at_zero else _root(excess, 0.0, theta_hat)
    upper = THETA_CEILING
    step = max(theta_hat, 0.1)
    while step * 2.0 < THETA_CEILING:
        step *= 2.0
        if excess(theta_hat + step) > 0.0:
            upper = _root(excess, theta_hat, theta_hat + step)
            break
    group = str(model.terms[0].group)
    estimate = icc_from_theta(theta_hat)
    return IccInterval(
        method="profile",
        criterion=fit.method,
        level=float(level),
        limits=(IccLimits(group, estimate, icc_from_theta(lower), icc_from_theta(upper)),),
        lower_at_zero=lower_at_zero,
    )


def _root(function, a: float, b: float) -> float:
    from scipy import optimize

    return float(optimize.brentq(function, a, b, xtol=THETA_XTOL))


def _bootstrap_interval(fit: Any, level: float, nsim: int, seed: int | None) -> IccInterval:
    boot = parametric_bootstrap(fit, nsim, seed=seed, level=level)
    explained = variance_explained(fit)
    # variance_explained names the terms in the model's order, as the replicates' columns
    column_of = {name: j for j, name in enumerate(explained.var_random_by_group)}
    k = len(column_of)
    variances = boot.replicates[:, :k] ** 2
    totals = variances.sum(axis=1) + boot.replicates[:, k] ** 2
    if explained.group_shares:
        icc_of = {s.group: (s.correlation, [s.group, *s.nested_in])
                  for s in explained.group_shares}
    else:
        only = next(iter(column_of))
        icc_of = {only: (float(explained.icc), [only])}
    limits = []
    for name, (estimate, members) in icc_of.items():
        replicate_icc = variances[:, [column_of[m] for m in members]].sum(axis=1) / totals
        lower, upper = percentile_interval(replicate_icc, level)
        limits.append(IccLimits(name, float(estimate), lower, upper))
    return IccInterval(
        method="bootstrap",
        criterion=fit.method,
        level=float(level),
        limits=tuple(limits),
        nsim=boot.nsim,
        seed=boot.seed,
        n_used=int(np.isfinite(totals).sum()),
        n_singular=boot.n_singular,
    )
