"""engine.distributions against closed forms and against scipy.stats on a grid."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from engine.distributions import (
    chi2_upper,
    f_upper,
    normal_quantile,
    t_quantile,
    t_two_sided_p,
)

RNG = np.random.default_rng(20261126)
X = RNG.exponential(4.0, 300)
DF1 = RNG.uniform(0.3, 60.0, 300)
DF2 = RNG.uniform(0.5, 5000.0, 300)
T = RNG.normal(0.0, 5.0, 300)


def test_closed_forms() -> None:
    # chi-squared with 2 df is exponential with mean 2
    assert chi2_upper(3.0, 2) == pytest.approx(np.exp(-1.5), rel=1e-14)
    # t with 1 df is Cauchy: P(|T| > t) = 1 - 2 atan(t) / pi
    assert t_two_sided_p(2.5, 1) == pytest.approx(1 - 2 * np.arctan(2.5) / np.pi, rel=1e-13)
    # F(1, nu) is the square of t(nu)
    assert f_upper(2.3**2, 1, 7.5) == pytest.approx(t_two_sided_p(2.3, 7.5), rel=1e-12)
    # R: qnorm(0.975), qt(0.975, 10)
    assert normal_quantile(0.975) == pytest.approx(1.959963984540054, rel=1e-15)
    assert t_quantile(0.975, 10) == pytest.approx(2.228138851986274, rel=1e-13)


def test_same_values_as_scipy_stats() -> None:
    np.testing.assert_allclose(chi2_upper(X, DF1), stats.chi2.sf(X, DF1), rtol=1e-13)
    np.testing.assert_allclose(f_upper(X, DF1, DF2), stats.f.sf(X, DF1, DF2), rtol=1e-13)
    np.testing.assert_allclose(
        t_two_sided_p(T, DF2), 2 * stats.t.sf(np.abs(T), DF2), rtol=1e-13
    )
    probs = RNG.uniform(0.01, 0.99, 300)
    np.testing.assert_allclose(t_quantile(probs, DF1), stats.t.ppf(probs, DF1), rtol=1e-12)


def test_tiny_p_values_keep_precision() -> None:
    # lower tail computed directly: no 1 - (1 - p) cancellation
    assert t_two_sided_p(40.0, 30) == pytest.approx(2 * stats.t.sf(40.0, 30), rel=1e-12)
    assert 0 < t_two_sided_p(40.0, 30) < 1e-25


def test_infinite_df_is_the_normal_or_chi_squared_limit() -> None:
    assert t_two_sided_p(1.959963984540054, np.inf) == pytest.approx(0.05, rel=1e-12)
    assert t_quantile(0.975, np.inf) == pytest.approx(1.959963984540054, rel=1e-15)
    assert f_upper(2.0, 3, np.inf) == pytest.approx(stats.chi2.sf(6.0, 3), rel=1e-13)


def test_edges_follow_r() -> None:
    assert chi2_upper(-1e-9, 1) == 1.0
    assert chi2_upper(0.0, 3) == 1.0
    assert f_upper(-0.1, 1, 4) == 1.0
    assert np.isnan(chi2_upper(2.0, 0))
    assert np.isnan(f_upper(2.0, 0, 5))
    assert np.isnan(t_two_sided_p(1.0, -2.0))


def test_scalars_in_scalars_out_arrays_in_arrays_out() -> None:
    assert isinstance(chi2_upper(3.0, 1), float)
    assert isinstance(t_quantile(0.9, 4.0), float)
    out = t_two_sided_p(np.array([1.0, 2.0]), 5.0)
    assert out.shape == (2,)
