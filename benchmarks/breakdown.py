"""Where a small fit's time goes: the optimizer's loop against everything else.

For each small case this times, in this process:

* the whole fit, ``engine.fit_lmm(..., ddf="residual")`` (as ``run.py`` times it);
* the optimization alone: ``engine.optimize.minimize`` on the profiled deviance from
  lme4's start (BOBYQA, then lme4's finite-difference gradient), which is most of
  ``fit_lmm``'s ``_optimize``;
* NLopt's own cost per call: BOBYQA on a cheap quadratic, divided by its number of
  calls, times the case's number of deviance evaluations.

The rest of the fit (formula, design, set-up, beta-hat, results) is the whole minus the
optimization. Given statsmodels' time for the case, the table shows the time a 30x
target allows, so a reader can see whether the optimization alone already exceeds it.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass

import nlopt
import numpy as np

from benchmarks.cases import BenchCase

#: Timed calls per measurement (the median is reported).
REPEATS = 60


@dataclass
class FitBreakdown:
    """Milliseconds of one small case's fit, split as the module docstring says."""

    name: str
    evaluations: int
    whole_ms: float
    optimization_ms: float
    nlopt_overhead_ms: float

    @property
    def rest_ms(self) -> float:
        return self.whole_ms - self.optimization_ms


def _median_ms(call, repeats: int = REPEATS) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return 1e3 * statistics.median(times)


def nlopt_seconds_per_call(dimension: int) -> float:
    """NLopt BOBYQA's own time per objective call, with a quadratic that costs ~1 µs."""
    target = np.linspace(0.2, 0.9, dimension)
    calls = [0]

    def quadratic(x: np.ndarray, grad: np.ndarray) -> float:
        calls[0] += 1
        return float(((x - target) ** 2).sum())

    def run() -> None:
        opt = nlopt.opt(nlopt.LN_BOBYQA, dimension)
        opt.set_lower_bounds([0.0] * dimension)
        opt.set_min_objective(quadratic)
        opt.set_xtol_abs(1e-10)
        opt.set_ftol_abs(1e-14)
        opt.set_maxeval(1000)
        opt.optimize([1.0] * dimension)

    calls[0] = 0
    run()
    per_run = calls[0]
    return _median_ms(run) / 1e3 / per_run


def breakdown(case: BenchCase) -> FitBreakdown:
    """Time ``case``'s whole fit and its optimization (see the module docstring)."""
    from engine import fit_lmm
    from engine.optimize import minimize
    from engine.profiled_deviance import deviance_function
    from engine.start import lme4_start
    from grammar.formula import clear_parse_cache

    def whole() -> None:
        clear_parse_cache()  # as run.py: the formula is parsed in every timed fit
        fit_lmm(case.formula, case.data, reml=case.reml, ddf="residual")

    fit = fit_lmm(case.formula, case.data, reml=case.reml, ddf="residual")
    model = fit.model
    objective = deviance_function(model, case.reml)
    start = lme4_start(model)

    def optimization() -> None:
        minimize(objective, start, model.theta_lower)

    evaluations = int(fit.opt.evaluations) + 2 * int(model.n_theta)
    return FitBreakdown(
        name=case.name,
        evaluations=evaluations,
        whole_ms=_median_ms(whole),
        optimization_ms=_median_ms(optimization),
        nlopt_overhead_ms=1e3 * evaluations * nlopt_seconds_per_call(model.n_theta),
    )


def breakdown_lines(
    cases: list[BenchCase], statsmodels_ms: dict[str, float], target: float
) -> list[str]:
    """A Markdown table of :func:`breakdown` for each case, with statsmodels' budget."""
    lines = [
        "| case | deviance evaluations | whole fit ms | optimization ms | NLopt's own share "
        f"ms | rest ms | statsmodels ms | statsmodels / {target:g} ms |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for case in cases:
        b = breakdown(case)
        sm = statsmodels_ms.get(case.name)
        sm_text = f"{sm:.1f}" if sm is not None else "–"
        budget = f"{sm / target:.2f}" if sm is not None else "–"
        lines.append(
            f"| {b.name} | {b.evaluations} | {b.whole_ms:.2f} | {b.optimization_ms:.2f} | "
            f"{b.nlopt_overhead_ms:.2f} | {b.rest_ms:.2f} | {sm_text} | {budget} |"
        )
    return lines
