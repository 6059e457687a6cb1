"""The data before any model: observed trajectories, or the outcome of each cluster.

With a time variable, the outcome is drawn against time with one thin line per subject
(the grouping factor), its observations as small dots, and a bold summary line: the
mean outcome at each time value, or, when time has more than :data:`MAX_MEAN_TIMES`
distinct values, Cleveland's (1979) LOWESS smoother (``statsmodels`` ``lowess`` with
R's defaults: span 2/3, three robustness iterations, ``delta`` 1% of the time range).
A ``by`` factor gives one panel per level. This is the "spaghetti plot" of the
longitudinal texts (e.g. Singer and Willett 2003, ch. 2; Fitzmaurice, Laird and Ware
2011, ch. 3).

Without a time variable (clustered cross-sectional data such as pupils in schools),
each cluster is one column of jittered points, clusters sorted by their mean outcome,
with the cluster means marked and the overall mean as a dashed line.
"""

from __future__ import annotations

import textwrap
from dataclasses import replace
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure as MplFigure
from statsmodels.nonparametric.smoothers_lowess import lowess

from engine.data import require_columns
from engine.errors import LmmInputError
from engine.plots.results import ClusterSpread, ObservedDataFigure, ObservedPanel
from engine.plots.style import (
    CATEGORY_COLOURS,
    NEUTRAL,
    REFERENCE_LINE,
    check_format,
    figure_style,
    file_stem,
    new_figure,
    save_figure,
    subject_line_style,
)
from engine.predict import factor_levels, is_numeric

#: Up to this many distinct time values the bold line joins the means at each value;
#: with more, most values hold few observations and a smoother is drawn instead.
MAX_MEAN_TIMES = 15
#: LOWESS settings of R's ``lowess()``: span, robustness iterations, delta (share of range).
LOWESS_FRAC = 2 / 3
LOWESS_ITERATIONS = 3
LOWESS_DELTA_SHARE = 0.01
#: At most this many panels; a factor with more levels is refused as a panel factor.
MAX_PANELS = 12
#: Cluster names are written on the axis up to this many clusters.
CLUSTER_LABEL_LIMIT = 60
#: Past this many subjects, the thin lines and dots are those of this many subjects drawn
#: at random (fixed seed): 125,000 lines took 14 s to draw and save and read as a solid
#: band. The bold summary line and every reported number still use all rows.
MAX_DRAWN_GROUPS = 2_000
DRAWN_GROUPS_SEED = 20240601
#: Half-width of the horizontal jitter of points in the cluster layout.
JITTER = 0.18
PANEL_WIDTH_IN = 3.6
PANEL_HEIGHT_IN = 3.4
MIN_WIDTH_IN = 6.4


class ObservedDrawing(NamedTuple):
    """What :func:`draw_observed_data` drew: the unsaved figure and its numbers."""

    figure: MplFigure
    result: ObservedDataFigure


def _clean_rows(
    data: pd.DataFrame, outcome: str, group: str, time: str | None, by: str | None
) -> tuple[pd.DataFrame, int]:
    """The rows with every role present, and how many rows were left out."""
    names = [n for n in dict.fromkeys((outcome, group, time, by)) if n is not None]
    require_columns(data, names)
    if not is_numeric(data[outcome]):
        raise LmmInputError(
            f"The outcome '{outcome}' is not numeric, so it cannot be plotted on a scale; "
            "name a numeric column to plot."
        )
    roles = [outcome, group, *([time] if time else [])]
    if len(set(roles)) < len(roles):
        raise LmmInputError(
            "The outcome, the time variable and the subject column must be three different "
            "columns; name them, e.g. `plot score over time for each id`."
        )
    rows = data[names].dropna()
    if rows.empty:
        raise LmmInputError(
            f"No row has all of {', '.join(names)} present; check for missing values."
        )
    return rows.reset_index(drop=True), int(len(data) - len(rows))


def _time_positions(series: pd.Series) -> tuple[np.ndarray, list[str] | None]:
    """Time as numbers; a non-numeric time becomes positions 0, 1, ... of its levels."""
    if is_numeric(series):
        return series.to_numpy(dtype=float), None
    levels = factor_levels(series)
    codes = {level: i for i, level in enumerate(levels)}
    return series.map(codes).to_numpy(dtype=float), [str(v) for v in levels]


def _segments(t: np.ndarray, y: np.ndarray, codes: np.ndarray) -> list[np.ndarray]:
    """One (time, outcome) polyline per subject, in time order."""
    order = np.lexsort((t, codes))
    points = np.column_stack([t[order], y[order]])
    starts = np.flatnonzero(np.diff(codes[order])) + 1
    return np.split(points, starts)


def summary_line(t: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, str]:
    """The bold line: (time values, summary values, ``mean`` or ``lowess``)."""
    values = np.unique(t)
    if values.size <= MAX_MEAN_TIMES:
        means = pd.Series(y).groupby(t).mean()
        return means.index.to_numpy(dtype=float), means.to_numpy(dtype=float), "mean"
    delta = LOWESS_DELTA_SHARE * float(values[-1] - values[0])
    fitted = lowess(y, t, frac=LOWESS_FRAC, it=LOWESS_ITERATIONS, delta=delta,
                    return_sorted=True)
    xs, index = np.unique(fitted[:, 0], return_index=True)
    return xs, fitted[index, 1], "lowess"


