"""The observed means with error bars: the outcome's mean at each time (x) value, one line
per level of a group factor, each mean with a bar of its per-cell confidence interval,
± 1 SE or ± 1 SD (numbers from :mod:`engine.observed_mean_intervals`). Groups are shifted
a little sideways ("dodged") so that their bars do not hide one another."""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd
from matplotlib.figure import Figure as MplFigure

from engine.errors import LmmInputError
from engine.observed_mean_intervals import (
    BAR_KINDS,
    MeanInterval,
    ObservedMeanIntervals,
    observed_mean_intervals,
)
from engine.plots.results import ObservedMeansFigure
from engine.plots.style import (
    CATEGORY_COLOURS,
    check_format,
    figure_style,
    file_stem,
    new_figure,
    save_figure,
)

#: The groups together span this share of the smallest gap between x values.
DODGE_SPAN = 0.16
#: At most this many groups get a line each (one colour per group).
MAX_GROUPS = len(CATEGORY_COLOURS)
FIGURE_SIZE_IN = (6.4, 4.2)
#: Level names on a factor x axis are written upright past this many levels.
ROTATE_LABELS_PAST = 8


class MeansDrawing(NamedTuple):
    """What :func:`draw_observed_means` drew: the unsaved figure and the dodge used."""

    figure: MplFigure
    dodge: float


def dodge_step(means: ObservedMeanIntervals) -> float:
    """The sideways shift between neighbouring groups, in x units (0 for one group)."""
    k = max(len(means.group_levels), 1)
    if k == 1:
        return 0.0
    if means.x_numeric and len(means.x_levels) > 1:
        gap = float(np.min(np.diff(np.asarray(means.x_levels, dtype=float))))
    else:
        gap = 1.0
    return DODGE_SPAN * gap / (k - 1)


def _half_widths(cells: tuple[MeanInterval, ...], bars: str) -> np.ndarray:
    """(2, n) lower and upper bar lengths; NaN where a cell has one value (no bar)."""
    below, above = [], []
    for c in cells:
        if bars == "ci":
            low = np.nan if c.lower is None else c.mean - c.lower
            high = np.nan if c.upper is None else c.upper - c.mean
        else:
            spread = c.se if bars == "se" else c.sd
            low = high = np.nan if spread is None else spread
        below.append(low)
        above.append(high)
    return np.array([below, above], dtype=float)


def _bar_label(bars: str, level: float) -> str:
    if bars == "ci":
        return f"{100 * level:g}% CI"
    return "± 1 SE" if bars == "se" else "± 1 SD"


def draw_observed_means(means: ObservedMeanIntervals, bars: str = "ci") -> MeansDrawing:
    """The figure (not saved): one errorbar line per group, x labels from the column names."""
    if bars not in BAR_KINDS:
        raise LmmInputError(f"Error bars can show {', '.join(BAR_KINDS)}, not {bars!r}.")
    if len(means.group_levels) > MAX_GROUPS:
        raise LmmInputError(
            f"'{means.group}' has {len(means.group_levels)} levels, too many lines for one "
            f"plot (at most {MAX_GROUPS}); split by a factor with fewer levels."
        )
    step = dodge_step(means)
    fig = new_figure(*FIGURE_SIZE_IN)
    ax = fig.subplots()
    positions = {v: (float(v) if means.x_numeric else float(i))
                 for i, v in enumerate(means.x_levels)}
    groups: list[str | None] = list(means.group_levels) or [None]
    centre = (len(groups) - 1) / 2
    for i, level in enumerate(groups):
        cells = means.group_cells(level)
        x = np.array([positions[c.x] for c in cells]) + (i - centre) * step
        y = np.array([c.mean for c in cells])
        container = ax.errorbar(
            x, y, yerr=_half_widths(cells, bars), color=CATEGORY_COLOURS[i % MAX_GROUPS],
            marker="o", markersize=5, linewidth=1.6, capsize=3, elinewidth=1.1,
            label=str(level) if level is not None else means.outcome,
        )
        container.lines[0].set_gid("mean_line")
    if not means.x_numeric:
        ax.set_xticks([positions[v] for v in means.x_levels], [str(v) for v in means.x_levels],
                      rotation=90 if len(means.x_levels) > ROTATE_LABELS_PAST else 0)
    elif len(means.x_levels) <= 12:
        ax.set_xticks([float(v) for v in means.x_levels])
    ax.set_xlabel(means.x)
    ax.set_ylabel(f"mean {means.outcome} ({_bar_label(bars, means.level)})")
    split = f" and {means.group}" if means.group else ""
    ax.set_title(f"Observed mean {means.outcome} by {means.x}{split}")
    if means.group:
        ax.legend(title=means.group)
    return MeansDrawing(fig, step)


def observed_means_figure(
    data: pd.DataFrame, out_dir: str | Path, *, outcome: str, x: str, group: str | None = None,
    bars: str = "ci", level: float = 0.95, fmt: str = "png", prefix: str = "",
) -> ObservedMeansFigure:
    """The means with error bars, saved as
    ``<prefix>_observed_means_<outcome>_<x>[_by_<group>][_se|_sd].<fmt>`` (interval bars
    have no suffix)."""
    fmt = check_format(fmt)
    means = observed_mean_intervals(data, outcome, x, group, level)
    with figure_style():
        drawn = draw_observed_means(means, bars)
        stem = file_stem(prefix, "observed_means", outcome, x,
                         *(("by", means.group) if means.group else ()),
                         "" if bars == "ci" else bars)
        path = save_figure(drawn.figure, out_dir, stem, fmt)
    return ObservedMeansFigure(paths=(path,), format=fmt, bars=bars, means=means,
                               dodge=drawn.dodge)
