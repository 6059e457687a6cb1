"""The residuals' autocorrelation within subjects (engine.residual_autocorrelation):
the observed ACF against nlme's ACF for the same models (tests/data/residual_acf_nlme),
the model-implied ACF against a dense computation of the residuals' covariance, and the
request that asks for it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from assistant.session import Session
from engine import fit_lmm
from engine.residual_autocorrelation import default_max_lag, residual_autocorrelation
from engine.samples import load_sample
from grammar import parse
from tests.conftest import ask_ok

NLME = Path(__file__).parent / "data" / "residual_acf_nlme" / "acf.out"
CASES = {
    "sleepstudy_slope": ("Reaction ~ Days + (Days | Subject)", "sleepstudy", "Subject", "Days"),
    "sleepstudy_intercept": ("Reaction ~ Days + (1 | Subject)", "sleepstudy", "Subject", "Days"),
    "pain_intercept": ("pain_score ~ time + treatment + (1 | patient)", "pain_trial", "patient",
                       "time"),
}


def _nlme() -> dict[str, list[float]]:
    rows = (line.split() for line in NLME.read_text().splitlines() if line.strip())
    return {row[0]: [float(v) for v in row[1:]] for row in rows}


@pytest.mark.parametrize("case", CASES)
def test_observed_acf_equals_nlme(case):
    formula, sample, group, time = CASES[case]
    result = residual_autocorrelation(fit_lmm(formula, load_sample(sample)), group, time)
    expected = _nlme()[case]
    # nlme's lme and our lmer-style fit stop at the same REML optimum to about 1e-6
    np.testing.assert_allclose([lag.autocorrelation for lag in result.lags], expected,
                               atol=2e-5)
    assert [lag.lag for lag in result.lags] == list(range(len(expected)))


def test_pairs_and_band():
    fit = fit_lmm(*CASES["pain_intercept"][:1], load_sample("pain_trial"))
    result = residual_autocorrelation(fit, "patient", "time")
    assert [lag.pairs for lag in result.lags] == [int(v) for v in _nlme()["pain_lag_counts"]]
    for lag in result.lags:
        assert lag.bound == pytest.approx(1.959963984540054 / np.sqrt(lag.pairs), rel=1e-12)
    assert not result.equally_spaced
    data = load_sample("pain_trial").dropna(subset=["pain_score"])
    seen = data.groupby("patient")["time"].apply(lambda t: set(t))
    points = sorted(data["time"].unique())
    gaps = sum(1 for s in seen if {p for p in points if min(s) <= p <= max(s)} - s)
    assert result.subjects_with_gaps == gaps == 20


def test_default_max_lag_is_ten_log10():
    assert default_max_lag(10) == 9     # sleepstudy: 10 days, all nine lags
    assert default_max_lag(4) == 3
    assert default_max_lag(101) == 20   # 10 * log10(101) = 20.04


@pytest.mark.parametrize("case", ["sleepstudy_slope", "pain_intercept"])
def test_model_implied_acf_is_the_residual_covariance_ratio(case):
    formula, sample, group, time = CASES[case]
    fit = fit_lmm(formula, load_sample(sample))
    model = fit.model
    w = (model.Z @ model.lambda_of(np.asarray(fit.theta))).toarray()
    v_star = np.eye(model.n) + w @ w.T
    v_inv = np.linalg.inv(v_star)
    x = model.X
    # the conditional residuals are V*^-1 (y - X beta): the identity the benchmark rests on
    np.testing.assert_allclose(fit.residuals(), v_inv @ (model.y - x @ fit.beta), atol=1e-8)
    p = v_inv - v_inv @ x @ np.linalg.inv(x.T @ v_inv @ x) @ x.T @ v_inv
    data = fit.data
    order = np.lexsort((data[time].to_numpy(float), data[group].astype(str).to_numpy()))
    groups = data[group].astype(str).to_numpy()[order]
    result = residual_autocorrelation(fit, group, time)
    means = []
    for k in range(len(result.lags)):
        same = groups[k:] == groups[: groups.size - k]
        values = p[order[k:], order[: order.size - k]][same] if k else np.diag(p)
        means.append(values.mean())
    np.testing.assert_allclose([lag.model_implied for lag in result.lags],
                               np.array(means) / means[0], rtol=1e-9, atol=1e-12)


def test_crossed_model_has_no_benchmark():
    data = load_sample("sleepstudy").assign(week=lambda d: (d["Days"] // 5).astype(str))
    fit = fit_lmm("Reaction ~ Days + (1 | Subject) + (1 | week)", data)
    result = residual_autocorrelation(fit, "Subject", "Days")
    assert all(lag.model_implied is None for lag in result.lags)


@pytest.mark.parametrize(
    "request_text",
    ["is there autocorrelation in the residuals?", "are the residuals autocorrelated?",
     "check for serial correlation", "show the ACF of the residuals"],
)
def test_requests_reach_the_acf(request_text):
    assert [s.kind for s in parse(request_text).steps] == ["residual_autocorrelation"]


def test_sleepstudy_answer(tmp_path):
    session = Session(sample="sleepstudy", output_dir=tmp_path)
    ask_ok(session, "fit Reaction ~ Days + (1 | Subject)")
    answer = ask_ok(session, "is there autocorrelation in the residuals?")
    (result,) = [r for r in answer.to_json() if r.get("kind") == "residual_autocorrelation"]
    lag1 = result["lags"][1]
    assert lag1["autocorrelation"] == pytest.approx(_nlme()["sleepstudy_intercept"][1], abs=2e-5)
    text = answer.text()
    assert "correlate at 0.38, while the fitted model implies −0.11" in text
    assert "add a random slope for Days" in text
    slope = ask_ok(session, "add a random slope for Days")
    assert slope.ok
    again = ask_ok(session, "is there autocorrelation in the residuals?").text()
    assert "correlate at 0.12, while the fitted model implies −0.17" in again
    assert "add a random slope" not in again
