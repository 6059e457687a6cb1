"""A predictor centred far from zero for its spread is named, with its mean and SD.

Shifting a fixed-effect column by a constant changes only the intercept and leaves the
REML criterion the same (X -> X T with det T = 1), so the criterion of the raw and the
centred predictor measures the precision the raw one costs.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from assistant.session import Session
from engine import fit_lmm
from engine.design import FAR_FROM_ZERO_RATIO, far_from_zero_columns


def _frame(offset: float, seed: int = 5) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    g = np.repeat(np.arange(10), 6)
    x = offset + rng.normal(size=60)
    y = 2 * (x - offset) + rng.normal(size=10)[g] + rng.normal(size=60)
    return pd.DataFrame({"y": y, "x": x, "site": [f"s{v}" for v in g]})


def test_only_continuous_columns_far_from_zero_are_named() -> None:
    rng = np.random.default_rng(1)
    n = 50
    x = 1e5 + rng.normal(size=n)
    near = 10.0 + rng.normal(size=n)
    dummy = (rng.random(n) > 0.5).astype(float)
    X = np.column_stack([np.ones(n), x, near, dummy])
    found = far_from_zero_columns(X, ["(Intercept)", "x", "near", "dummy"])
    assert [c.name for c in found] == ["x"]
    assert found[0].mean == pytest.approx(x.mean(), rel=1e-12)
    assert found[0].sd == pytest.approx(x.std(ddof=1), rel=1e-9)
    # the rule is mean > ratio * SD
    edge = 1.0 + rng.normal(size=n)
    edge = edge - edge.mean() + FAR_FROM_ZERO_RATIO * 0.99 * edge.std(ddof=1)
    assert far_from_zero_columns(edge[:, None], ["edge"]) == []


@pytest.mark.parametrize(("offset", "flagged"), [(1e2, False), (1e3, False), (1e5, True)])
def test_the_fit_names_the_predictor_and_the_precision_it_costs(offset, flagged) -> None:
    raw = fit_lmm("y ~ x + (1 | site)", _frame(offset))
    frame = _frame(offset)
    centred = fit_lmm("y ~ x + (1 | site)", frame.assign(x=frame.x - frame.x.mean()))
    lost = abs(raw.model.deviance(centred.theta, True) - centred.criterion)
    assert bool(raw.far_from_zero) is flagged
    assert any("far from zero" in w for w in raw.warnings) is flagged
    assert not centred.far_from_zero
    if flagged:
        assert raw.far_from_zero[0].name == "x"
        assert raw.far_from_zero[0].centred_in_fit
        assert "no precision was lost" in next(w for w in raw.warnings if "far from zero" in w)
    # 0.002 at 1e5 before the fit centred such columns for its cross-products
    assert lost < 1e-9


@pytest.mark.parametrize("offset", [1e5, 1e6])
def test_a_fixed_predictor_far_from_zero_gives_the_centred_fit(offset) -> None:
    """x -> x - c changes only the intercept, by -c times the slope (X -> X T with
    det T = 1): the raw fit equals the fit of the centred predictor in everything else,
    to about 1e-9, which it missed by 1e-3 and more before the fit centred the column."""
    frame = _frame(offset)
    mean = frame.x.mean()
    raw = fit_lmm("y ~ x + (1 | site)", frame)
    centred = fit_lmm("y ~ x + (1 | site)", frame.assign(x=frame.x - mean))
    assert raw.model.centred_columns.tolist() == [False, True]
    assert raw.criterion == pytest.approx(centred.criterion, rel=1e-12)
    np.testing.assert_allclose(raw.theta, centred.theta, rtol=1e-6)
    (i_raw, x_raw), (i_c, x_c) = raw.fixed_effects, centred.fixed_effects
    assert x_raw.estimate == pytest.approx(x_c.estimate, rel=1e-7)
    assert x_raw.se == pytest.approx(x_c.se, rel=1e-7)
    assert x_raw.df == pytest.approx(x_c.df, rel=1e-5)
    assert i_raw.estimate == pytest.approx(i_c.estimate - mean * x_c.estimate, rel=1e-7)
    # Var(b0) = Var(b0c) - 2 c Cov(b0c, b1) + c^2 Var(b1), the centred fit's numbers
    v = centred.vcov_beta
    expected = v[0, 0] - 2 * mean * v[0, 1] + mean**2 * v[1, 1]
    assert i_raw.se**2 == pytest.approx(expected, rel=1e-6)


def test_a_predictor_with_a_random_slope_stays_uncentred() -> None:
    """The same variable in Z keeps Z'Z and Z'X ill-conditioned whatever X does, so X
    keeps it as it is (engine.model.LmmModel._random_columns), and the warning
    says that precision is lost."""
    frame = _frame(1e5)
    fit = fit_lmm("y ~ x + (x | site)", frame)
    assert not fit.model.centred_columns.any()
    assert fit.far_from_zero and not fit.far_from_zero[0].centred_in_fit
    assert "loses numerical precision" in next(w for w in fit.warnings if "far from zero" in w)


def test_the_assistant_says_it_and_centring_removes_it(tmp_path) -> None:
    path = tmp_path / "far.csv"
    _frame(1e5).to_csv(path, index=False)
    session = Session()
    assert session.ask(f"load {path}").ok
    first = session.ask("LMM: y ~ x + (1 | site)")
    assert first.ok
    assert "`x` sits far from zero for its spread" in first.text()
    assert "`center x`" in first.text()
    assert session.ask("center x").ok
    again = session.ask("LMM: y ~ x + (1 | site)")
    assert again.ok and "far from zero" not in again.text()
