"""Parametric bootstrap intervals (engine.bootstrap): the simulation, the refit, the
percentile rule and the bookkeeping, each checked on its own."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import engine.bootstrap as bootstrap
from engine.bootstrap import (
    ResponseSimulator,
    minimum_nsim,
    parametric_bootstrap,
    percentile_interval,
    refit_response,
)
from engine.distributions import normal_quantile
from engine.errors import LmmInputError
from engine.lmm import fit_lmm
from engine.model import LmmModel
from engine.samples import load_sample

SLEEP_FORMULA = "Reaction ~ Days + (Days | Subject)"


@pytest.fixture(scope="module")
def sleep_fit():
    return fit_lmm(SLEEP_FORMULA, load_sample("sleepstudy"))


@pytest.fixture(scope="module")
def small_fit():
    """Six groups of four rows with a correlated intercept and slope: a model whose
    marginal covariance is small enough to estimate by simulation."""
    rng = np.random.default_rng(5)
    groups = np.repeat(np.arange(6), 4)
    x = np.tile(np.arange(4.0), 6)
    b0 = rng.normal(0, 2, 6)
    b1 = rng.normal(0, 0.7, 6)
    y = 3 + 0.5 * x + b0[groups] + b1[groups] * x + rng.normal(0, 1, 24)
    frame = pd.DataFrame({"y": y, "x": x, "g": [f"g{k}" for k in groups]})
    return fit_lmm("y ~ x + (x | g)", frame)


def test_same_seed_same_replicates_other_seed_other_draws(sleep_fit):
    first = parametric_bootstrap(sleep_fit, 40, seed=7)
    again = parametric_bootstrap(sleep_fit, 40, seed=7)
    other = parametric_bootstrap(sleep_fit, 40, seed=8)
    assert first.seed == 7 and first.nsim == 40
    np.testing.assert_array_equal(first.replicates, again.replicates)
    assert first.to_dict() == again.to_dict()
    assert not np.allclose(first.replicates, other.replicates)


def test_default_seed_is_recorded(sleep_fit):
    result = parametric_bootstrap(sleep_fit, 40)
    assert result.seed == bootstrap.DEFAULT_SEED
    np.testing.assert_array_equal(
        result.replicates, parametric_bootstrap(sleep_fit, 40, seed=result.seed).replicates
    )


def test_simulated_responses_have_the_model_moments(small_fit):
    """Mean X beta-hat and covariance sigma^2 (Z Lambda Lambda' Z' + I) (use.u = FALSE).

    With N draws the sample covariance's entry (i, j) has standard error
    sqrt((S_ii S_jj + S_ij^2) / N) for normal data; every entry must lie within 5 of them
    (and every mean within 5 standard errors sqrt(S_ii / N)).
    """
    model = small_fit.model
    simulator = ResponseSimulator(small_fit)
    rng = np.random.Generator(np.random.PCG64(11))
    draws = 20_000
    ys = np.array([simulator.draw(rng) for _ in range(draws)])
    lam = model.lambda_of(small_fit.theta).toarray()
    z = model.Z.toarray()
    expected_cov = small_fit.sigma**2 * (z @ lam @ lam.T @ z.T + np.eye(model.n))
    expected_mean = model.X @ small_fit.beta
    variances = np.diag(expected_cov)
    se_cov = np.sqrt((np.outer(variances, variances) + expected_cov**2) / draws)
    assert np.all(np.abs(np.cov(ys, rowvar=False) - expected_cov) < 5 * se_cov)
    assert np.all(np.abs(ys.mean(axis=0) - expected_mean) < 5 * np.sqrt(variances / draws))
    # Observations in different groups are independent; within a group they are not.
    assert expected_cov[0, 4] == 0.0 and expected_cov[0, 1] > 0.0


def _frame_with_response(fit, y):
    frame = fit.data.copy()
    frame[fit.response_name] = y
    return frame


def test_refit_equals_a_fresh_fit_of_the_simulated_response(sleep_fit):
    rng = np.random.Generator(np.random.PCG64(3))
    y = ResponseSimulator(sleep_fit).draw(rng)
    fresh = fit_lmm(SLEEP_FORMULA, _frame_with_response(sleep_fit, y))
    # The same objective: the reused design with y* gives a fresh model's cross-products.
    reused = sleep_fit.model.with_response(y)
    new = LmmModel(fresh.model.X, y, fresh.model.terms)
    for theta in (sleep_fit.theta, fresh.theta, np.array([0.5, -0.1, 0.2])):
        assert reused.deviance(theta) == new.deviance(theta)
    # At the same theta, the same estimates.
    solution = reused.solve(fresh.theta)
    np.testing.assert_allclose(solution.beta, fresh.beta, rtol=1e-10)
    assert np.sqrt(solution.sigma2) == pytest.approx(fresh.sigma, rel=1e-10)
    # Optimised from lme4's start for refits (the original theta-hat), it reaches the same
    # optimum to BOBYQA's tolerance (lme4's xtol_rel = 1e-4 on theta): the criterion to
    # 1e-6, theta to 1e-3 and the other estimates closer still.
    refit = refit_response(sleep_fit, y)
    assert refit.converged
    assert refit.criterion == pytest.approx(fresh.criterion, abs=1e-6)
    np.testing.assert_allclose(refit.theta, fresh.theta, rtol=1e-3, atol=1e-4)
    np.testing.assert_allclose(refit.beta, fresh.beta, rtol=1e-5)
    # Each run stops within its own tolerance of the optimum (the fresh fit's sigma was
    # 9.4e-6 relative short of it, the refit's 1.8e-6), so both sigmas are held to the
    # optimum itself rather than to each other.
    best_criterion, best_sigma = _tight_optimum(reused, refit.theta, True)
    for stop in (fresh, refit):
        assert stop.criterion == pytest.approx(best_criterion, abs=1e-6)
        assert stop.criterion >= best_criterion - 1e-9
        assert stop.sigma == pytest.approx(best_sigma, rel=1e-5)


def _tight_optimum(model: LmmModel, theta0: np.ndarray, reml: bool) -> tuple[float, float]:
    """(criterion, sigma) at the profiled deviance's minimum found far past BOBYQA's
    stopping rule: L-BFGS-B on the analytic gradient with a tiny projected-gradient
    tolerance."""
    from scipy.optimize import minimize

    bounds = [(lo, None) if np.isfinite(lo) else (None, None) for lo in model.theta_lower]
    result = minimize(
        lambda th: model.deviance_and_gradient(th, reml),
        theta0,
        jac=True,
        method="L-BFGS-B",
        bounds=bounds,
        options={"ftol": 1e-15, "gtol": 1e-9, "maxiter": 1000},
    )
    return float(result.fun), float(np.sqrt(model.solve(result.x, reml).sigma2))


def test_refit_keeps_the_criterion_of_the_fit(sleep_fit):
    ml_fit = sleep_fit.refit(reml=False)
    y = ResponseSimulator(ml_fit).draw(np.random.Generator(np.random.PCG64(4)))
    fresh = fit_lmm(SLEEP_FORMULA, _frame_with_response(ml_fit, y), reml=False)
    refit = refit_response(ml_fit, y)
    assert refit.criterion == pytest.approx(fresh.criterion, abs=1e-6)
    # The fresh fit and the refit start from different points, so BOBYQA stops each
    # within its own tolerance of the optimum (on one CPU the fresh fit's sigma was
    # 1.07e-5 relative short of it). Both are held to the optimum itself.
    best_criterion, best_sigma = _tight_optimum(ml_fit.model.with_response(y), refit.theta, False)
    for stop in (fresh.criterion, refit.criterion):
        assert stop == pytest.approx(best_criterion, abs=1e-6)
        assert stop >= best_criterion - 1e-9
    assert refit.sigma == pytest.approx(best_sigma, rel=1e-5)
    # The REML fit's refit of the same response is a REML fit.
    fresh_reml = fit_lmm(SLEEP_FORMULA, _frame_with_response(ml_fit, y))
    reml = refit_response(sleep_fit, y)
    assert reml.criterion == pytest.approx(fresh_reml.criterion, abs=1e-6)
    assert abs(reml.criterion - refit.criterion) > 1.0


@pytest.mark.parametrize("optimizer", ["l-bfgs-b", "nelder-mead"])
def test_refit_uses_the_fit_optimizer(sleep_fit, optimizer):
    other = sleep_fit.refit(optimizer=optimizer)
    y = ResponseSimulator(other).draw(np.random.Generator(np.random.PCG64(6)))
    fresh = fit_lmm(SLEEP_FORMULA, _frame_with_response(other, y), optimizer=optimizer)
    refit = refit_response(other, y)
    assert refit.converged
    assert refit.criterion == pytest.approx(fresh.criterion, abs=1e-5)


def test_with_response_rejects_a_wrong_length(sleep_fit):
    with pytest.raises(LmmInputError, match="179 values but the model has 180 rows"):
        sleep_fit.model.with_response(np.zeros(179))


def _norm_inter(sorted_values: np.ndarray, alpha: float) -> float:
    """boot's norm.inter, written from its definition for the checks below."""
    r = sorted_values.size
    rank = (r + 1) * alpha
    k = int(rank)
    if k == rank:
        return float(sorted_values[k - 1])
    z = normal_quantile(np.array([alpha, k / (r + 1), (k + 1) / (r + 1)]))
    weight = (z[0] - z[1]) / (z[2] - z[1])
    return float(sorted_values[k - 1] + weight * (sorted_values[k] - sorted_values[k - 1]))


