"""'How well does the model fit?': fit statistics through the Session API.

The numbers are lme4's for sleepstudy (the shared reference cases sleepstudy_slope and
sleepstudy_intercept) and the R² computed in R with lme4 alone (see
tests/test_fit_statistics.py for the script).
"""

from __future__ import annotations

import pytest

from assistant.references import NO_MODEL
from assistant.session import Session
from tests.conftest import ask_ok
from tests.test_reference_cases import load_case

SLOPE = "Reaction ~ Days + (Days | Subject)"
INTERCEPT = "Reaction ~ Days + (1 | Subject)"



@pytest.fixture(scope="module")
def one_model(tmp_path_factory) -> Session:
    session = Session(sample="sleepstudy", output_dir=tmp_path_factory.mktemp("out"))
    ask_ok(session, f"LMM: {SLOPE}")
    return session


@pytest.fixture(scope="module")
def three_models(tmp_path_factory) -> Session:
    session = Session(sample="sleepstudy", output_dir=tmp_path_factory.mktemp("out"))
    ask_ok(session, f"LMM: {SLOPE}")
    ask_ok(session, f"LMM: {INTERCEPT}")
    ask_ok(session, "LMM: Reaction ~ 1 + (1 | Subject)")
    return session


@pytest.mark.parametrize(
    "request_text",
    [
        "how well does the model fit?",
        "how good is the fit",
        "what is the AIC",
        "give me the AIC and BIC",
        "report the log-likelihood",
        "show the deviance",
        "report the REML criterion",
        "goodness of fit",
        "fit statistics",
    ],
)
def test_one_model_is_reported_in_words_with_lme4s_numbers(one_model, request_text):
    answer = ask_ok(one_model, request_text)
    (step,) = answer.steps
    assert step.kind == "fit_statistics"
    report = step.result
    assert report.focus is one_model.models[1] and len(report.models) == 1
    text = answer.text()
    # lme4: logLik -871.8141 (REML), AIC 1755.628, BIC 1774.786, REMLcrit 1743.628, 6 par
    assert (
        "Log-likelihood −871.8 (REML), AIC 1,755.6, BIC 1,774.8 on 6 parameters, "
        "180 observations in 18 levels of Subject; REML criterion 1,743.6" in text
    )
    # R (lme4 by hand): R2m 0.278651058162, R2c 0.799219922783
    assert "Marginal R² 0.28 (fixed effects alone), conditional R² 0.80" in text
    assert "only models with the same fixed effects" in text


def test_json_carries_the_numbers(one_model):
    answer = ask_ok(one_model, "what is the AIC of model 1")
    (entry,) = answer.to_json()
    ref = load_case("sleepstudy_slope")
    assert entry["kind"] == "fit_statistics" and entry["focus"] == 1
    (row,) = entry["models"]
    assert row["model"]["number"] == 1 and row["method"] == "REML"
    assert row["aic"] == pytest.approx(ref["AIC"], rel=1e-6)
    assert row["bic"] == pytest.approx(ref["BIC"], rel=1e-6)
    assert row["loglik"] == pytest.approx(ref["logLik"], rel=1e-6)
    assert row["reml_criterion"] == pytest.approx(ref["criterion"], rel=1e-6)
    assert row["deviance"] is None
    assert row["npar"] == ref["npar"] and row["nobs"] == ref["nobs"]
    assert row["r2_marginal"] == pytest.approx(0.278651058162, rel=1e-3)
    assert row["r2_conditional"] == pytest.approx(0.799219922783, rel=1e-3)


def test_ml_fit_reports_its_deviance(tmp_path):
    session = Session(sample="sleepstudy", output_dir=tmp_path)
    ask_ok(session, f"fit {SLOPE} using ML")
    text = ask_ok(session, "how well does it fit").text()
    ref = load_case("sleepstudy_slope_ml")
    # lme4: logLik -875.9697, AIC 1763.939, BIC 1783.097, deviance 1751.939
    assert ref["criterion"] == pytest.approx(1751.939, abs=1e-3)
    assert "Log-likelihood −876.0 (ML), AIC 1,763.9, BIC 1,783.1" in text
    assert "deviance 1,751.9 (−2 × the log-likelihood)" in text
    assert "REML criterion" not in text and "ML likelihoods" in text


