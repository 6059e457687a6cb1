"""Column names that are not plain words ("Pain Score", "weight-kg") written without backticks.

lme4 reads such a name only in backticks (`` `Pain Score` ~ Visit``). People type the name
as it appears in their file, so a clause that does not parse is tried again with every
exact occurrence of such a column name of the current data in backticks. Nothing is
evaluated: the backticked name goes through the formula grammar like any other.
When no column matches exactly, :func:`unquoted_name_problem` words the fix.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from grammar.text import Mapped

#: A name the formula grammar reads without backticks.
_PLAIN_NAME = re.compile(r"[A-Za-z.][A-Za-z0-9._]*")
#: Backticked names and quoted strings: left as they are.
_PROTECTED = re.compile(r"`[^`]*`|\"[^\"\n]*\"|'[^'\n]*'")
_WORD_CHAR = re.compile(r"[A-Za-z0-9_.]")


def needs_backticks(name: str) -> bool:
    """Whether lme4 needs ``name`` in backticks (it is not a plain R name)."""
    return _PLAIN_NAME.fullmatch(name) is None


def column_of_label(label: str) -> str:
    """The column a formula label names: `` `Pain Score` `` -> ``Pain Score``; other labels
    as they are."""
    if len(label) > 2 and label[0] == label[-1] == "`" and "`" not in label[1:-1]:
        return label[1:-1]
    return label


def _free(text: str) -> list[bool]:
    """For each character of ``text``, whether it lies outside backticks and quotes."""
    free = [True] * len(text)
    for match in _PROTECTED.finditer(text):
        for index in range(*match.span()):
            free[index] = False
    return free


def _occurrences(text: str, name: str, free: list[bool], *, fold: bool) -> list[tuple[int, int]]:
    """Where ``name`` stands on its own in ``text`` (not inside a longer word, backticks
    or quotes); ``fold`` compares without case."""
    haystack, needle = (text.casefold(), name.casefold()) if fold else (text, name)
    spans = []
    start = haystack.find(needle)
    while start >= 0:
        end = start + len(needle)
        inside = all(free[start:end])
        before = start > 0 and _WORD_CHAR.match(text[start - 1]) and _WORD_CHAR.match(text[start])
        after = end < len(text) and _WORD_CHAR.match(text[end]) and _WORD_CHAR.match(text[end - 1])
        if inside and not before and not after:
            spans.append((start, end))
        start = haystack.find(needle, start + 1)
    return spans


def _matches(text: str, columns: Sequence[str], *, fold: bool) -> list[tuple[int, int, str]]:
    """Non-overlapping occurrences of the columns that need backticks, longest name first."""
    free = _free(text)
    taken = [False] * len(text)
    spans: list[tuple[int, int, str]] = []
    for name in sorted((c for c in columns if needs_backticks(c)), key=len, reverse=True):
        if not name.strip():
            continue
        for start, end in _occurrences(text, name, free, fold=fold):
            if any(taken[start:end]):
                continue
            taken[start:end] = [True] * (end - start)
            spans.append((start, end, name))
    return sorted(spans)


def verbatim_columns_quoted(clause: Mapped, columns: Sequence[str]) -> Mapped | None:
    """The clause with each exact occurrence of a column name that needs backticks put in
    backticks ("Pain Score ~ Visit" -> "`Pain Score` ~ Visit"); None when there is none.

    Only exact spellings count (lme4 names are exact); a longer name wins over a shorter
    one it contains ("Pain Score 2" over "Pain Score")."""
    if not columns:
        return None
    spans = _matches(clause.text, columns, fold=False)
    if not spans:
        return None
    text, origin, last = "", (), 0
    for start, end, name in spans:
        text += clause.text[last:start] + "`" + name + "`"
        origin += (
            clause.origin[last:start]
            + clause.origin[start:start + 1]
            + clause.origin[start:end]
            + clause.origin[end - 1:end]
        )
        last = end
    return Mapped(text + clause.text[last:], origin + clause.origin[last:])


#: Two or more plain words separated by spaces only: a name with spaces, unquoted.
_WORD_RUN = re.compile(r"[A-Za-z][A-Za-z0-9_.]*(?: +[A-Za-z0-9_.]+)+")


def unquoted_name_problem(text: str, columns: Sequence[str], position: int | None) -> str | None:
    """One sentence for a formula clause that failed because a name with spaces was
    written without backticks; None when that is not the likely cause.

    A column matching without case ("pain score" for "Pain Score") is named as it is
    spelled in the data. When the columns are not known, two words in a row where the
    formula reading stopped (``position``) are taken as such a name."""
    if "~" not in text:
        return None
    for _start, _end, name in _matches(text, columns, fold=True):
        return f"Column names with spaces must be written in backticks: write `{name}`."
    if position is None or columns:
        # with the data's columns known, words that are no column are some other mistake
        return None
    for match in _WORD_RUN.finditer(text):
        words = match.group(0).split()
        if match.start() < position <= match.end() and match.start() != position:
            name = " ".join(_without_request_words(words))
            if " " in name:
                return (
                    f"'{name}' reads as {len(name.split())} names; if it is one column, "
                    f"write it in backticks, `{name}`, exactly as the data spell it."
                )
    return None


#: Words that start a request before its formula ("fit Pain Score ~ ..."), not part of a name.
_LEADING_WORDS = frozenset(
    {"fit", "lmm", "model", "run", "mixed", "a", "the", "please", "estimate"}
)


def _without_request_words(words: list[str]) -> list[str]:
    """The words of a run without request words in front of it."""
    while len(words) > 1 and words[0].casefold() in _LEADING_WORDS:
        words = words[1:]
    return words
