"""Simulated power (engine.power): against the noncentral t power of the fit's own test,
the type I error at effect zero, the test being the coefficient table's, the resized
designs, the Clopper-Pearson interval, and the requests that ask for it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from engine.lmm import fit_lmm
from engine.power import (
    _Simulator,
    clopper_pearson,
    default_sizes,
    power_coefficient,
    resized_data,
    simulate_power,
)
from engine.samples import load_sample
from grammar.parse import parse
from tests.conftest import ask_ok

FORMULA = "pain_score ~ time + treatment + (1 | patient)"
TREATED = "treatment[T.treated]"
PAIN_COLUMNS = ("patient", "time", "treatment", "pain_score", "age", "sex")


@pytest.fixture(scope="module")
def pain_fit():
    return fit_lmm(FORMULA, load_sample("pain_trial"))


def _noncentral_t_power(effect: float, se: float, df: float, alpha: float = 0.05) -> float:
    """The two-sided t test's power when the estimate is N(effect, se^2): a noncentral t."""
    critical = stats.t.ppf(1 - alpha / 2, df)
    ncp = effect / se
    return float(1 - stats.nct.cdf(critical, df, ncp) + stats.nct.cdf(-critical, df, ncp))


def test_power_agrees_with_the_noncentral_t_of_the_fits_own_test(pain_fit):
    row = next(r for r in pain_fit.fixed_effects if r.term == TREATED)
    expected = _noncentral_t_power(4.0, row.se, row.df)  # 0.675
    result = simulate_power(pain_fit, TREATED, effect=-4.0, nsim=400, seed=3)
    (point,) = result.points
    assert point.n_simulations == 400 and point.n_failed == 0
    # four binomial SDs of 400 draws: about 0.09
    assert abs(point.power - expected) < 4 * np.sqrt(expected * (1 - expected) / 400)
    assert point.lower < point.power < point.upper
    assert result.effect == -4.0 and not result.effect_from_fit


def test_effect_zero_rejects_at_about_alpha(pain_fit):
    (point,) = simulate_power(pain_fit, TREATED, effect=0.0, nsim=600, seed=6).points
    assert 0.02 <= point.power <= 0.08


def test_the_simulated_test_is_the_coefficient_tables(pain_fit):
    """Refitting the observed response gives the fit's own Satterthwaite p."""
    index = list(pain_fit.fixed_names).index(TREATED)
    simulator = _Simulator(pain_fit, pain_fit.model, pain_fit.beta, index)
    row = pain_fit.fixed_effects[index]
    assert simulator.p_value(pain_fit.model.y) == pytest.approx(row.p, rel=1e-5)


def test_more_patients_give_more_power(pain_fit):
    result = simulate_power(pain_fit, TREATED, effect=-4.0, nsim=150, group="patient",
                            sizes=[40, 160], seed=2)
    small, large = result.points
    assert (small.n_levels, large.n_levels) == (40, 160)
    assert small.n_obs < pain_fit.nobs < large.n_obs
    assert large.power > small.power + 0.2
    # SE shrinks with sqrt(patients): noncentral t at each size's SE
    row = next(r for r in pain_fit.fixed_effects if r.term == TREATED)
    for point, factor in ((small, 2.0), (large, 0.5)):
        expected = _noncentral_t_power(4.0, row.se * np.sqrt(factor), row.df * 80 / point.n_levels)
        assert abs(point.power - expected) < 4 * np.sqrt(0.25 / 150)


def test_resized_data_copies_whole_clusters_under_new_labels():
    data = pd.DataFrame({"g": ["a", "a", "b", "c", "c", "c"], "x": range(6),
                         "k": ["a1", "a2", "b1", "c1", "c2", "c3"]})
    rng = np.random.default_rng(0)
    bigger = resized_data(data, "g", 7, rng, carried=("k",))
    assert bigger["g"].nunique() == 7
    originals = bigger[~bigger["g"].str.contains("~")]
    pd.testing.assert_frame_equal(originals.reset_index(drop=True), data)
    for label, rows in bigger.groupby("g"):
        source = label.split("~")[0]
        assert list(rows["x"]) == list(data.loc[data["g"] == source, "x"])
        assert all(k.split("~")[0].startswith(source) for k in rows["k"])
        if "~" in label:
            assert all(k.endswith(label[label.index("~"):]) for k in rows["k"])
    smaller = resized_data(data, "g", 2, np.random.default_rng(1))
    assert smaller["g"].nunique() == 2
    assert len(smaller) == sum((data["g"] == g).sum() for g in smaller["g"].unique())