def test_percentile_interval_is_boots_rule():
    values = np.random.default_rng(2).gamma(2.0, size=199)
    # (199 + 1) * 0.025 = 5 (up to rounding, which boot does not remove either): the 5th
    # and 195th order statistics.
    ordered = np.sort(values)
    lower, upper = percentile_interval(values, 0.95)
    assert lower == pytest.approx(ordered[4], rel=1e-12)
    assert upper == pytest.approx(ordered[194], rel=1e-12)
    exact = np.arange(1.0, 20.0)  # (19 + 1) * 0.25 = 5 and (19 + 1) * 0.75 = 15 exactly
    assert percentile_interval(exact, 0.5) == (5.0, 15.0)
    # With 99 values the ranks are 2.5 and 97.5: interpolated on the normal scale.
    short = values[:99]
    lower, upper = percentile_interval(short, 0.95)
    s = np.sort(short)
    assert lower == pytest.approx(_norm_inter(s, 0.025), rel=1e-14)
    assert upper == pytest.approx(_norm_inter(s, 0.975), rel=1e-14)
    assert s[1] < lower < s[2] and s[96] < upper < s[97]
    # Non-finite values (failed refits) are left out, as boot does.
    with_nan = np.concatenate([values, [np.nan, np.inf]])
    assert percentile_interval(with_nan, 0.95) == percentile_interval(values, 0.95)


