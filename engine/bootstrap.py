"""Parametric bootstrap confidence intervals: lme4's ``confint(m, method = "boot")``.

lme4's recipe (``bootMer`` with ``simulate(use.u = FALSE)`` and ``refit``, then
``boot::boot.ci(type = "perc")``):

1. Simulate a new response from the fitted model, drawing new random effects:
   y* = X beta-hat + sigma-hat (Z Lambda(theta-hat) u* + e*), u* ~ N(0, I_q), e* ~ N(0, I_n),
   so that b* = sigma-hat Lambda u* ~ N(0, sigma-hat^2 Lambda Lambda').
2. Refit the same model to y* (same criterion, REML or ML, and optimizer), starting the
   optimizer at theta-hat as lme4's ``refit`` does. The design is reused
   (:meth:`engine.model.LmmModel.with_response`).
3. Collect the statistics lme4's ``confint`` bootstraps: the random-effect SDs and
   correlations and sigma (in theta's order, ``profile``'s names), then the fixed effects.
4. Percentile intervals: the (1 -/+ level)/2 quantiles of the replicates, taken as boot's
   ``norm.inter`` takes them (order statistic (R + 1) alpha, interpolated on the normal
   quantile scale between neighbours). Refits that fail are left out, as in boot.

Draws use numpy's PCG64 generator seeded with :attr:`BootstrapConfint.seed`, so a result
is reproduced exactly by the same seed; the numbers differ from R's (another generator),
so agreement with lme4 is statistical only.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from engine.blas_threads import fit_blas_threads
from engine.distributions import normal_quantile
from engine.errors import LmmInputError, about_minutes
from engine.lmm import SINGULAR_TOL
from engine.profile import VarianceScale
from engine.warm_refit import refit_from

#: lme4's ``confint(method = "boot")`` default number of simulations.
DEFAULT_NSIM = 500
#: The seed used when the request gives none (so that answers are reproducible).
DEFAULT_SEED = 1
#: The bootstrap is declined when it would take longer than this many seconds (estimated
#: from the first refits).
TIME_BUDGET_SECONDS = 120.0
#: Refits timed before the time budget is checked.
TIMED_REFITS = 3
#: A first refit whose time puts the whole run beyond this many budgets declines at once:
#: the estimate is not in doubt, and two more refits of a large model cost seconds each.
CLEAR_EXCESS = 3.0
MAX_NSIM = 100_000


@dataclass(frozen=True)
class BootstrapRefit:
    """One refit to a simulated response: theta, beta-hat, sigma-hat and its record."""

    theta: np.ndarray
    beta: np.ndarray
    sigma: float
    criterion: float
    converged: bool
    singular: bool
    evaluations: int


@dataclass(frozen=True)
class BootstrapInterval:
    """One parameter's percentile interval; ``kind`` is sd, cor, sigma or fixed."""

    parameter: str
    kind: str
    estimate: float
    lower: float
    upper: float
    n_used: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "parameter": self.parameter,
            "kind": self.kind,
            "estimate": _json_number(self.estimate),
            "lower": _json_number(self.lower),
            "upper": _json_number(self.upper),
            "n_used": self.n_used,
        }


@dataclass(frozen=True)
class BootstrapConfint:
    """lme4's ``confint(m, method = "boot", boot.type = "perc")``.

    ``replicates`` (nsim x parameters, rows of NaN for failed refits) is kept for
    checks and further summaries; ``to_dict`` leaves it out.
    """

    kind: ClassVar[str] = "bootstrap_confint"

    method: str
    optimizer: str
    level: float
    nsim: int
    seed: int
    n_failed: int
    n_not_converged: int
    n_singular: int
    intervals: list[BootstrapInterval]
    parameters: list[str]
    replicates: np.ndarray = field(repr=False)
    boot_type: str = "perc"

    def interval(self, parameter: str) -> BootstrapInterval:
        for row in self.intervals:
            if row.parameter == parameter:
                return row
        raise KeyError(parameter)

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "method": self.method,
            "optimizer": self.optimizer,
            "level": self.level,
            "nsim": self.nsim,
            "seed": self.seed,
            "boot_type": self.boot_type,
            "n_failed": self.n_failed,
            "n_not_converged": self.n_not_converged,
            "n_singular": self.n_singular,
            "intervals": [row.to_dict() for row in self.intervals],
        }


