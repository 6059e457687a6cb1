"""Power of a fixed-effect test by simulation from a fitted model (the approach of simr's
``powerSim`` and ``powerCurve``; Green & MacLeod 2016, Methods Ecol Evol 7:493).

For an assumed true value of one coefficient (by default the fitted estimate):

1. Take the fitted model as the truth: beta-hat with that coefficient replaced, the
   random-effect covariance sigma-hat^2 Lambda Lambda' and the residual SD sigma-hat.
2. Optionally change the number of levels of one grouping factor: fewer levels keep a
   random subset of the observed ones; more add copies of observed levels drawn at random,
   each with its own rows (covariates, visit times, missing visits) under a new label, as
   simr's ``extend`` adds levels. Factors nested in that one are copied with it; crossed
   factors keep their levels (new raters rate the same items).
3. Simulate a response y* = X beta* + Z b* + e* with new random effects and residuals,
   refit the model to it (same criterion and optimizer, started at theta-hat as lme4's
   ``refit``) and test the coefficient with the t test and Satterthwaite df that the fit
   reports (lmerTest). The power is the share of simulations with p < alpha, with its
   exact (Clopper-Pearson) binomial interval.

Draws use numpy's PCG64 generator with a fixed seed, so an answer is reproduced exactly.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import special

from engine.blas_threads import fit_blas_threads
from engine.bootstrap import ResponseSimulator
from engine.design import build_design
from engine.distributions import t_two_sided_p
from engine.errors import LmmInputError, about_minutes
from engine.model import LmmModel
from engine.satterthwaite import satterthwaite_setup
from engine.warm_refit import refit_from

DEFAULT_NSIM = 200
DEFAULT_SEED = 1
MAX_NSIM = 10_000
#: The share of significant simulations a study is usually planned for.
TARGET_POWER = 0.8
#: A power analysis is declined when it would take longer than this (from the first refits).
TIME_BUDGET_SECONDS = 180.0
TIMED_REFITS = 3
#: Separates a copied level's label from the copy number ("P07" -> "P07~2").
COPY_MARK = "~"


@dataclass(frozen=True)
class PowerPoint:
    """The simulated power at one design size: ``n_levels`` levels of the varied factor
    (the fit's own design when nothing was varied), ``n_obs`` rows, ``n_significant`` of
    ``n_simulations`` successful refits with p < alpha, the power and its exact binomial
    (Clopper-Pearson) interval at ``level``; ``n_failed`` refits that could not be made."""

    n_levels: int | None
    n_obs: int
    n_significant: int
    n_simulations: int
    n_failed: int
    power: float
    lower: float
    upper: float

    def to_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in (
            "n_levels", "n_obs", "n_significant", "n_simulations", "n_failed", "power",
            "lower", "upper")}


@dataclass(frozen=True)
class PowerAnalysis:
    """Simulated power of the Satterthwaite t test of ``coefficient`` (:mod:`engine.power`).

    ``effect``: the coefficient's assumed true value; ``fitted_effect``: its estimate in
    the fit (``effect_from_fit`` when the two are the same, a post hoc power); ``group``:
    the factor whose number of levels was varied (None: the fit's design only);
    ``observed_levels``: its number of levels in the data; ``points`` one per size."""

    coefficient: str
    effect: float
    fitted_effect: float
    effect_from_fit: bool
    alpha: float
    nsim: int
    seed: int
    method: str
    group: str | None
    observed_levels: int | None
    points: tuple[PowerPoint, ...]
    level: float = 0.95
    seconds: float = 0.0
    #: the power a design is wanted to reach (80% unless asked otherwise)
    target: float = TARGET_POWER

    def smallest_adequate(self, target: float | None = None) -> PowerPoint | None:
        """The smallest design whose estimated power reaches ``target`` (default: the
        analysis's), or None."""
        goal = self.target if target is None else target
        reaching = [p for p in self.points if p.power >= goal]
        return min(reaching, key=lambda p: p.n_obs) if reaching else None

    def to_dict(self) -> dict[str, Any]:
        adequate = self.smallest_adequate()
        return {
            "kind": "power_analysis",
            "coefficient": self.coefficient,
            "effect": self.effect,
            "fitted_effect": self.fitted_effect,
            "effect_from_fit": self.effect_from_fit,
            "alpha": self.alpha,
            "nsim": self.nsim,
            "seed": self.seed,
            "test": "t test with Satterthwaite df (lmerTest)",
            "method": self.method,
            "group": self.group,
            "observed_levels": self.observed_levels,
            "level": self.level,
            "points": [p.to_dict() for p in self.points],
            "target": self.target,
            "smallest_adequate_levels": adequate.n_levels if adequate else None,
            "seconds": self.seconds,
        }


def clopper_pearson(successes: int, trials: int, level: float = 0.95) -> tuple[float, float]:
    """The exact binomial interval of Clopper & Pearson (1934), from beta quantiles
    (scipy.special's inverse regularised incomplete beta, which is beta.ppf)."""
    if trials <= 0:
        return math.nan, math.nan
    tail = (1.0 - level) / 2.0
    failures = trials - successes
    lower = 0.0 if successes == 0 else float(special.betaincinv(successes, failures + 1, tail))
    upper = 1.0 if failures == 0 else float(special.betaincinv(successes + 1, failures, 1 - tail))
    return lower, upper


def _check_request(fit: Any, coefficient: str, alpha: float, nsim: int) -> int:
    names = list(fit.fixed_names)
    if coefficient not in names:
        raise LmmInputError(
            f"The model has no coefficient '{coefficient}'; its coefficients are "
            + ", ".join(f"'{n}'" for n in names) + "."
        )
    if not 0.0 < alpha < 0.5:
        raise LmmInputError(f"The significance level must lie between 0 and 0.5, not {alpha}.")
    if not 10 <= nsim <= MAX_NSIM:
        raise LmmInputError(
            f"Use between 10 and {MAX_NSIM:,} simulations, not {nsim:,}; 200 gives the "
            "power to within about 3 percentage points."
        )
    return names.index(coefficient)


def power_coefficient(fit: Any, variable: str | None) -> str:
    """The coefficient (column of X) a power question is about: ``variable`` as typed (a
    column's name, or a term with one column, such as a two-level factor or an interaction
    in either order), or without one the model's only coefficient besides the intercept."""
    names = list(fit.fixed_names)
    others = [n for n in names if n != "(Intercept)"]
    listed = ", ".join(f"'{n}'" for n in others) or "none besides the intercept"
    if variable is None:
        if len(others) == 1:
            return others[0]
        raise LmmInputError(
            f"Which effect's power? The model has several coefficients ({listed}); ask e.g. "
            f"`power to detect a {others[0] if others else 'time'} effect of 2`."
        )
    folded = variable.casefold()
    exact = [n for n in names if n.casefold() == folded]
    if exact:
        return exact[0]
    wanted = set(folded.split(":"))
    for label, columns in fit.fixed_term_columns.items():
        if label.casefold() == folded or set(label.casefold().split(":")) == wanted:
            if len(columns) == 1:
                return names[columns[0]]
            several = ", ".join(f"'{names[j]}'" for j in columns)
            raise LmmInputError(
                f"{variable} has {len(columns)} coefficients ({several}); a power simulation "
                "tests one of them: name it, e.g. `power for " + names[columns[0]] + "`."
            )
    raise LmmInputError(f"The model has no effect of {variable}; its coefficients are {listed}.")


def default_sizes(observed: int) -> list[int]:
    """The numbers of levels of a curve around the data's: half to three times as many."""
    sizes = {max(3, round(observed * f)) for f in (0.5, 0.75, 1.0, 1.5, 2.0, 3.0)}
    return sorted(sizes)


def grouping_variables(fit: Any) -> list[str]:
    """The data columns the model's random terms group by, in order of appearance."""
    return list(dict.fromkeys(v for term in fit.model_formula.random_terms
                              for v in term.group_variables))


def _nested_in(data: pd.DataFrame, inner: str, outer: str) -> bool:
    """Every level of ``inner`` occurs with a single level of ``outer``."""
    return bool((data.groupby(inner, observed=True)[outer].nunique() <= 1).all())


def resized_data(
    data: pd.DataFrame, group: str, n_levels: int, rng: np.random.Generator,
    carried: tuple[str, ...] = (),
) -> pd.DataFrame:
    """``data`` with ``n_levels`` levels of ``group`` (module docstring, step 2): a random
    subset of the observed levels, or all of them plus copies of randomly drawn ones under
    new labels; the factors in ``carried`` (nested in ``group``) are relabelled with their
    level's copy."""
    labels = pd.unique(data[group].astype(str))
    observed = len(labels)
    if n_levels < 2:
        raise LmmInputError(f"A design needs at least 2 levels of {group}, not {n_levels}.")
    if n_levels <= observed:
        chosen = [(label, 0) for label in rng.choice(labels, size=n_levels, replace=False)]
    else:
        extra = rng.choice(labels, size=n_levels - observed, replace=True)
        copies: dict[str, int] = {}
        chosen = [(label, 0) for label in labels]
        for label in extra:
            copies[label] = copies.get(label, 0) + 1
            chosen.append((label, copies[label]))
    text = data[group].astype(str)
    parts = []
    for label, copy in chosen:
        rows = data[text == label].copy()
        if copy:
            for column in (group, *carried):
                rows[column] = rows[column].astype(str) + f"{COPY_MARK}{copy}"
        parts.append(rows)
    return pd.concat(parts, ignore_index=True)


class _Simulator:
    """Responses simulated on one design (engine.bootstrap.ResponseSimulator with the
    assumed fixed effects) and the test of one coefficient of their refits."""

    def __init__(self, fit: Any, model: LmmModel, beta: np.ndarray, index: int):
        self.fit, self.model, self.index = fit, model, index
        self.responses = ResponseSimulator(fit, model, beta)

    def significant(self, rng: np.random.Generator, alpha: float) -> bool:
        return self.p_value(self.responses.draw(rng)) < alpha

    def p_value(self, y: np.ndarray) -> float:
        """The refit to ``y`` and the two-sided p of its t test with Satterthwaite df."""
        model = self.model.with_response(y)
        _, theta, solution = refit_from(self.fit, model)
        sigma = float(np.sqrt(solution.sigma2))
        setup = satterthwaite_setup(model, theta, sigma, self.fit.reml)
        contrast = np.zeros(model.p)
        contrast[self.index] = 1.0
        se = math.sqrt(float(setup.vcov_beta[self.index, self.index]))
        t = float(solution.beta[self.index]) / se
        return float(t_two_sided_p(t, setup.contrast_df(contrast)))


def _model_for(fit: Any, data: pd.DataFrame) -> LmmModel:
    design = build_design(fit.model_formula, data)
    if list(design.fixed_names) != list(fit.fixed_names):
        raise LmmInputError(
            "With that many levels the design loses or gains fixed-effect columns ("
            + ", ".join(sorted(set(design.fixed_names) ^ set(fit.fixed_names)))
            + "); choose a larger number of levels."
        )
    return LmmModel(design.X, design.y, design.random_terms, design.fixed_names)


def simulate_power(
    fit: Any, coefficient: str, *, effect: float | None = None, alpha: float = 0.05,
    nsim: int = DEFAULT_NSIM, group: str | None = None,
    sizes: list[int] | tuple[int, ...] | None = None, seed: int = DEFAULT_SEED,
    level: float = 0.95, target: float = TARGET_POWER,
) -> PowerAnalysis:
    """Simulated power of the test of ``coefficient`` (module docstring). ``sizes``: the
    numbers of levels of ``group`` to simulate (None: the fit's own design)."""
    index = _check_request(fit, coefficient, alpha, int(nsim))
    fitted = float(fit.beta[index])
    value = fitted if effect is None else float(effect)
    beta = np.asarray(fit.beta, dtype=float).copy()
    beta[index] = value
    rng = np.random.default_rng(seed)
    observed = None
    if group is not None:
        variables = grouping_variables(fit)
        if group not in variables:
            raise LmmInputError(
                f"'{group}' is not a grouping factor of the model; vary one of "
                + ", ".join(f"'{v}'" for v in variables) + "."
            )
        observed = int(fit.data[group].nunique())
        carried = tuple(v for v in variables if v != group and _nested_in(fit.data, v, group))
    targets = [int(s) for s in sizes] if sizes else [observed]
    start = time.perf_counter()
    points = []
    with fit_blas_threads():
        for n_levels in targets:
            if group is None or n_levels == observed:
                model = fit.model
                n_levels = observed
            else:
                model = _model_for(fit, resized_data(fit.data, group, n_levels, rng, carried))
            points.append(_simulate_point(fit, model, beta, index, n_levels, int(nsim), alpha,
                                          rng, level, len(targets)))
    return PowerAnalysis(
        coefficient=coefficient, effect=value, fitted_effect=fitted,
        effect_from_fit=effect is None or value == fitted, alpha=alpha, nsim=int(nsim),
        seed=seed, method="REML" if fit.reml else "ML", group=group,
        observed_levels=observed, points=tuple(points), level=level,
        seconds=time.perf_counter() - start, target=target,
    )


def _simulate_point(
    fit: Any, model: LmmModel, beta: np.ndarray, index: int, n_levels: int | None,
    nsim: int, alpha: float, rng: np.random.Generator, level: float, n_points: int,
) -> PowerPoint:
    simulator = _Simulator(fit, model, beta, index)
    significant = failed = 0
    began = time.perf_counter()
    for k in range(nsim):
        try:
            significant += simulator.significant(rng, alpha)
        except (LmmInputError, np.linalg.LinAlgError, FloatingPointError):
            failed += 1
        if k + 1 == TIMED_REFITS:
            estimate = (time.perf_counter() - began) / TIMED_REFITS * nsim * n_points
            if estimate > TIME_BUDGET_SECONDS:
                raise LmmInputError(
                    f"{nsim:,} simulations at {n_points} design size(s) would take "
                    f"{about_minutes(estimate)}; ask for fewer simulations (e.g. `with 100 "
                    "simulations`) or fewer sizes."
                )
    done = nsim - failed
    lower, upper = clopper_pearson(significant, done, level)
    return PowerPoint(
        n_levels=n_levels, n_obs=model.n, n_significant=significant, n_simulations=done,
        n_failed=failed, power=significant / done if done else math.nan,
        lower=lower, upper=upper,
    )
