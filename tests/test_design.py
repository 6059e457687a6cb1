"""Design construction: X via formulaic, Z blocks in lme4's order, transforms, the model."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from formulaic import model_matrix

import engine.model as model_module
from engine.design import (
    _formulaic_matrix,
    _numeric_matrix,
    _private_frame,
    build_design,
    drop_aliased_columns,
    poorly_scaled_columns,
)
from engine.errors import LmmInputError
from engine.model import LmmModel
from engine.transforms import IMPLEMENTATIONS, TransformState, poly_fit, poly_predict
from grammar.formula import FORMULA_FUNCTIONS, parse_formula


def design(formula: str, data: pd.DataFrame):
    return build_design(parse_formula(formula), data)


@pytest.fixture(scope="module")
def orthodont(reference_dir) -> pd.DataFrame:
    return pd.read_csv(reference_dir / "data" / "Orthodont.csv")


@pytest.fixture(scope="module")
def sleepstudy(reference_dir) -> pd.DataFrame:
    return pd.read_csv(reference_dir / "data" / "sleepstudy.csv")


def test_every_whitelisted_function_has_an_implementation():
    assert set(IMPLEMENTATIONS) == set(FORMULA_FUNCTIONS)


def test_treatment_coding_and_formulaic_names(orthodont):
    d = design("distance ~ age * Sex + (1 | Subject)", orthodont)
    assert d.fixed_names == ["(Intercept)", "age", "Sex[T.Male]", "age:Sex[T.Male]"]
    male = (orthodont["Sex"] == "Male").to_numpy(dtype=float)
    np.testing.assert_array_equal(d.X[:, 2], male)
    np.testing.assert_array_equal(d.X[:, 3], orthodont["age"].to_numpy() * male)
    assert d.fixed_term_columns == {"(Intercept)": [0], "age": [1], "Sex": [2], "age:Sex": [3]}


def test_no_intercept_codes_the_factor_fully(orthodont):
    d = design("distance ~ 0 + Sex + age + (1 | Subject)", orthodont)
    assert d.fixed_names == ["Sex[Female]", "Sex[Male]", "age"]


def test_r_poly_matches_closed_form():
    basis, alpha, norm2 = poly_fit(np.arange(1.0, 6.0), 2)
    linear = np.array([-2, -1, 0, 1, 2]) / np.sqrt(10)
    quadratic = np.array([2, -1, -2, -1, 2]) / np.sqrt(14)
    np.testing.assert_allclose(basis[:, 0], linear, atol=1e-12)
    np.testing.assert_allclose(basis[:, 1], quadratic, atol=1e-12)
    # Prediction with the stored recurrence reproduces the basis at the same points.
    np.testing.assert_allclose(poly_predict(np.arange(1.0, 6.0), alpha, norm2), basis, atol=1e-12)


def test_transforms_are_evaluated_without_eval(sleepstudy):
    d = design("log(Reaction) ~ I(Days^2) + scale(Days) + poly(Days, 2) + (1 | Subject)",
               sleepstudy)
    days = sleepstudy["Days"].to_numpy(dtype=float)
    np.testing.assert_allclose(d.y, np.log(sleepstudy["Reaction"].to_numpy()))
    assert d.fixed_names[:3] == ["(Intercept)", "I(Days^2)", "scale(Days)"]
    np.testing.assert_allclose(d.X[:, 1], days**2)
    np.testing.assert_allclose(d.X[:, 2], (days - days.mean()) / days.std(ddof=1))
    assert d.state.centers["scale(Days)"] == pytest.approx(4.5)
    assert d.state.scales["scale(Days)"] == pytest.approx(days.std(ddof=1))
    # poly's columns lie in the span of 1, Days^2 and scale(Days): aliased and
    # dropped as lme4 does.
    assert d.aliased == ["poly(Days, 2)1", "poly(Days, 2)2"]
    assert d.X.shape[1] == 3


def test_log_of_non_positive_values_is_refused():
    data = pd.DataFrame({"y": [1.0, 2, 3, 4, 5, 6], "x": [0.0, 1, 2, 3, 4, 5],
                         "g": list("aabbcc")})
    with pytest.raises(LmmInputError, match="log"):
        design("y ~ log(x) + (1 | g)", data)


def test_numeric_grouping_levels_are_labels_sorted_as_text(reference_dir):
    exam = pd.read_csv(reference_dir / "data" / "Exam.csv")
    d = design("normexam ~ standLRT + (1 | school)", exam)
    levels = d.random_terms[0].levels
    assert levels[:3] == ["1", "10", "11"]
    assert len(levels) == 65


def test_nested_grouping_levels_join_with_colon(reference_dir):
    pastes = pd.read_csv(reference_dir / "data" / "Pastes.csv")
    d = design("strength ~ 1 + (1 | batch/cask)", pastes)
    assert [t.group for t in d.random_terms] == ["batch", "cask:batch"]
    nested = d.random_terms[1]
    assert nested.levels[:3] == ["a:A", "a:B", "a:C"]
    assert nested.n_levels == 30


def test_z_columns_are_level_major_and_terms_sorted_by_levels(reference_dir, sleepstudy):
    pen = pd.read_csv(reference_dir / "data" / "Penicillin.csv")
    d = design("diameter ~ 1 + (1 | sample) + (1 | plate)", pen)
    model = LmmModel(d.X, d.y, d.random_terms, d.fixed_names)
    assert [t.group for t in model.terms] == ["plate", "sample"]
    assert model.Z.shape == (144, 30)
    d2 = design("Reaction ~ Days + (Days | Subject)", sleepstudy)
    model2 = LmmModel(d2.X, d2.y, d2.random_terms, d2.fixed_names)
    z = model2.Z.toarray()
    first = sleepstudy["Subject"].astype(str) == "308"
    np.testing.assert_array_equal(z[:, 0], first.to_numpy(dtype=float))
    np.testing.assert_array_equal(z[:, 1], sleepstudy["Days"].to_numpy() * first.to_numpy())
    np.testing.assert_array_equal(model2.theta_lower, [0.0, -np.inf, 0.0])
    np.testing.assert_array_equal(model2.theta_start, [1.0, 0.0, 1.0])


def test_lambda_matches_theta(sleepstudy):
    d = design("Reaction ~ Days + (Days | Subject)", sleepstudy)
    model = LmmModel(d.X, d.y, d.random_terms, d.fixed_names)
    lam = model.lambda_of(np.array([1.0, 0.5, 2.0])).toarray()
    np.testing.assert_array_equal(lam[:2, :2], [[1.0, 0.0], [0.5, 2.0]])
    assert lam.shape == (36, 36)


def dense_deviance(model: LmmModel, theta: np.ndarray, reml: bool) -> float:
    """The deviance from the full (n-sized) matrices: the textbook formula, no blocking."""
    lam = model.lambda_of(theta).toarray()
    z = model.Z.toarray()
    zl = z @ lam
    q = zl.shape[1]
    big = np.block([[zl.T @ zl + np.eye(q), zl.T @ model.X], [model.X.T @ zl, model.X.T @ model.X]])
    rhs = np.concatenate([zl.T @ model.y, model.X.T @ model.y])
    sol = np.linalg.solve(big, rhs)
    u, beta = sol[:q], sol[q:]
    resid = model.y - zl @ u - model.X @ beta
    pwrss = resid @ resid + u @ u
    logdet_l = np.linalg.slogdet(zl.T @ zl + np.eye(q))[1]
    logdet_full = np.linalg.slogdet(big)[1]
    n, p = model.n, model.p
    if reml:
        return logdet_full + (n - p) * (1 + np.log(2 * np.pi * pwrss / (n - p)))
    return logdet_l + n * (1 + np.log(2 * np.pi * pwrss / n))


@pytest.mark.parametrize("path", ["dense", "pairs", "sparse-product"])
@pytest.mark.parametrize(
    "formula,data_name,theta",
    [
        ("Reaction ~ Days + (Days | Subject)", "sleepstudy", [0.9, 0.1, 0.3]),
        ("diameter ~ 1 + (1 | plate) + (1 | sample)", "Penicillin", [1.2, 3.0]),
        ("strength ~ 1 + (1 | batch/cask)", "Pastes", [2.0, 1.5]),
        ("Reaction ~ Days + (1 | Subject) + (0 + Days | Subject)", "sleepstudy", [1.0, 0.2]),
    ],
)
def test_blocked_deviance_equals_dense_formula(
    reference_dir, monkeypatch, path, formula, data_name, theta
):
    """The three ways of forming the first term's Schur product agree with the textbook."""
    if path != "dense":
        monkeypatch.setattr(model_module, "DENSE_WORK_LIMIT", 0)
    if path == "sparse-product":
        monkeypatch.setattr(model_module, "MAX_PAIRS", 0)
    data = pd.read_csv(reference_dir / "data" / f"{data_name}.csv")
    d = design(formula, data)
    model = LmmModel(d.X, d.y, d.random_terms, d.fixed_names)
    assert model._dense_first is (path == "dense")
    theta = np.array(theta)
    for reml in (True, False):
        assert model.deviance(theta, reml) == pytest.approx(
            dense_deviance(model, theta, reml), rel=1e-10
        )


