"""Parse trees of grammar/request.lark to plan steps.

:class:`StepBuilder` has one method per grammar rule (or alias); rules without a method
only group words and pass their parts up. Small carrier objects (a column, a model
reference, a field such as method=ML) travel up the tree until the rule of a whole
step builds a :mod:`grammar.plan` dataclass from them. :func:`merge_steps` then joins
neighbouring steps that are one request said in two breaths.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, replace
from pathlib import PurePath
from typing import Any

from lark import Token, Transformer, v_args
from lark.visitors import merge_transformers

from grammar.confidence_level import number_level_problem
from grammar.formula import FormulaError, FormulaToAst, ModelFormula, Var, build_model_formula
from grammar.formula import parse_formula as _parse_formula
from grammar.plan import (
    BASELINE_VALUE,
    DEFAULT_TOP,
    EVERY_SLOPE,
    Anova,
    BaselineComparison,
    BaselineCovariate,
    Blups,
    BootstrapIntervals,
    CeilingFloor,
    ChangeBetweenTimes,
    ClusterInfluence,
    CompareMethods,
    CompareModels,
    CompareOls,
    CompareRmAnova,
    Confint,
    CorrelationTest,
    DescribeData,
    DesignBalance,
    DesignCrossing,
    DesignEffect,
    EffectSize,
    EffectThreshold,
    ExplainCoefficient,
    ExportResults,
    FitLmm,
    FitStatistics,
    FixConvergence,
    FixedEffects,
    FixedEffectsVcov,
    GroupCoefficients,
    GroupMeanReliability,
    Help,
    Icc,
    IccInterval,
    InteractionTest,
    LevelComparison,
    LevelMean,
    LinearityCheck,
    LoadData,
    MarginalMeans,
    MissingCode,
    MissingData,
    ModelSettings,
    ModifyModel,
    ObservedMeansTable,
    Outliers,
    PlotCaterpillar,
    PlotData,
    PlotObservedMeans,
    PlotResiduals,
    PlotTrajectory,
    PowerAnalysis,
    Predict,
    RandomEffectsNormality,
    RandomEffectsTests,
    RaterReliability,
    Refit,
    RefitWithoutOutliers,
    ReshapeLong,
    ResidualAutocorrelation,
    ResidualVarianceByGroup,
    SetOption,
    ShowHistory,
    ShowPlan,
    StandardizedCoefficients,
    Step,
    SubsetData,
    SubsetGroupSize,
    SubsetVisits,
    TermVarianceExplained,
    Transform,
    Undo,
    UseDataset,
    UseSample,
    VarianceComponents,
    VarianceContrast,
    WithinBetween,
    WriteUp,
    label_ref,
    random_part,
    referenced_label,
)
from grammar.r_calls import r_call_steps

#: The term of "the random slopes" when no variable is named (``engine.blups.ANY_SLOPE``).
ANY_SLOPE_TERM = "slope"
#: The fixed intercept's name in the coefficient table.
INTERCEPT_TERM = "(Intercept)"

#: The model fitted just before the newest (``assistant.references.BEFORE_LAST``).
BEFORE_LAST_REF = "before_last"

#: What "deviance" reads as among criteria: a test after "compare", a statistic after "show".
_DEVIANCE = "deviance"
#: Structures after which a bare "for x" (or "of x" with no model noun) names the slope.
_SLOPE_STRUCTURES = frozenset({"random_slope", "uncorrelated_slope", "intercept_and_slope"})
#: A word the parser takes for one more predictor after a comma: "on time, grouped by patient".
_GROUPED_WORDS = frozenset({"grouped", "clustered", "nested"})

#: The sample data set used when a request asks for "a sample dataset" without a name.
DEFAULT_SAMPLE = "pain_trial"


@dataclass(frozen=True)
class _Col:
    name: str


@dataclass(frozen=True)
class _LevelName:
    """A level of a grouping factor as typed ("308")."""

    text: str


@dataclass(frozen=True)
class _Ref:
    ref: str | None  # None: the current model


@dataclass(frozen=True)
class _Label:
    text: str  # a model's label as the user wrote it, without quotes


@dataclass(frozen=True)
class _Formula:
    text: str
    model: ModelFormula
    position: int  # where the formula starts in the clause


@dataclass(frozen=True)
class _RFunction:
    name: str  # an R function's name as typed ("VarCorr")


@dataclass(frozen=True)
class _Field:
    """A named piece of a step, collected from the parse tree (e.g. method=ML)."""

    name: str
    value: Any


def _moderation_steps(model: str | None, variable: str, moderator: str) -> list[Step]:
    """The moderation question's plan: add ``moderator:variable`` to ``model``, test the
    interaction in the new model, compare the two models by likelihood ratio."""
    term = f"{moderator}:{variable}"
    return [
        ModifyModel("add_covariate", (term,), model),
        FixedEffects(term=term, interaction=True),
        CompareModels(criteria=("LRT",), models=(model or BEFORE_LAST_REF, "last")),
    ]


class ClauseFormulaError(Exception):
    def __init__(self, error: FormulaError, position: int):
        super().__init__(str(error))
        self.error = error
        self.position = position


def _flat(items: list[Any]) -> list[Any]:
    out: list[Any] = []
    for item in items:
        if isinstance(item, list):
            out.extend(_flat(item))
        elif not isinstance(item, Token):
            out.append(item)
    return out


def _fields(items: list[Any]) -> dict[str, Any]:
    return {i.name: i.value for i in _flat(items) if isinstance(i, _Field)}


#: The nouns of "plot the <outcome> trajectories" (request.lark's _outcome_lines).
_OUTCOME_LINE_WORDS = frozenset({"trajectories", "trajectory", "profiles", "profile", "curves",
                                 "lines"})


def _cols(items: list[Any]) -> list[str]:
    return [i.name for i in _flat(items) if isinstance(i, _Col)]


def _ref(items: list[Any]) -> str | None:
    refs = [i.ref for i in _flat(items) if isinstance(i, _Ref)]
    return refs[-1] if refs else None


def _label_text(token: Token) -> str:
    """A model's label as written, without its quotes or backticks."""
    text = str(token).strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'`":
        text = text[1:-1].strip()
    return text


#: Words of comparisons that a bare label must not merely misspell ("compare the modles").
_MODEL_WORDS = ("model", "models", "them", "both", "all", "last", "latest", "current",
                "aic", "bic", "lrt", "lrts", "anova", "likelihood", "deviance")


def _misspelt_model_word(word: str) -> bool:
    """A bare label close to a comparison word is more likely a typo than a name.

    Such a name still works in quotes or after "model": `compare "modle" and base`.
    """
    return bool(difflib.get_close_matches(word.casefold(), _MODEL_WORDS, n=1, cutoff=0.75))


def _number(token: Token) -> float:
    return float(str(token))


def _icc_interval_item(part: _Item, fields: dict[str, Any]) -> _Item:
    """The ICC's interval where the words ask for one: a confidence interval "for the
    ICC", or the ICC "with a confidence interval" (or "with bootstrap intervals")."""
    if part.kind == "confint" and fields.get("ci_icc"):
        return _Item("icc_interval", part.value)
    if part.kind == "icc" and ("with_ci" in fields or "ci_method" in fields):
        return _Item("icc_interval", (None, fields.get("with_ci")))
    return part


class _Percent(float):
    """A number typed with "%" or "percent": 0.5 here is half a percent, not 50%."""


def _level(value: float) -> float:
    """A confidence level as a proportion: a number typed with "%" is a percentage, a bare
    number a fraction below 1 ("0.9") or a percentage above ("95"). Refused outside
    (0%, 100%) and, with its own reason, below 50%."""
    as_percent = isinstance(value, _Percent) or value > 1
    percent = float(value) if as_percent else float(value) * 100
    shown = f"{value:g}%" if as_percent or value == 0 else f"{value:g}"
    refusal = number_level_problem(float(value), shown, percent=as_percent)
    if refusal is not None:
        raise NotUnderstood("a confidence level between 50% and 100%", message=refusal)
    return round(percent / 100, 6)


def _whole_number(value: float, what: str) -> int:
    """A count or seed as typed ("500"), refused when it has a fraction or a sign."""
    if value < 0 or value != int(value):
        raise NotUnderstood(what)
    return int(value)


#: A reporting verb just before "how many observations per ...": the audit is asked for.
_REPORT_VERB_BEFORE = re.compile(
    r"\b(report|show|display|give|print|present|list|tell|get|compute|calculate|provide|"
    r"output|obtain|extract|return|see|summari[sz]e|check)\b(\s+(me|us))?\s*:?\s*$",
    re.IGNORECASE,
)


#: The most steps one request can undo (the session keeps as many undo points).
MAX_UNDO_STEPS = 20


#: Words that name the whole design in "is the design balanced?" (not a column).
_DESIGN_WORDS = frozenset({"design", "data", "dataset", "study", "experiment", "sample"})


