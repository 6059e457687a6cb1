"""Typed results of the steps whose outcome is about the session, not a statistic.

Statistics come from the engine as its own result objects; the types here wrap them
with what the narration needs to know about the session (which model, which data,
what was refitted) and add the few steps that compute nothing (options, help).
Every type has ``to_dict()`` returning a JSON-safe dict with a ``kind``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from assistant.help_topics import HelpTopic
from assistant.state import FittedModel


def json_safe(value: Any) -> Any:
    """Plain JSON values: NaN and infinities become None, numpy scalars plain numbers."""
    kind = type(value)
    if kind is str or kind is int or kind is bool or value is None:
        return value
    if kind is float:
        return value if math.isfinite(value) else None
    if hasattr(value, "to_dict") and not isinstance(value, pd.DataFrame | pd.Series):
        return json_safe(value.to_dict())
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [json_safe(v) for v in value]
    if isinstance(value, pd.DataFrame):
        return [json_safe(r) for r in value.to_dict(orient="records")]
    if isinstance(value, pd.Series):
        return json_safe(value.to_list())
    if isinstance(value, np.ndarray):
        return json_safe(value.tolist())
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, Path):
        return str(value)
    if value is pd.NA or value is pd.NaT:
        return None
    return value


def model_ref(model: FittedModel) -> dict[str, Any]:
    return {
        "number": model.number,
        "name": model.name,
        "label": model.label,
        "formula": model.fit.formula,
    }


@dataclass(frozen=True)
class DatasetLoaded:
    """A data set became the current one (a sample, a file, or a reshaped copy)."""

    name: str
    source: str  # "sample", "file", "reshape", "transform", "given"
    nrows: int
    columns: tuple[str, ...]
    summary: Any = None  # engine describe_data result when available
    description: str = ""  # one-line description of a sample, from the engine
    engine_result: Any = None  # e.g. the reshape or transform record

    def to_dict(self) -> dict[str, Any]:
        out = {
            "kind": "dataset",
            "name": self.name,
            "source": self.source,
            "nrows": self.nrows,
            "columns": list(self.columns),
        }
        if self.summary is not None:
            out["summary"] = json_safe(self.summary)
        if self.engine_result is not None:
            out["details"] = json_safe(self.engine_result)
        return json_safe(out)


@dataclass(frozen=True)
class DataSubset:
    """Rows dropped or kept (``engine.subset.SubsetResult``): the kept rows became the
    data set ``name``, cut from ``parent``. ``parent_model`` is the newest model of
    ``parent``, which a refit would now fit to these rows."""

    name: str
    parent: str
    result: Any  # engine.subset.SubsetResult
    parent_model: FittedModel | None = None
    #: The same request goes on to refit or change a model (no need to suggest it).
    refit_follows: bool = False

    def to_dict(self) -> dict[str, Any]:
        out = json_safe(self.result)
        out.update({"kind": "subset_data", "name": self.name, "parent": self.parent})
        return json_safe(out)


@dataclass(frozen=True)
class TimeValueSubset:
    """Rows kept or dropped by the time column's values ("exclude the first two days":
    ``engine.time_value_subset.TimeValueSubsetResult``), as the data set ``name`` cut
    from ``parent`` (``name == parent`` when no row was removed); ``unit`` as typed."""

    name: str
    parent: str
    result: Any  # engine.time_value_subset.TimeValueSubsetResult
    unit: str
    parent_model: FittedModel | None = None
    refit_follows: bool = False
    guessed: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        out = json_safe(self.result)
        out.update({"name": self.name, "parent": self.parent, "unit": self.unit,
                    "guessed": list(self.guessed)})
        return json_safe(out)


@dataclass(frozen=True)
class VisitSubset:
    """Each subject's first/last time points kept or dropped
    (``engine.visit_subset.VisitSubsetResult``): the kept rows became the data set
    ``name``, cut from ``parent`` (``name == parent`` when no row was removed).
    ``guessed`` names the roles (``subject``, ``time``) the session guessed rather than
    the request named; ``other_times`` are further time-like columns that vary within
    subjects (a reason to name the time column)."""

    name: str
    parent: str
    result: Any  # engine.visit_subset.VisitSubsetResult
    parent_model: FittedModel | None = None
    refit_follows: bool = False
    guessed: tuple[str, ...] = ()
    other_times: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        out = json_safe(self.result)
        out.update({
            "name": self.name, "parent": self.parent, "guessed": list(self.guessed),
            "other_times": list(self.other_times),
        })
        return json_safe(out)


@dataclass(frozen=True)
class GroupSizeSubset:
    """Whole subjects dropped or kept by their number of usable rows
    (``engine.group_size_subset.GroupSizeSubsetResult``): the kept rows became the data
    set ``name``, cut from ``parent`` (``name == parent`` when no row was removed).
    ``guessed`` is True when the subjects' column is the session's guess rather than the
    request's or the model's."""

    name: str
    parent: str
    result: Any  # engine.group_size_subset.GroupSizeSubsetResult
    parent_model: FittedModel | None = None
    refit_follows: bool = False
    guessed: bool = False

    def to_dict(self) -> dict[str, Any]:
        out = json_safe(self.result)
        out.update({"name": self.name, "parent": self.parent, "guessed": self.guessed})
        return json_safe(out)


@dataclass(frozen=True)
class BaselineCovariateOutcome:
    """The baseline taken out as a covariate
    (``engine.baseline_covariate.BaselineCovariateResult``): the follow-up rows became
    the data set ``name``, cut from ``parent``; ``base`` the model it was added to (None:
    the usual model of the data); ``fitted`` the refit with the covariate."""

    name: str
    parent: str
    result: Any  # engine.baseline_covariate.BaselineCovariateResult
    base: FittedModel | None
    fitted: Any  # FitOutcome

    def to_dict(self) -> dict[str, Any]:
        out = json_safe(self.result)
        out.update({"name": self.name, "parent": self.parent,
                    "fit": self.fitted.to_dict()})
        return json_safe(out)


@dataclass(frozen=True)
class OutlierRefit:
    """A model fitted again without its outlying observations
    (``engine.sensitivity.OutlierSensitivity``); ``refitted`` is the new session model
    and ``dataset`` the data set of its rows (both None when there were no outliers)."""

    model: FittedModel
    result: Any  # engine.sensitivity.OutlierSensitivity
    refitted: FittedModel | None = None
    dataset: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out = json_safe(self.result)
        out["model"] = model_ref(self.model)
        out["refitted"] = None if self.refitted is None else model_ref(self.refitted)
        out["dataset"] = self.dataset
        return json_safe(out)


@dataclass(frozen=True)
class ModelChange:
    """A modify_model step: its ``operation`` and the ``variables`` (term labels) it named."""

    operation: str
    variables: tuple[str, ...] = ()
    #: terms added because an added interaction needs them (its main effects), or, for
    #: drop_variable, the interactions removed with the variables
    implied: tuple[str, ...] = ()


@dataclass(frozen=True)
class WithinBetweenOutcome:
    """A predictor split into its cluster mean and the deviation from it
    (``engine.within_between.WithinBetweenSplit``), added to the data set ``dataset``;
    ``base`` the current model then. When ``base`` used the predictor as a main effect,
    ``fitted`` is the refit with the two parts and ``effects`` their two slopes and the
    contextual effect (``engine.within_between.WithinBetweenEffects``)."""

    dataset: str
    split: Any
    base: Any = None  # FittedModel or None
    fitted: Any = None  # FitOutcome or None
    effects: Any = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": "within_between", "dataset": self.dataset,
                               "split": self.split.to_dict()}
        if self.fitted is not None:
            out["fit"] = self.fitted.to_dict()
            out["effects"] = self.effects.to_dict()
        return json_safe(out)


@dataclass(frozen=True)
class RefitUnchanged:
    """A refit naming settings the model already has (the same method, df,
    optimizer, iteration limit and rows), so nothing was fitted. ``named`` holds the
    settings the request named (option name -> value), e.g. ``{"method": "ML"}``."""

    model: FittedModel
    named: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return json_safe(
            {"kind": "refit_unchanged", "model": model_ref(self.model), "named": self.named}
        )


@dataclass(frozen=True)
class FitOutcome:
    """A model the session fitted, with how its formula came about."""

    model: FittedModel
    built_from: str | None = None  # "model 1", "data" or None when the formula was typed
    guessed_roles: dict[str, str] = field(default_factory=dict)
    note: str | None = None  # e.g. how a "random slope" request was read
    variance: Any = None  # engine.variance.VarianceExplained when the fit has no plain ICC
    #: What a refit took from choices made after the original fit: option name -> value,
    #: and ``"data"`` -> the data set's name when it was transformed since;
    #: ``"subset"`` -> (current data set, model's data set) when the fit used the rows
    #: of a subset cut from the model's data set.
    newer_choices: dict[str, Any] = field(default_factory=dict)
    #: The modify_model change that made this model from ``built_from``, or None.
    change: ModelChange | None = None
    #: ``engine.fixed_covariance.QuadraticTerm`` for each I(x^2) term of the fit.
    quadratics: tuple[Any, ...] = ()
    #: The roles among ``guessed_roles`` taken from the person's description of the study.
    described_roles: dict[str, str] = field(default_factory=dict)

    @property
    def fit(self) -> Any:
        return self.model.fit

    @property
    def missing_codes(self) -> list[Any]:
        """Columns of the model whose rows used hold a value such as -99 that looks like a
        missing-value code (``engine.missing_codes.SuspectedCode``)."""
        from engine.missing_codes import suspected_missing_codes

        return suspected_missing_codes(self.model.fit.data)

    def to_dict(self) -> dict[str, Any]:
        """The fit (CONTRACTS §3), plus the convergence ladder's record when it ran, so
        that JSON readers see every remedy that was tried, as the narration tells it."""
        out = self.model.fit.to_dict()
        if self.model.audit is not None:
            out["convergence_audit"] = self.model.audit.to_dict()
        return json_safe(out)


@dataclass(frozen=True)
class ModelView:
    """A part of one fitted model to show: fixed effects, BLUPs, variance components, ICC."""

    #: "fixed_effects", "blups", "variance_components", "icc", "current", "settings",
    #: "convergence"
    view: str
    model: FittedModel
    variance: Any = None  # engine.variance result (R², adjusted ICC) when computed
    include_icc: bool = True
    group: str | None = None  # BLUPs of this grouping factor only (None: every factor)
    levels: tuple[str, ...] | None = None  # BLUPs of these levels of ``group`` only
    #: fixed effects: the variable a question is about, and the type III tests of the
    #: terms that contain it (a DataFrame as ``LmmFit.anova`` returns it)
    focus: str | None = None
    focus_tests: Any = None
    #: the question was about an interaction: ``focus`` holds its variables joined by
    #: ':' ("interaction" when none was named); empty tests mean the model has none
    focus_interaction: bool = False
    #: variance components: the question asked (``"correlation"``: of the random
    #: intercept and slope), and a variable a random slope could be added for
    question: str | None = None
    slope_hint: str | None = None

    def to_dict(self) -> dict[str, Any]:
        fit = self.model.fit.to_dict()
        out: dict[str, Any] = {"kind": self.view, "model": model_ref(self.model)}
        if self.view == "current":
            out["formula"] = fit["formula"]
        elif self.view == "settings":
            opt = self.model.fit.opt
            out.update(
                method=fit["method"], ddf=self.model.fit.ddf_method,
                optimizer=opt.optimizer, evaluations=int(opt.evaluations),
                converged=bool(opt.converged), return_code=opt.return_code,
                singular=bool(self.model.fit.singular), level=float(self.model.fit.level),
                formula=fit["formula"], nobs=int(self.model.fit.nobs),
            )
        elif self.view == "fixed_effects":
            out["fixed_effects"] = fit["fixed_effects"]
            if self.focus is not None and self.focus_tests is not None:
                out["focus"] = self.focus
                out["focus_tests"] = self.focus_tests.to_dict(orient="records")
                out["focus_interaction"] = self.focus_interaction
        elif self.view == "convergence":
            out.update(
                converged=fit["converged"], singular=fit["singular"], warnings=fit["warnings"]
            )
        elif self.view == "blups":
            out["random_effects"] = [
                row for row in fit["random_effects"]
                if (self.group is None or row["group"] == self.group)
                and (self.levels is None or str(row["level"]) in self.levels)
            ]
        else:
            out["variance_components"] = fit["variance_components"]
            out["icc"] = fit["icc"]
        if self.variance is not None:
            out["variance_explained"] = json_safe(self.variance)
        return json_safe(out)


@dataclass(frozen=True)
class FitStatisticsReport:
    """How well one or several session models fit (``engine.fit_statistics``).

    ``statistics[i]`` belongs to ``models[i]`` (in order of fitting); ``focus`` is the
    model the question was about (``None`` when several were asked for);
    ``comparability`` is ``None`` when the models' own likelihoods may be set side by
    side, else an ``engine.fit_statistics.ISSUE_*`` code.
    """

    models: tuple[FittedModel, ...]
    statistics: tuple[Any, ...]  # engine.fit_statistics.FitStatistics
    focus: FittedModel | None = None
    comparability: str | None = None
    #: "r2" when only the R² were asked for ("R2 for each model"); None for everything
    measure: str | None = None

    def to_dict(self) -> dict[str, Any]:
        rows = []
        for model, stats in zip(self.models, self.statistics, strict=True):
            body = stats.to_dict()
            body.pop("kind", None)
            rows.append({"model": model_ref(model), **body})
        return json_safe(
            {
                "kind": "fit_statistics",
                "measure": self.measure,
                "focus": self.focus.number if self.focus is not None else None,
                "comparable": self.comparability is None,
                "comparability_issue": self.comparability,
                "models": rows,
            }
        )


@dataclass(frozen=True)
class PaperWriteUp:
    """What the methods and results paragraphs of one model are written from.

    ``variance`` is ``engine.variance.variance_explained`` of the fit (R², the adjusted
    ICC); ``comparison`` is the session's last comparison when it holds this model (or a
    model of the same formula on the same data, e.g. its ML twin), and ``compared_as``
    that model's row in it. ``part`` is "methods", "results" or None for both.
    """

    model: FittedModel
    part: str | None
    variance: Any
    comparison: Any = None  # SessionComparison
    compared_as: FittedModel | None = None

    def to_dict(self) -> dict[str, Any]:
        fit = self.model.fit
        comparison = self.comparison
        return json_safe(
            {
                "kind": "write_up",
                "model": model_ref(self.model),
                "part": self.part,
                "method": fit.method,
                "ddf": fit.ddf_method,
                "optimizer": fit.opt.optimizer,
                "nobs": fit.nobs,
                "n_dropped": fit.n_dropped,
                "ngroups": dict(fit.ngroups),
                "fixed_effects": [dict(vars(fe)) for fe in fit.fixed_effects],
                "icc": fit.icc,
                "icc_adjusted": getattr(self.variance, "icc_adjusted", None),
                "r2_marginal": getattr(self.variance, "r2_marginal", None),
                "r2_conditional": getattr(self.variance, "r2_conditional", None),
                "comparison": None if comparison is None else comparison.to_dict(),
            }
        )


@dataclass(frozen=True)
class SessionComparison:
    """An AIC/BIC/LRT comparison (``engine.compare.ModelComparison``) of session models.

    ``models`` are in the order of the table's rows.
    """

    models: tuple[FittedModel, ...]
    comparison: Any  # engine.compare.ModelComparison
    criteria: tuple[str, ...]
    #: (smaller model, larger model, ModelComparison of the two) for nested pairs the
    #: table's row-by-row tests skip over.
    pairwise: tuple[tuple[FittedModel, FittedModel, Any], ...] = ()
    #: (left out, same as) model numbers: identical formula and method, compared once.
    duplicates: tuple[tuple[int, int], ...] = ()
    #: ``engine.fit_statistics.FitStatistics`` of each model as fitted (in row order),
    #: when R² was asked for; empty otherwise.
    r2: tuple[Any, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        c = self.comparison
        return json_safe(
            {
                "kind": "model_comparison",
                "models": [model_ref(m) for m in self.models],
                "criteria": list(self.criteria),
                "criterion": c.criterion,
                "refit": c.refit,
                "refitted_with_ml": c.refitted_with_ml,
                "refit_reason": c.refit_reason,
                "lrt_valid": c.lrt_valid,
                "table": c.table,
                "pairwise": [
                    {"models": [small.number, large.number], "table": pair.table}
                    for small, large, pair in self.pairwise
                ],
                "r2": [
                    {"model": model.number, "method": stats.method,
                     "r2_marginal": stats.r2_marginal, "r2_conditional": stats.r2_conditional}
                    for model, stats in (zip(self.models, self.r2, strict=True)
                                         if self.r2 else ())
                ],
            }
        )


@dataclass(frozen=True)
class ModelTable:
    """A table computed for one model: type III tests or confidence intervals."""

    kind: str  # "anova" or "confint"
    model: FittedModel
    table: pd.DataFrame
    method: str  # ddf method for anova, interval method for confint
    level: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return json_safe(
            {
                "kind": self.kind,
                "model": model_ref(self.model),
                "method": self.method,
                "level": self.level,
                "table": self.table,
            }
        )


@dataclass(frozen=True)
class BootstrapReport:
    """Parametric bootstrap intervals (``engine.bootstrap.BootstrapConfint``) with the same
    model's Wald intervals and, when the profile was not declined, its profile intervals
    (``profile.confint`` tables: parameter, lower, upper)."""

    bootstrap: Any
    wald: pd.DataFrame
    profile: pd.DataFrame | None = None

    def to_dict(self) -> dict[str, Any]:
        return json_safe(
            {**self.bootstrap.to_dict(), "wald": self.wald, "profile": self.profile}
        )


@dataclass(frozen=True)
class LevelComparisonAnswer:
    """One level against another (``difference``: first minus second) and what the
    question claimed of it ("higher" or "lower")."""

    difference: Any  # engine.level_difference.LevelDifference
    direction: str

    def to_dict(self) -> dict[str, Any]:
        return {**json_safe(self.difference), "asked_direction": self.direction}


@dataclass(frozen=True)
class ChangeRanking:
    """Levels ranked by their own slope, asked for in words of change ("which subject
    deteriorates fastest?"): ``asked`` is ``worsens``, ``improves``, ``rises`` or
    ``falls``, ``fastest`` whether the fastest (else the slowest) come first, ``rising``
    whether that change is a rising outcome, ``polarity_known`` whether the outcome's
    name said which way is worse (``assistant.outcome_direction``)."""

    ranking: Any  # engine.own_slopes.OwnSlopeRanking
    asked: str
    fastest: bool
    rising: bool
    polarity_known: bool

    def to_dict(self) -> dict[str, Any]:
        return {**json_safe(self.ranking), "asked": self.asked, "fastest": self.fastest,
                "rising": self.rising, "polarity_known": self.polarity_known}


@dataclass(frozen=True)
class SharedSlopeAnswer:
    """A question of change asked of each level ("did anyone get worse?") in a model
    without a random slope: every level shares the fixed slope(s) in ``slopes``.
    ``asked``, ``rising`` and ``polarity_known`` as in :class:`ChangeRanking`."""

    slopes: Any  # engine.shared_slope.SharedSlopes
    asked: str
    rising: bool
    polarity_known: bool

    def to_dict(self) -> dict[str, Any]:
        return {**json_safe(self.slopes), "asked": self.asked, "rising": self.rising,
                "polarity_known": self.polarity_known}


@dataclass(frozen=True)
class ObservedMeanAnswer:
    """ "Which school has the highest average score?": the levels by their observed mean
    (``ranking``), and, when a model of the data has a random intercept by the group, the
    first level of the same ranking by that intercept's BLUP (``blup_first``: an
    engine.blups.BlupRanking of one row) and the model's fixed predictors it adjusts for."""

    ranking: Any  # engine.observed_mean_ranking.ObservedMeanRanking
    blup_first: Any = None  # engine.blups.BlupRanking | None
    adjusted_for: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        blup = None if self.blup_first is None else json_safe(self.blup_first)
        return {**json_safe(self.ranking), "blup_first": blup,
                "adjusted_for": list(self.adjusted_for)}


