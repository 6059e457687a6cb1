"""Measure the prototype ideas of ``engine/fast_blocks.py`` on one case.

For a scalar-random-intercept model (the InstEval-shaped case) it reports, all with
the engine's own BOBYQA settings (``engine.optimize.minimize``):

* evaluations, seconds and criterion of the engine's deviance optimized from the
  engine's start (ones) and from lme4's moment-based start (``moment_start``);
* milliseconds per deviance evaluation of the engine and of ``ScalarCrossedDeviance``
  at the same theta, and their largest relative difference;
* the whole ``fit_lmm`` with and without the moment start (the start is put in by
  wrapping ``LmmModel.__init__`` for that one call: a measurement, not a feature).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np

from benchmarks.cases import BenchCase


def _median_ms(function, repeats: int = 9) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return 1e3 * statistics.median(times)


@contextmanager
def _moment_start_in_fits() -> Iterator[None]:
    """Within the block, every new ``LmmModel`` starts at ``moment_start`` if defined."""
    from engine.fast_blocks import moment_start
    from engine.model import LmmModel

    original = LmmModel.__init__

    def patched(self, *args, **kwargs) -> None:
        original(self, *args, **kwargs)
        start = moment_start(self)
        if start is not None:
            self.theta_start = start

    LmmModel.__init__ = patched
    try:
        yield
    finally:
        LmmModel.__init__ = original


def _fit_seconds(case: BenchCase) -> tuple[float, int, float]:
    from engine import fit_lmm

    began = time.perf_counter()
    fit = fit_lmm(case.formula, case.data, reml=case.reml, ddf="residual")
    return time.perf_counter() - began, fit.opt.evaluations, fit.criterion


def measure_prototype(case: BenchCase) -> dict[str, float] | None:
    """The numbers listed in the module docstring, or ``None`` for other models."""
    from engine.design import build_design
    from engine.fast_blocks import ScalarCrossedDeviance, moment_start
    from engine.model import LmmModel
    from engine.optimize import minimize
    from grammar.formula import parse_formula

    design = build_design(parse_formula(case.formula), case.data)
    model = LmmModel(design.X, design.y, design.random_terms, design.fixed_names)
    start = moment_start(model)
    if start is None:
        return None
    kernel = ScalarCrossedDeviance(model)

    def objective(theta: np.ndarray) -> float:
        return model.deviance(theta, case.reml)

    out: dict[str, float] = {}
    for label, x0 in (("ones", model.theta_start), ("moments", start)):
        began = time.perf_counter()
        opt = minimize(objective, x0, model.theta_lower)
        out[f"{label}_seconds"] = time.perf_counter() - began
        out[f"{label}_evaluations"] = opt.evaluations
        out[f"{label}_criterion"] = opt.fmin
    theta = np.asarray(opt.final)
    out["engine_ms"] = _median_ms(lambda: model.deviance(theta, case.reml))
    out["kernel_ms"] = _median_ms(lambda: kernel.deviance(theta, case.reml))
    out["fit_seconds"], out["fit_evaluations"], out["fit_criterion"] = _fit_seconds(case)
    with _moment_start_in_fits():
        seconds, evaluations, criterion = _fit_seconds(case)
    out["fit_moments_seconds"] = seconds
    out["fit_moments_evaluations"] = evaluations
    out["fit_moments_criterion"] = criterion
    out["kernel_rel_diff"] = max(
        abs(kernel.deviance(t, case.reml) / model.deviance(t, case.reml) - 1.0)
        for t in (theta, model.theta_start, start)
    )
    return out


def prototype_lines(numbers: dict[str, float] | None) -> list[str]:
    """The measurements as Markdown list items."""
    if numbers is None:
        return ["- not a scalar-random-intercept model: nothing to measure"]
    return [
        f"- BOBYQA from ones (the engine's start): {numbers['ones_evaluations']:.0f} "
        f"evaluations, {numbers['ones_seconds']:.2f} s, criterion "
        f"{numbers['ones_criterion']:.8f}",
        f"- BOBYQA from lme4's moment start (`fast_blocks.moment_start`): "
        f"{numbers['moments_evaluations']:.0f} evaluations, {numbers['moments_seconds']:.2f} s, "
        f"criterion {numbers['moments_criterion']:.8f}",
        f"- one deviance evaluation: engine {numbers['engine_ms']:.1f} ms, "
        f"`ScalarCrossedDeviance` {numbers['kernel_ms']:.1f} ms "
        f"(largest relative difference {numbers['kernel_rel_diff']:.1e})",
        f"- whole `fit_lmm(ddf=\"residual\")`: {numbers['fit_seconds']:.2f} s "
        f"({numbers['fit_evaluations']:.0f} evaluations) as is, "
        f"{numbers['fit_moments_seconds']:.2f} s ({numbers['fit_moments_evaluations']:.0f} "
        f"evaluations) from the moment start; criteria {numbers['fit_criterion']:.8f} and "
        f"{numbers['fit_moments_criterion']:.8f}",
    ]
