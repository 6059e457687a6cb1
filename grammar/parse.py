"""Requests in people's words to a :class:`~grammar.plan.Plan`, with grammar/request.lark.

``parse(text)`` normalises the text and cuts it into clauses (grammar/text.py), parses
each clause with the LALR parser of request.lark, which imports the lme4 formula
grammar (grammar/request_parser.py), turns each parse tree into steps with
:class:`grammar.build.StepBuilder` (one method per grammar rule), and finally merges
steps that belong together ("compare AIC/BIC; likelihood ratio test" is one
comparison). Failures become :class:`grammar.errors.ParseError`.

Anything it cannot read raises :class:`ParseError`; no other exception escapes.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

from lark.exceptions import UnexpectedInput, VisitError

from grammar.build import (
    ClauseFormulaError,
    CountMismatch,
    NotUnderstood,
    merge_steps,
    step_builder,
)
from grammar.confidence_level import level_problem
from grammar.errors import (
    START_EXPECTED,
    STARTER_REQUESTS,
    ParseError,
    clause_error,
    keyword_set,
    suggestions_for,
)
from grammar.examples import EXAMPLE_REQUESTS
from grammar.plan import Help, Plan, Step
from grammar.r_calls import RCallError, call_refusal
from grammar.request_parser import request_parser
from grammar.spaced_names import unquoted_name_problem, verbatim_columns_quoted
from grammar.study_description import study_description
from grammar.text import Clause, Mapped, normalise, separator_key, split_clauses

__all__ = ["EXAMPLE_REQUESTS", "MAX_REQUEST_CHARS", "ParseError", "parse", "request_parser"]

#: Requests longer than this are refused before any parsing.
MAX_REQUEST_CHARS = 2000
#: Deeper nesting of parentheses than this is refused before any parsing.
MAX_NESTING = 40


_QUESTION_START = re.compile(
    r"^\s*(what|how|why|when|which|should|shall|is|are|do|does|did|has|have|any|my)\b",
    re.IGNORECASE,
)
_QUESTION_TOPICS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("convergence", re.compile(r"converg|singular", re.IGNORECASE)),
    ("ml_vs_reml", re.compile(r"\b(reml|ml|maximum likelihood)\b", re.IGNORECASE)),
    ("icc", re.compile(r"\b(icc|intra ?class)", re.IGNORECASE)),
    ("rm_anova", re.compile(r"\banova\b", re.IGNORECASE)),
    ("blups", re.compile(r"\b(blups?|conditional modes?|shrink)", re.IGNORECASE)),
    ("random_slopes", re.compile(r"\brandom slopes?\b", re.IGNORECASE)),
    ("samples", re.compile(r"\b(samples?|example data)", re.IGNORECASE)),
    ("subsets", re.compile(r"\b(outliers?|subsets?|exclud\w*)\b", re.IGNORECASE)),
    ("language", re.compile(r"\b(what can (you|i)|commands|syntax)\b", re.IGNORECASE)),
)


def _question_topic(text: str) -> str | None:
    """A question the grammar does not spell out is still a help request on its topic."""
    if not _QUESTION_START.match(text):
        return None
    for topic, pattern in _QUESTION_TOPICS:
        if pattern.search(text):
            return topic
    return None


# --------------------------------------------------------------------- parse
def _parse_clause(clause: Mapped) -> list[Step]:
    tree = request_parser().parse(clause.text)
    try:
        return step_builder(clause.text).transform(tree)
    except VisitError as err:
        raise err.orig_exc from None


def _check_size(request: str) -> None:
    if len(request) > MAX_REQUEST_CHARS:
        raise ParseError(
            f"The request is {len(request):,} characters long; requests are limited to "
            f"{MAX_REQUEST_CHARS:,}. Split the work into several shorter requests.",
            request=request[:200],
            position=MAX_REQUEST_CHARS,
        )
    depth = deepest = 0
    for ch in request:
        if ch == "(":
            depth += 1
            deepest = max(deepest, depth)
        elif ch == ")":
            depth -= 1
    if deepest > MAX_NESTING:
        raise ParseError(
            f"The request nests parentheses {deepest} deep; at most {MAX_NESTING} levels "
            "are accepted.",
            request=request,
            position=request.index("(" * (MAX_NESTING + 1)),
        )


_CLAUSE_ERRORS = (UnexpectedInput, ClauseFormulaError, NotUnderstood, CountMismatch)


def _other_readings(
    request: str,
    clause: Clause,
    following: Clause | None,
    first_error: Exception,
    columns: Sequence[str],
) -> Iterator[tuple[Mapped, bool]]:
    """Other texts a clause that did not parse may stand for, most likely first, each
    with True when it swallows the next clause."""
    text = clause.text
    unexpected = isinstance(first_error, UnexpectedInput)
    joined = following is not None and following.joined_by_verb
    verbatim = verbatim_columns_quoted(text, columns)
    if verbatim is not None:
        # a column named with spaces, typed without backticks ("Pain Score ~ Visit")
        yield verbatim, False
    if joined:
        # a cut before a verb can be wrong when a column is named like a verb ("on time
        # and test"): the clause joined with the one after it
        yield _join(text, following), True
    if unexpected and "~" in text.text:
        # a formula whose response is spelled like a keyword ("rank ~ x + (1 | g)")
        yield _as_fit(text), False
    article = _capital_a_dropped(text)
    if article is not None and unexpected:
        # "Fit A random slope": the capital "A" kept as a level name is the article
        yield article, False
    named = _USE_NAME.fullmatch(text.text)
    if named is not None and unexpected:
        # "use pain_trial": "use" opens any clause, so a data set's bare name is tried
        # as "switch to pain_trial" only when nothing else reads the clause
        yield _replaced(text, "switch to " + named.group(1)), False
    spaced_path = _spaced_path_quoted(request, text)
    if spaced_path is not None and unexpected:
        # "load tab file.tsv": a file name with spaces, written without quotes
        yield spaced_path, False
    # a column of the current data spelled like a keyword ("plot time", "center time and
    # test", where "test" would start a clause of its own)
    candidates = [(text, False)] + ([(_join(text, following), True)] if joined else [])
    for candidate, swallows in candidates:
        for quoted in _columns_quoted(candidate, columns):
            yield quoted, swallows
    spaced_name = _spaced_column_quoted(text, columns)
    if spaced_name is not None:
        # a column named in several words ("school size" for school_size)
        yield spaced_name, False
    quoted = _keyword_before_error_quoted(text, first_error)
    if quoted is not None:
        # a column spelled like a keyword ("with Subject as the grouping variable")
        yield quoted, False


def _steps_of(
    request: str, clause: Clause, following: Clause | None, columns: Sequence[str] = ()
) -> tuple[list[Step], bool]:
    """Steps of one clause; True when the next clause was swallowed into this one.

    A clause that fails is read again in the other ways :func:`_other_readings` lists,
    in order; the first that parses wins, else the first error is reported.
    """
    try:
        return _parse_clause(clause.text), False
    except RCallError as err:  # "confint(m1, method = "boot")": a call read but refused
        position = clause.text.original_index(0)
        raise ParseError(str(err), request=request, position=position) from None
    except _CLAUSE_ERRORS as err:
        first_error = err
    for text, swallows in _other_readings(request, clause, following, first_error, columns):
        try:
            return _parse_clause(text), swallows
        except _CLAUSE_ERRORS:
            pass
    level = level_problem(clause.text.text)
    if level is not None:  # "use nan% CI", "with 0.5% confidence intervals": no level
        message, start = level
        raise ParseError(message, request=request, position=clause.text.original_index(start))
    topic = _question_topic(clause.text.text)
    if topic is not None and not isinstance(first_error, ClauseFormulaError):
        return [Help(topic)], False
    refusal = call_refusal(clause.text.text)
    if refusal is not None:  # "simulate(m1)": R code that is not one of the calls read
        raise ParseError(refusal, request=request, position=clause.text.original_index(0))
    stopped_at = getattr(first_error, "pos_in_stream", None)
    spaced = unquoted_name_problem(clause.text.text, columns, stopped_at)
    if spaced is not None:
        position = clause.text.original_index(stopped_at or 0)
        raise ParseError(spaced, request=request, position=position)
    raise clause_error(request, clause.text, first_error)


_LOAD_SPACED_PATH = re.compile(
    r"\s*(load|open|read|import)\s+(\S.*\s.*\.(csv|tsv|tab|txt|xlsx|xls|xlsm|parquet|pq))\s*[.!]?\s*",
    re.IGNORECASE,
)


def _spaced_path_quoted(request: str, clause: Mapped) -> Mapped | None:
    """``load "<path>"`` for a clause that loads a file whose name has spaces, the path
    taken from the request as typed (articles such as "my" kept); None otherwise."""
    match = _LOAD_SPACED_PATH.fullmatch(clause.text)
    if match is None:
        return None
    start = clause.original_index(match.start(2))
    end = clause.original_index(match.end(2) - 1) + 1
    path = request[start:end]
    if any(mark in path for mark in "\"'`;"):
        return None
    return _replaced(clause, f'load "{path}"')


#: A bare word of a clause (not in backticks or quotes, not part of a longer name).
_BARE_WORD = re.compile(r"(?<![`'\"A-Za-z0-9_.])[A-Za-z][A-Za-z0-9_]*(?![`'\"A-Za-z0-9_])")
#: At most this many words are tried one at a time as column names.
MAX_COLUMN_WORDS = 6


def _column_named(word: str, columns: Sequence[str]) -> str | None:
    """The column ``word`` names: itself, or the one column that differs only in case."""
    if word in columns:
        return word
    folded = [c for c in columns if c.casefold() == word.casefold()]
    return folded[0] if len(folded) == 1 else None


def _columns_quoted(clause: Mapped, columns: Sequence[str]) -> list[Mapped]:
    """The clause with bare words that are both keywords and columns of the current data
    in backticks, so that they are read as the columns: each word alone (the last first,
    nearest where reading usually stops), then all of them."""
    if not columns:
        return []
    keywords = keyword_set()
    spans = []
    for match in _BARE_WORD.finditer(clause.text):
        word = match.group(0)
        name = _column_named(word, columns)
        if name is not None and word.lower() in keywords:
            spans.append((match.start(), match.end(), name))
    versions = [_quoted_spans(clause, [span]) for span in reversed(spans[-MAX_COLUMN_WORDS:])]
    if len(spans) > 1:
        versions.append(_quoted_spans(clause, spans))
    return versions


def _quoted_spans(clause: Mapped, spans: list[tuple[int, int, str]]) -> Mapped:
    """``clause`` with each (start, end) span replaced by its column name in backticks,
    every added character mapped to the original position of the word."""
    text, origin, last = "", (), 0
    for start, end, name in spans:
        first = clause.origin[start]
        text += clause.text[last:start] + "`" + name + "`"
        origin += clause.origin[last:start] + (first,) * (len(name) + 2)
        last = end
    return Mapped(text + clause.text[last:], origin + clause.origin[last:])


#: Two to four bare words in a row, separated by spaces or hyphens: a column name
#: written in words ("school size" for a column school_size).
_WORD_RUN = re.compile(
    r"(?<![`'\"A-Za-z0-9_.])[A-Za-z][A-Za-z0-9]*(?:[ \-]+[A-Za-z][A-Za-z0-9]*){1,3}"
    r"(?![`'\"A-Za-z0-9_])"
)


def _spaced_column_quoted(clause: Mapped, columns: Sequence[str]) -> Mapped | None:
    """The clause with each run of words that spells a column of the current data with
    other separators ("school size" for school_size) in backticks, as the person wrote
    it (the assistant resolves the name and says so); None when there is none. Never
    applied to a formula: lme4 names are exact."""
    if not columns or "~" in clause.text:
        return None
    keys = {separator_key(c): c for c in columns if "_" in separator_key(c)}
    if not keys:
        return None
    spans: list[tuple[int, int, str]] = []
    words = [(m.start(), m.end()) for m in _BARE_WORD.finditer(clause.text)]
    index = 0
    while index < len(words):
        for size in (4, 3, 2):
            run = words[index : index + size]
            if len(run) < size:
                continue
            start, end = run[0][0], run[-1][1]
            text = clause.text[start:end]
            if not _WORD_RUN.fullmatch(text):
                continue
            key = separator_key(text)
            if key in keys:
                spans.append((start, end, text))
            elif key.endswith("s") and key[:-1] in keys:
                # the plural ("how many pain scores are missing?"): the column itself
                spans.append((start, end, keys[key[:-1]]))
            else:
                continue
            index += size
            break
        else:
            index += 1
    return _quoted_spans(clause, spans) if spans else None


_WORD_BEFORE = re.compile(r"(?<![`A-Za-z0-9_.])([A-Za-z][A-Za-z0-9_]*)\s*$")


def _keyword_before_error_quoted(clause: Mapped, error: Exception) -> Mapped | None:
    """The clause with the keyword just before a parse error in backticks, so that it is
    read as a column name; None when the word there is not a keyword."""
    position = getattr(error, "pos_in_stream", None)
    if not isinstance(error, UnexpectedInput) or position is None:
        return None
    if getattr(getattr(error, "token", None), "type", None) == "$END":
        position = len(clause.text.rstrip())  # "plot time": reading stopped at the end
    match = _WORD_BEFORE.search(clause.text[:position])
    if match is None or match.group(1).lower() not in keyword_set():
        return None
    start, end = match.span(1)
    text = clause.text[:start] + "`" + clause.text[start:end] + "`" + clause.text[end:]
    origin = clause.origin[:start] + clause.origin[start:start + 1] + clause.origin[start:end] + (
        clause.origin[end - 1 : end] + clause.origin[end:]
    )
    return Mapped(text, origin)


#: A capital "A" that normalising kept as a name (a word came before it) and that a
#: lower-case word follows: read as the article when the clause fails as it stands.
_KEPT_CAPITAL_A = re.compile(r"(?<![A-Za-z0-9_`.])A\s+(?=[a-z])")


def _capital_a_dropped(clause: Mapped) -> Mapped | None:
    """The clause without each kept capital "A" before a lower-case word; None when it
    has none."""
    spans = [m.span() for m in _KEPT_CAPITAL_A.finditer(clause.text)]
    if not spans:
        return None
    text, origin, last = "", (), 0
    for start, end in spans:
        text += clause.text[last:start]
        origin += clause.origin[last:start]
        last = end
    return Mapped(text + clause.text[last:], origin + clause.origin[last:])


#: A clause of "use" and one name: a data set of the session ("use pain_trial").
_USE_NAME = re.compile(r"\s*use\s+([A-Za-z][A-Za-z0-9_.]*)\s*[.!]?\s*", re.IGNORECASE)


def _replaced(clause: Mapped, text: str) -> Mapped:
    """Other text for a clause, every character mapped to the clause's start."""
    start = clause.origin[0] if clause.origin else 0
    return Mapped(text, (start,) * len(text))