@dataclass(frozen=True)
class AskedRanking:
    """A BLUP ranking asked for by a word that names its direction only by meaning
    ("harshest raters": the lowest first), kept for the answer to say how it was read."""

    ranking: Any  # engine.blups.BlupRanking
    asked: str  # "harshest" or "most lenient"

    def to_dict(self) -> dict[str, Any]:
        return {**json_safe(self.ranking), "asked": self.asked}


@dataclass(frozen=True)
class EngineResult:
    """An engine result about one model (side-by-side comparisons, predictions,
    figures, convergence audits) together with the model it describes."""

    kind: str
    result: Any
    model: FittedModel | None = None
    #: What the answer must say about a part of the request it could not give (words17:
    #: error bars asked for before any model, so the observed data are drawn without them).
    note: str | None = None

    def to_dict(self) -> dict[str, Any]:
        body = json_safe(self.result)
        out: dict[str, Any] = {"kind": self.kind}
        if self.model is not None:
            out["model"] = model_ref(self.model)
        if isinstance(body, dict):
            body.pop("kind", None)
            out.update(body)
        else:
            out["result"] = body
        return json_safe(out)


@dataclass(frozen=True)
class ExportedFile:
    """One file written: what it holds, how many rows, and whether it replaced a file."""

    path: Path
    table: str  # fixed_effects, variance_components, random_effects, fit, comparison
    rows: int | None  # None for the fit JSON
    overwritten: bool

    def to_dict(self) -> dict[str, Any]:
        return json_safe({"path": self.path, "table": self.table, "rows": self.rows,
                          "overwritten": self.overwritten})