def test_vector_first_term_with_a_crossed_scalar_term(sleepstudy):
    """(Days | Subject) first (18 levels) and a crossed 3-level factor in the rest."""
    from engine.optimize import finite_difference_gradient

    data = sleepstudy.assign(shift=(sleepstudy["Days"] % 3).map({0: "a", 1: "b", 2: "c"}))
    d = design("Reaction ~ Days + (Days | Subject) + (1 | shift)", data)
    model = LmmModel(d.X, d.y, d.random_terms, d.fixed_names)
    assert [t.n_columns for t in model.terms] == [2, 1]
    theta = np.array([0.9, 0.05, 0.25, 0.4])
    for reml in (True, False):
        assert model.deviance(theta, reml) == pytest.approx(
            dense_deviance(model, theta, reml), rel=1e-10
        )
        _, grad = model.deviance_and_gradient(theta, reml)
        numeric = finite_difference_gradient(
            lambda th, r=reml: model.deviance(th, r), theta, model.theta_lower, step=1e-5
        )
        np.testing.assert_allclose(grad, numeric, rtol=1e-5, atol=1e-5)
    lam = model.lambda_of(theta).toarray()
    zl = model.Z.toarray() @ lam
    dense = lam @ np.linalg.inv(zl.T @ zl + np.eye(zl.shape[1])) @ lam.T
    covs = model.conditional_covariances(theta, sigma2=1.0)
    first = np.concatenate([np.diag(block) for block in covs[0]])
    np.testing.assert_allclose(first, np.diag(dense)[:36], rtol=1e-10)
    np.testing.assert_allclose(covs[1][:, 0, 0], np.diag(dense)[36:], rtol=1e-10)


