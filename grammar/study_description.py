"""Sentences that describe a study rather than ask for something.

People often describe their data before they ask: "I have pain scores for 80 patients at
4 visits. My outcome is Reaction, measured on Days within Subject." Such a sentence is
no request, but it may name the roles of columns (outcome, time, grouping factor,
treatment, covariates). :func:`study_description` reads one clause that the request
grammar could not read into a :class:`grammar.plan.DescribeStudy` step, or returns None
when the clause does not look like a description (then the usual parse error stands).

Roles stated outright ("the outcome is X", "X is the grouping variable", "patients are
nested in clinics") are *stated*: a word that names no column is an error. Roles only
implied by the phrasing ("measured on Days", "within Subject", "for 80 patients") are
*implied*: kept only when the word names a column, otherwise the sentence is just
description. A clause that contains a request word ("fit", "plot", "want", "please",
...) is never taken as a description, so a request is never dropped in silence.
"""

from __future__ import annotations

import re

from grammar.plan import DescribeStudy

#: Words that make a clause a request, never a description.
_REQUEST_WORDS = re.compile(
    r"\b(fit|refit|plot|compare|show|tell|give|want|wants|wanted|like|need|needs|please|"
    r"can|could|should|would|how|what|which|why|whether|estimate|compute|calculate|explain|"
    r"reshape|load|predict|export|save|have\s+to|going\s+to|"
    r"(test|check|run|report|use|add|remove|drop)\s+(whether|if|the|for|of|it|a|an|this|that))\b",
    re.IGNORECASE,
)

#: Openers of a sentence that describes data or a study.
_DESCRIPTIVE_START = re.compile(
    r"^\s*("
    r"(i|we|they)\s+(have|had|measured|collected|recorded|observed|followed|tracked|ran|fitted|"
    r"conducted|studied|assessed|surveyed|sampled|got|asked|randomi[sz]ed|enrolled)"
    r"|(data|dataset|data\s+set|study|trial|experiment|sample|design|file)\s+"
    r"(is|are|was|were|has|have|contains?|comes?|includes?|consists?|covers?)"
    r"|there\s+(are|were|is)"
    r"|(each|every)\s+\w+\s+(was|were|is|are|has|had|got|gave|rated|scored|judged|saw|"
    r"answered|completed|took|received|evaluated|visited|attended|read)"
    r"|(my|our|the)\s+(data|dataset|study|trial|experiment)\b"
    r"|(outcome|response|dependent\s+variable|dv|treatment|arm|condition|intervention|"
    r"grouping|cluster|clustering|covariates?|time)\b"
    r"|\S+\s+(is|are|was|were)\s+(the\s+)?(nested|in|measured|coded|recorded|given|"
    r"outcome|response|dependent|grouping|cluster|clustering|time|treatment|arm|condition|"
    r"subject|id|randomi[sz]ed|assigned|allocated|seen|followed|recruited|enrolled|observed|"
    r"rated|scored|tested|either|one|a|an)\b"
    r")",
    re.IGNORECASE,
)

#: A sentence that only names the data set: "This is lme4's sleepstudy", "these are the
#: schools data", "it's the ratings sample". A package's possessive or a data word is
#: required, so that "this is wrong" stays a sentence the assistant did not understand.
_DATASET_NAMED = re.compile(
    r"^\s*(?:this|it|these|that|here)(?:\s+(?:is|are|was|were)|'s)\s+"
    r"(?:(?:(?P<package>[A-Za-z][A-Za-z0-9.]*)'s\s+(?:the\s+)?(?P<name1>[A-Za-z][A-Za-z0-9_.]*)"
    r"(?:\s+(?:data|dataset|data\s+set|example|sample))?)"
    r"|(?:(?:the|an?)\s+)?(?P<name2>[A-Za-z][A-Za-z0-9_.]*)\s+(?:data|dataset|data\s+set|"
    r"example|sample)(?:\s+(?:from|in|of)\s+(?P<package2>[A-Za-z][A-Za-z0-9.]*))?)"
    r"\s*[.!]?\s*$",
    re.IGNORECASE,
)

#: A column word: a name as typed, or a backticked name. Small words are never names.
_STOP = r"(?!(?:in|on|at|of|by|for|to|is|are|was|were|measured|coded|recorded|given|per|" \
        r"within|nested|and|or|with|grouping|clustering)\b)"
_NAME = _STOP + r"(?:`[^`]+`|[A-Za-z][A-Za-z0-9_.]*[A-Za-z0-9_]|[A-Za-z])"

#: A role's name: up to three words ("test score"); the handler tries the longest first.
_NAMES = _NAME + r"(?:\s+" + _NAME + r"){0,2}"
_IS = r"\s+(?:is|was|=|:)\s+"
_ROLE_NOUN = r"(?:\s+(?:variable|factor|column|measure|indicator))?"

