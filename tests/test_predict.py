"""Population and subject-level predictions checked against closed forms and lme4."""

import json

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from engine import fit_lmm
from engine.errors import LmmInputError
from engine.predict import population_predictions, subject_predictions
from tests.conftest import find_reference_dir

REFERENCE = find_reference_dir()


def _reference(case: str) -> dict:
    return json.loads((REFERENCE / "cases" / f"{case}.json").read_text())


def _data(name: str) -> pd.DataFrame:
    return pd.read_csv(REFERENCE / "data" / f"{name}.csv", dtype={"Subject": str})


@pytest.fixture(scope="module")
def sleep_slope():
    return fit_lmm("Reaction ~ Days + (Days | Subject)", _data("sleepstudy"))


@pytest.fixture(scope="module")
def orthodont():
    return fit_lmm("distance ~ age * Sex + (age | Subject)", _data("Orthodont"))


def _fixef(case: str, term: str) -> dict:
    rows = _reference(case)["fixef"]
    if isinstance(rows, dict):
        rows = [dict(zip(rows, values, strict=True)) for values in zip(*rows.values(), strict=True)]
    return next(r for r in rows if r["term"] == term)


def test_predictions_at_observed_rows_are_x_beta(orthodont):
    preds = population_predictions(orthodont, grid=orthodont.data)
    X = np.asarray(orthodont.model.X)
    np.testing.assert_allclose(preds.frame["estimate"], X @ orthodont.beta, rtol=1e-12)
    se = np.sqrt(np.diag(X @ orthodont.vcov_beta @ X.T))
    np.testing.assert_allclose(preds.frame["se"], se, rtol=1e-10)


def test_sleepstudy_line_is_intercept_plus_slope_times_days(sleep_slope):
    preds = population_predictions(sleep_slope)
    frame = preds.frame
    assert preds.time == "Days" and preds.factors == ()
    assert set(range(10)) <= set(frame["Days"])
    assert frame["Days"].min() == 0 and frame["Days"].max() == 9
    b0, b1 = sleep_slope.beta
    np.testing.assert_allclose(frame["estimate"], b0 + b1 * frame["Days"], rtol=1e-12)
    V = sleep_slope.vcov_beta
    var = V[0, 0] + 2 * frame["Days"] * V[0, 1] + frame["Days"] ** 2 * V[1, 1]
    np.testing.assert_allclose(frame["se"], np.sqrt(var), rtol=1e-10)
    assert (frame["lower"] < frame["estimate"]).all()
    assert (frame["estimate"] < frame["upper"]).all()


def test_interval_at_day_zero_is_lmerTest_intercept_interval(sleep_slope):
    frame = population_predictions(sleep_slope).frame
    at_zero = frame[frame["Days"] == 0].iloc[0]
    ref = _fixef("sleepstudy_slope", "(Intercept)")
    assert at_zero["estimate"] == pytest.approx(ref["estimate"], rel=1e-4)
    assert at_zero["se"] == pytest.approx(ref["se"], rel=1e-3)
    assert at_zero["df"] == pytest.approx(ref["df_satterthwaite"], rel=1e-2)
    assert at_zero["lower"] == pytest.approx(ref["ci_lower_satterthwaite"], rel=1e-3)
    assert at_zero["upper"] == pytest.approx(ref["ci_upper_satterthwaite"], rel=1e-3)


def test_default_grid_crosses_time_with_every_factor_level(orthodont):
    preds = population_predictions(orthodont)
    frame = preds.frame
    assert preds.time == "age" and preds.factors == ("Sex",)
    assert set(frame["Sex"]) == {"Female", "Male"}
    per_sex = frame.groupby("Sex")["age"].apply(lambda s: sorted(s))
    assert per_sex["Female"] == per_sex["Male"]
    assert {8.0, 10.0, 12.0, 14.0} <= set(per_sex["Female"])


def test_averaging_over_a_factor_averages_its_design_rows(orthodont):
    crossed = population_predictions(orthodont).frame
    averaged = population_predictions(orthodont, average_over=["Sex"]).frame
    assert "Sex" not in averaged.columns
    by_age = crossed.groupby("age")["estimate"].mean()
    np.testing.assert_allclose(averaged["estimate"], by_age.loc[averaged["age"]].to_numpy())
    assert list(orthodont.fixed_names) == ["(Intercept)", "age", "Sex[T.Male]",
                                           "age:Sex[T.Male]"]
    x = np.array([1.0, 10.0, 0.5, 5.0])  # age 10, half female and half male
    row = averaged[averaged["age"] == 10.0].iloc[0]
    assert row["estimate"] == pytest.approx(x @ orthodont.beta, rel=1e-12)
    assert row["se"] == pytest.approx(np.sqrt(x @ orthodont.vcov_beta @ x), rel=1e-10)


def test_transformed_predictors_reuse_the_fit_state():
    data = _data("Orthodont")
    fit = fit_lmm("distance ~ poly(age, 2) + center(age):Sex + (1 | Subject)", data)
    preds = population_predictions(fit, grid=fit.data.iloc[::7])
    X = np.asarray(fit.model.X)[::7]
    np.testing.assert_allclose(preds.frame["estimate"], X @ fit.beta, rtol=1e-10)


def test_subject_predictions_are_the_fitted_values(sleep_slope):
    subj = subject_predictions(sleep_slope)
    np.testing.assert_allclose(subj["subject"], sleep_slope.fitted(), rtol=1e-10)
    np.testing.assert_allclose(
        subj["observed"] - subj["subject"], sleep_slope.residuals(), atol=1e-8
    )


