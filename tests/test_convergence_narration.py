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


def test_failed_hessian_check_starts_the_ladder_and_names_the_fix():
    """Days x 1000 makes lme4 call the model nearly unidentifiable (see
    tests/data/hessian_check.json); the ladder runs without being asked, finds that
    centring and scaling Days passes the check, and says how to use that."""
    import pandas as pd

    from tests.conftest import find_reference_dir

    data = pd.read_csv(find_reference_dir() / "data" / "sleepstudy.csv")
    data["Days"] = data["Days"] * 1000
    session = Session(data=data)
    text = session.ask("LMM: Reaction ~ Days + (Days | Subject)").text()
    model = session.models[1]
    assert model.audit is not None
    assert "scaled_predictors" in model.audit.changes
    assert "The convergence check below tries the usual remedies" in text
    assert "Next, centre and scale" not in text
    assert "type `standardize Days`, then `LMM: Reaction ~ Days + (Days | Subject)`" in text
    # the model asked for is kept: lme4's Days slope (reference sleepstudy_slope) per 1000
    assert abs(model.fit.beta[1] - 10.467285959596 / 1000) < 1e-7
    # following the advice gives a fit that passes the check, with the slope per SD of Days
    assert session.ask("standardize Days").ok
    session.ask("LMM: Reaction ~ Days + (Days | Subject)")
    refit = session.models[2].fit
    assert refit.opt.hessian_check.outcome == "ok"
    sd_days = float(pd.Series(range(10)).repeat(18).std()) * 1000
    assert abs(refit.beta[1] - 10.467285959596 * sd_days / 1000) < 1e-4
