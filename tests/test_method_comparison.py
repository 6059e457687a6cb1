"""One model under two methods (engine.method_comparison), against lme4/lmerTest/pbkrtest:
sleepstudy's Reaction ~ Days + (Days | Subject) in /work/shared/reference (cases
sleepstudy_slope, REML with Satterthwaite and Kenward-Roger columns, and
sleepstudy_slope_ml). Tolerances are the reference README's."""

from __future__ import annotations

import json

import pytest

from assistant.session import Session
from engine import fit_lmm
from engine.errors import LmmInputError
from engine.method_comparison import ddf_comparison, estimation_comparison
from engine.samples import load_sample
from tests.conftest import ask_ok

FORMULA = "Reaction ~ Days + (Days | Subject)"


@pytest.fixture(scope="module")
def sleep_fit():
    return fit_lmm(FORMULA, load_sample("sleepstudy"))


def _case(reference_dir, name):
    return json.loads((reference_dir / "cases" / f"{name}.json").read_text())


def test_satterthwaite_and_kenward_roger_are_lmertests_and_pbkrtests(sleep_fit, reference_dir):
    truth = {r["term"]: r for r in _case(reference_dir, "sleepstudy_slope")["fixef"]}
    result = ddf_comparison(sleep_fit)
    assert [r.term for r in result.rows] == ["(Intercept)", "Days"]
    for row in result.rows:
        r = truth[row.term]
        assert row.se_satterthwaite == pytest.approx(r["se"], rel=1e-3)
        assert row.df_satterthwaite == pytest.approx(r["df_satterthwaite"], rel=1e-2)
        assert row.p_satterthwaite == pytest.approx(r["p_satterthwaite"], rel=1e-2, abs=1e-8)
        assert row.se_kenward_roger == pytest.approx(r["se_kr"], rel=1e-3)
        assert row.df_kenward_roger == pytest.approx(r["df_kr"], rel=1e-2)
        assert row.p_kenward_roger == pytest.approx(r["p_kr"], rel=1e-2, abs=1e-8)


def test_kenward_roger_comparison_refuses_an_ml_fit(sleep_fit):
    with pytest.raises(LmmInputError, match="REML"):
        ddf_comparison(sleep_fit.refit(reml=False))


def test_reml_and_ml_columns_are_lme4s_two_fits(sleep_fit, reference_dir):
    reml, ml = _case(reference_dir, "sleepstudy_slope"), _case(reference_dir, "sleepstudy_slope_ml")
    result = estimation_comparison(sleep_fit)
    for row, r, m in zip(result.fixed, reml["fixef"], ml["fixef"], strict=True):
        assert row.term == r["term"] == m["term"]
        assert row.estimate_reml == pytest.approx(r["estimate"], rel=1e-4)
        assert row.estimate_ml == pytest.approx(m["estimate"], rel=1e-4)
        assert row.se_reml == pytest.approx(r["se"], rel=1e-3)
        assert row.se_ml == pytest.approx(m["se"], rel=1e-3)
    for row, r, m in zip(result.variances, reml["varcorr"], ml["varcorr"], strict=True):
        assert row.group == r["grp"] == m["grp"]
        assert row.vcov_reml == pytest.approx(r["vcov"], rel=1e-3)
        assert row.vcov_ml == pytest.approx(m["vcov"], rel=1e-3)
        assert row.sdcor_ml == pytest.approx(m["sdcor"], rel=1e-3, abs=1e-3)
    assert result.loglik_reml == pytest.approx(reml["logLik"], rel=1e-6)
    assert result.loglik_ml == pytest.approx(ml["logLik"], rel=1e-6)
    # the same comparison from an ML fit: the REML column is then the refit
    from_ml = estimation_comparison(sleep_fit.refit(reml=False))
    assert from_ml.variances[0].vcov_reml == pytest.approx(reml["varcorr"][0]["vcov"], rel=1e-3)


@pytest.mark.parametrize("request_text, heading", [
    ("compare Satterthwaite and Kenward-Roger p-values", "Satterthwaite and Kenward-Roger tests"),
    ("compare REML and ML estimates", "REML and ML estimates"),
])
def test_the_requests_reach_the_comparisons(tmp_path, request_text, heading):
    session = Session(sample="sleepstudy", output_dir=tmp_path)
    ask_ok(session, FORMULA)
    text = ask_ok(session, request_text).text()
    assert f"{heading}, Model 1" in text
    if "REML" in request_text:
        assert "565.5" in text and "612.1" in text  # the Subject intercept variance, ML and REML
    else:
        assert "The two methods agree" in text
