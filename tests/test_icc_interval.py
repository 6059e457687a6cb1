"""The ICC's confidence interval (engine.icc_interval) and its requests.

Profile limits were computed in R 4.2.2 with lme4 1.1-31, independently of this engine:
``dev <- lmer(f, d, REML = reml, devFunOnly = TRUE)``, the θ where ``dev(θ)`` exceeds
``dev(θ̂)`` by ``qchisq(0.95, 1)`` found with ``uniroot(tol = 1e-12)`` (lower limit 0
when ``dev(0)`` is within the cutoff), mapped through θ² / (1 + θ²).
Bootstrap limits for Penicillin: ``bootMer(m, shares, nsim = 2000, use.u = FALSE)`` with
``set.seed(20261126)``, percentile 2.5% and 97.5% of each factor's σ²_k / (Σσ² + σ²_ε).
"""

from __future__ import annotations

import pandas as pd
import pytest
from scipy.stats import chi2

from assistant.session import Session
from engine.errors import LmmInputError
from engine.icc_interval import icc_interval
from engine.lmm import fit_lmm
from engine.samples import load_sample
from tests.conftest import find_reference_dir

# (sample or reference file, formula, REML, ICC, lower, upper) from R
R_PROFILE = [
    ("sleepstudy", "Reaction ~ Days + (1|Subject)", True, 0.5893089171, 0.4128461680, 0.7653583122),
    ("sleepstudy", "Reaction ~ Days + (1|Subject)", False, 0.5760288118, 0.4028150125,
     0.7513498505),
    ("pain_trial", "pain_score ~ time + treatment + (1|patient)", True, 0.6436782125,
     0.5403758662, 0.7349076124),
    ("schools", "test_score ~ SES + school_size + (1|school)", True, 0.1627313006, 0.1050187299,
     0.2513029699),
    ("Dyestuff.csv", "Yield ~ 1 + (1|Batch)", True, 0.4184874159, 0.0686137155, 0.8187498658),
    ("Dyestuff2.csv", "Yield ~ 1 + (1|Batch)", True, 0.0, 0.0, 0.3194043288),
]


def _data(source: str) -> pd.DataFrame:
    if source.endswith(".csv"):
        return pd.read_csv(find_reference_dir() / "data" / source)
    return load_sample(source)


@pytest.mark.parametrize("source, formula, reml, icc, lower, upper", R_PROFILE)
def test_profile_limits_equal_lme4s_criterion_roots(source, formula, reml, icc, lower, upper):
    fit = fit_lmm(formula, _data(source), reml=reml)
    result = icc_interval(fit)
    assert result.method == "profile" and result.criterion == ("REML" if reml else "ML")
    (row,) = result.limits
    assert row.estimate == pytest.approx(icc, abs=1e-8)
    assert row.lower == pytest.approx(lower, abs=1e-8)
    assert row.upper == pytest.approx(upper, abs=1e-8)
    assert result.lower_at_zero == (lower == 0.0)


def test_the_criterion_at_each_limit_is_the_cutoff():
    fit = fit_lmm("Reaction ~ Days + (1|Subject)", load_sample("sleepstudy"))
    row = icc_interval(fit, level=0.9).limits[0]
    cutoff = fit.criterion + chi2.ppf(0.9, 1)
    for icc in (row.lower, row.upper):
        theta = (icc / (1 - icc)) ** 0.5
        assert fit.model.deviance([theta], True) == pytest.approx(cutoff, abs=1e-6)


def test_crossed_bootstrap_agrees_with_lme4s_bootmer():
    data = _data("Penicillin.csv")
    fit = fit_lmm("diameter ~ 1 + (1|plate) + (1|sample)", data)
    result = icc_interval(fit, nsim=1000, seed=20261126)
    assert result.method == "bootstrap" and result.n_used == 1000
    limits = {row.group: row for row in result.limits}
    r_limits = {"sample": (0.7854267, 0.3755274, 0.9154251),
                "plate": (0.1509130, 0.05202706, 0.46090885)}
    for group, (estimate, lower, upper) in r_limits.items():
        assert limits[group].estimate == pytest.approx(estimate, abs=1e-6)
        # Monte Carlo error of 1,000 against 2,000 draws from another generator
        assert limits[group].lower == pytest.approx(lower, abs=0.04)
        assert limits[group].upper == pytest.approx(upper, abs=0.04)


def test_bootstrap_of_one_random_intercept_is_close_to_the_profile():
    fit = fit_lmm("pain_score ~ time + treatment + (1|patient)", load_sample("pain_trial"))
    profile = icc_interval(fit).limits[0]
    boot = icc_interval(fit, method="bootstrap", nsim=500).limits[0]
    assert boot.estimate == pytest.approx(profile.estimate, abs=1e-12)
    assert boot.lower == pytest.approx(profile.lower, abs=0.04)
    assert boot.upper == pytest.approx(profile.upper, abs=0.04)


def test_intervals_that_do_not_exist_are_refused_in_one_sentence():
    slopes = fit_lmm("Reaction ~ Days + (Days|Subject)", load_sample("sleepstudy"))
    with pytest.raises(LmmInputError, match="random slopes"):
        icc_interval(slopes)
    crossed = fit_lmm("diameter ~ 1 + (1|plate) + (1|sample)", _data("Penicillin.csv"))
    with pytest.raises(LmmInputError, match="bootstrap interval"):
        icc_interval(crossed, method="profile")
    with pytest.raises(LmmInputError, match="Wald"):
        icc_interval(crossed, method="wald")


@pytest.fixture(scope="module")
def pain(tmp_path_factory) -> Session:
    session = Session(sample="pain_trial", output_dir=tmp_path_factory.mktemp("out"))
    assert session.ask("LMM: pain_score ~ time + treatment + (1 | patient)").ok
    return session


@pytest.mark.parametrize("request_text, level", [
    ("report the intraclass correlation with a confidence interval", 0.95),
    ("what is the ICC with its 90% confidence interval?", 0.90),
    ("confidence interval for the ICC", 0.95),
])
def test_the_requests_give_the_profile_interval(pain, request_text, level):
    answer = pain.ask(request_text)
    assert answer.ok, answer.error
    result = answer.steps[0].result.result
    expected = icc_interval(pain.models[1].fit, level=level)
    assert result.limits == expected.limits and result.level == level
    assert f"ICC = 0.64 ({level:.0%} CI {expected.limits[0].lower:.2f}" in answer.text()


def test_bootstrap_request_and_refusal_leave_the_session_alone(pain):
    answer = pain.ask("bootstrap the ICC with 200 simulations")
    assert answer.ok, answer.error
    result = answer.steps[0].result.result
    assert result.method == "bootstrap" and result.nsim == 200
    models_before = dict(pain.models)
    refused = pain.ask("ICC with Wald CI")
    assert not refused.ok and "Wald" in str(refused.error)
    assert pain.models == models_before
