"""Residual diagnostics in one figure, the panels of lme4's ``plot(m)``,
``qqnorm(resid(m))`` and ``qqnorm(ranef(m))`` and R's scale-location plot:

* residuals vs fitted: conditional residuals y − Xβ̂ − Zb̂ against Xβ̂ + Zb̂, with a
  LOWESS smooth (Cleveland 1979; statsmodels' ``lowess``, span 2/3 as R's
  ``plot.lm``); a curve or a funnel shows here;
* normal QQ of the standardized (Pearson, r/σ̂) residuals against normal quantiles,
  with the line through the quartiles (R's ``qqline``);
* scale-location: √|r/σ̂| against fitted, with a LOWESS smooth; a rising smooth is
  a funnel;
* a normal QQ plot of the BLUPs of each random-effect term.

Points the rules of :mod:`engine.residual_checks` flag (outlying observations,
extreme levels) are drawn in vermillion and labelled.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure as MplFigure
from matplotlib.transforms import Bbox
from scipy import stats
from statsmodels.nonparametric.smoothers_lowess import lowess

from engine.errors import LmmInputError
from engine.plots.results import ResidualFigure
from engine.plots.style import (
    ABOVE_ZERO,
    CATEGORY_COLOURS,
    REFERENCE_LINE,
    check_format,
    figure_style,
    file_stem,
    new_figure,
    save_figure,
)
from engine.residual_checks import ResidualChecks, check_residuals
from engine.results import fit_blups_by_term

PANEL_WIDTH_IN = 3.6
PANEL_HEIGHT_IN = 3.1
#: Most flagged points that get a text label in one panel.
MAX_POINT_LABELS = 5
WHICH = ("all", "qq")

POINT_COLOUR = CATEGORY_COLOURS[0]
SMOOTH_COLOUR = CATEGORY_COLOURS[1]


def _point_style(n: int) -> tuple[float, float]:
    """(marker area in pt², alpha): smaller and more transparent for many points."""
    return float(np.clip(600.0 / np.sqrt(max(n, 1)), 2.0, 22.0)), float(
        np.clip(12.0 / np.sqrt(max(n, 1)), 0.15, 0.8)
    )


def normal_quantiles(n: int) -> np.ndarray:
    """Φ⁻¹ of the plotting positions (i − a)/(n + 1 − 2a), a = 3/8 for n ≤ 10 else 1/2
    (R's ``ppoints``, used by ``qqnorm``)."""
    a = 0.375 if n <= 10 else 0.5
    return stats.norm.ppf((np.arange(1, n + 1) - a) / (n + 1 - 2 * a))


def _quartile_line(ax: Axes, sample: np.ndarray) -> None:
    q_sample = np.quantile(sample, [0.25, 0.75])
    q_theory = stats.norm.ppf([0.25, 0.75])
    if q_sample[1] == q_sample[0]:
        return
    slope = (q_sample[1] - q_sample[0]) / (q_theory[1] - q_theory[0])
    ax.axline(
        (q_theory[0], q_sample[0]), slope=slope, color=REFERENCE_LINE, linewidth=0.9,
        linestyle="--", zorder=1,
    ).set_gid("qq_line")


#: The LOWESS curve of a larger panel is fitted to this many points drawn at random
#: (fixed seed) without replacement: on the 1,000,000-row random-slope benchmark the curve
#: from 20,000 points stayed within 0.014 of the full-data curve (residual SD 0.90),
#: and the full one took 3.5 s per panel.
LOWESS_MAX_POINTS = 50_000


def _smooth(ax: Axes, x: np.ndarray, y: np.ndarray) -> None:
    """statsmodels' LOWESS (Cleveland 1979; span 2/3, 3 robustness iterations, as R's
    ``lowess``) of y on x, on a random subset of LOWESS_MAX_POINTS for larger panels."""
    if x.size < 5 or np.ptp(x) == 0:
        return
    if x.size > LOWESS_MAX_POINTS:
        keep = np.random.default_rng(0).choice(x.size, LOWESS_MAX_POINTS, replace=False)
        x, y = x[keep], y[keep]
        if np.ptp(x) == 0:
            return
    delta = 0.01 * float(np.ptp(x))
    curve = lowess(y, x, frac=2.0 / 3.0, it=3, delta=delta, return_sorted=True)
    ax.plot(curve[:, 0], curve[:, 1], color=SMOOTH_COLOUR, linewidth=1.6, zorder=4,
            gid="smooth")


#: A panel draws at most this many unflagged points (all of them up to this count). The
#: checks and the LOWESS curve use every row; only the drawing is thinned: on 1,000,000
#: rows drawing every point took about 0.6 s per panel.
MAX_DRAWN_POINTS = 50_000
#: Of a thinned panel, the points farthest from the middle in x and in y that are always
#: drawn (this many on each axis), so the edges of the cloud look as they are.
DRAWN_EDGE_POINTS = 1_000


def drawn_points(x: np.ndarray, y: np.ndarray, flagged: np.ndarray) -> np.ndarray:
    """The unflagged points a panel draws (a boolean mask): all of them when there are at
    most :data:`MAX_DRAWN_POINTS`; otherwise the :data:`DRAWN_EDGE_POINTS` farthest from
    the median in x and in y, and the others at random (fixed seed) up to that count.
    Flagged points are always drawn, separately."""
    rest = ~flagged
    candidates = np.flatnonzero(rest)
    if candidates.size <= MAX_DRAWN_POINTS:
        return rest
    keep = np.zeros(x.size, bool)
    for values in (x[candidates], y[candidates]):
        far = np.abs(values - np.median(values))
        keep[candidates[np.argpartition(-far, DRAWN_EDGE_POINTS)[:DRAWN_EDGE_POINTS]]] = True
    others = np.flatnonzero(rest & ~keep)
    need = MAX_DRAWN_POINTS - int(keep.sum())
    keep[np.random.default_rng(0).choice(others, need, replace=False)] = True
    return keep


def _scatter(ax: Axes, x: np.ndarray, y: np.ndarray, flagged: np.ndarray, labels) -> None:
    drawn = drawn_points(x, y, flagged)
    thinned = int(drawn.sum()) < int((~flagged).sum())
    area, alpha = _point_style(MAX_DRAWN_POINTS if thinned else x.size)
    ax.scatter(x[drawn], y[drawn], s=area, color=POINT_COLOUR, alpha=alpha, linewidths=0,
               zorder=2, rasterized=x.size > 5000, gid="points")
    if flagged.any():
        ax.scatter(x[flagged], y[flagged], s=max(area, 14.0), color=ABOVE_ZERO, zorder=5,
                   linewidths=0, gid="flagged_points")
        order = np.flatnonzero(flagged)
        order = order[np.argsort(-np.abs(y[order]), kind="stable")][:MAX_POINT_LABELS]
        middle = 0.5 * (float(np.min(x)) + float(np.max(x)))
        for i in order:
            right_half = x[i] > middle
            note = ax.annotate(
                str(labels[i]), (x[i], y[i]), xytext=(-5 if right_half else 5, 2),
                textcoords="offset points", fontsize=7, color=ABOVE_ZERO,
                ha="right" if right_half else "left", va="center", gid="point_label",
            )
            note.set_in_layout(False)


def _qq_panel(ax: Axes, sample: np.ndarray, flagged: np.ndarray, labels, title: str,
              ylabel: str) -> None:
    order = np.argsort(sample, kind="stable")
    theory = normal_quantiles(sample.size)
    _scatter(ax, theory, sample[order], flagged[order], np.asarray(labels, dtype=object)[order])
    _quartile_line(ax, sample)
    ax.set_title(title)
    ax.set_xlabel("normal quantile")
    ax.set_ylabel(ylabel)


def separate_labels(fig: MplFigure, max_passes: int = 10) -> None:
    """Move point labels of each panel apart vertically until no label overlaps another
    label or another labelled point.

    Labels are offset from their points in typographic points, so after one draw
    (which settles the layout) an overlapping label is pushed past the obstacle.
    """
    if not any(t.get_gid() == "point_label" for ax in fig.axes for t in ax.texts):
        return
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    pad = 4.0  # half a marker, in pixels
    for ax in fig.axes:
        notes = [t for t in ax.texts if t.get_gid() == "point_label"]
        anchors = [ax.transData.transform(t.xy) for t in notes]
        dots = [Bbox.from_extents(x - pad, y - pad, x + pad, y + pad) for x, y in anchors]
        for _ in range(max_passes):
            moved = False
            for i, note in enumerate(notes):
                box = note.get_window_extent(renderer)
                others = [b for j, b in enumerate(dots) if j != i]
                others += [n.get_window_extent(renderer) for n in notes[:i]]
                hit = next((b for b in others if box.overlaps(b)), None)
                if hit is None:
                    continue
                below = box.y0 + box.y1 <= hit.y0 + hit.y1
                shift = (hit.y0 - box.y1 - 1.0) if below else (hit.y1 - box.y0 + 1.0)
                dx, dy = note.get_position()  # offset in points
                note.set_position((dx, dy + shift * 72.0 / fig.dpi))
                moved = True
            if not moved:
                break


def observation_labels(fit, rows: np.ndarray | None = None) -> np.ndarray:
    """A label per row: its level of the first grouping factor and its 1-based row
    number in the model frame (``Subject 332 (row 57)``), or the row number alone.
    With ``rows`` given only those rows are labelled (the points a panel names), the
    others get an empty label."""
    n = len(fit.data)
    chosen = np.arange(n) if rows is None else np.asarray(rows, dtype=np.int64)
    labels = np.full(n, "", dtype=object)
    groups = [rt.group_label for rt in fit.model_formula.random_terms]
    if groups and groups[0] in fit.data.columns:
        values = fit.data[groups[0]].iloc[chosen].to_numpy(dtype=object)
        labels[chosen] = [
            f"{groups[0]} {v} (row {i + 1})"
            for v, i in zip(values.tolist(), chosen.tolist(), strict=True)
        ]
    else:
        labels[chosen] = [f"row {i + 1}" for i in chosen.tolist()]
    return labels


def draw_residuals(
    fit, checks: ResidualChecks, *, which: str = "all"
) -> tuple[MplFigure, tuple[str, ...]]:
    """Draw (without saving) the diagnostic panels; return the figure and panel codes."""
    if which not in WHICH:
        raise LmmInputError(
            f"The residual plots come as {' or '.join(WHICH)}, not {which!r}; pick one of these."
        )
    resid = np.asarray(fit.residuals(), dtype=float)
    fitted = np.asarray(fit.fitted(), dtype=float)
    z = resid / float(fit.sigma)
    outlying = np.zeros(resid.size, bool)
    extreme: dict[tuple[str, str], set[str]] = {}
    for f in checks.findings:
        if f.code == "outlying_observations":
            outlying[list(f.rows)] = True
        elif f.code == "extreme_levels" and f.group is not None and f.term is not None:
            extreme[(f.group, f.term)] = set(f.levels)
    row_labels = observation_labels(fit, np.flatnonzero(outlying))  # only named points

    terms = fit_blups_by_term(fit)

    panels: list[tuple[str, tuple[str, str] | None]] = []
    if which == "all":
        panels += [("residuals_vs_fitted", None), ("qq_residuals", None),
                   ("scale_location", None)]
    else:
        panels += [("qq_residuals", None)]
    panels += [(f"qq_ranef:{g}:{t}", (g, t)) for g, t in terms]
    codes = [code for code, _ in panels]
    ncols = min(2 if len(panels) <= 4 else 3, len(panels))
    nrows = int(np.ceil(len(panels) / ncols))
    fig = new_figure(PANEL_WIDTH_IN * ncols, PANEL_HEIGHT_IN * nrows + 0.5)
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    for ax, (code, key) in zip(axes, panels, strict=False):
        ax.set_gid(code)
        if code == "residuals_vs_fitted":
            ax.axhline(0.0, color=REFERENCE_LINE, linewidth=0.9, linestyle="--", zorder=1)
            _scatter(ax, fitted, resid, outlying, row_labels)
            _smooth(ax, fitted, resid)
            ax.set_title("Residuals vs fitted")
            ax.set_xlabel(f"fitted {fit.response_name}")
            ax.set_ylabel("residual")
        elif code == "qq_residuals":
            _qq_panel(ax, z, outlying, row_labels, "Normal QQ: residuals",
                      "standardized residual")
        elif code == "scale_location":
            root = np.sqrt(np.abs(z))
            _scatter(ax, fitted, root, outlying, row_labels)
            _smooth(ax, fitted, root)
            ax.set_title("Scale-location")
            ax.set_xlabel(f"fitted {fit.response_name}")
            ax.set_ylabel("√|standardized residual|")
        elif key is not None:
            group, term = key
            levels, values = terms[key]
            flagged = np.array([lev in extreme.get(key, set()) for lev in levels])
            label = "intercept" if term == "(Intercept)" else term
            _qq_panel(ax, values, flagged, levels, f"Normal QQ: {group} BLUPs ({label})",
                      "BLUP")
    for ax in axes[len(codes):]:
        ax.set_visible(False)
    heading = "Residual diagnostics" if which == "all" else "Normal QQ plots"
    formula = textwrap.wrap(str(fit.formula), width=int(28 * ncols), break_long_words=False)
    fig.suptitle("\n".join([heading, *formula]))
    separate_labels(fig)
    return fig, tuple(codes)


def residual_figure(
    fit, out_dir: str | Path, *, which: str = "all", fmt: str = "png", prefix: str = "",
) -> ResidualFigure:
    """Residual diagnostics with the rule-based checks, saved as
    ``residual_diagnostics.<fmt>`` (``residual_qq.<fmt>`` for ``which="qq"``)."""
    fmt = check_format(fmt)
    checks = check_residuals(fit)
    with figure_style():
        fig, codes = draw_residuals(fit, checks, which=which)
        name = "residual_diagnostics" if which == "all" else "residual_qq"
        path = save_figure(fig, out_dir, file_stem(prefix, name), fmt)
    return ResidualFigure(paths=(path,), format=fmt, panels=codes, checks=checks)