def _panel_levels(rows: pd.DataFrame, by: str | None) -> list[object]:
    if by is None:
        return [None]
    levels = factor_levels(rows[by])
    if len(levels) > MAX_PANELS:
        raise LmmInputError(
            f"'{by}' has {len(levels)} levels, too many for one panel each (at most "
            f"{MAX_PANELS}); choose a factor with fewer levels."
        )
    return levels


def drawn_group_mask(codes: np.ndarray, n_groups: int) -> np.ndarray:
    """Rows whose subject is drawn: all, or those of :data:`MAX_DRAWN_GROUPS` random ones."""
    if n_groups <= MAX_DRAWN_GROUPS:
        return np.ones(codes.shape, bool)
    rng = np.random.default_rng(DRAWN_GROUPS_SEED)
    chosen = np.zeros(n_groups, bool)
    chosen[rng.choice(n_groups, size=MAX_DRAWN_GROUPS, replace=False)] = True
    return chosen[codes]


def _time_label(value: float, labels: list[str] | None) -> float | str:
    return labels[int(round(value))] if labels is not None else float(value)


def _draw_trajectories(
    rows: pd.DataFrame, outcome: str, group: str, time: str, by: str | None, n_dropped: int
) -> ObservedDrawing:
    t_all, labels = _time_positions(rows[time])
    y_all = rows[outcome].to_numpy(dtype=float)
    codes_all, _ = pd.factorize(rows[group].astype(str).to_numpy())
    levels = _panel_levels(rows, by)
    n_panels = len(levels)
    ncols = min(n_panels, 3)
    nrows = int(np.ceil(n_panels / ncols))
    width = max(MIN_WIDTH_IN, PANEL_WIDTH_IN * ncols + 0.6)
    fig = new_figure(width, PANEL_HEIGHT_IN * nrows + 1.0)
    axes = fig.subplots(nrows, ncols, squeeze=False, sharex=True, sharey=True).ravel()
    n_groups = int(np.unique(codes_all).size)
    drawn_all = drawn_group_mask(codes_all, int(codes_all.max()) + 1)
    n_drawn = min(n_groups, MAX_DRAWN_GROUPS)
    alpha, line_width = subject_line_style(max(1, n_drawn // n_panels))
    panels: list[ObservedPanel] = []
    kinds: set[str] = set()
    for i, (ax, level) in enumerate(zip(axes, levels, strict=False)):
        colour = CATEGORY_COLOURS[i % len(CATEGORY_COLOURS)]
        mask = np.ones(len(rows), bool) if level is None else (rows[by] == level).to_numpy()
        t, y, codes = t_all[mask], y_all[mask], codes_all[mask]
        drawn = drawn_all[mask]
        lines = LineCollection(_segments(t[drawn], y[drawn], codes[drawn]), colors=colour,
                               linewidths=line_width, alpha=alpha, zorder=2,
                               label=f"each {group}")
        lines.set_gid("subject_lines")
        ax.add_collection(lines)
        dots = ax.scatter(t[drawn], y[drawn], s=6, color=colour,
                          alpha=min(1.0, 1.5 * alpha), linewidths=0, zorder=2,
                          label="observations")
        dots.set_gid("observations")
        xs, values, kind = summary_line(t, y)
        kinds.add(kind)
        (bold,) = ax.plot(xs, values, color="black", linewidth=2.6, zorder=4,
                          marker="o" if kind == "mean" else None, markersize=4,
                          label="mean at each time" if kind == "mean" else "LOWESS smoother")
        bold.set_gid("summary_line")
        if level is not None:
            ax.set_title(f"{by} = {level}")
        ax.autoscale_view()
        panels.append(ObservedPanel(
            level=None if level is None else str(level),
            n_groups=int(np.unique(codes).size),
            n_observations=int(mask.sum()),
            first_time=_time_label(xs[0], labels),
            last_time=_time_label(xs[-1], labels),
            start_value=float(values[0]),
            end_value=float(values[-1]),
        ))
    for ax in axes[n_panels:]:
        ax.set_visible(False)
    for ax in axes[:n_panels]:
        if labels is not None:
            ax.set_xticks(range(len(labels)), labels)
        if ax.get_subplotspec().is_last_row() or n_panels <= ncols:
            ax.set_xlabel(time)
        if ax.get_subplotspec().is_first_col():
            ax.set_ylabel(outcome)
    summary = "lowess" if "lowess" in kinds else "mean"
    sizes = np.bincount(codes_all)
    what = f"observed {outcome} over {time}, one line per {group} ({n_groups})"
    fig.suptitle("\n".join(textwrap.wrap(what, width=int(11 * width))))
    handles, names = axes[0].get_legend_handles_labels()
    fig.legend(handles, names, loc="outside lower center", ncols=len(handles))
    result = ObservedDataFigure(
        paths=(), format="png", layout="trajectories", response=outcome, time=time,
        group=group, by=by, by_levels=tuple(str(v) for v in levels if v is not None),
        summary=summary, n_groups=n_groups, n_observations=int(len(rows)),
        n_dropped=n_dropped, per_group_min=int(sizes.min()), per_group_max=int(sizes.max()),
        n_time_values=int(np.unique(t_all).size), panels=tuple(panels),
        n_groups_drawn=n_drawn,
    )
    return ObservedDrawing(fig, result)


def _draw_clusters(
    rows: pd.DataFrame, outcome: str, group: str, by: str | None, n_dropped: int
) -> ObservedDrawing:
    keys = rows[group].astype(str)
    means = rows[outcome].groupby(keys, sort=False).mean().sort_values(kind="stable")
    position = {name: i for i, name in enumerate(means.index)}
    x_centre = keys.map(position).to_numpy(dtype=float)
    jitter = np.random.default_rng(20240601).uniform(-JITTER, JITTER, size=len(rows))
    y = rows[outcome].to_numpy(dtype=float)
    n_clusters = len(means)
    width = float(np.clip(0.16 * n_clusters + 1.5, MIN_WIDTH_IN, 16.0))
    fig = new_figure(width, PANEL_HEIGHT_IN + 1.4)
    ax = fig.add_subplot()
    levels = _panel_levels(rows, by)
    for i, level in enumerate(levels):
        mask = np.ones(len(rows), bool) if level is None else (rows[by] == level).to_numpy()
        colour = NEUTRAL if level is None else CATEGORY_COLOURS[i % len(CATEGORY_COLOURS)]
        dots = ax.scatter(x_centre[mask] + jitter[mask], y[mask], s=7, color=colour,
                          alpha=0.55, linewidths=0, zorder=2,
                          label="observations" if level is None else f"{by} = {level}")
        dots.set_gid("observations")
    marks = ax.scatter(np.arange(n_clusters), means.to_numpy(), marker="_", s=160,
                       linewidths=2.6, color="black", zorder=4, label=f"{group} mean")
    marks.set_gid("cluster_means")
    overall = float(y.mean())
    ref = ax.axhline(overall, color=REFERENCE_LINE, linestyle="--", linewidth=1.0, zorder=1,
                     label="overall mean")
    ref.set_gid("overall_mean")
    if n_clusters <= CLUSTER_LABEL_LIMIT:
        ax.set_xticks(range(n_clusters), list(means.index), rotation=90, fontsize=7)
    else:
        ax.set_xticks([])
    ax.set_xlabel(f"{group} (sorted by mean {outcome})")
    ax.set_ylabel(outcome)
    fig.suptitle(f"observed {outcome} by {group} ({n_clusters} levels, sorted by mean)")
    handles, names = ax.get_legend_handles_labels()
    fig.legend(handles, names, loc="outside lower center", ncols=len(handles))
    sizes = keys.value_counts()
    spread = ClusterSpread(
        lowest_level=str(means.index[0]), lowest_mean=float(means.iloc[0]),
        highest_level=str(means.index[-1]), highest_mean=float(means.iloc[-1]),
        overall_mean=overall, sd_of_means=float(means.std(ddof=1)) if n_clusters > 1 else 0.0,
    )
    result = ObservedDataFigure(
        paths=(), format="png", layout="clusters", response=outcome, time=None, group=group,
        by=by, by_levels=tuple(str(v) for v in levels if v is not None),
        summary="cluster_means", n_groups=n_clusters, n_observations=int(len(rows)),
        n_dropped=n_dropped, per_group_min=int(sizes.min()), per_group_max=int(sizes.max()),
        n_time_values=0,
        panels=(ObservedPanel(None, n_clusters, int(len(rows)), None, None, None, None),),
        clusters=spread,
    )
    return ObservedDrawing(fig, result)


def draw_observed_data(
    data: pd.DataFrame, *, outcome: str, group: str, time: str | None = None,
    by: str | None = None,
) -> ObservedDrawing:
    """Draw (without saving) the observed-data figure; call inside ``figure_style()``.

    ``time`` None draws the cluster layout. Rows missing any of the named columns are
    left out (and counted).
    """
    rows, n_dropped = _clean_rows(data, outcome, group, time, by)
    if time is None:
        return _draw_clusters(rows, outcome, group, by, n_dropped)
    return _draw_trajectories(rows, outcome, group, time, by, n_dropped)


def observed_data_figure(
    data: pd.DataFrame, out_dir: str | Path, *, outcome: str, group: str,
    time: str | None = None, by: str | None = None, fmt: str = "png", prefix: str = "",
) -> ObservedDataFigure:
    """The observed-data figure, saved as ``data_<outcome>[_over_<time>][_by_<factor>]``."""
    fmt = check_format(fmt)
    with figure_style():
        drawn = draw_observed_data(data, outcome=outcome, group=group, time=time, by=by)
        stem = file_stem(prefix, "data", outcome, *(("over", time) if time else ("by", group)),
                         *(("by", by) if by else ()))
        path = save_figure(drawn.figure, out_dir, stem, fmt)
    return replace(drawn.result, paths=(path,), format=fmt)