@v_args(inline=False)
class StepBuilder(Transformer):
    """Turns one clause's parse tree into plan steps; methods are named after rules."""

    def __init__(self, clause: str):
        super().__init__()
        self.source_text = clause
        #: the parts the last fit was read from, for "fit ... for females only"
        self._fit_parts: list[Any] = []

    def __default__(self, data, children, meta):
        # Rules without a method of their own only group words: pass their parts up.
        return _flat(children)

    # ------------------------------------------------------------- the clause
    def clause(self, items):
        steps: list[Step] = []
        for item in _flat(items):
            if isinstance(item, Step):
                steps.append(item)
        return steps

    # ---------------------------------------------------------------- atoms
    def column(self, items):
        tok = items[0]
        text = str(tok)
        if tok.type.endswith("QUOTED_NAME"):
            return _Col(text[1:-1])
        if text.endswith(".") and tok.end_pos >= len(self.source_text.rstrip()):
            # a name may hold dots (R's names do), so "center age." lexes as `age.`: a dot
            # that ends the clause ends the sentence, not the name
            text = text.rstrip(".") or text
        return _Col(text)

    def columns(self, items):
        return [i for i in items if isinstance(i, _Col)]

    def number(self, items):
        return _number(items[0])

    @v_args(meta=True)
    def formula(self, meta, items):
        response, rhs = items
        source = self.source_text[meta.start_pos:meta.end_pos]
        try:
            model = build_model_formula(response, rhs, source=source)
        except FormulaError as err:
            raise ClauseFormulaError(err, meta.start_pos) from None
        return _Formula(f"{response.text()} ~ {rhs.text()}", model, meta.start_pos)

    # ------------------------------------------------------------ model refs
    def ref_number(self, items):
        return _Ref(str(int(_flat(items)[-1])))

    def ref_bare_number(self, items):
        return _Ref(str(int(_flat(items)[-1])))

    def ref_ordinal(self, items):
        return _Ref(_flat(items)[0])

    def ord_1(self, _):
        return "1"

    def ord_2(self, _):
        return "2"

    def ord_3(self, _):
        return "3"

    def ord_4(self, _):
        return "4"

    def ord_5(self, _):
        return "5"

    def ref_last(self, _):
        return _Ref("last")

    def ref_current(self, _):
        return _Ref(None)

    def ref_all(self, _):
        return _Ref("all")

    def ref_structure(self, items):
        return _Ref(_flat(items)[0].value)

    def model_label(self, items):
        return _Label(_label_text(items[0]))

    def ref_label(self, items):
        # "model baseline" brings a _Label up from model_label; a bare label is a token
        labels = [i.text for i in _flat(items) if isinstance(i, _Label)]
        if labels:
            return _Ref(label_ref(labels[0]))
        token = items[0]
        if token.type == "NAME" and _misspelt_model_word(str(token)):
            raise NotUnderstood("a model: `model 2`, `the last model`, or a model's name")
        return _Ref(label_ref(_label_text(token)))

    # ------------------------------------------------------------ structures
    def s_random_intercept(self, _):
        return _Field("structure", "random_intercept")

    def s_random_slope(self, _):
        return _Field("structure", "random_slope")

    def s_intercept_and_random_slope(self, _):
        # "random intercept and random slope": one model, or two in a list (fit_several)
        return [_Field("structure", "intercept_and_slope"), _Field("splittable", True)]

    def s_intercept_and_slope(self, _):
        return _Field("structure", "intercept_and_slope")

    def s_uncorrelated_slope(self, _):
        return _Field("structure", "uncorrelated_slope")

    # ------------------------------------------------------------ fit options
    def ml(self, _):
        return "ML"

    def reml(self, _):
        return "REML"

    def ddf_satterthwaite(self, _):
        return "satterthwaite"

    def ddf_kenward_roger(self, _):
        return "kenward-roger"

    def ddf_residual(self, _):
        return "residual"

    def ddf_asymptotic(self, _):
        return "asymptotic"

    def opt_bobyqa(self, _):
        return "bobyqa"

    def opt_lbfgsb(self, _):
        return "l-bfgs-b"

    def opt_nelder_mead(self, _):
        return "nelder-mead"

    def opt_powell(self, _):
        return "powell"

    def _first_str(self, items) -> str:
        return next(i for i in _flat(items) if isinstance(i, str))

    def fit_method(self, items):
        return _Field("method", self._first_str(items))

    def fit_ddf(self, items):
        return _Field("ddf", self._first_str(items))

    def fit_optimizer(self, items):
        return _Field("optimizer", self._first_str(items))

    def fit_max_iter(self, items):
        return _Field("max_iter", int(_flat(items)[0]))

    def fit_level(self, items):
        """ "(refit) with 90% CIs": the level of that fit's intervals."""
        return _Field("level", _level(_flat(items)[0]))

    def fit_label(self, items):
        return _Field("label", _label_text(items[0]))

    def fit_again(self, _):
        return _Field("again", True)

    def fit_more_iterations(self, _):
        return _Field("more_iterations", True)

    def detail_random_slopes(self, _):
        return _Field("structure", "random_slope")

    def fit_option_more(self, items):
        return items

    def r_data(self, _):
        return []

    def r_reml(self, items):
        return _Field("method", "REML" if _flat(items)[0] else "ML")

    def r_true(self, _):
        return True

    def r_false(self, _):
        return False

    # ----------------------------------------------------------------- fits
    def head_noun(self, items):
        return [_Field("noun", True), *items]

    def head_structure(self, items):
        return items

    def head_growth(self, _):
        """ "a growth (curve) model": a model noun for the random slope model (each unit
        its own intercept and slope over time), as "a random slope model" reads."""
        return [_Field("noun", True), _Field("structure", "random_slope")]

    def fit_formula(self, items):
        return items[0]

    def detail_structure(self, items):
        return _flat(items)

    def detail_response(self, items):
        return _Field("response", _cols(items)[0])

    def detail_for(self, items):
        return _Field("for", _cols(items)[0])

    def detail_of(self, items):
        return _Field("of", _cols(items)[0])

    def detail_predictors(self, items):
        return _Field("predictors", _cols(items))

    def detail_response_from(self, items):
        """ "predicting pain_score from time and treatment": the outcome, then predictors."""
        response, *predictors = _cols(items)
        return [_Field("response", response), _Field("predictors", tuple(predictors))]

    def detail_predictors_interaction(self, items):
        """ "with time, treatment and their interaction": the columns and their product."""
        cols = _cols(items)
        return [_Field("predictors", tuple(cols)), _Field("interaction", ":".join(cols))]

    def detail_interaction(self, items):
        """ "(fit the model) with the interaction between time and treatment"."""
        return _Field("interaction", ":".join(_cols(items)))

    def detail_predictors_structure(self, items):
        """ "with time and treatment and a random intercept": predictors, then a structure."""
        parts = _flat(items)
        rest = [p for p in parts if not isinstance(p, _Col)]
        return [_Field("predictors", _cols(parts)), *rest]

    def detail_group(self, items):
        return _Field("group", _cols(items)[0])

    def detail_missing(self, _):
        return []

    def group_by(self, items):
        return _Field("group", _cols(items)[0])

    def group_nested(self, items):
        inner, outer = _cols(items)
        return [_Field("group", inner), _Field("nested_in", outer)]

    def crossed_phrase(self, items):
        return _flat(items)

    def group_crossed(self, items):
        first, *others = _cols(items)
        return [_Field("group", first), _Field("crossed_with", tuple(others))]

    def fit(self, items):
        self._fit_parts = _flat(items)
        return self._fit_from(self._fit_parts)

    def fit_as_function(self, items):
        """ "model pain_score as a function of time": the bare column is the outcome."""
        first, *rest = _flat(items)
        return self.fit([_Field("response", first.name), *rest])

    def fit_excluding(self, items):
        """ "fit ... excluding patient P001": those rows dropped, then the fit."""
        parts = _flat(items)
        kept = next(p for p in parts if isinstance(p, SubsetData))
        dropped = SubsetData("drop", kept.column, kept.operator, kept.values, kept.rows)
        return [dropped, *(p for p in parts if not isinstance(p, SubsetData))]

    def fit_for_only(self, items):
        """ "fit pain_score over time for females only": the "for" named the rows to keep,
        not the grouping factor; the rows kept, then the fit without that word."""
        fors = [p for p in self._fit_parts if isinstance(p, _Field) and p.name == "for"]
        if not fors:
            raise NotUnderstood("the rows to keep: `... only for females`")
        rest = [p for p in self._fit_parts if p is not fors[-1]]
        return [_subset_by_levels("keep", fors[-1].value, []), self._fit_from(rest)]

    def fit_lmer(self, items):
        return self._fit_from(_flat(items))

    def _fit_from(self, parts: list[Any]) -> FitLmm:
        """Read the parts of a fit in order; a bare "for x" reads by what came before."""
        info: dict[str, Any] = {}
        formula: _Formula | None = None
        noun = False
        of_column: Any = None
        for part in parts:
            if isinstance(part, _Formula):
                formula = part
            elif isinstance(part, _Field):
                if part.name == "noun":
                    noun = True
                elif part.name == "for":
                    structure = info.get("structure")
                    if (structure in _SLOPE_STRUCTURES and info.get("predictors")
                            and part.value not in info["predictors"] and "group" not in info):
                        # words16: "fit Reaction with Days, random intercept and slope for
                        # Subject": the slope's variable is listed, so "for" is the group
                        info["group"] = part.value
                    elif structure in _SLOPE_STRUCTURES:
                        info.setdefault("slope", part.value)
                    elif noun and "response" not in info and of_column is None:
                        info["response"] = part.value
                    else:
                        info["group"] = part.value
                elif part.name == "predictors":
                    info["predictors"] = tuple(info.get("predictors", ())) + tuple(part.value)
                elif part.name == "of":
                    of_column = part.value
                else:
                    info[part.name] = part.value
        if of_column is not None:
            if (not noun and info.get("structure") in _SLOPE_STRUCTURES
                    and not info.get("predictors")):
                # "random slope of Days by Subject"; "random slope of Days for Subject"
                if "slope" in info and "group" not in info:
                    info["group"] = info["slope"]
                info["slope"] = of_column
            else:
                info.setdefault("response", of_column)
        options = {k: info.pop(k) for k in ("method", "ddf", "optimizer", "max_iter", "label",
                                            "level") if k in info}
        if info.get("crossed_with") and str(info.get("predictors", ("",))[-1]).lower() == "crossed":
            # "on condition, crossed random effects for rater and item": the LALR parser reads
            # a word after a comma in a list of predictors as one more column
            info["predictors"] = info["predictors"][:-1]
        if "group" in info and str(info.get("predictors", ("",))[-1]).lower() in _GROUPED_WORDS:
            # words16: "on time, grouped by patient", "from x, clustered by school" (as above)
            info["predictors"] = info["predictors"][:-1]
        interaction = info.pop("interaction", None)
        if interaction is not None:
            if formula is None and not (info.keys() - {"splittable"}):
                # "fit the model with the interaction between time and treatment": the
                # current model with that interaction added
                return ModifyModel("add_covariate", (interaction,), None)
            if formula is not None:
                raise NotUnderstood(
                    "a model with an interaction: write it in the formula, e.g. "
                    "`fit y ~ a * b + (1 | g)`"
                )
            # "fit pain_score on time, treatment and their interaction": the product is
            # one more fixed term after the variables it multiplies
            info["predictors"] = (*info.get("predictors", ()), interaction)
        if formula is None and not (info.keys() - {"again", "more_iterations", "splittable"}):
            # "fit the model again using REML": the current model with other options
            if info.get("more_iterations"):
                return FixConvergence(None, "iterations")
            if info.get("again"):
                options.pop("label", None)
                return Refit(None, **options)
        if formula is not None and "group" in info and not formula.model.random_terms:
            # "score ~ condition with raters crossed with items": the words give the groups
            crossed = info.get("crossed_with", ())
            return FitLmm(
                formula=_with_random_intercepts(formula, info["group"], crossed,
                                                info.get("nested_in")),
                group=info["group"], nested_in=info.get("nested_in"), crossed_with=crossed,
                **options,
            )
        if formula is not None:
            _require_random_terms(formula)
            return FitLmm(formula=formula.text, structure=info.get("structure"), **options)
        predictors = tuple(info.get("predictors", ()))
        built = formula_from_words(
            info.get("response"), predictors, info.get("group"), info.get("structure"),
            info.get("slope"), info.get("nested_in"), info.get("crossed_with", ()),
        )
        return FitLmm(
            formula=built,
            structure=info.get("structure"),
            response=info.get("response"),
            predictors=predictors,
            group=info.get("group"),
            slope=info.get("slope"),
            nested_in=info.get("nested_in"),
            crossed_with=info.get("crossed_with", ()),
            **options,
        )

    def fit_several(self, items):
        parts = _flat(items)
        count = next((p for p in parts if isinstance(p, _Field) and p.name == "count"), None)
        fits = [p.fit if isinstance(p, _Splittable) else p
                for p in parts if isinstance(p, FitLmm | _Splittable)]
        splittable = sum(isinstance(p, _Splittable) for p in parts)
        if count is not None and count.value == len(fits) + splittable and splittable:
            # "fit 2 models: random intercept and random slope" lists two models
            fits = [f for p in parts if isinstance(p, FitLmm | _Splittable) for f in (
                (FitLmm(structure="random_intercept"), FitLmm(structure="random_slope"))
                if isinstance(p, _Splittable) else (p,)
            )]
        if count is not None and count.value is not None and count.value != len(fits):
            raise CountMismatch(int(count.value), len(fits))
        return fits

    def count(self, items):
        return _Field("count", _flat(items)[0])

    def count_two(self, _):
        return _Field("count", 2)

    def count_three(self, _):
        return _Field("count", 3)

    def count_four(self, _):
        return _Field("count", 4)

    def count_any(self, _):
        return _Field("count", None)

    def several_item(self, items):
        parts = _flat(items)
        formula = next((p for p in parts if isinstance(p, _Formula)), None)
        if formula is not None:
            _require_random_terms(formula)
            return FitLmm(formula=formula.text)
        structure = next(p.value for p in parts if isinstance(p, _Field))
        fit = FitLmm(structure=structure)
        if any(isinstance(p, _Field) and p.name == "splittable" for p in parts):
            return _Splittable(fit)
        return fit

    def fit_structure_models(self, items):
        """ "fit random intercept and random slope models": one model per structure named;
        "random intercept and random slope" read as one structure is split in two by the
        plural ("models")."""
        parts = _flat(items)
        structures = [p.value for p in parts if isinstance(p, _Field) and p.name == "structure"]
        if any(isinstance(p, _Field) and p.name == "splittable" for p in parts):
            return [FitLmm(structure="random_intercept"), FitLmm(structure="random_slope")]
        if len(structures) < 2:
            raise NotUnderstood("two structures: `fit random intercept and random slope models`")
        return [FitLmm(structure=s) for s in structures]

    def item_mark(self, _):
        return []

    # --------------------------------------------------------------- modify
    def add_random_slope(self, items):
        # "add a random slope for time (by subject) (to model 2)"
        lists = [i for i in items if isinstance(i, list)]
        variables = [c.name for c in lists[0]] if lists else []
        groups = [i.name for i in items if isinstance(i, _Col)]
        return ModifyModel("add_random_slope", tuple(variables), _ref(items),
                           groups[0] if groups else None)

    def add_with_interaction(self, items):
        """ "add school_size and its interaction with SES": the interaction of the variable
        added with the one named last (its main effects come with it, as for "add the
        interaction of SES and school_size")."""
        added, partner = _cols(items)[:2]
        return ModifyModel("add_covariate", (f"{added}:{partner}",), _ref(items))

    def add_random_slope_named(self, items):
        """ "add a random condition slope for raters": the slope's variable named first."""
        cols = _cols(items)
        return ModifyModel("add_random_slope", (cols[0],), _ref(items),
                           cols[1] if len(cols) > 1 else None)

    def add_random_intercept(self, items):
        # "add a random intercept for item (to model 2)": another grouping factor
        return ModifyModel("add_random_intercept", (), _ref(items), _cols(items)[0])

    def remove_random_slope(self, items):
        return ModifyModel("remove_random_slope", tuple(_cols(items)), _ref(items))

    def remove_group_random(self, items):
        """ "drop the item random effect": the random terms of that factor left out."""
        return ModifyModel("remove_random_term", (), _ref(items), group=_cols(items)[0])

    def make_uncorrelated(self, items):
        return ModifyModel("uncorrelated", (), _ref(items))

    def add_covariate(self, items):
        return ModifyModel("add_covariate", tuple(_cols(items)), _ref(items))

    def add_covariate_test(self, items):
        """ "does adding age improve the model?": the model with age, then a likelihood-ratio
        test of it against the model it was built from (refitted with ML as compare does)."""
        change = self.add_covariate(items)
        base = change.model if change.model is not None else BEFORE_LAST_REF
        return [change, CompareModels(("LRT",), (base, "last"))]

    def add_quadratic(self, items):
        """ "add a quadratic time term", "add time squared": the fixed term I(time^2)."""
        (name,) = _cols(items)
        return ModifyModel("add_covariate", (f"I({Var(name).text()}^2)",), _ref(items))

    def fit_as_factor(self, items):
        """ "fit time as categorical": the model with factor(time) in its fixed part."""
        return ModifyModel("as_factor", tuple(_cols(items)), _ref(items))

    def quadratic_test(self, items):
        """ "test whether time should be quadratic": the model with I(time^2) added, then
        the likelihood-ratio test against the model without it (both refitted by ML, as
        lme4's anova does when the fixed effects differ)."""
        (name,) = _cols(items)
        base = _ref(items)
        return [
            ModifyModel("add_covariate", (f"I({Var(name).text()}^2)",), base),
            CompareModels(("AIC", "BIC", "LRT"), (base or BEFORE_LAST_REF, "last")),
        ]

    def add_interaction(self, items):
        return ModifyModel("add_covariate", (":".join(_cols(items)),), _ref(items))

    def drop_interaction(self, items):
        cols = _cols(items)
        return ModifyModel("drop_interaction", (":".join(cols),) if cols else (), _ref(items))

    def drop_term(self, items):
        return ModifyModel("drop_term", tuple(_cols(items)), _ref(items))

    # ---------------------------------------------------------------- refit
    def refit(self, items):
        f = _fields(items)
        if f.get("more_iterations"):
            return FixConvergence(_ref(items), "iterations")
        return Refit(_ref(items), f.get("method"), f.get("ddf"), f.get("optimizer"),
                     f.get("max_iter"), f.get("level"))

    def refit_ml(self, items):
        return Refit(_ref(items), "ML")

    def refit_no_outliers(self, items):
        return RefitWithoutOutliers(_ref(items))

    # -------------------------------------------------------------- compare
    def crit_aic(self, _):
        return ["AIC"]

    def crit_bic(self, _):
        return ["BIC"]

    def crit_aic_bic(self, _):
        return ["AIC", "BIC"]

    def crit_lrt(self, _):
        return ["LRT"]

    def crit_deviance(self, _):
        # "compare the deviance" is a likelihood-ratio test; "show the deviance" a statistic
        return [_DEVIANCE]

    def criteria(self, items):
        return _Field("criteria", [c for c in _flat(items) if isinstance(c, str)])

    def compare_models(self, items):
        return _Field("models", [r.ref for r in _flat(items) if isinstance(r, _Ref)])

    def model_numbers(self, items):
        return _Field("models", [str(int(n)) for n in _flat(items)])

    def tail_criteria(self, items):
        return items

    def tail_refit_ml(self, _):
        return _Field("refit", "ml")

    def tail_refit_none(self, _):
        return _Field("refit", "none")

    def tail_models(self, items):
        return items

    def tail_random_slope(self, items):
        """ "(LRT) for the random slope (of Days)": that slope, or the model's one."""
        cols = _cols(items)
        return _Field("random_slope", cols[0] if cols else "slope")

    def tail_without_slope(self, items):
        return _Field("without_slope", tuple(_cols(items)))

    def tail_with_slope(self, items):
        return _Field("with_slope", tuple(_cols(items)))

    def tail_only_group(self, items):
        return _Field("only_group", _cols(items)[0])

    def test_with_ddf(self, items):
        """ "test Days with Kenward-Roger": the coefficient table with that df method,
        led by the tests of the variable named."""
        ddf = next(i for i in items if isinstance(i, str) and not isinstance(i, Token))
        return FixedEffects(_ref(items), ddf=ddf, term=_cols(items)[0])

    def lrt_random_slope(self, items):
        """ "likelihood ratio test for the random slope of Days": that slope's test."""
        return RandomEffectsTests(_ref(items), slope=_cols(items)[0])

    def compare_without_term(self, items):
        """ "likelihood ratio test for school_size": the model without the term, then the
        two compared (as "compare with a model without school_size")."""
        return self.compare([_Field("without_term", tuple(_cols(items)))])

    def compare_without_interaction(self, items):
        """ "test the interaction with a likelihood ratio test": the model without its
        interaction (of the variables named, else whatever its variables), then the LRT
        of the two (ML refits)."""
        return [ModifyModel("drop_interaction", tuple(_cols(items)), None),
                CompareModels(("LRT",), (BEFORE_LAST_REF, "last"))]

    def lrt_of_models(self, items):
        """ "likelihood ratio test of models 1 and 2": those models compared by LRT."""
        return self.compare([*items, _Field("criteria", ["LRT"])])

    def compare_only_group(self, items):
        """ "compare model 1 to raters only": model 1 against the model keeping only that
        grouping factor's random terms (as "compare the crossed model to raters only")."""
        kept = [p for p in _flat(items) if not isinstance(p, _Col)]
        return self.compare([*kept, _Field("only_group", _cols(items)[0])])

    def tail_without_term(self, items):
        return _Field("without_term", tuple(_cols(items)))

    def tail_with_and_without(self, items):
        return _Field("with_and_without", tuple(_cols(items)))

    def tail_with_and_without_interaction(self, items):
        """ "(compare) with and without the time by treatment interaction": that
        interaction dropped, or added when the model lacks it; unnamed, the model's own."""
        named = _cols(items)
        if len(named) == 2:
            return _Field("with_and_without", (":".join(named),))
        return _Field("without_interaction", tuple(named))

    def tail_without_interaction(self, items):
        """ "(compare to the model) without the interaction (between time and treatment)"."""
        return _Field("without_interaction", tuple(_cols(items)))

    def tail_vs_reml(self, _):
        return _Field("vs_reml", True)

    def tail_against(self, items):
        refs = [r for r in _flat(items) if isinstance(r, _Field) and r.name == "models"]
        return _Field("against", refs[0].value if refs else [])

    def compare_fit_statistics(self, items):
        """ "compare fit statistics (of models 1 and 2)": AIC and BIC side by side."""
        return self.compare([*items, _Field("criteria", ["AIC", "BIC"])])

    def compare_r2(self, items):
        """ "compare R2 across the models", "compare the R2 of models 1 and 2": each
        model's own R² side by side (fit_statistics), as fitted; no refit is involved.
        Other criteria or a refit named with it make it a comparison with R² columns."""
        step = self.compare([*items, _Field("criteria", [_R2])])
        others = [c for part in _flat(items) if isinstance(part, _Field) and
                  part.name == "criteria" for c in part.value if c != _R2]
        if others or step.refit != "auto":
            return step
        refs = step.models or ("all",)
        if len(refs) == 1:
            return FitStatistics(refs[0], measure="r2")
        return FitStatistics(models=refs, measure="r2")

    def tail_r2(self, _):
        return _Field("criteria", [_R2])

    def crit_r2(self, _):
        return [_R2]

    def shown_criteria(self, items):
        """ "show AIC", "what is the BIC of model 2", "give me the AIC and BIC": each
        model's own numbers (fit_statistics). A test (LRT), a refit, or two or more
        models named make it a comparison."""
        step = self.compare(items)
        found = [c for part in _flat(items) if isinstance(part, _Field) and
                 part.name == "criteria" for c in part.value]
        if "LRT" in found or step.refit != "auto" or len(step.models) > 1:
            return step
        return FitStatistics(step.models[0] if step.models else None)

    def compare_which(self, items):
        """ "which is better, model 1 or model 2?": the models named, compared."""
        refs = [p.ref for p in _flat(items) if isinstance(p, _Ref)]
        return CompareModels(models=tuple(refs))

    def compare_structures(self, items):
        """ "compare random intercept and random slope models": both structures, each a
        model (the one not fitted yet is fitted from the other when it runs)."""
        if not _fields(items).get("splittable"):
            raise NotUnderstood("two structures: `compare random intercept and random slope`")
        return replace(self.compare(items), models=("random_intercept", "random_slope"))

    def compare_counted(self, _):
        """ "compare the two models": every model of the current data set."""
        return CompareModels()

    def compare(self, items):
        criteria: list[str] = []
        models: list[str] = []
        refit = "auto"
        without_slope: tuple[str, ...] | None = None
        with_slope: tuple[str, ...] | None = None
        without_term: tuple[str, ...] | None = None
        with_and_without: tuple[str, ...] | None = None
        without_interaction: tuple[str, ...] | None = None
        only_group: str | None = None
        vs_reml = False
        for part in _flat(items):
            if isinstance(part, _Field) and part.name == "criteria":
                criteria += ["LRT" if c == _DEVIANCE else c for c in part.value]
            elif isinstance(part, _Field) and part.name == "models":
                models += part.value
            elif isinstance(part, _Field) and part.name == "against":
                # "compare AIC with model 1": the current model against the one named
                models += part.value if models else ["last", *part.value]
            elif isinstance(part, _Field) and part.name == "refit":
                refit = part.value
            elif isinstance(part, _Ref):
                models.append(part.ref)
            elif isinstance(part, _Field) and part.name == "without_slope":
                without_slope = part.value
            elif isinstance(part, _Field) and part.name == "with_slope":
                with_slope = part.value
            elif isinstance(part, _Field) and part.name == "without_term":
                without_term = part.value
            elif isinstance(part, _Field) and part.name == "with_and_without":
                with_and_without = part.value
            elif isinstance(part, _Field) and part.name == "without_interaction":
                without_interaction = part.value
            elif isinstance(part, _Field) and part.name == "vs_reml":
                vs_reml = True
            elif isinstance(part, _Field) and part.name == "random_slope":
                # "LRT for the random slope": the likelihood-ratio test of that slope
                return RandomEffectsTests(_ref(items), slope=part.value)
            elif isinstance(part, _Field) and part.name == "only_group":
                only_group = part.value
        if vs_reml:
            # "compare to REML": an ML and a REML fit of one model have no likelihood
            # ratio test between them; the ML refit, and the help that says why
            named = [m for m in models if m not in (None, "last")]
            return [Refit(named[0] if named else None, method="ML"), Help("ml_reml_fits")]
        if only_group is not None:
            # "compare the crossed model to raters only": the model keeping only that
            # grouping factor's random terms, then the two compared (LRT, AIC, BIC)
            return _modify_then_compare(
                "keep_random_term", (), models, _NOT_A_MODEL, criteria, refit, group=only_group
            )
        if without_interaction is not None:
            # "compare with and without the interaction": the model without its
            # interaction (of the variables named), then the LRT of the two (ML refits);
            # "compare models with and without ..." names no model ("all")
            return _modify_then_compare(
                "drop_interaction", without_interaction, models, _NOT_A_MODEL_OR_ALL, criteria,
                refit,
            )
        if with_and_without is not None:
            # "compare the model with and without school size": the model with those
            # terms added, or without them when it has them, then the LRT of the two
            return _modify_then_compare(
                "add_or_drop_term", with_and_without, models, _NOT_A_MODEL_OR_ALL, criteria, refit
            )
        if without_term is not None:
            # "compare with a model without treatment": the model without those fixed
            # terms, then the likelihood-ratio test of the two (ML refits: the fixed
            # effects differ)
            return _modify_then_compare(
                "drop_variable", without_term, models, _NOT_A_MODEL, criteria, refit
            )
        if with_slope is not None:
            # "compare this with a model that has a random slope for time": that model
            # (the slope of the variable named, else of the model's time variable), then
            # the likelihood-ratio test of the two
            return _modify_then_compare(
                "add_random_slope", with_slope, models, _NOT_A_MODEL_OR_FIT, criteria, refit
            )
        if without_slope is not None:
            # "compare with a model without the random slope": fit that model, then the
            # likelihood-ratio test of the two (the model named, else the current one;
            # "compare models/the fit with and without ..." names no model)
            return _modify_then_compare(
                "remove_random_slope", without_slope, models, _NOT_A_MODEL_OR_FIT, criteria, refit
            )
        return CompareModels(_criteria(criteria), tuple(dict.fromkeys(models)), refit)

    @v_args(meta=True)
    def compare_r_aic(self, meta, items):
        """R's ``AIC(m1, m2)`` / ``BIC(m1, m2)``: each model's own criterion side by side,
        without refitting (unlike ``anova()``)."""
        names = [str(t) for t in items if isinstance(t, Token) and t.type == "NAME"]
        word = self.source_text[meta.start_pos:meta.end_pos].lstrip()[:3].upper()
        return CompareModels((word,), tuple(label_ref(n) for n in names), "none")

    def vs_rm_anova(self, items):
        return CompareRmAnova(_ref(items))

    def groups_at_baseline(self, items):
        """ "were the groups balanced at baseline?": the levels of the arm factor (the one
        named, else the model's) at the first time point, observed and by the model."""
        cols = _cols(items)
        if cols and cols[0].casefold() in _DESIGN_WORDS:
            # words10: "is the design balanced?" asks about counts per level and cell,
            # not about the arms at baseline
            return DesignBalance(_ref(items))
        return BaselineComparison(_ref(items), cols[0] if cols else None)

    def write_up_table(self, items):
        """ "give me a table I can paste into my paper": the results table for a paper."""
        return WriteUp(_ref(items), "table")

    def group_mean_reliability(self, items):
        """ "how reliable are the patient means?": λ = τ²/(τ² + σ²/n) per group."""
        return GroupMeanReliability(_ref(items))

    def change_between(self, items):
        """ "is the drop in pain from baseline to month 6 bigger in the treated group?":
        each group's model change between the two times and the differences."""
        points = [p for p in _flat(items) if isinstance(p, _Field) and p.name == "point"]
        groups = [c.name for c in _flat(items) if isinstance(c, _Col)]
        start, end = (points[0].value, points[1].value) if len(points) == 2 else (None, None)
        return ChangeBetweenTimes(_ref(items), factor=groups[-1] if groups else None,
                                  start=start, end=end)

    def change_span(self, items):
        return [p for p in _flat(items) if isinstance(p, _Field)]

    def point_start(self, _):
        return _Field("point", None)

    def point_value(self, items):
        numbers = [i for i in _flat(items) if isinstance(i, (int, float))
                   and not isinstance(i, bool)]
        return _Field("point", float(numbers[-1]))

    def residual_autocorrelation(self, items):
        """ "is there autocorrelation in the residuals?": the within-subject residuals'
        autocorrelation by lag, with the model's own benchmark."""
        return ResidualAutocorrelation(_ref(items))

    def residual_variance_groups(self, items):
        """ "is the residual variance the same in both groups?": each group's residual SD
        and tests of equal variances; the column named, else the model's one arm factor."""
        cols = _cols(items)
        return ResidualVarianceByGroup(_ref(items), cols[0] if cols else None)

    def compare_ddf_methods(self, items):
        """ "compare Satterthwaite and Kenward-Roger p-values": both tests of each fixed
        effect, side by side."""
        return CompareMethods(_ref(items), "ddf")

    def compare_estimation_methods(self, items):
        """ "compare REML and ML estimates": the model fitted by each, side by side."""
        return CompareMethods(_ref(items), "estimation")

    def vs_ols(self, items):
        return CompareOls(_ref(items))

    # -------------------------------------------------------------- reports
    def report(self, items):
        parts = _flat(items)
        model = _ref(items)
        fields = {p.name: p.value for p in parts if isinstance(p, _Field)}
        steps: list[Step] = []
        criteria: list[str] = []
        coefficient = next((p for p in parts if isinstance(p, _Coefficient)), None)
        if fields.get("bare_coefficient") and not any(
            isinstance(p, _Item) and p.kind == "confint" for p in parts
        ):
            raise NotUnderstood(
                f"'model' after a model's name (`the {coefficient.term} model` or "
                f"`model {coefficient.term}`)"
            )
        for part in parts:
            if coefficient is not None and isinstance(part, _Item) and part.kind == "confint":
                # "a 90% confidence interval for the Days effect": that coefficient's row
                # ("CI for Days at 90%": the level after the coefficient)
                level = part.value[1] if part.value[1] is not None else fields.get("level")
                steps.append(ExplainCoefficient(coefficient.term, coefficient.interaction,
                                                model, level=level))
                continue
            if isinstance(part, _Item):
                if part.kind == "criterion":
                    criteria += part.value
                    continue
                built = _icc_interval_item(part, fields).build(model, fields)
                steps.extend(built if isinstance(built, list) else [built])
        if criteria:
            steps.append(CompareModels(_criteria(criteria)))
        if fields.get("icc") and not any(
            isinstance(s, VarianceComponents | Icc | IccInterval) for s in steps
        ):
            steps.append(Icc(model))
        chosen = self._level_chosen(steps)
        return [chosen] if chosen is not None else merge_steps(steps)

    def _level_chosen(self, steps: list[Step]) -> SetOption | None:
        """ "use 90% CIs": "use" with nothing but a level of Wald intervals chooses the
        level, as "use ML" chooses the method (the grammar reads "use" as a courtesy word,
        so the clause's own text tells); the assistant then shows the current model's
        intervals at it (``assistant.step_refinement``). "show 90% CIs" stays one table."""
        if not _USE_FIRST.match(self.source_text) or len(steps) != 1:
            return None
        (step,) = steps
        if (isinstance(step, Confint) and step.model is None and step.method == "wald"
                and step.level is not None):
            return SetOption("level", step.level)
        return None

    def opt_bare_coefficient(self, items):
        """ "(a CI) for Days": a coefficient named without "effect"; only an interval may
        take one (`report`)."""
        return [_Field("bare_coefficient", True), *_flat(items)]

    def opt_coefficient(self, items):
        """ "for the Days effect (in model 2)": the coefficient, and the model named."""
        return _flat(items)

    def report_what(self, items):
        return self.report(items)

    def null_model(self, items):
        """ "fit the null model", "empty model": the outcome with an intercept only and
        the random intercepts of the model's grouping factors (the unconditional model)."""
        outcome = [p for p in _flat(items) if isinstance(p, _OutcomeWords)]
        return ModifyModel("null_model", tuple(o.text for o in outcome), _ref(items))

    def null_outcome(self, items):
        """ "(an empty model for) reaction time": the outcome's words as typed, for the
        session to match to a column."""
        words = [c.name for c in items if isinstance(c, _Col)]
        words += [str(t) for t in items if isinstance(t, Token)]
        return _OutcomeWords(" ".join(words))

    def effect_over(self, items):
        """ "does reaction time change over days?": the coefficient of the variable after
        "over", with the outcome's words for the session to check."""
        outcome, variable = _cols(items)[0], _cols(items)[-1]
        return ExplainCoefficient(variable, False, _ref(items), outcome=outcome)

    def effect_higher(self, items):
        """ "do students with higher SES score better?": SES's coefficient (the first
        words name the units, not a variable)."""
        return ExplainCoefficient(_cols(items)[-1], False, _ref(items))

    def effect_of_size(self, items):
        """ "do bigger schools score higher?": the coefficient of the group's size, named
        in words ("school size") for the session to match to a column."""
        return ExplainCoefficient(f"{_cols(items)[0]} size", False, _ref(items))

    def explain_baseline(self, items):
        """ "what is the average baseline reaction time?": the intercept, the expected
        outcome where every predictor is zero (day 0)."""
        outcome = next((p for p in _flat(items) if isinstance(p, _OutcomeWords)), None)
        return ExplainCoefficient(INTERCEPT_TERM, False, _ref(items),
                                  outcome=outcome.text if outcome is not None else None)

    def report_baseline_spread(self, items):
        """ "how much do subjects differ at baseline?": the SD of the random intercepts
        and the range of the groups' own intercepts it implies."""
        return VarianceComponents(_ref(items), question="baseline", group=_cols(items)[0])

    def report_baseline_spread_between(self, items):
        """ "how much does reaction time vary between subjects at day 0?": the outcome
        words first, the group after "between"."""
        return VarianceComponents(_ref(items), question="baseline", group=_cols(items)[-1])

    def time_zero(self, items):
        """ "at day 0": the intercept's point. The spread at another time needs the slope
        variance too, which the baseline spread does not answer."""
        if items and float(items[0]) != 0:
            raise NotUnderstood("the spread at time 0 (`how much do subjects vary at day 0?`); "
                                "at other times ask `how much do subjects differ in their "
                                "slopes?` and the variance components")
        return []

    def report_slope_spread(self, items):
        """ "how much do subjects differ in how fast they deteriorate?": the SD of the
        random slopes and the range of the groups' own slopes it implies."""
        fields = _fields(items)
        named = _cols(items)  # "do subjects differ in how fast ...": the group, unwrapped
        return VarianceComponents(_ref(items), question="slope_spread",
                                  group=fields.get("group", named[0] if named else None),
                                  slope=fields.get("slope"))

    def effect_depends(self, items):
        """ "does the SES effect depend on school size?": the interaction's test, in a
        model with the interaction added when the current one lacks it."""
        variable, moderator = _cols(items)
        return InteractionTest((variable, moderator), _ref(items))

    def report_variance(self, items):
        """ "how much do schools differ in their average score?", "how different are the
        schools?": the SD of the group's random intercepts beside the residual SD, the
        ICC and the range of the groups' means (the variance components with the ICC when
        the words name no grouping factor)."""
        named = _cols(items)
        return VarianceComponents(_ref(items), include_icc=True, question="group_spread",
                                  group=named[0] if named else None)

    def report_icc_bootstrap(self, items):
        """ "bootstrap the ICC": the ICC's parametric-bootstrap interval."""
        fields = {p.name: p.value for p in _flat(items) if isinstance(p, _Field)}
        return _Item("icc_interval", ("bootstrap", None)).build(_ref(items), fields)

    def item_icc_of(self, items):
        """ "ICC for raters" (a crossed model's ICC table has the factor's row) or
        "ICC for model 1" (that model's, so the reference is kept)."""
        return [_Item("icc"), *[i for i in _flat(items) if isinstance(i, _Ref)]]

    def item_icc_ci_of(self, items):
        """ "ICC for raters with confidence interval": the ICC's interval (one row per
        grouping factor), of the model named if one is."""
        return [self.item_icc_ci(items), *[i for i in _flat(items) if isinstance(i, _Ref)]]

    def item_icc_ci(self, items):
        """ "ICC 95% CI", "ICC bootstrap confidence interval": the ICC's interval."""
        confint = next(p for p in _flat(items) if isinstance(p, _Item) and p.kind == "confint")
        return _Item("icc_interval", confint.value)

    def opt_ci_icc(self, _):
        """ "(confidence interval) for the ICC": the interval is the ICC's."""
        return _Field("ci_icc", True)

    def opt_with_ci(self, items):
        """ "(the ICC) with a 95% confidence interval": the level, when given."""
        numbers = [p for p in _flat(items) if isinstance(p, float)]
        return _Field("with_ci", _level(numbers[0]) if numbers else None)

    def report_icc(self, items):
        """ "what proportion of the variance is due to patients?": the ICC."""
        return Icc(_ref(items))

    def report_significance(self, items):
        """ "is the treatment effect significant?": the coefficient table, led by the
        tests of the variable asked about."""
        columns = _cols(items)
        return FixedEffects(_ref(items), term=columns[0] if columns else None)

    def phrase_significance(self, items):
        """ "does treatment reduce pain?": the coefficient table led by the tests of the
        variable named first (its words resolved by the assistant); the outcome's words
        only repeat the model's outcome."""
        phrases = [p for p in _flat(items) if isinstance(p, _Col)]
        return FixedEffects(_ref(_flat(items)), term=phrases[0].name)

    def report_interaction_significance(self, items):
        """ "is the interaction significant?", "does the effect of time differ between
        treatment groups?": the tests of the interaction terms (of the two variables
        named, else of every interaction)."""
        columns = _cols(items)
        return FixedEffects(_ref(items), term=":".join(columns) or None, interaction=True)

    def test_named_interaction(self, items):
        """ "test the interaction between time and treatment": its test (the model with it
        added and the likelihood-ratio test when the model lacks it); "test the
        interaction" without variables: the tests of the model's interactions."""
        columns = _cols(items)
        if len(columns) == 2:
            return InteractionTest(tuple(columns), _ref(items))
        return self.report_interaction_significance(items)

    def effect_differs_interaction(self, items):
        """ "does the effect of treatment depend on age?": with two variables named, the
        interaction question in their order (the test in the model that has it, else the
        model with it added and the likelihood-ratio test); "does the effect of time
        vary?" with one, the tests of that variable's interactions."""
        columns = _cols(items)
        if len(columns) == 2:
            return InteractionTest(tuple(columns), _ref(items))
        return self.report_interaction_significance(items)

    def interaction_test(self, items):
        """ "is there a time by treatment interaction?", "test whether the interaction is
        needed": the interaction of the variables named (none: the assistant finds it)."""
        return InteractionTest(tuple(_cols(items)), _ref(items))

    def spaced_words(self, items):
        """A column typed as words ("school size"), kept for the session to resolve."""
        return _Col(" ".join(_cols(items)))

    def interaction_test_words(self, items):
        """ "is there an interaction between SES and school size?": the first column, and
        the words after it naming the second, kept as written for the session to resolve."""
        first, *rest = _cols(items)
        return InteractionTest((first, " ".join(rest)), _ref(items))

    def cross_level_test(self, items):
        """ "is there a cross-level interaction?": the interaction of a level-1 predictor
        that has a random slope with a level-2 predictor of the model (the assistant
        chooses them, or asks)."""
        named = tuple(_cols(items))
        if named:  # "a cross-level interaction between SES and school_size"
            return InteractionTest(named, _ref(items))
        return InteractionTest((), _ref(items), cross_level=True)

    def interaction_rates(self, items):
        """ "do the treatment groups change at different rates?": the interaction of the
        variable named with the time the words name ("differently over time") or, when
        none is named, with the model's time-like predictor (found by the assistant)."""
        cols = _cols(items)
        return InteractionTest(tuple(reversed(cols)), _ref(items))

    def correlation_test(self, items):
        """ "is the correlation between intercept and slope significant?", "do we need the
        correlation?": the correlation, the model without it, and their LRT."""
        return CorrelationTest(_ref(items))

    def linearity_test(self, items):
        """ "is the effect of days linear?", "is the time trend linear?": the predictor
        named (a time word the assistant maps to the model's time predictor), or none."""
        cols = _cols(items)
        return LinearityCheck(cols[0] if cols else None, _ref(items))

    def linearity_over(self, items):
        """ "is the decline in pain over time linear?": the predictor after "over" (the
        last column named; the words before it name the outcome)."""
        cols = _cols(items)
        return LinearityCheck(cols[-1], _ref(items))

    def design_effect(self, items):
        """ "what is the design effect?", "effective sample size" """
        return DesignEffect(_ref(items))

    def rater_reliability(self, items):
        """ "what is the inter-rater reliability?", "how reliable are the raters?" """
        cols = _cols(items)
        return RaterReliability(cols[0] if cols else None, _ref(items))

    def cluster_influence(self, items):
        """ "are there influential subjects?", "Cook's distance", "leave one patient out":
        the grouping factor named, or none."""
        cols = _cols(items)
        return ClusterInfluence(cols[0] if cols else None, _ref(items))

    def effect_size(self, items):
        """ "what is the effect size of treatment?", "Cohen's d for the treatment effect",
        "standardized effect size": the predictor named, or none."""
        cols = _cols(items)
        return EffectSize(cols[0] if cols else None, _ref(items))

    def effect_size_of_coefficient(self, items):
        """ "how big is the treatment effect in SD units?": the effect size of the predictor
        the coefficient words name."""
        parts = _flat(items)
        target = next(p for p in parts if isinstance(p, _Coefficient))
        return EffectSize(target.term, _ref(parts))

    def effect_threshold(self, items):
        """ "is the treatment effect larger than 10?", "is the effect of time at most 0.5":
        the coefficient the column names, the threshold and the direction asked."""
        parts = _flat(items)
        direction = next(p.value for p in parts if isinstance(p, _Field) and p.name == "direction")
        threshold = next(p.value for p in parts if isinstance(p, _Field) and p.name == "threshold")
        return EffectThreshold(_cols(items)[0], threshold, direction, _ref(items))

    def effect_relevance(self, items):
        """ "is the treatment effect clinically meaningful?": the same test, without the
        threshold the question needs (the answer asks for it)."""
        return EffectThreshold(_cols(items)[0], None, "higher", _ref(items))

    def threshold_positive(self, items):
        return _Field("threshold", float(items[0]))

    def threshold_negative(self, items):
        return _Field("threshold", -float(items[0]))

    def ceiling_floor(self, items):
        """ "is there a ceiling effect (at 100)?", "floor effect", "are scores bunched at
        the maximum?": the side asked about and the bound given, if any."""
        fields = _fields(items)
        return CeilingFloor(fields.get("side", "both"), fields.get("bound"), _ref(items))

    def side_ceiling(self, _):
        return _Field("side", "ceiling")

    def side_floor(self, _):
        return _Field("side", "floor")

    def side_both(self, _):
        return _Field("side", "both")

    def bound_value(self, items):
        return _Field("bound", float(_flat(items)[0]))

    def effect_sizes(self, items):
        """ "effect size of treatment": that predictor's effect size; "effect sizes (of
        model 2)" without a predictor: the standardized coefficients and R²."""
        cols = _cols(items)
        if cols:
            return EffectSize(cols[0], _ref(items))
        return _Item("effect_size").build(_ref(items), {})

    def column_phrase(self, items):
        """Several words naming one column ("school size"): kept as written, for the
        assistant to resolve (``assistant.column_words``)."""
        return _Col(" ".join(_cols(items)))

    def report_moderation(self, items):
        """ "does school size moderate the effect of SES?": the interaction added (with
        its main effects), its test, and the likelihood-ratio test of the two models
        (ML refits, as their fixed effects differ)."""
        moderator, variable = _cols(items)
        return _moderation_steps(_ref(items), variable, moderator)

    def report_moderation_by(self, items):
        """ "is the effect of SES moderated by school size?" """
        variable, moderator = _cols(items)
        return _moderation_steps(_ref(items), variable, moderator)

    def report_effect_across_groups(self, items):
        """ "is the effect of SES different across schools?": the same question as "does
        the effect of SES differ across schools?", an interaction step that the assistant
        reads as the random-slope test when the second word is the model's grouping
        factor (``assistant.step_refinement``)."""
        variable, across = _cols(items)
        return FixedEffects(_ref(items), term=f"{variable}:{across}", interaction=True)

    def report_groups_differ_in_effect(self, items):
        """ "do schools differ in the effect of SES?": the question above, words reversed."""
        across, variable = _cols(items)
        return FixedEffects(_ref(items), term=f"{variable}:{across}", interaction=True)

    def report_named_effect_across(self, items):
        """ "does the SES effect differ between schools?": "the SES effect" is "the effect
        of SES", so this is the interaction question above."""
        variable, across = _cols(items)
        return FixedEffects(_ref(items), term=f"{variable}:{across}", interaction=True)

    def named_slope_across(self, items):
        """ "does the time slope differ by treatment?": the slope question with the slope
        named (the slopes per level of a fixed factor, the random-slope test of a grouping
        factor: ``assistant.step_refinement``)."""
        variable, across = _cols(items)
        return RandomEffectsTests(_ref(items), slope=variable, group=across)

    def report_groups_differ(self, items):
        """ "do schools differ in their average score?": the likelihood-ratio test of the
        random intercept with the ICC (the share of the variance between the groups)."""
        model = _ref(items)
        return [RandomEffectsTests(model, group=_cols(items)[0]), Icc(model)]

    def report_outcome_differs(self, items):
        """ "does the average score vary between schools?": the question above, the
        outcome named first."""
        model = _ref(items)
        return [RandomEffectsTests(model, group=_cols(items)[-1]), Icc(model)]

    def variance_contrast(self, items):
        """ "do raters differ more than items?": the two factors' variances compared."""
        return VarianceContrast(_ref(items), tuple(_cols(items)))

    def variance_explained_by(self, items):
        """ "how much variance is explained by condition?": that term's part R² and the
        reduction of the variance components when it is left out."""
        return TermVarianceExplained(_cols(items)[0], _ref(items))

    def design_crossing(self, items):
        """ "is the design fully crossed?", "are rater and item crossed?": the grouping
        factors named (a word such as "design" names none)."""
        general = {"design", "data", "it", "model", "study", "dataset", "this", "that"}
        groups = tuple(c for c in _cols(items) if c.casefold() not in general)
        return DesignCrossing(groups, _ref(items))

    def explain_rescaled(self, items):
        """ "what is the effect of school_size per 100 students?": the coefficient for
        that many units."""
        parts = _flat(items)
        target = next(p for p in parts if isinstance(p, _Coefficient))
        per = next(p.value for p in parts if isinstance(p, _Field) and p.name == "per")
        if per == 0:
            raise NotUnderstood("a number of units other than 0")
        return ExplainCoefficient(target.term, target.interaction, _ref(parts), per=per)

    def rescale_either(self, items):
        """ "rescale the time coefficient per 10 units": that coefficient for the amount;
        "rescale time" (no amount): the column divided by its SD, as "scale time"."""
        parts = _flat(items)
        if any(isinstance(p, _Field) and p.name == "per" for p in parts):
            return self.explain_rescaled(items)
        target = next(p for p in parts if isinstance(p, _Coefficient))
        if target.term is None or target.interaction or ":" in target.term \
                or target.term == "(Intercept)":
            raise NotUnderstood("a column to rescale, e.g. `rescale time`")
        return Transform("scale", (target.term, *_cols(items)))

    def explain_rescaled_column(self, items):
        """ "what is the school_size coefficient per 100 students?"."""
        return self.explain_rescaled([_Coefficient(_cols(items)[0]), *items])

    def per_amount(self, items):
        return _Field("per", float(next(t for t in items if t.type == "NUMBER")))

    def slope_of_variable(self, items):
        """ "show the slope of Days": that predictor's coefficient (with its slope in each
        level of a factor it interacts with)."""
        parts = _flat(items)
        var = next(p.value for p in parts if isinstance(p, _Field) and p.name == "var")
        return ExplainCoefficient(var, False, _ref(parts))

    def slope_in_level(self, items):
        """ "the slope of time in the control group": the slope within that level (the
        simple slopes, led by the level asked); "the slope of pain over time": the
        coefficient, with the outcome's words for the session to check."""
        parts = _flat(items)
        var = next((p.value for p in parts if isinstance(p, _Field) and p.name == "var"), None)
        if var is None:
            var = next(p.term for p in parts if isinstance(p, _Coefficient))
        level = next((p.value for p in parts if isinstance(p, _Field) and p.name == "focus"),
                     None)
        outcome = next((p.text for p in parts if isinstance(p, _OutcomeWords)), None)
        if level is None:
            return ExplainCoefficient(var, False, _ref(parts), outcome=outcome)
        return MarginalMeans(_ref(parts), None, trend=var, focus=level)

    def variable_slope_in_level(self, items):
        """ "what is the time slope in the control group?": "time" came as a level word."""
        parts = _flat(items)
        word = next((p for p in parts if isinstance(p, _BlupLevel)), None)
        if word is None or word.group is not None:
            raise NotUnderstood(
                "a variable before 'slope': `the slope of time in the control group`")
        return self.slope_in_level([_Field("var", word.level),
                                    *(p for p in parts if not isinstance(p, _BlupLevel))])

    def slope_level(self, items):
        text = str(items[0])
        return _Field("focus", text[1:-1] if items[0].type == "QUOTED_NAME" else text)

    def report_variance_share(self, items):
        """ "how much variance is at the school level?": the variance components and
        the ICC."""
        return VarianceComponents(_ref(items), include_icc=True)

    def report_standardized(self, items):
        """ "standardize the coefficients": the standardized fixed effects (the data and
        the model stay as they are)."""
        return StandardizedCoefficients(_ref(items))

    def report_summary(self, items):
        model = _ref(items)
        return [FixedEffects(model), VarianceComponents(model)]

    def item_variance(self, items):
        # "how much variance is between schools?" asks for the share too: with the ICC
        if any(isinstance(p, _Field) and p.name == "icc" for p in _flat(items)):
            return [_Item("variance"), _Field("icc", True)]
        asked = [p for p in _flat(items) if isinstance(p, _Field) and p.name == "question"]
        return _Item("variance", asked[0].value if asked else None)

    def variance_correlation(self, _):
        """ "the correlation between intercept and slope": the variance components led by
        that correlation."""
        return _Field("question", "correlation")

    def variance_share(self, _):
        return _Field("icc", True)

    def item_icc(self, _):
        return _Item("icc")

    def item_fit(self, _):
        return _Item("fit")

    def item_r2(self, _):
        return _Item("r2")

    def arm_level(self, _):
        """ "the treated arm": a level of the arm factor, not a column; the assistant takes
        the model's one factor fixed within subjects."""
        return []

    def missing_any(self, _):
        return _Field("missing_any", True)

    def report_missing_related(self, items):
        """ "is the missingness related to treatment?": completers against the others."""
        if any(isinstance(p, _Field) and p.name == "missing_any" for p in _flat(items)):
            return MissingData(model=_ref(items))  # "is there missing data?": the audit
        columns = _cols(items)
        related = columns[-1] if columns else None
        return MissingData(model=_ref(items), question="related", related_to=related)

    def item_standardized(self, _):
        return _Item("standardized")

    def report_random_normality(self, items):
        """ "are the random effects normal?": QQ plots and Shapiro-Wilk of the BLUPs."""
        return RandomEffectsNormality(_ref(items))

    def report_settings(self, items):
        """ "what optimizer was used?", "how was the model fitted?" """
        return ModelSettings(_ref(items))

    def report_fit(self, items):
        """ "how well does the model fit?", "how good is model 2?" """
        return FitStatistics(_ref(items))

    def item_fixed(self, _):
        return _Item("fixed")

    def report_ddf_table(self, items):
        """ "report Kenward-Roger degrees of freedom": the coefficient table with that df
        method."""
        return FixedEffects(_ref(items), self._first_str(items))

    def report_r2_share(self, items):
        """ "what proportion of variance is explained by the fixed effects?": Nakagawa and
        Schielzeth's marginal R² (with the conditional R² beside it)."""
        return FitStatistics(_ref(items), measure="r2")

    def item_vcov(self, items):
        parts = _flat(items)
        refs = [p for p in parts if isinstance(p, _Ref)]
        if any(isinstance(p, _Field) and p.name == "vcov_random" for p in parts):
            return [_Item("variance"), *refs]
        return [_Item("vcov"), *refs]

    def vcov_random(self, _):
        return _Field("vcov_random", True)

    def vcov_of(self, items):
        return _flat(items)

    def blup_slopes(self, _):
        """ "the random slopes": the BLUPs, from a model that has random slopes."""
        return _Field("blup_term", ANY_SLOPE_TERM)

    def item_blups(self, items):
        parts = _flat(items)
        target = next((p for p in parts if isinstance(p, _BlupLevel)), None)
        refs = [p for p in parts if isinstance(p, _Ref)]
        if target is None and any(isinstance(p, _Field) and p.name == "blup_term"
                                  for p in parts):
            return [_Item("blups", ANY_SLOPE_TERM), *refs]
        first = next((p for p in parts if isinstance(p, _BlupFirst)), None)
        if first is not None:
            return [_Item("blups_first", first), *refs]
        if target is not None and (target.group or "").casefold() == "model":
            # "the BLUPs of model 2": the lexer reads "model" as a name here
            return [_Item("blups", None), _Ref(target.level)]
        return [_Item("blups", target), *refs]

    def blup_target(self, items):
        return _flat(items)

    def blup_first(self, items):
        """ "the BLUPs for the first 5 patients": that many levels, in the fit's order."""
        count = next(p for p in _flat(items) if isinstance(p, (int, float)))
        return _BlupFirst(_cols(items)[0], _whole_number(count, "a number of levels"))

    def report_group_blups(self, items):
        """ "show the rater random effects": the BLUPs of that grouping factor."""
        return Blups(_ref(items), group=_cols(items)[0])

    def item_group_blups(self, items):
        """ "the school-level residuals": the BLUPs of that grouping factor."""
        return _Item("blups_group", _cols(items)[0])

    def item_level_two_blups(self, items):
        """ "level 2 residuals", "cluster-level residuals": the BLUPs (a multilevel
        model's level-2 residuals); "level 1 residuals" are the observations' own, shown
        by the residual diagnostics."""
        if any(isinstance(p, float) and p == 1 for p in _flat(items)):
            return _Item("plot", (_PlotTarget("residuals", "all"), {}, None))
        return _Item("blups")

    def level_of_group(self, items):
        return _BlupLevel(_cols(items)[0], _flat(items)[-1].text)

    def level_alone(self, items):
        return _BlupLevel(None, _flat(items)[-1].text)

    def level_value(self, items):
        token = items[0]
        text = str(token)
        return _LevelText(text[1:-1] if token.type.endswith("QUOTED_NAME") else text)

    # -------------------------------------------------------------- R calls
    def r_call(self, items):
        """R's ``confint(m1)``, ``anova(m1, m2)``, …: grammar.r_calls maps the call to its
        steps (a name inside the parentheses is a model: ``m2`` is model 2 unless a model
        was given that name)."""
        parts = _flat(items)
        function = next(p for p in parts if isinstance(p, _RFunction)).name
        models = [p.ref for p in parts if isinstance(p, _Ref)]
        options = {p.name: p.value for p in parts if isinstance(p, _Field)}
        return r_call_steps(function, models, options)

    @v_args(meta=True)
    def r_function(self, meta, _):
        return _RFunction(self.source_text[meta.start_pos:meta.end_pos])

    def r_call_option(self, items):
        key, value = (str(t) for t in items)
        return _Field(key.casefold(), _label_text(Token("STRING", value)).casefold())

    # -------------------------------------------------------------- ranova
    def random_test(self, items):
        """ "test the random effects", "ranova": every random term's test; words that name
        random slopes ("do I need random slopes?", "is the random slope needed?") test
        the slopes the model has and, for a model without one, add and test each
        candidate (``EVERY_SLOPE``) rather than test its random intercept."""
        slopes = "random_slope_words" in _fields(items)
        return RandomEffectsTests(_ref(items), slope=EVERY_SLOPE if slopes else None)

    def random_slope_words(self, _):
        """ "random slope(s)": marked, so that a test of the random part knows the words
        asked about slopes (other rules take no notice of the mark)."""
        return _Field("random_slope_words", True)

    def random_slope_question(self, items):
        """ "is the SES slope random?": the likelihood-ratio test of SES's random slope
        (by the factor named, else the model's grouping factor)."""
        cols = _cols(items)
        return RandomEffectsTests(_ref(items), group=cols[1] if len(cols) > 1 else None,
                                  slope=cols[0])

    def random_slopes_every(self, items):
        """ "should I add random slopes?": the likelihood-ratio test of a random slope for
        each predictor that changes within the grouping factor (``EVERY_SLOPE``)."""
        return RandomEffectsTests(_ref(items), slope=EVERY_SLOPE)

    def report_group_coefficients(self, items):
        """ "show subject-specific slopes", "each subject's own coefficients": lme4's
        coef(), each level's fixed effect plus BLUP (the factor named is the model's)."""
        return GroupCoefficients(_ref(items))

    def random_slope_improves(self, items):
        """ "does the random slope improve the model?": the likelihood-ratio test of the
        slope named (unnamed: the model's one candidate; added first when it is missing)."""
        cols = _cols(items)
        return RandomEffectsTests(_ref(items), slope=cols[0] if cols else "slope")

    def structure_choice(self, items):
        """ "which random effects structure should I use?": the current model (else a
        random intercept model from the data and the described roles), then the
        likelihood-ratio test of the random slope of its one candidate slope."""
        return [FitLmm(), RandomEffectsTests(None, slope="slope")]

    def slope_variation(self, items):
        """ "does the slope vary between patients?": the random-slope test of the slope
        named (``"slope"`` when unnamed: the assistant picks the model's one candidate)."""
        fields = _fields(items)
        named = _cols(items)  # "do patients differ in their slopes": the group, unwrapped
        return RandomEffectsTests(
            _ref(items), slope=fields.get("slope", "slope"),
            group=fields.get("group", named[0] if named else None),
        )

    def slope_var(self, items):
        return _Field("slope", _cols(items)[0])

    def slope_group(self, items):
        return _Field("group", _cols(items)[0])

    # -------------------------------------------------------------- marginal means
    def marginal_means(self, items):
        parts = _flat(items)
        factors = [p.name for p in parts if isinstance(p, _Col)]
        fields = {p.name: p.value for p in parts if isinstance(p, _Field)}
        return MarginalMeans(
            _ref(parts), factors[0] if factors else None, fields.get("adjust", "tukey"),
            at=fields.get("at", ()), by=fields.get("by"),
        )

    def level_differences(self, items):
        """ "what is the difference between conditions, with its 95% CI?": the factor's
        marginal means and pairwise differences, at the session's confidence level; a
        different level named here is refused rather than silently replaced."""
        levels = [p for p in _flat(items) if isinstance(p, _Field) and p.name == "ci"]
        if levels and abs(levels[0].value - 0.95) > 1e-9:
            raise NotUnderstood(
                "95% here; for another level set it first, e.g. "
                "`set the confidence level to 90%`"
            )
        return self.marginal_means([p for p in _flat(items)
                                    if not (isinstance(p, _Field) and p.name == "ci")])

    def simple_effect(self, items):
        """ "treatment effect at 6 months": the factor's levels compared at those values."""
        return self.marginal_means(items)

    def at_baseline(self, _):
        return _Field("baseline", True)

    def compare_levels_at(self, items):
        """ "compare treatments at month 6": the factor's marginal means there and their
        difference; "... at baseline": the levels at the first time point, observed and
        by the model."""
        parts = _flat(items)
        if any(isinstance(p, _Field) and p.name == "baseline" for p in parts):
            factors = [p.name for p in parts if isinstance(p, _Col)]
            return BaselineComparison(_ref(parts), factors[0] if factors else None)
        return self.marginal_means(items)

    def compare_pair_at(self, items):
        """ "compare treatment and control at each time": the factor named by the first
        word (its name or one of its levels: the session resolves it) compared at each
        value of the variable after "at" (marginal means and their pairwise differences,
        as "treatment effect at each time point" gives). The two words were read as
        model names, as in "compare m1 and m2"; a third reference is the model asked."""
        refs = [p.ref for p in _flat(items) if isinstance(p, _Ref)]
        factor = referenced_label(refs[0]) if refs else None
        if factor is None:
            raise NotUnderstood("a factor and its levels, e.g. `compare treatment and control "
                                "at each time`")
        fields = _fields(items)
        return MarginalMeans(refs[2] if len(refs) > 2 else None, factor,
                             at=fields.get("at", ()), by=fields.get("by"))

    def simple_effect_treatment(self, items):
        """ "what is the treatment effect at 6 months?": "treatment" is a keyword here
        (the fixed-effects table's "treatment effect"); it names the factor treatment,
        which the executor matches among the model's factors like any other name."""
        return self.marginal_means([_Col("treatment"), *items])

    def effect_change(self, items):
        """ "does the treatment effect change over time?": the question "does the treatment
        effect depend on time?" asks (the interaction's test, in a model with the
        interaction added when the current one lacks it, with the likelihood-ratio test of
        the two), then the slope of time within each level of the factor (its simple
        slopes) in the model that has the interaction (the newest one when none is named)."""
        parts = _flat(items)
        factor = next(p.name for p in parts if isinstance(p, _Col))
        over = next(p.value for p in parts if isinstance(p, _Field) and p.name == "var")
        model = _ref(parts)
        return [
            InteractionTest((factor, over), model),
            MarginalMeans(model, factor, trend=over),
        ]

    def slopes_per_level(self, items):
        """ "how fast does pain fall in each group?": the slope of the model's time
        predictor (a unit-of-time word the executor resolves) within each level."""
        parts = _flat(items)
        factors = [p.name for p in parts if isinstance(p, _Col)]
        return MarginalMeans(_ref(parts), factors[0] if factors else None, trend="time")

    def faster_in_group(self, items):
        """ "is the drop in pain faster in the treated group?": the slope of the model's time
        predictor in each level of its one factor, with their difference (emtrends). The
        words name the outcome and a level, not the factor, so neither is kept."""
        return MarginalMeans(_ref(_flat(items)), None, trend="time")

    def factor_changes_over(self, items):
        """ "does treatment reduce pain over time compared to control?": the slope of the
        variable after "over" in each level of the factor named first (emtrends) and their
        difference; the outcome's words, when given, only repeat the model's outcome."""
        names = _cols(items)
        return MarginalMeans(_ref(_flat(items)), names[0], trend=names[-1])

    def simple_slopes(self, items):
        parts = _flat(items)
        factors = [p.name for p in parts if isinstance(p, _Col)]
        over = [p.value for p in parts if isinstance(p, _Field) and p.name == "var"]
        return MarginalMeans(
            _ref(parts), factors[0] if factors else None, trend=over[0] if over else "time"
        )

    def simple_slopes_over(self, items):
        """ "how does pain change over time in each group?": the slope of the variable
        named after "over"; the words before it name the outcome, which the model has."""
        return self.simple_slopes(items)

    def mm_var(self, items):
        return _Field("var", self.column(items).name)

    def mm_numbers(self, items):
        return _Field("numbers", tuple(float(t) for t in items if isinstance(t, Token)
                                       and t.type == "NUMBER"))

    def mm_at_values(self, items):
        parts = {p.name: p.value for p in _flat(items) if isinstance(p, _Field)}
        return _Field("at", ((parts["var"], parts["numbers"]),))

    def mm_at_values_first(self, items):
        return self.mm_at_values(items)

    def mm_at_each(self, items):
        name = next(p.value for p in _flat(items) if isinstance(p, _Field) and p.name == "var")
        return _Field("by", name)

    def mm_factor(self, items):
        return self.column(items)

    def mm_adjust(self, items):
        return _flat(items)

    def adjust_tukey(self, _):
        return _Field("adjust", "tukey")

    def adjust_holm(self, _):
        return _Field("adjust", "holm")

    def adjust_bonferroni(self, _):
        return _Field("adjust", "bonferroni")

    def adjust_none(self, _):
        return _Field("adjust", "none")

    # -------------------------------------------------------------- rankings
    def blup_rank_all(self, items):
        return self.blup_rank(items, every_level=True)

    def blup_rank(self, items, every_level: bool = False):
        """ "which patients have the highest intercepts", "top 5 schools": a number
        given is kept; without one a question shows DEFAULT_TOP levels, "rank ... by"
        every level."""
        parts = _flat(items)
        orders = [p.value for p in parts if isinstance(p, _Field) and p.name == "order"]
        order = orders[0] if orders else "highest"
        terms = [p for p in parts if isinstance(p, _Term)]
        term = terms[0].term if terms else None
        if term is None and order in ("steepest", "flattest"):
            term = "slope"
        groups = [c.name for c in parts if isinstance(c, _Col)]
        numbers = [p for p in parts if isinstance(p, float)]
        top = int(numbers[0]) if numbers else (None if every_level else DEFAULT_TOP)
        if top is not None and top < 1:
            raise NotUnderstood("a number of levels to show, 1 or more")
        asked = [p.value for p in parts if isinstance(p, _Field) and p.name == "asked"]
        at_start = any(isinstance(p, _Field) and p.name == "at_start" for p in parts)
        observed = [p.value for p in parts if isinstance(p, _Field) and p.name == "observed"]
        return Blups(_ref(parts), group=groups[0] if groups else None, term=term,
                     order=order, top=top, asked=asked[0] if asked else None,
                     at_start=at_start, observed=observed[0] if observed else None)

    def blup_rank_start(self, items):
        """ "who starts highest?": the levels by the model's prediction at the start."""
        return self.blup_rank([*items, _Term("(Intercept)"), _Field("at_start", True)])

    def blup_rank_side(self, items):
        """ "which subjects have slopes below average?": every level whose random effect
        lies on that side of zero (its own coefficient below or above the fixed effect),
        lowest first for "below", highest first for "above"."""
        side = next(p.value for p in _flat(items) if isinstance(p, _Field) and p.name == "side")
        step = self.blup_rank([*items, _Field("order", "lowest" if side == "below" else
                                              "highest")], every_level=True)
        return replace(step, side=side)

    def side_below(self, _):
        return _Field("side", "below")

    def side_above(self, _):
        return _Field("side", "above")

    def blup_rank_affected(self, items):
        """ "which subject is most affected by sleep deprivation?": the levels ranked by
        the slope of the words' variable (the assistant reads words that name no column
        as the model's one random slope, ``assistant.step_refinement``)."""
        return self.blup_rank(items)

    def blup_rank_change(self, items):
        """ "which subject deteriorates fastest?": the levels by their own slope (fixed
        part + BLUP) of the factor's one random slope; ``asked`` keeps the kind of change
        (the assistant reads "worse" by which way the outcome is worse), ``order``
        "steepest" for the fastest first, "flattest" for the slowest."""
        parts = _flat(items)
        asked = next(p.value for p in parts if isinstance(p, _Field) and p.name == "change")
        speed = next((p.value for p in parts if isinstance(p, _Field) and p.name == "speed"),
                     "steepest")
        groups = [c.name for c in parts if isinstance(c, _Col)]
        return Blups(_ref(items), group=groups[0] if groups else None, term="slope",
                     order=speed, top=DEFAULT_TOP, asked=asked)

    def change_worse(self, _):
        return _Field("change", "worsens")

    def change_better(self, _):
        return _Field("change", "improves")

    def change_down(self, _):
        return _Field("change", "falls")

    def change_up(self, _):
        return _Field("change", "rises")

    def speed_fast(self, _):
        return _Field("speed", "steepest")

    def speed_slow(self, _):
        return _Field("speed", "flattest")

    def affect_words(self, items):
        return _Term(" ".join(_cols(items)))

    def order_highest(self, _):
        return _Field("order", "highest")

    def order_lowest(self, _):
        return _Field("order", "lowest")

    def order_best(self, _):
        return [_Field("order", "highest"), _Field("asked", "best")]

    def order_worst(self, _):
        return [_Field("order", "lowest"), _Field("asked", "worst")]

    def order_harshest(self, _):
        return [_Field("order", "lowest"), _Field("asked", "harshest")]

    def order_most_lenient(self, _):
        return [_Field("order", "highest"), _Field("asked", "most lenient")]

    def order_steepest(self, _):
        return _Field("order", "steepest")

    def order_flattest(self, _):
        return _Field("order", "flattest")

    def rank_by(self, items):
        return _flat(items)

    def term_intercept(self, _):
        return _Term("(Intercept)")

    def term_observed_mean(self, items):
        """ "highest average test score": the observed means of the outcome (its words kept)."""
        words = " ".join(str(t) for t in items if isinstance(t, Token) and t.type == "NAME")
        return [_Term("(Intercept)"), _Field("observed", words)]

    def term_baseline(self, _):
        """ "highest baseline pain": the levels by the model's prediction at the start."""
        return [_Term("(Intercept)"), _Field("at_start", True)]

    def term_slope(self, items):
        cols = _cols(items)
        return _Term(cols[0] if cols else "slope")

    def term_default(self, _):
        return _Term(None)

    def dropout_question(self, items):
        """ "how many patients dropped out?": the audit led by the subjects who dropped
        out (the subjects named are not a column to count by); "... before month 6": the
        subjects last seen before that time."""
        before = [p for p in _flat(items) if isinstance(p, _Field) and p.name == "before"]
        return [_Field("question", "dropout"), *before]

    def dropout_before(self, items):
        return _Field("before", float(next(t for t in _flat(items) if isinstance(t, float))))

    def item_missing(self, items):
        if any(isinstance(p, _Field) and p.name == "question" for p in _flat(items)):
            before = [p.value for p in _flat(items) if isinstance(p, _Field) and p.name == "before"]
            return _Item("dropout", before[0] if before else None)
        cols = _cols(items)
        counted = [p.value for p in _flat(items) if isinstance(p, _Field) and p.name == "counted"]
        if counted and cols:
            return _Item("missing_counted", (cols[0], counted[0]))
        return _Item("missing", cols[0] if cols else None)

    def missing_values_of(self, _):
        """ "how many ratings are missing?": the whole audit (the words name the values
        counted, not a grouping factor)."""
        return []

    def missing_per_level(self, items):
        """ "how many students per school?": the observations of each school; the words
        counted ("patients" in "how many patients are in each group?") go along, so that
        the assistant can count subjects per level of a between-subject factor instead."""
        cols = _cols(items)
        if len(cols) >= 2:
            return [_Field("counted", cols[0]), _Col(cols[-1])]
        return _Col(cols[-1])

    @v_args(meta=True)
    def observations_per_level(self, meta, items):
        """ "how many observations per patient?" asked as a question: the rows of each level
        (the cluster sizes, as rows_per_level); after a reporting verb ("report how many
        observations per subject", the walkthrough's request) the whole missing-data audit,
        which leads with the same counts."""
        if _REPORT_VERB_BEFORE.search(self.source_text[:meta.start_pos]):
            return _Col(_cols(items)[-1])
        return self.rows_per_level(items)

    def rows_per_level(self, items):
        """ "how many observations does each patient have?": the rows of each level of the
        column named (the cluster sizes), not the whole missing-data audit."""
        return [_Field("counted", "observations"), _Col(_cols(items)[-1])]

    def item_missing_by(self, items):
        """ "missingness by treatment": the audit's completers against the others."""
        return _Item("missing_by", _cols(items)[-1])

    def item_complete(self, items):
        """ "how many patients had all 4 visits?": the missing-data audit, led by the
        subjects seen at every time point."""
        cols = _cols(items)
        return _Item("complete", cols[0] if cols else None)

    # ------------------------------------------------------------ write-up
    def write_up(self, items):
        """ "write a methods paragraph", "report the results in APA style", "report":
        the methods and/or results paragraphs of the model for a paper."""
        parts = [p for p in _flat(items) if isinstance(p, _WritePart)]
        return WriteUp(_ref(items), parts[-1].part if parts else None)

    def part_methods(self, _):
        return _WritePart("methods")

    def part_results(self, _):
        return _WritePart("results")

    def part_both(self, _):
        return _WritePart(None)

    def write_up_results(self, items):
        """ "report the results in APA style": the results paragraph."""
        return WriteUp(_ref(items), "results")

    def explain_coefficient(self, items):
        parts = _flat(items)
        target = next(p for p in parts if isinstance(p, _Coefficient))
        level = next((p.value for p in parts if isinstance(p, _Field) and p.name == "ci"), None)
        return ExplainCoefficient(target.term, target.interaction, _ref(parts), level=level)

    def explain_average_slope(self, items):
        """ "what is the average slope?": the coefficient of the model's one slope variable,
        which the session picks (plan.ExplainCoefficient.slope)."""
        return ExplainCoefficient(None, False, _ref(items), slope=True)

    def explain_treatment(self, items):
        """ "treatment effect at 95% confidence level": "treatment" is a keyword at the
        start of a request (the fixed-effects table's "treatment effect"); here it names
        the coefficient of a column treatment (the session checks the model has it)."""
        return self.explain_coefficient([_Coefficient("treatment"), *items])

    def explain_time(self, items):
        """ "time effect at 90% confidence": "time" is a keyword there too."""
        return self.explain_coefficient([_Coefficient("time"), *items])

    def ci_level(self, items):
        """ "95%": the level of the interval asked for."""
        return _Field("ci", _level(_Percent(items[0])))

    def percent_value(self, items):
        """ "0.5%", "90 percent": a number read as a percentage."""
        return _Percent(_flat(items)[0])

    def explain_named_effect(self, items):
        """ "what is the average SES effect?": "the SES effect" is SES's coefficient."""
        return self.explain_coefficient([_Coefficient(_cols(items)[0]), *items])

    def report_effects(self, items):
        """ "what are the effects?", "what is the estimated effect in model 2?"."""
        return FixedEffects(_ref(items))

    def explain_effect(self, items):
        """ "what is the effect of time on pain?", "how much does reaction time increase per
        day?": the coefficient named, with the outcome's words for the session to check."""
        step = self.explain_coefficient(items)
        outcome = next((p for p in _flat(items) if isinstance(p, _OutcomeWords)), None)
        return replace(step, outcome=outcome.text) if outcome is not None else step

    def outcome_words(self, items):
        words = [str(t)[1:-1] if t.type == "QUOTED_NAME" else str(t) for t in items]
        return _OutcomeWords(" ".join(words))

    def predict_outcome(self, items):
        """ "what is the average reaction time at day 0?": the model's prediction there."""
        outcome = next(p for p in _flat(items) if isinstance(p, _OutcomeWords))
        return replace(self.report_predict(items), outcome=outcome.text)

    def level_outcome(self, items):
        return _OutcomeWords(" ".join(str(t) for t in items))

    def level_mean(self, items):
        """ "what is the mean rating in condition A?": that level's observed mean and the
        model's estimated marginal mean."""
        target = next(p for p in _flat(items) if isinstance(p, _BlupLevel))
        if target.group is not None and target.group.casefold() in {"each", "every", "all"}:
            # "what is the mean rating in each condition?": every level's mean, which the
            # estimated marginal means give (with their pairwise differences)
            return MarginalMeans(_ref(items), target.level)
        return LevelMean(_ref(items), factor=target.group, level=target.level)

    def report_level_blups(self, items):
        """ "what is patient P001 intercept": that level's random effects."""
        target = next(p for p in _flat(items) if isinstance(p, _BlupLevel))
        return Blups(_ref(items), group=target.group, level=target.level)

    def level_comparison(self, items):
        """ "is condition B rated higher than A?": B minus A of the factor named (or the
        one with both levels), with what the question claims; "is rating higher in
        condition B than in A?" names the outcome first, which the model already knows."""
        parts = _flat(items)
        levels = [p for p in parts if isinstance(p, _BlupLevel)][-2:]
        direction = next(p.value for p in parts if isinstance(p, _Field) and p.name == "direction")
        first, second = levels
        if first.group and second.group and first.group != second.group and (
            first.level == second.level
        ):  # "are B items rated higher than A items?": the levels come before the noun
            return LevelComparison(_ref(items), None, first.group, second.group, direction)
        factor = first.group or second.group
        return LevelComparison(_ref(items), factor, first.level, second.level, direction)

    def direction_higher(self, _):
        return _Field("direction", "higher")

    def direction_lower(self, _):
        return _Field("direction", "lower")

    def report_models(self, items):
        """ "R2 of models 1 and 2": fit statistics in one table for the models listed, any
        other report once per model."""
        parts = _flat(items)
        refs = tuple(next(p.value for p in parts if isinstance(p, _Field) and p.name == "models"))
        fields = {p.name: p.value for p in parts if isinstance(p, _Field) and p.name != "models"}
        steps: list[Step] = []
        for part in parts:
            if not isinstance(part, _Item):
                continue
            if part.kind in ("r2", "fit"):
                measure = "r2" if part.kind == "r2" else None
                steps.append(FitStatistics(models=refs, measure=measure))
            elif part.kind == "criterion":
                steps.append(CompareModels(_criteria(part.value), refs))
            else:
                steps += [part.build(ref, fields) for ref in refs]
        return merge_steps(steps)

    def coefficient_named(self, items):
        names = [str(t)[1:-1] if t.type == "QUOTED_NAME" else str(t)
                 for t in items if isinstance(t, Token) and t.type in ("NAME", "QUOTED_NAME")]
        if len(names) == 1 and names[0].casefold() in {"it", "this", "that"}:
            # "what does it mean?" names no coefficient
            raise NotUnderstood("a coefficient")
        return _Coefficient(":".join(names))

    def coefficient_intercept(self, _):
        return _Coefficient("(Intercept)")

    def coefficient_interaction(self, _):
        return _Coefficient(None, interaction=True)

    def item_anova(self, _):
        return _Item("anova")

    def item_confint(self, items):
        return _flat(items)[0]

    def item_predict(self, items):
        parts = _flat(items)
        fixed = [f for f in parts if isinstance(f, _Field) and f.name == "at"]
        refs = [r for r in parts if isinstance(r, _Ref)]
        return [_Item("predict", fixed[0].value if fixed else ()), *refs]

    def predict_at(self, items):
        # "predictions for model 2": a "value" named model is the model referred to
        pairs = [v for v in _flat(items) if isinstance(v, tuple)]
        refs = [_Ref(value) for name, value in pairs if name.casefold() == "model"]
        kept = tuple(pair for pair in pairs if pair[0].casefold() != "model")
        fields = [f for f in _flat(items) if isinstance(f, _Field) and f.name in
                  ("level", "new_unit")]
        return [_Field("at", kept), *refs, *fields]

    def predict_conditions(self, items):
        """ "for a treated patient at time 6": the conditions in any order."""
        return self.predict_at(items)

    def fixed_value(self, items):
        """(name, value text); a name alone ("for treated") has the value ""."""
        name = _cols(items)[0]
        values = [i for i in items[1:] if not (isinstance(i, Token) and i.type not in
                                               ("NAME", "QUOTED_NAME"))]
        if not values:
            return (name, "")
        value = values[-1]
        if isinstance(value, Token):
            text = str(value)
            text = text[1:-1] if value.type == "QUOTED_NAME" else text
        else:
            text = format(value, "g")
        return (name, text)

    def negative_number(self, items):
        return -_number(next(t for t in items if isinstance(t, Token) and t.type == "NUMBER"))

    def number_first_value(self, items):
        """ "(after) 5 days": the column named after its value, as fixed_value's pair."""
        number = next(i for i in _flat(items) if isinstance(i, (int, float)))
        return (_cols(items)[0], format(number, "g"))

    def size_value(self, items):
        """ "(in a) school of 500 students": the group's size in words ("school size"),
        for the session to match to a column, at the number given."""
        number = next(i for i in _flat(items) if isinstance(i, (int, float)))
        return (f"{_cols(items)[0]} size", format(number, "g"))

    def predicted_contrast(self, items):
        """ "predicted pain at month 6 for treated vs control": the marginal means of the
        factor at the numeric values named, with their difference. The levels named are
        left to the factor the model has (the assistant takes its only factor)."""
        pairs = next(f.value for f in _flat(items) if isinstance(f, _Field) and f.name == "at")
        at = []
        for name, value in pairs:
            try:
                at.append((name, (float(value),)))
            except ValueError:
                continue  # a level ("for treated"), not a value to hold a predictor at
        return MarginalMeans(_ref(items), at=tuple(at))

    def report_predict_level(self, items):
        """ "what reaction time would subject 308 have on day 12?": the prediction for the
        level named ("subject 308", read by the assistant as a level of the grouping
        factor) at the conditions after it."""
        step = self.report_predict(items)
        named = [p for p in _flat(items) if isinstance(p, tuple)]
        return replace(step, at=(*named, *step.at))

    def report_predict_unit(self, items):
        """ "what would a treated patient score at time 3?": the words before the verb
        describe the unit ("treated patient": the level treated, as "for a treated
        patient" reads); a single word ("a patient") names only the unit."""
        words = next(p for p in _flat(items) if isinstance(p, _OutcomeWords)).text.split()
        if len(words) < 2 or words[-1].casefold() not in _UNIT_VERBS:
            raise NotUnderstood("a prediction such as `what would a treated patient score "
                                "at time 3?`")
        step = self.report_predict(items)
        described = [(words[0], words[1])] if len(words) == 3 else []
        return replace(step, at=(*described, *step.at))

    def report_predict_possessive(self, items):
        """ "what is the treated patient's pain at month 6?": the unit described before the
        possessive, read as "what would a treated patient score at month 6?" reads it (the
        first word a level, the second the unit); "a patient's" names only the unit."""
        unit = next(p for p in _flat(items) if isinstance(p, _BlupLevel))
        step = self.report_predict(items)
        described = [(unit.group, unit.level)] if unit.group is not None else []
        return replace(step, at=(*described, *step.at))

    def report_predict(self, items):
        fields = [f for f in _flat(items) if isinstance(f, _Field)]
        fixed = [f for f in fields if f.name == "at"]
        levels = [f.value for f in fields if f.name == "level"]
        units = [f.value for f in fields if f.name == "new_unit"]
        return Predict(_ref(items), fixed[0].value if fixed else (),
                       level=next((v for v in levels if v is not None), None),
                       new_unit=bool(units), unit=units[0] if units else None)

    def report_prediction_interval(self, items):
        """ "(95%) prediction interval(s) for a new subject at Days = 10": the prediction
        with a new unit's intervals, at the level typed before the words if any."""
        step = self.report_predict(items)
        typed = [i for i in _flat(items) if isinstance(i, (int, float))]
        level = step.level if step.level is not None or not typed else _level(typed[0])
        return replace(step, new_unit=True, level=level)

    def new_unit(self, items):
        """ "(for a) new subject": the unit as named."""
        return _Field("new_unit", str(items[-1]))

    def predict_ci(self, items):
        """ "with 95% CI": the interval's level (None: the session's)."""
        numbers = [t for t in _flat(items) if isinstance(t, float)]
        return _Field("level", _level(numbers[0]) if numbers else None)

    def item_criterion(self, items):
        return _Item("criterion", _flat(items)[0] if isinstance(_flat(items)[0], list) else
                     [c for c in _flat(items) if isinstance(c, str)])

    def item_plot(self, items):
        parts = _flat(items)
        target = next(p for p in parts if isinstance(p, _PlotTarget))
        fields = {p.name: p.value for p in parts if isinstance(p, _Field)}
        return _Item("plot", (target, fields, _ref(parts)))

    def ci_level_plain(self, items):
        return _Item("confint", (None, _level(_flat(items)[0])))

    def ci_level_plain_after(self, items):
        return self.ci_level_plain(items)

    def ci_level_method(self, items):
        level, method = _flat(items)
        return _Item("confint", (method, _level(level)))

    def ci_method_level(self, items):
        method, level = _flat(items)
        return _Item("confint", (method, _level(level)))

    def ci_method_only(self, items):
        return _Item("confint", (_flat(items)[0], None))

    def ci_plain(self, _):
        return _Item("confint", (None, None))

    def ci_profile(self, _):
        return "profile"

    def ci_wald(self, _):
        return "wald"

    def ci_bootstrap(self, _):
        return "bootstrap"

    def opt_ddf(self, items):
        return _Field("ddf", self._first_str(items))

    def opt_icc(self, _):
        return _Field("icc", True)

    def opt_ci_method(self, items):
        return _Field("ci_method", self._first_str(items))

    def opt_level(self, items):
        return _Field("level", _level(_flat(items)[0]))

    # ----------------------------------------------------------------- power
    def power_request(self, items):
        """ "power (curve) for treatment (of -5) (with 40, 80 and 120 patients) ...": the
        parts in any order (grammar: power_analysis)."""
        fields: dict[str, Any] = {}
        for part in _flat(items):
            if isinstance(part, _Field):
                fields[part.name] = part.value
        curve = bool(fields.pop("curve", False))
        return PowerAnalysis(
            variable=fields.get("variable"), effect=fields.get("effect"),
            group=fields.get("group"), sizes=tuple(fields.get("sizes", ())),
            sample_size=curve or bool(fields.get("sample_size", False)),
            target=fields.get("target"), nsim=fields.get("nsim"), alpha=fields.get("alpha"),
            seed=fields.get("seed"), model=_ref(items),
        )

    def power_sample_size(self, items):
        """ "how many patients do I need (to detect ...)?": a curve over numbers of the
        named unit; "sample size calculation" names none."""
        named = [i.name for i in items if isinstance(i, _Col)]
        step = self.power_request(items)
        group = step.group or (named[0] if named else None)
        return replace(step, sample_size=True, group=group)

    def power_words(self, items):
        return _Field("curve", False)

    def power_curve_word(self, items):
        return _Field("curve", True)

    def power_target(self, items):
        """ "treatment (effect) (of -5)", "effect of 5 for time": the variable as typed and,
        when given, the effect it is assumed to have."""
        cols = _cols(items)
        return [_Field("variable", cols[0]),
                *[f for f in _flat(items) if isinstance(f, _Field) and f.name == "effect"]]

    def power_interaction(self, items):
        """ "time by treatment interaction (of 2)": the interaction of the two variables."""
        cols = _cols(items)
        return [_Field("variable", f"{cols[0]}:{cols[1]}"),
                *[f for f in _flat(items) if isinstance(f, _Field) and f.name == "effect"]]

    def power_effect(self, items):
        return _Field("effect", float(_flat(items)[0]))

    def power_sizes(self, items):
        """ "with 40, 80 and 120 patients": the numbers of levels and the unit's word."""
        numbers = [_whole_number(v, "a whole number of units") for v in _flat(items)
                   if isinstance(v, (int, float))]
        names = [str(t) for t in items if isinstance(t, Token) and t.type == "NAME"]
        return [_Field("sizes", tuple(numbers)), _Field("group", names[-1])]

    def number_list(self, items):
        return [v for v in _flat(items) if isinstance(v, (int, float))]

    def power_nsim(self, items):
        return _Field("nsim", _whole_number(_flat(items)[0], "a whole number of simulations"))

    def power_alpha(self, items):
        """ "at alpha 0.01", "at the 1% significance level"."""
        value = float(_flat(items)[0])
        alpha = value / 100 if isinstance(_flat(items)[0], _Percent) or value >= 1 else value
        if not 0 < alpha < 0.5:
            raise NotUnderstood("a significance level such as 0.05 or 1%")
        return _Field("alpha", alpha)

    def power_target_power(self, items):
        """ "(with) 90% power": the power the design should reach."""
        value = float(_flat(items)[0])
        target = value / 100 if value > 1 or isinstance(_flat(items)[0], _Percent) else value
        if not 0 < target < 1:
            raise NotUnderstood("a power such as 80% or 90%")
        return _Field("target", target)

    def power_seed(self, items):
        return _Field("seed", _whole_number(_flat(items)[0], "a whole number as the seed"))

    def opt_nsim(self, items):
        return _Field("nsim", _whole_number(_flat(items)[0], "a whole number of simulations"))

    def opt_seed(self, items):
        return _Field("seed", _whole_number(_flat(items)[0], "a whole number as the seed"))

    def opt_ci_variance(self, items):
        """ "for the variance components (of model 2)": the model, when named, goes up."""
        refs = [i for i in _flat(items) if isinstance(i, _Ref)]
        return [_Field("ci_variance", True), *refs]

    # ----------------------------------------------------------------- plots
    def plot(self, items):
        parts = _flat(items)
        target = next((p for p in parts if isinstance(p, _PlotTarget)), None)
        model = _ref(items)
        fields = {p.name: p.value for p in parts if isinstance(p, _Field)}
        if target is None:
            raise NotUnderstood("a plot")
        return target.build(model, fields)

    def target_caterpillar(self, items):
        cols = _cols(items)
        return _PlotTarget("caterpillar", None, cols[0] if cols else None)

    def target_caterpillar_slopes(self, _):
        """ "plot the random slopes": the slopes' panels alone, not the intercepts."""
        return _PlotTarget("caterpillar", "slope")

    def target_group_caterpillar(self, items):
        """ "plot the school intercepts": the caterpillar plot of that grouping factor;
        "the random intercepts of rater and item": of every factor (None)."""
        cols = _cols(items)
        return _PlotTarget("caterpillar", group=cols[0] if len(cols) == 1 else None)

    def target_residuals(self, _):
        return _PlotTarget("residuals", "all")

    def target_trajectory(self, _):
        return _PlotTarget("trajectory")

    def item_caterpillar(self, items):
        parts = _flat(items)
        terms = [p for p in parts if isinstance(p, _Term)]
        groups = [p.name for p in parts if isinstance(p, _Col)]
        return [_PlotTarget("caterpillar", terms[0].term if terms else None,
                            group=groups[0] if groups else None),
                *[p for p in parts if isinstance(p, _Ref)]]

    def of_intercepts(self, _):
        return _Term("(Intercept)")

    def of_group(self, items):
        return _flat(items)

    def of_slopes(self, items):
        """ "of the random slopes": the slope panels alone ("slope": the model's random
        slopes, not the intercepts); "of the Days slopes", "slopes for Days": that one."""
        cols = _cols(items)
        return _Term(cols[0] if cols else "slope")

    def of_all(self, _):
        return _Term(None)

    def item_residuals(self, _):
        return _PlotTarget("residuals", "all")

    def item_blup_qq(self, _):
        """ "QQ plot of the random intercepts": the BLUPs' QQ plots and normality tests."""
        return _PlotTarget("blup_normality")

    def item_qq(self, items):
        return [_PlotTarget("residuals", "qq"), *[p for p in _flat(items) if isinstance(p, _Ref)]]

    def item_trajectory(self, _):
        return _PlotTarget("trajectory")

    def report_trajectory(self, items):
        """ "show me the fitted trajectories by treatment": the model's trajectory plot."""
        return self.plot([_PlotTarget("trajectory"), *items])

    def item_spaghetti(self, _):
        return _PlotTarget("spaghetti")

    def item_data(self, _):
        return _PlotTarget("data")

    def item_fitted_lines(self, _):
        """ "plot each subject's fitted line": the model's trajectory figure, whose thin
        lines are each subject's fitted values (fixed effects plus BLUPs)."""
        return _PlotTarget("subject_lines")

    def item_each_line(self, items):
        """ "plot each subject's trajectory": the spaghetti plot, a line per subject."""
        return [_PlotTarget("spaghetti"), _Field("for_each", _cols(items)[0])]

    def item_each_outcome(self, items):
        """ "plot each patient's pain": the observed outcome, one line per subject."""
        group, outcome = _cols(items)[:2]
        return [_PlotTarget("data", outcome=outcome), _Field("for_each", group)]

    def target_mean_outcome(self, items):
        """ "plot average pain": the data figure, which draws the mean at each time in bold
        over the subjects' own lines."""
        return _PlotTarget("data", "mean", outcome=_cols(items)[0])

    def target_data(self, _):
        return _PlotTarget("data")

    def target_means(self, _):
        """ "plot the means (with error bars)": the observed means figure."""
        return _PlotTarget("means")

    def item_means(self, _):
        """ "error bar plot (of pain by time)", "means plot": the observed means figure."""
        return _PlotTarget("means")

    def target_outcome(self, items):
        name = _cols(items)[0]
        # "plot the residuals." lexes as a name (the dot joins it); read it as the keyword
        return _PLOT_WORDS.get(name.casefold(), _PlotTarget("data", outcome=name))

    @v_args(meta=True)
    def target_mean_outcome_words(self, meta, items):
        """ "plot the mean pain score over time": the data figure of the outcome in words
        (after the mean word), kept as written for the session to resolve."""
        words = self.source_text[meta.start_pos:meta.end_pos].split()
        skip = 2 if words[0].casefold() == "observed" else 1
        return _PlotTarget("data", "mean", outcome=" ".join(words[skip:]))

    @v_args(meta=True)
    def target_outcome_words(self, meta, items):
        """ "plot reaction time by day": the outcome in words whose last one is also a
        keyword elsewhere, kept as written for the session to resolve."""
        words = self.source_text[meta.start_pos:meta.end_pos].split()
        if len(words) > 1 and words[-1].casefold() in _OUTCOME_LINE_WORDS:
            words = words[:-1]  # "plot the reaction time profiles": the lines of the outcome
        return _PlotTarget("data", outcome=" ".join(words))

    def data_words(self, _):
        return []

    def opt_for_each(self, items):
        return _Field("for_each", _cols(items)[0])

    def opt_named_levels(self, items):
        """ "for subjects 308 and 309": those levels' lines."""
        levels = tuple(p for p in _flat(items) if isinstance(p, _LevelName))
        return [_Field("for_each", _cols(items)[0]),
                _Field("levels", tuple(level.text for level in levels))]

    def opt_bare_levels(self, items):
        """ "(fitted lines) for 308 and 309": those levels of the model's one grouping
        factor (the session finds it)."""
        levels = [str(t)[:-2] if str(t).endswith(".0") else str(t)
                  for t in items if isinstance(t, Token) and t.type == "NUMBER"]
        return [_Field("levels", tuple(levels))]

    def named_level(self, items):
        text = str(items[0])
        if items[0].type == "QUOTED_NAME":
            text = text[1:-1]
        elif items[0].type == "NUMBER" and text.endswith(".0"):
            text = text[:-2]
        return _LevelName(text)

    def opt_some_levels(self, items):
        """ "for 5 schools": the lines of that many schools."""
        count = next(p for p in _flat(items) if isinstance(p, float))
        if count < 1 or count != int(count):
            raise NotUnderstood("a whole number of levels to draw, 1 or more")
        return [_Field("for_each", _cols(items)[0]), _Field("n_levels", int(count))]

    def opt_data(self, _):
        return _Field("data", True)

    def opt_fitted(self, _):
        return _Field("fitted", True)

    def opt_band(self, items):
        nums = [p for p in _flat(items) if isinstance(p, float)]
        out = [_Field("band", True)]
        if nums:
            out.append(_Field("level", _level(nums[0])))
        return out

    def opt_overlay(self, _):
        return _Field("overlay", True)

    def opt_by(self, items):
        return _Field("by", _cols(items)[0])

    def opt_by_two(self, items):
        """ "by time and treatment": two columns, the first named first."""
        first, second = _cols(items)[:2]
        return [_Field("by", first), _Field("by_also", second)]

    @v_args(meta=True)
    def opt_bars(self, meta, items):
        """ "and SE", "with SD bars", "with standard errors": the spread the bars show."""
        words = self.source_text[meta.start_pos:meta.end_pos].casefold().split()
        deviation = any(w in ("sd", "sds", "deviation", "deviations") for w in words)
        return _Field("bars", "sd" if deviation else "se")

    def opt_over(self, items):
        return _Field("over", _cols(items)[0])

    def opt_outcome(self, items):
        return _Field("outcome", _cols(items)[0])

    def opt_nothing(self, _):
        return []

    def opt_model(self, items):
        return items

    def overlay_only(self, _):
        return PlotTrajectory(overlay_blups=True)

    def check_normality(self, items):
        return PlotResiduals(_ref(items), "qq")

    def check_assumptions(self, items):
        return PlotResiduals(_ref(items), "all")

    def outlier_report(self, items):
        """ "are there any outliers?": the outlying observations and clusters."""
        return Outliers(_ref(items))

    def check_spread(self, items):
        """ "is there heteroscedasticity?": the residual plots, led by the spread."""
        return PlotResiduals(_ref(items), "all", question="spread")

    # --------------------------------------------------------------- options
    def option(self, items):
        return [p for p in _flat(items) if isinstance(p, SetOption)] or self._named_option(items)

    def option_bare_level(self, items):
        """ "level 0.9": the confidence level, with no "set" or "confidence" before it."""
        setting = next(p for p in _flat(items) if isinstance(p, _Setting))
        return [_option_from("level", setting)]

    def _named_option(self, items):
        parts = _flat(items)
        name = next(p for p in parts if isinstance(p, _OptionName))
        setting = next(p for p in parts if isinstance(p, _Setting))
        return [_option_from(name.name, setting)]

    def set_method(self, items):
        return SetOption("method", self._first_str(items))

    def set_ddf(self, items):
        return SetOption("ddf", self._first_str(items))

    def set_optimizer(self, items):
        return SetOption("optimizer", self._first_str(items))

    def set_max_iter(self, items):
        return SetOption("max_iter", int(_flat(items)[0]))

    def set_level_percent(self, items):
        return SetOption("level", _level(_flat(items)[0]))

    def option_with_ci_level(self, items):
        """ "with 90% confidence intervals": the session's confidence level."""
        return self.set_level_percent(items)

    def set_format(self, items):
        return SetOption("format", _format_word(self.source_text, items))

    def name_method(self, _):
        return _OptionName("method")

    def name_ddf(self, _):
        return _OptionName("ddf")

    def name_optimizer(self, _):
        return _OptionName("optimizer")

    def name_max_iter(self, _):
        return _OptionName("max_iter")

    def name_level(self, _):
        return _OptionName("level")

    def name_alpha(self, _):
        return _OptionName("alpha")

    def name_output_dir(self, _):
        return _OptionName("output_dir")

    def name_format(self, _):
        return _OptionName("format")

    def setting_method(self, items):
        return _Setting("method", _flat(items)[0])

    def setting_ddf(self, items):
        return _Setting("ddf", _flat(items)[0])

    def setting_optimizer(self, items):
        return _Setting("optimizer", _flat(items)[0])

    def setting_number(self, items):
        return _Setting("number", _flat(items)[0])

    def setting_path(self, items):
        return _Setting("path", _flat(items)[0])

    @v_args(meta=True)
    def setting_format(self, meta, items):
        return _Setting("format", self.source_text[meta.start_pos:meta.end_pos].strip().lower())

    def option_save(self, items):
        steps = [p for p in _flat(items) if isinstance(p, SetOption)]
        if not steps:
            # "save the results": the tables to files; figures are saved as they are drawn
            if _names_figures(self.source_text):
                raise NotUnderstood("where to save the figures, e.g. `save figures to results/`")
            return ExportResults()
        steps = [self._file_as_export(step) for step in steps]
        folder_set = any(isinstance(s, SetOption) and s.name == "output_dir" for s in steps)
        if folder_set and not _names_figures(self.source_text):
            # "save results to out/": that folder from now on, and the tables in it
            steps.append(ExportResults())
        return steps

    def option_output_dir(self, items):
        return self._file_as_export(SetOption("output_dir", _flat(items)[0]))

    def _file_as_export(self, step: SetOption) -> Step:
        """ "save the results to results.csv": a file name where a folder can stand
        writes the results to that file; figures need a folder."""
        if step.name != "output_dir" or not _looks_like_file(str(step.value)):
            return step
        if _names_figures(self.source_text):
            raise NotUnderstood(
                f"a folder for the figures, not the file {step.value!r} (e.g. `figures/`)"
            )
        return ExportResults(path=str(step.value))

    # ---------------------------------------------------------------- export
    def export(self, items):
        parts = _flat(items)
        tables = [p.table for p in parts if isinstance(p, _ExportWhat)]
        table = tables[0] if tables else None
        targets = [p for p in parts if isinstance(p, _ExportFile)]
        target = targets[0] if targets else _ExportFile()
        model = _ref(parts)
        listed = [r for p in parts if isinstance(p, _Field) and p.name == "models"
                  for r in p.value]
        models = tuple(dict.fromkeys(listed))
        if target.path is not None and not _looks_like_file(target.path) and (
            target.folder or target.path.endswith("/")
        ):
            # "export the results to out/": that folder from now on, and the files in it
            return [SetOption("output_dir", target.path),
                    ExportResults(model, table, models=models)]
        return ExportResults(model, table, target.path, target.format, models)

    def export_all(self, _):
        return _ExportWhat(None)

    def export_fixed(self, _):
        return _ExportWhat("fixed_effects")

    def export_variance(self, _):
        return _ExportWhat("variance_components")

    def export_blups(self, _):
        return _ExportWhat("random_effects")

    def export_fit(self, _):
        return _ExportWhat("fit")

    def export_comparison(self, _):
        return _ExportWhat("comparison")

    def export_target(self, items):
        return _flat(items)

    def export_path(self, items):
        token = items[0]
        return _ExportFile(str(token), folder=token.type.endswith("DIR_PATH"))

    def export_path_quoted(self, items):
        return _ExportFile(str(items[0])[1:-1])

    def export_csv(self, _):
        return _ExportFile(format="csv")

    def export_json(self, _):
        return _ExportFile(format="json")

    def save_dir(self, items):
        return SetOption("output_dir", _flat(items)[0])

    def save_format(self, items):
        return SetOption("format", _format_word(self.source_text, items))

    def path_string(self, items):
        return str(items[0])[1:-1]

    def path_plain(self, items):
        return str(items[0])

    # ------------------------------------------------------------------ data
    def data_step(self, items):
        return items

    def load(self, items):
        parts = _flat(items)
        path = next(p for p in parts if isinstance(p, str))
        formats = [p for p in parts if isinstance(p, _Format)]
        return LoadData(path, formats[-1].name if formats else None)

    def load_format(self, items):
        return items

    def fmt_csv(self, _):
        return _Format("csv")

    def fmt_tsv(self, _):
        return _Format("tsv")

    def fmt_excel(self, _):
        return _Format("excel")

    def fmt_parquet(self, _):
        return _Format("parquet")

    def file_format(self, items):
        return items

    def use_sample(self, items):
        names = [p for p in _flat(items) if isinstance(p, _SampleName)]
        return UseSample(names[0].name if names else DEFAULT_SAMPLE)

    def sample_name(self, items):
        return _SampleName(str(items[0]))

    def describe(self, _):
        return DescribeData()

    def reshape(self, items):
        f = _fields(items)
        return ReshapeLong(f.get("id"), f.get("stub"), f.get("time"), f.get("value"),
                           tuple(f.get("columns", ())))

    def reshape_columns(self, items):
        """ "pain_0 pain_1 pain_3 are the visits": the wide columns of the measure."""
        return _flat(items)

    def visit_columns(self, items):
        return _Field("columns", tuple(_cols(items)))

    def reshape_id(self, items):
        return _Field("id", _cols(items)[0])

    def reshape_stub(self, items):
        cols = _cols(items)
        if cols:
            return _Field("stub", cols[0])
        return _Field("stub", next(str(t)[1:-1] for t in items if isinstance(t, Token)))

    def reshape_time(self, items):
        return _Field("time", _cols(items)[0])

    def reshape_value(self, items):
        return _Field("value", _cols(items)[0])

    def reshape_first(self, _):
        return []

    def _transform(self, operation: str, items) -> Transform:
        return Transform(operation, tuple(_cols(items)))

    def center(self, items):
        return self._transform("center", items)

    def within_between(self, items):
        columns = _cols(items)
        group = _fields(items).get("group") or (columns[1] if len(columns) > 1 else None)
        return WithinBetween(columns[0], group)

    def group_word(self, items):
        """ "between school effects": the grouping factor named before "effects"."""
        return _Field("group", _cols(items)[0])

    def scale(self, items):
        return self._transform("scale", items)

    def standardize(self, items):
        return self._transform("standardize", items)

    def log(self, items):
        return self._transform("log", items)

    def factor(self, items):
        return self._transform("factor", items)

    def days(self, items):
        return self._transform("days", items)

    # ------------------------------------------------------ missing-value codes
    def missing_code(self, items):
        codes = tuple(i.text for i in _flat(items) if isinstance(i, _Compared))
        return MissingCode(codes, tuple(_cols(items)))

    def missing_code_lead_number(self, items):
        return MissingCode((_number_text(_number(items[0])),), tuple(_cols(items)))

    def missing_code_lead_negative(self, items):
        return MissingCode((_number_text(-_number(items[0])),), tuple(_cols(items)))

    def missing_code_lead_text(self, items):
        return MissingCode((str(items[0])[1:-1],), tuple(_cols(items)))

    def code_number(self, items):
        return _Compared(_number_text(_number(items[0])))

    def code_negative(self, items):
        return _Compared(_number_text(-_number(items[0])))

    def code_text(self, items):
        return _Compared(str(items[0])[1:-1])

    def code_where(self, items):
        return _flat(items)

    def code_everywhere(self, _):
        return []

    # ---------------------------------------------------------------- subsets
    def drop_levels(self, items):
        return _then_refit(_subset_by_levels("drop", _cols(items)[0], _level_texts(items)), items)

    def subset_levels(self, items):
        """ "(for) the treatment group (only)", "(only for) females": the rows of that level
        (a word such as "group" or "arm" after it names no level)."""
        values = [v for v in _level_texts(items) if v.casefold() not in _ARM_WORDS]
        return _subset_by_levels("keep", _cols(items)[0], values)

    def fit_in_subset(self, items):
        """ "fit ... for the treatment group only": the subset, then the fit on it."""
        parts = _flat(items)
        subset = next(p for p in parts if isinstance(p, SubsetData))
        return [subset, *(p for p in parts if not isinstance(p, SubsetData))]

    def age_older(self, _):
        return _Field("age_operator", ">")

    def age_younger(self, _):
        return _Field("age_operator", "<")

    def drop_by_age(self, items):
        """ "exclude everyone older than 70": the rows where age > 70 dropped."""
        return _then_refit(_age_subset("drop", items), items)

    def keep_by_age(self, items):
        """ "keep only patients younger than 65": the rows where age < 65 kept."""
        return _then_refit(_age_subset("keep", items), items)

    def keep_levels(self, items):
        return _then_refit(_subset_by_levels("keep", _cols(items)[0], _level_texts(items)), items)

    def drop_rows(self, items):
        return _then_refit(SubsetData("drop", rows=_row_numbers(items)), items)

    def keep_rows(self, items):
        return _then_refit(SubsetData("keep", rows=_row_numbers(items)), items)

    def drop_where(self, items):
        return _then_refit(_subset_where("drop", items), items)

    def keep_where(self, items):
        return _then_refit(_subset_where("keep", items), items)

    def keep_visits(self, items):
        return _then_refit(_visit_subset("keep", items), items)

    def drop_visits(self, items):
        return _then_refit(_visit_subset("drop", items), items)

    def keep_level_to_model(self, items):
        """ "keep only visit 3 to model 2": the rows with that value, then model 2 on them."""
        number = next(t for t in items if isinstance(t, Token) and t.type.endswith("NUMBER"))
        return _then_refit(_subset_by_levels("keep", _cols(items)[0], [str(number)]), items)

    def keep_visit_range(self, items):
        return _then_refit(_visit_range("keep", items), items)

    def drop_visit_range(self, items):
        return _then_refit(_visit_range("drop", items), items)

    def unit_days(self, _):
        return _Field("unit", "days")

    def unit_weeks(self, _):
        return _Field("unit", "weeks")

    def unit_months(self, _):
        return _Field("unit", "months")

    def unit_years(self, _):
        return _Field("unit", "years")

    def unit_sessions(self, _):
        return _Field("unit", "sessions")

    def unit_hours(self, _):
        return _Field("unit", "hours")

    def drop_time_values(self, items):
        """ "exclude the first two days": the two smallest values of the time column."""
        return _then_refit(_time_values("drop", items), items)

    def keep_time_values(self, items):
        return _then_refit(_time_values("keep", items), items)

    def keep_time_range(self, items):
        """ "use only days 2 to 9": the rows whose time value lies from 2 to 9."""
        return _then_refit(_time_range("keep", items), items)

    def drop_time_range(self, items):
        return _then_refit(_time_range("drop", items), items)

    def baseline_covariate(self, items):
        """ "adjust for baseline pain": the outcome at the first time as a covariate."""
        words = [w for i in _flat(items) if isinstance(i, _Field) and i.name == "outcome"
                 for w in [i.value]]
        return BaselineCovariate(words[0] if words else None, _ref(items))

    def baseline_covariate_words(self, items):
        """ "include baseline pain as a covariate": two words, the first "baseline"."""
        first, second = _cols(items)[:2]
        if first.casefold() != "baseline":
            raise NotUnderstood(
                "one column per covariate, joined by 'and', e.g. `add age and sex as "
                "covariates`"
            )
        return BaselineCovariate(second, _ref(items))

    def baseline_outcome(self, items):
        return _Field("outcome", " ".join(str(t).strip("`") for t in items))

    def drop_by_size(self, items):
        """ "drop patients with fewer than 2 visits": whole subjects by their row count."""
        return _then_refit(_size_subset("drop", items), items)

    def keep_by_size(self, items):
        return _then_refit(_size_subset("keep", items), items)

    def drop_seen_once(self, items):
        """ "remove patients seen only once": the subjects with at most one row."""
        step = SubsetGroupSize("drop", "<=", 1, _cols(items)[0])
        return _then_refit(step, items)

    def bound_lt(self, items):
        return [_Field("bound", "<"), *_flat(items)]

    def bound_le(self, items):
        return [_Field("bound", "<="), *_flat(items)]

    def bound_gt(self, items):
        return [_Field("bound", ">"), *_flat(items)]

    def bound_ge(self, items):
        return [_Field("bound", ">="), *_flat(items)]

    def negative_count(self, items):
        """ "fewer than -1 visits": kept, so that the engine can say which bounds work."""
        return _Field("count", -_flat(items)[0])

    def bound_single(self, _):
        return [_Field("bound", "<="), _Field("count", 1)]

    def visit_pick(self, items):
        return _flat(items)

    def end_first(self, _):
        return _Field("from_end", "first")

    def end_last(self, _):
        return _Field("from_end", "last")

    def visit_count(self, items):
        return _Field("count", _flat(items)[0])

    def count_one(self, _):
        return _Field("count", 1)

    def count_five(self, _):
        return _Field("count", 5)

    def count_six(self, _):
        return _Field("count", 6)

    def visit_subject(self, items):
        return _Field("subject", _cols(items)[0])

    def visit_by(self, items):
        return _Field("by", _cols(items)[0])

    def subset_values(self, items):
        return [i for i in items if isinstance(i, _LevelText)]

    def subset_numbers(self, items):
        return [_RowNumber(i) for i in _flat(items) if isinstance(i, float)]

    def condition(self, items):
        parts = _flat(items)
        column = next(p for p in parts if isinstance(p, _Col))
        operator = next(p for p in parts if isinstance(p, _Operator))
        value = next(p for p in parts if isinstance(p, _Compared))
        return _Condition(column.name, operator.sign, value.text)

    def cond_missing(self, items):
        return _Condition(_cols(items)[0], "is_missing", None)

    def cond_present(self, items):
        return _Condition(_cols(items)[0], "not_missing", None)

    def op_eq(self, _):
        return _Operator("==")

    def op_ne(self, _):
        return _Operator("!=")

    def op_lt(self, _):
        return _Operator("<")

    def op_le(self, _):
        return _Operator("<=")

    def op_gt(self, _):
        return _Operator(">")

    def op_ge(self, _):
        return _Operator(">=")

    def compared_value(self, items):
        item = items[0]
        if isinstance(item, float):
            return _Compared(_number_text(item))
        text = str(item)
        if item.type.endswith("QUOTED_NAME") or item.type == "STRING":
            text = text[1:-1]
        return _Compared(text)

    def negative_value(self, items):
        return _Compared(_number_text(-_flat(items)[0]))

    def switch_data(self, items):
        names = [p for p in _flat(items) if isinstance(p, _SampleName)]
        return UseDataset(names[0].name)

    def dataset_name(self, items):
        token = items[0]
        text = str(token)
        return _SampleName(text[1:-1] if token.type.endswith("QUOTED_NAME") else text)

    def chosen_columns(self, items):
        return _flat(items)

    def all_predictors(self, _):
        return []

    # ------------------------------------------------------------------ help
    def help_general(self, _):
        return Help(None)

    # ------------------------------------------------------------ the session
    def undo(self, _):
        return Undo()

    def undo_several(self, items):
        """ "undo twice", "undo the last 3 steps": one undo step per request undone."""
        count = _whole_number(next(i for i in _flat(items) if isinstance(i, float)),
                              "how many steps to undo, such as `undo the last 2 steps`")
        if not 1 <= count <= MAX_UNDO_STEPS:
            raise NotUnderstood(
                f"how many steps to undo, 1 to {MAX_UNDO_STEPS}",
                message=(f"One request can undo 1 to {MAX_UNDO_STEPS} steps, not {count}; "
                         "give a number in that range, e.g. `undo the last 2 steps`."))
        return [Undo() for _ in range(count)]

    def undo_twice(self, _):
        return 2.0

    def show_history(self, _):
        return ShowHistory()

    def show_plan(self, _):
        return ShowPlan()

    def center_at(self, items):
        """ "center time at month 6": the model refitted with ``I(time - 6)`` for time."""
        value = next(i for i in _flat(items) if isinstance(i, int | float))
        return ModifyModel("center_at", (_cols(items)[0], format(value, "g")), _ref(items))

    def center_at_baseline(self, items):
        """ "center time at baseline": as :meth:`center_at`, at the first time point, which
        the session reads from the model's data (``BASELINE_VALUE`` stands for it)."""
        return ModifyModel("center_at", (_cols(items)[0], BASELINE_VALUE), _ref(items))

    # ------------------------------------------------------------ observed means
    def observed_means(self, items):
        """ "table of observed mean pain by visit and arm": the outcome's cell means."""
        fields = [f for f in _flat(items) if isinstance(f, _Field)]
        by = tuple(f.value for f in fields if f.name == "om_by")
        outcome = [f.value for f in fields if f.name == "om_outcome"]
        return ObservedMeansTable(by, outcome[0] if outcome else None)

    def om_outcome(self, items):
        return _Field("om_outcome", str(items[0]).strip("`"))

    def om_column(self, items):
        return _Field("om_by", _cols(items)[0])

    def om_arm(self, _):
        return _Field("om_by", "arm")

    def om_time(self, _):
        return _Field("om_by", "time")

    def report_formula(self, items):
        """ "show the model formula", "which formula did you fit?"; "the formulas" with no
        model named: every model's."""
        plural = any(isinstance(f, _Field) and f.name == "plural" for f in _flat(items))
        ref = _ref(items)
        return ModelSettings("all" if plural and ref is None else ref, question="formula")

    def report_every_formula(self, items):
        """ "show all model formulas", "show each model formula": every model's."""
        return ModelSettings("all", question="formula")

    def formulas_plural(self, _):
        return _Field("plural", True)

    def help_language(self, _):
        return Help("language")

    def help_topic_only(self, items):
        return Help(_flat(items)[0])

    def topic_of_model(self, items):
        # "what is the ICC of model 2?" asks for the number, not the explanation
        parts = _flat(items)
        topic = next(p for p in parts if isinstance(p, str))
        model = _ref(parts)
        if topic == "icc":
            return Icc(model)
        if topic == "blups":
            return Blups(model)
        return Help(topic)

    def topic_with_ci(self, items):
        """ "what is the ICC with its 95% confidence interval?": the ICC's interval."""
        parts = _flat(items)
        if next(p for p in parts if isinstance(p, str)) != "icc":
            raise NotUnderstood("a question about a number that has a confidence interval")
        numbers = [p for p in parts if isinstance(p, float)]
        level = _level(numbers[0]) if numbers else None
        return _Item("icc_interval", (None, level)).build(_ref(parts), {})

    def topic_of_group(self, items):
        """ "what is the ICC for raters (and items)?": the ICC table, which has a row per
        grouping factor."""
        parts = _flat(items)
        if next(p for p in parts if isinstance(p, str)) != "icc":
            raise NotUnderstood("a question about one grouping factor's ICC")
        return _Item("icc").build(_ref(parts), {})

    def help_question(self, items):
        return Help(_flat(items)[0])

    def help_ml_reml(self, _):
        return Help("ml_vs_reml")

    def help_rm_anova(self, _):
        return Help("rm_anova")

    def help_convergence(self, _):
        return Help("convergence")

    def help_trailer(self, _):
        return []

    def help_words(self, _):
        return []

    def topic_ml_reml(self, _):
        return "ml_vs_reml"

    def topic_icc(self, _):
        return "icc"

    def topic_convergence(self, _):
        return "convergence"

    def topic_rm_anova(self, _):
        return "rm_anova"

    def topic_blups(self, _):
        return "blups"

    def topic_random_slopes(self, _):
        return "random_slopes"

    def topic_samples(self, _):
        return "samples"

    def topic_subsets(self, _):
        return "subsets"

    def topic_language(self, _):
        return "language"

    def rm_anova_words(self, _):
        return []

    def ols_words(self, _):
        return []

    def fix_ladder(self, items):
        return FixConvergence(_ref(items))

    def fix_optimizer(self, items):
        return FixConvergence(_ref(items), "optimizer")

    def fix_iterations(self, items):
        return FixConvergence(_ref(items), "iterations")

    def fix_simplify(self, items):
        return FixConvergence(_ref(items), "simplify")