def test_no_model_gives_the_fit_a_model_first_message(tmp_path):
    session = Session(sample="sleepstudy", output_dir=tmp_path)
    answer = session.ask("how well does the model fit")
    assert not answer.ok and str(answer.error) == NO_MODEL
    assert [s.status for s in answer.steps] == ["failed"]


def test_a_model_that_does_not_exist_is_named(one_model):
    answer = one_model.ask("what is the AIC of model 5")
    assert not answer.ok
    assert "There is no model 5" in str(answer.error) and "model 1" in str(answer.error)


def test_several_models_get_one_row_each_and_a_caveat(three_models):
    answer = ask_ok(three_models, "fit statistics")
    report = answer.steps[0].result
    assert report.focus is three_models.models[3]
    assert [m.number for m in report.models] == [1, 2, 3]
    assert [s.npar for s in report.statistics] == [6, 4, 3]
    ref = load_case("sleepstudy_intercept")
    assert report.statistics[1].aic == pytest.approx(ref["AIC"], rel=1e-6)
    assert report.comparability == "reml_fixed_effects_differ"
    text = answer.text()
    assert "Fit statistics (each model's own criterion)" in text
    assert "different fixed effects" in text and "`compare models`" in text
    rows = answer.to_json()[0]["models"]
    assert [r["model"]["number"] for r in rows] == [1, 2, 3]
    assert answer.to_json()[0]["comparable"] is False


def test_a_named_model_is_reported_alone(three_models):
    answer = ask_ok(three_models, "how good is model 2")
    report = answer.steps[0].result
    assert report.focus is three_models.models[2] and len(report.models) == 1
    ref = load_case("sleepstudy_intercept")
    assert report.statistics[0].loglik == pytest.approx(ref["logLik"], rel=1e-6)
    # R (lme4 by hand): R2m 0.279885636749, R2c 0.704255452355
    assert "Marginal R² 0.28 (fixed effects alone), conditional R² 0.70" in answer.text()


def test_all_models_without_a_focus(three_models):
    answer = ask_ok(three_models, "R2 of all models")
    report = answer.steps[0].result
    assert report.focus is None and len(report.models) == 3
    assert "R² of the 3 models" in answer.text()
    # the intercept-only model explains nothing by fixed effects
    assert report.statistics[2].r2_marginal == 0.0


def test_same_fixed_effects_reml_models_are_comparable(tmp_path):
    session = Session(sample="sleepstudy", output_dir=tmp_path)
    ask_ok(session, f"LMM: {INTERCEPT}")
    ask_ok(session, f"LMM: {SLOPE}")
    answer = ask_ok(session, "how well do the models fit")
    report = answer.steps[0].result
    assert report.comparability is None
    text = answer.text()
    assert "cannot be compared" not in text
    # lme4: AIC 1794.465 (intercept) vs 1755.628 (slope); BIC 1807.237 vs 1774.786
    assert (
        "AIC is lowest for Model 2 (random intercept and slope model) (1,755.6) and BIC for "
        "Model 2 (random intercept and slope model) (1,774.8)" in text
    )


def test_compare_requests_still_compare(three_models):
    answer = ask_ok(three_models, "compare AIC/BIC")
    assert answer.steps[0].kind == "compare_models"


def test_the_slope_model_is_found_by_its_structure(three_models):
    """No model is called 'slope': 'the slope model' is the random slope model (model 1)."""
    answer = ask_ok(three_models, "what is the AIC of the slope model")
    assert answer.steps[0].result.focus is three_models.models[1]
    assert "How well Model 1 (random intercept and slope model) fits" in answer.text()


def test_r_style_calls(three_models):
    single = ask_ok(three_models, "AIC(m2)").steps[0].result
    assert single.focus is three_models.models[2]
    answer = ask_ok(three_models, "AIC(m1, m2)")
    (step,) = answer.steps
    assert step.kind == "compare_models"
    comparison = step.result.comparison
    assert not comparison.refitted_with_ml  # R's AIC() compares the fits as they are
    ref = load_case("sleepstudy_intercept")
    assert sorted(comparison.table["AIC"]) == pytest.approx(
        sorted([ref["AIC"], load_case("sleepstudy_slope")["AIC"]]), rel=1e-6
    )


def test_comparing_one_model_points_to_its_fit_statistics(one_model):
    answer = one_model.ask("compare AIC/BIC")
    assert not answer.ok
    assert "at least two fitted models" in str(answer.error)
    assert "`how well does the model fit`" in str(answer.error)
