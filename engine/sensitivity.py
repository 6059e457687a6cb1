"""A sensitivity check: the same model fitted again without its outlying observations.

The outlying observations are exactly those of the residual diagnostics
(:func:`engine.residual_checks.check_residuals`, rule ``outlying_observations``: a
standardized conditional residual beyond the Bonferroni bound max(3, Φ⁻¹(1 − 0.025/n))).
The refit uses the same formula and the same settings (REML/ML, df method, optimizer,
iteration limit, interval level) on the data the model was fitted to, without those
rows; each fixed effect is then set next to its estimate with every row, as the usual
robustness check of a regression on influential points (Fox, *Regression Diagnostics*,
1991) is reported: the estimates, their SEs and p-values, and the shift of the estimate
in units of its full-data SE.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from engine.outliers import outlier_report


@dataclass(frozen=True)
class TermSensitivity:
    """One fixed effect with every row and without the outliers.

    ``shift_in_se`` = (estimate without − estimate with every row) / SE with every row.
    """

    term: str
    estimate_all: float
    se_all: float
    p_all: float | None
    estimate_without: float
    se_without: float
    p_without: float | None
    shift_in_se: float

    def to_dict(self) -> dict[str, Any]:
        return {k: (_finite(v) if isinstance(v, float) else v) for k, v in vars(self).items()}


@dataclass(frozen=True)
class OutlierSensitivity:
    """What the outlier refit found and changed.

    ``rows`` are 0-based positions in the model frame (``fit.data``), most extreme first,
    as ``Finding.rows`` gives them; ``source_rows`` the same rows as 0-based positions in
    the data the model was fitted to (they differ only when the fit dropped rows with
    missing values); ``z`` their standardized residuals. ``refit`` is None when the model
    has no outlying observation. ``sigma_all``/``sigma_without`` are the residual SDs.
    """

    threshold: float
    rows: tuple[int, ...]
    source_rows: tuple[int, ...]
    z: tuple[float, ...]
    nobs_all: int
    refit: Any = None  # engine.results.LmmFit without the rows
    data_without: pd.DataFrame | None = None
    terms: tuple[TermSensitivity, ...] = ()
    sigma_all: float | None = None
    sigma_without: float | None = None
    #: (group, term, levels) of the diagnostics' ``extreme_levels`` findings: whole
    #: clusters far from the rest, which this refit keeps.
    extreme_levels: tuple[tuple[str, str, tuple[str, ...]], ...] = ()

    @property
    def found(self) -> bool:
        return bool(self.rows)

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": "refit_without_outliers",
            "threshold": _finite(self.threshold),
            "rows": list(self.rows),
            "source_rows": list(self.source_rows),
            "z": [_finite(v) for v in self.z],
            "nobs_all": self.nobs_all,
            "nobs_without": None if self.refit is None else int(self.refit.nobs),
            "terms": [t.to_dict() for t in self.terms],
            "sigma_all": _finite(self.sigma_all),
            "sigma_without": _finite(self.sigma_without),
            "extreme_levels": [
                {"group": g, "term": t, "levels": list(levels)}
                for g, t, levels in self.extreme_levels
            ],
        }


def _finite(value: float | None) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    return float(value)


def outlier_sensitivity(fit: Any) -> OutlierSensitivity:
    """Find ``fit``'s outlying observations (the diagnostics' rule) and refit without them."""
    report = outlier_report(fit)
    extreme = tuple(
        (group, term, tuple(e.level for e in report.extreme_levels
                            if (e.group, e.term) == (group, term)))
        for group, term in dict.fromkeys((e.group, e.term) for e in report.extreme_levels)
    )
    if not report.observations:
        return OutlierSensitivity(
            report.threshold, (), (), (), int(fit.nobs), extreme_levels=extreme
        )
    rows = tuple(o.row for o in report.observations)
    source_rows = tuple(o.source_row for o in report.observations)
    source = fit.source_data if fit.source_data is not None else fit.data
    keep = np.ones(len(source), dtype=bool)
    keep[list(source_rows)] = False
    without = source.loc[keep].reset_index(drop=True)

    refit = fit.refit(data=without)
    return OutlierSensitivity(
        threshold=report.threshold,
        rows=rows,
        source_rows=source_rows,
        z=tuple(o.standardized for o in report.observations),
        nobs_all=int(fit.nobs),
        refit=refit,
        data_without=without,
        terms=_term_table(fit, refit),
        sigma_all=float(fit.sigma),
        sigma_without=float(refit.sigma),
        extreme_levels=extreme,
    )


def _term_table(fit: Any, refit: Any) -> tuple[TermSensitivity, ...]:
    after = {fe.term: fe for fe in refit.fixed_effects}
    out = []
    for fe in fit.fixed_effects:
        other = after.get(fe.term)
        if other is None:  # a level that only the outliers had: no estimate without them
            continue
        shift = (other.estimate - fe.estimate) / fe.se if fe.se > 0 else float("nan")
        out.append(
            TermSensitivity(
                term=fe.term,
                estimate_all=float(fe.estimate),
                se_all=float(fe.se),
                p_all=_finite(fe.p),
                estimate_without=float(other.estimate),
                se_without=float(other.se),
                p_without=_finite(other.p),
                shift_in_se=float(shift),
            )
        )
    return tuple(out)
