"""LmmModel's precomputed cross-products equal the sparse products they replace."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from benchmarks.cases import find_reference_dir, reference_cases
from engine.design import build_design
from engine.model import LmmModel
from grammar.formula import parse_formula

needs_reference = pytest.mark.skipif(
    find_reference_dir() is None, reason="shared reference data not found"
)


def _frame() -> pd.DataFrame:
    rng = np.random.default_rng(5)
    frame = pd.DataFrame(
        {
            "g": np.repeat([f"g{i}" for i in range(12)], 8),
            "h": np.tile([f"h{i}" for i in range(4)], 24),
            "k": np.tile([f"k{i}" for i in range(3)], 32),
            "x": rng.normal(size=96),
            "z": rng.normal(size=96),
        }
    )
    frame["y"] = frame.x + rng.normal(size=96)
    return frame


CASES = [
    ("y ~ x + (1 | g) + (x | h)", "vector-valued second term"),
    ("y ~ x + z + (x + z | g) + (1 | h) + (1 | k)", "3 x 3 first term, two more"),
    ("y ~ x + (1 | g) + (1 | h) + (1 | k)", "three crossed intercepts"),
    ("y ~ x + (x | g)", "one term"),
]


def _model(formula: str, data: pd.DataFrame) -> LmmModel:
    design = build_design(parse_formula(formula), data)
    return LmmModel(design.X, design.y, design.random_terms, design.fixed_names)


def _sparse_products(model: LmmModel) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """R'R, R'Z1 and the level blocks of Z1'Z1 by scipy's sparse products."""
    z = model.Z
    first = model.terms[0]
    z1 = z[:, first.z_slice]
    # these responses are near zero: the model keeps y for its cross-products
    np.testing.assert_array_equal(model.centred_y, model.y)
    rest = sp.hstack([z[:, first.z_slice.stop :], sp.csc_matrix(model.X),
                      sp.csc_matrix(model.centred_y[:, None])], format="csc")
    s1 = first.n_columns
    z11 = (z1.T @ z1).toarray()
    blocks = np.stack([z11[j * s1 : (j + 1) * s1, j * s1 : (j + 1) * s1]
                       for j in range(first.n_levels)])
    return (rest.T @ rest).toarray(), (rest.T @ z1).toarray(), blocks


def _check(model: LmmModel) -> None:
    a_rest, a_r1, a11 = _sparse_products(model)
    if len(model.terms) > 1:
        np.testing.assert_array_equal(model._a_rest, a_rest)
    else:  # [X y]'[X y] is a dense product there, as before
        np.testing.assert_allclose(model._a_rest, a_rest, rtol=1e-14)
    a_r1_model = model._a_r1.toarray() if sp.issparse(model._a_r1) else model._a_r1
    np.testing.assert_array_equal(a_r1_model, a_r1)
    np.testing.assert_allclose(model._a11, a11, rtol=1e-14)


@pytest.mark.parametrize(("formula", "label"), CASES)
def test_row_products_equal_the_sparse_products(formula: str, label: str) -> None:
    model = _model(formula, _frame())
    _check(model)
    theta = np.linspace(0.3, 1.2, model.n_theta)
    solution = model.solve(theta)
    # beta-hat from the normal equations of the augmented system at theta.
    lam = model.lambda_of(theta)
    zl = (model.Z @ lam).toarray()
    big = np.hstack([zl, model.X])
    penalty = np.zeros((big.shape[1],) * 2)
    penalty[: model.q, : model.q] = np.eye(model.q)
    coef = np.linalg.solve(big.T @ big + penalty, big.T @ model.y)
    np.testing.assert_allclose(solution.beta, coef[model.q :], rtol=1e-9)
    np.testing.assert_allclose(solution.u, coef[: model.q], rtol=1e-8, atol=1e-10)


@needs_reference
@pytest.mark.parametrize("name", ["penicillin_crossed", "pastes_nested", "sleepstudy_slope"])
def test_reference_models_have_the_sparse_products(name: str) -> None:
    case = next(c for c in reference_cases() if c.name == name)
    _check(_model(case.formula, case.data))
