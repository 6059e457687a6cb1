"""The LALR parser of one request clause: grammar/request.lark with formula.lark imported.

Keywords match whole words only. A literal such as ``"p"i`` or ``"estimate"i`` is
turned, when the grammar is loaded, into a regular expression that refuses to match
the start of a longer word ("patient", "estimated"); the terminal keeps its name, and
:func:`keyword_text` gives back the word it stands for (error messages and the REPL's
completions list keywords by their text).

The built parser is kept between runs by :mod:`grammar.parser_cache`, keyed on the
grammar files and this module's source (the terminal edits below change the parser too).
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from lark import Lark
from lark.lexer import Pattern, PatternRE, PatternStr, TerminalDef

from grammar.parser_cache import cache_key, cached_parser

#: What may not follow a keyword: a character of a name (formula.lark's NAME), or a dot
#: that goes on into a name ("time.1" is one name, "model." ends a sentence). Keywords
#: are read in any case, and re's case folding makes [A-Za-z0-9_] match İ, ı, ſ and the
#: Kelvin sign as well. The check names those four and runs case-sensitively: same
#: matches, but each lexer state's scanner, which holds this once per keyword, compiles
#: about 2.5 times faster (a folded class reaching beyond Latin-1 is slow to build).
WORD_END = r"(?-i:(?![A-Za-z0-9_]|\.[A-Za-z0-9_]|\.?\u0130|\.?\u0131|\.?\u017f|\.?\u212a))"
#: Keywords are tried before NAME wherever both could come (as lark's own rule for a
#: string that a regular expression also matches did before), and after file and folder
#: paths (priorities 3 and 2 in request.lark).
KEYWORD_PRIORITY = 1
#: Other literals that start with a letter ("r²", "n't", "effect-size") are tried before
#: the keywords, so before a shorter keyword that matches their start ("r", "n").
#: A priority of their own also spares lark from matching every keyword against them
#: when it builds a state's scanner: no keyword can match all of "r²" (nor "n't").
LETTER_LITERAL_PRIORITY = KEYWORD_PRIORITY + 1
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
_WHOLE_WORD = re.compile(r"([A-Za-z][A-Za-z0-9_]*)" + re.escape(WORD_END))
_HERE = Path(__file__).parent


def _whole_word(term: TerminalDef) -> None:
    """Make a keyword literal match only as a whole word (lark's ``edit_terminals`` hook).

    Other literals that start with a letter get :data:`LETTER_LITERAL_PRIORITY`.
    """
    pattern = term.pattern
    if not isinstance(pattern, PatternStr) or not pattern.value[:1].isalpha():
        return
    if not _WORD.fullmatch(pattern.value):
        if term.priority == 0:
            term.priority = LETTER_LITERAL_PRIORITY
        return
    if term.priority == 0:
        term.priority = KEYWORD_PRIORITY
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
    grammar, key = grammar_and_key()
    return cached_parser("request-parser", key, lambda: _build_parser(grammar))


def grammar_and_key(folder: Path = _HERE) -> tuple[str, str]:
    """request.lark's text and the cache key of its parser: a hash of every grammar file
    in ``folder`` (request.lark imports formula.lark) and of this module's source."""
    grammars = {path.name: path.read_bytes() for path in sorted(folder.glob("*.lark"))}
    parts = [part for item in grammars.items() for part in item]
    return grammars["request.lark"].decode(), cache_key(*parts, Path(__file__).read_bytes())


def _build_parser(grammar: str) -> Lark:
    return Lark(
        grammar,
        parser="lalr",
        import_paths=[str(_HERE)],
        propagate_positions=True,
        maybe_placeholders=False,
        edit_terminals=_whole_word,
    )
