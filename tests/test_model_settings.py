"""'what optimizer was used?', 'how was the model fitted?': the model's own record."""

from __future__ import annotations

import pytest

from assistant.session import Session
from grammar import parse


@pytest.mark.parametrize(
    ("request_text", "model"),
    [
        ("what optimizer was used?", None),
        ("which optimizer did you use", None),
        ("what degrees of freedom method are you using?", None),
        ("what df method is used for model 2", "2"),
        ("how was model 2 fitted?", "2"),
    ],
)
def test_requests_parse_to_the_settings_step(request_text, model):
    (step,) = parse(request_text).steps
    assert (step.kind, step.model) == ("model_settings", model)


def test_settings_answer_gives_the_fits_record_and_the_session_df(tmp_path):
    session = Session(sample="pain_trial", output_dir=tmp_path)
    assert session.ask("LMM: pain_score ~ time + treatment + (1 | patient)").ok
    answer = session.ask("what optimizer was used?")
    assert answer.ok, answer.error
    fit = session.models[1].fit
    text = answer.text()
    assert "fitted by restricted maximum likelihood (REML) with NLopt's BOBYQA" in text
    assert f"{fit.opt.evaluations} evaluations of the profiled deviance" in text
    assert "Satterthwaite degrees of freedom" in text
    record = answer.steps[0].result.to_dict()
    assert (record["optimizer"], record["evaluations"], record["converged"]) == (
        "bobyqa", fit.opt.evaluations, True
    )
    # a df method chosen later applies to the model's tests, and so to this answer
    assert session.ask("use Kenward-Roger").ok
    later = session.ask("what df method is used?")
    assert "Kenward-Roger degrees of freedom" in later.text()
    assert later.steps[0].result.to_dict()["ddf"] == "kenward-roger"
    # an ML fit keeps Satterthwaite (Kenward-Roger is for REML fits) and is told so
    assert session.ask("refit with ML").ok
    ml = session.ask("how was model 2 fitted?")
    assert "by maximum likelihood (ML)" in ml.text()
    assert "Satterthwaite degrees of freedom" in ml.text()
    assert "`refit with REML`" in ml.text() and "Kenward-Roger" not in ml.text()