# Small carriers used while building steps.
@dataclass(frozen=True)
class _Item:
    kind: str
    value: Any = None

    def build(self, model: str | None, fields: dict[str, Any]) -> Step | list[Step]:
        if self.kind == "variance":
            return VarianceComponents(model, bool(fields.get("icc")), question=self.value)
        if self.kind == "icc":
            return Icc(model)
        if self.kind == "fit":
            return FitStatistics(model)
        if self.kind == "r2":
            return FitStatistics(model, measure="r2")
        if self.kind == "standardized":
            return StandardizedCoefficients(model)
        if self.kind == "effect_size":
            # the standardized coefficients, then Nakagawa's marginal/conditional R²
            return [StandardizedCoefficients(model), FitStatistics(model, measure="r2")]
        if self.kind == "fixed":
            return FixedEffects(model, fields.get("ddf"))
        if self.kind == "vcov":
            return FixedEffectsVcov(model)
        if self.kind == "blups":
            if self.value is None:
                return Blups(model)
            if self.value == ANY_SLOPE_TERM:
                return Blups(model, term=ANY_SLOPE_TERM)
            return Blups(model, group=self.value.group, level=self.value.level)
        if self.kind == "blups_group":
            return Blups(model, group=self.value)
        if self.kind == "blups_first":
            return Blups(model, group=self.value.group, top=self.value.count)
        if self.kind == "missing":
            return MissingData(self.value, model)
        if self.kind == "missing_counted":
            per, counted = self.value
            return MissingData(per, model, counted=counted)
        if self.kind == "dropout":
            return MissingData(model=model, question="dropout", before=self.value)
        if self.kind == "missing_by":
            return MissingData(model=model, question="related", related_to=self.value)
        if self.kind == "complete":
            return MissingData(self.value, model, question="complete_subjects")
        if self.kind == "anova":
            return Anova(model, fields.get("ddf"))
        if self.kind == "predict":
            return Predict(model, tuple(self.value or ()))
        if self.kind == "icc_interval":
            method, level = self.value
            return IccInterval(model, fields.get("ci_method", method),
                               fields.get("level", level), fields.get("nsim"), fields.get("seed"))
        if self.kind == "confint":
            method, level = self.value
            # Wald intervals have no rows for the variance parameters: asked for those
            # without a method, the intervals are the profile ones.
            method = fields.get("ci_method", method) or (
                "profile" if fields.get("ci_variance") else "wald"
            )
            level = fields.get("level", level)
            if method == "bootstrap":
                return BootstrapIntervals(model, level, fields.get("nsim"), fields.get("seed"))
            return Confint(model, method, level)
        if self.kind == "plot":
            target, own_fields, own_model = self.value
            return target.build(own_model or model, {**fields, **own_fields})
        raise NotUnderstood("a report")


