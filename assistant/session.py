"""The one object front ends talk to: ``Session.ask(text) -> Answer``.

A session holds the data sets (by name) and the current one, the fitted models
(numbered from 1 and named by their random-effects structure), the options and the
history of requests. ``ask`` never raises for a user problem: parse errors, engine
input errors and unexpected failures all become ``answer.error``.

Every request that changes the data sets, the current data set, the models or the
options leaves an undo point (the state before it; states are never edited in place, so
keeping one is keeping a reference). The steps about the session itself (undo, history,
the last plan: ``assistant.session_steps``) are run here, in the plan's order, between
the executor's runs of the other steps.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from assistant import session_steps
from assistant.answer import Answer, StepOutcome
from assistant.errors import AssistantError
from assistant.executor import as_assistant_error, run_plan
from assistant.session_steps import SessionJournal, UndoPoint, is_session_step
from assistant.state import FittedModel, SessionOptions, SessionState
from engine.data import require_unique_columns
from engine.errors import LmmInputError
from grammar.parse import parse
from grammar.plan import LoadData, Plan, ShowHistory, ShowPlan, Step, Undo, UseSample


class Session:
    """A conversation about mixed models, with its data, models and options."""

    def __init__(
        self,
        *,
        sample: str | None = None,
        data: pd.DataFrame | None = None,
        data_path: str | Path | None = None,
        data_name: str = "data",
        options: SessionOptions | None = None,
        output_dir: str | Path | None = None,
    ) -> None:
        state = SessionState(options=options or SessionOptions())
        if output_dir is not None:
            state = state.with_options(output_dir=Path(output_dir))
        self._state = state
        self.history: list[Answer] = []
        self.journal = SessionJournal()
        if sum(x is not None for x in (sample, data, data_path)) > 1:
            raise AssistantError("Give one data source: a sample, a data frame or a file path.")
        if data is not None:
            if not isinstance(data, pd.DataFrame):
                raise AssistantError(
                    f"The data must be a pandas DataFrame, not {type(data).__name__}; "
                    "for a file give its path (data_path=...), for a sample its name "
                    "(sample=...).")
            if data.empty:
                raise AssistantError(
                    f"The data frame is empty ({len(data)} rows, {len(data.columns)} "
                    "columns); give one with the observations, one row each.")
            try:
                require_unique_columns(data)
            except LmmInputError as err:
                raise AssistantError(str(err)) from None
            self._state = self._state.with_dataset(data_name, data.copy())
        elif sample is not None:
            self._start_with(UseSample(name=sample))
        elif data_path is not None:
            self._start_with(LoadData(path=str(data_path)))

    def _start_with(self, step: Any) -> None:
        state, outcomes, error = run_plan(Plan(step.kind, (step,)), self._state)
        if error is not None:
            raise error
        self._state = state

    # ------------------------------------------------------------------ state
    @property
    def state(self) -> SessionState:
        """The current state (immutable: every change replaces it)."""
        return self._state

    @property
    def options(self) -> SessionOptions:
        return self._state.options

    @property
    def datasets(self) -> dict[str, pd.DataFrame]:
        return self._state.datasets

    @property
    def current_data_name(self) -> str | None:
        return self._state.current_data_name

    @property
    def data(self) -> pd.DataFrame | None:
        return self._state.data

    @property
    def models(self) -> dict[int, FittedModel]:
        """Fitted models by number (1, 2, ...), in the order they were fitted."""
        return self._state.models

    def column_names(self) -> list[str]:
        """Columns of the current data set (for completion)."""
        data = self._state.data
        return [] if data is None else [str(c) for c in data.columns]

    # -------------------------------------------------------------- requests
    def ask(self, text: str) -> Answer:
        """Parse ``text``, run its plan and return the narrated answer."""
        try:
            plan = parse(text, columns=self.column_names())
        except Exception as exc:  # a request that cannot be read is an answer, not a crash
            answer = Answer(text, None, [], parse_error(exc))
            self.history.append(answer)
            return answer
        return self.run(plan, request=text)

    def run(self, plan: Any, request: str | None = None) -> Answer:
        """Run an already parsed plan (``grammar.plan.Plan``)."""
        text = request if request is not None else plan.request
        steps = list(plan.steps)
        outcomes: list[StepOutcome] = []
        error = None
        undo_base = self._state  # what undoing this request goes back to
        index = 0
        while index < len(steps) and error is None:
            if is_session_step(steps[index]):
                outcomes.append(self._run_session_step(steps[index]))
                if steps[index].kind == "undo":
                    undo_base = self._state
                index += 1
                continue
            end = index
            while end < len(steps) and not is_session_step(steps[end]):
                end += 1
            error = self._run_engine_steps(Plan(plan.request, tuple(steps[index:end])), outcomes)
            index = end
        outcomes.extend(StepOutcome(s.kind, "skipped", step=s) for s in steps[index:])
        answer = Answer(text, plan, outcomes, error)
        if session_steps.changed_what_users_see(undo_base, self._state):
            self.journal.remember(UndoPoint(undo_base, text, len(self.history)))
        self.history.append(answer)
        return answer

    def _run_engine_steps(self, plan: Plan, outcomes: list[StepOutcome]) -> Any:
        """Run steps on the executor; keeps the state their successful steps made."""
        try:
            state, done, error = run_plan(plan, self._state)
        except Exception as exc:  # defensive: run_plan reports step failures itself
            state, done, error = self._state, [], as_assistant_error(exc)
        self._state = state
        outcomes.extend(done)
        return error

    def _run_session_step(self, step: Step) -> StepOutcome:
        if step.kind == "undo":
            self._state, result = session_steps.undo(self.journal, self._state)
        elif step.kind == "show_history":
            result = session_steps.history(self.journal, self.history)
        else:
            result = session_steps.last_plan(self.history, self.journal)
        return StepOutcome(step.kind, "done", result=result, step=step)

    # ------------------------------------------------- the session's own steps
    def undo(self) -> Answer:
        """Undo the last request that changed something (the chat's ``:undo``)."""
        return self.run(Plan("undo", (Undo(),)))

    def show_history(self) -> Answer:
        """The requests so far with what each produced (the chat's ``:history``)."""
        return self.run(Plan("show the history", (ShowHistory(),)))

    def show_last_plan(self) -> Answer:
        """The plan of the last request, shown again without running it."""
        return self.run(Plan("show the plan", (ShowPlan(),)))


def parse_error(exc: BaseException) -> AssistantError:
    """The message for a request the grammar could not read, with its suggestions."""
    if isinstance(exc, AssistantError):
        return exc
    if not isinstance(exc, ValueError):
        return as_assistant_error(exc)
    message = str(exc).strip() or "I could not read that request."
    suggestions = list(getattr(exc, "suggestions", []) or [])[:3]
    if suggestions and "Did you mean" not in message:
        message += " Did you mean: " + "; ".join(f"`{s}`" for s in suggestions) + "?"
    elif not suggestions and "help" not in message.lower():
        message += "\n" + HELP_HINT
    return AssistantError(message)


#: Said after a request the grammar could not read and has no close suggestion for.
HELP_HINT = "Type `help` for examples of the requests I understand."


__all__ = ["Answer", "Session", "StepOutcome"]
