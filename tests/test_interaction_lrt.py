"""'test the interaction with a likelihood ratio test': the model without its interaction,
then the LRT of the two on ML refits, whatever the interaction's variables are called."""

from __future__ import annotations

import pytest

from assistant.session import Session
from engine import fit_lmm
from engine.samples import load_sample
from tests.conftest import ask_ok


def test_the_interaction_lrt_equals_twice_the_ml_loglik_difference(tmp_path):
    session = Session(sample="pain_trial", output_dir=tmp_path)
    ask_ok(session, "LMM: pain_score ~ time * treatment + (1 | patient)")
    answer = ask_ok(session, "test the interaction with a likelihood ratio test")
    table = next(r for r in answer.to_json() if r.get("kind") == "model_comparison")
    data = load_sample("pain_trial")
    larger = fit_lmm("pain_score ~ time * treatment + (1 | patient)", data, reml=False)
    smaller = fit_lmm("pain_score ~ time + treatment + (1 | patient)", data, reml=False)
    rows = sorted(table["table"], key=lambda r: r["npar"])
    assert [r["npar"] for r in rows] == [5, 6]
    assert rows[1]["Chisq"] == pytest.approx(2 * (larger.loglik - smaller.loglik), abs=1e-6)
    assert rows[1]["Df"] == 1
    assert rows[1]["Chisq"] == pytest.approx(0.06, abs=0.005)  # 0.06, p = .801 as narrated