@dataclass(frozen=True)
class _Coefficient:
    """The coefficient a request asks about: a name as typed, or every interaction."""

    term: str | None
    interaction: bool = False


@dataclass(frozen=True)
class _PlotTarget:
    kind: str
    which: str | None = None
    term: str | None = None
    outcome: str | None = None
    group: str | None = None

    def build(self, model: str | None, fields: dict[str, Any]) -> Step:
        kind = self.kind
        if kind == "spaghetti":
            # the observed data unless the request names a model or its predictions
            about_model = model is not None or any(
                fields.get(k) for k in ("fitted", "band", "bars", "overlay")
            )
            kind = "trajectory" if about_model and not fields.get("data") else "data"
        if kind == "means" or (
            kind == "data" and self.which == "mean"
            and (fields.get("band") or fields.get("bars"))
        ):
            # errorbars19: "plot mean pain over time with error bars", "plot the means":
            # the observed means with their bars (the model's estimated means with a band
            # are "plot the fitted trajectory with a CI band")
            return _observed_means_plot(self.outcome, model, fields)
        if fields.get("by_also"):
            raise NotUnderstood("one column to split this plot by, e.g. `by treatment`")
        if kind == "data":
            if fields.get("n_levels"):
                raise NotUnderstood(
                    "the model's lines for some levels: `plot the fitted lines for 5 schools`"
                )
            if model is not None or fields.get("fitted"):
                raise NotUnderstood(
                    "either the data (`plot the data`) or a model's trajectory "
                    "(`plot the fitted trajectories of model 2`)"
                )
            return PlotData(self.outcome or fields.get("outcome"), fields.get("over"),
                            fields.get("for_each"), fields.get("by"))
        if kind == "caterpillar":
            return PlotCaterpillar(model, self.which or self.term, self.group)
        if self.kind == "residuals":
            return PlotResiduals(model, self.which or "all")
        if kind == "blup_normality":
            return RandomEffectsNormality(model)
        if kind == "subject_lines":
            return PlotTrajectory(
                model, band=bool(fields.get("band") or fields.get("bars")), overlay_blups=True,
                by=fields.get("by"), over=fields.get("over"), level=fields.get("level"),
            )
        return PlotTrajectory(
            model,
            band=bool(fields.get("band") or fields.get("bars")),
            overlay_blups=bool(fields.get("overlay")),
            by=fields.get("by") or fields.get("for_each"),
            over=fields.get("over"),
            level=fields.get("level"),
            n_levels=fields.get("n_levels"),
            levels=tuple(fields.get("levels", ())),
        )


