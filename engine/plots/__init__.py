"""Figures from the engine's typed results: the observed data before any model,
caterpillar plots of the random effects, trajectory plots with BLUP lines and residual
diagnostics. Each public function draws
with the project style (:mod:`engine.plots.style`), saves the figure and returns a
typed result (:mod:`engine.plots.results`)."""

from engine.plots.caterpillar import caterpillar_figure
from engine.plots.observed import observed_data_figure
from engine.plots.residuals import residual_figure
from engine.plots.results import (
    CaterpillarFigure,
    CaterpillarPanel,
    ClusterSpread,
    Figure,
    ObservedDataFigure,
    ObservedPanel,
    ResidualFigure,
    TrajectoryFigure,
)
from engine.plots.trajectory import trajectory_figure

__all__ = [
    "CaterpillarFigure",
    "CaterpillarPanel",
    "ClusterSpread",
    "Figure",
    "ObservedDataFigure",
    "ObservedPanel",
    "ResidualFigure",
    "TrajectoryFigure",
    "caterpillar_figure",
    "observed_data_figure",
    "residual_figure",
    "trajectory_figure",
]
