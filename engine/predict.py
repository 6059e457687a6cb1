"""Predictions from a fitted linear mixed model.

* :func:`population_predictions`: the population-level (marginal, "fixed-effects")
  prediction x'β̂ over a grid of predictor values, with its standard error
  √(x' Var(β̂) x) and a Wald-t interval. This is lme4's ``predict(m, newdata,
  re.form = NA)`` with the uncertainty of ``emmeans``/lmerTest's ``contest1D`` for the
  single contrast x.
* :func:`subject_predictions`: the subject-level (conditional) prediction
  Xβ̂ + Zb̂ for every observation, the BLUP trajectories (lme4's ``fitted(m)``).

New design rows are built by the same machinery that built the fit's X
(:mod:`engine.design`), so factor codings, stateful transforms such as ``center(x)``
and ``poly(x, 2)`` and column order are exactly the fit's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import product
from typing import Any

import numpy as np
import pandas as pd

from engine.design import fixed_design_for
from engine.distributions import t_quantile
from engine.errors import LmmInputError
from grammar.formula import Call, ModelFormula, variables_in

#: Points spread evenly over the observed range of the time variable in the default grid.
GRID_POINTS = 50
#: Observed values of the time variable are added to the default grid when there are
#: at most this many distinct ones (typical visit schedules), so that predictions at
#: the actual visits are part of the result.
MAX_OBSERVED_TIMES_IN_GRID = 30

_FACTOR_CALLS = frozenset({"factor", "as.factor"})
ESTIMATE_COLUMNS = ("estimate", "se", "df", "lower", "upper")


@dataclass(frozen=True)
class PredictionGrid:
    """Population-level predictions over a grid.

    ``frame`` holds one row per grid point: the predictor columns, then ``estimate``
    (x'β̂), ``se`` (√(x'Vx), V = Var(β̂)), ``df`` (the t distribution's degrees of
    freedom, ``inf`` for the normal), and ``lower``/``upper`` (the ``level`` interval).
    ``time`` is the variable on the x axis (None when the grid was given);
    ``factors`` are the factors crossed in the grid; ``averaged_over`` the factors
    whose levels were averaged with equal weights (as ``emmeans`` does by default);
    ``held_at_mean`` the other continuous predictors and the value they were held at.
    ``df_method`` says where ``df`` came from (see :func:`population_predictions`).
    """

    frame: pd.DataFrame
    response: str
    time: str | None
    factors: tuple[str, ...]
    averaged_over: tuple[str, ...]
    held_at_mean: dict[str, float] = field(default_factory=dict)
    level: float = 0.95
    df_method: str = "satterthwaite"
    #: predictor values the user fixed (``at=``), as given
    fixed_at: dict[str, Any] = field(default_factory=dict)
    #: fixed continuous values outside the data: name -> (value, observed min, max)
    outside_range: dict[str, tuple[float, float, float]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        rows = self.frame.replace([np.inf, -np.inf], np.nan).astype(object)
        rows = rows.where(pd.notna(rows), None)
        return {
            "kind": "population_predictions",
            "response": self.response,
            "time": self.time,
            "factors": list(self.factors),
            "averaged_over": list(self.averaged_over),
            "held_at_mean": dict(self.held_at_mean),
            "fixed_at": {k: str(v) for k, v in self.fixed_at.items()},
            "outside_range": {k: list(v) for k, v in self.outside_range.items()},
            "level": self.level,
            "df_method": self.df_method,
            "rows": rows.to_dict(orient="records"),
        }


@dataclass(frozen=True)
class FixedPartVariables:
    """The data columns of a model's fixed part, split by how a grid treats them;
    ``ordered`` lists all of them in order of first appearance in the formula."""

    continuous: tuple[str, ...]
    factors: tuple[str, ...]
    ordered: tuple[str, ...] = ()


def is_numeric(series: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)


def fixed_part_variables(formula: ModelFormula, data: pd.DataFrame) -> FixedPartVariables:
    """Continuous predictors and factors of the fixed part, in order of first appearance.

    A column is a factor when it is not numeric or when the formula wraps it in
    ``factor()``/``as.factor()``; every other column is continuous.
    """
    continuous: dict[str, None] = {}
    factors: dict[str, None] = {}
    ordered: dict[str, None] = {}
    for term in formula.fixed_terms:
        for expr in term.factors:
            forced = isinstance(expr, Call) and expr.func in _FACTOR_CALLS
            for name in variables_in(expr):
                if name not in data.columns:
                    continue
                ordered[name] = None
                if forced or not is_numeric(data[name]):
                    factors[name] = None
                else:
                    continuous[name] = None
    return FixedPartVariables(
        continuous=tuple(c for c in continuous if c not in factors),
        factors=tuple(factors),
        ordered=tuple(ordered),
    )


def factor_levels(series: pd.Series) -> list[Any]:
    """Observed levels in the order the design code uses: categories, else sorted values."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        present = set(series.dropna().unique())
        return [c for c in series.cat.categories if c in present]
    return sorted(series.dropna().unique().tolist())


