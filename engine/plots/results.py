"""Typed results of the figure functions: where the files are, what they show, and the
numbers the narration needs. Numbers and codes only; every sentence is written by
``assistant/narrate.py``."""

from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from engine.predict import PredictionGrid
from engine.residual_checks import ResidualChecks


def _plain(value: Any) -> Any:
    """A JSON-safe copy: paths as strings, tuples as lists, NaN as None."""
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, PredictionGrid | ResidualChecks | CaterpillarPanel):
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


@dataclass(frozen=True)
class ResidualFigure(Figure):
    """Residual diagnostics: ``panels`` lists the panel codes in drawing order
    (``residuals_vs_fitted``, ``qq_residuals``, ``scale_location``,
    ``qq_ranef:<group>:<term>``); ``checks`` holds the rule-based findings."""

    kind: ClassVar[str] = "residual_diagnostics"
    panels: tuple[str, ...]
    checks: ResidualChecks
