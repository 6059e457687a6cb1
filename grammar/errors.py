"""ParseError, and how a failed parse becomes a sentence a person can act on.

The parse table says which tokens could have come where reading stopped (lark's
``UnexpectedToken.expected``, the same information its interactive parser offers);
they are put in words. Suggestions are the closest understood requests by difflib.
"""

from __future__ import annotations

import difflib
import re
from functools import lru_cache

from lark import Token, Tree
from lark.exceptions import (
    UnexpectedCharacters,
    UnexpectedEOF,
    UnexpectedInput,
    UnexpectedToken,
)

from grammar.build import ClauseFormulaError, CountMismatch, NotUnderstood, step_builder
from grammar.examples import EXAMPLE_REQUESTS
from grammar.formula import FormulaError
from grammar.formula import parse_formula as _parse_formula
from grammar.request_parser import keyword_text, request_parser
from grammar.text import Mapped, normalise


class ParseError(ValueError):
    """A request the grammar cannot read.

    ``position`` is the 0-based index in the original request where reading stopped,
    ``expected`` says in words what could come there, and ``suggestions`` holds up to
    three requests the language does understand that are close to what was typed.
    """

    def __init__(
        self,
        message: str,
        *,
        request: str = "",
        position: int = 0,
        expected: str = "",
        suggestions: tuple[str, ...] = (),
    ):
        self.message = message
        self.request = request
        self.position = position
        self.expected = expected
        self.suggestions = tuple(suggestions[:3])
        super().__init__(self._render())

    def _render(self) -> str:
        lines = [self.message]
        if self.expected:
            lines[0] = f"{self.message} Expected {self.expected}."
        shown = self.request.replace("\n", " ")
        if shown.strip() and len(shown) <= 200:
            lines.append(f"    {shown}")
            lines.append("    " + " " * min(self.position, len(shown)) + "^")
        if self.suggestions:
            lines.append("Did you mean: " + "; ".join(f'"{s}"' for s in self.suggestions) + "?")
        return "\n".join(lines)


#: Terminals that stand for a kind of word rather than a keyword.
_TERMINAL_WORDS = {
    "NAME": "a column name",
    "QUOTED_NAME": "a `quoted column name`",
    "NUMBER": "a number",
    "STRING": "a quoted file name",
    "FILE_PATH": "a file name such as data.csv",
    "DIR_PATH": "a folder name",
    "END": "the end of the request",
    "$END": "the end of the request",
    "TILDE": "'~' (a formula)",
}
#: The same terminals where they can only name a model ("compare baseline and slopes").
_MODEL_NAME_WORDS = {"NAME": "a model's name", "STRING": "a quoted model name"}
#: Rules a name or a quoted text is reduced into when it names a model.
_MODEL_NAME_RULES = frozenset({"model_label", "named_model_ref", "short_model_ref"})
#: Shown first, in this order, when they are among the possibilities.
_PREFERRED_WORDS = (
    "'~' (a formula)", "a column name", "a model's name", "a file name such as data.csv",
    "a quoted file name", "a quoted model name", "a folder name", "a number",
    "the end of the request",
)
_HIDDEN_WORDS = {"a `quoted column name`"}  # implied by "a column name"
_MAX_WORDS = 8
START_EXPECTED = (
    "the start of a request, such as 'fit', 'compare', 'report', 'plot', 'load', 'use', "
    "'help', or a formula like y ~ x + (1 | g)"
)
#: Offered when nothing typed is close to a request the grammar reads.
STARTER_REQUESTS = ("help", "use sample pain_trial", "describe the data")


def _terminal_word(name: str) -> str | None:
    """A terminal in words: a kind of word, or the keyword or symbol in quotes."""
    if name in _TERMINAL_WORDS:
        return _TERMINAL_WORDS[name]
    if name.startswith("formula__"):
        return None
    try:
        term = request_parser().get_terminal(name)
    except KeyError:
        return None
    text = keyword_text(term.pattern)
    return None if text is None else f"'{text}'"


def _model_name_roles(err: UnexpectedToken, names: set[str]) -> dict[str, tuple[bool, bool]]:
    """For NAME and STRING where reading stopped: (can name a model, can be anything else).

    The parser is fed the token on a copy and the rules it would then be reduced into
    are read from the parse table.
    """
    roles: dict[str, tuple[bool, bool]] = {}
    parser = getattr(err, "interactive_parser", None)
    for terminal in _MODEL_NAME_WORDS.keys() & names:
        if parser is None:
            continue
        probe = parser.copy()
        try:
            probe.feed_token(Token(terminal, "x"))
        except UnexpectedInput:
            continue
        state = probe.parser_state
        actions = state.parse_conf.parse_table.states[state.position].values()
        rules = {arg.origin.name for action, arg in actions if action.name == "Reduce"}
        roles[terminal] = (bool(rules & _MODEL_NAME_RULES), bool(rules - _MODEL_NAME_RULES))
    return roles


