"""How reliable are the patient (cluster) means? Raudenbush & Bryk's reliability of a
group's sample mean as a measure of its true mean.

For group j with n_j observations, random-intercept variance τ² and residual variance σ²,

    λ_j = τ² / (τ² + σ² / n_j)

(Raudenbush & Bryk 2002, *Hierarchical Linear Models*, 2nd ed., chapters 3 and 4; the
"reliability" column of HLM's output). It is also the factor by which the BLUP shrinks
the group's mean residual: b̂_j = λ_j · mean_j(y − Xβ̂) in a random-intercept model, so
small, unreliable groups are pulled most toward the overall line. The overall reliability
is the mean of λ_j over the groups.

The variances are the random-intercept model's (the fit's own when it has a random
intercept and nothing else for its one grouping factor; otherwise the same fixed part with
``(1 | group)``, refitted with the fit's criterion), so the means are those of the
outcome adjusted for the fixed effects.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from engine.errors import LmmInputError


@dataclass(frozen=True)
class SizeReliability:
    """The groups with ``n`` observations: how many there are and their reliability."""

    n: int
    n_groups: int
    reliability: float


@dataclass(frozen=True)
class GroupMeanReliability:
    group: str
    n_groups: int
    tau2: float
    sigma2: float
    mean_reliability: float
    min_reliability: float
    max_reliability: float
    by_size: tuple[SizeReliability, ...]
    #: the random-intercept formula the variances come from when it is not the fit's own
    refitted_formula: str | None

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["by_size"] = [asdict(s) for s in self.by_size]
        return {"kind": "group_mean_reliability", **out}


def random_intercept_version(fit: Any) -> tuple[Any, str | None]:
    """The fit itself when its random part is ``(1 | g)`` for one factor g; otherwise the
    same fixed part with ``(1 | g)``, refitted (and its formula)."""
    mf = fit.model_formula
    groups = mf.grouping_variables()
    if len(groups) != 1 or len(mf.random_terms) != 1:
        raise LmmInputError(
            "The reliability of the group means needs a model with one grouping factor; "
            f"this one has {len(groups)} ({', '.join(groups)})."
        )
    term = mf.random_terms[0]
    if term.intercept and not term.terms:
        return fit, None
    formula = f"{mf.response_label} ~ {mf.fixed_text()} + (1 | {groups[0]})"
    from engine.lmm import fit_lmm

    data = fit.source_data if fit.source_data is not None else fit.data
    return fit_lmm(formula, data, reml=fit.reml), formula


def group_mean_reliability(fit: Any) -> GroupMeanReliability:
    """λ_j = τ² / (τ² + σ²/n_j) for each level of the model's grouping factor."""
    intercept_fit, refitted = random_intercept_version(fit)
    (group,) = intercept_fit.model_formula.grouping_variables()
    component = next(v for v in intercept_fit.variance_components
                     if v.group == group and v.var1 == "(Intercept)" and v.var2 is None)
    tau2, sigma2 = float(component.vcov), float(intercept_fit.sigma) ** 2
    sizes = np.asarray(intercept_fit.group_sizes[group], dtype=float)
    reliability = tau2 / (tau2 + sigma2 / sizes)
    by_size = tuple(
        SizeReliability(int(n), int((sizes == n).sum()), float(tau2 / (tau2 + sigma2 / n)))
        for n in sorted(set(sizes.tolist()))
    )
    return GroupMeanReliability(
        group=group, n_groups=int(sizes.size), tau2=tau2, sigma2=sigma2,
        mean_reliability=float(reliability.mean()), min_reliability=float(reliability.min()),
        max_reliability=float(reliability.max()), by_size=by_size, refitted_formula=refitted,
    )
