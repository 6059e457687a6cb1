"""A fixed effect against a practical threshold (engine.effect_threshold), checked against
lmerTest's contest1D(m, L, rhs) on the pain trial (tests/data/effect_threshold_lme4: the
script and its printed results), and the requests that reach it."""

from __future__ import annotations

import math

import pytest

from assistant.session import Session
from engine import fit_lmm
from engine.effect_threshold import threshold_test
from engine.errors import LmmInputError
from engine.samples import load_sample

# contest1D's t and Satterthwaite df (results.txt) and the one-sided tails R computed
R_TREATMENT_DF, R_TIME_DF = 78.0373786824, 208.658478757
CASES = [  # term, threshold, direction, kind, R's t (against the signed bound), R's p
    ("treatment", 10, "higher", "minimum_effect", 1.78033328438, 0.03945685769),
    ("treatment", 15, "higher", "minimum_effect", -1.27328651186, 0.896651867753),
    ("time", 3, "lower", "equivalence", 5.68229021034, 2.21629385664e-08),
    ("treatment", -10, "lower", "signed", -1.78033328438, 0.03945685769),
    ("time", -2, "higher", "signed", -1.86996542766, 0.968555443641),
]


@pytest.fixture(scope="module")
def fit():
    return fit_lmm("pain_score ~ time + treatment + (1 | patient)", load_sample("pain_trial"))


@pytest.mark.parametrize("term, threshold, direction, kind, t, p", CASES)
def test_threshold_tests_match_lmertest(fit, term, threshold, direction, kind, t, p):
    result = threshold_test(fit, term, threshold, direction)
    assert result.kind == kind
    assert result.t == pytest.approx(t, rel=1e-8)
    assert result.p == pytest.approx(p, rel=1e-7)
    assert result.df == pytest.approx(R_TREATMENT_DF if term == "treatment" else R_TIME_DF,
                                      rel=1e-8)
    assert result.supported == (p < 0.05)


def test_equivalence_is_the_90_percent_interval_inside_the_margins(fit):
    result = threshold_test(fit, "time", 3, "lower")
    assert -3 < result.tost_lower < result.tost_upper < 3
    assert result.t_upper == pytest.approx(-39.6312436176, rel=1e-8)  # R, rhs = 3
    wide = threshold_test(fit, "time", 2.1, "lower")  # the 90% interval crosses -2.1
    assert wide.tost_lower < -2.1 and not wide.supported


def test_minimum_effect_bound_and_p_agree(fit):
    """p < alpha exactly when the one-sided bound clears the threshold."""
    for delta in (9.0, 10.0, 10.5, 12.0):
        result = threshold_test(fit, "treatment", delta, "higher")
        assert result.side == -1
        assert (abs(result.bound) > delta) == result.supported
        assert result.ci_lower == pytest.approx(next(
            fe.ci_lower for fe in fit.fixed_effects if fe.term == "treatment[T.treated]"))


def test_zero_threshold_is_the_one_sided_test_of_the_coefficient(fit):
    row = next(fe for fe in fit.fixed_effects if fe.term == "time")
    result = threshold_test(fit, "time", 0, "lower")
    assert result.kind == "signed"
    assert result.p == pytest.approx(row.p / 2, rel=1e-9)  # half the two-sided p
    assert math.isclose(result.t, row.t, rel_tol=1e-12)


def test_a_term_with_several_coefficients_is_refused():
    data = load_sample("pain_trial").assign(visit=lambda d: d["time"].astype(str))
    fit = fit_lmm("pain_score ~ visit + (1 | patient)", data)
    with pytest.raises(LmmInputError, match="name one"):
        threshold_test(fit, "visit", 5, "higher")


def _answer(*requests: str) -> str:
    session = Session(sample="pain_trial")
    session.ask("LMM: pain_score ~ time + treatment + (1 | patient)")
    answer = None
    for request in requests:
        answer = session.ask(request)
    assert answer.ok, answer.error
    return answer.text()


def test_requests_reach_the_test_and_say_the_verdict():
    text = _answer("is the treatment effect larger than 10?")
    assert "Minimum-effect test" in text
    assert "t(78.0) = 1.78" in text and "one-sided p = .039" in text
    assert "Yes: the data support an effect larger than 10" in text
    text = _answer("is the effect of time smaller than 0.5?")
    assert "Equivalence test" in text and "Not shown" in text
    assert "0.500" not in text  # the threshold as typed


def test_clinically_meaningful_asks_for_the_threshold():
    text = _answer("is the treatment effect clinically meaningful?")
    assert "−12.9 (95% CI −16.2 to −9.7" in text
    assert "minimal clinically important difference" in text
    assert "`is the treatment effect larger than 10?`" in text


def test_a_coefficient_in_an_interaction_is_called_conditional():
    fit = fit_lmm("pain_score ~ time * treatment + (1 | patient)", load_sample("pain_trial"))
    assert threshold_test(fit, "treatment", 10, "higher").interactions == ("time:treatment",)
    assert threshold_test(fit, "time:treatment", 1, "higher").interactions == ()
