"""What every step handler shares: its result type, the plan context and field access."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.state import SessionState


@dataclass(frozen=True)
class StepResult:
    """What a handler returns: the typed result, the new state and any files written."""

    result: Any
    state: SessionState
    figures: tuple[Path, ...] = ()


@dataclass(frozen=True)
class PlanContext:
    """Facts about the whole plan a single step may need."""

    kinds: tuple[str, ...] = ()
    structures: tuple[str, ...] = field(default=())

    @property
    def contrasts_slope_structures(self) -> bool:
        """True when one request names both a random slope and an intercept + slope model:
        the random slope then has no correlation, ``(1 + x || g)``, so the models differ
        and nest (the reference's ``sleepstudy_structures`` comparison)."""
        return "random_slope" in self.structures and "intercept_and_slope" in self.structures


Handler = Callable[[Any, SessionState, PlanContext], StepResult]


def step_field(step: Any, name: str, default: Any = None) -> Any:
    """A step's field, or ``default`` when the step lacks it or leaves it empty (None)."""
    value = getattr(step, name, default)
    return default if value is None else value


def step_level(step: Any, state: SessionState) -> float:
    """The step's confidence level, else the session's, as a fraction (95 -> 0.95)."""
    level = float(step_field(step, "level", state.options.level))
    return level / 100 if level > 1 else level
