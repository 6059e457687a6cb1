"""The session in words: what an undo changed back, the requests so far, the last plan."""

from __future__ import annotations

from typing import Any

from assistant.narrate import numbers as fmt
from assistant.narrate.blocks import Block, Bullets, Paragraph, code
from assistant.session_steps import (
    HistoryEntry,
    PlanShown,
    SessionHistory,
    StateChange,
    UndoOutcome,
)
from assistant.step_results import (
    BaselineCovariateOutcome,
    DatasetLoaded,
    DataSubset,
    FitOutcome,
    GroupSizeSubset,
    ModelView,
    OptionChanged,
    OutlierRefit,
    TimeValueSubset,
    VisitSubset,
    WithinBetweenOutcome,
)

#: The past tense of the verbs that open the step words (``narrate.dispatch.STEP_WORDS``).
PAST_TENSE = {
    "audit": "audited", "change": "changed", "check": "checked", "compare": "compared",
    "compute": "computed", "describe": "described", "draw": "drew", "explain": "explained",
    "find": "found", "fit": "fitted", "load": "loaded", "plot": "plotted", "refit": "refitted",
    "report": "reported", "reshape": "reshaped", "run": "ran", "select": "selected",
    "show": "showed", "split": "split", "switch": "switched", "test": "tested",
    "transform": "transformed", "write": "wrote",
}

OPTION_NAMES = {
    "method": "the estimation method", "ddf": "the degrees of freedom",
    "optimizer": "the optimizer", "max_iter": "the iteration limit",
    "level": "the confidence level", "format": "the figure format",
}


# ---------------------------------------------------------------------- undo
def undo_blocks(result: UndoOutcome) -> list[Block]:
    if result.request is None or result.change is None:
        if result.limit_reached:
            return [Paragraph("There is nothing more to undo: I keep only the most recent "
                              "changes, and the older ones are gone.")]
        if result.back_at_start:
            return [Paragraph("There is nothing more to undo: the data, the models and the "
                              "options are as they were at the start of the session.")]
        return [Paragraph("There is nothing to undo: no request has changed the data, "
                          "the models or the options yet.")]
    parts = change_words(result.change)
    said = "; ".join(parts) if parts else "nothing you can see changed back"
    return [Paragraph(f"Undid {code(result.request)}: {said}.")]


def change_words(change: StateChange) -> list[str]:
    """What an undo put back, one phrase per kind of change."""
    parts: list[str] = []
    data = change.current_data
    size = "" if data is None else (
        f"{fmt.plural(data.nrows, 'row')} and {fmt.plural(data.ncols, 'column')}")
    if change.current_name_changed and data is not None:
        parts.append(f"the data set is back to `{data.name}`, with {size}")
    elif change.current_data_changed and data is not None:
        parts.append(f"`{data.name}` has its earlier values again ({size})")
    elif change.current_data_changed:
        parts.append("no data set is loaded any more")
    gone = [f"`{name}`" for name in change.datasets_removed]
    if gone:
        verb = "is" if len(gone) == 1 else "are"
        parts.append(f"{fmt.join_words(gone)} {verb} no longer in the session")
    if change.models_removed:
        titles = fmt.join_words([m.title for m in change.models_removed])
        verb = "is" if len(change.models_removed) == 1 else "are"
        parts.append(f"{titles} {verb} removed, so the next model fitted will be model "
                     f"{change.next_model_number}")
    if change.models_added:
        titles = fmt.join_words([m.title for m in change.models_added])
        verb = "is" if len(change.models_added) == 1 else "are"
        parts.append(f"{titles} {verb} back")
    for name, _before, after in change.options_changed:
        shown = fmt.level_percent(after) if name == "level" else after
        parts.append(f"{OPTION_NAMES.get(name, name)} is {shown} again")
    return parts


