"""Caterpillar plots of the random effects (lme4's ``dotplot(ranef(m, condVar = TRUE))``).

Each panel shows the conditional modes (BLUPs) of one random-effect term, sorted,
with the interval value ± z·cond_sd, z = Φ⁻¹((1 + level)/2) (1.96 for 95%), where
cond_sd is the conditional SD of the random effect given the data at the estimated
parameters (lme4's ``condVar``). Levels whose interval lies entirely above zero are
drawn in vermillion, entirely below in blue, the rest in grey. Each panel is sorted on
its own, so every panel reads as a caterpillar. One figure per grouping factor.

Readability from 10 to 5,000 levels: up to :data:`LABEL_LIMIT` levels every level is
labelled and the figure grows by a fixed height per level, more than the label's
own height, so labels never overlap (up to 100 labelled levels, so that every
patient of an 80-patient trial can be named); past it labels are dropped, the height
is fixed and markers and interval lines get thinner as the number of levels grows.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np
from matplotlib.axes import Axes
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure as MplFigure
from matplotlib.lines import Line2D
from scipy import stats

from engine.errors import LmmInputError
from engine.plots.results import CaterpillarFigure, CaterpillarPanel
from engine.plots.style import (
    ABOVE_ZERO,
    BELOW_ZERO,
    NEUTRAL,
    REFERENCE_LINE,
    check_format,
    figure_style,
    file_stem,
    new_figure,
    save_figure,
)
from engine.results import RandomEffectColumns

#: Most levels that get a tick label each.
LABEL_LIMIT = 100
#: Above this many levels the intervals are drawn as filled bands (a line per level
#: took 10 s for 125,000 levels, the band well under a second).
BAND_LIMIT = 5000
#: Up to this many levels, labels are 8 points high on rows of ROW_HEIGHT_IN;
#: beyond it, 6.5 points on rows of COMPACT_ROW_HEIGHT_IN (a label needs about
#: 1.2 × its point size / 72 inches: 0.13 and 0.11 in).
ROOMY_LIMIT = 40
ROW_HEIGHT_IN = 0.17
COMPACT_ROW_HEIGHT_IN = 0.125
#: Height added for title, axis label and legend, in inches.
FRAME_HEIGHT_IN = 1.6
MIN_HEIGHT_IN = 3.0
#: Height of a figure whose levels are not labelled.
UNLABELLED_HEIGHT_IN = 6.0
PANEL_WIDTH_IN = 3.4
#: A figure is at least this wide, so that its title and legend fit.
MIN_WIDTH_IN = 6.2

INTERCEPT = "(Intercept)"
MANY_LEVELS_POINT = "#1A1A1A"


class RandomEffectLike(Protocol):
    group: str
    term: str
    level: str
    value: float
    cond_sd: float


@dataclass(frozen=True)
class _TermEffects:
    group: str
    term: str
    levels: np.ndarray  # str
    values: np.ndarray
    cond_sds: np.ndarray


def _collect(
    effects: Sequence[RandomEffectLike] | RandomEffectColumns,
) -> dict[str, list[_TermEffects]]:
    """BLUPs arranged by grouping factor, then by term, in order of first appearance."""
    if isinstance(effects, RandomEffectColumns):
        return _collect_columns(effects)
    order: dict[tuple[str, str], list[RandomEffectLike]] = {}
    for e in effects:
        order.setdefault((e.group, e.term), []).append(e)
    by_group: dict[str, list[_TermEffects]] = {}
    for (group, term), rows in order.items():
        by_group.setdefault(group, []).append(
            _TermEffects(
                group=group,
                term=term,
                levels=np.array([str(r.level) for r in rows], dtype=object),
                values=np.array([float(r.value) for r in rows]),
                cond_sds=np.array([float(r.cond_sd) for r in rows]),
            )
        )
    return by_group


def _collect_columns(columns: RandomEffectColumns) -> dict[str, list[_TermEffects]]:
    """:func:`_collect` of a fit's BLUP columns (no object per BLUP)."""
    by_group: dict[str, list[_TermEffects]] = {}
    for (group, term), where in columns.term_positions().items():
        by_group.setdefault(group, []).append(
            _TermEffects(
                group=group,
                term=term,
                levels=np.array([str(columns.level[i]) for i in where.tolist()], dtype=object),
                values=np.asarray(columns.value[where], dtype=float),
                cond_sds=np.asarray(columns.cond_sd[where], dtype=float),
            )
        )
    return by_group