def time_values(series: pd.Series, n_points: int = GRID_POINTS) -> np.ndarray:
    """An even grid over the observed range, plus the observed values when they are few."""
    observed = np.unique(series.dropna().to_numpy(dtype=float))
    grid = np.linspace(observed.min(), observed.max(), n_points)
    if observed.size <= MAX_OBSERVED_TIMES_IN_GRID:
        grid = np.union1d(grid, observed)
    return grid


def choose_time_variable(variables: FixedPartVariables, time: str | None) -> str | None:
    """The caller's time variable, else the first continuous predictor (None if none)."""
    if time is None:
        return variables.continuous[0] if variables.continuous else None
    if time not in variables.continuous:
        options = ", ".join(variables.continuous) or "none"
        raise LmmInputError(
            f"{time!r} is not a continuous predictor of the model's fixed part "
            f"(continuous predictors: {options}); name one of these, or add {time!r} "
            "to the model."
        )
    return time


def default_grid(
    fit, *, time: str | None = None, average_over: tuple[str, ...] = (),
    n_points: int = GRID_POINTS,
) -> tuple[pd.DataFrame, str | None, tuple[str, ...], dict[str, float]]:
    """The default grid: time over its range × the levels of each factor, with every
    other continuous predictor at its mean in the model frame.

    Returns the crossed grid (rows ordered with the ``average_over`` factors varying
    fastest), the time variable, the factors kept, and the means used.
    """
    data = fit.data
    variables = fixed_part_variables(fit.model_formula, data)
    time_var = choose_time_variable(variables, time)
    unknown = [f for f in average_over if f not in variables.factors]
    if unknown:
        raise LmmInputError(
            f"{', '.join(unknown)} is not a factor of the model's fixed part; "
            f"average over one of: {', '.join(variables.factors) or 'none'}."
        )
    kept = tuple(f for f in variables.factors if f not in average_over)
    means = {
        c: float(data[c].mean()) for c in variables.continuous if c != time_var
    }
    axes: dict[str, list[Any]] = {}
    if time_var is not None:
        axes[time_var] = list(time_values(data[time_var], n_points))
    for f in kept + tuple(average_over):
        axes[f] = factor_levels(data[f])
    rows = list(product(*axes.values())) if axes else [()]
    grid = pd.DataFrame(rows, columns=list(axes))
    for f in kept + tuple(average_over):
        if isinstance(data[f].dtype, pd.CategoricalDtype):
            grid[f] = pd.Categorical(grid[f], categories=data[f].cat.categories)
    for c, m in means.items():
        grid[c] = m
    return grid, time_var, kept, means


