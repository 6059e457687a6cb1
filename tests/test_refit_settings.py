"""What "refit" and the reports use after the user changes a setting or the data.

The rule ("the most recent choice wins", as R's ``update(m)`` re-reads its data):
a setting the request names wins; a setting chosen after the model was fitted comes
next; the model's own setting otherwise. A refit after a transform of the model's data
set uses the data as they are now. Kenward-Roger is defined for REML fits only
(pbkrtest), so a session default of Kenward-Roger gives ML fits Satterthwaite df.
"""

from __future__ import annotations

import numpy as np
import pytest

from assistant.session import Session
from engine.lmm import fit_lmm

SLOPE = "Reaction ~ Days + (Days | Subject)"


@pytest.fixture()
def sleep(tmp_path) -> Session:
    session = Session(sample="sleepstudy", output_dir=tmp_path)
    assert session.ask(f"fit {SLOPE}").ok
    return session


def _only_fit(answer):
    assert answer.ok, answer.error
    (step,) = answer.steps
    return step.result.fit


def test_refit_after_choosing_kenward_roger_uses_it(sleep):
    assert sleep.ask("use Kenward-Roger").ok
    answer = sleep.ask("refit")
    fit = _only_fit(answer)
    expected = fit_lmm(SLOPE, sleep.state.data, ddf="kenward-roger")
    assert fit.ddf_method == "kenward-roger"
    for got, want in zip(fit.fixed_effects, expected.fixed_effects, strict=True):
        assert got.df == pytest.approx(want.df, rel=1e-9)
        assert got.se == pytest.approx(want.se, rel=1e-9)
    assert "with the session's current settings: Kenward-Roger degrees of freedom" in (
        answer.text()
    )
    # the model fitted before the choice keeps its Satterthwaite tests
    assert sleep.models[1].fit.ddf_method == "satterthwaite"


def test_reports_of_an_earlier_model_follow_a_later_df_choice(sleep):
    """lmerTest picks the df when the summary is asked for; so do the reports here."""
    assert sleep.ask("use Kenward-Roger").ok
    fixed = sleep.ask("show the fixed effects")
    assert fixed.ok, fixed.error
    kr = fit_lmm(SLOPE, sleep.state.data, ddf="kenward-roger")
    shown = fixed.steps[0].result.model.fit
    assert [fe.df for fe in shown.fixed_effects] == pytest.approx(
        [fe.df for fe in kr.fixed_effects], rel=1e-9
    )
    anova = sleep.ask("anova")
    assert anova.ok, anova.error
    table = anova.steps[0].result.table
    assert table["den_df"].iloc[0] == pytest.approx(kr.fixed_effects[1].df, rel=1e-6)
    assert "Kenward-Roger" in anova.text()
    assert len(sleep.models) == 1  # reports file no new model


def test_a_choice_made_before_the_fit_does_not_override_the_models_own(tmp_path):
    session = Session(sample="sleepstudy", output_dir=tmp_path)
    assert session.ask("use Kenward-Roger").ok
    assert session.ask(f"fit {SLOPE} with satterthwaite").ok
    fit = _only_fit(session.ask("refit with nelder-mead"))
    assert fit.ddf_method == "satterthwaite"
    assert fit.optimizer == "nelder-mead"


def test_refit_after_centering_uses_the_centred_data(sleep):
    assert sleep.ask("center Days").ok
    answer = sleep.ask("refit")
    fit = _only_fit(answer)
    days = sleep.state.data["Days"]
    assert days.mean() == pytest.approx(0.0, abs=1e-12)
    # centring moves the intercept to the mean day and leaves the slope alone
    old = sleep.models[1].fit
    assert fit.beta[1] == pytest.approx(old.beta[1], rel=1e-6)
    assert fit.beta[0] == pytest.approx(old.beta[0] + 4.5 * old.beta[1], rel=1e-6)
    assert np.allclose(fit.data["Days"], days)
    assert "on `sleepstudy` as it is now" in answer.text()
    # the first model keeps the uncentred data
    assert sleep.models[1].fit.data["Days"].min() == 0


def test_ml_after_kenward_roger_falls_back_to_satterthwaite_and_says_so(sleep):
    assert sleep.ask("use Kenward-Roger").ok
    ml = sleep.ask("use ML")
    assert ml.ok, ml.error
    assert "ML fits use Satterthwaite degrees of freedom until you say `use REML`" in ml.text()
    fit = _only_fit(sleep.ask("fit Reaction ~ Days + (1 | Subject)"))
    assert (fit.method, fit.ddf_method) == ("ML", "satterthwaite")
    assert sleep.ask("use REML").ok
    again = _only_fit(sleep.ask("refit"))
    assert (again.method, again.ddf_method) == ("REML", "kenward-roger")


def test_refit_with_ml_of_a_kenward_roger_model_uses_satterthwaite(tmp_path):
    session = Session(sample="sleepstudy", output_dir=tmp_path)
    assert session.ask(f"fit {SLOPE} with kenward-roger").ok
    answer = session.ask("refit with ML")
    fit = _only_fit(answer)
    assert (fit.method, fit.ddf_method) == ("ML", "satterthwaite")
    assert "so this ML fit uses Satterthwaite degrees of freedom" in answer.text()


def test_naming_ml_and_kenward_roger_together_is_refused_and_changes_nothing(sleep):
    answer = sleep.ask("refit with ML and kenward-roger")
    assert not answer.ok
    assert "REML fits only" in str(answer.error)
    assert list(sleep.models) == [1]


@pytest.mark.parametrize("request_text", ["refit by ML", "refit with ML", "refit model 1 using ML"])
def test_refit_by_ml_of_an_ml_model_says_so_and_fits_nothing(tmp_path, request_text):
    session = Session(sample="sleepstudy", output_dir=tmp_path)
    assert session.ask(f"fit {SLOPE} using ML").ok
    fit_before = session.models[1].fit
    answer = session.ask(request_text)
    assert answer.ok, answer.error
    assert list(session.models) == [1]
    assert session.models[1].fit is fit_before
    (step,) = answer.steps
    assert step.result.to_dict()["named"] == {"method": "ML"}
    assert answer.text().startswith(
        "Model 1 (random intercept and slope model) is already fitted by maximum likelihood (ML), "
        "so I refitted nothing"
    )


def test_refit_by_reml_of_a_reml_model_fits_nothing_but_by_ml_fits_a_new_model(sleep):
    answer = sleep.ask("refit with REML")
    assert answer.ok, answer.error
    assert list(sleep.models) == [1]
    assert "already fitted by restricted maximum likelihood (REML)" in answer.text()
    ml = _only_fit(sleep.ask("refit with ML"))
    assert list(sleep.models) == [1, 2]
    assert ml.method == "ML"
    # lme4's deviance of this ML fit (reference case sleepstudy_slope_ml)
    assert ml.criterion == pytest.approx(1751.93934448899, rel=1e-6)
    again = sleep.ask("refit model 2 by ML")
    assert list(sleep.models) == [1, 2]
    assert "Model 2 (random intercept and slope model) is already fitted by maximum" in (
        again.text()
    )


def test_refit_that_changes_another_setting_still_fits(tmp_path):
    session = Session(sample="sleepstudy", output_dir=tmp_path)
    assert session.ask(f"fit {SLOPE} using ML").ok
    fit = _only_fit(session.ask("refit with ML and nelder-mead"))
    assert (fit.method, fit.optimizer) == ("ML", "nelder-mead")
    assert list(session.models) == [1, 2]
