"""The steps about the session itself: undo, the history of requests, the last plan.

The executor's handlers see one state; these steps see the session's past (earlier
states, earlier answers), so :class:`assistant.session.Session` runs them itself with
a :class:`SessionJournal`. Every result here is typed (numbers and names, no prose);
``assistant.narrate.session_history`` words them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from assistant.state import SessionState
from grammar.plan import SESSION_STEP_KINDS

#: How many earlier states the session keeps for undo (each shares its data frames and
#: fits with the states after it, so a point costs little memory).
MAX_UNDO_POINTS = 20


# ------------------------------------------------------------------ records
@dataclass(frozen=True)
class UndoPoint:
    """The state before a request that changed something, and which request it was."""

    state: SessionState
    request: str
    answer_index: int  # the request's position in ``Session.history``


@dataclass
class SessionJournal:
    """What the session remembers about its past: the undo points (newest last), the
    requests undone (their positions in ``Session.history``) and whether old undo points
    were let go because of :data:`MAX_UNDO_POINTS`."""

    undo_points: list[UndoPoint] = field(default_factory=list)
    undone: set[int] = field(default_factory=set)
    points_dropped: bool = False

    def remember(self, point: UndoPoint) -> None:
        self.undo_points.append(point)
        if len(self.undo_points) > MAX_UNDO_POINTS:
            del self.undo_points[0]
            self.points_dropped = True


# ------------------------------------------------------------------ results
@dataclass(frozen=True)
class DataShape:
    name: str
    nrows: int
    ncols: int

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "nrows": self.nrows, "ncols": self.ncols}


@dataclass(frozen=True)
class ModelBrief:
    number: int
    title: str
    formula: str

    def to_dict(self) -> dict[str, Any]:
        return {"number": self.number, "title": self.title, "formula": self.formula}


@dataclass(frozen=True)
class StateChange:
    """How the state ``after`` differs from ``before`` in what a user sees."""

    current_data: DataShape | None  # the current data set in ``after``
    current_data_changed: bool  # another data set, or the same name with other rows
    current_name_changed: bool  # another data set is current
    datasets_removed: tuple[str, ...]
    datasets_added: tuple[str, ...]
    models_removed: tuple[ModelBrief, ...]
    models_added: tuple[ModelBrief, ...]
    options_changed: tuple[tuple[str, Any, Any], ...]  # (name, before, after)
    next_model_number: int

    @property
    def empty(self) -> bool:
        return not (self.current_data_changed or self.datasets_removed or self.datasets_added
                    or self.models_removed or self.models_added or self.options_changed)

    def to_dict(self) -> dict[str, Any]:
        return {
            "current_data": None if self.current_data is None else self.current_data.to_dict(),
            "current_data_changed": self.current_data_changed,
            "current_name_changed": self.current_name_changed,
            "datasets_removed": list(self.datasets_removed),
            "datasets_added": list(self.datasets_added),
            "models_removed": [m.to_dict() for m in self.models_removed],
            "models_added": [m.to_dict() for m in self.models_added],
            "options_changed": [
                {"name": n, "before": b, "after": a} for n, b, a in self.options_changed
            ],
            "next_model_number": self.next_model_number,
        }


@dataclass(frozen=True)
class UndoOutcome:
    """An undo: the request undone and what changed back, or None for both when there
    was nothing to undo (``limit_reached``: older changes were let go; ``back_at_start``:
    every change was undone already)."""

    request: str | None
    change: StateChange | None
    remaining: int
    limit_reached: bool = False
    back_at_start: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": "undo",
            "undone_request": self.request,
            "change": None if self.change is None else self.change.to_dict(),
            "undo_points_left": self.remaining,
        }


@dataclass(frozen=True)
class HistoryEntry:
    """One request that ran: its number in the list, its text, the typed result of each
    step that finished, and whether it stopped at a failed step or was undone since."""

    number: int
    request: str
    kinds: tuple[str, ...]
    results: tuple[Any, ...]
    stopped: bool
    undone: bool

    def to_dict(self) -> dict[str, Any]:
        return {"number": self.number, "request": self.request, "steps": list(self.kinds),
                "stopped": self.stopped, "undone": self.undone}


@dataclass(frozen=True)
class SessionHistory:
    """The requests that ran, in order (requests that only showed the history or a plan
    are left out); ``n_failed`` counts the requests that failed before doing anything."""

    entries: tuple[HistoryEntry, ...]
    n_failed: int

    def to_dict(self) -> dict[str, Any]:
        return {"kind": "history", "entries": [e.to_dict() for e in self.entries],
                "failed_requests": self.n_failed}


@dataclass(frozen=True)
class PlanShown:
    """The plan of the last request read (None when no request was read yet)."""

    request: str | None
    plan: Any  # grammar.plan.Plan

    def to_dict(self) -> dict[str, Any]:
        return {"kind": "plan", "request": self.request,
                "plan": None if self.plan is None else self.plan.to_dict()}


# ----------------------------------------------------------------- the steps
def is_session_step(step: Any) -> bool:
    return getattr(step, "kind", None) in SESSION_STEP_KINDS


def only_reads_the_session(answer: Any) -> bool:
    """True for a request whose steps only show the session (history, plan)."""
    plan = getattr(answer, "plan", None)
    steps = getattr(plan, "steps", ()) if plan is not None else ()
    return bool(steps) and all(
        is_session_step(s) and s.kind != "undo" for s in steps
    )


def undo(journal: SessionJournal, state: SessionState) -> tuple[SessionState, UndoOutcome]:
    """The state before the newest undo point, and what changed back. The front end's
    output folder is kept: it is where the user looks for files, not a statistical choice."""
    if not journal.undo_points:
        return state, UndoOutcome(None, None, 0, limit_reached=journal.points_dropped,
                                  back_at_start=bool(journal.undone))
    point = journal.undo_points.pop()
    journal.undone.add(point.answer_index)
    restored = point.state
    if restored.options.output_dir != state.options.output_dir:
        restored = restored.with_options(output_dir=state.options.output_dir)
    change = state_change(state, restored)
    return restored, UndoOutcome(point.request, change, len(journal.undo_points))


def history(journal: SessionJournal, answers: list[Any]) -> SessionHistory:
    """Every request of ``answers`` that ran at least one step, in order."""
    entries: list[HistoryEntry] = []
    failed = 0
    for index, answer in enumerate(answers):
        done = [o for o in answer.steps if o.status == "done"]
        if not done:
            failed += 1
            continue
        if only_reads_the_session(answer):
            continue
        entries.append(HistoryEntry(
            number=len(entries) + 1,
            request=answer.request,
            kinds=tuple(o.kind for o in done),
            results=tuple(o.result for o in done),
            stopped=answer.error is not None,
            undone=index in journal.undone,
        ))
    return SessionHistory(tuple(entries), failed)


def last_plan(answers: list[Any], journal: SessionJournal | None = None) -> PlanShown:
    """The plan of the newest request that was read, was not itself about the session
    (showing the history or a plan, or an undo) and has not been undone since: after
    "undo", "show me the plan" means the analysis now in effect, not the undo."""
    undone = journal.undone if journal is not None else set()
    for index in range(len(answers) - 1, -1, -1):
        answer = answers[index]
        if answer.plan is None or index in undone or only_reads_the_session(answer):
            continue
        if all(is_session_step(s) for s in answer.plan.steps):
            continue
        return PlanShown(answer.request, answer.plan)
    return PlanShown(None, None)


# ------------------------------------------------------------ state changes
def changed_what_users_see(before: SessionState, after: SessionState) -> bool:
    """True when ``after`` differs from ``before`` in data, models or options (not in the
    remembered last comparison, which only a report set)."""
    return (
        before.current_data_name != after.current_data_name
        or _frames(before) != _frames(after)
        or _model_ids(before) != _model_ids(after)
        or before.options.to_dict() != after.options.to_dict()
    )


def state_change(before: SessionState, after: SessionState) -> StateChange:
    """What differs between two states, for the words of an undo."""
    frames_before, frames_after = _frames(before), _frames(after)
    current = after.data
    shape = None
    if current is not None and after.current_data_name is not None:
        shape = DataShape(after.current_data_name, int(current.shape[0]), int(current.shape[1]))
    current_changed = (
        before.current_data_name != after.current_data_name
        or frames_before.get(after.current_data_name or "") != frames_after.get(
            after.current_data_name or "")
    )
    models_before, models_after = _model_ids(before), _model_ids(after)
    removed = tuple(_brief(before.models[n]) for n in sorted(models_before)
                    if models_after.get(n) != models_before[n])
    added = tuple(_brief(after.models[n]) for n in sorted(models_after)
                  if models_before.get(n) != models_after[n])
    options_before, options_after = before.options.to_dict(), after.options.to_dict()
    options = tuple((name, options_before[name], options_after[name]) for name in options_after
                    if options_before.get(name) != options_after[name])
    return StateChange(
        current_data=shape,
        current_data_changed=current_changed,
        current_name_changed=before.current_data_name != after.current_data_name,
        datasets_removed=tuple(n for n in frames_before if n not in frames_after),
        datasets_added=tuple(n for n in frames_after if n not in frames_before),
        models_removed=removed,
        models_added=added,
        options_changed=options,
        next_model_number=after.next_model_number(),
    )


def _frames(state: SessionState) -> dict[str, int]:
    """Data sets by name, each by the identity of its frame (frames are never edited in
    place, so a new object is a new version)."""
    return {name: id(frame) for name, frame in state.datasets.items()}


def _model_ids(state: SessionState) -> dict[int, int]:
    return {number: id(model) for number, model in state.models.items()}


def _brief(model: Any) -> ModelBrief:
    return ModelBrief(model.number, model.title, str(model.fit.formula))