def _observed_means_plot(outcome: str | None, model: str | None,
                         fields: dict[str, Any]) -> PlotObservedMeans:
    """The observed means figure of a plot request: "by time and treatment" puts the first
    column on the x axis and draws a line per level of the second; one "by" column is left
    for the session to place (the time on the x axis, another column as the lines)."""
    if model is not None or fields.get("fitted") or fields.get("overlay"):
        raise NotUnderstood(
            "either the observed means (`plot the means with error bars`) or a model's "
            "estimated means (`plot the fitted trajectory with a CI band`)"
        )
    over, by = fields.get("over"), fields.get("by") or fields.get("for_each")
    if fields.get("by_also"):
        over, by = (over or by), fields["by_also"]
    return PlotObservedMeans(outcome or fields.get("outcome"), over, by,
                             fields.get("bars", "ci"), fields.get("level"))


#: One-word plot targets, for when a sentence-ending dot made one of them lex as a name.
_PLOT_WORDS: dict[str, _PlotTarget] = {
    **{w: _PlotTarget("trajectory") for w in (
        "trajectory", "trajectories", "curve", "curves", "line", "lines", "predictions")},
    **{w: _PlotTarget("data") for w in ("data", "dataset", "columns", "variables")},
    "residuals": _PlotTarget("residuals", "all"),
    "blups": _PlotTarget("caterpillar"),
}


