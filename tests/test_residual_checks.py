"""The stated rules of engine.residual_checks, on residuals with known shapes."""

from dataclasses import dataclass

import numpy as np
import pytest
from scipy import stats

from engine.residual_checks import (
    FUNNEL_SD_RATIO,
    NORMAL_TAIL_SHARE,
    bonferroni_z,
    check_residual_arrays,
    extreme_levels,
)


@dataclass
class Blup:
    group: str
    term: str
    level: str
    value: float
    cond_sd: float = 1.0


def test_normal_residuals_raise_no_finding():
    rng = np.random.default_rng(1)
    fitted = rng.uniform(0, 10, 600)
    checks = check_residual_arrays(rng.normal(0, 2, 600), fitted, 2.0)
    assert checks.findings == ()
    assert 1 / FUNNEL_SD_RATIO < checks.sd_ratio_top_bottom < FUNNEL_SD_RATIO
    assert checks.expected_beyond_3 == pytest.approx(600 * 0.0026998, rel=1e-4)


def test_spread_growing_with_the_mean_is_a_funnel():
    rng = np.random.default_rng(2)
    fitted = rng.uniform(1, 10, 300)
    resid = rng.normal(0, 1, 300) * fitted
    checks = check_residual_arrays(resid, fitted, float(np.std(resid)))
    funnel = [f for f in checks.findings if f.code == "funnel"]
    assert len(funnel) == 1 and funnel[0].values["direction"] == 1.0
    order = np.argsort(fitted)
    expected = np.std(resid[order[-100:]], ddof=1) / np.std(resid[order[:100]], ddof=1)
    assert checks.sd_ratio_top_bottom == pytest.approx(expected, rel=1e-12)
    rho = stats.spearmanr(np.abs(resid), fitted)[0]
    assert checks.spearman_abs_resid_fitted == pytest.approx(rho, rel=1e-12)


def test_spread_shrinking_with_the_mean_is_a_reverse_funnel():
    rng = np.random.default_rng(3)
    fitted = rng.uniform(1, 10, 300)
    resid = rng.normal(0, 1, 300) / fitted
    checks = check_residual_arrays(resid, fitted, float(np.std(resid)))
    funnel = [f for f in checks.findings if f.code == "funnel"]
    assert len(funnel) == 1 and funnel[0].values["direction"] == -1.0


def test_t3_residuals_have_heavy_tails():
    rng = np.random.default_rng(4)
    resid = stats.t.rvs(3, size=800, random_state=rng)
    checks = check_residual_arrays(resid, rng.uniform(0, 1, 800), 1.0)
    assert "heavy_tails" in checks.codes
    assert checks.excess_kurtosis == pytest.approx(stats.kurtosis(resid, bias=False), rel=1e-12)
    assert checks.n_beyond_3 == int(np.sum(np.abs(resid) > 3))
    assert checks.n_beyond_3 > stats.binom.ppf(0.99, 800, NORMAL_TAIL_SHARE)


def test_one_wild_observation_is_named_by_its_row():
    rng = np.random.default_rng(5)
    resid = rng.normal(0, 1, 200)
    resid[17] = 8.0
    checks = check_residual_arrays(resid, rng.uniform(0, 1, 200), 1.0)
    outlying = [f for f in checks.findings if f.code == "outlying_observations"]
    assert outlying[0].rows == (17,)
    assert checks.outlier_threshold == pytest.approx(stats.norm.isf(0.025 / 200))


def test_bonferroni_bound_never_drops_below_three():
    assert bonferroni_z(18) == 3.0
    assert bonferroni_z(5000) == pytest.approx(stats.norm.isf(0.05 / 10000))


def test_one_far_level_among_normal_blups_is_extreme():
    rng = np.random.default_rng(6)
    values = list(rng.normal(0, 1, 40)) + [10.0]
    blups = [Blup("school", "(Intercept)", f"s{i}", v) for i, v in enumerate(values)]
    found = extreme_levels(blups)
    assert len(found) == 1
    assert found[0].levels == ("s40",)
    assert found[0].values["sd_unflagged"] == pytest.approx(np.std(values[:40], ddof=1))


def test_a_cluster_of_high_levels_does_not_hide_behind_its_own_spread():
    rng = np.random.default_rng(7)
    values = list(rng.normal(0, 1, 74)) + [5.0, 5.5, 6.0, 6.5, 7.0, 7.5]
    blups = [Blup("patient", "(Intercept)", f"p{i}", v) for i, v in enumerate(values)]
    plain_z = np.abs(values) / np.std(values, ddof=1)
    assert np.sum(plain_z > bonferroni_z(80)) < 5  # one pass of the plain SD misses most
    (found,) = extreme_levels(blups)
    assert set(found.levels) == {f"p{i}" for i in range(74, 80)}


def test_few_levels_are_never_called_extreme():
    blups = [Blup("g", "(Intercept)", str(i), v) for i, v in enumerate([0, 0, 0, 50.0])]
    assert extreme_levels(blups) == ()


def test_normal_blups_rarely_flag_any_level():
    rng = np.random.default_rng(8)
    flagged = 0
    for _ in range(400):
        values = rng.normal(0, 1, 40)
        blups = [Blup("g", "(Intercept)", str(i), v) for i, v in enumerate(values)]
        flagged += bool(extreme_levels(blups))
    assert flagged / 400 < 0.06