def test_failed_refits_are_counted_and_left_out(sleep_fit, monkeypatch):
    calls = {"n": 0}
    original = bootstrap.refit_response

    def every_fourth_fails(fit, y):
        calls["n"] += 1
        if calls["n"] % 4 == 0:
            raise LmmInputError("could not be evaluated")
        return original(fit, y)

    monkeypatch.setattr(bootstrap, "refit_response", every_fourth_fails)
    result = parametric_bootstrap(sleep_fit, 60, seed=2)
    assert result.n_failed == 15
    assert np.isnan(result.replicates[3::4]).all()
    assert all(row.n_used == 45 for row in result.intervals)
    kept = result.replicates[np.isfinite(result.replicates[:, 0])]
    days = result.interval("Days")
    assert (days.lower, days.upper) == percentile_interval(kept[:, -1], 0.95)


def test_rows_names_estimates_and_counts(sleep_fit):
    result = parametric_bootstrap(sleep_fit, 80, seed=5, level=0.9)
    assert result.parameters == [
        "sd_(Intercept)|Subject",
        "cor_Days.(Intercept)|Subject",
        "sd_Days|Subject",
        "sigma",
        "(Intercept)",
        "Days",
    ]
    assert [row.kind for row in result.intervals] == ["sd", "cor", "sd", "sigma", "fixed",
                                                     "fixed"]
    vc = {(v.var1, v.var2): v.sdcor for v in sleep_fit.variance_components}
    assert result.interval("sd_Days|Subject").estimate == pytest.approx(vc[("Days", None)])
    assert result.interval("cor_Days.(Intercept)|Subject").estimate == pytest.approx(
        vc[("(Intercept)", "Days")])
    assert result.interval("sigma").estimate == pytest.approx(sleep_fit.sigma)
    assert result.interval("Days").estimate == pytest.approx(sleep_fit.beta[1])
    for row in result.intervals:
        assert row.lower < row.upper
    assert result.n_failed == 0
    assert 0 <= result.n_singular < 80
    data = result.to_dict()
    assert data["kind"] == "bootstrap_confint" and data["level"] == 0.9
    assert [row["parameter"] for row in data["intervals"]] == result.parameters


