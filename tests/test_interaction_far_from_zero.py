"""An interaction of a predictor far from zero with a factor keeps its digits.

With x = c + N(0, 1), the column x:fB = x 1[f = B] is nearly c times fB, so X'X loses
about c^2 of relative precision unless x:fB is centred within f = B
(engine.column_shift.ColumnShift). Replacing x by x - mean(x) is the same model in
another basis (X -> X T, det T = 1): the criterion, the slopes, their SEs and df must
not move, and the intercept and the fB coefficient move by the exact linear map
b0 = b0c - mean * b_x, b_fB = b_fBc - mean * b_x:fB. Before the shift along fB, the
REML criterion at c = 1e5 was 3.6e-4 off the centred fit's (1.2e-6 relative) and 0.037
at 1e6; the x:fB slope 5e-5 and 2.6e-4 relative.

tests/data/interaction_far_from_zero holds a c = 1e5 data set and lme4 1.1-31's fits of
it (make.R): lme4's fit with x centred agrees with ours with x as given; lme4's own fit
with x as given is 1.1e-5 below its centred criterion, and lmerTest's df of x there are
81.8 against 82.7 centred.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from assistant.session import Session
from engine import fit_lmm
from engine.column_shift import ColumnShift
from engine.kenward_roger import kenward_roger_table
from tests.test_reference_cases import CASES, fitted

HERE = Path(__file__).parent / "data" / "interaction_far_from_zero"
FORMULA = "y ~ x * f + (1 | g)"


def _frame(offset: float, seed: int = 3, levels: str = "AB") -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    g = np.repeat(np.arange(12), 8)
    n = g.size
    x = offset + rng.normal(size=n)
    if levels == "AB":  # as tests/data/interaction_far_from_zero/x_by_f.csv (seed 3)
        f = np.where(rng.random(n) < 0.5, "A", "B")
    else:
        f = rng.choice(list(levels), size=n)
    u = x - offset
    y = 1 + 2 * u + 0.5 * (f == "B") - u * (f == "B") + rng.normal(size=12)[g] + rng.normal(size=n)
    return pd.DataFrame({"y": y, "x": x, "f": f, "g": [f"g{v}" for v in g]})


def _pair(offset: float, reml: bool, formula: str = FORMULA, levels: str = "AB"):
    frame = _frame(offset, levels=levels)
    mean = float(frame.x.mean())
    raw = fit_lmm(formula, frame, reml=reml)
    centred = fit_lmm(formula, frame.assign(x=frame.x - mean), reml=reml)
    return raw, centred, mean


@pytest.mark.parametrize("reml", [True, False])
@pytest.mark.parametrize("offset", [1e3, 1e5, 1e6])
def test_x_by_factor_far_from_zero_gives_the_centred_fit(offset: float, reml: bool) -> None:
    raw, centred, mean = _pair(offset, reml)
    assert raw.ddf_method == centred.ddf_method == "satterthwaite"
    assert raw.fixed_names == ["(Intercept)", "x", "f[T.B]", "x:f[T.B]"]
    # x along the intercept, x:fB along fB
    assert raw.model.centred_columns.tolist() == [False, True, False, True]
    assert not centred.model.centred_columns.any()
    assert raw.criterion == pytest.approx(centred.criterion, rel=1e-9)
    # the raw model at the centred fit's theta: the same function of theta
    assert raw.model.deviance(centred.theta, reml) == pytest.approx(centred.criterion, rel=1e-12)
    i0, x1, f2, xf3 = raw.fixed_effects
    c0, cx, cf, cxf = centred.fixed_effects
    for ours, theirs in ((x1, cx), (xf3, cxf)):
        assert ours.estimate == pytest.approx(theirs.estimate, rel=1e-8)
        assert ours.se == pytest.approx(theirs.se, rel=1e-8)
        assert ours.df == pytest.approx(theirs.df, rel=1e-6)  # Satterthwaite
    # y = b0c + bx (x - m) + bf fB + bxf (x - m) fB: the raw intercept and fB
    # coefficient are b0c - m bx and bf - m bxf; their variances follow with T
    assert i0.estimate == pytest.approx(c0.estimate - mean * cx.estimate, rel=1e-7)
    assert f2.estimate == pytest.approx(cf.estimate - mean * cxf.estimate, rel=1e-7)
    T = np.eye(4)
    T[0, 1] = T[2, 3] = -mean
    np.testing.assert_allclose(raw.vcov_beta, T @ centred.vcov_beta @ T.T, rtol=1e-6, atol=0)


@pytest.mark.parametrize("offset", [1e5, 1e6])
def test_kenward_roger_slopes_do_not_move(offset: float) -> None:
    """The adjustment is computed in the shifted basis and its df read off there
    (engine.kenward_roger._ddf_and_scaling): at 1e6 the df of x:fB were 3.5e-4 apart
    before the fB shift, and those of x alone 8.7e-6 before the df were computed in
    the shifted basis."""
    raw, centred, _ = _pair(offset, True)
    ours, theirs = kenward_roger_table(raw), kenward_roger_table(centred)
    for j in (1, 3):
        assert ours[j].se == pytest.approx(theirs[j].se, rel=1e-8)
        assert ours[j].df == pytest.approx(theirs[j].df, rel=1e-8)


@pytest.mark.parametrize(
    "formula", ["y ~ f + x:f + (1 | g)", "y ~ 0 + f + x:f + (1 | g)", "y ~ x * f + (1 | g)"]
)
def test_slopes_within_each_level_of_a_three_level_factor(formula: str) -> None:
    """x:fA in ``y ~ f + x:f`` has no column fA to move along: it moves along
    1 - fB - fC (the intercept less the other levels' columns)."""
    raw, centred, _ = _pair(1e5, True, formula, levels="ABC")
    assert raw.model.centred_columns.sum() == 3
    assert raw.criterion == pytest.approx(centred.criterion, rel=1e-9)
    slopes = [j for j, name in enumerate(raw.fixed_names) if name.startswith("x")]
    for j in slopes:
        ours, theirs = raw.fixed_effects[j], centred.fixed_effects[j]
        assert ours.estimate == pytest.approx(theirs.estimate, rel=1e-8)
        assert ours.se == pytest.approx(theirs.se, rel=1e-8)
    assert len(raw.far_from_zero) == (1 if "*" in formula else 3)
    assert all(c.centred_in_fit for c in raw.far_from_zero)


def test_agrees_with_lme4_fitted_on_the_centred_predictor() -> None:
    r = json.loads((HERE / "r_values.json").read_text())
    data = pd.read_csv(HERE / "x_by_f.csv")
    mean = r["mean_x"]
    assert float(data.x.mean()) == pytest.approx(mean, rel=1e-14)
    for reml, key in ((True, "reml"), (False, "ml")):
        fit = fit_lmm(FORMULA, data, reml=reml)
        lme4 = r[f"centred_{key}"]
        assert fit.criterion == pytest.approx(lme4["criterion"], rel=1e-11)
        np.testing.assert_allclose(fit.theta, lme4["theta"], rtol=1e-5)
        se = [row.se for row in fit.fixed_effects]
        df = [row.df for row in fit.fixed_effects]
        np.testing.assert_allclose([se[1], se[3]], [lme4["se"][1], lme4["se"][3]], rtol=1e-5)
        np.testing.assert_allclose([df[1], df[3]], [lme4["df"][1], lme4["df"][3]], rtol=1e-5)
        b = lme4["beta"]
        np.testing.assert_allclose(
            fit.beta, [b[0] - mean * b[1], b[1], b[2] - mean * b[3], b[3]], rtol=1e-5
        )
        if reml:
            kr = kenward_roger_table(fit)
            np.testing.assert_allclose(
                [kr[1].se, kr[3].se], [lme4["kr_se"][1], lme4["kr_se"][3]], rtol=1e-5
            )
    # lme4 with x as given: a REML criterion 1.1e-5 below the minimum (rounding), and
    # lmerTest's df of x 1% off its own centred value
    assert r["raw_reml"]["criterion"] < r["centred_reml"]["criterion"] - 1e-5
    assert r["raw_reml"]["df"][1] == pytest.approx(81.8157, rel=1e-5)
    assert r["centred_reml"]["df"][1] == pytest.approx(82.6815, rel=1e-5)


def test_the_warning_names_x_once_and_says_the_fit_kept_its_precision() -> None:
    raw, centred, _ = _pair(1e5, True)
    assert [(c.name, c.centred_in_fit) for c in raw.far_from_zero] == [("x", True)]
    far = [w for w in raw.warnings if "far from zero" in w]
    assert len(far) == 1 and "'x'" in far[0] and "no precision was lost" in far[0]
    assert not centred.far_from_zero


def test_a_random_slope_on_x_keeps_x_and_x_by_f_raw() -> None:
    """x is uncentred in Z, so x and x:fB stay as they are (the same variable's
    cross-products keep the loss) and the warning says precision is lost."""
    fit = fit_lmm("y ~ x * f + (x | g)", _frame(1e5))
    assert not fit.model.centred_columns.any()
    assert [(c.name, c.centred_in_fit) for c in fit.far_from_zero] == [("x", False)]
    assert "loses numerical precision" in next(w for w in fit.warnings if "far from zero" in w)


def test_slopes_without_a_column_for_each_level_are_named_as_not_centred() -> None:
    """``y ~ x:f``: x:fA and x:fB with only the intercept beside them; no change of
    basis centres them, and the warning says so once, naming x."""
    fit = fit_lmm("y ~ x:f + (1 | g)", _frame(1e5))
    assert fit.model.fixed_shift is None
    frame = _frame(1e5)
    assert [c.name for c in fit.far_from_zero] == ["x:f[A]", "x:f[B]"]
    on_a = frame.x[frame.f == "A"]
    assert fit.far_from_zero[0].mean == pytest.approx(on_a.mean(), rel=1e-12)
    assert fit.far_from_zero[0].sd == pytest.approx(on_a.std(ddof=1), rel=1e-9)
    assert all(c.variable == "x" and not c.centred_in_fit for c in fit.far_from_zero)
    far = [w for w in fit.warnings if "far from zero" in w]
    assert len(far) == 1 and "'x:f[A]'" in far[0] and "'x:f[B]'" in far[0]
    assert "loses numerical precision" in far[0] and "`center x`" in far[0]


def test_the_shift_matrix_and_its_inverse() -> None:
    """T = I - N with a column that is both shifted and a source (fB along the
    intercept, x:fB along fB, as the Kenward-Roger basis has it): X T column by
    column, T^-1 from the series, beta = T beta_c."""
    rng = np.random.default_rng(0)
    n = 40
    fb = (rng.random(n) < 0.5).astype(float)
    x = 1e5 + rng.normal(size=n)
    X = np.column_stack([np.ones(n), x, fb, x * fb])
    shift = ColumnShift.of(X)
    assert shift is not None
    m_b = x[fb == 1].mean()
    T = np.eye(4)
    T[0, 1], T[0, 2], T[2, 3] = -x.mean(), -fb.mean(), -m_b
    np.testing.assert_allclose(shift.matrix(), T, rtol=1e-14, atol=0)
    np.testing.assert_allclose(shift.inverse() @ T, np.eye(4), atol=1e-9)
    np.testing.assert_allclose(shift.centred(X), X @ T, rtol=0, atol=1e-9)
    centred = shift.centred(X)
    np.testing.assert_allclose(centred[:, 3], (x - m_b) * fb, atol=1e-9)
    beta_c = rng.normal(size=4)
    np.testing.assert_allclose(shift.beta(beta_c), T @ beta_c, rtol=1e-12)


@pytest.mark.parametrize("name", CASES)
def test_no_reference_case_is_shifted(name: str) -> None:
    """The shift applies only to columns far from zero for their spread: none of the
    lme4 reference cases has one, so their fits are bit for bit those of before."""
    assert fitted(name).model.fixed_shift is None


def test_the_assistant_names_x_once_for_its_slopes_within_levels(tmp_path) -> None:
    path = tmp_path / "far.csv"
    _frame(1e5, levels="ABC").to_csv(path, index=False)
    session = Session()
    assert session.ask(f"load {path}").ok
    answer = session.ask("LMM: y ~ f + x:f + (1 | g)")
    assert answer.ok
    far = [line for line in answer.text().splitlines() if "far from zero" in line]
    assert len(far) == 1
    assert "`x` sits far from zero for its spread in `x:f[A]` (mean" in far[0]
    assert "`x:f[B]`" in far[0] and "`x:f[C]`" in far[0]
    assert "it lost no precision" in far[0] and "`center x`" in far[0]


@pytest.mark.parametrize(("ratio", "shifted"), [(99.0, False), (101.0, True)])
def test_the_threshold_is_100_sds_where_the_factor_level_holds(ratio, shifted) -> None:
    """x:fB is shifted along fB when its mean where f = B exceeds 100 of its
    (population) SDs there, as a column along the intercept (CENTRE_COLUMN_RATIO)."""
    rng = np.random.default_rng(4)
    n = 60
    fb = np.tile([0.0, 1.0], n // 2)
    z = rng.normal(size=n)
    on = fb == 1
    z[on] = (z[on] - z[on].mean()) / z[on].std()  # mean 0, SD 1 where f = B
    x = ratio + z
    X = np.column_stack([np.ones(n), fb, x * fb])
    shift = ColumnShift.of(X, 100.0)
    assert (shift is not None) is shifted
    if shifted:
        assert shift.targets.tolist() == [2] and shift.sources.tolist() == [1]
        assert shift.amounts[0] == pytest.approx(ratio, rel=1e-12)
