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


def within_group_predictors(fit: Any, group: str) -> list[str]:
    """Numeric main effects of the fixed part that change within some level of
    ``group`` (an interaction grouping ``a:b`` counts each combination as a level)."""
    data = fit.data
    keys = group.split(":")
    if not all(k in data.columns for k in keys):
        return []
    found = []
    for term in fit.model_formula.fixed_terms:
        name = str(term.label)
        if ":" in name or name not in data.columns or name in keys:
            continue
        if not pd.api.types.is_numeric_dtype(data[name]) or pd.api.types.is_bool_dtype(
            data[name]
        ):
            continue
        if int(data.groupby(keys, observed=True)[name].nunique().max()) > 1:
            found.append(name)
    return found
