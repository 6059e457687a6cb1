"""The covariance matrix of the fixed-effect estimates ("vcov") and the observation-count
questions ("how many observations were used")."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

from assistant.session import Session
from engine import fit_lmm
from engine.fixed_covariance import fixed_effects_covariance
from tests.conftest import find_reference_dir

REFERENCE = find_reference_dir()


@pytest.fixture(scope="module")
def pain(tmp_path_factory) -> Session:
    session = Session(sample="pain_trial", output_dir=tmp_path_factory.mktemp("figures"))
    assert session.ask("LMM: pain_score ~ time + I(time^2) + treatment + (1 | patient)").ok
    return session


def test_vcov_diagonal_gives_lme4s_standard_errors():
    case = json.loads((REFERENCE / "cases" / "sleepstudy_slope.json").read_text())
    data = pd.read_csv(REFERENCE / "data" / "sleepstudy.csv", dtype={"Subject": str})
    fit = fit_lmm(case["formula"], data)
    cov = fixed_effects_covariance(fit)
    expected = {row["term"]: row["se"] for row in case["fixef"]}
    np.testing.assert_allclose(np.sqrt(np.diag(cov.vcov)),
                               [expected[t] for t in ("(Intercept)", "Days")], rtol=1e-3)


def test_vcov_agrees_with_statsmodels_for_a_random_intercept_model():
    data = pd.read_csv(REFERENCE / "data" / "Orthodont.csv")
    data["Subject"] = data["Subject"].astype(str)
    fit = fit_lmm("distance ~ age * Sex + (1 | Subject)", data)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sm = smf.mixedlm("distance ~ age * Sex", data, groups=data["Subject"]).fit(reml=True)
    names = ["Intercept" if n == "(Intercept)" else n for n in fit.fixed_names]
    theirs = sm.cov_params().loc[names, names].to_numpy()
    cov = fixed_effects_covariance(fit)
    np.testing.assert_allclose(cov.vcov, theirs, rtol=2e-3)
    sd = np.sqrt(np.diag(theirs))
    np.testing.assert_allclose(cov.correlation, theirs / np.outer(sd, sd), atol=1e-4)


@pytest.mark.parametrize(
    "request_text",
    [
        "show the variance-covariance matrix of the fixed effects",
        "vcov",
        "covariance matrix of the estimates",
        "show the correlation of the fixed effects",
    ],
)
def test_vcov_requests_report_the_fits_matrix(pain, request_text):
    answer = pain.ask(request_text)
    assert answer.ok, answer.error
    (step,) = answer.steps
    assert step.kind == "vcov"
    result = step.result.result
    fit = pain.models[1].fit
    np.testing.assert_array_equal(result.vcov, fit.vcov_beta)
    sd = np.sqrt(np.diag(fit.vcov_beta))
    correlation = fit.vcov_beta / np.outer(sd, sd)
    np.testing.assert_allclose(result.correlation, correlation, rtol=1e-12)
    assert result.terms == tuple(fit.fixed_names)
    text = answer.text()
    # the correlation table prints lme4's three decimals, lower triangle
    r = correlation[fit.fixed_names.index("I(time^2)"), fit.fixed_names.index("time")]
    minus = "\u2212"
    assert f"{r:.3f}".replace("-", minus) in text
    assert ("The strongest correlation is between the time and time squared estimates "
            f"(r = {r:.2f})").replace("-", minus) in text
    assert "Covariance of the estimates" in text and "Correlation of the estimates" in text
    payload = answer.to_json()[0]
    assert payload["kind"] == "fixed_effects_covariance"
    np.testing.assert_allclose(payload["vcov"], fit.vcov_beta)


def test_vcov_of_a_named_model(pain):
    assert pain.ask("LMM: pain_score ~ time + (1 | patient)").ok
    answer = pain.ask("show the vcov of model 2")
    assert answer.ok, answer.error
    result = answer.steps[0].result.result
    np.testing.assert_array_equal(result.vcov, pain.models[2].fit.vcov_beta)
    assert result.terms == ("(Intercept)", "time")
    # R's spelling: m1 is model 1
    answer = pain.ask("vcov(m1)")
    assert answer.ok, answer.error
    assert answer.steps[0].result.model.number == 1
    np.testing.assert_array_equal(answer.steps[0].result.result.vcov, pain.models[1].fit.vcov_beta)


@pytest.mark.parametrize(
    "request_text",
    ["how many observations were used", "how many observations are in the model",
     "how many observations did the model use"],
)
def test_observation_count_questions_give_the_observation_report(pain, request_text):
    answer = pain.ask(request_text)
    assert answer.ok, answer.error
    (step,) = answer.steps
    assert step.kind == "missing_data"
    audit = step.result.result
    fit = pain.models[1].fit
    assert audit.subject == "patient"
    assert fit.nobs == 287
    assert f"{fit.nobs} complete observations (of 287 rows) from 80 levels of patient" in (
        answer.text())
