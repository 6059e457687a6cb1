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
        assert lost > 1e-5  # about 0.002 with these data
    else:
        assert lost < 1e-6


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
