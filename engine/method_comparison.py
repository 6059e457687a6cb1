"""One model under two methods, side by side.

- :func:`ddf_comparison`: each fixed effect's test with Satterthwaite's degrees of freedom
  (lmerTest's ``summary``, Kuznetsova et al. 2017) and with Kenward and Roger's (1997)
  adjusted covariance and degrees of freedom (pbkrtest's ``vcovAdj`` and ``KRmodcomp``, as
  lmerTest's ``summary(m, ddf = "Kenward-Roger")``). Both use the REML fit.
- :func:`estimation_comparison`: the model fitted by REML and by ML (lme4's ``REML =
  TRUE/FALSE``): fixed effects with their SEs, every variance component (lme4's
  ``as.data.frame(VarCorr(m))``) and the log-likelihood under each criterion.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from engine.errors import LmmInputError


@dataclass(frozen=True)
class DdfRow:
    """One fixed effect: the estimate, then SE, df and p under each df method."""

    term: str
    estimate: float
    se_satterthwaite: float
    df_satterthwaite: float
    t_satterthwaite: float
    p_satterthwaite: float
    se_kenward_roger: float
    df_kenward_roger: float
    t_kenward_roger: float
    p_kenward_roger: float


@dataclass(frozen=True)
class DdfComparison:
    rows: tuple[DdfRow, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"kind": "ddf_comparison", "rows": [asdict(r) for r in self.rows]}


def ddf_comparison(fit: Any) -> DdfComparison:
    """Satterthwaite's and Kenward-Roger's tests of each fixed effect of a REML fit."""
    if not fit.reml:
        raise LmmInputError(
            "Kenward-Roger's method needs a REML fit and this model was fitted by ML; refit it "
            "with REML (`refit with REML`) and compare again."
        )
    from engine.kenward_roger import kenward_roger_table

    satterthwaite = fit if fit.ddf_method == "satterthwaite" else fit.refit(ddf="satterthwaite")
    kr = kenward_roger_table(fit)
    rows = tuple(
        DdfRow(
            term=s.term, estimate=s.estimate,
            se_satterthwaite=s.se, df_satterthwaite=s.df, t_satterthwaite=s.t,
            p_satterthwaite=s.p,
            se_kenward_roger=k.se, df_kenward_roger=k.df, t_kenward_roger=k.t,
            p_kenward_roger=k.p,
        )
        for s, k in zip(satterthwaite.fixed_effects, kr, strict=True)
    )
    return DdfComparison(rows)


@dataclass(frozen=True)
class EstimateRow:
    """One fixed effect's estimate and SE under REML and under ML."""

    term: str
    estimate_reml: float
    se_reml: float
    estimate_ml: float
    se_ml: float


@dataclass(frozen=True)
class VarianceRow:
    """One variance component (a variance, or a correlation when ``var2`` is set) under
    REML and ML: ``vcov`` the variance or covariance, ``sdcor`` the SD or correlation."""

    group: str
    var1: str | None
    var2: str | None
    vcov_reml: float
    sdcor_reml: float
    vcov_ml: float
    sdcor_ml: float


@dataclass(frozen=True)
class EstimationComparison:
    fixed: tuple[EstimateRow, ...]
    variances: tuple[VarianceRow, ...]
    loglik_reml: float
    loglik_ml: float
    nobs: int
    n_fixed: int
    singular_reml: bool
    singular_ml: bool

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["fixed"] = [asdict(r) for r in self.fixed]
        out["variances"] = [asdict(r) for r in self.variances]
        return {"kind": "estimation_comparison", **out}


def estimation_comparison(fit: Any) -> EstimationComparison:
    """The model ``fit`` fitted by REML and by ML, row by row (lme4's ``REML = TRUE`` and
    ``REML = FALSE``; the fit's own method is reused, the other is a refit)."""
    reml = fit if fit.reml else fit.refit(reml=True)
    ml = fit.refit(reml=False) if fit.reml else fit
    fixed = tuple(
        EstimateRow(r.term, r.estimate, r.se, m.estimate, m.se)
        for r, m in zip(reml.fixed_effects, ml.fixed_effects, strict=True)
    )
    variances = tuple(
        VarianceRow(r.group, r.var1, r.var2, r.vcov, r.sdcor, m.vcov, m.sdcor)
        for r, m in zip(reml.variance_components, ml.variance_components, strict=True)
    )
    return EstimationComparison(
        fixed=fixed, variances=variances, loglik_reml=reml.loglik, loglik_ml=ml.loglik,
        nobs=int(fit.nobs), n_fixed=len(fixed), singular_reml=bool(reml.singular),
        singular_ml=bool(ml.singular),
    )
