"""Is a fixed effect beyond (or within) a threshold that matters in practice?

A question such as "is the treatment effect larger than 10 points?" names a smallest
effect worth having (in clinical research the minimal clinically important difference).
A test of beta = 0 does not answer it. Three one-sided t tests on the coefficient's own
row (estimate, SE and df of the fit's method: Satterthwaite, Kenward-Roger, residual or
asymptotic), all with t = (estimate - bound) / SE:

* ``minimum_effect`` (threshold delta > 0, "larger than"): H0 |beta| <= delta against
  H1 |beta| > delta, tested on the side of the estimate: p = P(T_df >= (|b| - delta) / SE).
  The two rejection regions (b far above +delta, b far below -delta) are disjoint, so
  the size at |beta| = delta is alpha plus a term that vanishes as delta/SE grows; this
  is the minimum-effect test of Murphy & Myors (1999, *J. Appl. Psychol.* 84:234-248),
  a superiority-by-a-margin test in trial language (ICH E9).
* ``equivalence`` (delta > 0, "smaller than"): H0 |beta| >= delta against H1
  |beta| < delta, Schuirmann's (1987) two one-sided tests: p = max(P(T >= (b + delta) /
  SE), P(T <= (b - delta) / SE)), which is below alpha exactly when the two-sided
  (1 - 2 alpha) interval lies inside (-delta, delta).
* ``signed`` (delta <= 0, or zero): the literal one-sided hypothesis beta > delta
  ("higher") or beta < delta ("lower").

The t statistic is lmerTest's ``contest1D(model, L, rhs = bound)`` for the coefficient's
unit contrast L; the p values here are its one-sided tails.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from engine.coefficient_meaning import interaction_terms, match_coefficients
from engine.distributions import t_quantile, t_upper_tail
from engine.errors import LmmInputError


@dataclass(frozen=True)
class ThresholdTest:
    """One coefficient against a threshold (see the module). ``kind`` is
    "minimum_effect", "equivalence" or "signed"; ``side`` +1 or -1 is the direction of
    the hypothesis H1 (for ``minimum_effect`` the side of the estimate); ``t_lower`` and
    ``t_upper`` are the two statistics of an equivalence test (else both ``t``);
    ``bound`` is the (1 - alpha) one-sided confidence bound on the tested side, and
    ``tost_lower``..``tost_upper`` the two-sided (1 - 2 alpha) interval, whose lying
    inside (-threshold, threshold) is the equivalence test; ``ci_lower``..``ci_upper`` is
    the fit's own interval at its ``level``; ``interactions`` the fixed terms that also
    involve the coefficient's term (then the coefficient is a conditional effect)."""

    term: str
    response: str
    estimate: float
    se: float
    df: float
    ddf_method: str
    threshold: float
    direction: str
    kind: str
    side: int
    t: float
    t_lower: float
    t_upper: float
    p: float
    alpha: float
    bound: float
    tost_lower: float
    tost_upper: float
    level: float
    ci_lower: float
    ci_upper: float
    interactions: tuple[str, ...] = ()

    @property
    def supported(self) -> bool:
        """Whether the data support H1 at level ``alpha``."""
        return self.p < self.alpha


def threshold_test(fit: Any, term: str | None, threshold: float, direction: str,
                   *, alpha: float | None = None) -> ThresholdTest:
    """Test the coefficient ``term`` names against ``threshold`` in ``direction``
    ("higher" or "lower"); ``alpha`` defaults to one minus the fit's confidence level."""
    if direction not in ("higher", "lower"):
        raise ValueError(f"direction must be 'higher' or 'lower', not {direction!r}")
    names = match_coefficients(fit, term)
    if len(names) != 1:
        raise LmmInputError(
            f"'{term}' stands for {len(names)} coefficients ({', '.join(names)}); name one "
            "of them to compare it with a threshold."
        )
    row = next(fe for fe in fit.fixed_effects if fe.term == names[0])
    if not (math.isfinite(row.se) and row.se > 0):
        raise LmmInputError(f"The coefficient {row.term} has no standard error to test it.")
    alpha = 1.0 - float(fit.level) if alpha is None else float(alpha)
    b, se, df, delta = float(row.estimate), float(row.se), float(row.df), float(threshold)
    critical = t_quantile(1.0 - alpha, df)
    if delta > 0 and direction == "higher":
        side = 1 if b >= 0 else -1
        t = (abs(b) - delta) / se
        p = t_upper_tail(t, df)
        kind, t_lower, t_upper = "minimum_effect", t, t
        bound = b - side * critical * se
    elif delta > 0:
        side = 1 if b >= 0 else -1
        t_lower, t_upper = (b + delta) / se, (b - delta) / se
        p = max(t_upper_tail(t_lower, df), t_upper_tail(-t_upper, df))
        t = t_lower if t_upper_tail(t_lower, df) >= t_upper_tail(-t_upper, df) else t_upper
        kind = "equivalence"
        bound = b + side * critical * se
    else:
        side = 1 if direction == "higher" else -1
        t = (b - delta) / se
        p = t_upper_tail(side * t, df)
        kind, t_lower, t_upper = "signed", t, t
        bound = b - side * critical * se
    return ThresholdTest(
        term=row.term, response=str(fit.response_name), estimate=b, se=se, df=df,
        ddf_method=str(fit.ddf_method), threshold=delta, direction=direction, kind=kind,
        side=side, t=t, t_lower=t_lower, t_upper=t_upper, p=p, alpha=alpha, bound=bound,
        tost_lower=b - critical * se, tost_upper=b + critical * se, level=float(fit.level),
        ci_lower=float(row.ci_lower), ci_upper=float(row.ci_upper),
        interactions=_interactions_of(fit, row.term),
    )


def _interactions_of(fit: Any, name: str) -> tuple[str, ...]:
    """The interaction terms that contain the main-effect term of coefficient ``name``."""
    index = list(fit.fixed_names).index(name)
    label = next((t for t, cols in fit.fixed_term_columns.items() if index in cols), name)
    return () if ":" in label else interaction_terms(fit, label)
