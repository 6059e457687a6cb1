"""A confidence level typed as something other than a number ("use nan% CI", "abc% CI").

The grammar reads a level only as a number, so such a clause does not parse; instead of
the generic "could not understand" message, :func:`level_problem` names what is wrong
and shows a level that works. :func:`not_a_level` is the one sentence for every refused
level, including numbers outside (0, 100) that the grammar does read ("150% CI");
:func:`below_half_level` refuses a level the grammar reads that is below 50% ("1% CI").
"""

from __future__ import annotations

import re

#: A word before a percent sign and a confidence word: "nan% CI", "abc percent
#: confidence intervals", "at x% confidence".
_PERCENT_LEVEL = re.compile(
    r"(?<![\w.%])(?P<word>[^\s%()`\"']+?)\s*(?:%|\bpercent\b)\s*"
    r"(?:confidence\b|cis?\b|intervals?\b|level\b)",
    re.IGNORECASE,
)
#: A level the grammar reads (formula.lark's NUMBER without an exponent).
_PLAIN_NUMBER = re.compile(r"\d+(\.\d*)?|\.\d+")
#: A bare number before a confidence word, with no percent sign: "0.4 confidence level",
#: "40 confidence intervals" (a fraction below 1, else a percentage).
_BARE_LEVEL = re.compile(
    r"(?<![\w.%-])(?P<word>\d+(?:\.\d*)?|\.\d+)\s+"
    r"(?:confidence\b|cis?\b|conf(?:idence)?\.?\s+int)",
    re.IGNORECASE,
)


def not_a_level(shown: str) -> str:
    """The refusal of a confidence level, naming what was typed and what works."""
    return (f"{shown} is not a confidence level: the level must be a percentage between 50% "
            "and 100% (100% excluded), e.g. `use 95% CI` or `use 90% confidence intervals`.")


def below_half_level(shown: str, percent: float) -> str:
    """The refusal of a level below 50% ("use 1% CI", "0.3 confidence intervals"): such
    an interval misses the true value more often than it covers it."""
    as_typed = shown if shown.endswith("%") else f"{shown} (a {percent:g}% level)"
    return (f"{as_typed} is too low for a confidence level: an interval that covers the "
            "true value less than half the time is almost never meant. Did you mean 95% "
            "or 99%? e.g. `use 95% CI` or `use 99% CI`.")


def level_problem(text: str) -> tuple[str, int] | None:
    """The refusal for a clause that gives a confidence level that is not a number, or a
    number outside 50% to 100% (in any wording, also one the grammar does not read:
    "with 0.5% confidence intervals", "0.4 confidence level"), and where in ``text`` that
    word starts; None when every level typed is one that works."""
    for match in _PERCENT_LEVEL.finditer(text):
        word = match.group("word")
        if _PLAIN_NUMBER.fullmatch(word) is None:
            return not_a_level(f"'{word}%'"), match.start("word")
        refusal = number_level_problem(float(word), f"{word}%", percent=True)
        if refusal is not None:
            return refusal, match.start("word")
    for match in _BARE_LEVEL.finditer(text):
        word = match.group("word")
        refusal = number_level_problem(float(word), word, percent=float(word) > 1)
        if refusal is not None:
            return refusal, match.start("word")
    return None


def number_level_problem(value: float, shown: str, *, percent: bool) -> str | None:
    """The refusal of a level typed as a number (a percentage when ``percent``, else a
    fraction), or None when it lies in [50%, 100%)."""
    as_percent = value if percent else value * 100
    if not 0 < as_percent < 100:
        return not_a_level(shown)
    if as_percent < 50:
        return below_half_level(shown, as_percent)
    return None
