"""LmmModel.with_response keeps what depends on the design alone (the centring of X,
its intercept column, the within-level sums of Z1 and X) and forms the cross-products
of the new response: every array must equal a model built afresh for that response,
bit for bit, and so must the deviance (the parametric bootstrap's refits rely on it)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from engine import fit_lmm
from engine.model import LmmModel


def _data() -> pd.DataFrame:
    rng = np.random.default_rng(11)
    n = 240
    g = rng.integers(0, 12, n)
    h = rng.integers(0, 5, n)
    x = rng.normal(size=n)
    year = 2_000.0 + rng.normal(scale=0.5, size=n)  # far from zero: X is centred
    y = 1.0 + 0.5 * x + rng.normal(size=12)[g] + rng.normal(size=5)[h] + rng.normal(size=n)
    return pd.DataFrame({"y": y, "x": x, "year": year, "g": g.astype(str),
                         "h": h.astype(str), "far": 1e6 + y})


def _arrays(model: LmmModel) -> dict[str, np.ndarray]:
    out = {"centred_X": model.centred_X, "centred_y": model.centred_y,
           "beta_shift": model._beta_shift, "a11": model._a11, "a_rest": model._a_rest,
           "a_r1": model._a_r1.toarray() if sp.issparse(model._a_r1) else model._a_r1}
    if model.fixed_shift is not None:
        out["shift"] = model.fixed_shift.means
    return out


@pytest.mark.parametrize("formula", [
    "y ~ x + (1 | g)",
    "y ~ x + (1 + x | g)",
    "y ~ x + year + (1 | g)",
    "y ~ x + (1 | g) + (1 | h)",
    "y ~ x + (1 + x | g) + (1 | h)",
    "far ~ x + (1 | g)",
])
def test_a_new_response_gives_a_fresh_models_arrays_and_deviance(formula):
    data = _data()
    fit = fit_lmm(formula, data)
    y_new = np.random.default_rng(5).normal(size=len(data)) * 2.0 + fit.model.y
    reused = fit.model.with_response(y_new)
    fresh = LmmModel(fit.model.X, y_new, fit.model.terms, fit.model.fixed_names)
    expected = _arrays(fresh)
    got = _arrays(reused)
    assert got.keys() == expected.keys()
    for name, array in expected.items():
        assert np.array_equal(got[name], array), name
    for theta in (fit.theta, fit.model.theta_start, 0.5 * np.asarray(fit.theta) + 0.1):
        for reml in (True, False):
            assert reused.deviance(theta, reml) == fresh.deviance(theta, reml)
    # the original model is untouched: its own response's deviance as before
    assert fit.model.deviance(fit.theta, True) == pytest.approx(fit.criterion, rel=1e-12)
    assert "far" not in formula or got["beta_shift"].any()  # y far from zero is centred
    assert "year" not in formula or "shift" in got