def _select_terms(terms: list[_TermEffects], term: str | None) -> list[_TermEffects]:
    """All terms, or the one asked for ("intercept", "slope" or a term name)."""
    if term is None:
        return terms
    wanted = term.strip()
    if wanted.lower() in {"intercept", "intercepts", "(intercept)"}:
        chosen = [t for t in terms if t.term == INTERCEPT]
    elif wanted.lower() in {"slope", "slopes"}:
        chosen = [t for t in terms if t.term != INTERCEPT]
    else:
        chosen = [t for t in terms if t.term == wanted]
    return chosen


def interval_multiplier(level: float) -> float:
    """z = Φ⁻¹((1 + level)/2): 1.96 for a 95% interval."""
    if not 0.0 < level < 1.0:
        raise LmmInputError(
            f"A confidence level must lie between 0 and 1, not {level}; use for example 0.95."
        )
    return float(stats.norm.ppf(0.5 + level / 2.0))


def _marker_sizes(n_levels: int) -> tuple[float, float]:
    """(scatter marker area in pt², interval line width in pt), thinner for many levels."""
    if n_levels <= ROOMY_LIMIT:
        return 18.0, 1.3
    if n_levels <= LABEL_LIMIT:
        return 12.0, 1.0
    return float(np.clip(1500.0 / n_levels, 0.8, 12.0)), float(np.clip(150.0 / n_levels, 0.3, 1.0))


def _interval_band(
    ax: Axes, y: np.ndarray, lower: np.ndarray, upper: np.ndarray, colour: str
) -> PolyCollection:
    """The intervals as one filled staircase: row i spans y = i -/+ 0.5 and x from
    ``lower[i]`` to ``upper[i]`` (rows of another colour have lower = upper, no area).

    Past BAND_LIMIT levels a row is far below a pixel; a line per level there took 10 s
    for 125,000 levels, one polygon a fraction of a second."""
    edges = np.repeat(y.astype(float), 2) + np.tile([-0.5, 0.5], y.size)
    left = np.column_stack([np.repeat(lower, 2), edges])
    right = np.column_stack([np.repeat(upper, 2), edges])[::-1]
    band = PolyCollection([np.concatenate([left, right])], facecolors=colour, linewidths=0,
                          alpha=0.55, zorder=2, rasterized=True)
    ax.add_collection(band, autolim=True)
    return band


def _draw_panel(ax: Axes, te: _TermEffects, z: float, show_labels: bool) -> CaterpillarPanel:
    order = np.argsort(te.values, kind="stable")
    values = te.values[order]
    levels = te.levels[order]
    lower = values - z * te.cond_sds[order]
    upper = values + z * te.cond_sds[order]
    y = np.arange(values.size)
    above = lower > 0
    below = upper < 0
    cover = ~(above | below)
    area, width = _marker_sizes(values.size)
    many = values.size > LABEL_LIMIT

    ax.axvline(0.0, color=REFERENCE_LINE, linewidth=0.8, linestyle="--", zorder=1)
    for mask, colour, name in (
        (above, ABOVE_ZERO, "above"),
        (cover, NEUTRAL, "cover"),
        (below, BELOW_ZERO, "below"),
    ):
        if values.size > BAND_LIMIT:
            lines = _interval_band(ax, y, np.where(mask, lower, values),
                                   np.where(mask, upper, values), colour)
        else:
            lines = ax.hlines(
                y[mask], lower[mask], upper[mask], colors=colour, linewidth=width, zorder=2,
                alpha=0.55 if many else 1.0, rasterized=many,
            )
        lines.set_gid(f"intervals_{name}")
        # With many levels the intervals merge into a band; dark points keep the
        # sorted curve of conditional modes visible on top of it.
        points = ax.scatter(
            values[mask], y[mask], s=area, color=MANY_LEVELS_POINT if many else colour,
            zorder=3, linewidths=0, rasterized=many,
        )
        points.set_gid(f"points_{name}")

    ax.set_ylim(-0.7, values.size - 0.3)
    ax.grid(axis="y", visible=False)
    if show_labels:
        ax.set_yticks(y, labels=list(levels))
        ax.tick_params(axis="y", length=0, labelsize=8 if values.size <= ROOMY_LIMIT else 6.5)
    else:
        ax.set_yticks([])
    ax.set_title("Intercept" if te.term == INTERCEPT else te.term)
    ax.set_xlabel("conditional mode (BLUP)")

    def ranked(mask: np.ndarray) -> tuple[str, ...]:
        idx = np.flatnonzero(mask)
        idx = idx[np.argsort(-np.abs(values[idx]), kind="stable")]
        return tuple(str(levels[i]) for i in idx)

    return CaterpillarPanel(
        group=te.group,
        term=te.term,
        n_levels=int(values.size),
        n_above=int(above.sum()),
        n_below=int(below.sum()),
        levels_above=ranked(above),
        levels_below=ranked(below),
        labels_shown=show_labels,
        min_value=float(values.min()),
        max_value=float(values.max()),
    )