def _name_read_last(err: Exception) -> str | None:
    """The plain name the parser read last before it stopped, if that was a name."""
    parser = getattr(err, "interactive_parser", None)
    if parser is None or not parser.parser_state.value_stack:
        return None
    last = parser.parser_state.value_stack[-1]
    if isinstance(last, Tree) and last.data in _NAME_TREES and len(last.children) == 1:
        last = last.children[0]
    return str(last) if isinstance(last, Token) and last.type == "NAME" else None


def expected_words(
    names: set[str], at_start: bool, model_roles: dict[str, tuple[bool, bool]] | None = None
) -> str:
    """What could have come where reading stopped, from the parse table, in words.

    Kinds of word come first, then keywords; punctuation is listed only when nothing
    else could come, so the list stays short enough to read. ``model_roles`` says where a
    name or a quoted text would name a model (see :func:`_model_name_roles`).
    """
    if at_start:
        return START_EXPECTED
    words = {w for w in (_terminal_word(n) for n in names) if w} - _HIDDEN_WORDS
    for terminal, (names_model, other) in (model_roles or {}).items():
        if names_model:
            words.add(_MODEL_NAME_WORDS[terminal])
            if not other:
                words.discard(_TERMINAL_WORDS[terminal])
    if not words:
        return ""
    kinds = [w for w in _PREFERRED_WORDS if w in words]
    keywords = sorted(w for w in words - set(kinds) if re.fullmatch(r"'[A-Za-z][\w ]*'", w))
    symbols = sorted(words - set(kinds) - set(keywords))
    shown = kinds + keywords if kinds or keywords else symbols
    if len(shown) > _MAX_WORDS:
        shown = shown[:_MAX_WORDS] + ["…"]
    if len(shown) == 1:
        return shown[0]
    return "one of " + ", ".join(shown)


def suggestions_for(text: str) -> tuple[str, ...]:
    """Up to three understood requests close to ``text``.

    First the request itself with one misspelt word replaced by the closest keyword
    of the grammar, kept only when the grammar then reads it; then the example
    requests most similar to it (difflib).
    """
    out = list(_spelling_corrections(text))
    lowered = text.lower().strip()
    examples = {e.lower(): e for e in EXAMPLE_REQUESTS}
    for close in difflib.get_close_matches(lowered, list(examples), n=3, cutoff=0.45):
        if examples[close] not in out:
            out.append(examples[close])
    words = re.findall(r"[a-z]+", lowered)
    if words and len(out) < 3:
        ranked = sorted(
            (e for e in examples if e.split(" ", 1)[0] == words[0] and examples[e] not in out),
            key=lambda e: -difflib.SequenceMatcher(None, lowered, e).ratio(),
        )
        out += [examples[e] for e in ranked[: 3 - len(out)]]
    return tuple(out[:3])


_MAX_WORDS_TO_CORRECT = 20


@lru_cache(maxsize=1)
def _keywords() -> tuple[str, ...]:
    """Every keyword of the request grammar, lower case."""
    words = set()
    for term in request_parser().terminals:
        text = keyword_text(term.pattern)
        if text is not None and re.fullmatch(r"[a-z]{2,}", text):
            words.add(text)
    return tuple(sorted(words))


def keyword_set() -> frozenset[str]:
    """Every keyword of the request grammar, lower case, for membership tests."""
    return frozenset(_keywords())


def _spelling_corrections(text: str) -> list[str]:
    keywords = _keywords()
    found: list[str] = []
    for match in list(re.finditer(r"[A-Za-z]{3,}", text))[:_MAX_WORDS_TO_CORRECT]:
        word = match.group(0).lower()
        if word in keywords:
            continue
        for candidate in difflib.get_close_matches(word, keywords, n=2, cutoff=0.8):
            corrected = text[: match.start()] + candidate + text[match.end():]
            if corrected not in found and _understood(corrected):
                found.append(corrected)
        if len(found) >= 3:
            break
    return found


def _understood(clause: str) -> bool:
    """Whether one clause parses and builds steps (no suggestions are made here)."""
    normal = normalise(clause).text
    try:
        step_builder(normal).transform(request_parser().parse(normal))
    except Exception:  # noqa: BLE001 - any failure means "not understood"
        return False
    return True


