"""The audit trail of an iteration-capped fit is told as such, not as a simplification."""

from assistant.session import Session


def test_iteration_cap_is_narrated_and_lifted():
    session = Session(sample="sleepstudy")
    assert session.ask("set max iterations to 5").ok
    answer = session.ask("LMM: Reaction ~ Days + (Days | Subject)")
    text = answer.text()
    assert "stopped at its limit of 5 iterations" in text
    assert "refitted without that limit, it converged" in text
    assert "fitted without the iteration limit" in text
    assert "Dropped the random slope" not in text
    fit = session.models[1].fit
    assert fit.converged
    # The kept fit is lme4's optimum for this model (shared reference sleepstudy_slope).
    assert abs(fit.criterion - 1743.62827195995) < 1e-5