#: (role, pattern) pairs of roles stated outright.
_STATED: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (role, re.compile(pattern, re.IGNORECASE))
    for role, pattern in (
        ("outcome", r"\b(?:outcome|response|dependent\s+variable|dv)" + _ROLE_NOUN + _IS
         + r"(?P<word>" + _NAMES + ")"),
        ("outcome", r"(?P<word>" + _NAME + r")\s+is\s+(?:outcome|response|"
         r"dependent\s+variable)\b"),
        ("time", r"\btime" + _ROLE_NOUN + _IS + r"(?P<word>" + _NAME + ")"),
        ("time", r"(?P<word>" + _NAME + r")\s+is\s+time" + _ROLE_NOUN + r"\s*[.!]?\s*$"),
        ("group", r"(?P<word>" + _NAME + r")\s+is\s+(?:grouping|cluster|clustering|subject|id)"
         + _ROLE_NOUN + r"\b"),
        ("group", r"\b(?:(?:grouping|cluster|clustering)" + _ROLE_NOUN
         + r"|(?:subject|id)\s+(?:variable|factor|column))" + _IS + r"(?P<word>" + _NAME + ")"),
        ("treatment", r"\b(?:(?:treatment|intervention)" + _ROLE_NOUN
         + r"|(?:arm|condition)\s+(?:variable|factor|column|indicator))" + _IS
         + r"(?P<word>" + _NAME + ")"),
        ("treatment", r"(?P<word>" + _NAME + r")\s+is\s+(?:treatment|arm|condition|"
         r"intervention)" + _ROLE_NOUN + r"\b"),
    )
)
#: "patients are nested in clinics": the lower and the upper grouping factor.
_NESTED = re.compile(
    r"(?P<lower>" + _NAME + r")(?:\s+(?:are|is|were|was))?\s+nested\s+(?:in|within)\s+(?P<upper>"
    + _NAME + ")",
    re.IGNORECASE,
)
#: "covariates are age and sex".
_COVARIATES = re.compile(
    r"\bcovariates?\s+(?:are|is|=|:|include)\s+(?P<words>" + _NAME + r"(?:\s*(?:,|and|,\s*and)\s*"
    + _NAME + r")*)",
    re.IGNORECASE,
)
#: (role, pattern) pairs of roles the phrasing implies (kept only when they name a column).
_IMPLIED: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (role, re.compile(pattern, re.IGNORECASE))
    for role, pattern in (
        ("outcome", r"\bmeasured\s+(?P<word>" + _NAME + r")\s+(?:on|over|across|at)\b"),
        ("time", r"\bmeasured(?:\s+" + _NAME + r")?\s+(?:on|over|across)\s+(?P<word>"
         + _NAME + ")"),
        ("time", r"\b(?P<word>" + _NAME + r")\s+(?:is|was)\s+(?:measured\s+|recorded\s+|"
         r"coded\s+)?in\s+(?:months|weeks|days|years|hours|minutes|visits)\b"),
        ("group", r"\b(?:within|per|for\s+each|grouped\s+by|clustered\s+(?:in|within|by))\s+"
         r"(?P<word>" + _NAME + ")"),
        ("group", r"\b(?:for|of|from|in|across)\s+\d+\s+(?P<word>" + _NAME + ")"),
        ("group", r"^\s*(?:each|every)\s+(?P<word>" + _NAME + r")\s"),
    )
)


def _word(text: str) -> str:
    return text[1:-1] if text.startswith("`") else text


def study_description(text: str, typed: str | None = None) -> DescribeStudy | None:
    """The description step for a clause that describes the study; None when the clause
    does not read as a description (or contains a request word). ``text`` is the clause
    as normalised (articles dropped), ``typed`` as the person wrote it (default ``text``)."""
    clause = text.strip().rstrip(".!").strip()
    sentence = (typed if typed is not None else text).strip().rstrip(".!").strip()
    if not clause or _REQUEST_WORDS.search(sentence) or "~" in clause:
        return None
    named = _DATASET_NAMED.match(sentence)
    if named is not None:
        return DescribeStudy(sentence=sentence,
                             dataset=named.group("name1") or named.group("name2"))
    if not (_DESCRIPTIVE_START.match(sentence) or _DESCRIPTIVE_START.match(clause)):
        return None
    roles: dict[str, str] = {}
    for role, pattern in _STATED:
        match = pattern.search(clause)
        if match is not None and role not in roles:
            roles[role] = _word(match.group("word"))
    nested = _NESTED.search(clause)
    nested_in = None
    implied: dict[str, str] = {}
    if nested is not None:
        # "students are nested in schools": the upper factor is stated; the lower one is
        # the grouping factor only when it is a column (students may be the rows)
        nested_in = _word(nested.group("upper"))
        if "group" not in roles:
            implied["group"] = _word(nested.group("lower"))
    covariates: tuple[str, ...] = ()
    listed = _COVARIATES.search(clause)
    if listed is not None:
        covariates = tuple(
            _word(w) for w in re.split(r"\s*(?:,\s*and|,|and)\s*", listed.group("words")) if w
        )
    candidates = [(role, _word(implied["group"])) for role in ("group",) if "group" in implied]
    for role, pattern in _IMPLIED:
        if role in roles:
            continue
        for match in pattern.finditer(clause):
            pair = (role, _word(match.group("word")))
            if role != "group" and any(r == role for r, _ in candidates):
                break
            if pair not in candidates:
                candidates.append(pair)
    return DescribeStudy(
        sentence=sentence,
        outcome=roles.get("outcome"),
        time=roles.get("time"),
        group=roles.get("group"),
        nested_in=nested_in,
        treatment=roles.get("treatment"),
        covariates=covariates,
        implied=tuple(candidates),
    )
