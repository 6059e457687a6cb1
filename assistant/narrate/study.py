"""A description of the study in words: which sentence was read as description, and
the column roles it recorded for later models (assistant/steps/study.py)."""

from __future__ import annotations

from assistant.narrate.blocks import Block, Paragraph
from assistant.narrate.numbers import join_words
from assistant.step_results import StudyDescribed

#: How each recorded role reads in an answer.
ROLE_WORDS: dict[str, str] = {
    "outcome": "outcome",
    "time": "time",
    "group": "grouping factor",
    "nested_in": "grouping factor it is nested in",
    "treatment": "treatment",
    "covariates": "covariates",
}


def role_list(roles: dict[str, str]) -> str:
    """ "outcome Reaction, time Days and grouping factor Subject"."""
    return join_words([f"{ROLE_WORDS.get(role, role)} {column}" for role, column in roles.items()])


def _dataset_paragraph(result: StudyDescribed) -> Paragraph:
    """ "This is lme4's sleepstudy": whether that is the data in use, and how to load it
    when it is not."""
    opening = f"I read \u201c{result.sentence}\u201d as naming your data, not as a request"
    name, current = result.dataset, result.current_data
    if current is not None and name is not None and current.casefold() == name.casefold():
        return Paragraph(f"{opening}: {current} is the data set in use, so nothing changes.")
    load = f" To work on it, type `use sample {name}`." if result.is_sample else ""
    if current is None:
        where = "no data are loaded yet"
        if not result.is_sample:
            load = " Load the file with `load <file name>`."
        return Paragraph(f"{opening}; {where}.{load}")
    return Paragraph(
        f"{opening}; the data set in use is {current}, not {name}, and I kept it.{load}"
    )


def study_blocks(result: StudyDescribed) -> list[Block]:
    """One paragraph: the sentence taken as description, and what it recorded."""
    if result.dataset is not None:
        return [_dataset_paragraph(result)]
    opening = f"I read \u201c{result.sentence}\u201d as a description of your study, not a request"
    if result.recorded:
        text = (
            f"{opening}, and noted its roles: {role_list(result.recorded)}. Later models "
            "that leave one of these out take it from here."
        )
    else:
        text = f"{opening}; it names no column's role, so I took nothing from it."
    if result.unmatched:
        words = join_words([f"'{word}'" for _, word in result.unmatched])
        text += f" I did not take {words} as a role: no column of the data can play it."
    return [Paragraph(text)]
