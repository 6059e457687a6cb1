"""Estimated marginal means of a factor and their pairwise differences.

The marginal mean of level *i* of a factor is x̄_i'β̂, where x̄_i averages the design
rows of a reference grid with that level: every level of each other factor of the
fixed part, with equal weights, and every continuous predictor at its mean (the
default reference grid of Lenth's ``emmeans``). A pairwise difference is the contrast
(x̄_i − x̄_j)'β̂. Each row is tested as one contrast, with the fit's df method:

* Satterthwaite (lmerTest's ``contest1D``): SE √(c'Vc), Satterthwaite df of c;
* Kenward-Roger (pbkrtest via ``contest1D``): the adjusted Var(β̂) and its df;
* residual (n − p) or asymptotic (z).

The grid can be changed as emmeans' arguments do: ``at`` holds predictors at chosen
values, ``by`` repeats everything at each value of another predictor (the p values are
adjusted within each), and ``trend`` turns each level's mean into the slope of the
fitted mean in a continuous predictor within that level (``emtrends``: for
``y ~ time * group`` the slope in group g is β_time + β_time:g), so that simple effects
and simple slopes are contrasts c'β̂ tested exactly like the means.

Pairwise p values are adjusted for the number of comparisons: Tukey's studentized
range (``ptukey(|t|·√2, k, df)``, emmeans' default for pairwise comparisons of k means,
with each comparison's own df), Holm or Bonferroni, or not at all.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from itertools import product
from typing import Any

import numpy as np
import pandas as pd

from engine.design import fixed_design_for
from engine.distributions import t_two_sided_p
from engine.errors import LmmInputError
from engine.predict import factor_levels, fixed_part_variables, prediction_df, wald_intervals
from grammar.formula import variables_in

ADJUSTMENTS = ("tukey", "holm", "bonferroni", "none")


@dataclass(frozen=True)
class ContrastTest:
    """One tested linear combination of the fixed effects."""

    estimate: float
    se: float
    df: float
    t: float
    p: float
    lower: float
    upper: float


@dataclass(frozen=True)
class MarginalMean:
    """One level's marginal mean (or, for simple slopes, its slope); ``by_value`` is the
    value of ``MarginalMeans.by`` it is computed at (None without ``by``)."""

    level: str
    test: ContrastTest
    by_value: float | str | None = None


@dataclass(frozen=True)
class PairwiseDifference:
    """``level1`` minus ``level2``, with the p value adjusted by ``MarginalMeans.adjustment``
    among the differences of the same ``by_value``."""

    level1: str
    level2: str
    test: ContrastTest
    p_adjusted: float
    by_value: float | str | None = None


@dataclass(frozen=True)
class MarginalMeans:
    """Marginal means of ``factor`` and all pairwise differences between its levels.

    ``at``: predictors held at values the caller chose (a continuous one at a number, a
    factor at one level) instead of the default grid's mean or average. ``by``: the
    predictor whose values split the table (``by_values``, in order); the means and
    differences are computed, and the p values adjusted, within each value.
    ``trend``: with a continuous predictor named, each "mean" is the slope of the fitted
    mean in ``trend`` within the level (emmeans' ``emtrends``), and each difference is a
    difference of slopes.
    """

    factor: str
    response: str
    means: tuple[MarginalMean, ...]
    differences: tuple[PairwiseDifference, ...]
    averaged_over: tuple[str, ...]
    held_at_mean: dict[str, float] = field(default_factory=dict)
    level: float = 0.95
    df_method: str = "satterthwaite"
    adjustment: str = "tukey"
    #: other predictors that share an interaction term with ``factor``: its marginal
    #: means then average over (or hold fixed) a changing difference
    interacting: tuple[str, ...] = ()
    at: dict[str, float | str] = field(default_factory=dict)
    by: str | None = None
    by_values: tuple[float | str, ...] = ()
    trend: str | None = None
    #: the level a question asked about ("the slope in the control group"), as stored;
    #: chosen by the caller, not computed
    focus: str | None = None

    def to_dict(self) -> dict[str, Any]:
        def numbers(test: ContrastTest) -> dict[str, float | None]:
            return {
                name: (None if not np.isfinite(value) else float(value))
                for name, value in vars(test).items()
            }

        def where(value: float | str | None) -> dict[str, float | str]:
            return {} if self.by is None or value is None else {"by_value": value}

        return {
            "kind": "marginal_means",
            "factor": self.factor,
            "response": self.response,
            "averaged_over": list(self.averaged_over),
            "held_at_mean": dict(self.held_at_mean),
            "level": self.level,
            "df_method": self.df_method,
            "adjustment": self.adjustment,
            "interacting": list(self.interacting),
            "at": dict(self.at),
            "by": self.by,
            "by_values": list(self.by_values),
            "trend": self.trend,
            "focus": self.focus,
            "means": [
                {"level": m.level, **where(m.by_value), **numbers(m.test)} for m in self.means
            ],
            "differences": [
                {"level1": d.level1, "level2": d.level2, **where(d.by_value),
                 **numbers(d.test), "p_adjusted": float(d.p_adjusted)}
                for d in self.differences
            ],
        }


#: At most this many distinct observed values of a continuous ``by`` predictor are used
#: as its values; with more the caller must name them.
MAX_BY_VALUES = 10

AtValues = Mapping[str, Any]


def marginal_means(
    fit: Any,
    factor: str,
    *,
    level: float = 0.95,
    adjust: str = "tukey",
    at: AtValues | None = None,
    by: str | None = None,
    trend: str | None = None,
) -> MarginalMeans:
    """Marginal means of ``factor`` and their pairwise differences (see the module).

    ``at`` maps predictors to a value or a list of values (emmeans' ``at``): a
    continuous predictor to numbers, a factor to levels. A predictor given several
    values becomes ``by`` (one such predictor at most). ``by`` alone takes the levels
    of a factor or the distinct observed values of a continuous predictor (at most
    ``MAX_BY_VALUES`` of them). ``trend`` asks for simple slopes instead of means.
    """
    if adjust not in ADJUSTMENTS:
        raise LmmInputError(
            f"Unknown p-value adjustment {adjust!r}; use one of {', '.join(ADJUSTMENTS)}."
        )
    if not 0.0 < level < 1.0:
        raise LmmInputError(
            f"A confidence level must lie between 0 and 1, not {level}; use for example 0.95."
        )
    data = fit.data
    variables = fixed_part_variables(fit.model_formula, data)
    if factor not in variables.factors:
        raise LmmInputError(_not_a_factor(factor, variables.factors, variables.continuous))
    chosen = _chosen_values(at or {}, variables, data, factor)
    by, by_values = _by_values(chosen, by, variables, data, factor)
    if trend is not None:
        _check_trend(trend, variables, factor, by)
    fixed = {name: values[0] for name, values in chosen.items()}
    others = [f for f in variables.factors if f != factor and f not in fixed and f != by]
    means = {
        name: float(data[name].mean())
        for name in variables.continuous
        if name not in fixed and name != by
    }
    levels = factor_levels(data[factor])
    k = len(levels)
    pairs = [(i, j) for i in range(k) for j in range(i + 1, k)]
    blocks = []
    for value in by_values or (None,):
        settings = {**means, **fixed, **({by: value} if by is not None else {})}
        rows = level_rows(fit, factor, levels, others, settings, trend)
        differences = np.array([rows[i] - rows[j] for i, j in pairs]).reshape(-1, rows.shape[1])
        blocks.append(np.vstack([rows, differences]))
    tests, df_method = contrast_tests(fit, np.vstack(blocks), level)
    names = [str(v) for v in levels]
    size = k + len(pairs)
    mean_rows: list[MarginalMean] = []
    diff_rows: list[PairwiseDifference] = []
    for g, value in enumerate(by_values or (None,)):
        group = tests[g * size:(g + 1) * size]
        diff_tests = group[k:]
        adjusted = adjust_p_values([t.p for t in diff_tests], diff_tests, k, adjust)
        mean_rows += [MarginalMean(names[i], group[i], value) for i in range(k)]
        diff_rows += [
            PairwiseDifference(names[i], names[j], test, p, value)
            for (i, j), test, p in zip(pairs, diff_tests, adjusted, strict=True)
        ]
    return MarginalMeans(
        factor=factor,
        response=fit.response_name,
        means=tuple(mean_rows),
        differences=tuple(diff_rows),
        averaged_over=tuple(others),
        held_at_mean=means,
        level=level,
        df_method=df_method,
        adjustment=adjust if len(pairs) > 1 else "none",
        interacting=interacting_variables(fit.model_formula, factor),
        at=fixed,
        by=by,
        by_values=tuple(by_values),
        trend=trend,
    )


def level_rows(
    fit: Any,
    factor: str,
    levels: list[Any],
    others: list[str],
    settings: dict[str, Any],
    trend: str | None,
) -> np.ndarray:
    """One design row per level of ``factor``: the mean of the reference grid's rows
    (``others`` crossed with equal weights, ``settings`` fixed). With ``trend``, the
    derivative of that row in ``trend`` by a central difference (exact for terms up to
    quadratic; emmeans' ``emtrends`` uses a difference of the same kind)."""
    if trend is None:
        return _grid_rows(fit, factor, levels, others, settings)
    data = fit.data[trend]
    spread = float(data.max() - data.min())
    h = 1e-3 * spread if spread > 0 else 1e-3
    centre = settings[trend]
    up = _grid_rows(fit, factor, levels, others, {**settings, trend: centre + h})
    down = _grid_rows(fit, factor, levels, others, {**settings, trend: centre - h})
    return (up - down) / (2.0 * h)


def _grid_rows(
    fit: Any, factor: str, levels: list[Any], others: list[str], settings: dict[str, Any]
) -> np.ndarray:
    data = fit.data
    crossed = {name: factor_levels(data[name]) for name in (factor, *others)}
    grid = pd.DataFrame(list(product(*crossed.values())), columns=list(crossed))
    for name, value in settings.items():
        grid[name] = value
    for name in grid.columns:
        if isinstance(data[name].dtype, pd.CategoricalDtype):
            grid[name] = pd.Categorical(grid[name], categories=data[name].cat.categories)
    rows = fixed_design_for(fit, grid)
    return rows.reshape(len(levels), -1, rows.shape[1]).mean(axis=1)


def _chosen_values(
    at: AtValues, variables: Any, data: pd.DataFrame, factor: str
) -> dict[str, list[Any]]:
    """``at`` as lists of values: numbers for continuous predictors, observed levels (as
    stored in the data) for factors."""
    chosen: dict[str, list[Any]] = {}
    for name, given in at.items():
        values = list(given) if isinstance(given, list | tuple | np.ndarray) else [given]
        if not values:
            raise LmmInputError(f"Give at least one value of `{name}`, e.g. `at {name} 1`.")
        if name == factor:
            raise LmmInputError(
                f"`{name}` is the factor whose levels are compared, so it cannot also be "
                "held at a value; hold another predictor at a value instead."
            )
        if name in variables.continuous:
            chosen[name] = [_number(name, v) for v in values]
        elif name in variables.factors:
            chosen[name] = [_level_of(name, v, data[name]) for v in values]
        else:
            known = ", ".join(f"`{v}`" for v in variables.ordered) or "none"
            raise LmmInputError(
                f"The model's fixed part has no predictor `{name}` to hold at a value; "
                f"its predictors are {known}."
            )
    return chosen


def _by_values(
    chosen: dict[str, list[Any]], by: str | None, variables: Any, data: pd.DataFrame,
    factor: str,
) -> tuple[str | None, list[Any]]:
    """The ``by`` predictor and its values; a predictor given several ``at`` values is
    removed from ``chosen`` and becomes ``by``."""
    several = [name for name, values in chosen.items() if len(values) > 1]
    if len(several) > 1 or (several and by is not None and by != several[0]):
        named = _or(tuple(several + ([by] if by and by not in several else [])))
        raise LmmInputError(
            f"Several values are given for more than one predictor ({named}); give "
            "several values for one of them and a single value for the others."
        )
    if several:
        by = several[0]
    if by is None:
        return None, []
    if by == factor:
        raise LmmInputError(
            f"`{by}` is the factor whose levels are compared; split the table by another "
            "predictor."
        )
    if by in chosen:
        return by, chosen.pop(by)
    if by in variables.factors:
        return by, [_stored(v) for v in factor_levels(data[by])]
    if by not in variables.continuous:
        known = ", ".join(f"`{v}`" for v in variables.ordered) or "none"
        raise LmmInputError(
            f"The model's fixed part has no predictor `{by}` to split the table by; its "
            f"predictors are {known}."
        )
    observed = np.unique(data[by].dropna().to_numpy(dtype=float))
    if observed.size > MAX_BY_VALUES:
        low, high = (float(x) for x in np.quantile(observed, [0.25, 0.75]))
        raise LmmInputError(
            f"`{by}` takes {observed.size} different values; name the few to compare at, "
            f"e.g. `at {by} {low:g} and {high:g}`."
        )
    return by, [float(v) for v in observed]


def _check_trend(trend: str, variables: Any, factor: str, by: str | None) -> None:
    if trend in variables.continuous and trend != by:
        return
    if trend == by:
        raise LmmInputError(
            f"The slope of `{trend}` cannot also be split by values of `{trend}`; split it "
            f"by another predictor or hold `{trend}` at one value."
        )
    options = _or(variables.continuous) if variables.continuous else "none"
    raise LmmInputError(
        f"`{trend}` is not a continuous predictor of the model's fixed part, so it has no "
        f"slope; the continuous predictors are {options}."
    )


def _number(name: str, value: Any) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = float("nan")
    if not np.isfinite(number):
        raise LmmInputError(
            f"`{name}` is continuous, so it is held at a number, not {value!r}; e.g. "
            f"`at {name} 3`."
        )
    return number


def _level_of(name: str, value: Any, series: pd.Series) -> Any:
    """The stored level of factor ``name`` that ``value`` names (as text or number)."""
    levels = factor_levels(series)
    for level_value in levels:
        if str(level_value).casefold() == str(value).casefold():
            return _stored(level_value)
        try:
            if float(level_value) == float(value):
                return _stored(level_value)
        except (TypeError, ValueError):
            continue
    listed = ", ".join(str(v) for v in levels)
    raise LmmInputError(f"`{name}` has no level {value!r}; its levels are {listed}.")


def _stored(value: Any) -> Any:
    """A level as a plain Python value (numpy scalars become int/float/str)."""
    return value.item() if isinstance(value, np.generic) else value


def interacting_variables(formula: Any, factor: str) -> tuple[str, ...]:
    """Variables that appear in a fixed-effect term together with ``factor``."""
    partners: dict[str, None] = {}
    for term in formula.fixed_terms:
        names = [name for expr in term.factors for name in variables_in(expr)]
        if factor in names:
            partners.update((n, None) for n in names if n != factor)
    return tuple(partners)


def contrast_tests(
    fit: Any, rows: np.ndarray, level: float
) -> tuple[list[ContrastTest], str]:
    """A Wald-t test and interval of each row c'β̂, with the fit's df method."""
    beta = np.asarray(fit.beta, dtype=float)
    if getattr(fit, "ddf_method", None) == "kenward-roger":
        from engine.kenward_roger import kenward_roger_contrast, vcov_adjusted

        adjustment = vcov_adjusted(fit)
        tests = []
        for row in rows:
            kr = kenward_roger_contrast(fit, row, level, adjustment)
            tests.append(
                ContrastTest(kr.estimate, kr.se, kr.df, kr.t, kr.p, kr.ci_lower, kr.ci_upper)
            )
        return tests, "kenward-roger"
    df, df_method = prediction_df(fit, rows)
    numbers = wald_intervals(rows, beta, np.asarray(fit.vcov_beta, dtype=float), df, level)
    t = numbers["estimate"] / numbers["se"]
    p = np.asarray(t_two_sided_p(t, df), dtype=float).reshape(-1)
    return [
        ContrastTest(float(e), float(s), float(d), float(tt), float(pp), float(lo), float(up))
        for e, s, d, tt, pp, lo, up in zip(
            numbers["estimate"], numbers["se"], df, t, p, numbers["lower"], numbers["upper"],
            strict=True,
        )
    ], df_method


def adjust_p_values(
    p: list[float], tests: list[ContrastTest], n_means: int, method: str
) -> list[float]:
    """Multiplicity-adjusted p values of the pairwise comparisons of ``n_means`` means.

    ``tukey``: the upper tail of the studentized range of ``n_means`` means at
    |t|·√2 with each comparison's df (R's ``ptukey``); ``holm``/``bonferroni`` as R's
    ``p.adjust``; ``none`` returns ``p``.
    """
    m = len(p)
    if method == "none" or m <= 1:
        return list(p)
    if method == "bonferroni":
        return [min(1.0, m * value) for value in p]
    if method == "holm":
        order = np.argsort(p)
        adjusted = np.empty(m)
        running = 0.0
        for rank, index in enumerate(order):
            running = max(running, min(1.0, (m - rank) * p[index]))
            adjusted[index] = running
        return adjusted.tolist()
    from scipy.stats import studentized_range  # imported here: scipy.stats loads slowly

    return [
        float(studentized_range.sf(abs(test.t) * np.sqrt(2.0), n_means,
                                   test.df if np.isfinite(test.df) else 1e6))
        for test in tests
    ]


def _not_a_factor(name: str, factors: tuple[str, ...], continuous: tuple[str, ...]) -> str:
    if name in continuous:
        return (
            f"`{name}` is a continuous predictor: marginal means compare the levels of a "
            f"factor. Use `factor({name})` in the formula to treat it as one"
            + (f", or ask for {_or(factors)}." if factors else ".")
        )
    if factors:
        return f"The model's fixed part has no factor `{name}`; its factors are {_or(factors)}."
    return (
        f"The model's fixed part has no factor `{name}`, nor any other factor; marginal "
        "means compare the levels of a factor such as a treatment group."
    )


def _or(names: tuple[str, ...]) -> str:
    quoted = [f"`{n}`" for n in names]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " or " + quoted[-1]
