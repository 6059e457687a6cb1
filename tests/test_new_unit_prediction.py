"""Prediction intervals for a new unit (engine.new_unit_prediction): the closed form
x'β̂ ± z √(x'Var(β̂)x + z'Σz [+ σ²]) with lme4's VarCorr from the shared reference, the
coverage of the interval for a new subject's measurement in simulated data sets, and the
requests that ask for it."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from engine.lmm import fit_lmm
from engine.new_unit_prediction import between_unit_variance, new_unit_intervals
from engine.predict import population_predictions
from engine.samples import load_sample
from grammar.parse import parse
from tests.conftest import ask_ok

Z975 = 1.959963984540054


def _reference(reference_dir, case: str) -> dict:
    return json.loads((reference_dir / "cases" / f"{case}.json").read_text())


def _varcorr(reference: dict) -> dict[tuple[str, str, str | None], float]:
    return {(row["grp"], row.get("var1"), row.get("var2")): row["vcov"]
            for row in reference["varcorr"]}


def test_sleepstudy_new_subject_at_day_10_is_the_closed_form_with_lme4_varcorr(reference_dir):
    reference = _reference(reference_dir, "sleepstudy_slope")
    vc = _varcorr(reference)
    fit = fit_lmm("Reaction ~ Days + (Days | Subject)", load_sample("sleepstudy"))
    intervals = new_unit_intervals(fit, population_predictions(fit, at={"Days": 10}), "subject")
    row = intervals.frame.iloc[0]
    # z = (1, 10): Var(b0) + 2 * 10 * Cov(b0, b1) + 100 * Var(b1), lme4's VarCorr
    between = (vc[("Subject", "(Intercept)", None)] + 20 * vc[("Subject", "(Intercept)", "Days")]
               + 100 * vc[("Subject", "Days", None)])
    residual = vc[("Residual", None, None)]
    x = np.array([1.0, 10.0])
    se2 = float(x @ fit.vcov_beta @ x)
    estimate = float(x @ fit.beta)
    assert row["estimate"] == pytest.approx(estimate, rel=1e-12)
    assert row["sd_between"] ** 2 == pytest.approx(between, rel=1e-5)
    assert row["sd_unit_mean"] ** 2 == pytest.approx(se2 + between, rel=1e-5)
    assert row["sd_observation"] ** 2 == pytest.approx(se2 + between + residual, rel=1e-5)
    assert row["observation_lower"] == pytest.approx(
        estimate - Z975 * np.sqrt(se2 + between + residual), rel=1e-6)
    assert row["unit_upper"] == pytest.approx(estimate + Z975 * np.sqrt(se2 + between), rel=1e-6)
    # lme4's numbers: Var = 612.10 + 192.09 + 3507.17 = 4311.36 between subjects
    assert row["sd_between"] == pytest.approx(65.6609, abs=1e-3)
    assert intervals.groups == ("Subject",)


def test_uncorrelated_terms_add_their_variances(reference_dir):
    vc = _varcorr(_reference(reference_dir, "sleepstudy_uncorrelated"))
    fit = fit_lmm("Reaction ~ Days + (Days || Subject)", load_sample("sleepstudy"))
    grid = pd.DataFrame({"Days": [0.0, 4.0, 9.0]})
    between = between_unit_variance(fit, grid)
    var0 = next(v for (g, a, b), v in vc.items() if a == "(Intercept)" and b is None
                and g.startswith("Subject"))
    var1 = next(v for (g, a, b), v in vc.items() if a == "Days" and b is None)
    assert between == pytest.approx(var0 + np.array([0.0, 16.0, 81.0]) * var1, rel=1e-5)


def test_crossed_factors_draw_both_random_effects_afresh(reference_dir):
    vc = _varcorr(_reference(reference_dir, "penicillin_crossed"))
    data = pd.read_csv(reference_dir / "data" / "Penicillin.csv")
    fit = fit_lmm("diameter ~ 1 + (1 | plate) + (1 | sample)", data)
    intervals = new_unit_intervals(fit, population_predictions(fit, at={}))
    row = intervals.frame.iloc[0]
    between = vc[("plate", "(Intercept)", None)] + vc[("sample", "(Intercept)", None)]
    assert row["sd_between"] ** 2 == pytest.approx(between, rel=1e-5)
    assert set(intervals.groups) == {"plate", "sample"}


def test_new_subject_interval_covers_new_subjects_in_simulated_data():
    """A frequentist check of the whole interval: data from a known random-slope model,
    the interval for one measurement of a new subject at t = 4, and that subject drawn
    from the same model. The plug-in interval should cover close to 95% (a little less,
    as the variances are estimated); leaving out z'Σz gives 58% on these draws (93% with it)."""
    rng = np.random.default_rng(20261127)
    n_groups, times = 30, np.arange(5.0)
    beta, sd_int, sd_slope, rho, sigma = (20.0, 1.5), 3.0, 1.0, 0.3, 2.0
    cov = np.array([[sd_int**2, rho * sd_int * sd_slope], [rho * sd_int * sd_slope, sd_slope**2]])
    covered, reps = 0, 300
    for _ in range(reps):
        b = rng.multivariate_normal([0.0, 0.0], cov, size=n_groups)
        g = np.repeat(np.arange(n_groups), times.size)
        t = np.tile(times, n_groups)
        y = beta[0] + b[g, 0] + (beta[1] + b[g, 1]) * t + rng.normal(0, sigma, t.size)
        data = pd.DataFrame({"y": y, "t": t, "g": [f"G{k:02d}" for k in g]})
        fit = fit_lmm("y ~ t + (1 + t | g)", data, ddf="residual")
        row = new_unit_intervals(fit, population_predictions(fit, at={"t": 4})).frame.iloc[0]
        new_b = rng.multivariate_normal([0.0, 0.0], cov)
        new_y = beta[0] + new_b[0] + (beta[1] + new_b[1]) * 4 + rng.normal(0, sigma)
        covered += row["observation_lower"] <= new_y <= row["observation_upper"]
    assert 0.90 <= covered / reps <= 0.985


