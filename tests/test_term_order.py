"""Random-effects terms in lme4's order when two terms have as many levels.

lme4 (``mkReTrms``) keeps the formula's order unless a later term has more levels;
then it sorts by levels, largest first, with tied terms in reverse formula order. The
sweep against lme4 (``--shapes extra``, seed 11, model 8) found that ours kept tied
terms in formula order, so theta, VarCorr and the BLUPs were listed in another order
than lme4's (the criterion agreed). lme4 1.1-31's numbers are in
tests/data/term_order/lme4.json (make.R).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from engine import fit_lmm
from engine.model import lme4_term_order

HERE = Path(__file__).parent / "data" / "term_order"
LME4 = json.loads((HERE / "lme4.json").read_text())


@pytest.mark.parametrize("formula", sorted(LME4))
def test_theta_varcorr_and_blups_follow_lme4s_order(formula: str) -> None:
    expected = LME4[formula]
    fit = fit_lmm(formula, pd.read_csv(HERE / "data.csv"))
    np.testing.assert_allclose(fit.theta, expected["theta"], rtol=1e-5)
    assert fit.criterion == pytest.approx(expected["criterion"], rel=1e-9)
    assert fit.opt.evaluations == expected["evaluations"]
    components = fit.variance_components
    assert [v.group for v in components] == expected["vc_group"]
    assert [v.var1 for v in components] == expected["vc_var1"]
    np.testing.assert_allclose([v.sdcor for v in components], expected["sdcor"], rtol=1e-4)
    effects = fit.random_effects
    assert [effects[0].term, effects[-1].term] == expected["re_term"]


def test_the_order_rule() -> None:
    assert lme4_term_order([10, 10, 11]) == [2, 1, 0]
    assert lme4_term_order([30, 10]) == [0, 1]
    assert lme4_term_order([10, 10]) == [0, 1]  # no later term has more levels
    assert lme4_term_order([5, 9, 9, 2]) == [2, 1, 0, 3]
