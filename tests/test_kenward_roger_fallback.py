"""Kenward-Roger where it cannot be computed (pbkrtest's dense matrices over every random
effect; engine.kenward_roger.MAX_RANDOM_EFFECTS): a request that names it gets the error,
the session's setting gives way to Satterthwaite with the reason said."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from assistant.session import Session
from engine import fit_lmm
from engine.errors import LmmInputError
from engine.kenward_roger import MAX_RANDOM_EFFECTS

FORMULA = "y ~ x + (1 + x | g)"


@pytest.fixture(scope="module")
def wide(tmp_path_factory):
    """1,500 groups of 4 with a random slope: 3,000 random effects."""
    rng = np.random.default_rng(2)
    g = np.repeat(np.arange(1500), 4)
    x = rng.normal(size=g.size)
    y = (1 + 0.5 * x + rng.normal(size=1500)[g] + 0.3 * rng.normal(size=1500)[g] * x
         + rng.normal(size=g.size))
    path = tmp_path_factory.mktemp("kr") / "wide.csv"
    pd.DataFrame({"y": y, "x": x, "g": [f"g{v}" for v in g]}).to_csv(path, index=False)
    return path


def test_the_engine_refuses_or_falls_back_as_asked(wide):
    data = pd.read_csv(wide)
    assert 2 * 1500 > MAX_RANDOM_EFFECTS
    with pytest.raises(LmmInputError, match="all 3,000 random effects"):
        fit_lmm(FORMULA, data, ddf="kenward-roger")
    fallback = fit_lmm(FORMULA, data, ddf="kenward-roger", ddf_fallback="satterthwaite")
    plain = fit_lmm(FORMULA, data, ddf="satterthwaite")
    assert fallback.ddf_method == "satterthwaite"
    assert "all 3,000 random effects" in fallback.ddf_unavailable
    assert plain.ddf_unavailable is None
    assert [fe.df for fe in fallback.fixed_effects] == [fe.df for fe in plain.fixed_effects]
    assert [fe.se for fe in fallback.fixed_effects] == [fe.se for fe in plain.fixed_effects]
    assert fallback.to_dict()["ddf_unavailable"] == fallback.ddf_unavailable


def test_the_session_setting_gives_way_and_says_why(wide, tmp_path):
    session = Session(data_path=wide, output_dir=tmp_path)
    assert session.ask(f"LMM: {FORMULA}").ok
    first = session.models[1].fit
    answer = session.ask("use Kenward-Roger")
    assert answer.ok, answer.error
    text = answer.text()
    assert "Satterthwaite degrees of freedom (Kenward-Roger needs dense matrices" in text
    assert len(session.models) == 1 and session.models[1].fit is first
    # a later fit under the setting: Satterthwaite with the reason; a smaller model: KR
    again = session.ask(f"LMM: {FORMULA}")
    assert again.ok, again.error
    assert session.models[2].fit.ddf_method == "satterthwaite"
    assert "so these are used instead" in again.text()
    small = session.ask("fit a random intercept model")
    assert small.ok, small.error
    assert session.models[3].fit.ddf_method == "kenward-roger"
    assert session.models[3].fit.ddf_unavailable is None
