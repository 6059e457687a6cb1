"""'compare with a random intercept model' when only a random-slope model is fitted: the
model without its random slopes is fitted and the two are compared, with the numbers of
lme4's reference fits (the mirror of 'compare random intercept and random slope models'
on a random-intercept model)."""

from __future__ import annotations

import json

import pytest
from scipy import stats

from assistant.session import Session
from tests.conftest import SLEEP_FIT, ask_ok


def _loglik(reference_dir, case: str) -> float:
    return json.loads((reference_dir / "cases" / f"{case}.json").read_text())["logLik"]


@pytest.mark.parametrize("request_text", [
    "compare with a random intercept model",
    "compare it with a random intercept only model",
    "compare this model to a random intercept model",
])
def test_the_random_intercept_model_is_fitted_and_tested(tmp_path, reference_dir, request_text):
    session = Session(sample="sleepstudy", output_dir=tmp_path)
    ask_ok(session, SLEEP_FIT)
    answer = ask_ok(session, request_text)
    assert [s.kind for s in answer.steps] == ["modify_model", "compare_models"]
    assert session.models[2].fit.formula == "Reaction ~ Days + (1 | Subject)"
    # same fixed effects: REML likelihoods of lme4's two reference fits, 2 parameters
    # apart (the slope variance and the correlation), p corrected for the boundary
    chisq = 2 * (_loglik(reference_dir, "sleepstudy_slope")
                 - _loglik(reference_dir, "sleepstudy_intercept"))
    table = answer.steps[-1].result.comparison.table
    assert table["Chisq"].dropna().iloc[0] == pytest.approx(chisq, abs=1e-3)
    assert table["Df"].dropna().iloc[0] == 2
    assert table["p"].dropna().iloc[0] == pytest.approx(stats.chi2.sf(chisq, 2), rel=1e-4)
    boundary = 0.5 * stats.chi2.sf(chisq, 1) + 0.5 * stats.chi2.sf(chisq, 2)
    assert table["p_boundary"].dropna().iloc[0] == pytest.approx(boundary, rel=1e-4)


def test_a_random_intercept_model_already_fitted_is_compared_as_it_is(tmp_path):
    session = Session(sample="sleepstudy", output_dir=tmp_path)
    ask_ok(session, "fit Reaction ~ Days + (1 | Subject)")
    ask_ok(session, SLEEP_FIT)
    answer = ask_ok(session, "compare with a random intercept model")
    assert [s.kind for s in answer.steps] == ["compare_models"]
    assert len(session.models) == 2


def test_without_a_random_slope_there_is_no_model_to_build(tmp_path):
    session = Session(sample="sleepstudy", output_dir=tmp_path)
    ask_ok(session, "fit Reaction ~ Days + (1 | Subject)")
    answer = session.ask("compare with a random intercept model")
    assert not answer.ok and "needs at least two fitted models" in str(answer.error)
    assert len(session.models) == 1