def _as_fit(clause: Mapped) -> Mapped:
    """The clause read as a model request: "fit " before it, mapped to its start."""
    prefix = "fit "
    start = clause.origin[0] if clause.origin else 0
    return Mapped(prefix + clause.text, (start,) * len(prefix) + clause.origin)


def _join(first: Mapped, following: Clause) -> Mapped:
    sep = following.separator
    origin = first.origin + tuple([first.origin[-1]] * len(sep)) + following.text.origin
    return Mapped(first.text + sep + following.text.text, origin)


def parse(text: str, *, columns: Sequence[str] = ()) -> Plan:
    """Read a request into a :class:`Plan`; raise :class:`ParseError` when it cannot.

    ``columns`` are the current data's column names: a clause that cannot be read is
    tried again with those of its words that are columns spelled like keywords in
    backticks ("plot time" with a column ``time``). No other exception escapes:
    overlong or deeply nested input is refused early.
    """
    if not isinstance(text, str):
        raise ParseError(f"A request must be text, not {type(text).__name__}.")
    _check_size(text)
    try:
        return _parse_request(text, tuple(str(c) for c in columns))
    except ParseError:
        raise
    except RecursionError:
        raise ParseError(
            "The request is nested too deeply to read.", request=text, position=0
        ) from None
    except Exception as err:  # the promise: nothing but ParseError leaves parse()
        raise ParseError(
            f"The request could not be read ({type(err).__name__}).",
            request=text,
            position=0,
            suggestions=suggestions_for(text),
        ) from None


