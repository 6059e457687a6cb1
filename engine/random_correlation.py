"""The correlations between random effects of one grouping factor, with profile intervals.

A random term ``(1 + Days | Subject)`` estimates the correlation between the subjects'
intercepts and slopes; its interval here is lme4's profile interval
(``confint(m, method = "profile")``, row ``cor_Days.(Intercept)|Subject``), from the ML
profile deviance (:func:`engine.profile.profile_confint`). Whether the correlation is
needed is answered by the likelihood-ratio test of the model against the same model with
``||`` (:func:`engine.compare.compare_models`): one df per correlation, and no boundary
correction, since a correlation of zero lies inside its range (unlike a variance of
zero; Self & Liang 1987, Stram & Lee 1994).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from engine.errors import LmmInputError


@dataclass(frozen=True)
class RandomCorrelation:
    """One correlation of lme4's ``VarCorr()``: between the random effects ``term1`` and
    ``term2`` of grouping factor ``group``; ``lower``/``upper`` the profile interval
    (None when the profile was not computed)."""

    group: str
    term1: str
    term2: str
    estimate: float
    lower: float | None
    upper: float | None

    @property
    def profile_name(self) -> str:
        """lme4's name of the parameter in ``confint()``: ``cor_Days.(Intercept)|Subject``."""
        return f"cor_{self.term2}.{self.term1}|{self.group}"


@dataclass(frozen=True)
class RandomCorrelations:
    """Every random-effect correlation of a fit. ``level`` of the profile intervals;
    ``profile_problem`` the reason they are missing (the profile's own message, e.g. a
    model too large to profile in time), else None. ``criterion`` ("REML"/"ML") of the
    fit, the likelihood a test of the correlations against the ``||`` model uses."""

    correlations: tuple[RandomCorrelation, ...]
    level: float
    profile_problem: str | None
    criterion: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": "random_correlations",
            "level": self.level,
            "criterion": self.criterion,
            "profile_problem": self.profile_problem,
            "correlations": [
                {"group": c.group, "term1": c.term1, "term2": c.term2,
                 "estimate": c.estimate, "lower": c.lower, "upper": c.upper}
                for c in self.correlations
            ],
        }


def random_correlations(fit: Any, level: float = 0.95, profile: bool = True) -> RandomCorrelations:
    """The fit's random-effect correlations and, with ``profile``, their profile intervals.

    Raises :class:`LmmInputError` when the model estimates no correlation.
    """
    rows = [
        v for v in fit.variance_components
        if v.var2 is not None and v.group != "Residual"
    ]
    if not rows:
        raise LmmInputError(
            "The model estimates no correlation between random effects (it needs a term "
            "such as (1 + x | g)); there is no correlation to test."
        )
    intervals: dict[str, tuple[float, float]] = {}
    problem = None
    if profile:
        from engine.profile import confint

        try:
            table = confint(fit, "profile", level)
        except LmmInputError as exc:
            problem = str(exc)
        else:
            for _, r in table.iterrows():
                intervals[str(r["parameter"])] = (float(r["lower"]), float(r["upper"]))
    correlations = []
    for v in rows:
        base = RandomCorrelation(str(v.group), str(v.var1), str(v.var2), float(v.sdcor),
                                 None, None)
        lower, upper = intervals.get(base.profile_name, (math.nan, math.nan))
        if math.isfinite(lower) and math.isfinite(upper):
            base = RandomCorrelation(base.group, base.term1, base.term2, base.estimate,
                                     lower, upper)
        correlations.append(base)
    return RandomCorrelations(tuple(correlations), level, problem,
                              "REML" if fit.reml else "ML")
