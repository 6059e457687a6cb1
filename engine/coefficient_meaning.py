"""Which fixed-effect coefficients a user names, and the simple effects that say what a
two-way interaction coefficient means.

A two-way interaction coefficient β_AB is a difference of two effects: the effect of A
when B is at its reference level (or zero) is the main-effect coefficient β_A; when B is
at the coded level (or one unit up) it is β_A + β_AB. ``coefficient_meaning`` computes
that second effect as the linear combination c'β̂ with c = e_A + e_AB, tested with the
fit's own degrees of freedom (Satterthwaite per contrast as lmerTest's ``contest1D``,
Kenward-Roger as pbkrtest, residual or asymptotic df), through
``engine.marginal_means.contrast_tests``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np

from engine.errors import LmmInputError
from engine.marginal_means import ContrastTest, contrast_tests

INTERCEPT = "(Intercept)"


@dataclass(frozen=True)
class SimpleEffect:
    """The effect a two-way interaction coefficient modifies, at the other variable's coded
    level (or one unit up): ``main_term`` + ``interaction_term``.

    ``main_term`` is the main-effect coefficient (the effect at the reference level or at
    zero of ``other_term``'s variable); ``test`` is the combination β_main + β_interaction
    with its standard error, df, t, p and interval.
    """

    interaction_term: str
    main_term: str
    other_term: str
    main_estimate: float
    test: ContrastTest

    def to_dict(self) -> dict[str, Any]:
        return {
            "interaction_term": self.interaction_term,
            "main_term": self.main_term,
            "other_term": self.other_term,
            "main_estimate": self.main_estimate,
            "estimate": self.test.estimate, "se": self.test.se, "df": self.test.df,
            "t": self.test.t, "p": self.test.p,
            "lower": self.test.lower, "upper": self.test.upper,
        }


@dataclass(frozen=True)
class CoefficientMeaning:
    """The coefficients (fixed-effect names, in the fit's order) a request named, and for
    each two-way interaction among them its simple effect."""

    asked: str
    terms: tuple[str, ...]
    simple_effects: tuple[SimpleEffect, ...]
    level: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": "coefficient_meaning",
            "asked": self.asked,
            "terms": list(self.terms),
            "simple_effects": [s.to_dict() for s in self.simple_effects],
            "level": self.level,
        }


def split_colons(name: str) -> list[str]:
    """``time:treatment[T.treated]`` -> [``time``, ``treatment[T.treated]``]; colons inside
    brackets or parentheses are kept."""
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


def interaction_terms(fit: Any, term: str) -> tuple[str, ...]:
    """The fixed-part interaction terms (R labels, ``time:treatment``) that contain the
    main-effect term ``term``; then ``term``'s coefficient is its effect where the other
    variables of those interactions are at their reference level or zero."""
    return tuple(label for label in fit.fixed_term_columns
                 if ":" in label and term in [p.strip() for p in split_colons(label)])


_ONE_ARGUMENT_CALL = re.compile(r"^[A-Za-z_.][\w.]*\(\s*([A-Za-z_.][\w.]*)\s*\)$")


def _variable(piece: str) -> str:
    """``treatment[T.treated]`` -> ``treatment``; ``factor(time)[T.3]`` -> ``time``."""
    name = piece.split("[", 1)[0] if piece.endswith("]") else piece
    call = _ONE_ARGUMENT_CALL.match(name)
    return call.group(1) if call else name


def _level(piece: str) -> str | None:
    """``treatment[T.treated]`` -> ``treated``; None for a numeric column."""
    if not piece.endswith("]") or "[" not in piece:
        return None
    inside = piece.split("[", 1)[1][:-1]
    return inside[2:] if inside.startswith("T.") else inside


def _key(text: str) -> tuple[str, ...]:
    return tuple(sorted(part.strip().casefold() for part in split_colons(text)))


def _variables_key(name: str) -> tuple[str, ...]:
    """The variables of a coefficient, without levels or a one-argument call around them."""
    return tuple(sorted(_variable(p).casefold() for p in split_colons(name)))


def match_coefficients(fit: Any, asked: str | None, *, interaction: bool = False) -> list[str]:
    """The fixed-effect names a request means: ``asked`` as a coefficient name, an R term
    label (``time:treatment`` in any order of its variables), ``intercept``, or a factor
    level (``treated``); with ``interaction`` every interaction coefficient.

    Raises LmmInputError naming the model's coefficients when nothing matches.
    """
    names = list(fit.fixed_names)
    if interaction:
        found = [n for n in names if len(split_colons(n)) > 1]
        if not found:
            raise LmmInputError(
                f"The model has no interaction term; its coefficients are {_listed(names)}."
            )
        return found
    text = (asked or "").strip()
    key = _key(text)
    if key in {("intercept",), ("(intercept)",)}:
        found = [n for n in names if n == INTERCEPT]
    else:
        found = [n for n in names if _key(n) == key]
        if not found:
            columns = fit.fixed_term_columns
            for label, indices in columns.items():
                if _key(label) == key:
                    found += [names[i] for i in indices if i < len(names)]
        if not found:
            found = [n for n in names if _variables_key(n) == key]
        if not found:
            found = [
                n for n in names
                if tuple(sorted((_level(p) or _variable(p)).casefold() for p in split_colons(n)))
                == key
            ]
    if not found:
        raise LmmInputError(
            f"The model has no coefficient called {text!r}; its coefficients are "
            f"{_listed(names)}."
        )
    return [n for n in names if n in found]


def _listed(names: list[str]) -> str:
    quoted = [f"`{n}`" for n in names]
    if len(quoted) < 2:
        return "".join(quoted) or "none"
    return ", ".join(quoted[:-1]) + " and " + quoted[-1]


def _modified_piece(pieces: list[str], names: list[str]) -> int | None:
    """Which part of a two-way interaction the simple effect is about: the numeric one
    (a slope that differs between levels), else the second factor (its difference at the
    first factor's level), provided its main-effect coefficient is in the model."""
    numeric = [i for i, p in enumerate(pieces) if _level(p) is None]
    if len(numeric) == 1:
        order = [numeric[0], 1 - numeric[0]]
    elif not numeric:
        order = [1, 0]
    else:
        order = [0, 1]
    for index in order:
        if pieces[index] in names:
            return index
    return None


def coefficient_meaning(
    fit: Any, asked: str | None, *, interaction: bool = False, level: float = 0.95
) -> CoefficientMeaning:
    """The coefficients named and, for each two-way interaction, β_main + β_interaction."""
    terms = match_coefficients(fit, asked, interaction=interaction)
    names = list(fit.fixed_names)
    beta = np.asarray(fit.beta, dtype=float)
    effects: list[SimpleEffect] = []
    for term in terms:
        pieces = split_colons(term)
        if len(pieces) != 2:
            continue
        index = _modified_piece(pieces, names)
        if index is None:
            continue
        main = pieces[index]
        row = np.zeros(len(names))
        row[names.index(main)] = 1.0
        row[names.index(term)] = 1.0
        (test,), _ = contrast_tests(fit, row[None, :], level)
        effects.append(
            SimpleEffect(term, main, pieces[1 - index], float(beta[names.index(main)]), test)
        )
    return CoefficientMeaning(asked or "", tuple(terms), tuple(effects), level)
