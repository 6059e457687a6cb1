"""The convergence and singularity ladder on a data set with a zero slope variance."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from engine.convergence import check_optimum, needs_remedy, remedy_convergence
from tests.test_reference_cases import fitted


def zero_slope_data(seed: int = 20240501) -> pd.DataFrame:
    """30 groups of 8: random intercepts (SD 1), a common slope, no slope variance."""
    rng = np.random.default_rng(seed)
    groups, per = 30, 8
    g = np.repeat(np.arange(groups), per)
    x = rng.uniform(0, 10, groups * per)
    y = 2 + 0.5 * x + rng.normal(0, 1.0, groups)[g] + rng.normal(0, 1.0, groups * per)
    return pd.DataFrame({"y": y, "x": x, "g": [f"g{i:02d}" for i in g]})


@pytest.fixture(scope="module")
def audit():
    return remedy_convergence("y ~ x + (1 + x | g)", zero_slope_data())


def test_ladder_ends_in_a_stated_simplification(audit):
    assert audit.requested_formula == "y ~ x + (1 + x | g)"
    assert audit.final_formula == "y ~ x + (1 | g)"
    assert audit.changed
    assert audit.changes == ("uncorrelated:g", "dropped_slope:x|g")
    assert audit.resolved and not audit.final_fit.singular
    assert audit.final_fit.formula == audit.final_formula


def test_every_rung_is_recorded_in_order(audit):
    kinds = [s.kind for s in audit.steps]
    assert kinds[0] == "check_optimum" and audit.steps[0].decision == "problem"
    assert audit.steps[0].singular
    assert "center_scale" in kinds
    optimizers = [s for s in audit.steps if s.kind == "optimizer"]
    assert {s.detail["optimizer"] for s in optimizers} == {
        "bobyqa", "l-bfgs-b", "nelder-mead", "powell"
    }
    # Singularity is not an optimizer problem: all optima agree and none is switched to.
    assert all(s.detail["optima_agree"] and s.decision == "not_kept" for s in optimizers)
    assert kinds[-2:] == ["uncorrelated", "drop_slope"]


def test_simplifications_carry_their_likelihood_ratio_tests(audit):
    uncorrelated, dropped = audit.steps[-2], audit.steps[-1]
    for step in (uncorrelated, dropped):
        assert step.decision == "accepted"
        assert step.lrt_df == 1
        assert step.lrt_chisq >= 0
        assert step.lrt_p >= 0.05
    # The slope variance was already zero: dropping it leaves the likelihood unchanged.
    assert dropped.lrt_chisq == pytest.approx(0.0, abs=1e-6)
    assert dropped.lrt_p_boundary == pytest.approx(1.0, abs=1e-6)


def test_a_clean_fit_passes_the_check_without_changes():
    fit = fitted("sleepstudy_slope")
    check = check_optimum(fit)
    assert check.ok and check.gradient_ok and check.hessian_positive_definite
    assert not needs_remedy(fit)
    audit = remedy_convergence(fit.formula, fit.data, fit=fit)
    assert not audit.changed and audit.final_formula == fit.formula
    assert [s.kind for s in audit.steps] == ["check_optimum"]


def test_an_iteration_limit_is_raised_and_said_so():
    from engine import fit_lmm
    from tests.test_reference_cases import load_case, load_data

    case = load_case("sleepstudy_slope")
    capped = fit_lmm(case["formula"], load_data("sleepstudy_slope"), max_iter=5)
    assert not capped.converged and needs_remedy(capped)
    audit = remedy_convergence(capped.formula, capped.data, fit=capped)
    assert [s.kind for s in audit.steps] == ["check_optimum", "iteration_limit"]
    assert audit.steps[1].detail == {"max_iter": 5} and audit.steps[1].decision == "kept"
    assert audit.changes == ("raised_iteration_limit",) and audit.changed
    assert audit.final_formula == audit.requested_formula and audit.resolved
    assert audit.final_fit.criterion == pytest.approx(case["criterion"], rel=1e-6)


def test_a_singular_factor_slope_is_reported_not_rewritten():
    # lme4's || leaves the columns of a factor slope correlated, so the ladder does not
    # offer it; with no near-zero slope either, it ends unresolved and unchanged.
    rng = np.random.default_rng(2)
    g = np.repeat(np.arange(15), 6)
    f = rng.choice(["a", "b"], g.size)
    y = 1 + (f == "b") * 0.5 + rng.normal(0, 0.3, 15)[g] + rng.normal(0, 1, g.size)
    data = pd.DataFrame({"y": y, "f": f, "g": [str(i) for i in g]})
    audit = remedy_convergence("y ~ f + (1 + f | g)", data)
    assert audit.steps[0].singular
    assert not audit.changed and not audit.resolved
    assert audit.final_formula == "y ~ f + (1 + f | g)"
    assert not any(s.kind == "uncorrelated" for s in audit.steps)
