"""Simple effects, marginal means at chosen values and simple slopes against lmerTest.

The expected numbers (tests/data/simple_effects/results.json) come from
``make_simple_effects.R`` next to it: lme4 1.1-31 + lmerTest 3.1-3, each contrast
vector built from ``model.matrix`` on emmeans' reference grid and tested with
``lmerTest::contest(m, L, joint = FALSE)`` with Satterthwaite and Kenward-Roger df;
a slope is the exact difference of the rows one unit of time apart, and Tukey p values
are R's ``ptukey``. Tolerances: estimates 1e-6 relative, SEs and t 1e-5, df 1e-3,
p values 1e-3 relative (or 1e-12 absolute).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from engine.errors import LmmInputError
from engine.lmm import fit_lmm
from engine.marginal_means import marginal_means
from engine.samples import load_sample

R = json.loads((Path(__file__).parent / "data" / "simple_effects" / "results.json").read_text())
TIMES = (0.0, 3.0, 6.0)


@pytest.fixture(scope="module")
def data():
    return load_sample("pain_trial")


@pytest.fixture(scope="module")
def fits(data):
    return {
        case: fit_lmm(R[case]["formula"], data)
        for case in ("intercept", "covariates", "time_factor")
    }


def assert_matches(test, expected):
    assert test.estimate == pytest.approx(expected["estimate"], rel=1e-6, abs=1e-9)
    assert test.se == pytest.approx(expected["se"], rel=1e-5)
    assert test.df == pytest.approx(expected["df"], rel=1e-3)
    assert test.t == pytest.approx(expected["t"], rel=1e-5, abs=1e-9)
    assert test.p == pytest.approx(expected["p"], rel=1e-3, abs=1e-12)
    assert test.lower == pytest.approx(expected["lower"], rel=1e-5, abs=1e-8)
    assert test.upper == pytest.approx(expected["upper"], rel=1e-5, abs=1e-8)


@pytest.mark.parametrize("case", ["intercept", "covariates"])
def test_treatment_means_and_difference_at_chosen_times(fits, case):
    fit = fits[case]
    result = marginal_means(fit, "treatment", at={"time": list(TIMES)})
    assert result.by == "time" and result.by_values == TIMES
    assert result.at == {}
    assert result.averaged_over == (("sex",) if case == "covariates" else ())
    assert set(result.held_at_mean) == ({"age"} if case == "covariates" else set())
    for value in TIMES:
        expected = R[case][f"means_time_{value:g}"]["satterthwaite"]
        means = [m for m in result.means if m.by_value == value]
        assert [m.level for m in means] == ["control", "treated"]
        for mean, row in zip(means, expected, strict=True):
            assert_matches(mean.test, row)
        (difference,) = [d for d in result.differences if d.by_value == value]
        assert (difference.level1, difference.level2) == ("control", "treated")
        assert_matches(difference.test, R[case][f"difference_time_{value:g}"]["satterthwaite"][0])
        assert difference.p_adjusted == difference.test.p


def test_one_time_value_holds_time_there(fits):
    result = marginal_means(fits["intercept"], "treatment", at={"time": 6})
    assert result.by is None and result.at == {"time": 6.0}
    assert "time" not in result.held_at_mean
    assert_matches(result.differences[0].test,
                   R["intercept"]["difference_time_6"]["satterthwaite"][0])


def test_kenward_roger_simple_effects(fits):
    fit = fits["intercept"].refit(ddf="kenward-roger")
    result = marginal_means(fit, "treatment", at={"time": [0, 6]})
    assert result.df_method == "kenward-roger"
    for value in (0.0, 6.0):
        (difference,) = [d for d in result.differences if d.by_value == value]
        assert_matches(difference.test,
                       R["intercept"][f"difference_time_{value:g}"]["kenward_roger"][0])
        means = [m for m in result.means if m.by_value == value]
        for mean, row in zip(means, R["intercept"][f"means_time_{value:g}"]["kenward_roger"],
                             strict=True):
            assert_matches(mean.test, row)


@pytest.mark.parametrize("case", ["intercept", "covariates"])
def test_simple_slopes_of_time_per_arm(fits, case):
    fit = fits[case]
    result = marginal_means(fit, "treatment", trend="time")
    assert result.trend == "time"
    for mean, row in zip(result.means, R[case]["slopes"]["satterthwaite"], strict=True):
        assert_matches(mean.test, row)
    assert_matches(result.differences[0].test, R[case]["slope_difference"]["satterthwaite"][0])
    # the slopes are β_time and β_time + β_time:treated; their difference is −β_time:treated
    beta = dict(zip(fit.fixed_names, fit.beta, strict=True))
    assert result.means[0].test.estimate == pytest.approx(beta["time"], rel=1e-9)
    assert result.means[1].test.estimate == pytest.approx(
        beta["time"] + beta["time:treatment[T.treated]"], rel=1e-9)
    # the difference of slopes is the interaction coefficient's own test
    row = fit.fixed_names.index("time:treatment[T.treated]")
    assert result.differences[0].test.se == pytest.approx(
        np.sqrt(fit.vcov_beta[row, row]), rel=1e-8)


def test_slopes_with_kenward_roger(fits):
    fit = fits["intercept"].refit(ddf="kenward-roger")
    result = marginal_means(fit, "treatment", trend="time")
    for mean, row in zip(result.means, R["intercept"]["slopes"]["kenward_roger"], strict=True):
        assert_matches(mean.test, row)


def test_pairwise_by_a_factor_adjusts_within_each_level(fits):
    result = marginal_means(fits["time_factor"], "time", by="treatment")
    assert result.by == "treatment" and result.by_values == ("control", "treated")
    assert result.averaged_over == ()
    for arm in ("control", "treated"):
        means = [m for m in result.means if m.by_value == arm]
        assert [m.level for m in means] == ["0", "1", "3", "6"]
        for mean, row in zip(means, R["time_factor"][f"means_{arm}"]["satterthwaite"],
                             strict=True):
            assert_matches(mean.test, row)
        pairs = [d for d in result.differences if d.by_value == arm]
        expected = R["time_factor"][f"pairs_{arm}"]
        assert [f"{d.level1} {d.level2}" for d in pairs] == expected["rows"]
        for pair, row, tukey in zip(pairs, expected["satterthwaite"],
                                    expected["tukey_satterthwaite"], strict=True):
            assert_matches(pair.test, row)
            assert pair.p_adjusted == pytest.approx(tukey, rel=1e-3, abs=1e-10)


def test_by_a_continuous_predictor_uses_its_observed_values(fits):
    result = marginal_means(fits["intercept"], "treatment", by="time")
    assert result.by_values == (0.0, 1.0, 3.0, 6.0)
    assert len(result.means) == 8 and len(result.differences) == 4
    payload = result.to_dict()
    assert payload["by"] == "time" and payload["means"][2]["by_value"] == 1.0


def test_by_a_covariate_with_many_values_asks_for_them(fits):
    with pytest.raises(LmmInputError, match=r"`age` takes \d+ different values"):
        marginal_means(fits["covariates"], "treatment", by="age")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"at": {"time": "late"}}, "held at a number"),
        ({"at": {"dose": 3}}, "no predictor `dose`"),
        ({"at": {"treatment": "treated"}}, "factor whose levels are compared"),
        ({"at": {"time": [0, 6], "sex": ["female", "male"]}}, "more than one predictor"),
        ({"trend": "sex"}, "has no slope"),
        ({"at": {"sex": "other"}}, "no level 'other'"),
    ],
)
def test_bad_grid_requests_say_what_to_do(fits, kwargs, message):
    with pytest.raises(LmmInputError, match=message):
        marginal_means(fits["covariates"], "treatment", **kwargs)


def test_a_factor_held_at_one_level_is_no_longer_averaged(fits):
    result = marginal_means(fits["covariates"], "treatment", at={"sex": "male", "time": 6})
    assert result.averaged_over == ()
    assert result.at == {"sex": "male", "time": 6.0}
    # at sex = male the difference between arms is the same (no sex interaction)
    plain = marginal_means(fits["covariates"], "treatment", at={"time": 6})
    assert result.differences[0].test.estimate == pytest.approx(
        plain.differences[0].test.estimate, rel=1e-10)
    assert result.means[0].test.estimate != pytest.approx(plain.means[0].test.estimate)
