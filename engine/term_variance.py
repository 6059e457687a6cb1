"""How much variance one fixed term explains: the model against the same model without it.

Two measures, both from the pair of fits on the same rows with the same criterion:

- part R² (Stoffel, Nakagawa & Schielzeth 2021, PeerJ 9:e11414, the ``partR2`` package):
  the full model's marginal R² (Nakagawa & Schielzeth 2013) minus the reduced model's;
- the proportional reduction in each variance component (Raudenbush & Bryk 2002,
  Hierarchical Linear Models, ch. 4): (σ²_reduced − σ²_full) / σ²_reduced, the share of
  that level's variance the term accounts for. It can be negative when adding a term
  moves variance between levels.

Interactions that contain the term are left out of the reduced model with it (a model
keeps no interaction without its main effects).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from engine.errors import LmmInputError
from engine.variance import variance_explained


@dataclass(frozen=True)
class ComponentReduction:
    """One variance component (``group`` "Residual" for σ²) in both models."""

    group: str
    term: str
    reduced: float
    full: float

    @property
    def reduction(self) -> float | None:
        return None if self.reduced <= 0 else (self.reduced - self.full) / self.reduced


@dataclass(frozen=True)
class TermVarianceExplained:
    """The fixed terms ``dropped`` (``term`` and the interactions containing it): the
    marginal R² of the full model (``formula``) and of the reduced one
    (``reduced_formula``), their difference ``part_r2``, and the variance components of
    both (``components``); ``method`` is the criterion of both fits."""

    term: str
    dropped: tuple[str, ...]
    formula: str
    reduced_formula: str
    method: str
    r2_marginal_full: float
    r2_marginal_reduced: float
    r2_conditional_full: float
    components: tuple[ComponentReduction, ...]

    @property
    def part_r2(self) -> float:
        return self.r2_marginal_full - self.r2_marginal_reduced

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": "term_variance_explained", "term": self.term,
            "dropped": list(self.dropped), "formula": self.formula,
            "reduced_formula": self.reduced_formula, "method": self.method,
            "r2_marginal_full": self.r2_marginal_full,
            "r2_marginal_reduced": self.r2_marginal_reduced,
            "r2_conditional_full": self.r2_conditional_full, "part_r2": self.part_r2,
            "components": [
                {"group": c.group, "term": c.term, "reduced": c.reduced, "full": c.full,
                 "reduction": c.reduction} for c in self.components
            ],
        }


def reduced_formula(fit: Any, term: str) -> tuple[str, tuple[str, ...]]:
    """``fit``'s formula without the fixed term ``term`` and the interactions containing
    it, and the terms left out."""
    mf = fit.model_formula
    labels = [t.label for t in mf.fixed_terms]
    if term not in labels:
        raise LmmInputError(
            f"The model has no fixed term '{term}'; its terms are {', '.join(labels)}."
        )
    dropped = tuple(t for t in labels if t == term or term in t.split(":"))
    kept = [t for t in labels if t not in dropped]
    head = [] if mf.intercept else ["0"]
    rhs = " + ".join([*head, *(kept or ["1"]), *(b.text() for b in mf.written_random)])
    return f"{mf.response_label} ~ {rhs}", dropped


def _components(fit: Any) -> dict[tuple[str, str], float]:
    return {(c.group, c.var1 or ""): float(c.vcov) for c in fit.variance_components
            if c.var2 is None}


def term_variance_explained(fit: Any, term: str) -> TermVarianceExplained:
    """The variance ``term`` explains in ``fit`` (see the module docstring)."""
    formula, dropped = reduced_formula(fit, term)
    source = fit.source_data if fit.source_data is not None else fit.data
    rows = source.iloc[fit.model_frame.source_positions(len(source))]
    reduced = _fit_formula(fit, formula, rows)
    full_r2, reduced_r2 = variance_explained(fit), variance_explained(reduced)
    full_vc, reduced_vc = _components(fit), _components(reduced)
    components = tuple(
        ComponentReduction(group, var, reduced_vc[(group, var)], value)
        for (group, var), value in full_vc.items() if (group, var) in reduced_vc
    )
    return TermVarianceExplained(
        term=term, dropped=dropped, formula=fit.formula, reduced_formula=formula,
        method=fit.method, r2_marginal_full=full_r2.r2_marginal,
        r2_marginal_reduced=reduced_r2.r2_marginal,
        r2_conditional_full=full_r2.r2_conditional, components=components,
    )


def _fit_formula(fit: Any, formula: str, rows: Any) -> Any:
    from engine.lmm import fit_lmm

    return fit_lmm(formula, rows.reset_index(drop=True), reml=fit.reml,
                   ddf=fit.ddf_method, optimizer=fit.optimizer, level=fit.level)
