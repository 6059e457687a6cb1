"""How the variance splits: ICC, Nakagawa's adjusted ICC and marginal/conditional R².

For a fitted LMM with fixed part Xβ and random terms k (grouping factor g_k, term model
matrix rows z_ik, covariance Σ_k):

- fixed-effects variance σ²_f = var(Xβ̂) over the observations (R's ``var``, n − 1);
- random-effects variance σ²_r = Σ_k mean_i(z_ik' Σ_k z_ik) (Johnson 2014, *Methods Ecol.
  Evol.* 5:944; Nakagawa, Johnson & Schielzeth 2017, *J. R. Soc. Interface* 14:20170213).
  For a random intercept this is just its variance σ²_u;
- residual variance σ²_ε = σ̂².

Then (Nakagawa & Schielzeth 2013, *Methods Ecol. Evol.* 4:133):
R²_marginal = σ²_f / (σ²_f + σ²_r + σ²_ε), R²_conditional = (σ²_f + σ²_r) / (same),
adjusted ICC = σ²_r / (σ²_r + σ²_ε), conditional ICC = σ²_r / (σ²_f + σ²_r + σ²_ε).
These match MuMIn's ``r.squaredGLMM`` and performance's ``r2_nakagawa``/``icc`` for
Gaussian models. The plain ICC σ²_u / (σ²_u + σ²_ε) exists only for a single random
intercept; with random slopes σ²_r depends on where the covariate's zero lies.

With several grouping factors and random intercepts only (crossed or nested), each
factor k has its own share σ²_k / (σ²_r + σ²_ε) (performance's ``icc(by_group = TRUE)``),
and the correlation of two observations given the fixed effects is the sum of the
variances of the factors they share over σ²_r + σ²_ε. Sharing a level of a factor that
is nested in another (every cask in one batch) means sharing the outer level too, so
:class:`GroupShare` gives, per factor, the correlation of two observations that share
that factor's level, and so the levels of every factor it is nested in, but nothing else.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from engine.errors import LmmInputError

if TYPE_CHECKING:
    from engine.results import LmmFit


def icc_random_intercept(var_intercept: float, var_residual: float) -> float:
    """The intraclass correlation σ²_u / (σ²_u + σ²_ε) of a random-intercept model."""
    total = var_intercept + var_residual
    if not total > 0:
        raise LmmInputError(
            "The ICC is undefined when both variances are zero; check that the outcome varies."
        )
    return var_intercept / total


@dataclass(frozen=True)
class GroupShare:
    """One grouping factor of a random-intercept model with several factors.

    ``variance_share`` is σ²_k / (σ²_r + σ²_ε); ``nested_in`` lists the factors whose
    level every level of this one determines; ``correlation`` is the correlation of two
    observations that share this factor's level (and so those outer levels) and no other
    factor: (σ²_k + Σ_outer σ²_j) / (σ²_r + σ²_ε).
    """

    group: str
    variance: float
    variance_share: float
    nested_in: tuple[str, ...]
    correlation: float

    def to_dict(self) -> dict:
        return {
            "group": self.group,
            "variance": self.variance,
            "variance_share": self.variance_share,
            "nested_in": list(self.nested_in),
            "correlation": self.correlation,
        }


@dataclass(frozen=True)
class VarianceExplained:
    """The variance decomposition of one fit (see the module docstring for the formulas).

    ``icc`` is the plain ICC, set only for a model whose sole random term is one random
    intercept (otherwise ``None``); ``icc_adjusted`` and ``icc_conditional`` are Nakagawa's;
    ``var_random_by_group`` splits σ²_r by random term (lme4's group names, made unique as
    in ``VarCorr``); ``random_slopes`` is true when any term has more than an intercept.
    """

    icc: float | None
    icc_adjusted: float
    icc_conditional: float
    r2_marginal: float
    r2_conditional: float
    var_fixed: float
    var_random: float
    var_residual: float
    var_random_by_group: dict[str, float]
    random_slopes: bool
    group_shares: tuple[GroupShare, ...] = ()

    @property
    def residual_share(self) -> float:
        """σ²_ε / (σ²_r + σ²_ε): the share of the variance left by the fixed effects that
        lies within the clusters (1 − the adjusted ICC)."""
        return self.var_residual / (self.var_random + self.var_residual)

    def to_dict(self) -> dict:
        def num(value: float | None) -> float | None:
            return value if value is not None and math.isfinite(value) else None

        return {
            "kind": "variance_explained",
            "icc": num(self.icc),
            "icc_adjusted": num(self.icc_adjusted),
            "icc_conditional": num(self.icc_conditional),
            "r2_marginal": num(self.r2_marginal),
            "r2_conditional": num(self.r2_conditional),
            "var_fixed": num(self.var_fixed),
            "var_random": num(self.var_random),
            "var_residual": num(self.var_residual),
            "var_random_by_group": {k: num(v) for k, v in self.var_random_by_group.items()},
            "random_slopes": self.random_slopes,
            "group_shares": [share.to_dict() for share in self.group_shares],
        }


def random_term_variance(matrix: np.ndarray, covariance: np.ndarray) -> float:
    """Johnson's (2014) mean over observations of z_i' Σ z_i for one random term."""
    z = np.asarray(matrix, dtype=float)
    return float(np.mean(np.einsum("ia,ab,ib->i", z, covariance, z)))


def variance_explained(fit: LmmFit) -> VarianceExplained:
    """Nakagawa's R² and ICCs of ``fit``, and the plain ICC when it exists."""
    model = fit.model
    sigma2 = float(fit.sigma) ** 2
    linear_predictor = model.X @ np.asarray(fit.beta, dtype=float)
    # A constant predictor (intercept-only fixed part) has variance exactly 0; np.var
    # would return rounding noise from the pairwise-summed mean.
    constant = linear_predictor.size < 2 or np.ptp(linear_predictor) == 0.0
    var_fixed = 0.0 if constant else float(np.var(linear_predictor, ddof=1))

    by_group: dict[str, float] = {}
    seen: dict[str, int] = {}
    for term in model.terms:
        covariance = term.covariance(np.asarray(fit.theta, dtype=float), sigma2)
        count = seen.get(term.group, 0)
        name = term.group if count == 0 else f"{term.group}.{count}"
        seen[term.group] = count + 1
        by_group[name] = random_term_variance(term.matrix, covariance)
    var_random = float(sum(by_group.values()))

    total = var_fixed + var_random + sigma2
    random_slopes = any(term.n_columns > 1 or term.columns != ["(Intercept)"]
                        for term in model.terms)
    single_intercept = len(model.terms) == 1 and list(model.terms[0].columns) == ["(Intercept)"]
    icc = icc_random_intercept(var_random, sigma2) if single_intercept else None
    return VarianceExplained(
        icc=icc,
        icc_adjusted=var_random / (var_random + sigma2),
        icc_conditional=var_random / total,
        r2_marginal=var_fixed / total,
        r2_conditional=(var_fixed + var_random) / total,
        var_fixed=var_fixed,
        var_random=var_random,
        var_residual=sigma2,
        var_random_by_group=by_group,
        random_slopes=random_slopes,
        group_shares=() if random_slopes else group_shares(model.terms, by_group, sigma2),
    )


