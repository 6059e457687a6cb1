"""Estimated marginal means of a factor and their pairwise differences.

The marginal mean of level *i* of a factor is x̄_i'β̂, where x̄_i averages the design
rows of a reference grid with that level: every level of each other factor of the
fixed part, with equal weights, and every continuous predictor at its mean (the
default reference grid of Lenth's ``emmeans``). A pairwise difference is the contrast
(x̄_i − x̄_j)'β̂. Each row is tested as one contrast, with the fit's df method:

* Satterthwaite (lmerTest's ``contest1D``): SE √(c'Vc), Satterthwaite df of c;
* Kenward-Roger (pbkrtest via ``contest1D``): the adjusted Var(β̂) and its df;
* residual (n − p) or asymptotic (z).

Pairwise p values are adjusted for the number of comparisons: Tukey's studentized
range (``ptukey(|t|·√2, k, df)``, emmeans' default for pairwise comparisons of k means,
with each comparison's own df), Holm or Bonferroni, or not at all.
"""

from __future__ import annotations

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
    level: str
    test: ContrastTest


@dataclass(frozen=True)
class PairwiseDifference:
    """``level1`` minus ``level2``, with the p value adjusted by ``MarginalMeans.adjustment``."""

    level1: str
    level2: str
    test: ContrastTest
    p_adjusted: float


@dataclass(frozen=True)
class MarginalMeans:
    """Marginal means of ``factor`` and all pairwise differences between its levels."""

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

    def to_dict(self) -> dict[str, Any]:
        def numbers(test: ContrastTest) -> dict[str, float | None]:
            return {
                name: (None if not np.isfinite(value) else float(value))
                for name, value in vars(test).items()
            }

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
            "means": [{"level": m.level, **numbers(m.test)} for m in self.means],
            "differences": [
                {"level1": d.level1, "level2": d.level2, **numbers(d.test),
                 "p_adjusted": float(d.p_adjusted)}
                for d in self.differences
            ],
        }


def marginal_means(
    fit: Any, factor: str, *, level: float = 0.95, adjust: str = "tukey"
) -> MarginalMeans:
    """Marginal means of ``factor`` and their pairwise differences (see the module)."""
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
    others = [f for f in variables.factors if f != factor]
    levels = {name: factor_levels(data[name]) for name in (factor, *others)}
    means = {name: float(data[name].mean()) for name in variables.continuous}
    grid = pd.DataFrame(list(product(*levels.values())), columns=list(levels))
    for name in levels:
        if isinstance(data[name].dtype, pd.CategoricalDtype):
            grid[name] = pd.Categorical(grid[name], categories=data[name].cat.categories)
    for name, value in means.items():
        grid[name] = value
    rows = fixed_design_for(fit, grid)
    k = len(levels[factor])
    rows = rows.reshape(k, -1, rows.shape[1]).mean(axis=1)
    pairs = [(i, j) for i in range(k) for j in range(i + 1, k)]
    differences = np.array([rows[i] - rows[j] for i, j in pairs]).reshape(-1, rows.shape[1])
    tests, df_method = contrast_tests(fit, np.vstack([rows, differences]), level)
    names = [str(v) for v in levels[factor]]
    diff_tests = tests[k:]
    adjusted = adjust_p_values([t.p for t in diff_tests], [t for t in diff_tests], k, adjust)
    return MarginalMeans(
        factor=factor,
        response=fit.response_name,
        means=tuple(MarginalMean(names[i], tests[i]) for i in range(k)),
        differences=tuple(
            PairwiseDifference(names[i], names[j], test, p)
            for (i, j), test, p in zip(pairs, diff_tests, adjusted, strict=True)
        ),
        averaged_over=tuple(others),
        held_at_mean=means,
        level=level,
        df_method=df_method,
        adjustment=adjust if len(pairs) > 1 else "none",
        interacting=_interacting(fit.model_formula, factor),
    )


def _interacting(formula: Any, factor: str) -> tuple[str, ...]:
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