def _parse_request(text: str, columns: Sequence[str] = ()) -> Plan:
    mapped = normalise(text)
    clauses = split_clauses(mapped)
    if not clauses:
        raise ParseError(
            "The request is empty.",
            request=text,
            position=0,
            expected=START_EXPECTED,
            suggestions=STARTER_REQUESTS,
        )
    per_clause: list[list[Step]] = []
    index = 0
    alone = False  # whether the clause before was read on its own
    while index < len(clauses):
        following = clauses[index + 1] if index + 1 < len(clauses) else None
        try:
            clause_steps, swallowed = _steps_of(text, clauses[index], following, columns)
        except ParseError:
            rejoined = _rejoined(clauses, index, columns) if alone else None
            if rejoined is not None:
                per_clause[-1], index, alone = rejoined, index + 1, False
                continue
            described = _described(text, clauses[index])
            if described is None:
                raise
            # "I have pain scores for 80 patients": a description, recorded, not run
            clause_steps, swallowed = [described], False
        per_clause.append(clause_steps)
        index += 2 if swallowed else 1
        alone = not swallowed
    return Plan(text, tuple(merge_steps([s for steps in per_clause for s in steps])))


#: An article or possessive just before a clause's first kept character.
_ARTICLE_BEFORE = re.compile(r"(?<![A-Za-z])(the|my|our|a|an|this|these|your)\s+$", re.IGNORECASE)