def _legend_handles(panel: CaterpillarPanel | None, *, many: bool) -> list[Line2D]:
    """Legend entries for the three colours (with counts when there is one panel)."""

    def count(n: int) -> str:
        return f" ({n})" if panel is not None else ""

    entries = [(ABOVE_ZERO, "interval above 0" + count(panel.n_above if panel else 0))]
    if panel is not None:
        n_cover = panel.n_levels - panel.n_above - panel.n_below
        entries.append((NEUTRAL, "interval covers 0" + count(n_cover)))
    else:
        entries.append((NEUTRAL, "interval covers 0"))
    entries.append((BELOW_ZERO, "interval below 0" + count(panel.n_below if panel else 0)))
    handles = [
        Line2D([], [], color=c, linewidth=1.6, marker=None if many else "o", markersize=4,
               label=label)
        for c, label in entries
    ]
    if many:
        handles.append(Line2D([], [], color=MANY_LEVELS_POINT, linestyle="none", marker="o",
                              markersize=3, label="conditional mode"))
    return handles


def draw_caterpillar(
    effects: Sequence[RandomEffectLike] | RandomEffectColumns, group: str, *,
    term: str | None = None, level: float = 0.95,
) -> tuple[MplFigure, tuple[CaterpillarPanel, ...]]:
    """Draw (without saving) the caterpillar figure of one grouping factor.

    Must be called inside :func:`engine.plots.style.figure_style` for the project look.
    """
    by_group = _collect(effects)
    if group not in by_group:
        raise LmmInputError(
            f"The model has no random effects for {group!r}; "
            f"choose one of: {', '.join(by_group)}."
        )
    terms = _select_terms(by_group[group], term)
    if not terms:
        names = ", ".join(t.term for t in by_group[group])
        raise LmmInputError(
            f"The random effects for {group!r} have no term {term!r}; choose one of: {names}."
        )
    z = interval_multiplier(level)
    n_levels = max(t.values.size for t in terms)
    show_labels = n_levels <= LABEL_LIMIT
    row = ROW_HEIGHT_IN if n_levels <= ROOMY_LIMIT else COMPACT_ROW_HEIGHT_IN
    height = (
        max(MIN_HEIGHT_IN, FRAME_HEIGHT_IN + row * n_levels)
        if show_labels
        else UNLABELLED_HEIGHT_IN
    )
    width = max(MIN_WIDTH_IN, PANEL_WIDTH_IN * len(terms) + (0.8 if show_labels else 0.4))
    fig = new_figure(width, height)
    axes = fig.subplots(1, len(terms), squeeze=False)[0]
    panels = tuple(
        _draw_panel(ax, te, z, show_labels) for ax, te in zip(axes, terms, strict=True)
    )
    if show_labels:
        axes[0].set_ylabel(group)
    else:
        axes[0].set_ylabel(f"{n_levels:,} levels of {group}, sorted")
    pct = f"{100 * level:g}%"
    title = f"Random effects by {group}: BLUPs with {pct} intervals"
    fig.suptitle("\n".join(textwrap.wrap(title, width=int(11 * width))))
    fig.legend(
        handles=_legend_handles(panels[0] if len(panels) == 1 else None, many=not show_labels),
        loc="outside lower center", ncols=4,
    )
    return fig, panels


def caterpillar_figure(
    fit, out_dir: str | Path, *, group: str | None = None, term: str | None = None,
    level: float = 0.95, fmt: str = "png", prefix: str = "",
) -> CaterpillarFigure:
    """Caterpillar plots of ``fit.random_effects``, saved as ``caterpillar_<group>.<fmt>``.

    ``group`` picks one grouping factor (default: every one, one file each); ``term``
    picks ``"intercept"``, ``"slope"`` or a term name (default: every term, side by side).
    """
    fmt = check_format(fmt)
    columns = getattr(fit, "random_effect_columns", None)
    effects = fit.random_effects if columns is None else columns
    groups = list(_collect(effects))
    if not groups:
        raise LmmInputError("The model has no random effects to plot; fit a mixed model first.")
    chosen = groups if group is None else [group]
    paths: list[Path] = []
    panels: list[CaterpillarPanel] = []
    with figure_style():
        for g in chosen:
            fig, drawn = draw_caterpillar(effects, g, term=term, level=level)
            stem = file_stem(prefix, "caterpillar", g, term or "")
            paths.append(save_figure(fig, out_dir, stem, fmt))
            panels.extend(drawn)
    return CaterpillarFigure(
        paths=tuple(paths), format=fmt, level=level, panels=tuple(panels)
    )
