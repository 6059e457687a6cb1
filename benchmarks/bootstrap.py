"""Time of the parametric bootstrap: one refit (engine.bootstrap.refit_response, the
design reused) against a fresh ``fit_lmm`` of the same simulated response, and a whole
``parametric_bootstrap`` of 500 simulations.

``python -m benchmarks.bootstrap [--refits N]`` prints a Markdown table. lme4's time for
``confint(method = "boot", nsim = 2000)`` on the same models is in
tests/data/lme4_bootstrap/results.json (``seconds``, measured when that file was made).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd

from engine.bootstrap import ResponseSimulator, parametric_bootstrap, refit_response
from engine.lmm import fit_lmm
from engine.samples import load_sample

REFERENCE_DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "reference" / "data"
CASES = (
    ("sleepstudy", "Reaction ~ Days + (Days | Subject)"),
    ("Dyestuff", "Yield ~ 1 + (1 | Batch)"),
)


def _data(name: str) -> pd.DataFrame:
    if name == "sleepstudy":
        return load_sample("sleepstudy")
    for folder in (REFERENCE_DATA, Path("/work/shared/reference/data")):
        if (folder / f"{name}.csv").exists():
            return pd.read_csv(folder / f"{name}.csv")
    raise FileNotFoundError(f"{name}.csv is not in the shared reference data")


def time_case(name: str, formula: str, refits: int) -> dict[str, float]:
    """Mean CPU milliseconds per refit and per fresh fit of the same responses, and the
    CPU and wall seconds of 500 simulations (on a loaded machine the wall time adds the
    time slices other processes take; the CPU time does not)."""
    fit = fit_lmm(formula, _data(name))
    simulator = ResponseSimulator(fit)
    rng = np.random.Generator(np.random.PCG64(1))
    responses = [simulator.draw(rng) for _ in range(refits)]
    start = time.process_time()
    for y in responses:
        refit_response(fit, y)
    refit_ms = 1000 * (time.process_time() - start) / refits
    frames = []
    for y in responses:
        frame = fit.data.copy()
        frame[fit.response_name] = y
        frames.append(frame)
    start = time.process_time()
    for frame in frames:
        fit_lmm(formula, frame, ddf="residual")
    fresh_ms = 1000 * (time.process_time() - start) / refits
    wall, cpu = time.perf_counter(), time.process_time()
    parametric_bootstrap(fit, 500, seed=1)
    return {
        "refit_ms": refit_ms,
        "fresh_ms": fresh_ms,
        "bootstrap_cpu_s": time.process_time() - cpu,
        "bootstrap_wall_s": time.perf_counter() - wall,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--refits", type=int, default=100)
    args = parser.parse_args()
    print("| case | refit (CPU ms) | fresh fit_lmm (CPU ms) | ratio | 500 simulations, CPU s "
          "| wall s |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, formula in CASES:
        t = time_case(name, formula, args.refits)
        print(
            f"| {name} | {t['refit_ms']:.2f} | {t['fresh_ms']:.2f} | "
            f"{t['fresh_ms'] / t['refit_ms']:.1f}x | {t['bootstrap_cpu_s']:.2f} | "
            f"{t['bootstrap_wall_s']:.2f} |"
        )

if __name__ == "__main__":
    main()