def _json_number(value: float) -> float | None:
    return float(value) if np.isfinite(value) else None


class ResponseSimulator:
    """Draws y* = X beta-hat + sigma-hat (Z Lambda u* + e*) (lme4's ``simulate``, use.u = FALSE).

    ``model`` and ``beta`` replace the fit's design and fixed effects (engine.power: another
    number of clusters, an assumed effect); theta-hat and sigma-hat stay the fit's."""

    def __init__(self, fit, model=None, beta=None):
        model = fit.model if model is None else model
        beta = fit.beta if beta is None else beta
        self.mean = np.asarray(model.X @ np.asarray(beta, dtype=float), dtype=float)
        self.z_lambda = (model.Z @ model.lambda_of(np.asarray(fit.theta, dtype=float))).tocsr()
        self.sigma = float(fit.sigma)
        self.n, self.q = model.n, model.q

    def draw(self, rng: np.random.Generator) -> np.ndarray:
        u = rng.standard_normal(self.q)
        e = rng.standard_normal(self.n)
        return self.mean + self.sigma * (self.z_lambda @ u + e)


def refit_response(fit, y: np.ndarray) -> BootstrapRefit:
    """Refit ``fit``'s model to response ``y`` (lme4's ``refit(m, newresp)``).

    Same criterion and optimizer as the fit; the optimizer starts at the fit's theta,
    as lme4's ``refit`` does. Raises ``LmmInputError`` when the model cannot be
    evaluated at the optimum.
    """
    model = fit.model.with_response(y)
    opt, theta, solution = refit_from(fit, model)
    return BootstrapRefit(
        theta=theta,
        beta=np.asarray(solution.beta, dtype=float),
        sigma=float(np.sqrt(solution.sigma2)),
        criterion=float(opt.fmin),
        converged=bool(opt.converged),
        singular=bool(np.any(theta[model.theta_lower == 0.0] < SINGULAR_TOL)),
        evaluations=int(opt.evaluations),
    )


def percentile_interval(values: np.ndarray, level: float) -> tuple[float, float]:
    """boot's percentile interval (``norm.inter``) of the finite ``values``.

    For alpha = (1 -/+ level)/2 the limit is the order statistic t_(k), k = (R + 1) alpha,
    when k is whole; otherwise it is interpolated between t_(k) and t_(k+1) linearly in
    the normal quantile scale; k = 0 or R gives the extreme value.
    """
    t = np.sort(np.asarray(values, dtype=float)[np.isfinite(values)])
    r = t.size
    if r == 0:
        return float("nan"), float("nan")
    limits = []
    for alpha in ((1 - level) / 2, (1 + level) / 2):
        rank = (r + 1) * alpha
        k = int(np.trunc(rank))
        if k <= 0:
            limits.append(float(t[0]))
        elif k >= r:
            limits.append(float(t[-1]))
        elif k == rank:
            limits.append(float(t[k - 1]))
        else:
            z, z_k, z_k1 = normal_quantile(np.array([alpha, k / (r + 1), (k + 1) / (r + 1)]))
            low, high = t[k - 1], t[k]
            limits.append(float(low + (z - z_k) / (z_k1 - z_k) * (high - low)))
    return limits[0], limits[1]


def minimum_nsim(level: float) -> int:
    """The fewest simulations whose percentile limits are not extreme order statistics:
    (R + 1)(1 - level)/2 >= 1."""
    return int(np.ceil(2.0 / (1.0 - level) - 1.0 - 1e-9))


