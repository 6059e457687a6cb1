"""Parametric bootstrap intervals against lme4's ``confint(m, method = "boot")``.

tests/data/lme4_bootstrap/results.json holds lme4's percentile intervals from 2,000
simulations (make_bootstrap.R, lme4 1.1-31). Ours use 2,000 too for sleepstudy by REML and
Dyestuff, 500 for sleepstudy by ML (``LMM_BOOTSTRAP_NSIM`` sets one number for all): a
refit takes 1.7 ms of CPU on sleepstudy and 0.4 ms on Dyestuff (benchmarks/bootstrap.py),
so the three cases take about 5 s of CPU, 3.5 s of it for sleepstudy by REML (several
times that in wall time when the machine is loaded). The two generators differ, so only
statistical agreement is possible, and the tolerance is the Monte-Carlo error of the two
estimates.

Each limit is a sample quantile q_a of R replicates of (nearly) the same bootstrap
distribution (our fit equals lme4's to 1e-6). The rank of the a-quantile among R draws has
standard deviation s = sqrt(R a (1 - a)) (7 for R = 2,000 and a = 0.025), so the quantile's
standard error is estimated, without assuming a shape, from our own order statistics as
se = (t_(k + 2s) - t_(k - 2s)) / 4 with k = (R + 1) a (the order-statistic estimate of
1 / density, as in Maritz and Jarrett 1978). lme4's quantile from R' = 2,000 draws has the
standard error se sqrt(R / R'), and a limit passes when the two differ by at most
4 sqrt(se^2 + se'^2): a false alarm probability of 6e-5 per limit (1e-3 for all 30).
With R = 2,000 this is 3-14% of the interval's width (the limits of SDs and of the
correlation, whose replicates are skewed and pile up at the bounds, take the wider ones);
the measured differences were all within 2.1 of their standard deviations. A limit where
the replicates are tied (an SD of 0, from singular refits) has se = 0 and is compared
exactly.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from engine.bootstrap import parametric_bootstrap
from engine.lmm import fit_lmm
from engine.samples import load_sample

RESULTS = Path(__file__).parent / "data" / "lme4_bootstrap" / "results.json"
#: Standard deviations of the difference of two independent quantile estimates allowed.
Z_LIMIT = 4.0
NSIM_OVERRIDE = os.environ.get("LMM_BOOTSTRAP_NSIM")


def quantile_se(values: np.ndarray, alpha: float) -> float:
    """Standard error of the alpha sample quantile from the order statistics around it."""
    t = np.sort(values[np.isfinite(values)])
    r = t.size
    spread = 2 * np.sqrt(r * alpha * (1 - alpha))
    k = (r + 1) * alpha
    low = int(np.clip(np.floor(k - spread), 1, r)) - 1
    high = int(np.clip(np.ceil(k + spread), 1, r)) - 1
    return float(t[high] - t[low]) / 4.0


def _data(name: str, reference_dir: Path) -> pd.DataFrame:
    if name == "sleepstudy":
        return load_sample("sleepstudy")
    return pd.read_csv(reference_dir / "data" / "Dyestuff.csv")


@pytest.fixture(scope="module")
def lme4_results() -> dict:
    return json.loads(RESULTS.read_text())


@pytest.mark.parametrize(
    ("case", "data_name", "nsim"),
    [
        ("sleepstudy", "sleepstudy", 2000),
        ("dyestuff", "dyestuff", 2000),
        ("sleepstudy_ml", "sleepstudy", 500),
    ],
)
def test_intervals_agree_with_lme4(case, data_name, nsim, lme4_results, reference_dir):
    expected = lme4_results[case]
    nsim = int(NSIM_OVERRIDE or nsim)
    fit = fit_lmm(expected["formula"], _data(data_name, reference_dir), reml=expected["reml"])
    result = parametric_bootstrap(fit, nsim, seed=expected["seed"], level=lme4_results["level"])
    assert result.parameters == expected["parameter"]
    assert result.n_failed == 0
    level = lme4_results["level"]
    ratio = nsim / lme4_results["nsim"]
    for j, name in enumerate(result.parameters):
        row = result.interval(name)
        column = result.replicates[:, j]
        limits = zip(("lower", "upper"), ((1 - level) / 2, (1 + level) / 2), strict=True)
        for side, alpha in limits:
            ours, theirs = getattr(row, side), expected[side][j]
            se = quantile_se(column, alpha)
            tolerance = Z_LIMIT * se * np.sqrt(1.0 + ratio)
            assert abs(ours - theirs) <= tolerance, (name, side, ours, theirs, tolerance)
