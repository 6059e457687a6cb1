"""A description of the study ("My outcome is Reaction, measured on Days within Subject"):
the column roles it names, checked against the data and recorded for later fits.

Stated roles must name a column (else one sentence naming the columns); roles only
implied by the phrasing are kept when they name a column and otherwise left out, and
the answer says so. Later fits that leave a role out take it from the recorded roles
(``assistant.steps.models``), and say that it came from the description.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from assistant.column_words import resolve_column_word
from assistant.errors import AssistantError
from assistant.narrate.study import ROLE_WORDS
from assistant.state import SessionState
from assistant.step_results import StudyDescribed
from assistant.steps.base import PlanContext, StepResult, step_field
from assistant.steps.data import require_data


def column_for_word(word: str, columns: Sequence[Any]) -> str | None:
    """The column a role word names: itself, a looser spelling
    (``assistant.column_words``: case, separators, a leading part such as "pain" for
    pain_score), or its singular ("patients" for patient); None when none."""
    names = [str(c) for c in columns]
    if word in names:
        return word
    reading = resolve_column_word(word, names)
    if reading is not None:
        return reading.column
    for ending in ("es", "s"):
        if word.lower().endswith(ending):
            singular = word[: -len(ending)]
            if singular in names:
                return singular
            reading = resolve_column_word(singular, names)
            if reading is not None:
                return reading.column
    return None


def column_for_words(words: str, columns: Sequence[Any]) -> str | None:
    """The column a role's words name: all of them ("test score" for test_score), else
    the longest leading run that names one ("reaction time" -> Reaction)."""
    parts = words.split()
    for size in range(len(parts), 0, -1):
        column = column_for_word(" ".join(parts[:size]), columns)
        if column is not None:
            return column
    return None


def _stated(role: str, word: str, columns: Sequence[Any]) -> str:
    column = column_for_words(word, columns)
    if column is None:
        raise AssistantError(
            f"Your description names '{word}' as the {ROLE_WORDS[role]}, but the data have "
            f"no such column; the columns are {', '.join(map(str, columns))}."
        )
    return column


def _repeats(column: Any) -> bool:
    """Whether some value of ``column`` occurs in more than one row (a grouping factor
    needs several observations in some level)."""
    return bool(column.dropna().duplicated().any())


def _dataset_named(name: str, state: SessionState, sentence: str) -> StepResult:
    """ "This is lme4's sleepstudy": the name checked against the session's data and the
    built-in samples; nothing is recorded or changed."""
    from engine.samples import sample_names

    samples = {s.casefold(): s for s in sample_names()}
    known = samples.get(name.casefold())
    current = state.current_data_name if state.data is not None else None
    result = StudyDescribed(sentence, dataset=known or name, current_data=current,
                            is_sample=known is not None)
    return StepResult(result, state)


def describe_study(step: Any, state: SessionState, context: PlanContext) -> StepResult:
    named = step_field(step, "dataset")
    if named:
        return _dataset_named(str(named), state, str(step_field(step, "sentence", "")))
    data = require_data(state)
    columns = [str(c) for c in data.columns]
    found: dict[str, str] = {}
    for role in ("outcome", "time", "group", "treatment"):
        word = step_field(step, role)
        if word:
            found[role] = _stated(role, str(word), columns)
    covariates = [
        _stated("covariates", str(w), columns) for w in step_field(step, "covariates", ())
    ]
    unmatched: list[tuple[str, str]] = []
    for role, word in step_field(step, "implied", ()):
        column = column_for_word(str(word), columns)
        if column is None or (role == "group" and not _repeats(data[column])):
            # "of 1543 students" with one row per student: the rows, not a grouping
            unmatched.append((role, str(word)))
        elif role not in found and column not in found.values():
            found[role] = column
    upper = step_field(step, "nested_in")
    if upper:
        column = _stated("nested_in", str(upper), columns)
        if "group" in found and found["group"] != column:
            found["nested_in"] = column
        else:  # "students are nested in schools" with one row per student
            found["group"] = column
    if covariates:
        found["covariates"] = ", ".join(covariates)
    recorded = {role: found[role] for role in ROLE_WORDS if role in found}
    sentence = str(step_field(step, "sentence", ""))
    new_state = state.with_study_roles(recorded) if recorded else state
    return StepResult(StudyDescribed(sentence, recorded, tuple(unmatched)), new_state)


HANDLERS = {"describe_study": describe_study}
