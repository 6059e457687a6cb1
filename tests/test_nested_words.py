"""Nested groups named in words with plurals ("casks nested in batches"): the fit uses the
columns the words mean (cask, batch) and gives lme4's nested model on its Pastes data
(/work/shared/reference/cases/pastes_nested.json, tolerances of its README)."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from assistant.session import Session

PASTES = "strength ~ 1 + (1 | batch/cask)"


@pytest.mark.parametrize(
    "request_text",
    [
        "mixed model of strength with casks nested in batches",
        "mixed model of strength with cask nested in batch",
    ],
)
def test_plural_nested_words_fit_lme4s_model(reference_dir, tmp_path, request_text):
    data = pd.read_csv(reference_dir / "data" / "Pastes.csv")
    lme4 = json.loads((reference_dir / "cases" / "pastes_nested.json").read_text())
    session = Session(data=data, output_dir=tmp_path)
    answer = session.ask(request_text)
    assert answer.ok, answer.error
    fit = session.models[1].fit
    assert fit.formula == PASTES
    assert fit.criterion == pytest.approx(lme4["criterion"], rel=1e-6)
    ours = {vc.group: vc.vcov for vc in fit.variance_components}
    for row in lme4["varcorr"]:
        assert ours[row["grp"]] == pytest.approx(row["vcov"], rel=1e-3)
