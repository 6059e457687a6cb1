"""Trajectory plot: the population-level prediction over time with its confidence band,
and one thin line per subject from the subject-level (BLUP) predictions.

The population line is x'β̂ over the time variable (:func:`engine.predict.
population_predictions`); when the model has a treatment-like factor the figure has
one panel per level of it, and every other factor is averaged out with equal weights.
The band is the pointwise Wald-t interval of x'β̂. Subject lines are Xβ̂ + Zb̂ at each
subject's observed rows, joined in time order (:func:`engine.predict.
subject_predictions`), in the panel of the subject's level.
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure as MplFigure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from engine.errors import LmmInputError
from engine.plots.results import TrajectoryFigure
from engine.plots.style import (
    CATEGORY_COLOURS,
    check_format,
    figure_style,
    file_stem,
    new_figure,
    save_figure,
    subject_line_style,
)
from engine.predict import (
    FixedPartVariables,
    PredictionGrid,
    choose_time_variable,
    factor_levels,
    fixed_part_variables,
    is_numeric,
    population_predictions,
    subject_predictions,
)
from engine.results import fit_blups_by_term

#: A factor with more levels than this is not split into panels automatically.
MAX_PANELS = 6
PANEL_WIDTH_IN = 3.6
PANEL_HEIGHT_IN = 3.4
#: A figure is at least this wide, so that the title and legend fit one panel.
MIN_WIDTH_IN = 6.4
SUBJECT_LINE_COLOUR = "#8C8C8C"
NEUTRAL_DARK = "#333333"


class TrajectoryDrawing(NamedTuple):
    """What :func:`draw_trajectory` drew: the figure, the predictions on it, the
    horizontal-axis variable (``discrete`` when it is a factor such as ``factor(time)``),
    the panel factor and its levels, and the number of subjects."""

    figure: MplFigure
    predictions: PredictionGrid
    time: str
    discrete: bool
    by: str | None
    by_levels: tuple[str, ...]
    n_subjects: int


def _legend_handle(handle, *, neutral: bool):
    """The legend's version of a mark. Subject lines get a fixed, visible alpha (with
    thousands of subjects the drawn lines are nearly transparent); with one colour per
    panel (``neutral``) the other marks turn dark grey, since the legend names the
    kind of mark, not a panel."""
    gid = handle.get_gid()
    if gid == "subject_lines":
        return Line2D([], [], color=SUBJECT_LINE_COLOUR, linewidth=1.0, alpha=0.8)
    if not neutral:
        return handle
    if gid == "population_line":
        return Line2D([], [], color=NEUTRAL_DARK, linewidth=2.4, marker=handle.get_marker(),
                      markersize=5)
    if gid == "band" and isinstance(handle, LineCollection):
        return Line2D([], [], color=NEUTRAL_DARK, linewidth=2.0)
    if gid == "band":
        return Patch(facecolor=NEUTRAL_DARK, alpha=0.3, linewidth=0)
    return handle


def choose_time_axis(
    fit, variables: FixedPartVariables, time: str | None
) -> tuple[str, bool]:
    """The variable on the horizontal axis and whether it is discrete.

    The caller's choice, else the first numeric predictor of the fixed part: a
    continuous one (a line over its range) or a numeric column used as a factor, such
    as ``factor(time)`` (one estimate per observed value, with error bars).
    """
    numeric_factors = [f for f in variables.factors if is_numeric(fit.data[f])]
    if time is not None and time in numeric_factors:
        return time, True
    if time is None:
        for name in variables.ordered:
            if name in variables.continuous or name in numeric_factors:
                return name, name in numeric_factors
        raise LmmInputError(
            "The model has no numeric predictor to put on the horizontal axis; "
            "add one (such as time) to the fixed part to plot a trajectory."
        )
    return str(choose_time_variable(variables, time)), False


def choose_by(fit, time: str, by: str | None) -> str | None:
    """The caller's panel factor, else the first factor of the fixed part with at most
    :data:`MAX_PANELS` levels (None when there is none)."""
    variables = fixed_part_variables(fit.model_formula, fit.data)
    if by is not None:
        if by not in variables.factors:
            options = ", ".join(variables.factors) or "none"
            raise LmmInputError(
                f"{by!r} is not a factor of the model's fixed part (factors: {options}); "
                "name one of these, or add it to the model."
            )
        return by
    for f in variables.factors:
        if f != time and len(factor_levels(fit.data[f])) <= MAX_PANELS:
            return f
    return None


def choose_group(fit, group: str | None) -> str:
    """The caller's subject variable, else the first grouping factor of the model."""
    groups = [rt.group_label for rt in fit.model_formula.random_terms]
    if group is None:
        return groups[0]
    if group not in groups:
        raise LmmInputError(
            f"{group!r} is not a grouping factor of the model; choose one of: "
            f"{', '.join(dict.fromkeys(groups))}."
        )
    return group


