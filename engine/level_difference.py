"""The difference between two levels of a factor, in the order a question names them.

"Is condition B rated higher than A?" asks for mean(B) − mean(A): the pairwise
difference of the two estimated marginal means (Lenth's ``emmeans`` reference grid, see
:mod:`engine.marginal_means`), tested as one contrast with the fit's df method and no
multiplicity adjustment (one comparison is asked for). For a two-level factor under
treatment coding it is the factor's coefficient, or minus it when the question names the
reference level first.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from engine.errors import LmmInputError
from engine.marginal_means import ContrastTest, marginal_means
from engine.predict import factor_levels, fixed_part_variables


@dataclass(frozen=True)
class LevelDifference:
    """``first`` minus ``second`` of ``factor`` (``test``), and the grid it averages over."""

    factor: str
    first: str
    second: str
    response: str
    test: ContrastTest
    level: float
    df_method: str
    averaged_over: tuple[str, ...]
    #: predictors sharing an interaction with ``factor``: the difference then changes
    #: with them and this one is at the reference grid
    interacting: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        t = self.test
        return {
            "kind": "level_difference", "factor": self.factor, "first": self.first,
            "second": self.second, "response": self.response, "estimate": t.estimate,
            "se": t.se, "df": t.df, "t": t.t, "p": t.p, "lower": t.lower, "upper": t.upper,
            "level": self.level, "df_method": self.df_method,
            "averaged_over": list(self.averaged_over), "interacting": list(self.interacting),
        }


def factors_with_levels(fit: Any, first: str, second: str) -> list[str]:
    """The factors of the fixed part that have both levels (as written, any case)."""
    variables = fixed_part_variables(fit.model_formula, fit.data)
    found = []
    for factor in variables.factors:
        levels = {str(v).casefold() for v in factor_levels(fit.data[factor])}
        if first.casefold() in levels and second.casefold() in levels:
            found.append(factor)
    return found


def level_difference(
    fit: Any, factor: str, first: str, second: str, *, level: float = 0.95
) -> LevelDifference:
    """``first`` minus ``second``: the marginal means' difference with its test."""
    levels = [str(v) for v in factor_levels(fit.data[factor])]
    named = [_level_named(levels, word, factor) for word in (first, second)]
    if named[0] == named[1]:
        raise LmmInputError(
            f"Both levels named are {named[0]!r}; name two different levels of {factor}."
        )
    means = marginal_means(fit, factor, level=level, adjust="none")
    for diff in means.differences:
        if (diff.level1, diff.level2) == tuple(named):
            test = diff.test
        elif (diff.level2, diff.level1) == tuple(named):
            t = diff.test
            test = ContrastTest(-t.estimate, t.se, t.df, -t.t, t.p, -t.upper, -t.lower)
        else:
            continue
        return LevelDifference(
            factor, named[0], named[1], means.response, test, means.level,
            means.df_method, tuple(means.averaged_over), tuple(means.interacting),
        )
    raise LmmInputError(f"The levels {named[0]!r} and {named[1]!r} of {factor} were not compared.")


def _level_named(levels: list[str], word: str, factor: str) -> str:
    exact = [v for v in levels if v == word]
    exact = exact or [v for v in levels if v.casefold() == word.casefold()]
    if len(exact) == 1:
        return exact[0]
    raise LmmInputError(
        f"{factor} has no level {word!r}; its levels are {', '.join(levels)}."
    )
