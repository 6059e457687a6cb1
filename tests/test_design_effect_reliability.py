"""Kish's design effect (schools) and McGraw & Wong's inter-rater ICCs (ratings).

The design effect is checked against its closed form computed here from the variance
components of the intercept-only fit; the ICCs against McGraw & Wong's (1996) two-way
ANOVA mean-square formulas on a balanced complete raters x items table, where the REML
variance components equal the ANOVA estimators."""

from __future__ import annotations

import numpy as np
import pytest

from assistant.session import Session
from engine import fit_lmm
from engine.design_effect import design_effect
from engine.errors import LmmInputError
from engine.reliability import rater_reliability
from engine.samples import load_sample


@pytest.fixture(scope="module")
def schools_fit():
    return fit_lmm("test_score ~ SES + (1 | school)", load_sample("schools"))


def test_design_effect_is_kish_closed_form_with_the_unconditional_icc(schools_fit):
    data = load_sample("schools")
    null = fit_lmm("test_score ~ 1 + (1 | school)", data)
    between = next(v.vcov for v in null.variance_components if v.group == "school")
    residual = next(v.vcov for v in null.variance_components if v.group == "Residual")
    icc = between / (between + residual)
    m = len(data) / data["school"].nunique()
    result = design_effect(schools_fit)
    assert result.mean_cluster_size == pytest.approx(1543 / 40)
    assert result.icc == pytest.approx(icc, rel=1e-8)
    assert result.deff == pytest.approx(1 + (m - 1) * icc, rel=1e-8)
    assert result.effective_n == pytest.approx(len(data) / (1 + (m - 1) * icc), rel=1e-8)
    # the conditional design effect uses the fit's own (residual) ICC
    s2_school = next(v.vcov for v in schools_fit.variance_components if v.group == "school")
    icc_conditional = s2_school / (s2_school + schools_fit.sigma ** 2)
    assert result.conditional_icc == pytest.approx(icc_conditional, rel=1e-8)
    assert result.conditional_deff == pytest.approx(1 + (m - 1) * icc_conditional, rel=1e-8)


def test_design_effect_needs_one_grouping_factor():
    fit = fit_lmm("rating ~ condition + (1 | rater) + (1 | item)", load_sample("ratings"))
    with pytest.raises(LmmInputError, match="one level of clustering"):
        design_effect(fit)


def test_the_design_effect_question_says_which_icc_and_which_m(schools_fit):
    session = Session(sample="schools")
    assert session.ask("test_score ~ SES + (1 | school)").ok
    answer = session.ask("what is the design effect?")
    assert answer.ok, answer.error
    result = design_effect(schools_fit)
    text = answer.text()
    assert f"= {result.deff:.2f}" in text
    assert f"as {round(result.effective_n)} independent ones" in text
    assert "the mean cluster size, n / J = 38.6" in text
    assert "The ICC is the unconditional one" in text
    assert f"conditional ICC, {result.conditional_icc:.3f}" in text


def _balanced_ratings():
    """The ratings sample without the raters who missed an item: a complete table."""
    data = load_sample("ratings")
    missing = data.loc[data["rating"].isna(), "rater"].unique()
    balanced = data[~data["rater"].isin(missing)].reset_index(drop=True)
    assert balanced["rating"].notna().all()
    return balanced


def _mcgraw_wong_mean_squares(table: np.ndarray) -> dict[str, float]:
    """ICCs from the two-way ANOVA mean squares of an n targets x k raters table
    (McGraw & Wong 1996, Table 4)."""
    n, k = table.shape
    grand = table.mean()
    msr = k * ((table.mean(axis=1) - grand) ** 2).sum() / (n - 1)
    msc = n * ((table.mean(axis=0) - grand) ** 2).sum() / (k - 1)
    resid = table - table.mean(axis=1, keepdims=True) - table.mean(axis=0, keepdims=True) + grand
    mse = (resid ** 2).sum() / ((n - 1) * (k - 1))
    return {
        "a1": (msr - mse) / (msr + (k - 1) * mse + k * (msc - mse) / n),
        "c1": (msr - mse) / (msr + (k - 1) * mse),
        "ak": (msr - mse) / (msr + (msc - mse) / n),
        "ck": (msr - mse) / msr,
    }


def test_reml_iccs_equal_mcgraw_wong_mean_square_formulas_on_a_balanced_table():
    data = _balanced_ratings()
    table = data.pivot(index="item", columns="rater", values="rating").to_numpy()
    assert not np.isnan(table).any()
    expected = _mcgraw_wong_mean_squares(table)
    fit = fit_lmm("rating ~ 1 + (1 | rater) + (1 | item)", data)
    result = rater_reliability(fit, "rater")
    assert result.complete and result.k == table.shape[1] and result.n_targets == 24
    assert result.icc_a1 == pytest.approx(expected["a1"], abs=1e-6)
    assert result.icc_c1 == pytest.approx(expected["c1"], abs=1e-6)
    assert result.icc_ak == pytest.approx(expected["ak"], abs=1e-6)
    assert result.icc_ck == pytest.approx(expected["ck"], abs=1e-6)


@pytest.mark.parametrize("text", ["what is the inter-rater reliability?",
                                  "how reliable are the raters?"])
def test_the_reliability_question_on_the_ratings_model(text):
    session = Session(sample="ratings")
    assert session.ask("rating ~ condition + (1 | rater) + (1 | item)").ok
    answer = session.ask(text)
    assert answer.ok, answer.error
    result = answer.steps[0].result.result
    fit = session.models[1].fit
    s2 = {v.group: v.vcov for v in fit.variance_components}
    t, r, e = s2["item"], s2["rater"], s2["Residual"]
    assert (result.rater, result.target, result.k) == ("rater", "item", 30)
    assert result.icc_a1 == pytest.approx(t / (t + r + e), rel=1e-12)
    assert result.icc_c1 == pytest.approx(t / (t + e), rel=1e-12)
    assert result.icc_ak == pytest.approx(t / (t + (r + e) / 30), rel=1e-12)
    assert result.icc_ck == pytest.approx(t / (t + e / 30), rel=1e-12)
    text_out = answer.text()
    assert f"ICC(A,1) = {result.icc_a1:.3f}" in text_out
    assert "the item variance is the part they leave unexplained" in text_out
    assert "705 ratings of 720 possible" in text_out


def test_reliability_needs_crossed_random_intercepts():
    session = Session(sample="schools")
    assert session.ask("test_score ~ SES + (1 | school)").ok
    answer = session.ask("what is the inter-rater reliability?")
    assert not answer.ok
    assert str(answer.error) == (
        "Inter-rater reliability needs a model with crossed random intercepts for the "
        "raters and the things they rate, e.g. rating ~ 1 + (1 | rater) + (1 | item)."
    )


def test_a_crossed_model_without_a_rater_named_factor_is_asked_about():
    session = Session(sample="ratings")
    assert session.ask("rating ~ condition + (1 | rater) + (1 | item)").ok
    assert session.ask("how reliable are the items?").steps[0].result.result.rater == "item"
    data = load_sample("ratings").rename(columns={"rater": "panel"})
    session = Session(data=data)
    assert session.ask("rating ~ condition + (1 | panel) + (1 | item)").ok
    answer = session.ask("what is the inter-rater reliability?")
    assert not answer.ok
    assert str(answer.error) == (
        "Which grouping factor of Model 1 (crossed random effects model) holds the raters "
        "(panel, item)? Name it, e.g. `how reliable are the panel?`."
    )
