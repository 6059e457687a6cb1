"""Typed results of a linear mixed model fit (numbers only; narration words them)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from engine.blas_threads import fit_blas_threads
from engine.design import ModelFrame
from engine.model import LmmModel
from engine.optimize import OptSummary
from grammar.formula import ModelFormula

if TYPE_CHECKING:
    from engine.satterthwaite import SatterthwaiteSetup


@dataclass(frozen=True)
class FixedEffect:
    """One row of the coefficient table (lmerTest's ``summary``)."""

    term: str
    estimate: float
    se: float
    df: float
    t: float
    p: float
    ci_lower: float
    ci_upper: float


@dataclass(frozen=True)
class VarianceComponent:
    """One row of lme4's ``as.data.frame(VarCorr(m))``."""

    group: str
    var1: str | None
    var2: str | None
    vcov: float
    sdcor: float


@dataclass(frozen=True)
class RandomEffect:
    """One BLUP (conditional mode) with its conditional SD (lme4's ``condVar``)."""

    group: str
    term: str
    level: str
    value: float
    cond_sd: float


@dataclass(frozen=True)
class RandomEffectColumns:
    """Every BLUP (conditional mode) with its conditional SD (lme4's ``condVar``), one
    sequence per column, in lme4's ``as.data.frame(ranef)`` order: grouping factor by
    grouping factor, within one the terms' columns in turn, within a column every level.

    The same numbers as :class:`RandomEffect` rows, kept as arrays so that tables and
    files of every BLUP (250,000 on 125,000 groups with a random slope) need no object
    per BLUP.
    """

    group: list[str]
    term: list[str]
    level: list[Any]
    value: np.ndarray
    cond_sd: np.ndarray

    def __len__(self) -> int:
        return len(self.group)

    def rows(self) -> list[RandomEffect]:
        """One :class:`RandomEffect` per BLUP (values as Python floats)."""
        # the frozen dataclass's __init__ sets each field through object.__setattr__;
        # filling the instance dict directly builds the same objects in half the time
        names = ("group", "term", "level", "value", "cond_sd")
        make = object.__new__
        rows = []
        for fields_ in zip(self.group, self.term, self.level, self.value.tolist(),
                           self.cond_sd.tolist(), strict=True):
            row = make(RandomEffect)
            row.__dict__.update(zip(names, fields_, strict=True))
            rows.append(row)
        return rows

    def term_positions(self) -> dict[tuple[str, str], np.ndarray]:
        """The positions of each (grouping factor, term)'s BLUPs, in order of first
        appearance (a term given twice, as (1 | g) + (1 | g), is one entry)."""
        group = np.asarray(self.group, dtype=object)
        term = np.asarray(self.term, dtype=object)
        starts = np.flatnonzero((group[1:] != group[:-1]) | (term[1:] != term[:-1])) + 1
        bounds = [0, *starts.tolist(), len(self)] if len(self) else []
        out: dict[tuple[str, str], np.ndarray] = {}
        for a, b in pairwise(bounds):
            key = (self.group[a], self.term[a])
            block = np.arange(a, b)
            out[key] = np.concatenate([out[key], block]) if key in out else block
        return out

    def by_term(self) -> dict[tuple[str, str], tuple[list[str], np.ndarray]]:
        """(levels as text, BLUPs) of each (grouping factor, term), in order."""
        return {
            key: ([str(self.level[i]) for i in where.tolist()], self.value[where])
            for key, where in self.term_positions().items()
        }

    def records(self) -> list[dict[str, Any]]:
        """The fit JSON's ``random_effects`` (CONTRACTS §3): one dict per BLUP, a value or
        SD that is not finite as None."""
        values = _json_floats(self.value)
        sds = _json_floats(self.cond_sd)
        return [
            {"group": g, "term": t, "level": lv, "value": v, "cond_sd": sd}
            for g, t, lv, v, sd in zip(self.group, self.term, self.level, values, sds,
                                       strict=True)
        ]


def blups_by_term(
    random_effects: RandomEffectColumns | Sequence[Any],
) -> dict[tuple[str, str], tuple[list[str], np.ndarray]]:
    """(levels as text, BLUPs) of each (grouping factor, term) in order of first
    appearance, from a fit's columns or from any sequence of :class:`RandomEffect` rows."""
    if isinstance(random_effects, RandomEffectColumns):
        return random_effects.by_term()
    grouped: dict[tuple[str, str], list[Any]] = {}
    for e in random_effects:
        grouped.setdefault((e.group, e.term), []).append(e)
    return {
        key: ([str(e.level) for e in rows], np.array([float(e.value) for e in rows]))
        for key, rows in grouped.items()
    }


def fit_blups_by_term(fit: Any) -> dict[tuple[str, str], tuple[list[str], np.ndarray]]:
    """:func:`blups_by_term` of a fit: from its BLUP columns, or from its rows for an
    object that has only ``random_effects``."""
    columns = getattr(fit, "random_effect_columns", None)
    return blups_by_term(fit.random_effects if columns is None else columns)


def _json_floats(values: np.ndarray) -> list[float | None]:
    """Plain floats, None where a value is not finite (``_json_number`` on each)."""
    out: list[float | None] = values.tolist()
    for i in np.flatnonzero(~np.isfinite(values)).tolist():
        out[i] = None
    return out


def _json_number(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    value = float(value)
    return value if math.isfinite(value) else None


@dataclass(eq=False)
class LmmFit:
    """A fitted linear mixed model (see docs/ARCHITECTURE.md for every attribute)."""

    formula: str
    model_formula: ModelFormula
    method: str
    reml: bool
    ddf_method: str
    optimizer: str
    level: float
    nobs: int
    ngroups: dict[str, int]
    group_sizes: dict[str, np.ndarray]
    n_dropped: int
    dropped_by_variable: dict[str, int]
    criterion: float
    loglik: float
    aic: float
    bic: float
    npar: int
    sigma: float
    theta: np.ndarray
    converged: bool
    singular: bool
    warnings: list[str]
    opt: OptSummary
    fixed_effects: list[FixedEffect]
    variance_components: list[VarianceComponent]
    icc: float | None
    beta: np.ndarray
    vcov_beta: np.ndarray
    fixed_names: list[str]
    fixed_term_columns: dict[str, list[int]]
    aliased: list[str]
    response_name: str
    model_frame: ModelFrame
    model: LmmModel
    b: np.ndarray
    u: np.ndarray
    transform_state: Any = None
    source_data: pd.DataFrame | None = field(default=None, repr=False)
    #: fixed-effect columns on very different scales (lme4's checkScaleX; engine.design)
    poorly_scaled: list[str] = field(default_factory=list)
    #: continuous fixed-effect columns centred far from zero (engine.design.FarFromZero)
    far_from_zero: list[Any] = field(default_factory=list)
    #: why the df method asked for could not be used (``fit_lmm``'s ``ddf_fallback``)
    ddf_unavailable: str | None = None
    _cache: dict[str, Any] = field(default_factory=dict, repr=False)

    # ----------------------------------------------------------- lazy parts
    @property
    def data(self) -> pd.DataFrame:
        """The used rows and the model's variables, indexed 0..n-1 (built on first use)."""
        return self.model_frame.table()

    @property
    def random_effect_columns(self) -> RandomEffectColumns:
        """Every BLUP with its conditional SD as columns (computed once, see
        :class:`RandomEffectColumns`)."""
        if "random_effect_columns" not in self._cache:
            self._cache["random_effect_columns"] = self._compute_random_effect_columns()
        return self._cache["random_effect_columns"]

    @property
    def random_effects(self) -> list[RandomEffect]:
        """Every BLUP with its conditional SD, ordered as lme4's ``as.data.frame(ranef)``."""
        if "random_effects" not in self._cache:
            self._cache["random_effects"] = self.random_effect_columns.rows()
        return self._cache["random_effects"]

    def _compute_random_effect_columns(self) -> RandomEffectColumns:
        with fit_blas_threads():
            covs = self.model.conditional_covariances(self.theta, self.sigma**2)
        groups: list[str] = []
        for term in self.model.terms:
            if term.group not in groups:
                groups.append(term.group)
        group_col: list[str] = []
        term_col: list[str] = []
        level_col: list[Any] = []
        value_parts: list[np.ndarray] = []
        sd_parts: list[np.ndarray] = []
        for group in groups:
            for term, cov in zip(self.model.terms, covs, strict=True):
                if term.group != group:
                    continue
                s = term.n_columns
                values = self.b[term.z_slice].reshape(term.n_levels, s)
                sds = np.sqrt(np.maximum(np.diagonal(cov, axis1=1, axis2=2), 0.0))
                levels = list(term.levels)
                for a, column in enumerate(term.columns):
                    group_col.extend([group] * term.n_levels)
                    term_col.extend([column] * term.n_levels)
                    level_col.extend(levels)
                    value_parts.append(np.asarray(values[:, a], dtype=float))
                    sd_parts.append(np.asarray(sds[:, a], dtype=float))
        return RandomEffectColumns(
            group=group_col,
            term=term_col,
            level=level_col,
            value=np.concatenate(value_parts) if value_parts else np.empty(0),
            cond_sd=np.concatenate(sd_parts) if sd_parts else np.empty(0),
        )

    def satterthwaite(self) -> SatterthwaiteSetup:
        """The Satterthwaite ingredients (A = 2 H^-1 and the Jacobian), computed once."""
        if "satterthwaite" not in self._cache:
            from engine.satterthwaite import satterthwaite_setup

            with fit_blas_threads():
                self._cache["satterthwaite"] = satterthwaite_setup(
                    self.model, self.theta, self.sigma, self.reml
                )
        return self._cache["satterthwaite"]

    # ------------------------------------------------------------ methods
    def group_size_range(self, group: str) -> tuple[int, float, int] | None:
        """Observations per level of ``group``: (min, median, max), or None if unknown."""
        sizes = np.asarray(self.group_sizes.get(group, []))
        if not sizes.size:
            return None
        return int(sizes.min()), float(np.median(sizes)), int(sizes.max())

    def fitted(self) -> np.ndarray:
        """Conditional fitted values X beta-hat + Z b (computed once; a fresh copy each
        call, so a caller may change it)."""
        if "fitted" not in self._cache:
            self._cache["fitted"] = self.model.X @ self.beta + self.model.Z @ self.b
        return self._cache["fitted"].copy()

    def residuals(self) -> np.ndarray:
        """Conditional residuals y - X beta-hat - Z b."""
        return self.model.y - self.fitted()

    def refit(
        self,
        reml: bool | None = None,
        ddf: str | None = None,
        optimizer: str | None = None,
        max_iter: int | None = None,
        level: float | None = None,
        data: pd.DataFrame | None = None,
    ) -> LmmFit:
        """A new fit of the same formula with some settings changed, to the same data or
        to ``data`` (a subset, or the data set after a transform)."""
        from engine.lmm import fit_lmm

        if data is None:
            data = self.source_data if self.source_data is not None else self.data
        return fit_lmm(
            self.formula,
            data,
            reml=self.reml if reml is None else reml,
            ddf=self.ddf_method if ddf is None else ddf,
            optimizer=self.optimizer if optimizer is None else optimizer,
            max_iter=self.opt.max_iter if max_iter is None else max_iter,
            level=self.level if level is None else level,
        )

    def anova(self, ddf: str = "satterthwaite") -> pd.DataFrame:
        """Type III F tests (lmerTest's ``anova(m, type = 3)``): engine.anova."""
        from engine.anova import type3_anova

        return type3_anova(self, ddf)

    def confint(self, method: str = "wald", level: float = 0.95) -> pd.DataFrame:
        """Confidence intervals (Wald or profile likelihood): engine.profile."""
        from engine.profile import confint

        return confint(self, method, level)

    def fixed_effects_frame(self) -> pd.DataFrame:
        return pd.DataFrame([vars(fe) for fe in self.fixed_effects])

    def to_dict(self) -> dict[str, Any]:
        """The fit-result object of CONTRACTS section 3 (JSON-safe)."""
        return {
            "kind": "lmm_fit",
            "formula": self.formula,
            "method": self.method,
            "nobs": int(self.nobs),
            "ngroups": {k: int(v) for k, v in self.ngroups.items()},
            "criterion": _json_number(self.criterion),
            "loglik": _json_number(self.loglik),
            "aic": _json_number(self.aic),
            "bic": _json_number(self.bic),
            "npar": int(self.npar),
            "sigma": _json_number(self.sigma),
            "theta": [_json_number(t) for t in self.theta],
            "converged": bool(self.converged),
            "singular": bool(self.singular),
            "warnings": list(self.warnings),
            "ddf_method": self.ddf_method,
            "ddf_unavailable": self.ddf_unavailable,
            "optimizer": self.optimizer,
            "n_dropped": int(self.n_dropped),
            "aliased": list(self.aliased),
            "fixed_effects": [
                {k: (v if k == "term" else _json_number(v)) for k, v in vars(fe).items()}
                for fe in self.fixed_effects
            ],
            "variance_components": [
                {
                    "group": vc.group,
                    "var1": vc.var1,
                    "var2": vc.var2,
                    "vcov": _json_number(vc.vcov),
                    "sdcor": _json_number(vc.sdcor),
                }
                for vc in self.variance_components
            ],
            "random_effects": self.random_effect_columns.records(),
            "icc": _json_number(self.icc),
            "optinfo": self.opt.to_dict(),
        }
