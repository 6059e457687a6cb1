"""Kish's design effect of a cluster sample, from a fitted random-intercept model.

Kish (1965, *Survey Sampling*, section 5.4) gives the variance inflation of a mean
estimated from clusters of size m with intraclass correlation rho, relative to a simple
random sample of the same size:

    deff = 1 + (m - 1) * rho,        effective sample size n_eff = n / deff.

With clusters of unequal size this uses the mean cluster size m = n / J (n observations
in J clusters), the usual choice; Kish (1987) and Gabler, Häder & Lahiri (1999) use
sum(m_j^2) / n instead, which is larger when sizes vary.

Which rho: the design effect describes the clustering of the outcome itself, so rho is
the unconditional ICC, s2_between / (s2_between + s2_e), of the intercept-only model
``y ~ 1 + (1 | g)`` fitted here to the same rows (same method, REML or ML, as the fit).
The ICC a fit with covariates reports is conditional (the share of the variance the
fixed effects leave unexplained that lies between clusters); the design effect computed
from it, the inflation left after adjusting for the covariates, is given beside it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from engine.errors import LmmInputError
from grammar.formula import Var


@dataclass(frozen=True)
class DesignEffect:
    """Kish's design effect (see the module). ``mean_cluster_size`` = n / J;
    ``null_formula`` the intercept-only model; ``between_variance``/``residual_variance``
    its variance components and ``icc`` = between / (between + residual);
    ``deff`` = 1 + (m - 1) icc and ``effective_n`` = n / deff; ``conditional_icc`` the
    fit's own ICC (None when the fit has more than a random intercept) with
    ``conditional_deff`` and ``conditional_effective_n`` from it; ``min_cluster_size``,
    ``max_cluster_size`` the range of the cluster sizes."""

    group: str
    n: int
    n_clusters: int
    mean_cluster_size: float
    min_cluster_size: int
    max_cluster_size: int
    null_formula: str
    method: str
    between_variance: float
    residual_variance: float
    icc: float
    deff: float
    effective_n: float
    conditional_icc: float | None
    conditional_deff: float | None
    conditional_effective_n: float | None

    def to_dict(self) -> dict[str, Any]:
        return {"kind": "design_effect", **asdict(self)}


def kish_design_effect(mean_cluster_size: float, icc: float) -> float:
    """Kish's deff = 1 + (m - 1) * rho."""
    return 1.0 + (mean_cluster_size - 1.0) * icc


def design_effect(fit: Any) -> DesignEffect:
    """The design effect of the fit's one grouping factor (see the module)."""
    from engine.lmm import fit_lmm

    groups = fit.model_formula.grouping_variables()
    if len(fit.ngroups) != 1 or len(groups) != 1:
        raise LmmInputError(
            "The design effect is defined for one level of clustering; this model has "
            f"{len(fit.ngroups)} grouping factors. Fit a model with one, e.g. y ~ x + (1 | g)."
        )
    (group,) = fit.ngroups
    sizes = fit.group_sizes[group]
    n = int(fit.nobs)
    n_clusters = int(fit.ngroups[group])
    m = n / n_clusters
    null_formula = f"{fit.model_formula.response_label} ~ 1 + (1 | {Var(group).text()})"
    null = fit_lmm(null_formula, fit.data, reml=fit.reml, ddf="residual",
                   optimizer=fit.optimizer)
    between = next(v.vcov for v in null.variance_components if v.group == group)
    residual = next(v.vcov for v in null.variance_components if v.group == "Residual")
    icc = float(between / (between + residual))
    deff = kish_design_effect(m, icc)
    conditional = None if fit.icc is None else float(fit.icc)
    conditional_deff = None if conditional is None else kish_design_effect(m, conditional)
    return DesignEffect(
        group=str(group),
        n=n,
        n_clusters=n_clusters,
        mean_cluster_size=m,
        min_cluster_size=int(min(sizes)),
        max_cluster_size=int(max(sizes)),
        null_formula=null_formula,
        method="REML" if fit.reml else "ML",
        between_variance=float(between),
        residual_variance=float(residual),
        icc=icc,
        deff=deff,
        effective_n=n / deff,
        conditional_icc=conditional,
        conditional_deff=conditional_deff,
        conditional_effective_n=None if conditional_deff is None else n / conditional_deff,
    )
