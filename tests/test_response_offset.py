"""Adding a constant to the response changes only the intercept (a closed form).

y and y + c have the same residuals, so the same REML criterion, theta, sigma, slopes and
BLUPs, and an intercept larger by c. Before a response far from zero was centred for
the cross-products (engine.model.fixed_part_removed), the criterion at the same theta was
1.6e-6 off for c = 1e4, 0.019 off for c = 1e6 and 36.7 off for c = 1e8 (checked against
a 50-digit evaluation), because the penalised RSS is a difference of sums of squares
of y's size.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from engine import fit_lmm


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    rng = np.random.default_rng(5)
    g = np.repeat(np.arange(10), 6)
    x = rng.normal(size=60)
    y = 2 * x + rng.normal(size=10)[g] + rng.normal(size=60)
    return pd.DataFrame({"y": y, "x": x, "g": [f"g{v}" for v in g]})


@pytest.mark.parametrize("offset", [1e4, 1e6, 1e8])
@pytest.mark.parametrize("formula", ["y ~ x + (1 | g)", "y ~ x + (x | g)"])
def test_an_offset_moves_only_the_intercept(frame, offset, formula) -> None:
    base = fit_lmm(formula, frame)
    moved = fit_lmm(formula, frame.assign(y=frame.y + offset))
    # y + offset is itself rounded, by up to offset * 2^-53 per value: the deviance can
    # move by about twice the sum of |residual| * that, ~ n * offset * 2.2e-16
    rounding = len(frame) * offset * 2.2e-16
    assert moved.model.deviance(base.theta, True) == pytest.approx(
        base.criterion, abs=1e-8 + rounding
    )
    assert moved.criterion == pytest.approx(base.criterion, abs=1e-6 + rounding)
    np.testing.assert_allclose(moved.theta, base.theta, rtol=1e-3, atol=1e-4)
    assert moved.sigma == pytest.approx(base.sigma, rel=1e-5)
    assert moved.beta[0] - offset == pytest.approx(base.beta[0], abs=1e-4 + 1e-12 * offset)
    assert moved.beta[1] == pytest.approx(base.beta[1], rel=1e-5)
    np.testing.assert_allclose(moved.b, base.b, atol=1e-4)


def test_only_a_response_far_from_zero_is_centred(frame) -> None:
    near = fit_lmm("y ~ x + (1 | g)", frame.assign(y=frame.y + 10.0))
    np.testing.assert_array_equal(near.model.centred_y, near.model.y)
    far = fit_lmm("y ~ x + (1 | g)", frame.assign(y=frame.y + 1e4))
    np.testing.assert_allclose(far.model.centred_y, far.model.y - far.model.y.mean())
    without_intercept = fit_lmm("y ~ 0 + x + (1 | g)", frame.assign(y=frame.y + 1e4))
    np.testing.assert_array_equal(without_intercept.model.centred_y, without_intercept.model.y)