def clause_error(request: str, clause: Mapped, err: Exception) -> ParseError:
    """A ParseError for one clause, quoting and pointing into the original request."""
    text = clause.text
    start = clause.original_index(0)
    typed = request[start:clause.original_index(len(text) - 1) + 1] if text else ""
    if isinstance(err, ClauseFormulaError):
        pos = clause.original_index(err.position)
        return ParseError(err.error.message, request=request, position=pos)
    if isinstance(err, CountMismatch):
        return ParseError(
            f"The request says {err.said} models but describes {err.given}; "
            "list one structure or formula per model.",
            request=request,
            position=start,
        )
    if isinstance(err, NotUnderstood) and err.message:
        return ParseError(err.message, request=request, position=start)
    if isinstance(err, NotUnderstood):
        return ParseError(
            f"I could not read {typed!r} as a request.",
            request=request,
            position=start,
            expected=err.what,
            suggestions=suggestions_for(typed),
        )
    first_word = re.match(r"\s*([A-Za-z]+)", text)
    if "~" not in text and first_word and first_word.group(1).lower() not in _keywords():
        # Nothing in the clause starts like a request: listing the parser's next
        # tokens after an arbitrary word would only confuse.
        return ParseError(
            f"I did not recognise {typed!r} as a request.",
            request=request,
            position=start,
            expected=START_EXPECTED,
            suggestions=suggestions_for(typed) or STARTER_REQUESTS,
        )
    local = len(text)
    names: set[str] = set()
    model_roles: dict[str, tuple[bool, bool]] = {}
    if isinstance(err, UnexpectedCharacters):
        local = err.pos_in_stream
        names = set(err.allowed or ())
    elif isinstance(err, UnexpectedToken):
        local = len(text) if err.token.type == "$END" else (err.token.start_pos or 0)
        # accepts: what the interactive parser takes after reductions (narrower)
        names = set(getattr(err, "accepts", None) or err.expected or ())
        model_roles = _model_name_roles(err, names)
    elif isinstance(err, UnexpectedEOF):
        names = set(err.expected or ())
    at_start = local == 0 or not text[:local].strip()
    position = clause.original_index(local)
    if "~" in text and not at_start and local >= text.index("~") - 40:
        formula_hint = _formula_problem(text)
        if formula_hint:
            return ParseError(formula_hint, request=request, position=position)
    expected = expected_words(names, at_start, model_roles)
    word = _name_read_last(err)
    if names and names - {"MODEL"} <= _COEFFICIENT_TAIL and word:
        # "show the BLUPs for subject": outside comparisons a name is a model's with "model"
        # (a report's "for the Days effect" reads it as a coefficient, which only the
        # confidence intervals use, so the model's reading is the one to suggest)
        expected = f"'model' after a model's name (`the {word} model` or `model {word}`)"
    if local >= len(text):
        message = f"The request {typed!r} stops too early."
    else:
        rest = request[position:].split()
        shown = rest[0] if rest else request[position:]
        message = f"I could not understand {shown!r} in {typed!r}."
        if re.fullmatch(r"-\d+(\.\d+)?", shown):
            # "with -5 simulations", "seed -1", "model -1": where the grammar reads a
            # number but not a negative one, it is a count, a seed, a limit or a label
            return ParseError(
                f"{shown} is negative, but {typed!r} needs a whole number of 0 or more "
                "(a count, a seed, a limit or a model number); leave out the minus sign.",
                request=request, position=position)
    return ParseError(
        message,
        request=request,
        position=position,
        expected=expected,
        suggestions=suggestions_for(typed),
    )


#: Trees that hold one name as read: a model's label, or a coefficient's name.
_NAME_TREES = frozenset({"model_label", "coefficient_named"})

#: The words that may end a coefficient's name ("the Days effect"), as lark terminals.
_COEFFICIENT_TAIL = frozenset({
    "COEFFICIENT", "COEFFICIENTS", "EFFECT", "EFFECTS", "ESTIMATE", "TERM", "INTERACTION",
    "PARAMETER", "SLOPE", "BETA", "MAIN", "COLON", "STAR", "X", "BY", "FROM", "IN",
})


def _formula_problem(text: str) -> str | None:
    """The formula grammar's own sentence for a broken formula inside a clause."""
    match = re.search(r"[A-Za-z.`][^~:;]*~.*$", text)
    if not match:
        return None
    candidate = match.group(0)
    start_words = candidate.split()
    # drop leading request words before the response ("fit y ~ ..." -> "y ~ ...")
    while len(start_words) > 1 and "~" not in start_words[0] and "~" not in start_words[1] and (
        not start_words[1].startswith("~")
    ):
        start_words = start_words[1:]
    candidate = " ".join(start_words)
    try:
        _parse_formula(candidate)
    except FormulaError as err:
        return err.message
    return None