def prediction_df(fit, rows: np.ndarray) -> tuple[np.ndarray, str]:
    """Degrees of freedom for the Wald-t interval of each contrast row x'β̂.

    The fit's own df method decides. ``satterthwaite`` gives the Satterthwaite df of
    each contrast (lmerTest's ``contest1D``, from ``fit.satterthwaite()``);
    ``kenward-roger`` does the same, because the band uses the unadjusted Var(β̂);
    ``residual`` gives n − p; ``asymptotic`` the normal (df = inf). When the
    Satterthwaite ingredients cannot be computed (a degenerate fit), the residual df
    n − p is used and ``df_method`` says so.
    """
    method = getattr(fit, "ddf_method", "satterthwaite")
    if method == "asymptotic":
        return np.full(rows.shape[0], np.inf), "asymptotic"
    residual = np.full(rows.shape[0], float(fit.nobs - len(fit.beta)))
    if method == "residual":
        return residual, "residual"
    try:
        setup = fit.satterthwaite()
    except LmmInputError:
        return residual, "residual"
    return np.array([setup.contrast_df(row) for row in rows], dtype=float), "satterthwaite"


def wald_intervals(
    rows: np.ndarray, beta: np.ndarray, vcov: np.ndarray, df: np.ndarray, level: float
) -> dict[str, np.ndarray]:
    """Each contrast row x'β̂ with SE √(x'Vx) and its ``level`` Wald-t interval on ``df``."""
    estimate = rows @ beta
    se = np.sqrt(np.maximum(np.einsum("ij,jk,ik->i", rows, vcov, rows), 0.0))
    q = t_quantile(0.5 + level / 2.0, np.where(df > 0, df, 1.0))
    return {"estimate": estimate, "se": se, "df": df, "lower": estimate - q * se,
            "upper": estimate + q * se}


def population_predictions(
    fit, grid: pd.DataFrame | None = None, *, time: str | None = None,
    average_over: tuple[str, ...] | list[str] = (), level: float = 0.95,
    n_points: int = GRID_POINTS, at: dict[str, Any] | None = None,
) -> PredictionGrid:
    """Population-level predictions x'β̂ with SE √(x'Vx) and a ``level`` Wald-t interval.

    ``grid`` (optional) gives the predictor values, one row per prediction; every
    column of the fixed part must be present. By default the grid is ``time`` (or the
    first continuous predictor) over its observed range crossed with the levels of
    each factor, other continuous predictors at their means. Factors named in
    ``average_over`` are averaged out with equal weights: the design rows of their
    levels are averaged before x'β̂ and x'Vx are formed (emmeans' default weighting),
    so the SE stays exact. ``at`` fixes predictors of the default grid at given values
    (``{"time": 3, "treatment": "treated"}``): a continuous one takes that value instead
    of its range or mean, a factor keeps that level only (emmeans' ``at``).

    The interval uses the t distribution with the df of :func:`prediction_df`.
    """
    if not 0.0 < level < 1.0:
        raise LmmInputError(
            f"A confidence level must lie between 0 and 1, not {level}; use for example 0.95."
        )
    averaged = tuple(average_over)
    means: dict[str, float] = {}
    if grid is None:
        crossed, time_var, kept, means = default_grid(
            fit, time=time, average_over=averaged, n_points=n_points
        )
        if at:
            crossed, time_var, kept, means = _fix_values(
                fit, crossed, dict(at), time_var, kept, means, averaged
            )
        rows = fixed_design_for(fit, crossed)
        block = int(np.prod([len(factor_levels(fit.data[f])) for f in averaged])) if averaged else 1
        rows = rows.reshape(-1, block, rows.shape[1]).mean(axis=1)
        frame = crossed.iloc[::block][[c for c in crossed.columns if c not in averaged]]
        frame = frame.reset_index(drop=True)
    else:
        if averaged:
            raise LmmInputError(
                "Averaging over factors works with the default grid only; "
                "leave out either the grid or the factors to average over."
            )
        variables = fixed_part_variables(fit.model_formula, fit.data)
        missing = [c for c in (*variables.continuous, *variables.factors) if c not in grid]
        if missing:
            raise LmmInputError(
                f"The prediction grid lacks the column(s) {', '.join(missing)}; "
                "give a value for every predictor of the model's fixed part."
            )
        frame = grid.reset_index(drop=True).copy()
        rows = fixed_design_for(fit, frame)
        time_var, kept = None, variables.factors
    df, df_method = prediction_df(fit, rows)
    numbers = wald_intervals(
        rows, np.asarray(fit.beta, dtype=float), np.asarray(fit.vcov_beta, dtype=float), df,
        level,
    )
    for name in ESTIMATE_COLUMNS:
        frame[name] = numbers[name]
    return PredictionGrid(
        frame=frame,
        response=fit.response_name,
        time=time_var,
        factors=tuple(kept),
        averaged_over=averaged,
        held_at_mean=means,
        level=level,
        df_method=df_method,
        fixed_at=dict(at or {}),
        outside_range=_outside_range(fit.data, dict(at or {})),
    )