@dataclass(frozen=True)
class _Splittable:
    fit: FitLmm


@dataclass(frozen=True)
class _WritePart:
    part: str | None  # "methods", "results", or None for the whole write-up


@dataclass(frozen=True)
class _Term:
    term: str | None


@dataclass(frozen=True)
class _BlupLevel:
    group: str | None  # the grouping factor as named, or None
    level: str


@dataclass(frozen=True)
class _BlupFirst:
    group: str  # the grouping factor as named ("patients")
    count: int


@dataclass(frozen=True)
class _LevelText:
    text: str


@dataclass(frozen=True)
class _OutcomeWords:
    text: str  # the outcome as the request words it ("reaction time")


@dataclass(frozen=True)
class _ExportWhat:
    table: str | None  # None: every table


@dataclass(frozen=True)
class _ExportFile:
    path: str | None = None
    format: str | None = None
    folder: bool = False  # written as a folder (out/, ./tables)


_FIGURE_WORDS = re.compile(r"\b(figures?|plots?|graphs?|images?)\b", re.IGNORECASE)

def _names_figures(clause: str) -> bool:
    """True when a save request is about figures (words inside quotes are names)."""
    return bool(_FIGURE_WORDS.search(re.sub(r"\"[^\"]*\"|'[^']*'|`[^`]*`", "", clause)))