def group_shares(terms: list, variances: dict[str, float], sigma2: float) -> tuple[GroupShare, ...]:
    """:class:`GroupShare` of each factor of a random-intercept model with at least two
    distinct grouping factors (empty otherwise). ``terms`` are the model's terms (codes
    per row), ``variances`` their σ²_k by lme4 group name, in the same order."""
    names = list(variances)
    if len(terms) < 2 or len({term.group for term in terms}) < len(terms):
        return ()
    total = sum(variances.values()) + sigma2
    shares = []
    for k, (name, term) in enumerate(zip(names, terms, strict=True)):
        outer = tuple(
            names[j] for j, other in enumerate(terms) if j != k and _nested(term, other)
        )
        shared = variances[name] + sum(variances[j] for j in outer)
        shares.append(
            GroupShare(
                group=name,
                variance=variances[name],
                variance_share=variances[name] / total,
                nested_in=outer,
                correlation=shared / total,
            )
        )
    return tuple(sorted(shares, key=lambda share: -share.correlation))


def _nested(inner, outer) -> bool:
    """Every level of ``inner`` occurs with a single level of ``outer`` (and ``inner`` has
    more levels), as casks within batches."""
    if inner.n_levels <= outer.n_levels:
        return False
    pairs = np.unique(inner.codes * outer.n_levels + outer.codes)
    return pairs.size == inner.n_levels
