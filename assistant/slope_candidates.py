"""Which slope a question means when it does not name one.

"Does the slope vary between patients?" and "which subject is most affected by sleep
deprivation?" speak of *the* slope. A model's random slopes are read from its random
terms (lme4's ``(1 + x | g)``: every column of a term other than the intercept). When
the model has none, the candidates are the predictors a random slope by ``g`` could be
fitted for: numeric main effects of the fixed part that change within at least one
level of ``g`` (a predictor constant within each level, such as a treatment arm given
per patient, has no within-level slope to vary: its effect is confounded with the
random intercept).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

INTERCEPT = "(Intercept)"


def random_slopes(fit: Any, group: str | None = None) -> list[tuple[str, str]]:
    """The model's random slopes as (grouping factor, column) pairs, in the order of its
    random terms; only those by ``group`` when given."""
    found: list[tuple[str, str]] = []
    for term in fit.model.terms:
        if group is not None and term.group != group:
            continue
        for column in term.columns:
            pair = (str(term.group), str(column))
            if column != INTERCEPT and pair not in found:
                found.append(pair)
    return found


def random_slope_variables(fit: Any, group: str | None = None) -> list[tuple[str, str]]:
    """The model's random slopes as (grouping factor, variable) pairs, the variable as
    the formula names it: a factor's slope ``(1 + condition | rater)`` is the one
    variable ``condition``, however many columns (``condition[T.B]``, ...) it has."""
    found: list[tuple[str, str]] = []
    for term in fit.model_formula.random_terms:
        label = str(term.group_label)
        if group is not None and label != group:
            continue
        for slope in term.terms:
            pair = (label, str(slope.label))
            if pair not in found:
                found.append(pair)
    return found


def has_random_slope(fit: Any, variable: str, group: str | None = None) -> bool:
    """Whether the model has a random slope of ``variable`` (a column, or a factor
    named as in the formula), by ``group`` when given."""
    return any(v == variable for _, v in random_slope_variables(fit, group)) or any(
        c == variable for _, c in random_slopes(fit, group))


def within_group_predictors(fit: Any, group: str, *, factors: bool = False) -> list[str]:
    """Numeric main effects of the fixed part that change within some level of
    ``group`` (an interaction grouping ``a:b`` counts each combination as a level);
    with ``factors``, also the factors (text, category or logical columns) whose level
    changes within some level of ``group``: their random slope is one deviation per
    non-reference level (``(1 + condition | rater)``)."""
    data = fit.data
    keys = group.split(":")
    if not all(k in data.columns for k in keys):
        return []
    found = []
    for term in fit.model_formula.fixed_terms:
        name = str(term.label)
        if ":" in name or name not in data.columns or name in keys:
            continue
        numeric = pd.api.types.is_numeric_dtype(data[name]) and not pd.api.types.is_bool_dtype(
            data[name])
        if not numeric and not factors:
            continue
        if int(data.groupby(keys, observed=True)[name].nunique().max()) > 1:
            found.append(name)
    return found
