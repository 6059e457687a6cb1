"""The prototype kernel agrees with the engine's deviance; the start agrees with lme4's."""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks.cases import find_reference_dir, make_insteval_like, reference_cases
from engine.design import build_design
from engine.fast_blocks import ScalarCrossedDeviance, is_scalar_intercept_model, moment_start
from engine.model import LmmModel
from grammar.formula import parse_formula

needs_reference = pytest.mark.skipif(
    find_reference_dir() is None, reason="shared reference data not found"
)


def _model(formula: str, data) -> LmmModel:
    design = build_design(parse_formula(formula), data)
    return LmmModel(design.X, design.y, design.random_terms, design.fixed_names)


def _reference_model(name: str) -> LmmModel:
    case = next(c for c in reference_cases() if c.name == name)
    return _model(case.formula, case.data)


@pytest.fixture(scope="module")
def insteval_model() -> LmmModel:
    return _model("y ~ service + (1 | s) + (1 | d) + (1 | dept:service)", make_insteval_like())


# Starting values printed by lme4 1.1-31 (environment(devfun)$pp$theta after
# lmer(..., devFunOnly = TRUE)) on the same data.
LME4_STARTS = {
    "dyestuff": [0.9787605034],
    "penicillin_crossed": [1.7449150221, 3.5940134818],
    "exam_school": [0.4427030682],
    "sleepstudy_intercept": [0.8886821190],
}


@needs_reference
@pytest.mark.parametrize("name", sorted(LME4_STARTS))
def test_moment_start_is_lme4s_start(name: str) -> None:
    start = moment_start(_reference_model(name))
    np.testing.assert_allclose(start, LME4_STARTS[name], rtol=1e-8)


@needs_reference
def test_moment_start_falls_back_like_lme4() -> None:
    # Pastes: the group means explain more than var(y), so lme4 starts from ones.
    assert moment_start(_reference_model("pastes_nested")) is None
    # A random slope is not a scalar intercept: lme4 starts from (1, 0, 1).
    slope = _reference_model("sleepstudy_slope")
    assert not is_scalar_intercept_model(slope)
    assert moment_start(slope) is None


def test_moment_start_on_the_insteval_shaped_data(insteval_model: LmmModel) -> None:
    # lme4 on benchmarks.cases.make_insteval_like(): 0.3752451 0.4612964 0.1135862
    np.testing.assert_allclose(
        moment_start(insteval_model), [0.3752451, 0.4612964, 0.1135862], atol=1e-7
    )


def _assert_same_deviance(model: LmmModel, thetas: list[np.ndarray]) -> None:
    kernel = ScalarCrossedDeviance(model)
    for theta in thetas:
        for reml in (True, False):
            expected = model.deviance(theta, reml)
            assert kernel.deviance(theta, reml) == pytest.approx(expected, rel=1e-11)


@needs_reference
@pytest.mark.parametrize("name", ["penicillin_crossed", "pastes_nested", "exam_school"])
def test_kernel_matches_engine_deviance_on_reference_cases(name: str) -> None:
    model = _reference_model(name)
    rng = np.random.default_rng(5)
    thetas = [model.theta_start, rng.uniform(0.0, 3.0, model.n_theta), np.full(model.n_theta, 0.05)]
    _assert_same_deviance(model, thetas)


def test_kernel_matches_engine_deviance_on_insteval_shape(insteval_model: LmmModel) -> None:
    _assert_same_deviance(
        insteval_model,
        [np.array([0.2802, 0.4359, 0.0887]), np.array([1.0, 1.0, 1.0]), np.array([0.0, 0.5, 0.2])],
    )


def test_kernel_rejects_random_slopes() -> None:
    data = make_insteval_like(seed=2, n_rows=2_000, n_students=100, n_lecturers=40, n_depts=4)
    data["x"] = np.linspace(-1.0, 1.0, len(data))
    with pytest.raises(ValueError):
        ScalarCrossedDeviance(_model("y ~ x + (1 + x | s) + (1 | d)", data))