def _group_keys(fit, subjects: pd.DataFrame, group: str) -> pd.Series:
    """The subject of each row; an interaction group ``a:b`` joins the values with ':'."""
    names = group.split(":")
    if all(n in fit.data.columns for n in names):
        parts = [fit.data[n].astype(str) for n in names]
        key = parts[0]
        for p in parts[1:]:
            key = key + ":" + p
        return key.loc[subjects.index]
    raise LmmInputError(f"The data has no column for the grouping factor {group!r}.")


def levels_across_ranking(fit, group: str, count: int) -> tuple[str, ...]:
    """``count`` levels of ``group`` spread evenly over the ranking of their random
    intercepts (lowest, highest and evenly between: ranks round(linspace(0, L-1, count))),
    lowest first; every level when there are no more than ``count``. Reproducible: the
    same fit always gives the same levels."""
    if count < 1:
        raise LmmInputError("Ask for at least one level, e.g. `for 5 schools`.")
    terms = fit_blups_by_term(fit)
    # the random intercept, else (no random intercept) the factor's first random term
    key = (group, "(Intercept)")
    if key not in terms:
        key = next((k for k in terms if k[0] == group), key)
    levels, values = terms.get(key, ([], np.empty(0)))
    keys = list(zip(values.tolist(), levels, strict=True))
    ranked = [levels[i] for i in sorted(range(len(keys)), key=keys.__getitem__)]
    if len(ranked) <= count:
        return tuple(ranked)
    picks = np.unique(np.round(np.linspace(0, len(ranked) - 1, count)).astype(int))
    return tuple(ranked[i] for i in picks)


def _subject_segments(
    subjects: pd.DataFrame, keys: pd.Series, time: str
) -> list[np.ndarray]:
    """One (time, prediction) polyline per subject, in time order."""
    codes, _ = pd.factorize(keys.to_numpy())
    t = subjects[time].to_numpy(dtype=float)
    y = subjects["subject"].to_numpy(dtype=float)
    order = np.lexsort((t, codes))
    points = np.column_stack([t[order], y[order]])
    starts = np.flatnonzero(np.diff(codes[order])) + 1
    return np.split(points, starts) if points.size else []