@pytest.mark.parametrize(("request_text", "unit", "level"), [
    ("predict Reaction at Days = 10 for a new subject", "subject", None),
    ("prediction interval for a new Subject", "Subject", None),
    ("90% prediction interval at Days = 5", None, 0.9),
    ("show the prediction intervals for an unseen subject", "subject", None),
])
def test_requests_ask_for_new_unit_intervals(request_text, unit, level):
    (step,) = parse(request_text, columns=("Reaction", "Days", "Subject")).to_dict()["steps"]
    assert step["kind"] == "predict" and step["new_unit"] is True
    assert step["unit"] == unit and step["level"] == level


def test_an_average_subject_stays_the_population_prediction():
    (step,) = parse("predict Reaction at Days = 3 for an average subject",
                    columns=("Reaction", "Days", "Subject")).to_dict()["steps"]
    assert step["new_unit"] is False


def test_session_answers_with_the_intervals_and_says_what_they_mean(sleepstudy_session):
    session = sleepstudy_session
    ask_ok(session, "fit Reaction ~ Days + (Days | Subject)")
    answer = ask_ok(session, "predict reaction time on day 10 for a new subject")
    result = answer.steps[-1].result
    assert result.kind == "new_unit_predictions"
    row = result.result.frame.iloc[0]
    assert row["Days"] == 10 and row["sd_between"] == pytest.approx(65.6609, abs=1e-3)
    text = answer.text()
    assert "Prediction intervals for a new subject" in text
    assert f"{row['observation_lower']:.0f} to {row['observation_upper']:.0f}" in text
    payload = answer.to_json()
    assert json.dumps(payload, allow_nan=False)
