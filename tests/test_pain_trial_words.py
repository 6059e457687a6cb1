"""More pain-trial requests in users' words (predictions with a CI level, the plan after
undo, every model's formula, ...), each checked end to end against a hand computation from
the fit's own numbers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from assistant.session import Session
from engine.observed_means import observed_means
from engine.samples import load_sample
from engine.transforms import format_level

SLOPE_MODEL = "LMM: pain_score ~ time * treatment + (1 + time | patient)"


@pytest.fixture(scope="module")
def slope_session() -> Session:
    session = Session(sample="pain_trial")
    assert session.ask(SLOPE_MODEL).ok
    return session


def test_prediction_with_a_ci_level_is_x_beta_with_its_wald_t_interval(slope_session):
    answer = slope_session.ask(
        "what is the predicted pain for a treated patient at month 3 with 90% CI?"
    )
    assert answer.ok, answer.error
    result = answer.steps[0].result
    grid, fit = result.result, result.model.fit
    row = grid.frame.iloc[0]
    assert grid.level == 0.90 and (row["time"], row["treatment"]) == (3.0, "treated")
    names = list(fit.fixed_names)
    x = np.zeros(len(names))
    x[names.index("(Intercept)")] = 1.0
    x[names.index("time")] = 3.0
    treated = [i for i, n in enumerate(names) if "treated" in n and ":" not in n]
    interaction = [i for i, n in enumerate(names) if "treated" in n and ":" in n]
    x[treated], x[interaction] = 1.0, 3.0
    estimate = float(x @ fit.beta)
    se = float(np.sqrt(x @ fit.vcov_beta @ x))
    assert row["estimate"] == pytest.approx(estimate, rel=1e-10)
    assert row["se"] == pytest.approx(se, rel=1e-10)
    half = stats.t.ppf(0.95, row["df"]) * se
    assert (row["lower"], row["upper"]) == pytest.approx((estimate - half, estimate + half))
    assert "90% confidence intervals" in answer.text()


def test_plan_after_undo_is_the_plan_in_effect_not_the_undo():
    session = Session(sample="pain_trial")
    first, second = SLOPE_MODEL, "LMM: pain_score ~ time * treatment + (1 | patient)"
    assert session.ask(first).ok and session.ask(second).ok
    assert session.ask("undo").ok
    shown = session.ask("show me the plan")
    assert shown.ok and shown.steps[0].result.request == first
    assert shown.text().startswith(f"The plan of `{first}`:")


@pytest.mark.parametrize("request_text", ["list the model formulas", "show all model formulas",
                                          "what are the formulas?"])
def test_model_formulas_lists_every_model(request_text):
    session = Session(sample="pain_trial")
    other = "LMM: pain_score ~ time + (1 | patient)"
    assert session.ask(SLOPE_MODEL).ok and session.ask(other).ok
    answer = session.ask(request_text)
    assert answer.ok, answer.error
    assert [o.step.model for o in answer.steps] == ["1", "2"]
    text = answer.text()
    assert "Model 1 (random intercept and slope model) is `pain_score ~ time * treatment + " \
           "(1 + time | patient)`" in text
    assert "Model 2 (random intercept model) is `pain_score ~ time + (1 | patient)`" in text
    one = session.ask("what is the formula of model 1?")
    assert [o.step.model for o in one.steps] == ["1"]


def test_observed_means_by_visit_and_arm_equal_pandas_groupby(slope_session):
    answer = slope_session.ask("table of observed mean pain by visit and arm")
    assert answer.ok, answer.error
    result = answer.steps[0].result.result
    assert (result.outcome, result.by) == ("pain_score", ("time", "treatment"))
    data = load_sample("pain_trial")
    expected = data.groupby(["time", "treatment"])["pain_score"].agg(["count", "mean", "std"])
    assert len(result.cells) == len(expected) == 8
    for cell, ((time, arm), row) in zip(result.cells, expected.iterrows(), strict=True):
        assert cell.levels == (format_level(time), arm)
        assert cell.n == row["count"]
        assert cell.mean == pytest.approx(row["mean"], rel=1e-12)
        assert cell.sd == pytest.approx(row["std"], rel=1e-12)
    assert result.n_left_out == int(data["pain_score"].isna().sum())


def test_observed_means_leave_out_missing_rows_and_need_two_values_for_an_sd():
    data = pd.DataFrame({"y": [1.0, 3.0, np.nan, 5.0], "g": ["a", "a", "b", "b"]})
    result = observed_means(data, "y", ["g"])
    assert [(c.levels, c.n, c.mean, c.sd) for c in result.cells] == [
        (("a",), 2, 2.0, pytest.approx(np.sqrt(2.0))), (("b",), 1, 5.0, None)]
    assert result.n_left_out == 1


def test_arm_word_without_a_model_asks_which_column():
    answer = Session(sample="pain_trial").ask("observed means by visit and arm")
    assert not answer.ok and "`treatment`, `sex`" in str(answer.error)


def test_center_time_at_month_6_moves_the_intercept_to_the_prediction_at_6():
    session = Session(sample="pain_trial")
    assert session.ask(SLOPE_MODEL).ok
    before = session.ask("what is the formula?").steps[0].result.model.fit
    answer = session.ask("center time at month 6")
    assert answer.ok, answer.error
    after = answer.steps[0].result.model.fit
    assert after.formula == ("pain_score ~ I(time - 6) + treatment + I(time - 6):treatment"
                             " + (1 + I(time - 6) | patient)")
    old = dict(zip(before.fixed_names, before.beta, strict=True))
    new = dict(zip(after.fixed_names, after.beta, strict=True))
    # closed form: b0' = b0 + 6 b_time; the treated effect at 6 = b_trt + 6 b_time:trt
    assert new["(Intercept)"] == pytest.approx(old["(Intercept)"] + 6 * old["time"], abs=1e-4)
    trt = next(n for n in old if n.startswith("treatment"))
    inter = next(n for n in old if n.startswith("time:"))
    assert new[trt] == pytest.approx(old[trt] + 6 * old[inter], abs=1e-4)
    assert after.criterion == pytest.approx(before.criterion, abs=1e-5)  # same model
    assert "the intercept is now the expected outcome at time = 6" in answer.text()


def test_difference_between_arms_reads_arms_as_the_models_factor(slope_session):
    answer = slope_session.ask("Whats the difference between arms at month 3?")
    assert answer.ok, answer.error
    fit = answer.steps[0].result.model.fit
    b = dict(zip(fit.fixed_names, fit.beta, strict=True))
    trt = next(n for n in b if n.startswith("treatment"))
    inter = next(n for n in b if n.startswith("time:"))
    difference = b[trt] + 3 * b[inter]  # treated - control at time 3, closed form
    assert f"treated − control = {difference:.1f}".replace("-", "−") in answer.text()
