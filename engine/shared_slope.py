"""The slope every level of a grouping factor shares when the model gives it no random slope.

"Did anyone get worse?" asks about each level's own rate of change. In a model with a
random intercept only, such as ``Reaction ~ Days + (1 | Subject)``, a level's own slope
in ``x`` is the fixed part alone: ∂(x'β̂)/∂x at its rows, the same for every level (or,
with an interaction with a factor that is constant within a level, such as a treatment
arm, the same for every level of one arm). So all levels sharing a slope rise together
or fall together; only a random slope lets the answer differ between levels.

Each distinct slope is the contrast c'β̂ with c = x'(x + 1) − x'(x) read off the fit's own
design (so any coding of the fixed terms is handled), tested with the fit's df method by
:func:`engine.marginal_means.contrast_tests` (lmerTest's ``contest1D``; for a plain main
effect it is the coefficient's own row of ``summary()``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from engine.errors import LmmInputError
from engine.marginal_means import ContrastTest, contrast_tests
from engine.own_slopes import fixed_part_by_level, same_value, slope_rows


@dataclass(frozen=True)
class SharedSlope:
    """One fixed slope and the levels that share it: ``test`` is c'β̂ with its SE, df,
    t, p and interval; ``levels`` lists them in the fit's level order."""

    test: ContrastTest
    levels: tuple[str, ...]

    @property
    def direction(self) -> int:
        """+1 when the outcome rises along the variable, -1 when it falls, 0 when flat."""
        return int(np.sign(self.test.estimate))


@dataclass(frozen=True)
class SharedSlopes:
    """The slopes of ``response`` in ``variable`` that the levels of ``group`` share in a
    model without a random slope for ``variable`` by ``group`` (one, unless an
    interaction with a factor constant within each level splits them); ``level`` is the
    interval's confidence level and ``df_method`` the fit's df method."""

    group: str
    variable: str
    response: str
    n_levels: int
    level: float
    df_method: str
    slopes: tuple[SharedSlope, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": "shared_slopes", "group": self.group, "variable": self.variable,
            "response": self.response, "n_levels": self.n_levels, "level": self.level,
            "df_method": self.df_method,
            "slopes": [{**vars(s.test), "n_levels": len(s.levels), "levels": list(s.levels)}
                       for s in self.slopes],
        }


def shared_slopes(fit: Any, group: str, variable: str, level: float = 0.95) -> SharedSlopes:
    """The fixed slopes of ``variable`` the levels of ``group`` share (see the module);
    refused when the slope changes within a level (a squared term, or an interaction
    with a predictor that changes within the level)."""
    frame = fit.data
    rows = slope_rows(fit, variable)
    per_row = rows @ np.asarray(fit.beta, dtype=float)
    levels = list(dict.fromkeys(frame[group].astype(str)))
    values, differing = fixed_part_by_level(fit, group, per_row, levels)
    if differing:
        raise LmmInputError(
            f"The fixed slope of {variable} changes within a {group} (a squared term or an "
            f"interaction with a predictor that changes within it), so a {group} has no "
            "single slope."
        )
    codes = frame[group].astype(str).to_numpy()
    distinct: list[tuple[float, int, list[str]]] = []  # value, a row of the design, levels
    for name, value in values.items():
        for entry in distinct:
            if same_value(value, entry[0]):
                entry[2].append(name)
                break
        else:
            distinct.append((value, int(np.flatnonzero(codes == name)[0]), [name]))
    tests, df_method = contrast_tests(fit, rows[[row for _, row, _ in distinct]], level)
    return SharedSlopes(
        group=group, variable=variable, response=str(fit.response_name),
        n_levels=len(values), level=level, df_method=df_method,
        slopes=tuple(SharedSlope(t, tuple(names))
                     for t, (_, _, names) in zip(tests, distinct, strict=True)),
    )
