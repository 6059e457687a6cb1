"""Runs a plan's steps on the engine, one at a time, copy-on-write.

Each step handler takes the current :class:`SessionState` and returns a new one with
its result. The session keeps a new state only when the step succeeded; the first
failure stops the plan, is reported as one :class:`AssistantError`, and the steps after
it are marked skipped. Engine input errors keep their own sentence; anything
unexpected becomes a one-line internal error, never a traceback.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from assistant.answer import StepOutcome
from assistant.column_words import ColumnReading, resolve_step_columns
from assistant.errors import AssistantError
from assistant.interaction_question import refine_question
from assistant.references import resolve_one
from assistant.state import SessionState
from assistant.step_refinement import refine_step
from assistant.steps import (
    baseline_comparison,
    baseline_covariate,
    blups,
    bootstrap,
    change_between_times,
    data,
    design_checks,
    exports,
    figures,
    group_reliability,
    icc_interval,
    level_comparison,
    level_mean,
    method_comparison,
    missing_codes,
    model_checks,
    models,
    observed_means,
    observed_means_plot,
    options,
    outliers,
    questions,
    reports,
    residual_autocorrelation,
    residual_groups,
    statistic_questions,
    study,
    subset,
    variance_contrast,
    within_between,
    writeup,
)
from assistant.steps.base import Handler, PlanContext, step_field
from assistant.steps.models import model_data
from engine.errors import LmmInputError
from grammar.formula import FormulaError


def _handlers() -> dict[str, Handler]:
    table: dict[str, Handler] = {}
    for module in (data, models, reports, blups, figures, exports, options, subset,
                   within_between, writeup, bootstrap, model_checks, questions,
                   level_comparison, variance_contrast, statistic_questions, icc_interval,
                   outliers, missing_codes,
                   baseline_comparison, baseline_covariate, method_comparison,
                   residual_groups, residual_autocorrelation, change_between_times,
                   group_reliability, study, level_mean, observed_means, observed_means_plot,
                   design_checks):
        table.update(module.HANDLERS)
    return table


def run_plan(
    plan: Any, state: SessionState
) -> tuple[SessionState, list[StepOutcome], AssistantError | None]:
    """Run every step of ``plan``; returns the final state, the outcomes and the error."""
    handlers = _handlers()
    steps = list(plan.steps)
    context = PlanContext(
        kinds=tuple(s.kind for s in steps),
        structures=tuple(step_field(s, "structure", "") for s in steps if s.kind == "fit_lmm"),
    )
    outcomes: list[StepOutcome] = []
    error: AssistantError | None = None
    index = 0
    while index < len(steps):
        step = steps[index]
        readings: tuple[ColumnReading, ...] = ()
        try:
            step, readings = resolve_step_columns(step, _columns_for(step, state))
            later = tuple(s.kind for s in steps[index + 1 :])
            refined = refine_question(step, state) or refine_step(step, state, later)
            if refined is not None:  # the step means other steps on this model
                steps[index : index + 1] = refined.steps
                context = replace(context, kinds=tuple(s.kind for s in steps))
                step, more = resolve_step_columns(steps[index], _columns_for(steps[index], state))
                readings += tuple(refined.readings) + more
            handler = handlers.get(step.kind)
            if handler is None:
                raise AssistantError(f"I do not know how to carry out a {step.kind!r} step.")
            done = handler(step, state, context)
        except Exception as exc:  # every failure becomes one message for the person
            error = as_assistant_error(exc, step)
            outcomes.append(
                StepOutcome(step.kind, "failed", step=step, message=str(error), readings=readings)
            )
            outcomes.extend(StepOutcome(s.kind, "skipped", step=s) for s in steps[index + 1 :])
            break
        state = done.state
        outcomes.append(
            StepOutcome(
                step.kind, "done", result=done.result, figures=list(done.figures), step=step,
                readings=readings,
            )
        )
        index += 1
    return state, outcomes, error


def _columns_for(step: Any, state: SessionState) -> list[str]:
    """The columns a step's column words name: those of the data its model was fitted
    to when it works on a model, else the current data set's."""
    if hasattr(step, "model") and state.models:
        try:
            return [str(c) for c in model_data(resolve_one(state, step.model)).columns]
        except AssistantError:
            pass  # the step itself reports the unknown model
    data = state.data
    return [] if data is None else [str(c) for c in data.columns]


def as_assistant_error(exc: BaseException, step: Any = None) -> AssistantError:
    """The one message shown for a failure: user problems as they are, bugs in one line."""
    if isinstance(exc, AssistantError):
        return exc
    if isinstance(exc, LmmInputError | FormulaError):
        return AssistantError(str(exc))
    what = f" while running the {step.kind} step" if step is not None else ""
    summary = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    detail = f": {type(exc).__name__}" + (f": {summary}" if summary else "")
    return AssistantError(
        f"Internal error{what}{detail}. This step changed nothing; please report it."
    )
