"""Figure steps: caterpillar, trajectory and residual plots, written to the output folder.

``engine.plots`` is imported inside each handler: it loads matplotlib, which costs a
second at start-up that sessions without figures should not pay.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from assistant.references import resolve_one
from assistant.state import SessionState
from assistant.step_results import EngineResult
from assistant.steps.base import PlanContext, StepResult, step_field


def _target(state: SessionState) -> tuple[Path, str]:
    options = state.options
    return Path(options.output_dir), str(options.format)


def _level(value: float) -> float:
    return value / 100 if value > 1 else value


def caterpillar(step: Any, state: SessionState, context: PlanContext) -> StepResult:
    model = resolve_one(state, step_field(step, "model"))
    from engine.plots import caterpillar_figure

    folder, fmt = _target(state)
    figure = caterpillar_figure(
        model.fit,
        folder,
        term=step_field(step, "term"),
        level=state.options.level,
        fmt=fmt,
        prefix=f"model{model.number}",
    )
    return StepResult(EngineResult("figure_caterpillar", figure, model), state, tuple(figure.paths))


def trajectory(step: Any, state: SessionState, context: PlanContext) -> StepResult:
    model = resolve_one(state, step_field(step, "model"))
    from engine.plots import trajectory_figure

    folder, fmt = _target(state)
    figure = trajectory_figure(
        model.fit,
        folder,
        band=bool(step_field(step, "band", True)),
        overlay_blups=bool(step_field(step, "overlay_blups", True)),
        by=step_field(step, "by"),
        time=step_field(step, "over"),
        level=_level(step_field(step, "level", state.options.level)),
        fmt=fmt,
        prefix=f"model{model.number}",
    )
    return StepResult(EngineResult("figure_trajectory", figure, model), state, tuple(figure.paths))


def residuals(step: Any, state: SessionState, context: PlanContext) -> StepResult:
    model = resolve_one(state, step_field(step, "model"))
    from engine.plots import residual_figure

    folder, fmt = _target(state)
    figure = residual_figure(
        model.fit,
        folder,
        which=step_field(step, "which", "all"),
        fmt=fmt,
        prefix=f"model{model.number}",
    )
    return StepResult(EngineResult("figure_residuals", figure, model), state, tuple(figure.paths))


HANDLERS = {
    "plot_caterpillar": caterpillar,
    "plot_trajectory": trajectory,
    "plot_residuals": residuals,
}
