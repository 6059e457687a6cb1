"""R² of every model at once ("R2 for each model", "compare R2 across the models") and
R² columns in a model comparison ("compare models 1 and 2 using AIC and R2").

The R² are Nakagawa and Schielzeth's with Johnson's random-slope variance, taken from
engine.fit_statistics once per model. The expected numbers are the ones computed in R
with lme4 alone (the script in tests/test_fit_statistics.py, no MuMIn/performance on this
machine), and the random-slope row is also rebuilt here from the fit's VarCorr.
"""

from __future__ import annotations

import numpy as np
import pytest

from assistant.session import Session
from grammar import parse
from tests.conftest import ask_ok
from tests.test_fit_statistics import R2_TOL, R_SLEEPSTUDY

INTERCEPT = "Reaction ~ Days + (1 | Subject)"
SLOPE = "Reaction ~ Days + (Days | Subject)"
#: R's numbers for the three models in the order they are fitted below.
EXPECTED = [R_SLEEPSTUDY[INTERCEPT], R_SLEEPSTUDY[SLOPE], R_SLEEPSTUDY[f"{SLOPE} [ML]"]]



@pytest.fixture(scope="module")
def three_models(tmp_path_factory) -> Session:
    session = Session(sample="sleepstudy", output_dir=tmp_path_factory.mktemp("out"))
    ask_ok(session, f"LMM: {INTERCEPT}")
    ask_ok(session, f"LMM: {SLOPE}")
    ask_ok(session, f"fit {SLOPE} using ML")
    return session


@pytest.mark.parametrize(
    "request_text",
    [
        "R2 for each model",
        "compare R2 across the models",
        "marginal and conditional R2 of all models",
        "R squared of every model",
    ],
)
def test_one_r2_row_per_model_with_rs_numbers(three_models, request_text):
    answer = ask_ok(three_models, request_text)
    (step,) = answer.steps
    assert step.kind == "fit_statistics"
    report = step.result
    assert report.measure == "r2" and report.focus is None
    assert [m.number for m in report.models] == [1, 2, 3]
    for stats, expected in zip(report.statistics, EXPECTED, strict=True):
        assert stats.method == ("REML" if expected["reml"] else "ML")
        for field in ("var_fixed", "var_random", "var_residual", "r2_marginal",
                      "r2_conditional"):
            assert getattr(stats, field) == pytest.approx(expected[field], rel=R2_TOL), field
    text = answer.text()
    assert "R² of each model (Nakagawa and Schielzeth)" in text
    rows = {line.split("  ")[0]: line for line in text.splitlines() if line.startswith("Model ")}
    # R: 0.2799/0.7043 (intercept, REML), 0.2787/0.7992 (slope, REML), 0.2876/0.7928 (ML)
    intercept = rows["Model 1 (random intercept model)"]
    assert f"`{INTERCEPT}`" in intercept
    assert intercept.split()[-6:] == ["REML", "0.28", "0.70", "909.0", "1,378.2", "960.5"]
    slope_ml = rows["Model 3 (random intercept and slope model)"]
    assert f"`{SLOPE}`" in slope_ml
    assert slope_ml.split()[-6:] == ["ML", "0.29", "0.79", "909.0", "1,596.4", "654.9"]
    # the ML fit has the highest marginal R², the REML slope fit the highest conditional
    assert (
        "Marginal R² is highest for Model 3 (random intercept and slope model) (0.29); "
        "conditional R² is highest for Model 2 (random intercept and slope model) (0.80)."
    ) in text
    assert "does not penalise extra parameters" in text
    assert "REML fit and an ML fit of the same model can differ slightly" in text


def test_random_slope_row_matches_the_closed_form_from_varcorr(three_models):
    """σ²_r = v0 + 2 c mean(Days) + v1 mean(Days²) (Johnson 2014) from the fit's VarCorr,
    σ²_f = var(Xβ̂) with divisor n − 1, σ²_ε = σ²; written out here, not taken from the
    engine's variance module."""
    report = ask_ok(three_models, "R2 for each model").steps[0].result
    fit = three_models.models[2].fit
    vc = {(v.group, v.var1, v.var2): v.vcov for v in fit.variance_components}
    days = fit.data["Days"].to_numpy(float)
    var_fixed = np.var(fit.beta[0] + fit.beta[1] * days, ddof=1)
    var_random = (
        vc[("Subject", "(Intercept)", None)]
        + 2 * vc[("Subject", "(Intercept)", "Days")] * days.mean()
        + vc[("Subject", "Days", None)] * np.mean(days**2)
    )
    total = var_fixed + var_random + fit.sigma**2
    stats = report.statistics[1]
    assert stats.r2_marginal == pytest.approx(var_fixed / total, rel=1e-10)
    assert stats.r2_conditional == pytest.approx((var_fixed + var_random) / total, rel=1e-10)


def test_r2_json_has_a_row_per_model_with_its_formula(three_models):
    (entry,) = ask_ok(three_models, "R2 for each model").to_json()
    assert entry["kind"] == "fit_statistics" and entry["measure"] == "r2"
    rows = entry["models"]
    assert [r["model"]["formula"] for r in rows] == [INTERCEPT, SLOPE, SLOPE]
    assert [r["method"] for r in rows] == ["REML", "REML", "ML"]
    for row, expected in zip(rows, EXPECTED, strict=True):
        assert row["r2_marginal"] == pytest.approx(expected["r2_marginal"], rel=R2_TOL)
        assert row["r2_conditional"] == pytest.approx(expected["r2_conditional"], rel=R2_TOL)


