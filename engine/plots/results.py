"""Typed results of the figure functions: where the files are, what they show, and the
numbers the narration needs. Numbers and codes only; every sentence is written by
``assistant/narrate.py``."""

from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from engine.observed_mean_intervals import ObservedMeanIntervals
from engine.predict import PredictionGrid
from engine.residual_checks import ResidualChecks


def _plain(value: Any) -> Any:
    """A JSON-safe copy: paths as strings, tuples as lists, NaN as None."""
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, PredictionGrid | ResidualChecks | CaterpillarPanel | ObservedPanel
                  | ClusterSpread | ObservedMeanIntervals):
        return value.to_dict()
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value


@dataclass(frozen=True)
class Figure:
    """A figure written to disk: ``paths`` (one file per figure) in ``format``."""

    kind: ClassVar[str] = "figure"
    paths: tuple[Path, ...]
    format: str

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": f"figure_{self.kind}"}
        for f in fields(self):
            out[f.name] = _plain(getattr(self, f.name))
        return out


@dataclass(frozen=True)
class CaterpillarPanel:
    """One panel of a caterpillar plot: the BLUPs of one random-effect term.

    ``levels_above`` / ``levels_below`` are the levels whose interval
    (value ± z·cond_sd) lies entirely above / below zero, largest |value| first.
    ``labels_shown`` is False when there were too many levels to label.
    """

    group: str
    term: str
    n_levels: int
    n_above: int
    n_below: int
    levels_above: tuple[str, ...]
    levels_below: tuple[str, ...]
    labels_shown: bool
    min_value: float
    max_value: float

    def to_dict(self) -> dict[str, Any]:
        return {f.name: _plain(getattr(self, f.name)) for f in fields(self)}


@dataclass(frozen=True)
class CaterpillarFigure(Figure):
    """Caterpillar plots, one file per grouping factor, one panel per term."""

    kind: ClassVar[str] = "caterpillar"
    level: float
    panels: tuple[CaterpillarPanel, ...]


@dataclass(frozen=True)
class TrajectoryFigure(Figure):
    """Population trajectory with its confidence band, and one BLUP line per subject.

    ``by`` is the factor the panels are split by (None: one panel);
    ``averaged_over`` the other factors of the model, over which the population
    line averages with equal weights.
    """

    kind: ClassVar[str] = "trajectory"
    response: str
    time: str
    group: str | None
    by: str | None
    by_levels: tuple[str, ...]
    n_subjects: int
    band: bool
    overlay_blups: bool
    level: float
    predictions: PredictionGrid
    #: the levels of ``group`` drawn when not all of them are (lowest intercept first)
    levels_shown: tuple[str, ...] = ()
    #: True when the caller named ``levels_shown`` ("for subjects 308 and 309"), False
    #: when they were spread over the ranking of the random intercepts
    levels_named: bool = False
    #: each named level's own coefficients (β̂ + b̂, lme4's ``coef()``): (level, ((term,
    #: value), ...)) in the order of ``levels_shown``
    level_coefficients: tuple[tuple[str, tuple[tuple[str, float], ...]], ...] = ()


@dataclass(frozen=True)
class ResidualFigure(Figure):
    """Residual diagnostics: ``panels`` lists the panel codes in drawing order
    (``residuals_vs_fitted``, ``qq_residuals``, ``scale_location``,
    ``qq_ranef:<group>:<term>``); ``checks`` holds the rule-based findings."""

    kind: ClassVar[str] = "residual_diagnostics"
    panels: tuple[str, ...]
    checks: ResidualChecks


@dataclass(frozen=True)
class ObservedPanel:
    """One panel of the observed-data plot (one level of ``by``, or the whole data).

    ``first_time`` / ``last_time`` are the earliest and latest time values (a level's
    name when time is not numeric); ``start_value`` / ``end_value`` are the bold summary
    line there: the mean outcome at that time value, or the LOWESS smoother's value.
    All four are None in the cluster layout.
    """

    level: str | None
    n_groups: int
    n_observations: int
    first_time: float | str | None
    last_time: float | str | None
    start_value: float | None
    end_value: float | None

    def to_dict(self) -> dict[str, Any]:
        return {f.name: _plain(getattr(self, f.name)) for f in fields(self)}


@dataclass(frozen=True)
class ClusterSpread:
    """Cluster means of the outcome (cluster layout): the lowest and highest cluster and
    their means, the mean of all observations and the SD of the cluster means."""

    lowest_level: str
    lowest_mean: float
    highest_level: str
    highest_mean: float
    overall_mean: float
    sd_of_means: float

    def to_dict(self) -> dict[str, Any]:
        return {f.name: _plain(getattr(self, f.name)) for f in fields(self)}


@dataclass(frozen=True)
class ObservedDataFigure(Figure):
    """The data before any model: the outcome against time with one thin line per
    subject and a bold summary line (``layout`` ``trajectories``), or, without a time
    variable, the outcome of each cluster sorted by cluster mean (``clusters``).

    ``summary`` is ``mean`` (mean at each time value), ``lowess`` (a smoother, when time
    has many distinct values) or ``cluster_means``. ``per_group_min`` / ``per_group_max``
    are the fewest and most observations of one subject; ``n_dropped`` counts rows left
    out for a missing outcome, time, subject or panel value. ``n_groups_drawn`` is how
    many subjects' thin lines are drawn: all of them, or a random subset when there are
    very many (``engine.plots.observed.MAX_DRAWN_GROUPS``); the summary line and every
    number use all rows. None for the cluster layout.
    """

    kind: ClassVar[str] = "observed_data"
    layout: str
    response: str
    time: str | None
    group: str
    by: str | None
    by_levels: tuple[str, ...]
    summary: str
    n_groups: int
    n_observations: int
    n_dropped: int
    per_group_min: int
    per_group_max: int
    n_time_values: int
    panels: tuple[ObservedPanel, ...]
    clusters: ClusterSpread | None = None
    n_groups_drawn: int | None = None


@dataclass(frozen=True)
class ObservedMeansFigure(Figure):
    """Observed means of the outcome at each x (time) value joined by a line per group,
    with error bars: ``bars`` ``ci`` (the per-cell t interval at ``means.level``), ``se``
    (± 1 SE) or ``sd`` (± 1 SD). ``means`` holds every number drawn
    (:mod:`engine.observed_mean_intervals`); ``dodge`` is the horizontal shift between
    neighbouring groups, in x units, that keeps their bars apart."""

    kind: ClassVar[str] = "observed_means"
    bars: str
    means: ObservedMeanIntervals
    dodge: float