def _outside_range(data: pd.DataFrame, at: dict[str, Any]) -> dict[str, tuple[float, float, float]]:
    """The numeric values of ``at`` that lie outside their column's observed range."""
    outside = {}
    for name, value in at.items():
        if name not in data.columns or not is_numeric(data[name]):
            continue
        try:
            number = float(value)
        except (TypeError, ValueError):
            continue
        low, high = float(data[name].min()), float(data[name].max())
        if number < low or number > high:
            outside[name] = (number, low, high)
    return outside


def _fix_values(
    fit, grid: pd.DataFrame, at: dict[str, Any], time_var: str | None,
    kept: tuple[str, ...], means: dict[str, float], averaged: tuple[str, ...],
) -> tuple[pd.DataFrame, str | None, tuple[str, ...], dict[str, float]]:
    """The default grid with the ``at`` predictors fixed; the time axis and the crossed
    factors lose the ones fixed, so the table shows only what still varies."""
    variables = fixed_part_variables(fit.model_formula, fit.data)
    known = (*variables.continuous, *variables.factors)
    means = dict(means)
    for name, value in at.items():
        if name not in known:
            raise LmmInputError(
                f"'{name}' is not among the model's predictors ({', '.join(known) or 'none'}); "
                f"fix one of those, or add {name} to the model first."
            )
        if name in averaged:
            raise LmmInputError(
                f"{name} is averaged over, so it cannot also be fixed at {value}; "
                "do one or the other."
            )
        if name in variables.factors:
            levels = [str(level) for level in factor_levels(fit.data[name])]
            if str(value) not in levels:
                raise LmmInputError(
                    f"{name} has no level '{value}'; its levels are {', '.join(levels)}."
                )
            grid = grid[grid[name].astype(str) == str(value)]
            kept = tuple(f for f in kept if f != name)
        else:
            try:
                number = float(value)
            except (TypeError, ValueError):
                raise LmmInputError(
                    f"{name} is numeric, so it needs a number, not '{value}'."
                ) from None
            grid = grid.assign(**{name: number})
            means.pop(name, None)
            if name == time_var:
                time_var = None
    return grid.drop_duplicates().reset_index(drop=True), time_var, kept, means


def subject_predictions(fit) -> pd.DataFrame:
    """Subject-level predictions for every observation of the model frame.

    Columns: the model's variables as in ``fit.data``, ``observed`` (y), ``population``
    (x'β̂) and ``subject`` (x'β̂ + z'b̂, with b̂ = Λθ û the conditional modes ``fit.b``,
    as lme4's ``fitted(m)``). The index is ``fit.data``'s.
    """
    model = fit.model
    population = np.asarray(model.X @ np.asarray(fit.beta, dtype=float), dtype=float).ravel()
    subject = population + np.asarray(model.Z @ np.asarray(fit.b, dtype=float)).ravel()
    columns = [c for c in fit.model_formula.variables() if c in fit.data.columns]
    out = fit.data[columns].copy()
    out["observed"] = np.asarray(model.y, dtype=float).ravel()
    out["population"] = population
    out["subject"] = subject
    return out