def _check_request(nsim: int, seed: int, level: float) -> None:
    if not 0 < level < 1:
        raise LmmInputError(
            f"The confidence level must lie between 0 and 1 (got {level}); use e.g. 0.95."
        )
    least = minimum_nsim(level)
    if not least <= nsim <= MAX_NSIM:
        raise LmmInputError(
            f"A {100 * level:g}% bootstrap interval needs between {least} and {MAX_NSIM} "
            f"simulations (got {nsim}); lme4's default is {DEFAULT_NSIM}."
        )
    if seed < 0:
        raise LmmInputError(f"The random seed must be a whole number of 0 or more, not {seed}.")


def parametric_bootstrap(
    fit, nsim: int = DEFAULT_NSIM, *, seed: int | None = None, level: float = 0.95
) -> BootstrapConfint:
    """lme4's ``confint(fit, method = "boot", nsim = nsim)`` with percentile intervals."""
    seed = DEFAULT_SEED if seed is None else int(seed)
    nsim = int(nsim)
    _check_request(nsim, seed, level)
    model = fit.model
    scale = VarianceScale(model)
    names = [*scale.names, *map(str, fit.fixed_names)]
    kinds = [*scale.kinds, *(["fixed"] * len(fit.fixed_names))]
    estimates = np.concatenate(
        [scale.to_sdcor(np.asarray(fit.theta, dtype=float), float(fit.sigma)), fit.beta]
    )
    rng = np.random.Generator(np.random.PCG64(seed))
    replicates = np.full((nsim, len(names)), np.nan)
    failed = not_converged = singular = 0
    seconds: list[float] = []
    with fit_blas_threads():
        simulator = ResponseSimulator(fit)
        for i in range(nsim):
            started = time.perf_counter()
            refit = _replicate(fit, simulator.draw(rng))
            if refit is None:
                failed += 1
            else:
                replicates[i] = np.concatenate(
                    [scale.to_sdcor(refit.theta, refit.sigma), refit.beta]
                )
                not_converged += not refit.converged
                singular += refit.singular
            if i < TIMED_REFITS:
                seconds.append(time.perf_counter() - started)
                if i == 0 and seconds[0] * nsim > CLEAR_EXCESS * TIME_BUDGET_SECONDS:
                    _check_time_budget(seconds[0], nsim, level)
                if i + 1 == TIMED_REFITS:
                    _check_time_budget(float(np.median(seconds)), nsim, level)
    intervals = []
    for j, (name, kind) in enumerate(zip(names, kinds, strict=True)):
        column = replicates[:, j]
        lower, upper = percentile_interval(column, level)
        intervals.append(
            BootstrapInterval(
                parameter=name,
                kind=kind,
                estimate=float(estimates[j]),
                lower=lower,
                upper=upper,
                n_used=int(np.isfinite(column).sum()),
            )
        )
    return BootstrapConfint(
        method=fit.method,
        optimizer=fit.optimizer,
        level=float(level),
        nsim=nsim,
        seed=seed,
        n_failed=failed,
        n_not_converged=not_converged,
        n_singular=singular,
        intervals=intervals,
        parameters=names,
        replicates=replicates,
    )


def _replicate(fit, y: np.ndarray) -> BootstrapRefit | None:
    """The refit to one simulated response; None when it fails (boot's NA row)."""
    try:
        refit = refit_response(fit, y)
    except LmmInputError:
        return None
    if not (np.isfinite(refit.sigma) and np.all(np.isfinite(refit.beta))):
        return None
    return refit


def _check_time_budget(per_refit: float, nsim: int, level: float) -> None:
    """Decline, in one sentence, a bootstrap that would run for minutes."""
    estimate = per_refit * nsim
    if estimate <= TIME_BUDGET_SECONDS:
        return
    affordable = int(TIME_BUDGET_SECONDS / per_refit)
    fix = (
        f"ask for at most {affordable} simulations, or use profile or Wald intervals"
        if affordable >= minimum_nsim(level)
        else "use profile or Wald intervals instead"
    )
    raise LmmInputError(
        f"A parametric bootstrap with {nsim} simulations would take "
        f"{about_minutes(estimate)} ({per_refit * 1000:.0f} ms per refit); {fix}."
    )