# ------------------------------------------------------------------- history
def history_blocks(result: SessionHistory) -> list[Block]:
    if not result.entries:
        return [Paragraph("Nothing has run in this session yet." + _failed_note(result))]
    lines = tuple(entry_line(entry) for entry in result.entries)  # bullets keep the order
    undone = sum(entry.undone for entry in result.entries)
    head = f"The session so far ({fmt.plural(len(lines), 'request')} that ran, in order"
    head += f"; {undone} of them undone)" if undone else ")"
    return [Paragraph(head + ":"), Bullets(lines),
            *([Paragraph(_failed_note(result).strip())] if result.n_failed else [])]


def _failed_note(result: SessionHistory) -> str:
    if not result.n_failed:
        return ""
    if result.n_failed == 1:
        return " 1 request that failed before doing anything is not listed."
    return f" {result.n_failed} requests that failed before doing anything are not listed."


def entry_line(entry: HistoryEntry) -> str:
    """```reshape from wide to long format`: reshaped ... (undone)``."""
    produced = "; ".join(result_summary(kind, result)
                         for kind, result in zip(entry.kinds, entry.results, strict=True))
    line = f"{code(entry.request)}: {produced}"
    if entry.stopped:
        line += "; then a step failed and the rest did not run"
    if entry.undone:
        line += " (undone)"
    return line


def result_summary(kind: str, result: Any) -> str:
    """One phrase for what a finished step produced, its numbers from the typed result."""
    if isinstance(result, FitOutcome):
        return fit_summary(result.model)
    if isinstance(result, WithinBetweenOutcome) and result.fitted is not None:
        return (f"added the within and between parts of a predictor to `{result.dataset}` "
                f"and {fit_summary(result.fitted.model)}")
    if isinstance(result, BaselineCovariateOutcome):
        return (f"made the data set `{result.name}` with the baseline as a covariate and "
                f"{fit_summary(result.fitted.model)}")
    if isinstance(result, DatasetLoaded):
        return dataset_summary(result)
    if isinstance(result, DataSubset | VisitSubset | TimeValueSubset | GroupSizeSubset):
        if result.name == result.parent:
            return f"kept every row of `{result.parent}`"
        return f"made the data set `{result.name}` from rows of `{result.parent}`"
    if isinstance(result, OutlierRefit) and result.refitted is not None:
        return f"{fit_summary(result.refitted)} without the outlying observations"
    if isinstance(result, OptionChanged):
        value = fmt.level_percent(result.value) if result.name == "level" else result.value
        return f"set {OPTION_NAMES.get(result.name, result.name)} to {value}"
    if isinstance(result, ModelView) and result.view == "settings":
        what = "the formula" if result.question == "formula" else "how it was fitted"
        return f"showed {what} of model {result.model.number}"
    if isinstance(result, UndoOutcome):
        if result.request is None:
            return "found nothing to undo"
        return f"undid {code(result.request)}"
    return _generic_summary(kind, result)


def fit_summary(model: Any) -> str:
    fit = model.fit
    return (f"fitted model {model.number}: {code(fit.formula)} by {fit.method} "
            f"({fmt.plural(fit.nobs, 'row')} used)")


def dataset_summary(result: DatasetLoaded) -> str:
    size = f"{fmt.plural(result.nrows, 'row')}, {fmt.plural(len(result.columns), 'column')}"
    verbs = {"sample": "loaded the sample", "file": "loaded", "reshape":
             "reshaped to long format as", "transform": "transformed columns of",
             "switch": "switched to"}
    return f"{verbs.get(result.source, 'used')} `{result.name}` ({size})"


def _generic_summary(kind: str, result: Any) -> str:
    from assistant.narrate.dispatch import STEP_WORDS

    words = STEP_WORDS.get(kind, kind.replace("_", " "))
    verb, _, rest = words.partition(" ")
    phrase = f"{PAST_TENSE.get(verb, verb)} {rest}".strip()
    model = getattr(result, "model", None)
    number = getattr(model, "number", None)
    if isinstance(number, int):
        phrase += f" of model {number}"
    return phrase


# ---------------------------------------------------------------------- plan
def plan_blocks(result: PlanShown) -> list[Block]:
    if result.plan is None or result.request is None:
        return [Paragraph("No request has been read yet, so there is no plan to show.")]
    return [Paragraph(f"The plan of {code(result.request)}:"),
            Paragraph(result.plan.describe())]
