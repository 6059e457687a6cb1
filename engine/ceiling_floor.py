"""Ceiling and floor effects of the outcome: how many observations sit at its bounds.

For each bound the share of the model's observations at it (within a small tolerance,
``TOLERANCE_SHARE`` of the outcome's range, so that values recorded at the bound with
rounding count) is compared with the criterion of Terwee et al. (2007, *J. Clin.
Epidemiol.* 60:34-42): a ceiling or floor effect when more than 15% of the respondents
have the highest or lowest possible score. The bounds are the outcome's observed maximum
and minimum unless the request names the scale's bound ("a ceiling effect at 100"); the
observed extremes need not be the scale's. Beside them, the sample skewness of the
outcome and of the conditional residuals (the adjusted Fisher-Pearson coefficient G1,
``scipy.stats.skew(bias=False)``, as SAS and SPSS report it): a ceiling pushes the
distribution's long tail to the low side (negative skew), a floor to the high side.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from engine.errors import LmmInputError

#: Terwee et al.'s (2007) criterion: more than this share at a bound.
TERWEE_SHARE = 0.15
#: Values within this share of the outcome's range of a bound count as at it.
TOLERANCE_SHARE = 0.005
SIDES = ("ceiling", "floor", "both")


@dataclass(frozen=True)
class BoundShare:
    """One bound: ``side`` "ceiling" or "floor", ``bound`` its value, ``given`` whether the
    request named it (else the observed extreme); ``n_at`` the observations within
    ``tolerance`` of it (or beyond it), ``n_exact`` those equal to it, ``share`` = n_at / n,
    ``n_beyond`` the observations past a given bound (data the bound does not allow);
    ``exceeds`` share > 15%."""

    side: str
    bound: float
    given: bool
    tolerance: float
    n_at: int
    n_exact: int
    n_beyond: int
    share: float
    exceeds: bool


@dataclass(frozen=True)
class CeilingFloor:
    """The outcome's bounds and shape (see the module). ``asked`` "ceiling", "floor" or
    "both"; ``bounds`` the bounds checked (ceiling first); ``criterion`` 0.15."""

    response: str
    n: int
    asked: str
    minimum: float
    maximum: float
    bounds: tuple[BoundShare, ...]
    outcome_skewness: float | None
    residual_skewness: float | None
    criterion: float = TERWEE_SHARE

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["kind"] = "ceiling_floor"
        return out


def _skewness(values: np.ndarray) -> float | None:
    from scipy import stats  # imported here: scipy.stats loads slowly

    if values.size < 3 or float(np.ptp(values)) == 0.0:
        return None
    value = float(stats.skew(values, bias=False))
    return value if math.isfinite(value) else None


def ceiling_floor(fit: Any, side: str = "both", bound: float | None = None) -> CeilingFloor:
    """Shares of the fit's observations at the outcome's bounds (see the module).

    ``side``: which effect was asked about; ``bound``: the scale's bound on that side (a
    ceiling's maximum, a floor's minimum), None for the observed extreme. With "both" a
    bound is read as the ceiling when it is at or above the outcome's mean, else as the
    floor.
    """
    if side not in SIDES:
        raise LmmInputError(f"Ask about a ceiling or a floor effect, not '{side}'.")
    y = np.asarray(fit.model.y, dtype=float)
    n = int(y.size)
    low, high = float(np.min(y)), float(np.max(y))
    if high == low:
        raise LmmInputError(
            f"{fit.response_name} takes one value only, so it has no ceiling or floor to "
            "speak of."
        )
    given_side = None
    if bound is not None:
        given_side = side if side != "both" else ("ceiling" if bound >= np.mean(y) else "floor")
    upper = bound if given_side == "ceiling" else high
    lower = bound if given_side == "floor" else low
    if upper <= lower:
        raise LmmInputError(
            f"A {given_side} at {bound:g} leaves no room for {fit.response_name}, which runs "
            f"from {low:g} to {high:g}; give the scale's "
            f"{'maximum' if given_side == 'ceiling' else 'minimum'}."
        )
    tolerance = TOLERANCE_SHARE * (upper - lower)
    sides = ("ceiling", "floor") if side == "both" else (side,)
    bounds = tuple(
        _share(y, s, upper if s == "ceiling" else lower, s == given_side, tolerance)
        for s in sides
    )
    residuals = np.asarray(fit.residuals(), dtype=float)
    return CeilingFloor(
        response=str(fit.response_name), n=n, asked=side, minimum=low, maximum=high,
        bounds=bounds, outcome_skewness=_skewness(y), residual_skewness=_skewness(residuals),
    )


def _share(y: np.ndarray, side: str, bound: float, given: bool, tolerance: float) -> BoundShare:
    if side == "ceiling":
        at = y >= bound - tolerance
        beyond = y > bound
    else:
        at = y <= bound + tolerance
        beyond = y < bound
    share = float(np.mean(at))
    return BoundShare(
        side=side, bound=float(bound), given=given, tolerance=float(tolerance),
        n_at=int(np.sum(at)), n_exact=int(np.sum(y == bound)),
        n_beyond=int(np.sum(beyond)) if given else 0, share=share,
        exceeds=share > TERWEE_SHARE,
    )
