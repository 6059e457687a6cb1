"""Request text before the grammar: normalising and cutting into clauses.

Every rewrite keeps a map from each character of the new text to its position in
the original, so error messages point at what the person typed.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

#: Words that start a new clause when they follow "and" or a comma.
CLAUSE_VERBS = frozenset(
    """fit run refit rerun compare plot draw show report give print display make create add
    remove drop include exclude use switch set load open read import reshape pivot convert
    describe summarize summarise center centre scale standardize standardise log treat check
    test compute calculate tell explain overlay save write refit fix simplify increase estimate
    predict help list get export""".split()
)

#: Hyphenated words that are read as two words ("Kenward-Roger" -> "kenward roger").
HYPHENATED = frozenset(
    """kenward-roger l-bfgs-b nelder-mead rm-anova mixed-effects mixed-effect fixed-effect
    fixed-effects random-effects random-effect multi-level log-transform log-transformed
    mean-center mean-centre grand-mean z-score z-scores q-q qq-plot between-subject
    within-subject between-group within-group wide-to-long likelihood-ratio type-iii
    random-intercept random-slope non-convergence re-fit re-run intra-class
    subject-specific group-specific built-in intercept-only p-values p-value t-values
    data-set chi-square
    maximum-likelihood log-likelihood goodness-of-fit r-squared post-hoc
    variance-covariance var-cov write-up non-linear non-linearity
    group-mean cluster-mean apa-style""".split()
)

#: Characters that separate the words of a column name ("school size", school_size,
#: school.size, school-size), all read alike by :func:`separator_key`.
_NAME_SEPARATORS = re.compile(r"[\s_.\-]+")


def separator_key(text: str) -> str:
    """``text`` in lower case with every run of spaces, underscores, dots and hyphens as
    one underscore: the key under which a column word and a column name match when
    their separators differ (``assistant.column_words`` is the rule that uses it)."""
    return _NAME_SEPARATORS.sub("_", text.strip()).strip("_").casefold()


_CONTRACTIONS = {
    "what's": "what is", "whats": "what is", "it's": "it is", "that's": "that is",
    "let's": "let us",
    "i'd": "i would", "i'm": "i am", "i've": "i have", "i'll": "i will",
    "won't": "will not", "don't": "do not", "doesn't": "does not", "can't": "cannot",
    "isn't": "is not", "didn't": "did not", "wouldn't": "would not",
    "shouldn't": "should not", "aren't": "are not", "there's": "there is",
    "how's": "how is", "we'd": "we would", "you'd": "you would", "model's": "model",
    # words10: slips of the keyboard in request words that no column name is spelt as
    "waht": "what", "wht": "what", "teh": "the", "efect": "effect", "effcet": "effect",
    "varaince": "variance", "residulas": "residuals",
    # words13: more slips, and "then" for "than" where no second clause can start
    "wich": "which", "whcih": "which", "beter": "better", "compair": "compare",
    "neccessary": "necessary", "necesary": "necessary", "neccesary": "necessary",
    "realy": "really", "then others": "than others", "then the others": "than the others",
    "then the rest": "than the rest",
}
_CONTRACTION_RE = re.compile(
    r"(?<![A-Za-z])(" + "|".join(re.escape(c) for c in _CONTRACTIONS) + r")(?![A-Za-z])",
    re.IGNORECASE,
)
#: Adverbs that only add emphasis ("is the random slope really necessary?", "are some
#: raters just harsher than others?"): dropped before the grammar, as articles are.
_EMPHASIS_RE = re.compile(
    r"(?<![A-Za-z0-9_.`~|+*/:^(=-])\b(really|actually|truly|just)\s+(?=[A-Za-z])",
    re.IGNORECASE,
)
#: "without the time by treatment interaction", "adding a time x treatment interaction":
#: the interaction named after its word ("without interaction between time and
#: treatment"), the one order the grammar reads after these words.
_CROSSED_AFTER_RE = re.compile(
    r"(?<![A-Za-z0-9_])(without|excluding|adding|including)\s+([A-Za-z][A-Za-z0-9_.]*)\s+"
    r"(?:by|x|\*)\s+([A-Za-z][A-Za-z0-9_.]*)\s+(interactions?)(?![A-Za-z0-9_])",
    re.IGNORECASE,
)
#: words15: short forms of model words, read only as whole phrases so that a column
#: named "RI" or "rand" keeps its meaning elsewhere: "RI model", "rand slope", "var comps".
_SHORT_FORMS = {
    "ri model": "random intercept model", "ri models": "random intercept models",
    "rs model": "random slope model", "rs models": "random slope models",
    "rand slope": "random slope", "rand slopes": "random slopes",
    "rand intercept": "random intercept", "rand intercepts": "random intercepts",
    "rand effects": "random effects", "ranef": "random effects",
    "var comps": "variance components", "var comp": "variance components",
    "variance comps": "variance components", "var components": "variance components",
}
_SHORT_FORM_RE = re.compile(
    r"(?<![A-Za-z0-9_])(" + "|".join(re.escape(c).replace(r"\ ", r"\s+").replace(" ", r"\s+")
                                    for c in _SHORT_FORMS) + r")(?![A-Za-z0-9_(])",
    re.IGNORECASE,
)
#: words17: "use ML for the comparison", "with maximum likelihood for the LRT": the models
#: compared after refitting them by ML ("for me" also follows a choice, so the grammar
#: cannot tell the two "for"s apart where a session option ends).
_ML_FOR_COMPARISON_RE = re.compile(
    r"(?<![A-Za-z0-9_])(?:(?:use|using|with|under)\s+)?(?:ml|maximum\s+likelihood)\s+(?:for|in)"
    r"\s+(?:(?:the|a|my|our)\s+)?(?:model\s+)?(?:comparisons?|lrts?|likelihood\s+ratio\s+tests?)"
    r"(?![A-Za-z0-9_])",
    re.IGNORECASE,
)
#: "the effect of a one SD increase in SES" is SES's standardized effect (words20)
_SD_INCREASE_RE = re.compile(
    r"(?<![A-Za-z0-9_])effect\s+of\s+(?:(?:a|an)\s+)?(?:one[\s-]+)?(?:sd|standard\s+deviation)"
    r"[\s-]+(?:increase|change|difference|rise|higher)\s+(?:in|of)(?![A-Za-z0-9_])",
    re.IGNORECASE,
)
#: "how much of the variance ..." says no more than "how much variance ...".
_HOW_MUCH_OF_RE = re.compile(r"(?<![A-Za-z])how much of(?![A-Za-z])", re.IGNORECASE)
#: "between-patient SD", "within-subject variance": any between-/within- compound.
#: "school-level residuals", "cluster-level effects": the hyphen joins a factor and "level".
_LEVEL_RE = re.compile(r"[A-Za-z]+-level$", re.IGNORECASE)
#: words17: "school-specific regression lines": the hyphen joins a factor and "specific".
_SPECIFIC_RE = re.compile(r"[A-Za-z]+-specific$", re.IGNORECASE)
#: "level-2 residuals": not minus 2.
_LEVEL_NUMBER_RE = re.compile(r"\blevel-\d\b", re.IGNORECASE)
_BETWEEN_WITHIN_RE = re.compile(r"(between|within)-[A-Za-z]+$", re.IGNORECASE)
#: "within- and between-school effects": the first hyphen is suspended, not a compound.
_SUSPENDED_RE = re.compile(r"(?<![A-Za-z])(within|between)-\s+(and|or)\s+", re.IGNORECASE)
_HYPHEN_RE = re.compile(r"(?<![A-Za-z0-9_`])[A-Za-z]+(?:-[A-Za-z]+)+(?![A-Za-z0-9_])")
#: Articles and possessives carry no meaning in a request; dropping them before the
#: grammar keeps column names such as "time" from being read as keywords after "the".
_ARTICLE_RE = re.compile(
    r"(?<![A-Za-z0-9_.`~|+*/:^(=-])\b(the|a|an|my|our|some|this|these|its|your)\s+(?=[A-Za-z0-9`(])",
    re.IGNORECASE,
)
#: "the schools' random intercepts": a plural's possessive apostrophe says no more than
#: the plural (a word opened by a quote is a quoted name and keeps its closing quote).
_PLURAL_POSSESSIVE_RE = re.compile(r"(?<![A-Za-z0-9_'`])([A-Za-z][A-Za-z0-9_]*s)'(?=\s)")
_SMART = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"',
                        "\u2013": "-", "\u2014": "-", "\u2212": "-", "\u00a0": " ", "\t": " "})


@dataclass(frozen=True)
class Mapped:
    """Text plus, for each character, its index in the original request."""

    text: str
    origin: tuple[int, ...]

    def original_index(self, index: int) -> int:
        """Where character ``index`` of this text came from (the end maps past the end)."""
        if not self.origin:
            return 0
        if index >= len(self.origin):
            return self.origin[-1] + 1
        return self.origin[max(index, 0)]

    def slice(self, start: int, end: int) -> Mapped:
        return Mapped(self.text[start:end], self.origin[start:end])

    def strip(self) -> Mapped:
        start = len(self.text) - len(self.text.lstrip())
        end = len(self.text.rstrip())
        return self.slice(start, max(start, end))


def _protected_spans(text: str) -> list[tuple[int, int]]:
    """Backticked names and quoted strings: never rewritten or cut."""
    return [m.span() for m in re.finditer(r"`[^`]*`|\"[^\"\n]*\"|'[^'\n]*'", text)]


def _rewrite(m: Mapped, pattern: re.Pattern[str], replace: Callable[[re.Match[str]], str]
             ) -> Mapped:
    spans = _protected_spans(m.text) if "'" not in pattern.pattern else [
        s.span() for s in re.finditer(r"`[^`]*`|\"[^\"\n]*\"", m.text)
    ]
    out: list[str] = []
    origin: list[int] = []
    last = 0
    for match in pattern.finditer(m.text):
        if any(a <= match.start() < b for a, b in spans):
            continue
        out.append(m.text[last:match.start()])
        origin.extend(m.origin[last:match.start()])
        new = replace(match)
        out.append(new)
        origin.extend([m.origin[match.start()]] * len(new))
        last = match.end()
    out.append(m.text[last:])
    origin.extend(m.origin[last:])
    return Mapped("".join(out), tuple(origin))


#: A capital "A" after a word inside a sentence is a name, not the article: the level
#: of "is condition A rated higher than B?", "is A lower than B?". After one of these
#: verbs it is still the article ("Fit A random slope", "Add A quadratic term").
_WORD_BEFORE_RE = re.compile(r"([A-Za-z0-9_`]+)\s+$")
_VERBS_BEFORE_ARTICLE = frozenset(
    """fit add include make show give plot draw run try estimate create build produce
    compute get use perform conduct do""".split()
)


def _dropped_article(match: re.Match[str]) -> str:
    """Nothing for an article, the match itself for a capital "A" used as a name."""
    if match.group(1) != "A":
        return ""
    before = _WORD_BEFORE_RE.search(match.string[: match.start()])
    if before is not None and before.group(1).lower() not in _VERBS_BEFORE_ARTICLE:
        return match.group(0)
    return ""


def normalise(request: str) -> Mapped:
    """Straighten quotes, expand contractions, and split known hyphenated words."""
    text = request.translate(_SMART)
    mapped = Mapped(text, tuple(range(len(text))))
    mapped = _rewrite(mapped, _CONTRACTION_RE, lambda mt: _CONTRACTIONS[mt.group(0).lower()])
    mapped = _rewrite(mapped, _SHORT_FORM_RE,
                      lambda mt: _SHORT_FORMS[" ".join(mt.group(0).lower().split())])
    mapped = _rewrite(mapped, _SUSPENDED_RE, lambda mt: f"{mt.group(1)} {mt.group(2)} ")
    mapped = _rewrite(
        mapped,
        _HYPHEN_RE,
        lambda mt: mt.group(0).replace("-", " ")
        if mt.group(0).lower() in HYPHENATED or _BETWEEN_WITHIN_RE.match(mt.group(0))
        or _LEVEL_RE.match(mt.group(0)) or _SPECIFIC_RE.match(mt.group(0))
        else mt.group(0),
    )
    mapped = _rewrite(mapped, _LEVEL_NUMBER_RE, lambda mt: mt.group(0).replace("-", " "))
    mapped = _rewrite(mapped, _PLURAL_POSSESSIVE_RE, lambda mt: mt.group(1))
    mapped = _rewrite(mapped, _ARTICLE_RE, _dropped_article)
    mapped = _rewrite(mapped, _EMPHASIS_RE, lambda mt: "")
    mapped = _rewrite(mapped, _CROSSED_AFTER_RE,
                      lambda mt: f"{mt.group(1)} {mt.group(4)} between {mt.group(2)} and "
                                 f"{mt.group(3)}")
    mapped = _rewrite(mapped, _HOW_MUCH_OF_RE, lambda mt: mt.group(0)[: -len(" of")])
    mapped = _rewrite(mapped, _SD_INCREASE_RE, lambda mt: "standardized effect of")
    mapped = _rewrite(mapped, _ML_FOR_COMPARISON_RE, lambda mt: "compare after refitting with ML")
    return mapped


@dataclass(frozen=True)
class Clause:
    """One clause of a request; ``joined_by_verb`` marks a cut made before a verb."""

    text: Mapped
    joined_by_verb: bool = False
    separator: str = ""


_ITEM_MARK = re.compile(r"\s*(\(\d+\)|\d+[).])")
_WORD = re.compile(r"[A-Za-z]+")
_TRAILING_THANKS = re.compile(
    r"[,\s]*\b(please|pls|plz|thanks|thank you|thx|cheers|for me)\b[\s.!?]*$", re.IGNORECASE
)
# The answers are always in plain words, so asking for them changes nothing.
_TRAILING_PLAIN_WORDS = re.compile(
    r"[,\s]*\b(in|using)\s+(plain|simple|everyday|lay|layman'?s|non-technical)\s+"
    r"(english|words|terms|language)\b[\s.!?]*$",
    re.IGNORECASE,
)
# Every answer says what its numbers mean, so "(what is the ICC) and what does it mean?"
# asks nothing more than the question before it.
_TRAILING_MEANING = re.compile(
    r"[,\s]*\band\s+(what\s+(does|do)\s+(it|that|this|they|these)\s+mean|how\s+(do|should)\s+"
    r"(i|we)\s+(interpret|read)\s+(it|that|this|them))\b[\s.!?]*$",
    re.IGNORECASE,
)
# A mixed model accounts for its clusters by construction, so "(is X significant) after
# accounting for subject variability" asks nothing more; a named covariate is kept (it
# would need adding to the model, and the grammar then says what it did not understand).
_TRAILING_CLUSTERING = re.compile(
    r"[,\s]*\b(after|while|when|once)\s+(accounting|controlling|adjusting|allowing)\s+for\s+"
    r"(the\s+)?([a-z]+(\s|-))?(variability|variation|differences|clustering|grouping|nesting|"
    r"random\s+effects|correlation|dependence|repeated\s+measures)"
    r"(\s+(by|within|of|in|between|among|across)\s+[A-Za-z_][A-Za-z0-9_]*)?[\s.!?]*$",
    re.IGNORECASE,
)
_TRAILING_JOIN = re.compile(r"(\s*(,|\band\b))+\s*$", re.IGNORECASE)
#: Words that order the asks of a paragraph ("First, fit ... . Next, add ... . Finally,
#: compare ..."): they say when, which the order of the clauses already says.
_LEADING_SEQUENCE = re.compile(
    r"^((first|firstly|second|secondly|third|thirdly|next|then|finally|lastly|after\s+that|"
    r"afterwards|and\s+then|and\s+also|also|and)\b\s*,?\s*)+(?=[A-Za-z`(])",
    re.IGNORECASE,
)
#: A piece that is only such words ("First, fit ...": cut at the comma before the verb).
_ONLY_SEQUENCE = re.compile(
    r"^((first|firstly|second|secondly|third|thirdly|next|then|finally|lastly|after\s+that|"
    r"afterwards|and\s+then|and\s+also|also|and)\b[\s,]*)+$",
    re.IGNORECASE,
)
#: A full stop that ends the last sentence ("... report the fixed effects.").
_FINAL_STOP = re.compile(r"(?<=[A-Za-z)\]])\s*[.!]+$")
#: Endings that ask nothing, cut from a clause in this order (each only when something
#: is left before it).
_TRAILING_FILLERS = (_TRAILING_THANKS, _TRAILING_PLAIN_WORDS, _TRAILING_MEANING,
                     _TRAILING_CLUSTERING, _FINAL_STOP)


def split_clauses(m: Mapped) -> list[Clause]:
    """Cut at top level: ';', new lines, sentence ends, 'then', and 'and'/',' + verb."""
    text = m.text
    lowered = text.lower()
    spans = _protected_spans(text)
    clauses: list[Clause] = []
    depth = 0
    start = 0
    pending_verb_cut = False
    pending_sep = ""
    i = 0
    n = len(text)

    def cut(end: int, resume: int, by_verb: bool, sep: str) -> None:
        nonlocal start, pending_verb_cut, pending_sep
        piece = m.slice(start, end).strip()
        trailing = _TRAILING_JOIN.search(piece.text)
        if trailing:
            piece = piece.slice(0, trailing.start()).strip()
        for filler in _TRAILING_FILLERS:
            found = filler.search(piece.text)
            if found and found.start() > 0:
                piece = piece.slice(0, found.start()).strip()
        leading = _LEADING_SEQUENCE.match(piece.text + " x")
        if leading:  # ("x": so that a clause of sequence words alone, "First,", goes too)
            piece = piece.slice(min(leading.end(), len(piece.text)), len(piece.text)).strip()
        if _ONLY_SEQUENCE.match(piece.text):
            # "First, fit ...": the sequence word orders the clause after it, which keeps
            # the separator that came before the sequence word
            start = resume
            return
        if piece.text:
            clauses.append(Clause(piece, pending_verb_cut, pending_sep))
        start = resume
        pending_verb_cut = by_verb
        pending_sep = sep

    while i < n:
        span = next((s for s in spans if s[0] == i), None)
        if span is not None:
            i = span[1]
            continue
        ch = text[i]
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth = max(0, depth - 1)
        elif depth == 0:
            if ch == "\n" or (ch == ";" and not _ITEM_MARK.match(text, i + 1)):
                cut(i, i + 1, False, ch)
            elif ch in ".!?" and i + 1 < n and text[i + 1] == " " and (
                i == 0 or not text[i - 1].isdigit() or _ends_name(text, i)
            ):
                cut(i, i + 1, False, ch)
            elif ch.isalpha() and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] in "_.`")):
                word_match = _WORD.match(text, i)
                word = lowered[i:word_match.end()] if word_match else ""
                end_word = word_match.end() if word_match else i + 1
                if end_word < n and (text[end_word].isalnum() or text[end_word] in "_."):
                    i = end_word
                    continue
                if word == "then":
                    cut(i, end_word, False, "then")
                    i = end_word
                    continue
                if word == "and":
                    nxt = _WORD.match(text, _skip_spaces(text, end_word))
                    if nxt and nxt.group(0).lower() in CLAUSE_VERBS:
                        cut(i, end_word, True, " and ")
                    i = end_word
                    continue
                i = end_word
                continue
            elif ch == ",":
                after = _skip_spaces(text, i + 1)
                nxt = _WORD.match(text, after)
                if nxt and nxt.group(0).lower() in CLAUSE_VERBS and nxt.group(0).lower() != "and":
                    cut(i, i + 1, True, ", ")
                elif _POLITE_REQUEST.match(text, after):
                    # "my data is wide, can you reshape it": the request starts there
                    cut(i, i + 1, True, ", ")
        i += 1
    cut(n, n, False, "")
    return clauses


#: A polite opener after a comma that starts a request of its own ("..., can you reshape
#: it to long?"), followed by a verb; or the question of which model to keep ("I fitted
#: two models, ..., which one should I keep?").
_POLITE_VERBS = "|".join(sorted(CLAUSE_VERBS - {"help"}))  # "..., can you help" stays whole
_POLITE_REQUEST = re.compile(
    r"(?:can|could|would|will)\s+you\s+(?:please\s+)?(?:" + _POLITE_VERBS
    + r")\b|please\s+(?:" + _POLITE_VERBS + r")\b"
    r"|(?:which|what)\s+(?:one|model)\s+(?:should|would|do)\s+(?:i|we|you)\b",
    re.IGNORECASE,
)


def _ends_name(text: str, i: int) -> bool:
    """Whether the word before position ``i`` is a name with letters (``pain_6.``), so a
    stop after it ends a sentence; a bare number ("1. fit ...") marks an item."""
    start = i
    while start > 0 and (text[start - 1].isalnum() or text[start - 1] == "_"):
        start -= 1
    return any(c.isalpha() for c in text[start:i])


def _skip_spaces(text: str, i: int) -> int:
    while i < len(text) and text[i] == " ":
        i += 1
    return i