def test_vector_term_in_the_rest_block(reference_dir):
    """A correlated term that is not the first one (crossed with a larger factor)."""
    pen = pd.read_csv(reference_dir / "data" / "Penicillin.csv")
    rng = np.random.default_rng(1)
    pen = pen.assign(x=rng.normal(size=len(pen)))
    d = design("diameter ~ x + (1 | plate) + (x | sample)", pen)
    model = LmmModel(d.X, d.y, d.random_terms, d.fixed_names)
    assert [t.n_columns for t in model.terms] == [1, 2]
    theta = np.array([1.1, 0.8, 0.3, 0.5])
    assert model.deviance(theta, True) == pytest.approx(
        dense_deviance(model, theta, True), rel=1e-10
    )
    sol = model.solve(theta)
    lam = model.lambda_of(theta).toarray()
    resid = model.y - model.X @ sol.beta - model.Z.toarray() @ sol.b
    np.testing.assert_allclose(sol.b, lam @ sol.u, atol=1e-12)
    assert sol.pwrss == pytest.approx(resid @ resid + sol.u @ sol.u, rel=1e-10)


def test_conditional_variances_equal_the_dense_inverse(reference_dir):
    pen = pd.read_csv(reference_dir / "data" / "Penicillin.csv")
    d = design("diameter ~ 1 + (1 | plate) + (1 | sample)", pen)
    model = LmmModel(d.X, d.y, d.random_terms, d.fixed_names)
    theta = np.array([1.5, 3.5])
    lam = model.lambda_of(theta).toarray()
    zl = model.Z.toarray() @ lam
    dense = lam @ np.linalg.inv(zl.T @ zl + np.eye(zl.shape[1])) @ lam.T
    covs = model.conditional_covariances(theta, sigma2=2.0)
    diag = np.concatenate([c[:, 0, 0] for c in covs])
    np.testing.assert_allclose(diag, 2.0 * np.diag(dense), rtol=1e-10)


def test_aliased_columns_follow_lme4s_order():
    x = np.column_stack([np.ones(6), np.arange(6.0), 2 * np.arange(6.0), np.arange(6.0) ** 2])
    names = ["(Intercept)", "a", "b", "c"]
    kept, kept_names, terms, aliased = drop_aliased_columns(
        x, names, {"a": [1], "b": [2], "c": [3]}
    )
    assert aliased == ["b"]
    assert kept_names == ["(Intercept)", "a", "c"]
    assert terms == {"a": [1], "c": [2]}
    assert kept.shape == (6, 3)


@pytest.mark.parametrize("force_pairs", [False, True])
@pytest.mark.parametrize(
    "formula,data_name,theta",
    [
        ("Reaction ~ Days + (Days | Subject)", "sleepstudy", [0.9, 0.1, 0.3]),
        ("diameter ~ 1 + (1 | plate) + (1 | sample)", "Penicillin", [1.2, 3.0]),
        ("strength ~ 1 + (1 | batch/cask)", "Pastes", [2.0, 1.5]),
        ("distance ~ age * Sex + (age | Subject)", "Orthodont", [1.5, -0.1, 0.2]),
    ],
)
def test_analytic_gradient_equals_finite_differences(
    reference_dir, monkeypatch, force_pairs, formula, data_name, theta
):
    from engine.optimize import finite_difference_gradient

    if force_pairs:
        monkeypatch.setattr(model_module, "DENSE_WORK_LIMIT", 0)
    data = pd.read_csv(reference_dir / "data" / f"{data_name}.csv")
    d = design(formula, data)
    model = LmmModel(d.X, d.y, d.random_terms, d.fixed_names)
    theta = np.array(theta)
    for reml in (True, False):
        value, grad = model.deviance_and_gradient(theta, reml)
        assert value == pytest.approx(model.deviance(theta, reml), rel=1e-12)
        numeric = finite_difference_gradient(
            lambda th, r=reml: model.deviance(th, r), theta, model.theta_lower, step=1e-5
        )
        np.testing.assert_allclose(grad, numeric, rtol=1e-5, atol=1e-5)


