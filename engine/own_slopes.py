"""Levels ranked by their own slope: the fixed slope that applies to them plus their BLUP.

"Which subject deteriorates fastest?" asks for each level's own rate of change in a
predictor, not for its deviation from the average. For level j of a grouping factor the
own slope in ``x`` is ∂(x'β̂)/∂x at the level's rows plus b̂_j, the level's BLUP of the
random slope: with ``Reaction ~ Days + (Days | Subject)`` that is β̂_Days + b̂_j (lme4's
``coef(m)``); with ``pain ~ time * treatment + (time | patient)`` the fixed part also
takes the time:treatment coefficient of the patient's own arm. The fixed part is read
off the fit's own design (the design at x + 1 minus the design at x, times β̂), so any
coding of the fixed terms is handled; a slope that changes within a level (a squared
term, or an interaction with a predictor that changes over time) has no single value
and is refused.

The BLUPs are conditional modes, shrunk toward zero in proportion to how little data
each level has, so these own slopes are shrunken estimates; each comes with the BLUP's
conditional SD (lme4's ``condVar``), which leaves out the uncertainty of β̂ and of the
variance estimates.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from engine.blups import resolve_term
from engine.design import fixed_design_for
from engine.errors import LmmInputError


@dataclass(frozen=True)
class OwnSlope:
    """One level's own slope: ``fixed`` (the fixed part at its rows) + ``blup``."""

    level: str
    fixed: float
    blup: float
    cond_sd: float
    own: float


@dataclass(frozen=True)
class OwnSlopeRanking:
    """Every level of ``group`` ordered by its own slope in ``variable``, largest first
    when ``descending``; ``top`` is how many the caller wants shown (None: all)."""

    group: str
    variable: str
    response: str
    descending: bool
    top: int | None
    rows: tuple[OwnSlope, ...]
    #: whether the fixed part differs between levels (an interaction with a factor
    #: that is constant within each level, such as a treatment arm)
    fixed_varies: bool

    @property
    def shown(self) -> tuple[OwnSlope, ...]:
        return self.rows if self.top is None else self.rows[: self.top]

    @property
    def n_rising(self) -> int:
        """Levels whose own slope is above zero (the outcome goes up along the variable)."""
        return sum(1 for r in self.rows if r.own > 0)

    @property
    def n_falling(self) -> int:
        """Levels whose own slope is below zero."""
        return sum(1 for r in self.rows if r.own < 0)

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": "own_slope_ranking", "group": self.group, "variable": self.variable,
            "response": self.response, "descending": self.descending, "top": self.top,
            "fixed_varies": self.fixed_varies,
            "n_levels": len(self.rows), "n_rising": self.n_rising, "n_falling": self.n_falling,
            "rows": [vars(r) for r in self.shown],
        }


#: Slopes within one level that differ by more than this (relative) are not one slope.
_SAME_SLOPE = 1e-8


def slope_rows(fit: Any, variable: str) -> np.ndarray:
    """Per row of the model frame, the fixed-effects design row of d(x'beta)/d variable:
    X at variable + 1 minus X at variable (exact for every term linear in it)."""
    frame = fit.data
    if variable not in frame.columns or not np.issubdtype(frame[variable].dtype, np.number):
        raise LmmInputError(
            f"{variable} is not a numeric predictor of the model, so it has no slope."
        )
    shifted = frame.copy()
    shifted[variable] = shifted[variable].astype(float) + 1.0
    return fixed_design_for(fit, shifted) - fixed_design_for(fit, frame)


def _fixed_slopes(fit: Any, variable: str) -> np.ndarray:
    """∂(x'β̂)/∂variable at every row of the model frame."""
    return slope_rows(fit, variable) @ np.asarray(fit.beta, dtype=float)


def same_value(a: float, b: float) -> bool:
    """Two fixed parts equal up to rounding (:data:`_SAME_SLOPE`, relative)."""
    return abs(a - b) <= _SAME_SLOPE * (1.0 + abs(b))


def values_differ(values: list[float]) -> bool:
    """Whether the levels' fixed parts differ (an interaction with a factor that is
    constant within each level, such as a treatment arm)."""
    return any(not same_value(v, values[0]) for v in values[1:])


def fixed_part_by_level(
    fit: Any, group: str, per_row: np.ndarray, levels: list[str],
    order: np.ndarray | None = None,
) -> tuple[dict[str, float], tuple[str, ...]]:
    """Each level's value of ``per_row`` (one number per model-frame row: a fixed slope,
    or x'β̂ at some time), taken at the level's first row of the model frame (or the row
    where ``order`` is smallest, e.g. the earliest time), and the levels whose rows do
    not all share it; levels without rows are left out."""
    codes = fit.data[group].astype(str).to_numpy()
    values: dict[str, float] = {}
    differing = []
    for level in levels:
        rows = np.flatnonzero(codes == str(level))
        if rows.size == 0:
            continue
        first = rows[0] if order is None else rows[np.argmin(order[rows])]
        value = float(per_row[first])
        values[str(level)] = value
        if not all(same_value(float(v), value) for v in per_row[rows]):
            differing.append(str(level))
    return values, tuple(differing)


def rank_own_slopes(
    fit: Any, group: str, term: str | None = None, descending: bool = True,
    top: int | None = None,
) -> OwnSlopeRanking:
    """The levels of ``group`` ordered by their own slope in ``term`` (a random slope's
    name, or ``"slope"`` for the factor's one random slope); see the module."""
    variable = resolve_term(fit, group, term or "slope")
    blups = {str(r.level): r for r in fit.random_effects
             if r.group == group and r.term == variable}
    if not blups:
        raise LmmInputError(f"{group} has no random slope to rank by.")
    slopes = _fixed_slopes(fit, variable)
    values, differing = fixed_part_by_level(fit, group, slopes, list(blups))
    if differing:
        raise LmmInputError(
            f"The fixed slope of {variable} changes within a {group} (a squared term or "
            f"an interaction with a predictor that changes over time), so a {group} has "
            "no single slope to rank by."
        )
    rows = [OwnSlope(level, fixed, float(blups[level].value), float(blups[level].cond_sd),
                     fixed + float(blups[level].value)) for level, fixed in values.items()]
    varies = values_differ(list(values.values()))
    rows.sort(key=lambda r: r.own, reverse=descending)
    if top is not None and top < 1:
        raise LmmInputError(f"Ask for at least one level, not {top}.")
    return OwnSlopeRanking(group=group, variable=variable, response=str(fit.response_name),
                           descending=descending, top=top, rows=tuple(rows),
                           fixed_varies=varies)