@dataclass(frozen=True)
class ExportedFiles:
    """Files an ``export_results`` step wrote (``model`` None for a comparison alone)."""

    model: FittedModel | None
    files: tuple[ExportedFile, ...]
    #: True when "results" went to one CSV file, which holds the fixed effects only
    fixed_effects_for_results: bool = False
    #: Several models written together ("export all models"); ``model`` is then None.
    models: tuple[FittedModel, ...] = ()
    #: The key of each of ``models`` in the JSON files (``assistant.exports.model_keys``).
    keys: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": "export", "files": [f.to_dict() for f in self.files]}
        if self.model is not None:
            out["model"] = model_ref(self.model)
        if self.models:
            out["models"] = [
                {**model_ref(m), "key": key} for m, key in zip(self.models, self.keys, strict=True)
            ]
        return json_safe(out)


@dataclass(frozen=True)
class OptionChanged:
    name: str
    value: Any
    previous: Any
    #: The session now says ML and Kenward-Roger: ML fits will use Satterthwaite df.
    kr_needs_reml: bool = False

    def to_dict(self) -> dict[str, Any]:
        return json_safe(
            {"kind": "option", "name": self.name, "value": self.value, "previous": self.previous}
        )


@dataclass(frozen=True)
class HelpAnswer:
    topic: HelpTopic
    samples: tuple[tuple[str, str], ...] = ()  # (name, description) for the samples topic
    #: The newest model's value of what the topic explains ("what is the ICC?" after a
    #: fit asks for the number as much as for the idea), or None.
    current: ModelView | None = None

    def to_dict(self) -> dict[str, Any]:
        out = {"kind": "help", "topic": self.topic.key, "title": self.topic.title}
        if self.current is not None:
            out["current"] = self.current.to_dict()
        return out


@dataclass(frozen=True)
class StudyDescribed:
    """What one descriptive sentence contributed: ``recorded`` role -> column (in
    :data:`assistant.narrate.study.ROLE_WORDS` order), ``unmatched`` (role, word) pairs
    the phrasing implied but no column matched."""

    sentence: str
    recorded: dict[str, str] = field(default_factory=dict)
    unmatched: tuple[tuple[str, str], ...] = ()
    #: a data set the sentence only names ("This is lme4's sleepstudy"), the session's
    #: current data set, and whether the name is one of the built-in samples
    dataset: str | None = None
    current_data: str | None = None
    is_sample: bool = False

    def to_dict(self) -> dict[str, Any]:
        named = {} if self.dataset is None else {
            "dataset": self.dataset, "current_data": self.current_data,
            "is_sample": self.is_sample,
        }
        return {
            "kind": "study_description",
            "sentence": self.sentence,
            "roles": dict(self.recorded),
            "not_used": [{"role": role, "word": word} for role, word in self.unmatched],
            **named,
        }
