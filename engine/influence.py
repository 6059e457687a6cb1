"""Influential clusters: leave-one-cluster-out refits, Cook's distance and DFBETAS.

For each level g of a grouping factor the model is fitted again without g's rows (same
formula, same criterion REML/ML, same optimizer, starting at the full fit's theta), as
lme4's ``influence.merMod(fit, groups = g)`` (lme4 >= 1.1-26) and the influence.ME
package (Nieuwenhuis, te Grotenhuis & Pelzer 2012) do. From the deleted estimates
beta_(g):

* Cook's distance (Cook 1977, for clusters as in Van der Meer, te Grotenhuis &
  Pelzer 2010 and influence.ME's ``cooks.distance.estex``):
  D_g = (beta - beta_(g))' V^-1 (beta - beta_(g)) / p, V the full fit's vcov(beta).
  lme4 1.1-31's ``cooks.distance.influence.merMod`` scales the same quadratic form by
  (G - p) / (G p) instead of 1 / p (G levels); ``cooks_distance_lme4`` is that.
* DFBETA: beta_(g) - beta (lme4's ``dfbeta``); DFBETAS: DFBETA divided by the standard
  errors of the deleted fit (lme4's ``dfbetas.influence.merMod``).

The usual rough cutoff for D_g is 4 / G (influence.ME; Van der Meer et al. 2010).
The most influential levels are refitted in full (the fit's df method) so that their
p-values and the sign of each estimate can be compared with the full fit's.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from engine.blas_threads import fit_blas_threads
from engine.design import build_design
from engine.errors import LmmInputError
from engine.model import LmmModel
from engine.warm_refit import refit_from

#: More levels than this means too many refits for an interactive answer.
MAX_LEVELS = 500
#: At most this many of the most influential levels get a full refit (p-values).
MAX_FULL_REFITS = 3
#: The significance level for "does the conclusion change".
ALPHA = 0.05


@dataclass(frozen=True)
class TermChange:
    """One fixed effect with every level and without one level (full refit).

    ``dfbetas`` = (estimate_without - estimate) / se_without (lme4's ``dfbetas``).
    """

    term: str
    estimate: float
    p: float | None
    estimate_without: float
    se_without: float
    p_without: float | None
    dfbetas: float
    sign_changes: bool
    significance_changes: bool

    def to_dict(self) -> dict[str, Any]:
        return {k: (_finite(v) if isinstance(v, float) else v) for k, v in vars(self).items()}


@dataclass(frozen=True)
class LevelInfluence:
    """One level left out: its Cook's distance (both scalings), DFBETA and DFBETAS per
    fixed effect (in ``ClusterInfluence.fixed_names`` order), the deleted fit's theta,
    sigma and number of rows dropped; ``terms`` (full refit) only for the levels
    ``ClusterInfluence.refitted`` names."""

    level: str
    n_rows: int
    cooks_distance: float
    cooks_distance_lme4: float
    beta: tuple[float, ...]
    dfbeta: tuple[float, ...]
    dfbetas: tuple[float, ...]
    theta: tuple[float, ...]
    sigma: float
    converged: bool
    terms: tuple[TermChange, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "level": self.level,
            "n_rows": self.n_rows,
            "cooks_distance": _finite(self.cooks_distance),
            "cooks_distance_lme4": _finite(self.cooks_distance_lme4),
            "beta": [_finite(v) for v in self.beta],
            "dfbeta": [_finite(v) for v in self.dfbeta],
            "dfbetas": [_finite(v) for v in self.dfbetas],
            "theta": [_finite(v) for v in self.theta],
            "sigma": _finite(self.sigma),
            "converged": self.converged,
            "terms": [t.to_dict() for t in self.terms],
        }


@dataclass(frozen=True)
class ClusterInfluence:
    """Leave-one-level-out influence of ``group``'s levels (see the module).

    ``levels`` in the order of decreasing Cook's distance; ``cutoff`` = 4 / G;
    ``influential`` the levels above it; ``refitted`` the levels refitted in full (the
    most influential, at most ``MAX_FULL_REFITS``); ``chosen_by``: "named", "only" (the
    model's one grouping factor) or "most_levels" (several: the one with most levels).
    """

    group: str
    chosen_by: str
    n_levels: int
    p: int
    fixed_names: tuple[str, ...]
    beta: tuple[float, ...]
    se: tuple[float, ...]
    method: str
    cutoff: float
    levels: tuple[LevelInfluence, ...]
    influential: tuple[str, ...]
    refitted: tuple[str, ...]
    other_groups: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": "cluster_influence",
            "group": self.group,
            "chosen_by": self.chosen_by,
            "n_levels": self.n_levels,
            "p": self.p,
            "fixed_names": list(self.fixed_names),
            "beta": [float(v) for v in self.beta],
            "se": [float(v) for v in self.se],
            "method": self.method,
            "cutoff": self.cutoff,
            "levels": [lv.to_dict() for lv in self.levels],
            "influential": list(self.influential),
            "refitted": list(self.refitted),
            "other_groups": list(self.other_groups),
        }


def _finite(value: float | None) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    return float(value)


def influence_group(fit: Any, group: str | None) -> tuple[str, str]:
    """The grouping factor to delete levels of, and how it was chosen: ``group`` when
    given (it must be one of the fit's), the fit's only one, else the one with most
    levels (the first of those in lme4's order on a tie)."""
    groups = {str(g): int(n) for g, n in fit.ngroups.items()}
    if group is not None:
        if group not in groups:
            raise LmmInputError(
                f"{group} is not a grouping factor of this model; its grouping factors are "
                f"{', '.join(groups)}."
            )
        return group, "named"
    if len(groups) == 1:
        return next(iter(groups)), "only"
    most = max(groups.values())
    return next(g for g, n in groups.items() if n == most), "most_levels"


def cluster_influence(fit: Any, group: str | None = None) -> ClusterInfluence:
    """Refit ``fit`` without each level of ``group`` in turn (see the module)."""
    group, chosen_by = influence_group(fit, group)
    term = next(t for t in fit.model.terms if t.group == group)
    n_levels = len(term.levels)
    if n_levels > MAX_LEVELS:
        raise LmmInputError(
            f"{group} has {n_levels:,} levels: leaving each out means {n_levels:,} refits, "
            f"too many to run here (the limit is {MAX_LEVELS}). Ask about a grouping factor "
            "with fewer levels, or look at the random effects and residual diagnostics instead."
        )
    source = fit.source_data if fit.source_data is not None else fit.data
    positions = np.asarray(fit.model_frame.source_positions(len(source)))
    codes = np.asarray(term.codes)
    names = list(fit.fixed_names)
    beta = np.asarray(fit.beta, dtype=float)
    vcov = np.asarray(fit.vcov_beta, dtype=float)
    p = beta.size
    vinv = np.linalg.inv(vcov)

    rows: list[LevelInfluence] = []
    with fit_blas_threads():
        for j, level in enumerate(term.levels):
            drop = positions[codes == j]
            keep = np.ones(len(source), dtype=bool)
            keep[drop] = False
            refit = _light_refit(fit, source.loc[keep].reset_index(drop=True))
            b_del = _aligned(refit["names"], refit["beta"], names)
            se_del = np.sqrt(np.diag(_aligned_matrix(refit["names"], refit["vcov"], names)))
            diff = b_del - beta
            quad = float(diff @ vinv @ diff)
            rows.append(LevelInfluence(
                level=str(level),
                n_rows=int(drop.size),
                cooks_distance=quad / p,
                cooks_distance_lme4=quad * (n_levels - p) / (n_levels * p),
                beta=tuple(float(v) for v in b_del),
                dfbeta=tuple(float(v) for v in diff),
                dfbetas=tuple(float(v) for v in diff / se_del),
                theta=tuple(float(v) for v in refit["theta"]),
                sigma=float(refit["sigma"]),
                converged=bool(refit["converged"]),
            ))
    order = sorted(rows, key=lambda r: -r.cooks_distance if math.isfinite(r.cooks_distance)
                   else math.inf)
    cutoff = 4.0 / n_levels
    influential = tuple(r.level for r in order if r.cooks_distance > cutoff)
    to_refit = [r.level for r in order[:MAX_FULL_REFITS]
                if r.level in influential or r is order[0]]
    detailed = []
    for r in order:
        if r.level in to_refit:
            j = list(term.levels).index(r.level)
            keep = np.ones(len(source), dtype=bool)
            keep[positions[codes == j]] = False
            without = fit.refit(data=source.loc[keep].reset_index(drop=True))
            r = LevelInfluence(**{**vars(r), "terms": _term_changes(fit, without)})
        detailed.append(r)
    return ClusterInfluence(
        group=group,
        chosen_by=chosen_by,
        n_levels=n_levels,
        p=p,
        fixed_names=tuple(names),
        beta=tuple(float(v) for v in beta),
        se=tuple(float(v) for v in np.sqrt(np.diag(vcov))),
        method=fit.method,
        cutoff=cutoff,
        levels=tuple(detailed),
        influential=influential,
        refitted=tuple(to_refit),
        other_groups=tuple(str(g) for g in fit.ngroups if str(g) != group),
    )


def _light_refit(fit: Any, data: pd.DataFrame) -> dict[str, Any]:
    """The fit's model on ``data``, optimised from the fit's theta with its criterion
    and optimizer (no convergence checks, no df): beta, vcov(beta), theta, sigma."""
    design = build_design(fit.model_formula, data)
    model = LmmModel(design.X, design.y, design.random_terms, design.fixed_names)
    if model.n_theta != len(fit.theta):
        raise LmmInputError(
            "Leaving one level out changes the random-effects structure of this model "
            "(a random term loses all its levels), so the refits cannot be compared."
        )
    opt, theta, solution = refit_from(fit, model)
    return {
        "names": list(design.fixed_names),
        "beta": np.asarray(solution.beta, dtype=float),
        "vcov": solution.sigma2 * np.asarray(solution.vcov_unscaled, dtype=float),
        "theta": theta,
        "sigma": math.sqrt(solution.sigma2),
        "converged": bool(opt.converged),
    }


def _aligned(have: list[str], values: np.ndarray, want: list[str]) -> np.ndarray:
    """``values`` (named ``have``) in ``want``'s order, NaN for a column the deleted fit
    lacks (a factor level only the left-out cluster had)."""
    where = {name: i for i, name in enumerate(have)}
    return np.array([values[where[n]] if n in where else np.nan for n in want])


def _aligned_matrix(have: list[str], values: np.ndarray, want: list[str]) -> np.ndarray:
    where = {name: i for i, name in enumerate(have)}
    idx = [where.get(n) for n in want]
    out = np.full((len(want), len(want)), np.nan)
    for a, i in enumerate(idx):
        for b, k in enumerate(idx):
            if i is not None and k is not None:
                out[a, b] = values[i, k]
    return out


def _term_changes(fit: Any, without: Any) -> tuple[TermChange, ...]:
    after = {fe.term: fe for fe in without.fixed_effects}
    out = []
    for fe in fit.fixed_effects:
        other = after.get(fe.term)
        if other is None:
            continue
        sig_all = fe.p is not None and math.isfinite(fe.p) and fe.p < ALPHA
        sig_without = other.p is not None and math.isfinite(other.p) and other.p < ALPHA
        out.append(TermChange(
            term=fe.term,
            estimate=float(fe.estimate),
            p=_finite(fe.p),
            estimate_without=float(other.estimate),
            se_without=float(other.se),
            p_without=_finite(other.p),
            dfbetas=float((other.estimate - fe.estimate) / other.se) if other.se > 0
            else float("nan"),
            sign_changes=bool(np.sign(other.estimate) != np.sign(fe.estimate)),
            significance_changes=sig_all != sig_without,
        ))
    return tuple(out)