def draw_trajectory(
    fit, *, time: str | None = None, by: str | None = None, group: str | None = None,
    band: bool = True, overlay_blups: bool = True, level: float = 0.95,
    levels: tuple[str, ...] = (),
) -> TrajectoryDrawing:
    """Draw (without saving) the trajectory figure.

    ``levels`` draws those levels of the grouping factor only, each in its own colour
    and named in the legend. Call inside :func:`engine.plots.style.figure_style`.
    """
    variables = fixed_part_variables(fit.model_formula, fit.data)
    time_var, discrete = choose_time_axis(fit, variables, time)
    by_var = choose_by(fit, time_var, by)
    others = tuple(f for f in variables.factors if f not in (by_var, time_var))
    preds = population_predictions(
        fit, time=None if discrete else time_var, average_over=others, level=level
    )
    group_var = choose_group(fit, group)
    subjects = subject_predictions(fit)
    keys = _group_keys(fit, subjects, group_var)
    if levels:
        unknown = sorted(set(levels) - set(keys))
        if unknown:
            raise LmmInputError(f"{group_var} has no level {unknown[0]!r}.")
        chosen = keys.isin(levels).to_numpy()
        subjects, keys = subjects[chosen], keys[chosen]
    n_subjects = int(keys.nunique())

    by_levels = factor_levels(fit.data[by_var]) if by_var is not None else [None]
    n_panels = len(by_levels)
    ncols = min(n_panels, 3)
    nrows = int(np.ceil(n_panels / ncols))
    width = max(MIN_WIDTH_IN, PANEL_WIDTH_IN * ncols + 0.6)
    fig = new_figure(width, PANEL_HEIGHT_IN * nrows + 1.1)
    axes = fig.subplots(nrows, ncols, squeeze=False, sharex=True, sharey=True).ravel()
    pct = f"{100 * level:g}%"
    alpha, line_width = subject_line_style(max(1, n_subjects // max(1, n_panels)))
    for i, (ax, lev) in enumerate(zip(axes, by_levels, strict=False)):
        colour = CATEGORY_COLOURS[i % len(CATEGORY_COLOURS)]
        rows = preds.frame if lev is None else preds.frame[preds.frame[by_var] == lev]
        if overlay_blups and levels:
            _draw_named_levels(ax, subjects, keys, levels, time_var, group_var)
        elif overlay_blups:
            mask = np.ones(len(subjects), bool) if lev is None else (
                (subjects[by_var] == lev).to_numpy()
            )
            segs = _subject_segments(subjects[mask], keys[mask], time_var)
            lines = LineCollection(
                segs, colors=SUBJECT_LINE_COLOUR, linewidths=line_width, alpha=alpha, zorder=2,
                label=f"each {group_var} (BLUPs)",
            )
            lines.set_gid("subject_lines")
            ax.add_collection(lines)
        rows = rows.sort_values(time_var, kind="stable")
        t = rows[time_var].to_numpy(dtype=float)
        lower, upper = rows["lower"].to_numpy(), rows["upper"].to_numpy()
        label = f"{pct} confidence {'intervals' if discrete else 'band'}"
        if band and discrete:
            bars = ax.vlines(t, lower, upper, colors=colour, linewidth=2.0, zorder=3,
                             label=label)
            bars.set_gid("band")
        elif band:
            fill = ax.fill_between(t, lower, upper, color=colour, alpha=0.3, linewidth=0,
                                   zorder=3, label=label)
            fill.set_gid("band")
        (line,) = ax.plot(
            t, rows["estimate"].to_numpy(), color=colour, linewidth=2.4, zorder=4,
            marker="o" if discrete else None, markersize=5,
            label="population mean (fixed effects)",
        )
        line.set_gid("population_line")
        if lev is not None:
            ax.set_title(f"{by_var} = {lev}")
        ax.autoscale_view()
    for ax in axes[n_panels:]:
        ax.set_visible(False)
    for ax in axes[:n_panels]:
        if ax.get_subplotspec().is_last_row() or n_panels <= ncols:
            ax.set_xlabel(time_var)
        if ax.get_subplotspec().is_first_col():
            ax.set_ylabel(fit.response_name)
    what = f"population mean with {pct} CI" if band else "population mean"
    if overlay_blups:
        what += f" and {n_subjects} {group_var} trajectories"
    lines = [f"{fit.response_name} over {time_var}", *textwrap.wrap(what, width=int(11 * width))]
    fig.suptitle("\n".join(lines))
    handles, labels = axes[0].get_legend_handles_labels()
    rank = {"population_line": 0, "band": 1, "subject_lines": 2, "level_line": 3}
    order = sorted(range(len(handles)), key=lambda i: rank.get(handles[i].get_gid(), 3))
    handles = [_legend_handle(handles[i], neutral=n_panels > 1) for i in order]
    fig.legend(handles, [labels[i] for i in order], loc="outside lower center",
               ncols=min(len(handles), 3))
    return TrajectoryDrawing(
        figure=fig, predictions=preds, time=time_var, discrete=discrete, by=by_var,
        by_levels=tuple(str(v) for v in by_levels if v is not None), n_subjects=n_subjects,
    )


def _draw_named_levels(ax, subjects: pd.DataFrame, keys: pd.Series, levels: tuple[str, ...],
                       time: str, group: str) -> None:
    """One coloured, labelled line per chosen level (Xβ̂ + Zb̂ at its observed rows)."""
    for i, name in enumerate(levels):
        mask = (keys == name).to_numpy()
        (segment,) = _subject_segments(subjects[mask], keys[mask], time)
        colour = CATEGORY_COLOURS[(i + 1) % len(CATEGORY_COLOURS)]
        (line,) = ax.plot(segment[:, 0], segment[:, 1], color=colour, linewidth=1.4,
                          zorder=2, label=name if name.startswith(group) else f"{group} {name}")
        line.set_gid("level_line")


def trajectory_figure(
    fit, out_dir: str | Path, *, time: str | None = None, by: str | None = None,
    group: str | None = None, band: bool = True, overlay_blups: bool = True,
    level: float = 0.95, fmt: str = "png", prefix: str = "", levels: tuple[str, ...] = (),
    levels_named: bool = False,
) -> TrajectoryFigure:
    """The trajectory plot, saved as ``trajectory_<time>[_by_<factor>].<fmt>``; with
    ``levels``, only those levels' lines (``..._<n>_<group>``)."""
    fmt = check_format(fmt)
    with figure_style():
        drawn = draw_trajectory(
            fit, time=time, by=by, group=group, band=band, overlay_blups=overlay_blups,
            level=level, levels=levels,
        )
        time_var, by_var = drawn.time, drawn.by
        stem = file_stem(prefix, "trajectory", time_var, *(("by", by_var) if by_var else ()),
                         *((str(len(levels)), choose_group(fit, group)) if levels else ()))
        path = save_figure(drawn.figure, out_dir, stem, fmt)
    return TrajectoryFigure(
        paths=(path,),
        format=fmt,
        response=fit.response_name,
        time=time_var,
        group=choose_group(fit, group),
        by=by_var,
        by_levels=drawn.by_levels,
        n_subjects=drawn.n_subjects,
        band=band,
        overlay_blups=overlay_blups,
        level=level,
        predictions=drawn.predictions,
        levels_shown=tuple(levels),
        levels_named=levels_named,
        level_coefficients=_own_coefficients(fit, choose_group(fit, group), levels)
        if levels_named else (),
    )


def _own_coefficients(fit, group: str, levels: tuple[str, ...]):
    """Each level's own coefficients, β̂ + b̂ (engine.group_coefficients, lme4's coef())."""
    from engine.group_coefficients import group_coefficients

    table = next(t for t in group_coefficients(fit).tables if t.group == group)
    rows = {str(level): i for i, level in enumerate(table.levels)}
    return tuple(
        (name, tuple((term, float(table.values[rows[name], j]))
                     for j, term in enumerate(table.terms)))
        for name in levels
    )