def _described(request: str, clause: Clause) -> Step | None:
    """The description step of a clause that describes the study, its sentence as
    typed; None when the clause is no description."""
    if not clause.text.origin:
        return study_description(clause.text.text)
    start = clause.text.origin[0]
    article = _ARTICLE_BEFORE.search(request[:start])  # "My outcome is ...": dropped by
    if article is not None:  # normalising, kept in the sentence shown
        start = article.start()
    typed = request[start : clause.text.origin[-1] + 1]
    return study_description(clause.text.text, typed)


#: Verbs whose clause may finish the clause before it ("fit time as a factor and compare
#: to linear time"): when the clause they open fails alone, the two are read as one.
_JOINABLE_VERBS = frozenset({"compare"})


def _rejoined(clauses: list[Clause], index: int, columns: Sequence[str]) -> list[Step] | None:
    """Steps of clause ``index - 1`` joined with clause ``index`` when the cut between them
    was wrong: the two read as one clause after one of :data:`_JOINABLE_VERBS` ("fit time
    as a factor and compare to linear time", whose first half is also a request of its
    own), or the cut was made before a column of the current data spelled like a verb
    ("center time and test" with a column ``test``); None when that reading fails too."""
    cut = clauses[index]
    if not cut.joined_by_verb:
        return None
    word = _BARE_WORD.match(cut.text.text.lstrip())
    if word is not None and word.group(0).casefold() in _JOINABLE_VERBS:
        try:
            return _parse_clause(_join(clauses[index - 1].text, cut))
        except _CLAUSE_ERRORS:
            pass
    if word is None:
        return None
    name = _column_named(word.group(0), columns)
    if name is None:
        return None
    joined = _join(clauses[index - 1].text, cut)
    start = len(joined.text) - len(cut.text.text.lstrip())
    quoted = _quoted_spans(joined, [(start, start + len(word.group(0)), name)])
    try:
        return _parse_clause(quoted)
    except (UnexpectedInput, ClauseFormulaError, NotUnderstood, CountMismatch):
        return None
