"""The plan: typed steps that the grammar makes of a request and the executor runs.

Each step is a frozen dataclass with a ``kind`` (CONTRACTS.md section 4) and
``to_dict()``; :class:`Plan` holds the request text and its steps in order.

Conventions shared with the executor
------------------------------------
* Model references are strings: ``"last"``, ``"1"``, ``"2"``, ..., ``"all"``, or a
  structure name such as ``"random_slope"``. ``None`` means the current (last) model.
  A model named at its fit ("... called baseline") is referred to as ``"label:baseline"``
  (:func:`label_ref`), so that a label never reads as a number, "all" or a structure.
* ``FitLmm.method`` is ``"REML"``, ``"ML"``, or ``None`` when the request did not say;
  ``None`` means the session's option (``set_option`` with name ``method``), which is
  REML, lme4's default, until the user changes it. ``to_dict()`` writes the method a
  fresh session would use (``"REML"`` for ``None``) and ``method_given`` tells whether
  the request chose it.
* ``FitLmm.formula`` is canonical lme4 text when the request contains a formula or
  describes the whole model in words: the formula as written, re-spaced by the formula
  grammar's own printer (``score~time*group+(1|id)`` becomes
  ``score ~ time * group + (1 | id)``; terms are not expanded). Otherwise it is
  ``None`` and the executor builds the model at run time from ``structure`` and the
  other fields, filling what is missing from the current model or the data's roles.
  :func:`random_part` is the one definition of what each structure means.
* ``Transform.columns`` empty means "the continuous predictors of the current model".
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any, ClassVar

#: The random-effects structures a request can name, with the lme4 random term each
#: one builds for slope variable ``x`` and grouping factor ``g``.
STRUCTURES: dict[str, str] = {
    "random_intercept": "(1 | {group})",
    "random_slope": "(1 + {slope} | {group})",
    "intercept_and_slope": "(1 + {slope} | {group})",
    "uncorrelated_slope": "(1 + {slope} || {group})",
}


#: What starts a model reference by label: ``"label:baseline"``.
LABEL_REF_PREFIX = "label:"


def label_ref(label: str) -> str:
    """The model reference for the model fitted with label ``label``."""
    return LABEL_REF_PREFIX + label


def referenced_label(ref: str | None) -> str | None:
    """The label a reference names, or ``None`` when it is not a reference by label."""
    if ref is not None and ref.startswith(LABEL_REF_PREFIX):
        return ref[len(LABEL_REF_PREFIX):]
    return None


def random_part(structure: str, group: str, slope: str | None = None) -> str:
    """The lme4 random term of a named structure, e.g. ``(1 + time | id)``.

    ``random_slope`` is the usual random-slope model (lme4's ``(x | g)``: intercept
    and slope vary by group and are correlated); ``intercept_and_slope`` is the same
    model named explicitly; ``uncorrelated_slope`` is lme4's ``(x || g)``.
    """
    template = STRUCTURES[structure]
    if "{slope}" in template and not slope:
        raise ValueError(f"The structure {structure!r} needs a slope variable.")
    return template.format(group=group, slope=slope)


def _jsonable(value: Any) -> Any:
    if isinstance(value, tuple | list):
        return [_jsonable(v) for v in value]
    return value


@dataclass(frozen=True)
class Step:
    """Base of every plan step; ``kind`` names it in the plan JSON."""

    kind: ClassVar[str] = "step"

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind}
        for f in fields(self):
            out[f.name] = _jsonable(getattr(self, f.name))
        return out

    def describe(self) -> str:
        """One line for people: what the step does, then the details the request gave."""
        parts = []
        for f in fields(self):
            value = getattr(self, f.name)
            if value is None or value == () or value is False:
                continue
            if value is True:
                parts.append(f.name.replace("_", " "))
                continue
            if f.name in ("model", "models"):
                value = _shown_refs(value)
            if isinstance(value, tuple):
                value = ", ".join(str(v) for v in value)
            shown = str(value).replace("_", " ") if f.name in _WORDY_FIELDS else value
            parts.append(f"{f.name.replace('_', ' ')}: {shown}")
        title = STEP_TITLES.get(self.kind, self.kind.replace("_", " "))
        return title + (f" ({'; '.join(parts)})" if parts else "")


def _shown_refs(value: Any) -> Any:
    """Model references for people: a reference by label reads as the quoted label."""
    if isinstance(value, tuple):
        return tuple(_shown_refs(v) for v in value)
    label = referenced_label(value) if isinstance(value, str) else None
    return value if label is None else repr(label)


#: Fields whose values are words joined by underscores (shown with spaces).
_WORDY_FIELDS = frozenset({"structure", "operation", "topic", "strategy", "table"})

#: How each kind of step reads in ``Plan.describe()``.
STEP_TITLES: dict[str, str] = {
    "describe_study": "Record what the description says about the study",
    "use_sample": "Use a sample data set",
    "load_data": "Load a data file",
    "reshape_long": "Reshape the data from wide to long",
    "describe_data": "Describe the data",
    "transform": "Transform columns",
    "subset_data": "Select rows of the data",
    "use_dataset": "Switch to another data set",
    "refit_without_outliers": "Refit without the outlying observations (sensitivity check)",
    "fit_lmm": "Fit a linear mixed model",
    "modify_model": "Change the model and fit it",
    "refit": "Fit the model again",
    "compare_models": "Compare models",
    "variance_components": "Report the variance components",
    "icc": "Report the ICC",
    "icc_interval": "Report the ICC with its confidence interval",
    "outliers": "List the outlying observations and clusters",
    "fit_statistics": "Report how well the model fits (log-likelihood, AIC, BIC, R²)",
    "fixed_effects": "Report the fixed effects",
    "interaction_test": "Test whether an interaction is needed",
    "correlation_test": "Test whether the random-effect correlation is needed",
    "linearity_test": "Test whether a numeric predictor's effect is linear",
    "design_effect": "Report the design effect and the effective sample size",
    "design_crossing": "Count the combinations of two grouping factors' levels present",
    "term_variance_explained": "Report the variance one fixed term explains",
    "design_balance": "Count the observations per level and per cell of the design",
    "rater_reliability": "Report the inter-rater reliability (ICCs)",
    "cluster_influence": "Find influential clusters (leave-one-out refits, Cook's distance)",
    "effect_size": "Report the effect size of a fixed effect (Cohen's d or standardized slope)",
    "power_analysis": "Estimate the power of a fixed-effect test by simulation",
    "effect_threshold": "Test a fixed effect against a threshold that matters in practice",
    "ceiling_floor": "Check the outcome for ceiling and floor effects",
    "vcov": "Report the covariance matrix of the fixed-effect estimates",
    "standardized_coefficients": "Report the standardized fixed effects (in SDs)",
    "random_effects_normality": "Check whether the random effects look normal",
    "explain_coefficient": "Explain what a coefficient means",
    "blups": "Report the BLUPs (random effects)",
    "group_coefficients": "Report each level's own coefficients (fixed effect + BLUP)",
    "marginal_means": "Estimated marginal means and pairwise comparisons",
    "baseline_comparison": "Compare the groups at the first time point (observed and model)",
    "random_effects_tests": "Likelihood-ratio tests of the random effects",
    "anova": "Type III F tests",
    "confint": "Confidence intervals",
    "bootstrap_confint": "Parametric bootstrap confidence intervals",
    "predict": "Predictions",
    "missing_data": "Missing-data audit",
    "compare_rm_anova": "Compare with repeated-measures ANOVA",
    "compare_ols": "Compare with ordinary regression (ignoring the grouping)",
    "compare_methods": "Set one model's results under two methods side by side",
    "residual_variance_by_group": "Compare the residual spread between groups (Levene's test)",
    "residual_autocorrelation": "Autocorrelation of the residuals within subjects over time",
    "change_between_times": "Change between two time points in each group, and its difference",
    "group_mean_reliability": "Report the reliability of the group means",
    "level_mean": "Report the mean outcome in one level, observed and estimated",
    "plot_data": "Plot the observed data",
    "plot_observed_means": "Plot the observed means with error bars",
    "plot_caterpillar": "Caterpillar plot of the random effects",
    "plot_trajectory": "Plot the fitted trajectory",
    "plot_residuals": "Residual plots",
    "fix_convergence": "Fix convergence problems",
    "set_option": "Set an option",
    "export_results": "Write results to files",
    "help": "Help",
    "model_settings": "Report how the model was fitted",
    "undo": "Undo the last change",
    "show_history": "Show the requests of the session so far",
    "show_plan": "Show the plan of the last request",
    "observed_means": "Tabulate the observed means of the outcome",
}


# ------------------------------------------------------------------------- data
@dataclass(frozen=True)
class UseSample(Step):
    kind: ClassVar[str] = "use_sample"
    name: str = "pain_trial"


@dataclass(frozen=True)
class LoadData(Step):
    """Read a data file; ``format`` None means "by the file's extension"."""

    kind: ClassVar[str] = "load_data"
    path: str = ""
    format: str | None = None


@dataclass(frozen=True)
class ReshapeLong(Step):
    """Wide to long: one row per subject and occasion."""

    kind: ClassVar[str] = "reshape_long"
    id_column: str | None = None
    stub: str | None = None
    time_name: str | None = None
    value_name: str | None = None
    #: "pain_0 pain_1 pain_3 are the visits": exactly these numbered columns hold the
    #: repeated measure (others of the same stub stay as columns); () = found by stub
    columns: tuple[str, ...] = ()


@dataclass(frozen=True)
class DescribeData(Step):
    kind: ClassVar[str] = "describe_data"


@dataclass(frozen=True)
class Transform(Step):
    """``operation`` is center, scale, standardize, log, factor or days (a date column
    becomes the days since its first date)."""

    kind: ClassVar[str] = "transform"
    operation: str = ""
    columns: tuple[str, ...] = ()


@dataclass(frozen=True)
class MissingCode(Step):
    """Cells holding one of ``codes`` (text as typed: "-99", ".") become missing, in
    ``columns`` (as typed) or, when empty, in every column of the current data."""

    kind: ClassVar[str] = "missing_code"
    codes: tuple[str, ...] = ()
    columns: tuple[str, ...] = ()


@dataclass(frozen=True)
class SubsetData(Step):
    """Drop or keep rows: the result becomes a new data set, made current.

    ``action`` is ``drop`` or ``keep``. Rows are chosen by ``rows`` (1-based row
    numbers, as the residual diagnostics number them) or by ``column`` compared with
    ``values`` by ``operator`` (``==``, ``!=``, ``<``, ``<=``, ``>``, ``>=``; ``==``
    with several values means any of them; ``is_missing`` and ``not_missing`` take no
    value). ``column`` is the name as typed: a column,
    its plural ("patients") or a role word ("subject"); None means whichever column has
    the level ("only treated patients"). Values are text as typed ("P001", "70").
    """

    kind: ClassVar[str] = "subset_data"
    action: str = "drop"
    column: str | None = None
    operator: str | None = None
    values: tuple[str, ...] = ()
    rows: tuple[int, ...] = ()

    def describe(self) -> str:
        verb = "Drop" if self.action == "drop" else "Keep only"
        if self.rows:
            numbers = ", ".join(str(r) for r in self.rows)
            return f"{verb} row{'s' if len(self.rows) > 1 else ''} {numbers}"
        values = " or ".join(self.values)
        if self.operator in ("is_missing", "not_missing"):
            state = "is missing" if self.operator == "is_missing" else "is not missing"
            return f"{verb} the rows where {self.column} {state}"
        if self.column is None:
            return f"{verb} the rows of {values} (the column that has it)"
        return f"{verb} the rows where {self.column} {self.operator} {values}"


@dataclass(frozen=True)
class SubsetGroupSize(Step):
    """Drop or keep whole subjects by their number of usable rows: "drop patients with
    fewer than 2 visits", "keep only patients with at least 3 visits", "remove patients
    seen only once". ``operator`` (``<``, ``<=``, ``>``, ``>=``) and ``count`` are the
    bound as typed; ``group`` is a column, its plural or a role word as typed (None: the
    current model's grouping factor, else the session's guess). A row counts when it has
    the outcome (and every variable of the current model); ``engine.group_size_subset``.
    The rows kept become a new data set, made current, as for ``subset_data``."""

    kind: ClassVar[str] = "subset_group_size"
    action: str = "drop"
    operator: str = "<"
    count: int = 2
    group: str | None = None

    def describe(self) -> str:
        verb = "Drop" if self.action == "drop" else "Keep only"
        bound = SIZE_BOUND_WORDS.get(self.operator, self.operator)
        rows = "usable row" if self.count == 1 else "usable rows"
        return f"{verb} the {self.group or 'subjects'} with {bound} {self.count} {rows}"


#: A bound on a subject's number of rows, in words.
SIZE_BOUND_WORDS = {"<": "fewer than", "<=": "at most", ">": "more than", ">=": "at least"}


@dataclass(frozen=True)
class BaselineCovariate(Step):
    """Adjust for the baseline (ANCOVA-style): each subject's outcome at the first time
    point (time 0, else the smallest time value) becomes a covariate column
    ``baseline_<outcome>``, the baseline rows leave the data, and the current model (or
    the usual one) is refitted with the covariate added: "adjust for baseline pain",
    "control for baseline pain_score", "use the baseline score as a covariate".
    ``outcome`` is the outcome as typed (None: the model's); ``model`` the model to
    refit (None: the current one)."""

    kind: ClassVar[str] = "baseline_covariate"
    outcome: str | None = None
    model: str | None = None

    def describe(self) -> str:
        outcome = self.outcome or "the outcome"
        return (f"Make each subject's {outcome} at the first time point a covariate, "
                "leave the baseline rows out and refit the model with it")


@dataclass(frozen=True)
class WithinBetween(Step):
    """Split the numeric predictor ``column`` into its cluster mean and the deviation from
    it (group-mean centering) within ``group`` (a column or role word as typed; None:
    the current model's grouping factor, else the session's guess), adding two columns
    to the current data; when the current model uses ``column`` as a main effect, it is
    refitted with the two parts in its place: "center SES within schools", "separate
    within and between effects of SES"."""

    kind: ClassVar[str] = "within_between"
    column: str = ""
    group: str | None = None


@dataclass(frozen=True)
class SubsetVisits(Step):
    """Keep or drop each subject's time points ``start`` to ``stop`` (1-based), counted
    from the ``first`` or the ``last`` (``from_end``) in the order of the time column:
    "only the first 3 visits", "drop the last visit", "only visits 1 to 3". The rows kept
    become a new data set, made current. ``subject`` is a column or role word as typed
    ("per patient"); ``by`` a column named with "by" (the time column, or the subjects'
    when it is not ordered); None means the session's guess.

    ``unit`` is a unit of time as typed ("days"): the request counts the time column's
    values, not each subject's time points (``engine.time_value_subset``). "exclude the
    first two days" drops the rows at the two smallest values of the whole data;
    ``by_value`` reads ``start``..``stop`` as the values themselves ("use only days 2 to
    9"). The time column is the one the unit names (``Days``), else the guessed one.
    """

    kind: ClassVar[str] = "subset_visits"
    action: str = "keep"
    from_end: str = "first"
    start: int = 1
    stop: int = 1
    subject: str | None = None
    by: str | None = None
    unit: str | None = None
    by_value: bool = False

    def describe(self) -> str:
        verb = "Drop" if self.action == "drop" else "Keep only"
        if self.unit is not None:
            if self.by_value:
                return f"{verb} the rows at {self.unit} {self.start} to {self.stop}"
            return f"{verb} the {self.from_end} {self.stop} {self.unit} of the data"
        if self.start == 1:
            count = "" if self.stop == 1 else f" {self.stop}"
            noun = "time point" if self.stop == 1 else "time points"
            which = f"the {self.from_end}{count} {noun}"
        else:
            which = f"time points {self.start} to {self.stop} (from the {self.from_end})"
        subject = self.subject or "subject"
        text = f"{verb} {which} of each {subject}"
        return text + (f", ordered by {self.by}" if self.by else "")


@dataclass(frozen=True)
class UseDataset(Step):
    """Make an earlier data set of the session current again (``name`` as listed)."""

    kind: ClassVar[str] = "use_dataset"
    name: str = ""


# ----------------------------------------------------------------------- models
@dataclass(frozen=True)
class FitLmm(Step):
    """Fit one linear mixed model (see the module docstring for ``method``/``formula``)."""

    kind: ClassVar[str] = "fit_lmm"
    formula: str | None = None
    method: str | None = None
    structure: str | None = None
    response: str | None = None
    predictors: tuple[str, ...] = ()
    group: str | None = None
    slope: str | None = None
    nested_in: str | None = None
    ddf: str | None = None
    optimizer: str | None = None
    max_iter: int | None = None
    label: str | None = None
    crossed_with: tuple[str, ...] = ()
    #: the confidence level of this fit's intervals ("... with 90% CIs"); None: the
    #: session's
    level: float | None = None

    def to_dict(self) -> dict[str, Any]:
        out = super().to_dict()
        out["method"] = self.method or "REML"
        out["method_given"] = self.method is not None
        return out


@dataclass(frozen=True)
class ModifyModel(Step):
    """Change a fitted model and fit the result.

    ``operation``: add_random_slope, add_random_intercept, remove_random_slope,
    uncorrelated, add_covariate (a variable may be an interaction written ``a:b``),
    drop_term, drop_variable (the variables with every interaction they are part of:
    "compare to the model without treatment" in ``time * treatment``), drop_interaction,
    add_or_drop_term (drop_variable for the variables the model has, add_covariate
    otherwise: "compare with and without X"), null_model (the outcome
    with an intercept and a random intercept per grouping factor, nothing else),
    keep_random_term / remove_random_term (the random terms of the grouping factor
    ``group`` kept alone, or left out: "compare to raters only"; a drop_term naming a
    grouping factor that is no fixed term is remove_random_term).
    ``group`` names the grouping factor of an added random
    slope when the request says, and the factor that an added random intercept is for.
    """

    kind: ClassVar[str] = "modify_model"
    operation: str = ""
    variables: tuple[str, ...] = ()
    model: str | None = None
    group: str | None = None


@dataclass(frozen=True)
class Refit(Step):
    """Fit a model again with other options (``method`` None keeps the model's own;
    ``level``: the confidence level of its intervals, "refit with 90% CIs")."""

    kind: ClassVar[str] = "refit"
    model: str | None = None
    method: str | None = None
    ddf: str | None = None
    optimizer: str | None = None
    max_iter: int | None = None
    level: float | None = None


@dataclass(frozen=True)
class RefitWithoutOutliers(Step):
    """The same model fitted again without its outlying observations (the residual
    diagnostics' rule), set side by side with the model fitted to every row."""

    kind: ClassVar[str] = "refit_without_outliers"
    model: str | None = None


@dataclass(frozen=True)
class CompareModels(Step):
    """AIC/BIC table and likelihood-ratio tests; ``models`` empty means every model.

    ``criteria`` may also hold ``"R2"``: the table then shows each model's marginal and
    conditional R² (of the model as fitted).
    """

    kind: ClassVar[str] = "compare_models"
    criteria: tuple[str, ...] = ("AIC", "BIC", "LRT")
    models: tuple[str, ...] = ()
    refit: str = "auto"


# ---------------------------------------------------------------------- reports
@dataclass(frozen=True)
class VarianceComponents(Step):
    """The variance components; ``question`` ``"correlation"`` leads with the correlation
    of the random intercept and slope ("what is the correlation between intercept and
    slope?"), or says that the model has none; ``"baseline"`` leads with the SD of the
    random intercepts of ``group`` and the range of the groups' own intercepts it implies
    ("how much do subjects differ at baseline?"); ``"slope_spread"`` leads with the SD of
    the random slopes of ``slope`` (the model's one random slope when ``None``) by
    ``group`` and the range of the groups' own slopes it implies; ``"group_spread"`` leads
    with the SD of ``group``'s random intercepts beside the residual SD, the ICC and the
    range of the groups' own means ("how much do schools differ in their average
    score?"; the variance components with the ICC when ``group`` names no grouping
    factor)."""

    kind: ClassVar[str] = "variance_components"
    model: str | None = None
    include_icc: bool = False
    question: str | None = None
    group: str | None = None
    slope: str | None = None


@dataclass(frozen=True)
class FitStatistics(Step):
    """Log-likelihood, AIC, BIC, REML criterion or deviance, and Nakagawa's R².

    ``model`` names one model; ``"all"`` (or a reference to several) gives one row per
    model; ``None`` is the current model, with a row for every other model of the
    current data set when there are several (each model's own numbers, as R's
    ``AIC(m1, m2)``; a comparison with ML refits and tests is ``compare_models``).
    ``models`` lists several references instead ("compare R2 of models 1 and 2").
    ``measure`` ``"r2"`` asks for the R² alone (one R² row per model); ``None`` for
    every statistic.
    """

    kind: ClassVar[str] = "fit_statistics"
    model: str | None = None
    models: tuple[str, ...] = ()
    measure: str | None = None


@dataclass(frozen=True)
class ModelSettings(Step):
    """How a model was fitted: REML or ML, the optimizer and its record, the df method
    of its tests and the confidence level ("what optimizer was used?").

    ``question`` ``"formula"`` leads with the model's lme4 formula and the rows it used
    ("show the model formula", "which formula did you fit?")."""

    kind: ClassVar[str] = "model_settings"
    model: str | None = None
    question: str | None = None


@dataclass(frozen=True)
class WriteUp(Step):
    """Methods and results paragraphs for a paper (APA style) about one model, with the
    references they cite ("write a methods paragraph", "report the results in APA style").

    ``part`` is ``"methods"``, ``"results"`` or None for both; ``"table"`` is the results
    table for a paper instead ("give me a table I can paste into my paper")."""

    kind: ClassVar[str] = "write_up"
    model: str | None = None
    part: str | None = None


@dataclass(frozen=True)
class Icc(Step):
    kind: ClassVar[str] = "icc"
    model: str | None = None


@dataclass(frozen=True)
class IccInterval(Step):
    """The ICC with its confidence interval ("ICC with a 95% CI", "bootstrap the ICC"):
    ``engine.icc_interval.icc_interval``. ``method`` None = the profile likelihood for one
    random intercept, the parametric bootstrap for several grouping factors; ``level``
    None = the session's; ``nsim``/``seed`` (bootstrap) None = the engine's defaults."""

    kind: ClassVar[str] = "icc_interval"
    model: str | None = None
    method: str | None = None
    level: float | None = None
    nsim: int | None = None
    seed: int | None = None


@dataclass(frozen=True)
class Outliers(Step):
    """The observations and clusters the residual diagnostics call outlying ("are there
    any outliers?"): ``engine.outliers.outlier_report``."""

    kind: ClassVar[str] = "outliers"
    model: str | None = None


@dataclass(frozen=True)
class FixedEffects(Step):
    """Estimates, SEs, df, t and p; ``ddf`` None means the session's df method;
    ``term`` the variable a question is about ("is the treatment effect significant?");
    ``interaction``: the question is about an interaction, of the variables joined by ':'
    in ``term`` or, when ``term`` is None, of every interaction in the model."""

    kind: ClassVar[str] = "fixed_effects"
    model: str | None = None
    ddf: str | None = None
    term: str | None = None
    interaction: bool = False


@dataclass(frozen=True)
class InteractionTest(Step):
    """Is an interaction needed? ``variables``: the two variables of the interaction as
    typed; one, whose interaction with the model's time-like predictor is meant ("do the
    treatment groups change at different rates?"); or none ("the interaction"). The
    assistant reads it on the model (``assistant.interaction_question``): the test of the
    interaction when the model has it, else the model with it, that test, and the
    likelihood-ratio test of the two models (refitted with ML). ``cross_level``
    ("is there a cross-level interaction?"): with no variables named, the interaction of
    the model's level-1 predictor that has a random slope with its level-2 predictor."""

    kind: ClassVar[str] = "interaction_test"
    variables: tuple[str, ...] = ()
    model: str | None = None
    cross_level: bool = False


@dataclass(frozen=True)
class CorrelationTest(Step):
    """Is the correlation between random effects needed ("is the correlation between
    intercept and slope significant?")? The assistant reports the estimated correlation
    with its profile interval, fits the model with ``||`` and compares the two by a
    likelihood-ratio test (same fixed effects: the models' own REML likelihoods, as lme4's
    ``anova(refit = FALSE)``)."""

    kind: ClassVar[str] = "correlation_test"
    model: str | None = None


@dataclass(frozen=True)
class LinearityCheck(Step):
    """Is the effect of a numeric predictor linear ("is the effect of days linear?")?
    ``variable`` as typed (None, or a unit of time that is no column: the model's
    time-like predictor); the answer is ``engine.linearity.linearity_test``: the model
    against the same model with one mean per value of the predictor, both fitted by ML."""

    kind: ClassVar[str] = "linearity_test"
    variable: str | None = None
    model: str | None = None


@dataclass(frozen=True)
class DesignEffect(Step):
    """Kish's design effect of the model's one grouping factor and the effective sample
    size ("what is the design effect?"): ``engine.design_effect.design_effect``."""

    kind: ClassVar[str] = "design_effect"
    model: str | None = None


@dataclass(frozen=True)
class DesignCrossing(Step):
    """How fully two grouping factors are crossed ("is the design fully crossed?"): the
    combinations of their levels present in the data and in the model's rows, of all
    possible (``engine.crossing.crossing_table``). ``groups``: the two factors as typed;
    () = the model's two grouping factors."""

    kind: ClassVar[str] = "design_crossing"
    groups: tuple[str, ...] = ()
    model: str | None = None


@dataclass(frozen=True)
class DesignBalance(Step):
    """Whether the design is balanced ("is the design balanced?"): the observations per
    level of each grouping factor and categorical predictor of the model (else of the
    data's categorical columns) and per cell of each pair of them, in the data and the
    model's rows (``engine.design_balance.design_balance``)."""

    kind: ClassVar[str] = "design_balance"
    model: str | None = None


@dataclass(frozen=True)
class TermVarianceExplained(Step):
    """How much variance one fixed term explains ("how much variance is explained by
    condition?"): the model against the same model without the term
    (``engine.term_variance.term_variance_explained``): the drop in Nakagawa's marginal
    R² (part R²) and the proportional reduction of each variance component."""

    kind: ClassVar[str] = "term_variance_explained"
    term: str | None = None
    model: str | None = None


@dataclass(frozen=True)
class RaterReliability(Step):
    """McGraw & Wong's inter-rater ICCs of a crossed raters x targets model ("what is the
    inter-rater reliability?"): ``engine.reliability.rater_reliability``; ``rater`` the
    grouping factor of the raters as typed (None: the one named like a rater)."""

    kind: ClassVar[str] = "rater_reliability"
    rater: str | None = None
    model: str | None = None


@dataclass(frozen=True)
class ClusterInfluence(Step):
    """Influential levels of a grouping factor ("are there influential subjects?",
    "Cook's distance"): ``engine.influence.cluster_influence`` refits the model without
    each level; ``group`` the grouping factor as typed (None: the model's only one, or
    the one with most levels)."""

    kind: ClassVar[str] = "cluster_influence"
    group: str | None = None
    model: str | None = None


@dataclass(frozen=True)
class EffectSize(Step):
    """The effect size of one fixed effect ("what is the effect size of treatment?",
    "Cohen's d"): ``engine.effect_size.effect_size``, Cohen's d of a factor (Westfall,
    Kenny & Judd 2014) or the standardized slope of a numeric predictor; ``variable`` as
    typed (None: the model's only factor, or its only predictor)."""

    kind: ClassVar[str] = "effect_size"
    variable: str | None = None
    model: str | None = None


@dataclass(frozen=True)
class PowerAnalysis(Step):
    """Simulated power of the t test of one fixed effect (engine.power, simr's
    ``powerSim``/``powerCurve``): ``variable`` as typed (None: the model's only predictor
    or factor); ``effect`` its assumed true value (None: the fitted estimate); ``sizes``
    numbers of levels of ``group`` (a word naming a grouping factor) to simulate;
    ``sample_size``: the question was how many are needed (a curve of sizes around the
    data's when none are given); ``target``: the power wanted (None: 80%); ``nsim``,
    ``alpha``, ``seed``: None for the defaults (200, 0.05, 1)."""

    kind: ClassVar[str] = "power_analysis"
    variable: str | None = None
    effect: float | None = None
    group: str | None = None
    sizes: tuple[int, ...] = ()
    sample_size: bool = False
    target: float | None = None
    nsim: int | None = None
    alpha: float | None = None
    seed: int | None = None
    model: str | None = None


@dataclass(frozen=True)
class EffectThreshold(Step):
    """A fixed effect against a threshold ("is the treatment effect larger than 10?", "is
    the time slope smaller than 0.5?"): ``engine.effect_threshold.threshold_test``, a
    minimum-effect, equivalence or one-sided test of the coefficient ``term`` names;
    ``direction`` "higher" or "lower". Without a ``threshold`` ("is the treatment effect
    clinically meaningful?") the answer gives the estimate and asks for one."""

    kind: ClassVar[str] = "effect_threshold"
    term: str | None = None
    threshold: float | None = None
    direction: str = "higher"
    model: str | None = None


@dataclass(frozen=True)
class CeilingFloor(Step):
    """Is there a ceiling or floor effect ("is there a ceiling effect at 100?", "are scores
    bunched at the maximum?"): ``engine.ceiling_floor.ceiling_floor``; ``side``
    "ceiling", "floor" or "both"; ``bound`` the scale's bound as given (None: the observed
    extreme)."""

    kind: ClassVar[str] = "ceiling_floor"
    side: str = "both"
    bound: float | None = None
    model: str | None = None


#: How many levels a ranking shows when the request gives no number ("which patients
#: have the highest intercepts").
DEFAULT_TOP = 5


#: ``RandomEffectsTests.slope`` for "should I add random slopes?": every candidate slope.
EVERY_SLOPE = "every"

#: The value of a ``center_at`` change that stands for the first time point in the model's
#: data ("center time at baseline"), which only the session can look up.
BASELINE_VALUE = "baseline"


@dataclass(frozen=True)
class RandomEffectsTests(Step):
    """Likelihood-ratio tests of each random-effect term (lmerTest's ``ranova``).

    ``group`` is the grouping factor a question names ("do schools differ in their
    average score?"); the assistant answers a fixed factor named there with its own test.
    ``slope`` is a variable whose random slope is asked about ("is the SES slope
    random?", "does the slope vary between patients?"): as typed, or ``"slope"`` for the
    model's one candidate (``group`` None: the model's one grouping factor), or
    ``EVERY_SLOPE`` for each predictor that changes within the grouping factor ("should I
    add random slopes?"). The assistant tests the slope the model has, or first adds it
    (``assistant.step_refinement``).
    """

    kind: ClassVar[str] = "random_effects_tests"
    model: str | None = None
    group: str | None = None
    slope: str | None = None


@dataclass(frozen=True)
class MarginalMeans(Step):
    """Estimated marginal means of a factor's levels and their pairwise differences
    (emmeans). ``factor`` None: the model's only factor; ``adjust``: tukey (default),
    holm, bonferroni or none.

    ``at``: (predictor, values) pairs holding predictors at values ("at time 6", "at
    time 0, 3 and 6"; several values of one predictor repeat the table at each); ``by``:
    a predictor at each of whose levels or observed values the table is repeated ("at
    each time"); ``trend``: a continuous predictor whose slope within each level is
    reported instead of the means ("how fast does pain fall in each group?"). A name
    may be a unit of time ("months", "visit") standing for the model's time predictor.
    """

    kind: ClassVar[str] = "marginal_means"
    model: str | None = None
    factor: str | None = None
    adjust: str = "tukey"
    at: tuple[tuple[str, tuple[float, ...]], ...] = ()
    by: str | None = None
    trend: str | None = None
    #: "the slope of time in the control group": the one level the question asks about
    #: (the answer leads with its row), as typed
    focus: str | None = None


@dataclass(frozen=True)
class BaselineComparison(Step):
    """The levels of a factor at the first time point ("compare the treatment groups at
    baseline"): the observed means and SDs there, and the model's marginal means at the
    first value of its time predictor with their difference. ``factor`` as named (None:
    the model's only factor)."""

    kind: ClassVar[str] = "baseline_comparison"
    model: str | None = None
    factor: str | None = None


@dataclass(frozen=True)
class VarianceContrast(Step):
    """Which of two grouping factors varies more ("do raters differ more than items?"):
    their random-intercept variances side by side with profile intervals; ``groups``
    are the factors as named."""

    kind: ClassVar[str] = "variance_contrast"
    model: str | None = None
    groups: tuple[str, ...] = ()


@dataclass(frozen=True)
class LevelComparison(Step):
    """Is one level of a factor higher (or lower) than another? ("is condition B rated
    higher than A?"): ``first`` minus ``second`` with its test; ``factor`` as named
    (None: the factor of the fixed part that has both levels); ``direction`` is what the
    question claims, ``higher`` or ``lower``."""

    kind: ClassVar[str] = "level_comparison"
    model: str | None = None
    factor: str | None = None
    first: str = ""
    second: str = ""
    direction: str = "higher"


@dataclass(frozen=True)
class LevelMean(Step):
    """The mean outcome in one level of a fixed factor ("what is the mean rating in
    condition A?"): the observed mean beside the model's estimated marginal mean with its
    interval (``engine.level_mean``); ``factor`` as named (None: the factor of the fixed
    part that has the level)."""

    kind: ClassVar[str] = "level_mean"
    model: str | None = None
    factor: str | None = None
    level: str = ""


@dataclass(frozen=True)
class Blups(Step):
    """The BLUPs; optionally of one level, or levels ranked by one term.

    ``group`` is the grouping factor as the request named it ("patient", "subjects",
    "schools"; None: whichever factor has the level, or the model's only one);
    ``level`` one level's name as typed ("P001", "308"). ``order`` (highest, lowest,
    steepest, flattest) ranks the levels by ``term``: ``(Intercept)``, a slope's
    variable, ``slope`` for the factor's one random slope, None for the intercept;
    ``top`` is how many to show (None: all of them); ``top`` without ``order`` shows the
    BLUPs of the first ``top`` levels in the fit's level order ("the BLUPs for the first
    5 patients"). ``asked`` is a ranking word that
    names a direction only through its meaning ("harshest": lowest first, "most
    lenient": highest first), for the answer to say how it was read; ``worsens``,
    ``improves``, ``rises`` or ``falls`` ("which subject deteriorates fastest?") rank by
    each level's own slope (``engine.own_slopes``), ``order`` ``steepest`` for the fastest
    first and ``flattest`` for the slowest. ``side``
    (``"below"``, ``"above"``) keeps only the levels whose random effect is below or
    above zero ("which subjects have slopes below average?"). Without ``order``, a
    ``term`` of ``"slope"`` asks for the random slopes, which the model must have.
    ``at_start`` ("which patient has the highest baseline pain?", "who starts
    highest?") ranks by each level's predicted outcome at the start, fixed part at its
    own covariates plus its BLUPs (``engine.starting_values``), not by the BLUP alone.
    ``observed`` ("which school has the highest average score?": the outcome's words as
    typed) ranks the levels by their observed mean outcome in the data
    (``engine.observed_mean_ranking``), naming the model's BLUP-ranked first level beside it.
    """

    kind: ClassVar[str] = "blups"
    model: str | None = None
    group: str | None = None
    level: str | None = None
    term: str | None = None
    order: str | None = None
    top: int | None = None
    asked: str | None = None
    side: str | None = None
    at_start: bool = False
    observed: str | None = None

    def describe(self) -> str:
        if self.order is not None and self.observed is not None:
            return _with_title(self, "Rank the levels by their observed mean outcome")
        if self.order is not None and self.at_start:
            return _with_title(self, "Rank the levels by their predicted value at the start")
        if self.order is not None:
            return _with_title(self, "Rank the levels by their random effects")
        if self.level is not None:
            return _with_title(self, "Look up one level's random effects (BLUPs)")
        if self.top is not None:
            return _with_title(self, "Show the BLUPs of the first levels")
        return super().describe()


@dataclass(frozen=True)
class GroupCoefficients(Step):
    """Each level's own coefficients, fixed effect plus BLUP (lme4's ``coef(m)``)."""

    kind: ClassVar[str] = "group_coefficients"
    model: str | None = None


def _with_title(step: Step, title: str) -> str:
    """``step.describe()`` with another title."""
    plain = Step.describe(step)
    default = STEP_TITLES.get(step.kind, step.kind)
    return title + plain[len(default):]


@dataclass(frozen=True)
class StandardizedCoefficients(Step):
    """The fixed effects in SDs: β̂·sd(x)/sd(y) for numeric predictors, β̂/sd(y) for
    factor levels ("standardized coefficients", "standardised betas", "beta weights")."""

    kind: ClassVar[str] = "standardized_coefficients"
    model: str | None = None


@dataclass(frozen=True)
class RandomEffectsNormality(Step):
    """Whether the BLUPs look normal: a normal QQ plot of each random-effect term's
    BLUPs and their Shapiro-Wilk test ("are the random effects normal?")."""

    kind: ClassVar[str] = "random_effects_normality"
    model: str | None = None


@dataclass(frozen=True)
class FixedEffectsVcov(Step):
    """The covariance matrix of the fixed-effect estimates (lme4's ``vcov()``) and their
    correlations (``summary()``'s "Correlation of Fixed Effects")."""

    kind: ClassVar[str] = "vcov"
    model: str | None = None


@dataclass(frozen=True)
class ExplainCoefficient(Step):
    """What a fixed-effect coefficient means, in words and the model's numbers: ``term``
    as typed (``time:treatment``, ``treatment``, ``(Intercept)``, a factor level, or a
    predictor in the user's words such as ``day``); with ``interaction`` (and no term)
    every interaction coefficient of the model. ``outcome``: the response in the user's
    words ("reaction time"), checked against the model's response. ``level``: the
    confidence level of the interval asked for ("the 90% CI for time"; None: the
    session's)."""

    kind: ClassVar[str] = "explain_coefficient"
    term: str | None = None
    interaction: bool = False
    model: str | None = None
    outcome: str | None = None
    level: float | None = None
    #: "what is the average slope?": the model's one slope (the numeric predictor with a
    #: random slope, else its only numeric predictor), chosen by the session
    slope: bool = False
    #: "per 100 students": the coefficient for this many units of the predictor
    #: (estimate, SE and interval times ``per``; t, df and p unchanged)
    per: float | None = None


@dataclass(frozen=True)
class Anova(Step):
    """Type III F tests; ``ddf`` None means the session's df method."""

    kind: ClassVar[str] = "anova"
    model: str | None = None
    ddf: str | None = None


@dataclass(frozen=True)
class Confint(Step):
    """Confidence intervals; ``method`` wald or profile, ``level`` None = session's."""

    kind: ClassVar[str] = "confint"
    model: str | None = None
    method: str = "wald"
    level: float | None = None


@dataclass(frozen=True)
class BootstrapIntervals(Step):
    """Parametric bootstrap intervals (lme4's ``confint(method = "boot")``); ``nsim`` None
    = lme4's 500 simulations, ``seed`` None = the engine's default seed, ``level`` None =
    the session's."""

    kind: ClassVar[str] = "bootstrap_confint"
    model: str | None = None
    level: float | None = None
    nsim: int | None = None
    seed: int | None = None


@dataclass(frozen=True)
class Predict(Step):
    """Population predictions; ``at`` fixes predictors at values, as (name, text) pairs;
    ``outcome``: the response in the user's words, checked against the model's response;
    ``level``: the confidence level asked for (None: the session's); ``new_unit``: add
    the prediction intervals of a unit the model has not seen (``unit`` as named)."""

    kind: ClassVar[str] = "predict"
    model: str | None = None
    at: tuple[tuple[str, str], ...] = ()
    outcome: str | None = None
    #: the confidence level asked for with the prediction ("with 90% CI"); None: the
    #: session's level
    level: float | None = None
    #: prediction intervals for a new unit were asked for ("for a new subject",
    #: "prediction interval"): its own random effects and one observation's residual
    #: are added to the population prediction's uncertainty
    new_unit: bool = False
    #: the unit as named ("subject" in "for a new subject"), None if unnamed
    unit: str | None = None


@dataclass(frozen=True)
class MissingData(Step):
    """Missing-data audit; ``per`` names the column to count observations by; ``model``
    a model whose data and variables to audit (None: the current data and model);
    ``question`` what was asked: None (the audit), ``"complete_subjects"`` (how many
    subjects were seen at every time point), ``"dropout"`` (how many dropped out and never
    came back: the audit led by that count), ``"related"`` (is missingness related to
    ``related_to``, a column compared between the subjects seen at every time point and
    the others; None: the model's one between-subject factor, as in "is there more dropout
    in one arm?"). ``counted``: what "how many ... per/in each ``per``" counts, as typed
    ("patients"); when it is the subjects and ``per`` is not, the answer is the number of
    subjects in each level of ``per`` (or of the one between-subject factor when ``per``
    is a word such as "group")."""

    kind: ClassVar[str] = "missing_data"
    per: str | None = None
    model: str | None = None
    question: str | None = None
    related_to: str | None = None
    counted: str | None = None
    #: "dropped out before month 6": the time value the dropout question counts up to
    before: float | None = None


@dataclass(frozen=True)
class CompareRmAnova(Step):
    kind: ClassVar[str] = "compare_rm_anova"
    model: str | None = None


@dataclass(frozen=True)
class CompareOls(Step):
    kind: ClassVar[str] = "compare_ols"
    model: str | None = None


@dataclass(frozen=True)
class CompareMethods(Step):
    """One model under two methods (``engine.method_comparison``): ``methods`` ``"ddf"``
    sets Satterthwaite's and Kenward-Roger's tests of the fixed effects side by side ("compare
    Satterthwaite and Kenward-Roger p-values"), ``"estimation"`` the REML and ML fits ("compare
    REML and ML estimates")."""

    kind: ClassVar[str] = "compare_methods"
    model: str | None = None
    methods: str = "ddf"


@dataclass(frozen=True)
class ChangeBetweenTimes(Step):
    """The model's change of the outcome from ``start`` to ``end`` of the time variable in
    each level of ``factor`` and how the changes differ ("is the drop in pain from
    baseline to month 6 bigger in the treated group?"; ``engine.change_between_times``).
    ``start`` None: the first time point; ``factor`` None: the model's one factor that
    interacts with time (else its one between-subject factor)."""

    kind: ClassVar[str] = "change_between_times"
    model: str | None = None
    factor: str | None = None
    start: float | None = None
    end: float | None = None


@dataclass(frozen=True)
class ResidualAutocorrelation(Step):
    """Is there serial correlation left in the residuals ("is there autocorrelation in the
    residuals?"): the within-subject residuals' autocorrelation by lag, next to what the
    fitted model implies (``engine.residual_autocorrelation``). ``time``: the time column
    (None: the model's time variable)."""

    kind: ClassVar[str] = "residual_autocorrelation"
    model: str | None = None
    time: str | None = None


@dataclass(frozen=True)
class ResidualVarianceByGroup(Step):
    """Is the residual variance the same in each group ("is the residual variance the same
    in both groups?"): the conditional residuals' SD per level of ``column`` (None: the
    model's one factor fixed within subjects) with Levene's and Brown-Forsythe's tests
    (``engine.residual_variance_by_group``)."""

    kind: ClassVar[str] = "residual_variance_by_group"
    model: str | None = None
    column: str | None = None


@dataclass(frozen=True)
class GroupMeanReliability(Step):
    """How reliable each group's mean is ("how reliable are the patient means?"): Raudenbush
    and Bryk's λ = τ²/(τ² + σ²/n) (``engine.group_mean_reliability``)."""

    kind: ClassVar[str] = "group_mean_reliability"
    model: str | None = None


# ------------------------------------------------------------------------ plots
@dataclass(frozen=True)
class PlotData(Step):
    """The observed data before any model: ``outcome`` against time (``over``), one line
    per subject (``group``), one panel per level of ``by``. A field left None is taken
    from the newest model on the data, else guessed from the data; with no time
    variable the outcome is plotted per cluster."""

    kind: ClassVar[str] = "plot_data"
    outcome: str | None = None
    over: str | None = None
    group: str | None = None
    by: str | None = None


@dataclass(frozen=True)
class PlotObservedMeans(Step):
    """The outcome's observed mean at each value of ``over`` (the time), one line per level
    of ``by``, with error bars ("plot the means with error bars", "error bar plot of pain
    by time"; ``engine.plots.observed_means``). ``bars``: ``ci`` (the per-cell t interval at
    ``level``, None: the session's), ``se`` (± 1 SE) or ``sd`` (± 1 SD). Fields as typed;
    None: the newest model's outcome, time and between-subject factor on this data, else
    the data's outcome and time guesses and no split."""

    kind: ClassVar[str] = "plot_observed_means"
    outcome: str | None = None
    over: str | None = None
    by: str | None = None
    bars: str = "ci"
    level: float | None = None


@dataclass(frozen=True)
class PlotCaterpillar(Step):
    """BLUPs with intervals; ``term`` None = every random term, ``(Intercept)`` etc."""

    kind: ClassVar[str] = "plot_caterpillar"
    model: str | None = None
    term: str | None = None
    group: str | None = None


@dataclass(frozen=True)
class PlotTrajectory(Step):
    """Fixed-effect prediction over time; ``level`` of the band (None = session's)."""

    kind: ClassVar[str] = "plot_trajectory"
    model: str | None = None
    band: bool = False
    overlay_blups: bool = False
    by: str | None = None
    over: str | None = None
    level: float | None = None
    #: "for 5 schools": that many levels of ``by`` (a grouping factor), spread evenly
    #: over the ranking of their random intercepts
    n_levels: int | None = None
    #: "for subjects 308 and 309": those levels of ``by`` (a grouping factor), as typed
    levels: tuple[str, ...] = ()


@dataclass(frozen=True)
class PlotResiduals(Step):
    """Residual plots; ``question`` "spread" (heteroscedasticity) leads the answer with
    how the residual spread changes with the fitted values."""

    kind: ClassVar[str] = "plot_residuals"
    model: str | None = None
    which: str = "all"
    question: str | None = None


# ----------------------------------------------------------------------- files
#: The tables ``export_results`` can write on their own.
EXPORT_TABLES = ("fixed_effects", "variance_components", "random_effects", "fit", "comparison")


@dataclass(frozen=True)
class ExportResults(Step):
    """Write a model's results to files in the output folder.

    ``table`` None writes every table (fixed effects, variance components and random
    effects as CSV, the fit as JSON, and the last model comparison when there is one);
    otherwise one of :data:`EXPORT_TABLES`. ``path`` is the file name the request gave
    (a folder part is allowed; relative names go inside the output folder); ``format``
    (``csv``/``json``) is a format named without a file name ("as csv").

    Several models (``model`` ``"all"``, or ``models``: "export models 1 and 2") go to
    one file per table: a CSV is a long table with a ``model`` column, a JSON file an
    object keyed by model label.
    """

    kind: ClassVar[str] = "export_results"
    model: str | None = None
    table: str | None = None
    path: str | None = None
    format: str | None = None
    models: tuple[str, ...] = ()


# ------------------------------------------------------------ options and help
@dataclass(frozen=True)
class FixConvergence(Step):
    """Convergence remedies; ``strategy`` None runs the whole ladder, else one rung:
    ``optimizer``, ``iterations`` or ``simplify``."""

    kind: ClassVar[str] = "fix_convergence"
    model: str | None = None
    strategy: str | None = None


@dataclass(frozen=True)
class SetOption(Step):
    """A session option: method, ddf, optimizer, max_iter, level, output_dir, format."""

    kind: ClassVar[str] = "set_option"
    name: str = ""
    value: str | int | float = ""


@dataclass(frozen=True)
class DescribeStudy(Step):
    """A sentence that describes the study instead of asking for something
    (grammar/study_description.py). The roles it states (``outcome``, ``time``,
    ``group``, ``nested_in``, ``treatment``, ``covariates``: words as typed) are recorded
    for the current data set, and later fits that leave a role out use them; a stated
    word that names no column is an error. ``implied`` holds (role, word) pairs only
    suggested by the phrasing ("within Subject"), kept when the word names a column.
    ``dataset`` is the data set a sentence only names ("This is lme4's sleepstudy"),
    checked against the session's data."""

    kind: ClassVar[str] = "describe_study"
    sentence: str = ""
    outcome: str | None = None
    time: str | None = None
    group: str | None = None
    nested_in: str | None = None
    treatment: str | None = None
    covariates: tuple[str, ...] = ()
    implied: tuple[tuple[str, str], ...] = ()
    dataset: str | None = None


@dataclass(frozen=True)
class Help(Step):
    """``topic``: None, ml_vs_reml, ml_reml_fits, icc, convergence, rm_anova, blups,
    random_slopes, subsets, samples, language."""

    kind: ClassVar[str] = "help"
    topic: str | None = None


# ---------------------------------------------------------------- the session
@dataclass(frozen=True)
class Undo(Step):
    """Go back to the session as it was before the last request that changed the data
    sets, the current data set, the models or the options ("undo", "go back")."""

    kind: ClassVar[str] = "undo"


@dataclass(frozen=True)
class ShowHistory(Step):
    """The requests of the session so far, each with what it produced ("show the
    history", "what did you just do?")."""

    kind: ClassVar[str] = "show_history"


@dataclass(frozen=True)
class ShowPlan(Step):
    """The plan of the last request, shown again without running it ("show me the
    plan", "what was the plan?")."""

    kind: ClassVar[str] = "show_plan"


@dataclass(frozen=True)
class ObservedMeansTable(Step):
    """The outcome's observed mean, SD and n in each cell of ``by`` ("table of observed mean
    pain by visit and arm"), before or beside a model. ``by`` as typed: a column, or a word
    for the time ("visit", "month") or for the arms ("arm", "group"), which the assistant
    reads as the model's (else the data's) time column or one between-subject factor;
    ``outcome`` the outcome as typed (None: the model's, else the data's)."""

    kind: ClassVar[str] = "observed_means"
    by: tuple[str, ...] = ()
    outcome: str | None = None


#: Steps about the session itself, which the session runs (assistant.session_steps).
SESSION_STEP_KINDS = frozenset({"undo", "show_history", "show_plan"})


STEP_TYPES: dict[str, type[Step]] = {
    cls.kind: cls
    for cls in (
        UseSample, LoadData, ReshapeLong, DescribeData, Transform, MissingCode, SubsetData,
        SubsetVisits, SubsetGroupSize, BaselineCovariate,
        WithinBetween,
        UseDataset,
        FitLmm, ModifyModel, Refit, RefitWithoutOutliers, CompareModels, VarianceComponents,
        FitStatistics, Icc, IccInterval, Outliers, ModelSettings, WriteUp,
        FixedEffects, FixedEffectsVcov, ExplainCoefficient, Blups, GroupCoefficients,
        InteractionTest, CorrelationTest, LinearityCheck, LevelComparison,
        VarianceContrast,
        DesignEffect, RaterReliability, DesignCrossing, TermVarianceExplained,
        DesignBalance,
        ClusterInfluence, EffectSize, PowerAnalysis, EffectThreshold, CeilingFloor,
        StandardizedCoefficients, RandomEffectsNormality,
        MarginalMeans, BaselineComparison,
        RandomEffectsTests, Anova, Confint, BootstrapIntervals, Predict,
        MissingData, CompareRmAnova, CompareOls, CompareMethods, ResidualVarianceByGroup,
        ResidualAutocorrelation, ChangeBetweenTimes,
        GroupMeanReliability, LevelMean,
        DescribeStudy,
        PlotData, PlotObservedMeans, PlotCaterpillar,
        PlotTrajectory,
        PlotResiduals, FixConvergence, SetOption, Help, ExportResults,
        Undo, ShowHistory, ShowPlan, ObservedMeansTable,
    )
}


@dataclass(frozen=True)
class Plan:
    """What the grammar made of one request: the text and its steps, in order."""

    request: str
    steps: tuple[Step, ...]

    def to_dict(self) -> dict[str, Any]:
        """The plan object of CONTRACTS.md section 4."""
        return {"request": self.request, "steps": [s.to_dict() for s in self.steps]}

    def describe(self) -> str:
        """Readable multi-line text: one numbered line per step."""
        if not self.steps:
            return "Nothing to do."
        return "\n".join(f"{i}. {step.describe()}" for i, step in enumerate(self.steps, 1))