def test_r2_of_two_named_models(three_models):
    answer = ask_ok(three_models, "compare R2 of models 1 and 2")
    report = answer.steps[0].result
    assert [m.number for m in report.models] == [1, 2]
    assert report.statistics[0].r2_conditional == pytest.approx(
        EXPECTED[0]["r2_conditional"], rel=R2_TOL
    )
    assert "R² of the 2 models" in answer.text()


def test_r2_of_one_model_gives_its_variance_parts(three_models):
    answer = ask_ok(three_models, "R2 of model 2")
    report = answer.steps[0].result
    assert report.focus is three_models.models[2] and len(report.models) == 1
    text = answer.text()
    assert "R² of Model 2 (random intercept and slope model)" in text
    assert "Marginal R² 0.28 (fixed effects alone), conditional R² 0.80" in text
    # R: σ²_f 908.95, σ²_r 1698.08, σ²_ε 654.94
    assert "fixed effects 909.0, random effects 1,698.1 and residual 654.9" in text


def test_fit_statistics_and_r2_is_one_full_report(three_models):
    (step,) = parse("fit statistics and R2 of all models").steps
    assert step.measure is None
    answer = ask_ok(three_models, "fit statistics and R2 of all models")
    assert "Fit statistics (each model's own criterion)" in answer.text()


def test_comparison_shows_r2_of_the_models_as_fitted(three_models):
    """Models 1 (REML) and 3 (ML) are refitted by ML for the likelihoods; the R² columns
    are those of the models as fitted, i.e. R's numbers for the REML intercept model and
    the ML slope model."""
    answer = ask_ok(three_models, "compare models 1 and 3 using AIC and R2")
    (step,) = answer.steps
    assert step.kind == "compare_models"
    result = step.result
    assert result.comparison.refitted_with_ml
    assert "R2" in result.criteria
    by_number = {m.number: s for m, s in zip(result.models, result.r2, strict=True)}
    assert by_number[1].method == "REML" and by_number[3].method == "ML"
    for number, expected in ((1, EXPECTED[0]), (3, EXPECTED[2])):
        assert by_number[number].r2_marginal == pytest.approx(expected["r2_marginal"],
                                                              rel=R2_TOL)
        assert by_number[number].r2_conditional == pytest.approx(
            expected["r2_conditional"], rel=R2_TOL
        )
    text = answer.text()
    header = next(line for line in text.splitlines() if line.startswith("Model  "))
    assert header.split()[-4:] == ["R²", "marg.", "R²", "cond."]
    row_1 = next(line for line in text.splitlines() if line.startswith("1: "))
    assert row_1.split()[-2:] == ["0.28", "0.70"]
    assert "The R² are those of the models as you fitted them" in text
    entry = answer.to_json()[0]
    assert [r["model"] for r in entry["r2"]] == [m.number for m in result.models]


def test_comparison_without_r2_is_unchanged(three_models):
    answer = ask_ok(three_models, "compare models 1 and 2")
    assert answer.steps[0].result.r2 == ()
    assert "R² marg." not in answer.text()
    assert answer.to_json()[0]["r2"] == []


#: R² of three schools models computed in R with lme4 1.1-31 alone (no MuMIn/performance):
#: σ²_f = var(predict(m, re.form = NA)), σ²_r = mean of z'Σz over the rows (Johnson 2014),
#: σ²_ε = sigma(m)^2, as in the script of tests/test_fit_statistics.py, on
#: engine/sample_data/schools.csv. Values: σ²_f, σ²_r, σ²_ε, R²m, R²c.
R_SCHOOLS = [
    ("LMM: test_score ~ SES + school_size + (1 | school)", "REML",
     (21.8923121823, 18.8825627494, 97.1526602003, 0.1587232902, 0.2956253434)),
    ("LMM: test_score ~ SES + school_size + (1 + SES | school)", "REML",
     (20.6908926430, 19.6356519574, 96.3377119435, 0.1513994454, 0.2950774813)),
    ("fit test_score ~ SES + (1 + SES | school) using ML", "ML",
     (15.6726784133, 24.4121633986, 96.3189579705, 0.1148991336, 0.2938689529)),
]


def test_each_schools_model_matches_r(tmp_path):
    session = Session(sample="schools", output_dir=tmp_path)
    for request, _, _ in R_SCHOOLS:
        ask_ok(session, request)
    answer = ask_ok(session, "R2 for each model")
    report = answer.steps[0].result
    fields = ("var_fixed", "var_random", "var_residual", "r2_marginal", "r2_conditional")
    for stats, (_, method, expected) in zip(report.statistics, R_SCHOOLS, strict=True):
        assert stats.method == method
        for field, value in zip(fields, expected, strict=True):
            assert getattr(stats, field) == pytest.approx(value, rel=R2_TOL), field
    assert (
        "Marginal R² is highest for Model 1 (random intercept model) (0.16); conditional "
        "R² is highest for Model 1 (random intercept model) and Model 2 (random intercept "
        "and slope model) (0.30)."
    ) in answer.text()
