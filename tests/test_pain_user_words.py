"""More requests in users' own words on pain_trial (and ratings): each reaches the step
that answers it, and the numbers in the answer are the fit's (checked against a direct
engine call, scipy or pandas)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from assistant.session import Session
from engine.lmm import fit_lmm
from engine.samples import load_sample
from grammar import parse
from tests.conftest import ask_ok

PAIN_MODEL = "pain_score ~ time + treatment + (1 | patient)"



@pytest.fixture(scope="module")
def pain(tmp_path_factory) -> Session:
    session = Session(sample="pain_trial", output_dir=tmp_path_factory.mktemp("out"))
    ask_ok(session, f"LMM: {PAIN_MODEL}")
    return session


@pytest.fixture(scope="module")
def pain_fit():
    return fit_lmm(PAIN_MODEL, load_sample("pain_trial"))


def kinds(request: str) -> list[dict]:
    return [step.to_dict() for step in parse(request).steps]


# ------------------------------------------------------------- BLUPs of some levels
@pytest.mark.parametrize("request_text", [
    "show the BLUPs for the first 5 patients",
    "random effects of the first 5 patients",
    "show me the BLUPs of the first 5 patients",
])
def test_blups_of_the_first_levels_plan(request_text):
    (step,) = parse(request_text).steps
    assert (step.kind, step.top, step.order, step.level) == ("blups", 5, None, None)
    assert step.group == "patients"


def test_blups_of_the_first_five_patients_are_the_fit_values(pain, pain_fit):
    answer = ask_ok(pain, "show the BLUPs for the first 5 patients")
    rows = answer.to_json()[0]["random_effects"]
    first = [e for e in pain_fit.random_effects if e.group == "patient"][:5]
    assert [r["level"] for r in rows] == ["P001", "P002", "P003", "P004", "P005"]
    assert [r["level"] for r in rows] == [str(e.level) for e in first]
    np.testing.assert_allclose([r["value"] for r in rows], [e.value for e in first], atol=1e-6)
    text = answer.text()
    assert "first 5 levels of patient" in text
    assert "P006" not in text


# ----------------------------------------------------- QQ plot of the random effects
@pytest.mark.parametrize("request_text", [
    "qq plot of the random intercepts",
    "QQ plot of the BLUPs",
    "normal qq plot for the random effects",
])
def test_qq_plot_of_random_effects_is_the_blup_normality_check(request_text):
    assert [s["kind"] for s in kinds(request_text)] == ["random_effects_normality"]


def test_qq_of_residuals_is_still_the_residual_plot():
    assert kinds("qq plot of the residuals")[0]["which"] == "qq"


def test_qq_plot_of_random_intercepts_reports_shapiro_wilk(pain, pain_fit):
    answer = ask_ok(pain, "qq plot of the random intercepts")
    (step,) = answer.steps
    assert step.figures and step.figures[0].exists()
    (term,) = step.result.result.terms
    blups = [e.value for e in pain_fit.random_effects if e.group == "patient"]
    w, p = stats.shapiro(blups)
    assert term.shapiro_w == pytest.approx(w, abs=1e-4)
    assert term.shapiro_p == pytest.approx(p, rel=1e-3)


# ---------------------------------------------------------- one coefficient's row
@pytest.mark.parametrize("request_text, term, level", [
    ("report the p-value for treatment", "treatment", None),
    ("give me the p value of time", "time", None),
    ("what is the 95% CI for time?", "time", 0.95),
    ("what is the 90% confidence interval of treatment", "treatment", 0.9),
    ("treatment effect at 95% confidence level", "treatment", 0.95),
    ("time effect at 90% confidence", "time", 0.9),
])
def test_one_coefficient_questions_plan(request_text, term, level):
    (step,) = parse(request_text).steps
    assert (step.kind, step.term, step.level) == ("explain_coefficient", term, level)


def test_p_value_for_treatment_is_its_row(pain, pain_fit):
    answer = ask_ok(pain, "report the p-value for treatment")
    row = next(fe for fe in pain_fit.fixed_effects if fe.term == "treatment[T.treated]")
    text = answer.text()
    assert f"t({row.df:.1f}) = {row.t:.2f}".replace("-", "−") in text
    assert "(Intercept)" not in text and "time  " not in text


def test_ninety_percent_ci_for_time_uses_the_t_quantile(pain, pain_fit):
    answer = ask_ok(pain, "what is the 90% CI for time?")
    row = next(fe for fe in pain_fit.fixed_effects if fe.term == "time")
    half = stats.t.ppf(0.95, row.df) * row.se
    lower, upper = row.estimate - half, row.estimate + half
    text = answer.text()
    assert "90% CI" in text
    assert f"{lower:.2f}".replace("-", "−") in text and f"{upper:.2f}".replace("-", "−") in text


# ------------------------------------------------------------------ missing data
@pytest.mark.parametrize("request_text, question", [
    ("how much missing data is there?", None),
    ("how much data is missing", None),
    ("how many missing values are there", None),
    ("number of patients who dropped out", "dropout"),
    ("how many patients that dropped out", "dropout"),
])
def test_missing_data_questions_plan(request_text, question):
    (step,) = parse(request_text).steps
    assert (step.kind, step.question) == ("missing_data", question)


def test_number_who_dropped_out_is_counted(pain):
    answer = ask_ok(pain, "number of patients who dropped out")
    data = load_sample("pain_trial")
    last = data.groupby("patient")["time"].max()
    seen = data.groupby("patient")["time"].nunique()
    times = sorted(data["time"].unique())
    # monotone dropout: seen at every time up to the last visit, and the last is early
    early = last[last < max(times)].index
    monotone = [p for p in early if seen[p] == times.index(last[p]) + 1]
    assert f"{len(monotone)} of 80 patients dropped out" in answer.text()


# ------------------------------------------------------------------ simple slopes
@pytest.mark.parametrize("request_text", [
    "time slope in each group",
    "show the time slopes for each treatment",
    "time slopes by treatment",
])
def test_time_slope_in_each_group_is_the_simple_slopes(request_text):
    (step,) = parse(request_text).steps
    assert (step.kind, step.trend) == ("marginal_means", "time")


# ------------------------------------------------------------- "A" as the article
@pytest.mark.parametrize("request_text", ["Fit A random slope", "fit A random slope model"])
def test_capital_a_after_a_verb_is_the_article(request_text):
    (step,) = parse(request_text).steps
    assert (step.kind, step.structure) == ("fit_lmm", "random_slope")


def test_capital_a_after_a_verb_in_a_change():
    (step,) = parse("Add A random slope for time").steps
    assert (step.operation, step.variables) == ("add_random_slope", ("time",))


def test_capital_a_after_a_noun_is_still_a_level():
    (step,) = parse("is condition A rated higher than B?").steps
    assert (step.factor, step.first, step.second) == ("condition", "A", "B")
