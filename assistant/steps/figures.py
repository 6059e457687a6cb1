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


def _figure_step(
    kind: str, draw: Any, step: Any, state: SessionState, **options: Any
) -> StepResult:
    """Draw one figure of the referenced model into the output folder, in the chosen format."""
    model = resolve_one(state, step_field(step, "model"))
    folder, fmt = _target(state)
    figure = draw(model.fit, folder, fmt=fmt, prefix=f"model{model.number}", **options)
    return StepResult(EngineResult(kind, figure, model), state, tuple(figure.paths))


def caterpillar(step: Any, state: SessionState, context: PlanContext) -> StepResult:
    from engine.plots import caterpillar_figure

    return _figure_step(
        "figure_caterpillar",
        caterpillar_figure,
        step,
        state,
        term=step_field(step, "term"),
        level=state.options.level,
    )


def trajectory(step: Any, state: SessionState, context: PlanContext) -> StepResult:
    from engine.plots import trajectory_figure

    return _figure_step(
        "figure_trajectory",
        trajectory_figure,
        step,
        state,
        band=bool(step_field(step, "band", True)),
        overlay_blups=bool(step_field(step, "overlay_blups", True)),
        by=step_field(step, "by"),
        time=step_field(step, "over"),
        level=_level(step_field(step, "level", state.options.level)),
    )


def residuals(step: Any, state: SessionState, context: PlanContext) -> StepResult:
    from engine.plots import residual_figure

    return _figure_step(
        "figure_residuals", residual_figure, step, state, which=step_field(step, "which", "all")
    )


HANDLERS = {
    "plot_caterpillar": caterpillar,
    "plot_trajectory": trajectory,
    "plot_residuals": residuals,
}
