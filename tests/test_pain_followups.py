"""Follow-up questions on the pain trial that used to be refused or answered with help:
each now reaches its analysis, and the numbers are checked against direct fits, scipy or
pandas."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from assistant.session import Session
from engine import fit_lmm
from engine.samples import load_sample
from grammar import parse
from tests.conftest import ask_ok

MODEL = "pain_score ~ time + treatment + (1 | patient)"


@pytest.fixture()
def pain(tmp_path):
    session = Session(sample="pain_trial", output_dir=tmp_path)
    ask_ok(session, f"fit {MODEL}")
    return session


def _kinds(request: str) -> list[str]:
    return [step.kind for step in parse(request).steps]


def _result(answer, kind: str) -> dict:
    return next(r for r in answer.to_json() if r.get("kind") == kind)


@pytest.mark.parametrize(
    "request_text",
    ["which patients are outliers?", "which patient are outliers", "are there outlying patients?"],
)
def test_outlying_patients_list_the_outliers(pain, request_text):
    assert _kinds(request_text) == ["outliers"]
    result = _result(ask_ok(pain, request_text), "outliers")
    (extreme,) = result["extreme_levels"]
    fit = fit_lmm(MODEL, load_sample("pain_trial"))
    blups = {r.level: r.value for r in fit.random_effects if r.group == "patient"}
    assert extreme["level"] == "P069"
    assert extreme["blup"] == pytest.approx(blups["P069"], rel=1e-8)
    # far beyond the others: the BLUP over the SD of the other 79 patients' BLUPs
    others = np.array([v for level, v in blups.items() if level != "P069"])
    assert extreme["standardized"] == pytest.approx(blups["P069"] / others.std(ddof=1), rel=1e-6)


def test_residual_variance_over_time_is_the_brown_forsythe_test_by_time(pain):
    answer = ask_ok(pain, "is the residual variance constant over time?")
    result = _result(answer, "residual_variance_by_group")
    assert result["column"] == "time"
    fit = fit_lmm(MODEL, load_sample("pain_trial"))
    data = load_sample("pain_trial").dropna(subset=["pain_score"])
    residuals = fit.residuals()
    groups = [residuals[(data["time"] == t).to_numpy()] for t in (0, 1, 3, 6)]
    expected = stats.levene(*groups, center="median")
    assert result["brown_forsythe_f"] == pytest.approx(expected.statistic, rel=1e-10)
    assert (result["df1"], result["df2"]) == (3, 283)
    assert [lvl["n"] for lvl in result["levels"]] == [80, 65, 73, 69]
    assert _kinds("is the variance the same over time") == ["residual_variance_by_group"]


@pytest.mark.parametrize(
    "request_text",
    [
        "compare this with a model that has a random slope for time",
        "compare this model with one that has a random slope for time",
        "compare with a random slope for time",
    ],
)
def test_comparison_with_a_random_slope_model_is_the_lrt_of_the_two_fits(pain, request_text):
    answer = ask_ok(pain, request_text)
    table = _result(answer, "model_comparison")["table"]
    data = load_sample("pain_trial")
    smaller = fit_lmm(MODEL, data)
    larger = fit_lmm("pain_score ~ time + treatment + (1 + time | patient)", data)
    assert [row["formula"] for row in table] == [
        MODEL, "pain_score ~ time + treatment + (1 + time | patient)"]
    # the same fixed effects: REML fits compared as they are (no ML refit)
    assert table[1]["Chisq"] == pytest.approx(2 * (larger.loglik - smaller.loglik), abs=1e-6)
    assert table[1]["Df"] == 2
    assert table[1]["p"] == pytest.approx(stats.chi2.sf(table[1]["Chisq"], 2), rel=1e-10)


@pytest.mark.parametrize(
    "request_text",
    [
        "what percentage of the pain scores are missing?",
        "how many pain scores are missing?",
        "what proportion of the data is missing",
    ],
)
def test_share_of_missing_visits(pain, request_text):
    answer = ask_ok(pain, request_text)
    result = _result(answer, "missing_data")
    data = load_sample("pain_trial")
    observed = data.dropna(subset=["pain_score"])
    cells = data["patient"].nunique() * data["time"].nunique()
    assert result["n_visit_cells"] == cells == 320
    assert result["n_missing_visits"] == cells - len(observed) == 33
    assert "33 of the 320 patient-by-time cells (10.3%)" in answer.text()


def test_kenward_roger_instead_of_satterthwaite_shows_the_kr_tests(pain):
    answer = ask_ok(pain, "use Kenward-Roger instead of Satterthwaite")
    rows = _result(answer, "fixed_effects")["fixed_effects"]
    kr = fit_lmm(MODEL, load_sample("pain_trial"), ddf="kenward-roger")
    assert [row["term"] for row in rows] == [fe.term for fe in kr.fixed_effects]
    for row, fe in zip(rows, kr.fixed_effects, strict=True):
        assert row["df"] == pytest.approx(fe.df, rel=1e-10)
        assert row["se"] == pytest.approx(fe.se, rel=1e-10)
    assert "Kenward-Roger degrees of freedom" in answer.text()
    # asked for the table itself: it is not shown twice
    twice = ask_ok(pain, "use kenward-roger and show the fixed effects")
    assert [r["kind"] for r in twice.to_json()].count("fixed_effects") == 1


@pytest.mark.parametrize(
    "request_text",
    ["should time be categorical?", "should time be treated as a factor?",
     "should I treat time as categorical?"],
)
def test_should_time_be_categorical_is_the_linearity_lrt(pain, request_text):
    result = _result(ask_ok(pain, request_text), "linearity_test")
    data = load_sample("pain_trial")
    linear = fit_lmm(MODEL, data, reml=False)
    stepwise = fit_lmm("pain_score ~ factor(time) + treatment + (1 | patient)", data, reml=False)
    assert result["df"] == 2
    assert result["chisq"] == pytest.approx(2 * (stepwise.loglik - linear.loglik), abs=1e-6)
    assert result["linear_loglik"] == pytest.approx(linear.loglik, abs=1e-6)


def test_summary_in_one_paragraph_is_the_results_write_up():
    expected = parse("write up the results").to_dict()["steps"]
    for request_text in ("summarize the model in one paragraph for a paper",
                         "summarize the results in a paragraph"):
        assert parse(request_text).to_dict()["steps"] == expected


def test_a_replaced_choice_only_confirms_the_choice():
    assert parse("use ML instead of REML").to_dict()["steps"] == parse("use ML").to_dict()["steps"]
    assert parse("use the nelder-mead optimizer instead of bobyqa").to_dict()["steps"] == parse(
        "use the nelder-mead optimizer").to_dict()["steps"]


def test_share_of_total_variance_between_patients_is_the_icc(pain):
    answer = ask_ok(pain, "how much of the total variance is due to differences between patients?")
    text = answer.text()
    fit = fit_lmm(MODEL, load_sample("pain_trial"))
    between = next(v.vcov for v in fit.variance_components if v.group == "patient")
    assert fit.icc == pytest.approx(between / (between + fit.sigma**2), rel=1e-10)
    assert f"ICC = {fit.icc:.2f}" in text


def test_comparison_with_the_model_without_a_term_is_its_lrt(pain):
    answer = ask_ok(pain, "compare it to the model without treatment using a likelihood ratio test")
    table = _result(answer, "model_comparison")["table"]
    data = load_sample("pain_trial")
    full = fit_lmm(MODEL, data, reml=False)
    reduced = fit_lmm("pain_score ~ time + (1 | patient)", data, reml=False)
    rows = sorted(table, key=lambda r: r["npar"])
    assert rows[1]["Chisq"] == pytest.approx(2 * (full.loglik - reduced.loglik), abs=1e-6)
    assert rows[1]["Df"] == 1


def test_check_the_missing_data_then_fit_and_kr_table():
    plan = parse("first check the missing data, then fit a random intercept model with time "
                 "and treatment, and give me the fixed effects with Kenward-Roger df")
    assert [s.kind for s in plan.steps] == ["missing_data", "fit_lmm", "fixed_effects"]
    assert plan.steps[2].ddf == "kenward-roger"
    assert parse("give me the fixed effects table with 95% CIs and Satterthwaite p values"
                 ).steps[0].ddf == "satterthwaite"


def test_estimated_difference_between_arms_at_a_time(pain):
    answer = ask_ok(pain, "what's the estimated difference between arms at month 3?")
    text = answer.text()
    fit = fit_lmm(MODEL, load_sample("pain_trial"))
    effect = next(fe for fe in fit.fixed_effects if fe.term == "treatment[T.treated]")
    # no interaction: the difference at month 3 is the treatment coefficient
    assert f"treated − control = {effect.estimate:.1f}".replace("-", "−") in text


@pytest.mark.parametrize(
    "request_text",
    ["did anyone get worse over time?", "which patients got worse over time?",
     "are any patients getting worse?"],
)
def test_did_anyone_get_worse_counts_the_rising_own_slopes(tmp_path, request_text):
    session = Session(sample="pain_trial", output_dir=tmp_path)
    formula = "pain_score ~ time * treatment + (1 + time | patient)"
    ask_ok(session, f"fit {formula}")
    answer = ask_ok(session, request_text)
    (step,) = [o.result for o in answer.steps if o.kind == "blups"]
    result = step.result.ranking
    data = load_sample("pain_trial")
    fit = fit_lmm(formula, data)
    beta = dict(zip(fit.fixed_names, fit.beta, strict=True))
    arm = data.drop_duplicates("patient").set_index("patient")["treatment"]
    own = {
        r.level: beta["time"] + (beta["time:treatment[T.treated]"] if arm[r.level] == "treated"
                                 else 0.0) + r.value
        for r in fit.random_effects if r.group == "patient" and r.term == "time"
    }
    assert result.n_rising == sum(v > 0 for v in own.values())
    assert result.n_falling == sum(v < 0 for v in own.values()) == 80
    top = max(own, key=own.get)
    assert result.rows[0].level == top
    assert result.rows[0].own == pytest.approx(own[top], rel=1e-6)
    assert "None of the 80 patients has a rising own slope" in answer.text()
