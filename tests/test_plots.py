"""Figures drawn from real fits, checked through the matplotlib objects they contain."""

import json

import matplotlib as mpl
import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import LineCollection, PathCollection, PolyCollection
from scipy import stats

from engine import fit_lmm
from engine.errors import LmmInputError
from engine.plots import caterpillar_figure, residual_figure, trajectory_figure
from engine.plots.caterpillar import BAND_LIMIT, LABEL_LIMIT, draw_caterpillar
from engine.plots.residuals import draw_residuals
from engine.plots.style import OKABE_ITO, figure_style
from engine.plots.trajectory import draw_trajectory
from engine.residual_checks import check_residuals
from engine.samples import load_sample
from tests.conftest import find_reference_dir

REFERENCE = find_reference_dir()


def _data(name: str) -> pd.DataFrame:
    return pd.read_csv(REFERENCE / "data" / f"{name}.csv", dtype={"Subject": str})


@pytest.fixture(scope="module")
def sleep_slope():
    return fit_lmm("Reaction ~ Days + (Days | Subject)", _data("sleepstudy"))


@pytest.fixture(scope="module")
def orthodont():
    return fit_lmm("distance ~ age * Sex + (age | Subject)", _data("Orthodont"))


def _simulated_intercepts(n_groups: int, per_group: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    group = np.repeat(np.arange(n_groups), per_group)
    x = rng.normal(size=group.size)
    y = 1.0 + 0.5 * x + rng.normal(0, 1.0, n_groups)[group] + rng.normal(0, 1.0, group.size)
    return pd.DataFrame({"y": y, "x": x, "unit": [f"u{g:04d}" for g in group]})


@pytest.fixture(scope="module")
def many_levels():
    return fit_lmm("y ~ x + (1 | unit)", _simulated_intercepts(2000, 3, seed=11))


@pytest.fixture(scope="module")
def labelled_limit_levels():
    return fit_lmm("y ~ x + (1 | unit)", _simulated_intercepts(LABEL_LIMIT, 4, seed=12))


def _by_gid(ax, gid):
    return [a for a in ax.get_children() if a.get_gid() == gid]


def _intervals(fit, group, term, level=0.95):
    z = stats.norm.ppf(0.5 + level / 2)
    rows = [e for e in fit.random_effects if e.group == group and e.term == term]
    return {e.level: (e.value - z * e.cond_sd, e.value + z * e.cond_sd, e.value) for e in rows}


# ---------------------------------------------------------------- caterpillar
def test_caterpillar_has_one_point_and_interval_per_level(sleep_slope):
    with figure_style():
        fig, panels = draw_caterpillar(sleep_slope.random_effects, "Subject")
    assert [p.term for p in panels] == ["(Intercept)", "Days"]
    for ax, panel in zip(fig.axes, panels, strict=True):
        expected = _intervals(sleep_slope, "Subject", panel.term)
        segments = [s for name in ("above", "cover", "below")
                    for c in _by_gid(ax, f"intervals_{name}") for s in c.get_segments()]
        points = [p for name in ("above", "cover", "below")
                  for c in _by_gid(ax, f"points_{name}") for p in c.get_offsets()]
        assert len(segments) == len(points) == 18 == panel.n_levels
        # each tick label sits at the row of its level's interval and point
        labels = {t.get_text(): y for t, y in zip(ax.get_yticklabels(), ax.get_yticks(),
                                                   strict=True)}
        for seg in segments:
            (lo, y0), (hi, _) = seg
            level = next(k for k, v in labels.items() if v == y0)
            assert (lo, hi) == pytest.approx(expected[level][:2], rel=1e-12)
        values = [expected[t.get_text()][2] for t in ax.get_yticklabels()]
        assert values == sorted(values)


def test_caterpillar_highlights_exactly_the_intervals_that_exclude_zero(sleep_slope):
    with figure_style():
        fig, panels = draw_caterpillar(sleep_slope.random_effects, "Subject")
    for ax, panel in zip(fig.axes, panels, strict=True):
        expected = _intervals(sleep_slope, "Subject", panel.term)
        above = {k for k, (lo, hi, v) in expected.items() if lo > 0}
        below = {k for k, (lo, hi, v) in expected.items() if hi < 0}
        assert above and below
        assert set(panel.levels_above) == above and set(panel.levels_below) == below
        for name, wanted, colour in (("above", above, OKABE_ITO["vermillion"]),
                                     ("below", below, OKABE_ITO["blue"])):
            (coll,) = _by_gid(ax, f"intervals_{name}")
            drawn = sorted(tuple(np.round(s[:, 0], 9)) for s in coll.get_segments())
            assert drawn == sorted(tuple(np.round(expected[k][:2], 9)) for k in wanted)
            assert mpl.colors.to_hex(coll.get_colors()[0]).upper() == colour
        (grey,) = _by_gid(ax, "intervals_cover")
        assert all(lo <= 0 <= hi for (lo, _), (hi, _) in
                   (tuple(map(tuple, s)) for s in grey.get_segments()))


def test_caterpillar_file_and_numbers(sleep_slope, tmp_path):
    result = caterpillar_figure(sleep_slope, tmp_path)
    (path,) = result.paths
    assert path.name == "caterpillar_Subject.png"
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    intercept = result.panels[0]
    expected = _intervals(sleep_slope, "Subject", "(Intercept)")
    assert intercept.n_above == sum(lo > 0 for lo, _, _ in expected.values())
    assert intercept.n_below == sum(hi < 0 for _, hi, _ in expected.values())
    svg = caterpillar_figure(sleep_slope, tmp_path, term="intercept", fmt="svg")
    assert svg.paths[0].suffix == ".svg" and b"<svg" in svg.paths[0].read_bytes()[:400]
    assert [p.term for p in svg.panels] == ["(Intercept)"]
    assert result.to_dict()["kind"] == "figure_caterpillar"


def test_caterpillar_of_unknown_group_is_an_input_error(sleep_slope, tmp_path):
    with pytest.raises(LmmInputError, match="no random effects for 'school'"):
        caterpillar_figure(sleep_slope, tmp_path, group="school")
    with pytest.raises(LmmInputError, match="can be saved as"):
        caterpillar_figure(sleep_slope, tmp_path, fmt="bmp")


def _label_boxes(fig, ax):
    renderer = fig.canvas.get_renderer()
    fig.canvas.draw()
    return [t.get_window_extent(renderer) for t in ax.get_yticklabels() if t.get_text()]


@pytest.mark.parametrize("n_levels", [12, LABEL_LIMIT])
def test_labels_up_to_the_limit_do_not_overlap(n_levels, labelled_limit_levels):
    effects = [e for e in labelled_limit_levels.random_effects
               if int(e.level[1:]) < n_levels]
    with figure_style():
        fig, panels = draw_caterpillar(effects, "unit")
    assert panels[0].labels_shown and panels[0].n_levels == n_levels
    boxes = sorted(_label_boxes(fig, fig.axes[0]), key=lambda b: b.y0)
    assert len(boxes) == n_levels
    assert all(a.y1 <= b.y0 for a, b in zip(boxes, boxes[1:], strict=False))


def test_two_thousand_levels_drop_labels_and_keep_every_interval(many_levels):
    with figure_style():
        fig, panels = draw_caterpillar(many_levels.random_effects, "unit")
    ax = fig.axes[0]
    assert not panels[0].labels_shown
    assert _label_boxes(fig, ax) == []
    n = sum(len(c.get_segments()) for c in ax.collections if isinstance(c, LineCollection))
    assert n == 2000
    assert fig.get_size_inches()[1] <= 12


def test_beyond_the_band_limit_the_intervals_are_filled_bands_of_the_same_extent():
    """Past BAND_LIMIT levels each colour is one filled band whose rows reach from each
    level's lower to its upper 95% bound (value -/+ z * conditional SD)."""
    from types import SimpleNamespace

    n = 2 * BAND_LIMIT
    values = np.linspace(-3.0, 3.0, n)
    sds = np.full(n, 0.5)
    effects = [SimpleNamespace(group="g", term="(Intercept)", level=f"l{i}", value=v,
                               cond_sd=0.5) for i, v in enumerate(values)]
    with figure_style():
        fig, (panel,) = draw_caterpillar(effects, "g")
    ax = fig.axes[0]
    z = stats.norm.ppf(0.975)
    lower, upper = values - z * sds, values + z * sds
    assert panel.n_above == int((lower > 0).sum()) and panel.n_below == int((upper < 0).sum())
    assert not any(isinstance(c, LineCollection) for c in ax.collections)
    rng = np.random.default_rng(3)
    for name, mask in (("above", lower > 0), ("below", upper < 0),
                       ("cover", (lower <= 0) & (upper >= 0))):
        (band,) = _by_gid(ax, f"intervals_{name}")
        assert isinstance(band, PolyCollection)
        (outline,) = band.get_paths()
        # inside each row of the colour, from its lower to its upper bound; no area in
        # the rows of the other colours
        for i in rng.choice(n, 400, replace=False).tolist():
            inside = [outline.contains_point((x, i)) for x in
                      (lower[i] + 1e-6, 0.5 * (lower[i] + upper[i]), upper[i] - 1e-6)]
            outside = [outline.contains_point((x, i)) for x in
                       (lower[i] - 1e-6, upper[i] + 1e-6)]
            assert not any(outside)
            if mask[i]:
                assert all(inside)
            if not mask[i]:  # (its BLUP, where the row collapses, is on the outline)
                assert not inside[0] and not inside[2]
        ys = outline.vertices[:, 1]
        assert ys.min() == -0.5 and ys.max() == n - 0.5


# ----------------------------------------------------------------- trajectory
def test_trajectory_has_one_line_per_subject_and_a_band_around_the_mean(sleep_slope):
    with figure_style():
        fig, preds, _, _, by, _, n_subjects = draw_trajectory(sleep_slope)
    ax = fig.axes[0]
    assert by is None and n_subjects == 18
    (lines,) = _by_gid(ax, "subject_lines")
    segments = lines.get_segments()
    assert len(segments) == 18
    fitted = np.sort(np.asarray(sleep_slope.fitted()))
    np.testing.assert_allclose(np.sort(np.concatenate([s[:, 1] for s in segments])), fitted)
    (mean_line,) = _by_gid(ax, "population_line")
    t, y = mean_line.get_data()
    np.testing.assert_allclose(y, sleep_slope.beta[0] + sleep_slope.beta[1] * t, rtol=1e-12)
    (band,) = _by_gid(ax, "band")
    assert isinstance(band, PolyCollection)
    lower = np.interp(t, preds.frame["Days"], preds.frame["lower"])
    upper = np.interp(t, preds.frame["Days"], preds.frame["upper"])
    assert (lower <= y).all() and (y <= upper).all()
    vertices = band.get_paths()[0].vertices
    for ti, yi in zip(t, y, strict=True):
        at = vertices[np.isclose(vertices[:, 0], ti)][:, 1]
        assert at.min() <= yi <= at.max()
    assert ax.get_xlabel() == "Days" and ax.get_ylabel() == "Reaction"


def test_trajectory_is_split_by_the_treatment_factor(orthodont, tmp_path):
    result = trajectory_figure(orthodont, tmp_path)
    assert result.by == "Sex" and result.by_levels == ("Female", "Male")
    assert result.paths[0].name == "trajectory_age_by_Sex.png"
    with figure_style():
        fig, preds, *_ = draw_trajectory(orthodont)
    counts = orthodont.data.groupby("Sex")["Subject"].nunique()
    visible = [ax for ax in fig.axes if ax.get_visible()]
    for ax, sex in zip(visible, ("Female", "Male"), strict=True):
        (lines,) = _by_gid(ax, "subject_lines")
        assert len(lines.get_segments()) == counts[sex]
        (mean_line,) = _by_gid(ax, "population_line")
        rows = preds.frame[preds.frame["Sex"] == sex]
        np.testing.assert_allclose(mean_line.get_ydata(), rows["estimate"])
        assert (rows["lower"] <= rows["estimate"]).all()
        assert (rows["estimate"] <= rows["upper"]).all()
        assert ax.get_title() == f"Sex = {sex}"


def test_trajectory_without_a_continuous_predictor_is_an_input_error(tmp_path):
    fit = fit_lmm("Yield ~ 1 + (1 | Batch)", pd.read_csv(REFERENCE / "data" / "Dyestuff.csv"))
    with pytest.raises(LmmInputError, match="no numeric predictor"):
        trajectory_figure(fit, tmp_path)


def test_time_as_a_factor_gives_one_estimate_and_interval_per_visit():
    fit = fit_lmm("pain_score ~ factor(time) + treatment + (1 | patient)",
                  load_sample("pain_trial"))
    with figure_style():
        drawn = draw_trajectory(fit)
    fig = drawn.figure
    assert drawn.by == "treatment" and drawn.n_subjects == 80
    assert drawn.time == "time" and drawn.discrete
    beta = dict(zip(fit.fixed_names, fit.beta, strict=True))
    for ax, arm in zip(fig.axes, ("control", "treated"), strict=True):
        (mean_line,) = _by_gid(ax, "population_line")
        t, y = mean_line.get_data()
        assert list(t) == [0.0, 1.0, 3.0, 6.0]
        shift = beta["treatment[T.treated]"] if arm == "treated" else 0.0
        visit = [0.0] + [beta[f"factor(time)[T.{v}]"] for v in (1, 3, 6)]
        np.testing.assert_allclose(y, beta["(Intercept)"] + shift + np.array(visit))
        (bars,) = _by_gid(ax, "band")
        for (x0, lo), (x1, hi) in (tuple(map(tuple, s)) for s in bars.get_segments()):
            at = y[list(t).index(x0)]
            assert x0 == x1 and lo <= at <= hi


# ------------------------------------------------------------------ residuals
def test_residual_panels_show_the_fit_residuals(sleep_slope, tmp_path):
    checks = check_residuals(sleep_slope)
    with figure_style():
        fig, codes = draw_residuals(sleep_slope, checks)
    assert codes == ("residuals_vs_fitted", "qq_residuals", "scale_location",
                     "qq_ranef:Subject:(Intercept)", "qq_ranef:Subject:Days")
    panels = {ax.get_gid(): ax for ax in fig.axes if ax.get_visible()}
    assert set(panels) == set(codes)
    resid = np.asarray(sleep_slope.residuals())
    fitted = np.asarray(sleep_slope.fitted())

    def offsets(ax):
        return np.concatenate([c.get_offsets() for c in ax.collections
                               if isinstance(c, PathCollection)])

    drawn = offsets(panels["residuals_vs_fitted"])
    assert len(drawn) == resid.size
    expected = np.column_stack([fitted, resid])
    np.testing.assert_allclose(drawn[np.lexsort(drawn.T[::-1])],
                               expected[np.lexsort(expected.T[::-1])], rtol=1e-12)
    qq = offsets(panels["qq_residuals"])
    np.testing.assert_allclose(np.sort(qq[:, 1]), np.sort(resid / sleep_slope.sigma))
    assert len(offsets(panels["qq_ranef:Subject:Days"])) == 18
    flagged = [f for f in checks.findings if f.code == "outlying_observations"]
    n_flagged = len(flagged[0].rows) if flagged else 0
    marked = _by_gid(panels["qq_residuals"], "flagged_points")
    assert sum(len(c.get_offsets()) for c in marked) == n_flagged
    for ax in panels.values():
        boxes = [t.get_window_extent() for t in ax.texts if t.get_gid() == "point_label"]
        assert all(not a.overlaps(b) for i, a in enumerate(boxes) for b in boxes[:i])
    labels = {t.get_text() for t in panels["qq_residuals"].texts}
    assert labels == {f"Subject {sleep_slope.data['Subject'].iloc[r]} (row {r + 1})"
                      for r in (flagged[0].rows if flagged else ())}
    result = residual_figure(sleep_slope, tmp_path)
    assert result.paths[0].name == "residual_diagnostics.png"
    assert result.checks == checks


def test_figures_leave_global_matplotlib_settings_alone(sleep_slope, tmp_path):
    before = dict(mpl.rcParams)
    caterpillar_figure(sleep_slope, tmp_path)
    trajectory_figure(sleep_slope, tmp_path)
    residual_figure(sleep_slope, tmp_path, which="qq")
    assert dict(mpl.rcParams) == before


def test_style_hides_top_and_right_spines(sleep_slope):
    with figure_style():
        fig, _ = draw_caterpillar(sleep_slope.random_effects, "Subject")
    for ax in fig.axes:
        assert not ax.spines["top"].get_visible() and not ax.spines["right"].get_visible()


def test_qq_only_figure_and_json_safe_results(sleep_slope, tmp_path):
    qq = residual_figure(sleep_slope, tmp_path, which="qq")
    assert qq.paths[0].name == "residual_qq.png"
    assert qq.panels == ("qq_residuals", "qq_ranef:Subject:(Intercept)", "qq_ranef:Subject:Days")
    trajectory = trajectory_figure(sleep_slope, tmp_path, fmt="svg")
    caterpillar = caterpillar_figure(sleep_slope, tmp_path)
    for result in (qq, trajectory, caterpillar):
        out = json.loads(json.dumps(result.to_dict(), allow_nan=False))
        assert out["paths"] == [str(p) for p in result.paths]
    rows = trajectory.to_dict()["predictions"]["rows"]
    assert len(rows) == len(trajectory.predictions.frame)
    with pytest.raises(LmmInputError, match="come as all or qq"):
        residual_figure(sleep_slope, tmp_path, which="funnel")


def test_trajectory_without_band_or_subject_lines(orthodont):
    with figure_style():
        drawn = draw_trajectory(orthodont, band=False, overlay_blups=False)
    for ax in drawn.figure.axes[:2]:
        assert _by_gid(ax, "band") == [] and _by_gid(ax, "subject_lines") == []
        assert len(_by_gid(ax, "population_line")) == 1
    (legend,) = drawn.figure.legends
    assert [t.get_text() for t in legend.get_texts()] == ["population mean (fixed effects)"]