def test_bad_requests_are_one_sentence(sleep_fit):
    assert minimum_nsim(0.95) == 39
    assert minimum_nsim(0.9) == 19
    with pytest.raises(LmmInputError, match="needs between 39 and"):
        parametric_bootstrap(sleep_fit, 10)
    with pytest.raises(LmmInputError, match="between 0 and 1"):
        parametric_bootstrap(sleep_fit, 100, level=1.5)
    with pytest.raises(LmmInputError, match="seed"):
        parametric_bootstrap(sleep_fit, 100, seed=-1)


def test_a_bootstrap_beyond_the_time_budget_is_declined(sleep_fit, monkeypatch):
    monkeypatch.setattr(bootstrap, "TIME_BUDGET_SECONDS", 1e-6)
    with pytest.raises(LmmInputError, match="use profile or Wald intervals instead"):
        parametric_bootstrap(sleep_fit, 500)
    # A budget of 100 refits' time (whatever a refit takes here) allows about 100.
    monkeypatch.setattr(bootstrap, "TIME_BUDGET_SECONDS", 1e9)
    monkeypatch.setattr(bootstrap, "_check_time_budget", _budget_of_100(bootstrap))
    with pytest.raises(LmmInputError, match="ask for at most 100 simulations"):
        parametric_bootstrap(sleep_fit, 500)


def _budget_of_100(module):
    check = module._check_time_budget

    def scaled(per_refit, nsim, level):
        module.TIME_BUDGET_SECONDS = 100.5 * per_refit
        check(per_refit, nsim, level)

    return scaled


class _Clock:
    """A perf_counter that advances one second per reading: a refit, timed by the two
    readings around it, takes 1 s."""

    def __init__(self):
        self.now = 0.0

    def perf_counter(self):
        self.now += 1.0
        return self.now


def test_a_first_refit_far_beyond_the_budget_declines_at_once(sleep_fit, monkeypatch):
    refits = []
    replicate = bootstrap._replicate

    def counted(fit, y):
        refits.append(1)
        return replicate(fit, y)

    monkeypatch.setattr(bootstrap, "_replicate", counted)
    monkeypatch.setattr(bootstrap, "time", _Clock())
    # 100 refits of 1 s against a budget of 20 s: beyond three budgets after one refit
    monkeypatch.setattr(bootstrap, "TIME_BUDGET_SECONDS", 20.0)
    with pytest.raises(LmmInputError, match=r"about 2 minutes \(1000 ms per refit\); use "
                                            "profile or Wald intervals instead"):
        parametric_bootstrap(sleep_fit, 100)
    assert len(refits) == 1
    # against 50 s, within three budgets: the usual three timed refits, then 'at most 50'
    refits.clear()
    monkeypatch.setattr(bootstrap, "TIME_BUDGET_SECONDS", 50.0)
    with pytest.raises(LmmInputError, match="ask for at most 50 simulations"):
        parametric_bootstrap(sleep_fit, 100)
    assert len(refits) == bootstrap.TIMED_REFITS == 3
