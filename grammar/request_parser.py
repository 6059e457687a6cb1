"""The LALR parser of one request clause: grammar/request.lark with formula.lark imported.

Keywords match whole words only. A literal such as ``"p"i`` or ``"estimate"i`` is
turned, when the grammar is loaded, into a regular expression that refuses to match
the start of a longer word ("patient", "estimated"); the terminal keeps its name, and
:func:`keyword_text` gives back the word it stands for (error messages and the REPL's
completions list keywords by their text).

lark caches the parse tables between runs (``cache=True``), keyed on the grammar text.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from lark import Lark
from lark.lexer import Pattern, PatternRE, PatternStr, TerminalDef

#: What may not follow a keyword: a character of a name (formula.lark's NAME), or a dot
#: that goes on into a name ("time.1" is one name, "model." ends a sentence).
WORD_END = r"(?![A-Za-z0-9_]|\.[A-Za-z0-9_])"
#: Keywords are tried before NAME wherever both could come (as lark's own rule for a
#: string that a regular expression also matches did before), and after file and folder
#: paths (priorities 3 and 2 in request.lark).
KEYWORD_PRIORITY = 1
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
_WHOLE_WORD = re.compile(r"([A-Za-z][A-Za-z0-9_]*)" + re.escape(WORD_END))
# lark leaves ``edit_terminals`` out of its cache key, so the rule's version goes into
# the grammar text: a parser cached before the rule (or with another one) is not reused.
_CACHE_TAG = "\n// terminals: whole-word keywords, v1\n"


def _whole_word(term: TerminalDef) -> None:
    """Make a keyword literal match only as a whole word (lark's ``edit_terminals`` hook).

    Other literals that start with a letter ("r²", "n't") get the keywords' priority so
    that they are still tried before a shorter keyword ("r").
    """
    pattern = term.pattern
    if not isinstance(pattern, PatternStr) or not pattern.value[:1].isalpha():
        return
    if term.priority == 0:
        term.priority = KEYWORD_PRIORITY
    if _WORD.fullmatch(pattern.value):
        term.pattern = PatternRE(pattern.value + WORD_END, pattern.flags, pattern.raw)


def keyword_text(pattern: Pattern) -> str | None:
    """The literal text of a keyword or symbol terminal, None for a kind of word (NAME...)."""
    if isinstance(pattern, PatternStr):
        return pattern.value
    word = _WHOLE_WORD.fullmatch(pattern.value)
    return word.group(1) if word else None


@lru_cache(maxsize=1)
def request_parser() -> Lark:
    """The LALR parser of one clause (request.lark with the formula grammar imported)."""
    here = Path(__file__).parent
    return Lark(
        (here / "request.lark").read_text() + _CACHE_TAG,
        parser="lalr",
        import_paths=[str(here)],
        propagate_positions=True,
        maybe_placeholders=False,
        cache=True,
        edit_terminals=_whole_word,
    )
