"""Outlying observations and clusters of a fitted LMM, as the residual diagnostics flag them.

Two levels, as in any multilevel model:

* **Observations** (level 1): the standardized conditional residual
  z_i = (y_i − ŷ_i) / σ̂, with ŷ_i the fitted value including the BLUPs (lme4's
  ``residuals(m) / sigma(m)``), beyond the Bonferroni bound max(3, Φ⁻¹(1 − 0.025/n))
  (:func:`engine.residual_checks.bonferroni_z`): under normal errors the chance that any
  of the n residuals passes it is about 5%.
* **Clusters** (level 2): a BLUP divided by the SD of the BLUPs of the same term that are
  not flagged, beyond the same bound for the number of levels, the SD recomputed until
  no further level is flagged (so one extreme level cannot hide another by inflating
  the SD; :func:`engine.residual_checks.masking_resistant_flags`).

The rules are the diagnostics' own (``engine.residual_checks``), so the residual plots,
this report and the outlier refit (``engine.sensitivity``) always name the same rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from engine.residual_checks import check_residuals


@dataclass(frozen=True)
class OutlyingObservation:
    """One flagged observation: ``row`` its 0-based position in the model frame
    (``fit.data``), ``source_row`` in the data the model was fitted to (they differ when
    the fit dropped rows with missing values); ``levels`` (grouping factor, level)."""

    row: int
    source_row: int
    levels: tuple[tuple[str, str], ...]
    observed: float
    fitted: float
    standardized: float

    def to_dict(self) -> dict[str, Any]:
        return {"row": self.row, "source_row": self.source_row,
                "levels": [list(pair) for pair in self.levels], "observed": self.observed,
                "fitted": self.fitted, "standardized": self.standardized}


@dataclass(frozen=True)
class ExtremeLevel:
    """One flagged cluster: its BLUP of ``term`` and that BLUP over the SD of the levels
    not flagged (``standardized``), against ``threshold`` for ``n_levels`` levels."""

    group: str
    term: str
    level: str
    blup: float
    standardized: float
    threshold: float
    n_levels: int

    def to_dict(self) -> dict[str, Any]:
        return {"group": self.group, "term": self.term, "level": self.level,
                "blup": self.blup, "standardized": self.standardized,
                "threshold": self.threshold, "n_levels": self.n_levels}


@dataclass(frozen=True)
class OutlierReport:
    """Every outlying observation (most extreme first) and every extreme cluster."""

    kind: ClassVar[str] = "outliers"

    nobs: int
    threshold: float
    observations: tuple[OutlyingObservation, ...]
    extreme_levels: tuple[ExtremeLevel, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "nobs": self.nobs, "threshold": self.threshold,
                "observations": [o.to_dict() for o in self.observations],
                "extreme_levels": [e.to_dict() for e in self.extreme_levels]}


def outlier_report(fit: Any) -> OutlierReport:
    """The observations and clusters the residual diagnostics call outlying."""
    checks = check_residuals(fit)
    finding = next((f for f in checks.findings if f.code == "outlying_observations"), None)
    rows = [] if finding is None else [int(r) for r in finding.rows]
    residuals = np.asarray(fit.residuals(), dtype=float)
    fitted = np.asarray(fit.fitted(), dtype=float)
    observed = residuals + fitted
    source = fit.source_data if fit.source_data is not None else fit.data
    positions = fit.model_frame.source_positions(len(source))
    groups = [str(g) for g in fit.ngroups]
    frame = fit.data
    observations = tuple(
        OutlyingObservation(
            row=r,
            source_row=int(positions[r]),
            levels=tuple((g, str(frame[g].iloc[r])) for g in groups if g in frame.columns),
            observed=float(observed[r]),
            fitted=float(fitted[r]),
            standardized=float(residuals[r] / float(fit.sigma)),
        )
        for r in rows
    )
    return OutlierReport(
        nobs=int(fit.nobs),
        threshold=float(checks.outlier_threshold),
        observations=observations,
        extreme_levels=_extreme_levels(checks, fit.random_effects),
    )


def _extreme_levels(checks: Any, random_effects: Any) -> tuple[ExtremeLevel, ...]:
    """The diagnostics' ``extreme_levels`` findings, level by level with their numbers."""
    found: list[ExtremeLevel] = []
    for finding in checks.findings:
        if finding.code != "extreme_levels":
            continue
        blups = {str(e.level): float(e.value) for e in random_effects
                 if e.group == finding.group and e.term == finding.term}
        spread = float(finding.values["sd_unflagged"])
        found.extend(
            ExtremeLevel(str(finding.group), str(finding.term), level, blups[level],
                         blups[level] / spread, float(finding.values["threshold"]),
                         int(finding.values["n_levels"]))
            for level in finding.levels
        )
    return tuple(found)