#: Extensions that make a name a file, not a folder, where either could stand.
_FILE_SUFFIXES = frozenset(
    ".csv .json .tsv .tab .txt .xlsx .xls .xlsm .parquet .pq".split()
)


def _looks_like_file(name: str) -> bool:
    return not name.endswith(("/", "\\")) and PurePath(name).suffix.lower() in _FILE_SUFFIXES


@dataclass(frozen=True)
class _RowNumber:
    value: float


@dataclass(frozen=True)
class _Operator:
    sign: str


@dataclass(frozen=True)
class _Compared:
    text: str


@dataclass(frozen=True)
class _Condition:
    column: str
    operator: str
    value: str | None  # None for is_missing / not_missing


#: Plural nouns for the units of a study: after a level they name no column ("only
#: treated patients" keeps the level "treated" of whichever column has it).
UNIT_NOUNS = frozenset({
    "patients", "subjects", "participants", "individuals", "people", "persons", "students",
    "pupils", "children", "schools", "classes", "clusters", "groups", "cases", "respondents",
    "units", "animals", "sites", "centres", "centers", "hospitals", "clinics", "ones",
    "observations", "rows", "visits", "measurements", "women", "men",
})


#: Words after a level that name no level: "the treatment group", "the control arm".
_ARM_WORDS = frozenset({"group", "groups", "arm", "arms", "condition", "sample"})