def test_analytic_gradient_of_a_vector_term_in_the_rest_block(reference_dir):
    from engine.optimize import finite_difference_gradient

    pen = pd.read_csv(reference_dir / "data" / "Penicillin.csv")
    pen = pen.assign(x=np.random.default_rng(2).normal(size=len(pen)))
    d = design("diameter ~ x + (1 | plate) + (x | sample)", pen)
    model = LmmModel(d.X, d.y, d.random_terms, d.fixed_names)
    theta = np.array([1.1, 0.8, 0.3, 0.5])
    _, grad = model.deviance_and_gradient(theta, True)
    numeric = finite_difference_gradient(
        lambda th: model.deviance(th, True), theta, model.theta_lower, step=1e-5
    )
    np.testing.assert_allclose(grad, numeric, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize(
    "rhs",
    ["1 + Days", "0 + Days + I(Days^2)", "Days * log(Reaction)", "poly(Days, 2) * I(Days + 1)"],
)
def test_numeric_fast_path_matches_formulaic(sleepstudy, rhs):
    """Without factors the matrix is built directly; formulaic must agree exactly."""
    mf = parse_formula(f"Reaction ~ {rhs} + (1 | Subject)")
    private, column_of = _private_frame(mf, sleepstudy, TransformState())
    ours = _numeric_matrix(mf.intercept, mf.fixed_terms, private, column_of)
    specs = ["1" if mf.intercept else "0"]
    for term in mf.fixed_terms:
        parts = []
        for f in term.factors:
            cols = [f"`{c}`" for c in column_of[f.name if hasattr(f, "name") else f.text()]]
            parts.append(cols[0] if len(cols) == 1 else "(" + " + ".join(cols) + ")")
        specs.append(":".join(parts))
    reference = model_matrix(" + ".join(specs), private.as_table())
    names = ["(Intercept)" if c == "Intercept" else c for c in reference.columns]
    assert ours[1] == names
    np.testing.assert_allclose(ours[0], np.asarray(reference), rtol=1e-12)
    assert _formulaic_matrix(mf.intercept, mf.fixed_terms, private, column_of)[1] == names


def test_poorly_scaled_columns_follow_lme4_check_scale_x():
    """lme4's checkScaleX: 0/1 dummies are ignored; an SD beyond 1e3 (or below 1e-3) is
    named; otherwise two SDs more than 1e3 apart name the smallest and the largest."""
    rng = np.random.default_rng(7)
    n = 50
    ones = np.ones(n)
    dummy = (np.arange(n) % 2).astype(float)
    unit = rng.normal(size=n)
    big = rng.normal(scale=5e3, size=n)
    tiny = rng.normal(scale=2e-4, size=n)
    assert poorly_scaled_columns(np.column_stack([ones, dummy]), ["(Intercept)", "d"]) == []
    assert poorly_scaled_columns(np.column_stack([ones, unit, big]), ["1", "u", "big"]) == ["big"]
    assert poorly_scaled_columns(np.column_stack([ones, tiny, unit]), ["1", "t", "u"]) == ["t"]
    # SDs 0.04 and 80 are each in range, but 2,000 apart
    a, b = unit / np.std(unit, ddof=1) * 0.04, unit[::-1] / np.std(unit, ddof=1) * 80
    assert poorly_scaled_columns(np.column_stack([ones, a, b]), ["1", "a", "b"]) == ["a", "b"]
    assert poorly_scaled_columns(np.column_stack([ones, a, b * 0.4]), ["1", "a", "b"]) == []


def test_distinct_text_of_short_arrow_columns_matches_arrow_unique():
    """A short Arrow text column's distinct values are read in Python (engine.design):
    the same values in the same order (first appearance) as Arrow's unique, without
    the missing ones."""
    from engine.design import _distinct_text

    values = pd.Series(["b", "a", "b", None, "c", "a", "", "é"], dtype="str").array
    unique = values.unique()
    expected = [str(v) for v in unique[~np.asarray(unique.isna(), dtype=bool)]]
    assert _distinct_text(values) == expected == ["b", "a", "c", "", "é"]
