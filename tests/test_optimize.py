"""The optimizer runs as lme4's nloptwrap does, and its convergence check is lme4's."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import engine.lmm
import engine.residual_deviance
from benchmarks.cases import find_reference_dir, reference_cases
from engine.design import build_design
from engine.lmm import _optimize
from engine.model import LmmModel
from engine.optimize import CentralDifferences, minimize, scaled_gradient_size
from engine.profiled_deviance import ProfiledDeviance, deviance_function
from engine.residual_deviance import deferred_residual_deviance, residual_deviance_function
from engine.start import lme4_start
from grammar.formula import parse_formula

needs_reference = pytest.mark.skipif(
    find_reference_dir() is None, reason="shared reference data not found"
)

# m@optinfo$feval of lme4 1.1-31 (nloptr 2.0.3) on the reference cases, measured on
# this data. pastes_nested is left out: its BOBYQA path parts from lme4's by
# rounding and ends one evaluation earlier (35) at the same optimum.
LME4_EVALUATIONS = {
    "sleepstudy_slope": 43,
    "sleepstudy_intercept": 13,
    "sleepstudy_uncorrelated": 34,
    "sleepstudy_slope_ml": 53,
    "dyestuff": 17,
    "dyestuff2_singular": 10,
    "penicillin_crossed": 41,
    "orthodont_interaction": 12,
    "orthodont_slope": 46,
    "exam_school": 18,
}

# lme4:::deriv12(devfun, theta) at lme4's orthodont_slope optimum, and
# max(pmin(abs(solve(chol(Hessian), gradient)), abs(gradient))) from lme4's checkConv.
ORTHODONT_THETA = [1.83408305610284, -0.091695217356776, 0.102451399169294]
ORTHODONT_GRADIENT = [-0.004689675, 0.007400037, 0.009786204]
ORTHODONT_HESSIAN = [
    [15.15533, 144.032, 76.81349],
    [144.03196, 1747.602, 1438.75641],
    [76.81349, 1438.75641, 3304.71238],
]
ORTHODONT_SCALED_GRADIENT = 0.001696909


def _case(name: str):
    return next(c for c in reference_cases() if c.name == name)


def _model(name: str) -> LmmModel:
    case = _case(name)
    design = build_design(parse_formula(case.formula), case.data)
    return LmmModel(design.X, design.y, design.random_terms, design.fixed_names)


@needs_reference
@pytest.mark.parametrize("name", sorted(LME4_EVALUATIONS))
def test_bobyqa_takes_lme4s_evaluations(name: str) -> None:
    model = _model(name)
    deviance = deviance_function(model, _case(name).reml)
    opt = minimize(deviance, lme4_start(model), model.theta_lower)
    assert opt.converged
    assert opt.evaluations == LME4_EVALUATIONS[name]


@needs_reference
def test_orthodont_slope_passes_the_check_without_a_restart(reference_dir, monkeypatch) -> None:
    ref = json.loads((reference_dir / "cases" / "orthodont_slope.json").read_text())
    model = _model("orthodont_slope")
    calls = {"kernel": 0, "residual": 0}

    def counting(name: str, make):
        def made(model: LmmModel, reml: bool):
            deviance = make(model, reml)

            def counted(theta: np.ndarray) -> float:
                calls[name] += 1
                return deviance(theta)

            return counted

        return made

    monkeypatch.setattr(engine.lmm, "deviance_function", counting("kernel", deviance_function))
    monkeypatch.setattr(
        engine.lmm, "deferred_residual_deviance",
        counting("residual", deferred_residual_deviance),
    )
    built = []
    monkeypatch.setattr(engine.residual_deviance.ResidualDeviance, "__init__",
                        lambda self, *args: built.append(args))
    opt, theta, criterion, size = _optimize(model, True, "bobyqa", None)
    # 46 BOBYQA steps, 6 for the gradient, 12 more for the Hessian; no second run. The
    # Hessian is plainly positive definite (smallest eigenvalue 2.4, rounding noise
    # 0.017), so the checks' penalised-residual deviance is not needed.
    assert opt.evaluations == 46
    assert calls == {"kernel": 46 + 6 + 12, "residual": 0}
    assert built == []  # and never built
    assert size == 0.0
    assert criterion == pytest.approx(ref["criterion"], rel=1e-10)
    np.testing.assert_allclose(theta, ref["theta"], rtol=1e-6)


@needs_reference
def test_central_differences_are_lme4s_deriv12() -> None:
    model = _model("orthodont_slope")
    deviance = deviance_function(model, True)
    theta = np.array(ORTHODONT_THETA)
    diffs = CentralDifferences(deviance, theta, deviance(theta), model.theta_lower)
    # Our deviance and lme4's agree to about 1e-10 here; divided by 2 delta.
    np.testing.assert_allclose(diffs.gradient, ORTHODONT_GRADIENT, rtol=0, atol=2e-6)
    hessian = diffs.hessian()
    # Second differences divide those last digits by delta^2 = 1e-8.
    np.testing.assert_allclose(hessian, ORTHODONT_HESSIAN, rtol=0, atol=0.1)
    size = scaled_gradient_size(hessian, diffs.gradient)
    # The statistic inherits the Hessian's noise (its smallest eigenvalue is ~1).
    assert size == pytest.approx(ORTHODONT_SCALED_GRADIENT, rel=2e-2)


@needs_reference
def test_residual_deviance_differences_are_closer_to_lme4s_deriv12() -> None:
    """The checks' central differences (of the residual-based deviance, as lme4's
    deviance forms the penalised RSS) reproduce lme4's to the digits it printed: the
    kernel's gradient is 4.6e-7 off, this one 7e-10 (lme4's values have 7 digits)."""
    model = _model("orthodont_slope")
    deviance = residual_deviance_function(model, True)
    theta = np.array(ORTHODONT_THETA)
    diffs = CentralDifferences(deviance, theta, deviance(theta), model.theta_lower)
    np.testing.assert_allclose(diffs.gradient, ORTHODONT_GRADIENT, rtol=0, atol=1e-8)
    hessian = diffs.hessian()
    np.testing.assert_allclose(hessian, ORTHODONT_HESSIAN, rtol=0, atol=2e-3)
    size = scaled_gradient_size(hessian, diffs.gradient)
    assert size == pytest.approx(ORTHODONT_SCALED_GRADIENT, rel=1e-4)


def test_central_differences_reuse_their_steps() -> None:
    a = np.array([[4.0, 1.0, 0.5], [1.0, 3.0, -0.2], [0.5, -0.2, 2.0]])
    b = np.array([0.3, -1.0, 2.0])
    calls = [0]

    def quadratic(x: np.ndarray) -> float:
        calls[0] += 1
        return float(0.5 * x @ a @ x + b @ x)

    x = np.array([0.7, -0.4, 1.3])
    diffs = CentralDifferences(quadratic, x, quadratic(x), np.full(3, -np.inf))
    assert calls[0] == 1 + 2 * 3
    np.testing.assert_allclose(diffs.gradient, a @ x + b, rtol=1e-8)
    np.testing.assert_allclose(diffs.hessian(), a, rtol=1e-5)
    assert calls[0] == 1 + 2 * 3 + 4 * 3


def test_central_differences_step_forward_at_a_bound() -> None:
    diffs = CentralDifferences(lambda x: float((x[0] + 1.0) ** 2), np.zeros(1), 1.0, np.zeros(1))
    assert diffs.gradient[0] == pytest.approx(2.0 + 1e-4)
    with pytest.raises(ValueError):
        diffs.hessian()


def test_scaled_gradient_falls_back_to_the_gradient_when_indefinite() -> None:
    gradient = np.array([0.01, -0.03])
    assert scaled_gradient_size(np.diag([1.0, -1.0]), gradient) == pytest.approx(0.03)
    # H = diag(4, 100): R^-1 g = (0.005, -0.003); the smaller of |R^-1 g| and |g|.
    assert scaled_gradient_size(np.diag([4.0, 100.0]), gradient) == pytest.approx(0.005)


def _points(model: LmmModel, theta: np.ndarray) -> list[np.ndarray]:
    """The optimum, lme4's default start, every bounded theta on its bound, each
    bounded theta alone on its bound, and points either side of the optimum."""
    bounded = model.theta_lower == 0.0
    points = [theta, model.theta_start, np.where(bounded, 0.0, theta)]
    for i in np.flatnonzero(bounded):
        on_bound = theta.copy()
        on_bound[i] = 0.0
        points.append(on_bound)
    points += [theta * 0.5, theta * 1.7, theta + 0.3]
    return points


@needs_reference
@pytest.mark.parametrize("name", sorted([*LME4_EVALUATIONS, "pastes_nested"]))
@pytest.mark.parametrize("reml", [True, False])
def test_optimizer_deviance_equals_the_full_evaluation(reference_dir, name, reml) -> None:
    model = _model(name)
    kernel = deviance_function(model, reml)
    assert isinstance(kernel, ProfiledDeviance)
    ref = json.loads((reference_dir / "cases" / f"{name}.json").read_text())
    # Bit for bit: the optimizer's path does not depend on which of the two it calls.
    for theta in _points(model, np.atleast_1d(np.asarray(ref["theta"], dtype=float))):
        assert kernel(theta) == model.deviance(theta, reml), theta


def test_optimizer_deviance_covers_three_by_three_blocks() -> None:
    rng = np.random.default_rng(7)
    n_levels, per_level = 12, 8
    frame = pd.DataFrame(
        {
            "g": np.repeat([f"g{i}" for i in range(n_levels)], per_level),
            "h": np.tile([f"h{i}" for i in range(4)], n_levels * per_level // 4),
            "x": rng.normal(size=n_levels * per_level),
            "z": rng.normal(size=n_levels * per_level),
        }
    )
    frame["y"] = frame.x + rng.normal(size=len(frame))
    design = build_design(parse_formula("y ~ x + (x + z | g) + (1 | h)"), frame)
    model = LmmModel(design.X, design.y, design.random_terms, design.fixed_names)
    kernel = deviance_function(model, True)
    assert isinstance(kernel, ProfiledDeviance) and model.terms[0].n_columns == 3
    points = (model.theta_start, rng.uniform(0.1, 1.0, model.n_theta), model.theta_lower.clip(0))
    for theta in points:
        assert kernel(theta) == model.deviance(theta, True)


def test_models_outside_the_kernel_use_the_full_evaluation() -> None:
    rng = np.random.default_rng(3)
    frame = pd.DataFrame(
        {
            "g": np.repeat([f"g{i}" for i in range(10)], 6),
            "h": np.tile([f"h{i}" for i in range(3)], 20),
            "x": rng.normal(size=60),
        }
    )
    frame["y"] = frame.x + rng.normal(size=60)
    # A vector-valued second term: its Lambda block is not a column scaling.
    design = build_design(parse_formula("y ~ x + (1 | g) + (x | h)"), frame)
    model = LmmModel(design.X, design.y, design.random_terms, design.fixed_names)
    kernel = deviance_function(model, False)
    assert not isinstance(kernel, ProfiledDeviance)
    theta = np.array([0.8, 0.5, 0.1, 0.3])
    assert kernel(theta) == model.deviance(theta, False)


def test_block_sums_equal_numpy_reductions() -> None:
    from engine.profiled_deviance import _block_sum

    rng = np.random.default_rng(11)
    for size in range(13):
        for _ in range(200):
            values = rng.normal(size=size + 2) * 10.0 ** rng.integers(-8, 8, size + 2)
            expected = float(np.add.reduce(values[1 : size + 1]))
            assert _block_sum(values, values.tolist(), 1, size + 1) == expected