def _level_texts(items: list[Any]) -> list[str]:
    return [i.text for i in _flat(items) if isinstance(i, _LevelText)]


def _subset_by_levels(action: str, column: str, values: list[str]) -> SubsetData:
    """ "exclude patient P001", "only treated patients", "only women": a column and its
    levels, or a level alone (the column that has it is found at run time)."""
    if not values:
        return SubsetData(action, None, "==", (column,))
    if len(values) == 1 and values[0].casefold() in UNIT_NOUNS:
        return SubsetData(action, None, "==", (column,))
    return SubsetData(action, column, "==", tuple(values))


def _then_refit(step: SubsetData, items: list[Any]) -> list[Step]:
    """ "exclude patient P001 from model 2": the subset, then the model fitted to it."""
    refs = [i for i in _flat(items) if isinstance(i, _Ref)]
    return [step, Refit(refs[-1].ref)] if refs else [step]


#: The verb after the unit in "what would a treated patient score at time 3?".
_UNIT_VERBS = frozenset({"score", "get", "have", "rate", "report", "show", "feel"})


#: Words for a subject's time points in "only visits 1 to 3" (a column-name slot there).
VISIT_WORDS = frozenset({
    "visit", "visits", "timepoint", "timepoints", "occasion", "occasions", "measurement",
    "measurements", "assessment", "assessments", "wave", "waves",
})


def _fields(items: list[Any]) -> dict[str, Any]:
    return {p.name: p.value for p in _flat(items) if isinstance(p, _Field)}


def _whole_count(value: Any, what: str) -> int:
    number = float(value)
    if not number.is_integer() or number < 1:
        raise NotUnderstood(f"{what}: a whole number from 1, e.g. `only the first 3 visits`")
    return int(number)


def _visit_subset(action: str, items: list[Any]) -> SubsetVisits:
    """ "only the first 3 visits", "drop the last visit": time points from one end."""
    given = _fields(items)
    count = _whole_count(given.get("count", 1), "how many time points")
    return SubsetVisits(
        action, given["from_end"], 1, count, given.get("subject"), given.get("by")
    )


def _size_subset(action: str, items: list[Any]) -> SubsetGroupSize:
    """The bound on each subject's rows as typed; a bound below 1 is left to the engine,
    which says what bounds the data allow."""
    given = _fields(items)
    number = float(given["count"])
    if not number.is_integer():
        raise NotUnderstood(
            "a whole number of visits, e.g. `drop patients with fewer than 2 visits`"
        )
    return SubsetGroupSize(action, given["bound"], int(number), _cols(items)[0])


def _visit_range(action: str, items: list[Any]) -> SubsetVisits:
    """ "only visits 1 to 3": the time points numbered so from each subject's first."""
    word = _cols(items)[0]
    if word.casefold() not in VISIT_WORDS:
        raise NotUnderstood(
            "a range of time points, e.g. `only visits 1 to 3`; for a column's values say "
            "`keep only rows where age >= 30`"
        )
    first, last = (
        float(t) for t in items if isinstance(t, Token) and t.type.endswith("NUMBER")
    )
    start = _whole_count(first, "the first time point")
    stop = _whole_count(last, "the last time point")
    if stop < start:
        start, stop = stop, start
    given = _fields(items)
    return SubsetVisits(action, "first", start, stop, given.get("subject"), given.get("by"))


def _time_values(action: str, items: list[Any]) -> SubsetVisits:
    given = _fields(items)
    count = _whole_count(given.get("count", 1), "the number of days, weeks, ...")
    return SubsetVisits(action, given.get("from_end", "first"), 1, count, unit=given["unit"])


def _time_range(action: str, items: list[Any]) -> SubsetVisits:
    given = _fields(items)
    first, last = (
        float(t) for t in items if isinstance(t, Token) and t.type.endswith("NUMBER")
    )
    if not (first.is_integer() and last.is_integer()):
        raise NotUnderstood("whole numbers of days, weeks, ..., e.g. `use only days 2 to 9`")
    low, high = sorted((int(first), int(last)))
    return SubsetVisits(action, "first", low, high, unit=given["unit"], by_value=True)


def _row_numbers(items: list[Any]) -> tuple[int, ...]:
    numbers = [r.value for r in _flat(items) if isinstance(r, _RowNumber)]
    if any(not n.is_integer() or n < 1 for n in numbers):
        raise NotUnderstood("row numbers: whole numbers from 1, e.g. `exclude rows 57, 8 and 60`")
    return tuple(dict.fromkeys(int(n) for n in numbers))


#: The column that "older than" and "younger than" compare.
AGE_COLUMN = "age"


def _age_subset(action: str, items: list[Any]) -> SubsetData:
    """ "older than 70" is ``age > 70`` (a column of another name: `age_years > 70`)."""
    parts = _flat(items)
    operator = next(p.value for p in parts if isinstance(p, _Field) and p.name == "age_operator")
    value = next(p for p in parts if isinstance(p, int | float) and not isinstance(p, bool))
    return SubsetData(action, AGE_COLUMN, operator, (_number_text(value),))


def _subset_where(action: str, items: list[Any]) -> SubsetData:
    condition = next(p for p in _flat(items) if isinstance(p, _Condition))
    values = () if condition.value is None else (condition.value,)
    return SubsetData(action, condition.column, condition.operator, values)


def _number_text(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


@dataclass(frozen=True)
class _OptionName:
    name: str


@dataclass(frozen=True)
class _Setting:
    kind: str
    value: Any


@dataclass(frozen=True)
class _Format:
    name: str


@dataclass(frozen=True)
class _SampleName:
    name: str


class NotUnderstood(Exception):
    """A clause the grammar read but cannot use; ``message``, when given, is the whole
    explanation (a value out of range), shown without guessed suggestions."""

    def __init__(self, what: str, *, message: str = ""):
        super().__init__(what)
        self.what = what
        self.message = message


class CountMismatch(Exception):
    def __init__(self, said: int, given: int):
        super().__init__(f"{said} != {given}")
        self.said = said
        self.given = given


def _require_random_terms(formula: _Formula) -> None:
    """A mixed model needs a random-effects term; without one it is ordinary regression."""
    if not formula.model.random_terms:
        raise ClauseFormulaError(
            FormulaError(
                f"The formula {formula.text!r} has no random-effects term, so it is not a "
                "mixed model; add one such as (1 | group), e.g. "
                f"{formula.text} + (1 | subject)."
            ),
            formula.position,
        )


def _format_word(clause: str, items: list[Any]) -> str:
    """The figure format a clause names (one of state.FIGURE_FORMATS), png by default."""
    words = set(re.findall(r"[a-z]+", clause.lower()))
    return next((fmt for fmt in ("svg", "pdf") if fmt in words), "png")


_OPTION_CHECKS: dict[str, str] = {
    "method": "method", "ddf": "ddf", "optimizer": "optimizer", "format": "format",
}


#: The values an option takes, said when another one is given.
_OPTION_CHOICES: dict[str, str] = {
    "optimizer": "bobyqa, L-BFGS-B, Nelder-Mead and Powell (`set the optimizer to bobyqa`)",
    "method": "REML and ML (`use ML`)",
    "ddf": "Satterthwaite, Kenward-Roger, residual and asymptotic (`use Kenward-Roger`)",
    "format": "png, svg and pdf (`save figures as svg`)",
}


def _option_from(name: str, setting: _Setting) -> SetOption:
    expected_kind = _OPTION_CHECKS.get(name)
    if expected_kind is not None and setting.kind != expected_kind:
        choices = _OPTION_CHOICES.get(name)
        value = f"{setting.value:g}" if isinstance(setting.value, float) else setting.value
        label = "degrees-of-freedom method" if name == "ddf" else name
        raise NotUnderstood(
            f"a value for the {name.replace('_', ' ')}",
            message=(f"'{value}' is not a known {label}; the choices are {choices}."
                     if choices
                     else ""),
        )
    if name == "max_iter":
        if setting.kind != "number" or setting.value < 1:
            raise NotUnderstood(
                "a positive number of iterations",
                message=("The maximum number of iterations must be a whole number of at "
                         "least 1, e.g. `set max iterations to 10000`."))
        return SetOption("max_iter", int(setting.value))
    if name == "level":
        if setting.kind != "number" or not 0 < _level(setting.value) < 1:
            raise NotUnderstood("a confidence level between 0 and 1, or a percentage")
        return SetOption("level", _level(setting.value))
    if name == "alpha":
        # "set alpha to 5%" is a percentage like a confidence level typed with "%"
        alpha = (setting.value / 100 if isinstance(setting.value, _Percent)
                 else setting.value) if setting.kind == "number" else None
        if alpha is None or not 0 < alpha < 1:
            raise NotUnderstood("a significance level between 0 and 1")
        return SetOption("level", _level(round(1 - alpha, 6)))
    if name == "output_dir":
        value = setting.value if setting.kind == "path" else str(setting.value)
        return SetOption("output_dir", value)
    return SetOption(name, setting.value)


_CRITERIA_ORDER = ("AIC", "BIC", "LRT")
#: Nakagawa's R² asked for in a comparison: columns beside the chosen criteria.
_R2 = "R2"


#: Model words that name no one model to change (the current model is meant): none,
#: "last", and, where the request says "models with and without ...", "all" and the
#: fit itself.
_NOT_A_MODEL = (None, "last")
_NOT_A_MODEL_OR_ALL = (None, "last", "all")
_NOT_A_MODEL_OR_FIT = (None, "last", "all", "label:fit")


def _modify_then_compare(
    operation: str,
    value: Any,
    models: list[Any],
    not_a_model: tuple[Any, ...],
    criteria: list[str],
    refit: Any,
    **fields: Any,
) -> list[Any]:
    """A model changed by ``operation`` from the first model named (else the current
    one), then compared with it: the likelihood-ratio test unless criteria are named."""
    named = [m for m in models if m not in not_a_model]
    base = named[0] if named else None
    return [
        ModifyModel(operation, value, base, **fields),
        CompareModels(_criteria(criteria) if criteria else ("LRT",),
                      (base or BEFORE_LAST_REF, "last"), refit),
    ]


def _criteria(found: list[str]) -> tuple[str, ...]:
    chosen = tuple(c for c in _CRITERIA_ORDER if c in found) or _CRITERIA_ORDER
    return (*chosen, _R2) if _R2 in found else chosen


def formula_from_words(
    response: str | None,
    predictors: tuple[str, ...],
    group: str | None,
    structure: str | None,
    slope: str | None,
    nested_in: str | None,
    crossed_with: tuple[str, ...] = (),
) -> str | None:
    """The lme4 formula of a model described in words, when the words say enough
    (each factor crossed with the grouping factor gets its own random intercept)."""
    if not response or not group:
        return None
    kind = structure or "random_intercept"
    if kind != "random_intercept":
        slope = slope or (predictors[0] if predictors else None)
        if slope is None:
            return None
    fixed = list(dict.fromkeys(predictors))
    if slope and kind != "random_intercept" and slope not in fixed:
        fixed.append(slope)
    grouping = Var(group).text()
    if nested_in:
        grouping = f"{Var(nested_in).text()}/{grouping}"
    slope_text = Var(slope).text() if slope else None
    text = (
        f"{Var(response).text()} ~ {' + '.join(_term_text(p) for p in fixed) or '1'} + "
        f"{random_part(kind, grouping, slope_text)}"
        + "".join(f" + {random_part('random_intercept', Var(c).text())}" for c in crossed_with)
    )
    parsed = _parse_formula(text)
    return parsed.text() if not any(t.order > 1 for t in parsed.fixed_terms) else text


def _term_text(term: str) -> str:
    """A predictor of a model in words as formula text: a column, or the product ``a:b``
    of columns ("time, treatment and their interaction")."""
    return ":".join(Var(part).text() for part in term.split(":"))


def _with_random_intercepts(
    formula: _Formula, group: str, crossed_with: tuple[str, ...], nested_in: str | None
) -> str:
    """A formula without random terms plus a random intercept per grouping factor named in
    words (``group`` within ``nested_in``, or ``group`` crossed with each of ``crossed_with``)."""
    grouping = Var(group).text()
    if nested_in:
        grouping = f"{Var(nested_in).text()}/{grouping}"
    bars = [random_part("random_intercept", g)
            for g in (grouping, *(Var(c).text() for c in crossed_with))]
    return " + ".join([formula.text, *bars])  # as written: terms are not expanded


#: A clause that starts with "use" (after "please"/"now"/"then"): "use 90% CI".
_USE_FIRST = re.compile(r"\s*(?:(?:please|now|then|and|so|ok|okay)\s+)*use\s", re.IGNORECASE)


def step_builder(clause: str) -> Transformer:
    return merge_transformers(StepBuilder(clause), formula=FormulaToAst())


# ----------------------------------------------------------------- merging steps
def merge_steps(steps: list[Step]) -> list[Step]:
    """Join neighbouring steps that are one request said in two breaths.

    * variance components then ICC (same model): one step with ``include_icc``;
    * two comparisons of the same models: one comparison with both sets of criteria;
    * two fit-statistics reports of the same models: one (R² alone only if both were);
    * a trajectory plot then "overlay the BLUPs" or "with a CI band": one plot;
    * the same step twice in a row: once (but each undo counts: "undo; undo" is two);
    * a plain refit after a refit without the outliers: part of it.
    """
    out: list[Step] = []
    for step in steps:
        prev = out[-1] if out else None
        if prev is not None and prev == step and not isinstance(step, Undo):
            continue
        if isinstance(prev, RefitWithoutOutliers) and step == Refit():
            continue  # "exclude the outliers and refit": the refit is the step before
        if isinstance(prev, VarianceComponents) and isinstance(step, Icc) and (
            prev.model == step.model
        ):
            out[-1] = replace(prev, include_icc=True)
            continue
        if isinstance(prev, Icc) and isinstance(step, VarianceComponents) and (
            prev.model == step.model
        ):
            out[-1] = replace(step, include_icc=True)
            continue
        if isinstance(prev, VarianceComponents) and isinstance(step, VarianceComponents) and (
            prev.model == step.model
        ):
            out[-1] = replace(prev, include_icc=prev.include_icc or step.include_icc)
            continue
        if (
            isinstance(prev, FitStatistics)
            and isinstance(step, FitStatistics)
            and (prev.model, prev.models) == (step.model, step.models)
        ):
            # "fit statistics and R2": one report; R² alone only when nothing else is asked
            measure = prev.measure if prev.measure == step.measure else None
            out[-1] = replace(prev, measure=measure)
            continue
        if (
            isinstance(prev, CompareModels)
            and isinstance(step, CompareModels)
            and (not step.models or step.models == prev.models)
        ):
            joined = _criteria([*prev.criteria, *step.criteria])
            refit = step.refit if step.refit != "auto" else prev.refit
            out[-1] = replace(prev, criteria=joined, refit=refit)
            continue
        if (
            isinstance(prev, PlotTrajectory)
            and isinstance(step, PlotTrajectory)
            and step.model in (None, prev.model)
            and step.by in (None, prev.by)
        ):
            out[-1] = replace(
                prev,
                band=prev.band or step.band,
                overlay_blups=prev.overlay_blups or step.overlay_blups,
                level=step.level if step.level is not None else prev.level,
            )
            continue
        out.append(step)
    return out
