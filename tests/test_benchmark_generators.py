"""Shapes of the benchmark data generators (no timing here; timing is `make bench`)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from benchmarks.cases import (
    find_reference_dir,
    make_insteval_like,
    make_random_slope,
    reference_cases,
)
from benchmarks.lme4_runner import parse_output
from benchmarks.statsmodels_runner import statsmodels_spec


@pytest.fixture(scope="module")
def insteval() -> pd.DataFrame:
    return make_insteval_like()


def test_insteval_like_has_instevals_shape(insteval: pd.DataFrame) -> None:
    assert insteval.shape == (73_421, 5)
    assert insteval["s"].nunique() == 2_972
    assert insteval["d"].nunique() == 1_128
    assert insteval["dept"].nunique() == 14
    assert insteval["service"].nunique() == 2
    assert insteval.groupby(["dept", "service"], observed=True).ngroups == 28
    assert not insteval.isna().any().any()


def test_insteval_like_lecturers_are_nested_in_departments(insteval: pd.DataFrame) -> None:
    assert insteval.groupby("d", observed=True)["dept"].nunique().max() == 1


def test_insteval_like_lecturer_block_is_about_one_fifth_filled(insteval: pd.DataFrame) -> None:
    """The d-by-d pattern of Zd'Zs Zs'Zd: about 20% non-zero, as for the real InstEval."""
    incidence = sp.csr_matrix(
        (np.ones(len(insteval)), (insteval["d"].cat.codes, insteval["s"].cat.codes))
    )
    incidence.data[:] = 1.0
    fill = (incidence @ incidence.T).nnz / 1_128**2
    assert 0.12 < fill < 0.30


def test_insteval_like_response_scale(insteval: pd.DataFrame) -> None:
    service_share = (insteval["service"] == "1").mean()
    assert 0.41 < service_share < 0.45
    assert abs(insteval["y"].mean() - (3.2 - 0.07 * service_share)) < 0.2
    # total variance 0.105 + 0.262 + 0.0117 + 1.385 = 1.764, up to sampling noise
    assert 1.4 < insteval["y"].var() < 2.2


def test_insteval_like_is_deterministic_per_seed() -> None:
    small = {"n_rows": 3_000, "n_students": 300, "n_lecturers": 100, "n_depts": 5}
    first = make_insteval_like(seed=7, **small)
    again = make_insteval_like(seed=7, **small)
    other = make_insteval_like(seed=8, **small)
    pd.testing.assert_frame_equal(first, again)
    assert not np.allclose(first["y"], other["y"])
    assert first["d"].nunique() == 100 and first["s"].nunique() == 300


def test_random_slope_default_is_a_million_rows_in_groups_of_eight() -> None:
    data = make_random_slope()
    assert data.shape == (1_000_000, 3)
    sizes = np.bincount(data["g"].cat.codes)
    assert len(sizes) == 125_000
    assert (sizes == 8).all()


def test_random_slope_moments_match_its_parameters() -> None:
    data = make_random_slope(seed=3, n_groups=4_000, per_group=8)
    slope = np.polyfit(data["x"], data["y"], 1)[0]
    assert abs(slope - 2.0) < 0.05
    # Var(y) = 1 (intercept) + 0.25·E[x²] + 4·Var(x) + 1 (residual) ≈ 6.25
    assert 5.8 < data["y"].var() < 6.7
    pd.testing.assert_frame_equal(data, make_random_slope(seed=3, n_groups=4_000, per_group=8))


@pytest.mark.skipif(find_reference_dir() is None, reason="shared reference data not found")
def test_reference_cases_load_every_listed_case_with_factor_groups() -> None:
    cases = reference_cases()
    listed = pd.read_csv(find_reference_dir() / "cases.tsv", sep="\t")
    assert [c.name for c in cases] == list(listed["case"])
    sleep = next(c for c in cases if c.name == "sleepstudy_slope")
    assert sleep.nobs == 180 and "Subject" in sleep.factor_columns
    assert sleep.reference_criterion == pytest.approx(1743.62827195995)
    assert not next(c for c in cases if c.name == "sleepstudy_slope_ml").reml


def test_statsmodels_translation_of_crossed_nested_and_double_bar_terms() -> None:
    data = make_insteval_like(seed=1, n_rows=2_000, n_students=100, n_lecturers=40, n_depts=4)
    crossed = statsmodels_spec("y ~ service + (1 | s) + (1 | d) + (1 | dept:service)", data)
    assert crossed.groups == "grp_all" and crossed.re_formula == "0"
    assert set(crossed.vc_formula) == {"s", "d", "dept:service"}
    nested = statsmodels_spec("y ~ 1 + (1 | dept) + (1 | d)", data)
    assert nested.groups == "grp_dept" and set(nested.vc_formula) == {"d"}
    slope = statsmodels_spec("y ~ x + (x || g)", make_random_slope(n_groups=10))
    assert slope.re_formula == "0" and sorted(slope.vc_formula.values()) == ["0 + x", "1"]


def test_lme4_output_is_parsed() -> None:
    text = "times=0.5,0.25,0.75\ncriterion=1743.6\ntheta=0.9,0.01\nfeval=31\nwarnings=0\n"
    parsed = parse_output(text)
    assert parsed.median == 0.5
    assert parsed.criterion == 1743.6 and parsed.theta == [0.9, 0.01]
    assert parsed.evaluations == 31 and parsed.warnings == 0


def test_breakdown_times_the_same_optimization_as_the_fit() -> None:
    """The breakdown's optimization (BOBYQA from lme4's start, then the finite-difference
    gradient) is the fit's: the same optimum and the same number of evaluations."""
    from benchmarks.breakdown import breakdown
    from engine import fit_lmm
    from engine.optimize import minimize
    from engine.profiled_deviance import deviance_function
    from engine.start import lme4_start

    for case in reference_cases():
        if case.name not in ("dyestuff", "sleepstudy_slope"):
            continue
        fit = fit_lmm(case.formula, case.data, reml=case.reml, ddf="residual")
        model = fit.model
        alone = minimize(deviance_function(model, case.reml), lme4_start(model), model.theta_lower)
        assert alone.evaluations == fit.opt.evaluations
        assert alone.fmin == pytest.approx(fit.criterion, abs=1e-12)
        np.testing.assert_allclose(alone.final, fit.theta, atol=1e-12)
        timing = breakdown(case)
        assert timing.evaluations == fit.opt.evaluations + 2 * model.n_theta
        assert 0 < timing.optimization_ms and 0 < timing.nlopt_overhead_ms


def test_memory_probe_reads_its_own_peak_not_the_parents() -> None:
    """A child started while this process holds 400 MiB must not report that 400 MiB."""
    import subprocess
    import sys

    held = np.ones(50_000_000)  # 381 MiB resident in this (parent) process
    code = "from benchmarks.memory_probe import _peak_rss_bytes; print(_peak_rss_bytes())"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, cwd=Path(__file__).resolve().parents[1])
    child_peak_mib = int(done.stdout) / 1024**2
    assert held.sum() == 50_000_000
    assert 5 < child_peak_mib < 200
