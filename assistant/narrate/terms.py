"""Reading fixed-effect term names (formulaic's spelling) back into words.

``treatment[T.treated]`` is the contrast treated vs the reference level of treatment;
``time:treatment[T.treated]`` the difference in the time slope between the two.
Reference levels are read from the model frame the fit used, in the order the engine
coded them (categorical order, else sorted values, as formulaic does).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

_LEVEL = re.compile(r"^(?P<var>.+?)\[(?:T\.)?(?P<level>.*)\]$")
INTERCEPT_NAMES = {"Intercept", "(Intercept)"}

_UNITS = {
    "day": "day",
    "days": "day",
    "week": "week",
    "weeks": "week",
    "month": "month",
    "months": "month",
    "year": "year",
    "years": "year",
    "hour": "hour",
    "hours": "hour",
    "minute": "minute",
    "minutes": "minute",
    "visit": "visit",
    "visits": "visit",
}


@dataclass(frozen=True)
class TermPart:
    variable: str
    level: str | None  # the non-reference level of a factor contrast, else None


def split_term(name: str) -> list[TermPart]:
    """``time:treatment[T.treated]`` -> [time, treatment=treated]."""
    parts = []
    for piece in _split_colons(name):
        match = _LEVEL.match(piece)
        if match:
            parts.append(TermPart(match.group("var"), match.group("level")))
        else:
            parts.append(TermPart(piece, None))
    return parts


def _split_colons(name: str) -> list[str]:
    """Split on ':' outside brackets and parentheses."""
    pieces, depth, current = [], 0, ""
    for ch in name:
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        if ch == ":" and depth == 0:
            pieces.append(current)
            current = ""
        else:
            current += ch
    pieces.append(current)
    return pieces


_SQUARE = re.compile(r"^I\((?P<var>.+?)\s*(?:\^|\*\*)\s*2\)$")


def squared_variable(term: str) -> str | None:
    """``time`` for the squared term ``I(time^2)``; None for any other term."""
    match = _SQUARE.match(term)
    return match.group("var").strip().strip("`") if match else None


def readable_term(term: str) -> str:
    """A term label for prose: ``I(time^2)`` reads ``time squared``; others unchanged."""
    variable = squared_variable(term)
    return f"{variable} squared" if variable else term


_FACTOR_CALL = re.compile(r"^(?:factor|as\.factor)\((?P<inner>.+)\)$")


def column_of(variable: str) -> str:
    """The data column behind a term variable: ``factor(time)`` -> ``time``."""
    match = _FACTOR_CALL.match(variable)
    if not match:
        return variable
    return match.group("inner").strip().strip("`")


def reference_level(data: pd.DataFrame | None, variable: str) -> str | None:
    """The reference (first) level of a factor column of the model frame."""
    variable = column_of(variable)
    if data is None or variable not in data.columns:
        return None
    column = data[variable]
    if isinstance(column.dtype, pd.CategoricalDtype):
        return str(column.cat.categories[0]) if len(column.cat.categories) else None
    values = column.dropna().unique()
    if len(values) == 0:
        return None
    try:
        return str(sorted(values)[0])
    except TypeError:
        return str(sorted(map(str, values))[0])


def contrast_words(part: TermPart, data: pd.DataFrame | None) -> str:
    """``treated vs control`` (or ``treatment = treated`` when the reference is unknown)."""
    ref = reference_level(data, part.variable)
    column = column_of(part.variable)
    if ref is None:
        return f"{column} = {part.level}"
    if re.fullmatch(r"-?\d+(\.\d+)?", part.level):
        # bare numbers say nothing without their variable: "time 3 vs 0"
        return f"{column} {part.level} vs {ref}"
    return f"{part.level} vs {ref}"


def per_unit(variable: str) -> str:
    """``per month`` for a column called months; ``per unit of age`` otherwise."""
    key = variable.lower()
    if key in _UNITS:
        return f"per {_UNITS[key]}"
    return f"per unit of {variable}"
