"""Ceiling and floor effects (engine.ceiling_floor): shares at the bounds counted by hand,
Terwee et al.'s 15% rule, and the skewness against the closed form of G1."""

from __future__ import annotations

import math

import numpy as np
import pytest

from assistant.session import Session
from engine import fit_lmm
from engine.ceiling_floor import ceiling_floor
from engine.errors import LmmInputError
from engine.samples import load_sample


def _g1(values: np.ndarray) -> float:
    """The adjusted Fisher-Pearson skewness, sqrt(n (n - 1)) / (n - 2) * m3 / m2^1.5."""
    n = values.size
    d = values - values.mean()
    m2, m3 = np.mean(d ** 2), np.mean(d ** 3)
    return math.sqrt(n * (n - 1)) / (n - 2) * m3 / m2 ** 1.5


@pytest.fixture(scope="module")
def capped():
    """sleepstudy with reaction times capped at 350 ms: a ceiling by construction."""
    data = load_sample("sleepstudy").copy()
    data["Reaction"] = data["Reaction"].clip(upper=350.0)
    return data, fit_lmm("Reaction ~ Days + (1 | Subject)", data)


def test_a_capped_outcome_has_a_ceiling_effect(capped):
    data, fit = capped
    result = ceiling_floor(fit, "ceiling")
    (b,) = result.bounds
    y = data["Reaction"].to_numpy()
    tolerance = 0.005 * (y.max() - y.min())
    assert (b.side, b.bound, b.given) == ("ceiling", 350.0, False)
    assert b.tolerance == pytest.approx(tolerance)
    assert b.n_exact == int(np.sum(y == 350.0))
    assert b.n_at == int(np.sum(y >= 350.0 - tolerance))
    assert b.share == pytest.approx(b.n_at / 180)
    assert b.share > 0.15 and b.exceeds
    assert result.outcome_skewness == pytest.approx(_g1(y), rel=1e-10)
    assert result.residual_skewness == pytest.approx(_g1(np.asarray(fit.residuals())),
                                                     rel=1e-10)


def test_a_given_bound_is_used_and_values_beyond_it_are_counted(capped):
    data, fit = capped
    result = ceiling_floor(fit, "ceiling", 400.0)
    (b,) = result.bounds
    y = data["Reaction"].to_numpy()
    assert b.given and b.bound == 400.0
    assert b.tolerance == pytest.approx(0.005 * (400.0 - y.min()))
    assert b.n_at == 0 and not b.exceeds
    below = ceiling_floor(fit, "ceiling", 340.0).bounds[0]
    assert below.n_beyond == int(np.sum(y > 340.0))
    with pytest.raises(LmmInputError, match="leaves no room"):
        ceiling_floor(fit, "floor", 400.0)


def test_both_sides_of_pain_scores():
    fit = fit_lmm("pain_score ~ time + treatment + (1 | patient)", load_sample("pain_trial"))
    y = np.asarray(fit.model.y)
    result = ceiling_floor(fit)
    ceiling, floor = result.bounds
    tolerance = 0.005 * (y.max() - y.min())
    assert (ceiling.side, floor.side) == ("ceiling", "floor")
    assert ceiling.n_at == int(np.sum(y >= y.max() - tolerance))
    assert floor.n_at == int(np.sum(y <= y.min() + tolerance))
    assert not ceiling.exceeds and not floor.exceeds


def test_the_ceiling_question_gives_the_share_and_the_rule():
    session = Session(sample="sleepstudy")
    assert session.ask("Reaction ~ Days + (1 | Subject)").ok
    answer = session.ask("is there a ceiling effect?")
    assert answer.ok, answer.error
    text = answer.text()
    y = load_sample("sleepstudy")["Reaction"].to_numpy()
    assert f"the observed maximum, {y.max():.1f}" in text
    assert "no ceiling effect by the usual rule" in text
    assert "Terwee et al. 2007" in text
    assert "is there a ceiling effect at 100?" in text
    answer = session.ask("is there a floor effect at 300?")
    assert answer.ok, answer.error
    assert "lie below 300" in answer.text()
