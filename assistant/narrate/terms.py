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

from engine.coefficient_meaning import split_colons

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
    for piece in split_colons(name):
        match = _LEVEL.match(piece)
        if match:
            parts.append(TermPart(match.group("var"), match.group("level")))
        else:
            parts.append(TermPart(piece, None))
    return parts


_SQUARE = re.compile(r"^I\((?P<var>.+?)\s*(?:\^|\*\*)\s*2\)$")


def squared_variable(term: str) -> str | None:
    """``time`` for the squared term ``I(time^2)``; None for any other term."""
    match = _SQUARE.match(term)
    return match.group("var").strip().strip("`") if match else None


_SCALE = re.compile(r"^scale\((?P<var>[^,()]+)\)$")
_POLY = re.compile(r"^poly\((?P<var>[^,()]+),\s*(?P<degree>\d+)[^()]*\)(?P<power>\d+)$")
_POWER_WORDS = {1: "linear", 2: "quadratic", 3: "cubic"}


def scaled_variable(term: str) -> str | None:
    """``age`` for the standardized term ``scale(age)``; None for any other term."""
    match = _SCALE.match(term)
    return match.group("var").strip().strip("`") if match else None


def polynomial_words(term: str) -> str | None:
    """``the linear orthogonal polynomial term of age`` for ``poly(age, 2)1``; else None.

    R's ``poly()`` columns are orthogonal polynomials, not powers of the variable, so
    their coefficients are not slopes per unit of it."""
    match = _POLY.match(term)
    if not match:
        return None
    power = int(match.group("power"))
    name = _POWER_WORDS.get(power, f"degree-{power}")
    variable = match.group("var").strip().strip("`")
    return f"the {name} orthogonal polynomial term of {variable}"


def coefficient_words(term: str) -> tuple[str, str] | None:
    """For a ``poly()`` coefficient, the sentence's subject (``The linear orthogonal
    polynomial term of age (poly(age, 2)1)``) and, on the linear term only, a caveat that
    it is not a per-unit slope (empty on the others); None for any other term."""
    words = polynomial_words(term)
    match = _POLY.match(term)
    if words is None or match is None:
        return None
    variable = match.group("var").strip().strip("`")
    caveat = (
        f" Orthogonal polynomial coefficients are not slopes per unit of {variable}; "
        "predictions show the fitted curve."
    )
    return f"{words[0].upper()}{words[1:]} ({term})", caveat if match["power"] == "1" else ""


def readable_term(term: str) -> str:
    """A term label for prose: ``I(time^2)`` reads ``time squared``, ``scale(age)``
    ``age (standardized)``, ``poly(age, 2)1`` ``linear orthogonal polynomial term of age``;
    others unchanged."""
    variable = squared_variable(term)
    if variable:
        return f"{variable} squared"
    scaled = scaled_variable(term)
    if scaled:
        return f"{scaled} (standardized)"
    poly = polynomial_words(term)
    if poly:
        return poly.removeprefix("the ")
    return term


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
