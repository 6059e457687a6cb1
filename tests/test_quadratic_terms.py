"""A quadratic term: I(x^2) in a formula is the same model as an explicit x² column, and
"add a quadratic time term" adds it to the current model, with the centring advice."""

import numpy as np
import pytest

from assistant.narrate import numbers as fmt
from assistant.session import Session
from engine import fit_lmm
from engine.fixed_covariance import fixed_effects_covariance, quadratic_terms
from engine.samples import load_sample


@pytest.fixture(scope="module")
def pain():
    return load_sample("pain_trial")


@pytest.fixture(scope="module")
def quadratic(pain):
    return fit_lmm("pain_score ~ time + I(time^2) + treatment + (1 | patient)", pain)


def test_i_of_a_square_equals_an_explicit_squared_column(pain, quadratic):
    explicit = pain.assign(time2=pain["time"] ** 2)
    fit = fit_lmm("pain_score ~ time + time2 + treatment + (1 | patient)", explicit)
    assert quadratic.fixed_names == ["(Intercept)", "time", "I(time^2)", "treatment[T.treated]"]
    np.testing.assert_allclose(quadratic.beta, fit.beta, rtol=1e-8)
    np.testing.assert_allclose(quadratic.vcov_beta, fit.vcov_beta, rtol=1e-6)
    np.testing.assert_allclose(quadratic.theta, fit.theta, rtol=1e-6)
    assert quadratic.loglik == pytest.approx(fit.loglik, rel=1e-10)
    # the design column really is time squared
    x = quadratic.model.X
    np.testing.assert_array_equal(np.asarray(x[:, 2]).ravel(), pain["time"].to_numpy() ** 2)


def test_covariance_and_correlation_of_the_estimates(quadratic):
    cov = fixed_effects_covariance(quadratic)
    np.testing.assert_array_equal(cov.vcov, quadratic.vcov_beta)
    sd = np.sqrt(np.diag(quadratic.vcov_beta))
    np.testing.assert_allclose(cov.correlation, quadratic.vcov_beta / np.outer(sd, sd),
                               rtol=1e-12)
    assert np.allclose(np.diag(cov.correlation), 1.0)
    # the fixed-effect SEs are the square roots of the diagonal
    np.testing.assert_allclose(sd, [fe.se for fe in quadratic.fixed_effects], rtol=1e-10)
    assert cov.terms == tuple(quadratic.fixed_names)


def test_centring_keeps_the_curvature_and_removes_most_of_the_correlation(pain, quadratic):
    (term,) = quadratic_terms(quadratic)
    assert (term.variable, term.linear_term, term.quadratic_term) == ("time", "time",
                                                                      "I(time^2)")
    assert term.mean == pytest.approx(pain["time"].mean()) and not term.centred
    v = quadratic.vcov_beta
    r = v[1, 2] / np.sqrt(v[1, 1] * v[2, 2])
    assert term.correlation == pytest.approx(r, rel=1e-12) and term.correlation < -0.9
    centred = pain.assign(time=pain["time"] - pain["time"].mean())
    fit = fit_lmm("pain_score ~ time + I(time^2) + treatment + (1 | patient)", centred)
    (after,) = quadratic_terms(fit)
    # visits at 0, 1, 3, 6 are skewed, so some correlation (the third moment) remains
    assert after.centred and abs(after.correlation) < abs(term.correlation) - 0.3
    # the squared term's coefficient does not depend on where time's zero is
    assert fit.beta[2] == pytest.approx(quadratic.beta[2], rel=1e-6)


def test_centred_symmetric_balanced_times_make_the_terms_uncorrelated():
    """Every subject at days 0..9: centred days are orthogonal to the intercept, to
    days² (a zero third moment) and to each subject's block of V⁻¹, so the linear and
    quadratic estimates are exactly uncorrelated."""
    sleep = load_sample("sleepstudy")
    centred = sleep.assign(Days=sleep["Days"] - sleep["Days"].mean())
    fit = fit_lmm("Reaction ~ Days + I(Days^2) + (1 | Subject)", centred)
    (term,) = quadratic_terms(fit)
    assert term.centred and abs(term.correlation) < 1e-10
    raw = fit_lmm("Reaction ~ Days + I(Days^2) + (1 | Subject)", sleep)
    assert quadratic_terms(raw)[0].correlation < -0.9


@pytest.mark.parametrize(
    ("request_text", "variable"),
    [
        ("add a quadratic time term", "time"),
        ("add time squared", "time"),
        ("add a quadratic effect of time", "time"),
        ("include a squared term for age", "age"),
    ],
)
def test_quadratic_requests_add_the_squared_term(tmp_path, request_text, variable):
    session = Session(sample="pain_trial", output_dir=tmp_path)
    assert session.ask("LMM: pain_score ~ time + treatment + (1 | patient)").ok
    answer = session.ask(request_text)
    assert answer.ok, answer.error
    fit = session.models[2].fit
    assert fit.formula == f"pain_score ~ time + treatment + I({variable}^2) + (1 | patient)"
    text = answer.text()
    assert f"Built from model 1 by adding {variable} squared (`I({variable}^2)`)" in text
    fe = next(f for f in fit.fixed_effects if f.term == f"I({variable}^2)")
    assert f"The {variable} squared term is {fmt.estimate(fe.estimate, fe.se)} (" in text
    (term,) = answer.steps[0].result.quadratics
    if variable == "time":
        r = f"{term.correlation:.2f}".replace("-", "\u2212")  # the narration's minus sign
        assert (f"time is not centred (mean {term.mean:.2f}), so the estimates of time and "
                f"time squared are correlated (r = {r})") in text
    else:  # age has no linear term in the model: no correlation to speak of
        assert term.linear_term is None and "not centred" not in text


def test_no_centring_advice_once_time_is_centred(tmp_path):
    session = Session(sample="pain_trial", output_dir=tmp_path)
    assert session.ask("center time").ok
    assert session.ask("LMM: pain_score ~ time + treatment + (1 | patient)").ok
    answer = session.ask("add time squared")
    assert answer.ok, answer.error
    (term,) = answer.steps[0].result.quadratics
    assert term.centred
    assert "not centred" not in answer.text()


def test_adding_a_square_twice_is_refused(tmp_path):
    session = Session(sample="pain_trial", output_dir=tmp_path)
    assert session.ask("LMM: pain_score ~ time + I(time^2) + (1 | patient)").ok
    answer = session.ask("add time squared")
    assert not answer.ok
    assert "already in the model" in str(answer.error)
