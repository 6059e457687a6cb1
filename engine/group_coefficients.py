"""Each level's own coefficients: lme4's ``coef(m)``.

For every grouping factor, a table with one row per level and one column per fixed
effect: the fixed effect β̂ plus the level's BLUP b̂ for the columns that have a random
effect for that factor, and β̂ alone (the same for every level) for the others. Random
terms of one factor are taken together, as lme4's ``ranef`` and ``coef`` do, so
``(Days || Subject)`` gives one Subject table. As in lme4, a random effect needs a fixed
effect of the same name to be added to (``unable to align random and fixed effects``);
without one the table is refused with the way out.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from engine.errors import LmmInputError


@dataclass(frozen=True)
class GroupCoefficientTable:
    """One grouping factor's coefficients: ``values[i, j]`` is level i's coefficient of
    ``terms[j]``."""

    group: str
    levels: tuple[str, ...]  # in the fit's order (lme4's)
    terms: tuple[str, ...]  # the fixed-effect columns, in the fit's order
    varying: tuple[str, ...]  # the terms with a random effect for this factor
    fixed: tuple[float, ...]  # β̂ per term
    values: np.ndarray  # len(levels) × len(terms): β̂ + b̂, or β̂ where nothing varies

    def column(self, term: str) -> np.ndarray:
        """Every level's coefficient of one term."""
        return self.values[:, self.terms.index(term)]

    def to_dict(self) -> dict[str, Any]:
        return {
            "group": self.group, "terms": list(self.terms), "varying": list(self.varying),
            "fixed": [_finite(v) for v in self.fixed],
            "rows": [
                {"level": level, **{t: _finite(v) for t, v in zip(self.terms, row, strict=True)}}
                for level, row in zip(self.levels, self.values, strict=True)
            ],
        }


@dataclass(frozen=True)
class GroupCoefficients:
    """lme4's ``coef(m)``: one table per grouping factor, in lme4's order."""

    tables: tuple[GroupCoefficientTable, ...]

    def table(self, group: str) -> GroupCoefficientTable:
        return next(t for t in self.tables if t.group == group)

    def to_dict(self) -> dict[str, Any]:
        return {"kind": "group_coefficients", "tables": [t.to_dict() for t in self.tables]}


def _finite(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


def group_coefficients(fit: Any) -> GroupCoefficients:
    """β̂ + b̂ per level and fixed-effect column, for each grouping factor of ``fit``."""
    terms = tuple(fit.fixed_names)
    beta = np.asarray(fit.beta, dtype=float)
    position = {t: j for j, t in enumerate(terms)}
    by_group: dict[str, dict[str, dict[str, float]]] = {}
    for effect in fit.random_effects:
        if effect.term not in position:
            raise LmmInputError(
                f"The random effect of {effect.term} for {effect.group} has no fixed effect "
                f"to be added to, so per-{effect.group} coefficients are not defined (as in "
                f"lme4's coef()); add {effect.term} to the fixed part, or read the random "
                "effects themselves with ranef()."
            )
        levels = by_group.setdefault(effect.group, {})
        row = levels.setdefault(str(effect.level), {})
        row[effect.term] = row.get(effect.term, 0.0) + float(effect.value)
    tables = []
    for group, levels in by_group.items():
        values = np.tile(beta, (len(levels), 1))
        varying: dict[str, None] = {}
        for i, deviations in enumerate(levels.values()):
            for term, value in deviations.items():
                values[i, position[term]] += value
                varying[term] = None
        tables.append(GroupCoefficientTable(
            group=group, levels=tuple(levels), terms=terms,
            varying=tuple(t for t in terms if t in varying),
            fixed=tuple(float(b) for b in beta), values=values,
        ))
    return GroupCoefficients(tuple(tables))