def test_clopper_pearson_is_the_exact_binomial_interval():
    for k, n in ((0, 50), (13, 50), (50, 50), (132, 200)):
        exact = stats.binomtest(k, n).proportion_ci(confidence_level=0.95, method="exact")
        assert clopper_pearson(k, n) == pytest.approx((exact.low, exact.high), abs=1e-10)


def test_coefficients_are_named_as_users_name_them(pain_fit):
    assert power_coefficient(pain_fit, "treatment") == TREATED
    assert power_coefficient(pain_fit, "TIME") == "time"
    with pytest.raises(Exception, match="several coefficients"):
        power_coefficient(pain_fit, None)
    with pytest.raises(Exception, match="no effect of age"):
        power_coefficient(pain_fit, "age")
    interaction = fit_lmm("pain_score ~ time * treatment + (1 | patient)",
                          load_sample("pain_trial"), ddf="residual")
    assert power_coefficient(interaction, "treatment:time") == "time:treatment[T.treated]"


def test_default_sizes_run_from_half_to_three_times_the_data():
    assert default_sizes(80) == [40, 60, 80, 120, 160, 240]
    assert default_sizes(4) == [3, 4, 6, 8, 12]


@pytest.mark.parametrize(("request_text", "expected"), [
    ("what is the power to detect a treatment effect of -5?",
     {"variable": "treatment", "effect": -5.0}),
    ("power to detect an effect of -3 for treatment with 500 simulations at alpha 0.01",
     {"variable": "treatment", "effect": -3.0, "nsim": 500, "alpha": 0.01}),
    ("power curve for time with 40, 80 and 120 patients",
     {"variable": "time", "sizes": [40, 80, 120], "group": "patients", "sample_size": True}),
    ("how many patients do I need to detect a treatment effect of -5 with 90% power?",
     {"variable": "treatment", "effect": -5.0, "group": "patients", "sample_size": True,
      "target": 0.9}),
    ("how many patients would I need?", {"sample_size": True, "group": None}),
    ("power for the time by treatment interaction", {"variable": "time:treatment"}),
])
def test_requests_plan_a_power_analysis(request_text, expected):
    (step,) = parse(request_text, columns=PAIN_COLUMNS).to_dict()["steps"]
    assert step["kind"] == "power_analysis"
    for key, value in expected.items():
        assert step[key] == value, key


def test_session_answers_a_sample_size_question(pain_trial_session):
    session = pain_trial_session
    ask_ok(session, f"fit {FORMULA}")
    answer = ask_ok(session, "how many patients do I need to detect a treatment effect of -4 "
                             "with 100 simulations?")
    result = answer.steps[-1].result.result
    assert [p.n_levels for p in result.points] == [40, 60, 80, 120, 160, 240]
    assert result.group == "patient" and result.effect == -4.0
    powers = [p.power for p in result.points]
    assert powers[-1] > powers[0]
    text = answer.text()
    adequate = result.smallest_adequate()
    assert adequate is not None
    assert f"has {adequate.n_levels} patients (power {100 * adequate.power:.0f}%" in text


def test_bad_power_requests_get_one_plain_message(pain_trial_session):
    session = pain_trial_session
    ask_ok(session, f"fit {FORMULA}")
    answer = session.ask("power for age")
    assert not answer.ok and "no effect of age" in str(answer.error)
    answer = session.ask("power for treatment with 40 schools")
    assert not answer.ok and "'schools' is not a grouping factor" in str(answer.error)