def test_subject_lines_are_blup_intercepts_and_slopes(sleep_slope):
    subj = subject_predictions(sleep_slope)
    blup = {(e.level, e.term): e.value for e in sleep_slope.random_effects}
    b0, b1 = sleep_slope.beta
    by_hand = [
        b0 + blup[(s, "(Intercept)")] + (b1 + blup[(s, "Days")]) * d
        for s, d in zip(subj["Subject"], subj["Days"], strict=True)
    ]
    np.testing.assert_allclose(subj["subject"], by_hand, rtol=1e-9)
    np.testing.assert_allclose(subj["population"], b0 + b1 * subj["Days"], rtol=1e-12)


def test_unknown_time_variable_is_an_input_error(orthodont):
    with pytest.raises(LmmInputError, match="'weight' is not a continuous predictor"):
        population_predictions(orthodont, time="weight")


def test_grid_without_a_predictor_is_an_input_error(orthodont):
    with pytest.raises(LmmInputError, match="lacks the column"):
        population_predictions(orthodont, grid=pd.DataFrame({"age": [8.0, 9.0]}))


def test_to_dict_is_json_safe(sleep_slope):
    out = population_predictions(sleep_slope).to_dict()
    text = json.dumps(out)
    assert out["kind"] == "population_predictions" and "NaN" not in text
    assert len(out["rows"]) == len(population_predictions(sleep_slope).frame)


def test_grid_with_one_factor_level_keeps_the_fit_coding(orthodont):
    full = population_predictions(orthodont).frame
    only_male = pd.DataFrame({"age": [8.0, 14.0], "Sex": ["Male", "Male"]})
    part = population_predictions(orthodont, grid=only_male).frame
    expected = full[(full["Sex"] == "Male") & full["age"].isin([8.0, 14.0])]
    np.testing.assert_allclose(part["estimate"], expected["estimate"], rtol=1e-12)
    np.testing.assert_allclose(part["se"], expected["se"], rtol=1e-12)


def test_unseen_factor_level_is_an_input_error(orthodont):
    grid = pd.DataFrame({"age": [8.0], "Sex": ["Other"]})
    with pytest.raises(LmmInputError, match="'Sex' has the level"):
        population_predictions(orthodont, grid=grid)


@pytest.mark.parametrize(("ddf", "expected_df"), [("residual", 178.0), ("asymptotic", np.inf)])
def test_band_df_follows_the_fit_df_method(ddf, expected_df):
    fit = fit_lmm("Reaction ~ Days + (Days | Subject)", _data("sleepstudy"), ddf=ddf)
    preds = population_predictions(fit, level=0.9)
    frame = preds.frame
    assert preds.df_method == ddf and (frame["df"] == expected_df).all()
    q = stats.t.ppf(0.95, expected_df) if np.isfinite(expected_df) else stats.norm.ppf(0.95)
    np.testing.assert_allclose(frame["upper"] - frame["estimate"], q * frame["se"], rtol=1e-12)


def test_fixed_values_give_x_beta_at_those_values(orthodont):
    """at={"age": 11, "Sex": "Female"}: x'β̂ and √(x'Vx) for the row of
    distance ~ age * Sex at age 11 for girls, built by hand from the column names."""
    preds = population_predictions(orthodont, at={"age": 11, "Sex": "Female"})
    frame = preds.frame
    assert len(frame) == 1 and frame.loc[0, "age"] == 11.0 and frame.loc[0, "Sex"] == "Female"
    names = orthodont.fixed_names
    x = np.array([
        1.0 if n == "(Intercept)" else 11.0 if n == "age"
        else float("Female" in n) * (11.0 if n.startswith("age:") else 1.0)
        for n in names
    ])
    assert frame.loc[0, "estimate"] == pytest.approx(float(x @ orthodont.beta), rel=1e-12)
    assert frame.loc[0, "se"] == pytest.approx(
        float(np.sqrt(x @ orthodont.vcov_beta @ x)), rel=1e-10
    )
    assert preds.time is None and preds.factors == () and preds.fixed_at == {
        "age": 11, "Sex": "Female"
    }


def test_fixing_time_keeps_every_level_of_the_other_factors(orthodont):
    preds = population_predictions(orthodont, at={"age": "8"})
    assert sorted(preds.frame["Sex"]) == ["Female", "Male"]
    assert set(preds.frame["age"]) == {8.0}
    assert preds.factors == ("Sex",)


@pytest.mark.parametrize(
    ("at", "message"),
    [
        ({"height": 3}, "'height' is not among the model's predictors (age, Sex)"),
        ({"Sex": "Other"}, "Sex has no level 'Other'; its levels are Female, Male."),
        ({"age": "old"}, "age is numeric, so it needs a number, not 'old'."),
    ],
)
def test_fixed_values_that_cannot_be_used_are_refused_in_words(orthodont, at, message):
    with pytest.raises(LmmInputError, match=message.replace("(", r"\(").replace(")", r"\)")):
        population_predictions(orthodont, at=at)


def test_a_fixed_value_outside_the_data_is_flagged(sleep_slope, tmp_path):
    inside = population_predictions(sleep_slope, at={"Days": 5})
    assert inside.outside_range == {}
    beyond = population_predictions(sleep_slope, at={"Days": 10})
    assert beyond.outside_range == {"Days": (10.0, 0.0, 9.0)}
    assert json.dumps(beyond.to_dict())
    from assistant.session import Session

    session = Session(sample="sleepstudy", output_dir=tmp_path)
    assert session.ask("LMM: Reaction ~ Days + (Days | Subject)").ok
    answer = session.ask("what would the reaction time be on day 10?")
    assert answer.ok, answer.error
    assert "Days = 10 lies outside the values in the data (0 to 9)" in answer.text()
