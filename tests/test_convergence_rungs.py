"""One remedy on request: "try a different optimizer", "simplify the random effects"."""

from __future__ import annotations

import pytest

from assistant.session import Session
from engine.convergence import remedy_convergence
from engine.errors import LmmInputError
from tests.test_convergence import zero_slope_data
from tests.test_reference_cases import fitted, load_case, load_data


def test_the_optimizer_rung_alone_compares_the_optimizers_and_nothing_else():
    audit = remedy_convergence("y ~ x + (1 + x | g)", zero_slope_data(), rungs=("optimizer",))
    kinds = [s.kind for s in audit.steps]
    assert kinds == ["check_optimum"] + ["optimizer"] * 4
    assert audit.final_formula == audit.requested_formula == "y ~ x + (1 + x | g)"
    assert audit.changes == ()


def test_the_simplify_rung_alone_gives_the_full_ladders_tests():
    data = zero_slope_data()
    whole = remedy_convergence("y ~ x + (1 + x | g)", data)
    alone = remedy_convergence("y ~ x + (1 + x | g)", data, rungs=("simplify",))
    assert [s.kind for s in alone.steps] == ["check_optimum", "uncorrelated", "drop_slope"]
    assert alone.final_formula == whole.final_formula == "y ~ x + (1 | g)"
    for a, b in zip(alone.steps[1:], whole.steps[-2:], strict=True):
        assert a.lrt_chisq == pytest.approx(b.lrt_chisq, abs=1e-6)
        assert a.decision == b.decision == "accepted"


def test_simplifying_a_sound_fit_on_request_is_tested_against_lme4s_criteria():
    """sleepstudy: the correlation can go (REML LRT from the reference criteria), the slope
    variance cannot (χ² ≈ 42.8), so the request ends at ``(1 + Days || Subject)``."""
    fit = fitted("sleepstudy_slope")
    audit = remedy_convergence(
        fit.formula, load_data("sleepstudy_slope"), fit=fit, rungs=("simplify",)
    )
    check, uncorrelated, dropped = audit.steps
    assert check.decision == "ok"
    slope = load_case("sleepstudy_slope")["criterion"]
    no_corr = load_case("sleepstudy_uncorrelated")["criterion"]
    intercept = load_case("sleepstudy_intercept")["criterion"]
    assert uncorrelated.decision == "accepted"
    assert uncorrelated.lrt_df == 1
    assert uncorrelated.lrt_chisq == pytest.approx(no_corr - slope, abs=1e-5)
    assert dropped.decision == "rejected"
    assert dropped.lrt_chisq == pytest.approx(intercept - no_corr, abs=1e-5)
    assert dropped.lrt_p_boundary < 1e-9
    assert audit.final_formula == "Reaction ~ Days + (1 + Days || Subject)"


def test_an_unknown_rung_is_refused_in_words():
    with pytest.raises(LmmInputError, match="no remedy called rescale"):
        remedy_convergence("y ~ x + (1 | g)", zero_slope_data(), rungs=("rescale",))


@pytest.fixture()
def sleepstudy_session(tmp_path):
    session = Session(data=load_data("sleepstudy_slope"), output_dir=tmp_path)
    assert session.ask("LMM: Reaction ~ Days + (Days | Subject)").ok
    return session


def test_try_a_different_optimizer_runs_that_rung_only(sleepstudy_session):
    answer = sleepstudy_session.ask("try a different optimizer")
    assert answer.ok, answer.text()
    (item,) = answer.to_json()
    assert item["kind"] == "convergence_audit"
    assert [s["kind"] for s in item["steps"]] == ["check_optimum"] + ["optimizer"] * 4
    text = answer.text()
    assert "Refitted with 4 optimizers: they reach the same optimum" in text
    assert "Nothing needed to change" in text


def test_simplify_on_request_reports_the_tests_and_keeps_the_model(sleepstudy_session):
    answer = sleepstudy_session.ask("simplify the random effects")
    assert answer.ok, answer.text()
    (item,) = answer.to_json()
    assert item["final_formula"] == "Reaction ~ Days + (1 + Days || Subject)"
    text = answer.text()
    assert "likelihood-ratio tests above do not reject" in text
    assert "resolves the problem" not in text
    assert "Model 1 is still the model you asked for" in text
    assert len(sleepstudy_session.state.models) == 1


def test_a_single_column_term_has_no_correlation_to_remove():
    """(0 + x | g) is one column: `||` would rewrite it as itself (a χ² on 0 df)."""
    audit = remedy_convergence("y ~ x + (0 + x | g)", zero_slope_data(), rungs=("simplify",))
    assert [s.kind for s in audit.steps] == ["check_optimum"]
    assert audit.rungs == ("simplify",) and audit.to_dict()["rungs"] == ["simplify"]
    assert remedy_convergence("y ~ x + (1 | g)", zero_slope_data()).to_dict()["rungs"] is None


@pytest.mark.parametrize(
    ("formula", "said"),
    [
        ("Reaction ~ Days + (1 | Subject)", "every grouping factor has a random intercept only"),
        ("Reaction ~ Days + (0 + Days | Subject)", "dropping it would leave no random effects"),
    ],
)
def test_nothing_simpler_to_try_is_said(tmp_path, formula, said):
    session = Session(data=load_data("sleepstudy_slope"), output_dir=tmp_path)
    assert session.ask(f"LMM: {formula}").ok
    text = session.ask("simplify the random effects").text()
    assert "Nothing simpler to try: " in text and said in text
    assert "χ²(0)" not in text
