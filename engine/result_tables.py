"""A fit's results as data frames, for files and for readers that want tables.

Column names follow the packages people compare with: the coefficient table as
lmerTest's ``summary()`` with Wald-t intervals (``term, estimate, se, df, t, p,
ci_lower, ci_upper``), the variance components as lme4's ``as.data.frame(VarCorr(m))``
(``grp, var1, var2, vcov, sdcor``; ``var2`` empty on variance rows, the last row
``Residual``), and the random effects as the fit JSON's ``random_effects`` (CONTRACTS §3:
``group, term, level, value, cond_sd``; lme4's ``as.data.frame(ranef(m, condVar =
TRUE))`` calls them grpvar, term, grp, condval, condsd).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

FIXED_EFFECT_COLUMNS = ("term", "estimate", "se", "df", "t", "p", "ci_lower", "ci_upper")
VARIANCE_COLUMNS = ("grp", "var1", "var2", "vcov", "sdcor")
RANDOM_EFFECT_COLUMNS = ("group", "term", "level", "value", "cond_sd")


def fixed_effects_table(fit: Any) -> pd.DataFrame:
    """One row per coefficient, in the fit's order."""
    rows = [[getattr(fe, c) for c in FIXED_EFFECT_COLUMNS] for fe in fit.fixed_effects]
    return pd.DataFrame(rows, columns=list(FIXED_EFFECT_COLUMNS))


def variance_components_table(fit: Any) -> pd.DataFrame:
    """lme4's ``as.data.frame(VarCorr(m))``: variances, covariances, then the residual."""
    rows = [[vc.group, vc.var1, vc.var2, vc.vcov, vc.sdcor] for vc in fit.variance_components]
    return pd.DataFrame(rows, columns=list(VARIANCE_COLUMNS))


def random_effects_table(fit: Any) -> pd.DataFrame:
    """Every BLUP with its conditional SD, in lme4's ``ranef`` order."""
    columns = getattr(fit, "random_effect_columns", None)
    if columns is None:
        rows = [[e.group, e.term, str(e.level), e.value, e.cond_sd] for e in fit.random_effects]
        return pd.DataFrame(rows, columns=list(RANDOM_EFFECT_COLUMNS))
    return pd.DataFrame(
        {
            "group": columns.group,
            "term": columns.term,
            "level": [str(level) for level in columns.level],
            "value": np.asarray(columns.value, dtype=float),
            "cond_sd": np.asarray(columns.cond_sd, dtype=float),
        },
        columns=list(RANDOM_EFFECT_COLUMNS),
    )
