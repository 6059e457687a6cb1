"""Inter-rater reliability of a crossed raters x targets design, from the fitted
variance components.

For ratings y = mu + a_target + b_rater + e (targets are the things rated: items,
subjects, essays), McGraw & Wong (1996, *Psychological Methods* 1, 30-46; their two-way
random-effects models, Table 4) define in variance-component form, with k raters:

* ICC(A,1), absolute agreement of single ratings: s2_t / (s2_t + s2_r + s2_e)
* ICC(C,1), consistency of single ratings:        s2_t / (s2_t + s2_e)
* ICC(A,k), agreement of the mean of k raters:    s2_t / (s2_t + (s2_r + s2_e) / k)
* ICC(C,k), consistency of the mean of k raters:  s2_t / (s2_t + s2_e / k)

(ICC(A,1) is Shrout & Fleiss's 1979 ICC(2,1).) Agreement counts a rater's general
harshness or leniency (s2_r) as disagreement; consistency does not. The variances are
the model's REML (or ML) estimates, which on a balanced complete table equal the two-way
ANOVA estimators that McGraw & Wong's mean-square formulas use. Fixed effects of the
targets (an item-level condition) are taken out first: s2_t is then the target variance
the fixed effects leave unexplained, and the ICCs describe agreement about targets that
share those fixed effects (McGraw & Wong's adjustment for a covariate).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from engine.errors import LmmInputError


@dataclass(frozen=True)
class RaterReliability:
    """McGraw & Wong's ICCs (see the module). ``rater``/``target`` are the grouping
    factors; ``k`` the number of raters, ``n_targets``, ``n_ratings`` and ``complete``
    (every target rated by every rater once); ``target_variance``, ``rater_variance``,
    ``residual_variance`` the fit's components; ``adjusted_for`` the fixed terms besides
    the intercept."""

    rater: str
    target: str
    k: int
    n_targets: int
    n_ratings: int
    complete: bool
    target_variance: float
    rater_variance: float
    residual_variance: float
    icc_a1: float
    icc_c1: float
    icc_ak: float
    icc_ck: float
    adjusted_for: tuple[str, ...]
    method: str

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["adjusted_for"] = list(self.adjusted_for)
        return {"kind": "rater_reliability", **out}


def reliability_coefficients(
    target_variance: float, rater_variance: float, residual_variance: float, k: int
) -> tuple[float, float, float, float]:
    """ICC(A,1), ICC(C,1), ICC(A,k), ICC(C,k) from the three variances (see the module)."""
    t, r, e = target_variance, rater_variance, residual_variance
    return (t / (t + r + e), t / (t + e), t / (t + (r + e) / k), t / (t + e / k))


def rater_reliability(fit: Any, rater: str) -> RaterReliability:
    """The ICCs of a model with crossed random intercepts for ``rater`` and one other
    grouping factor (the targets) and no random slopes."""
    terms = list(fit.model.terms)
    groups = [t.group for t in terms]
    if len(terms) != 2 or len(set(groups)) != 2 or rater not in groups:
        raise LmmInputError(
            "Inter-rater reliability needs a model with crossed random intercepts for the "
            "raters and the things they rate, e.g. rating ~ 1 + (1 | rater) + (1 | item)."
        )
    if any(list(t.columns) != ["(Intercept)"] for t in terms):
        raise LmmInputError(
            "Inter-rater reliability is defined here for random intercepts only; remove the "
            "random slopes, e.g. rating ~ 1 + (1 | rater) + (1 | item)."
        )
    target = next(g for g in groups if g != rater)
    variances = {v.group: float(v.vcov) for v in fit.variance_components if v.var2 is None}
    k = int(fit.ngroups[rater])
    n_targets = int(fit.ngroups[target])
    t, r, e = variances[target], variances[rater], variances["Residual"]
    a1, c1, ak, ck = reliability_coefficients(t, r, e, k)
    pairs = fit.data[[rater, target]].drop_duplicates()
    complete = len(pairs) == int(fit.nobs) == k * n_targets
    return RaterReliability(
        rater=rater, target=target, k=k, n_targets=n_targets, n_ratings=int(fit.nobs),
        complete=complete, target_variance=t, rater_variance=r, residual_variance=e,
        icc_a1=a1, icc_c1=c1, icc_ak=ak, icc_ck=ck,
        adjusted_for=tuple(term.label for term in fit.model_formula.fixed_terms),
        method="REML" if fit.reml else "ML",
    )
