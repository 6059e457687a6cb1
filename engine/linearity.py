"""Is the effect of a numeric predictor linear? A likelihood-ratio test against one mean
per value.

The model with the predictor ``x`` as a straight line is nested in the same model with
``factor(x)`` in its place in the fixed part (one coefficient per distinct value but
the first): the factor model fits any shape through the means at each value, the line
one shape. Their fixed effects differ, so both are fitted by maximum likelihood and
compared by the likelihood-ratio statistic 2 (logLik_factor − logLik_line), χ² with
(distinct values − 2) df for a main effect (more when ``x`` interacts with a factor),
as lme4's ``anova(line, factor)`` computes it (both ``REML = FALSE``). The random part
is left as it was, so a random slope keeps the numeric ``x``. This is the classical lack-of-fit
test of a linear trend against the saturated "one mean per value" model (e.g. Fitzmaurice,
Laird & Ware 2011, *Applied Longitudinal Analysis*, ch. 6, for a time trend).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from engine.errors import LmmInputError
from grammar.formula import Call, Var

#: Most distinct values the factor model may spend a coefficient on.
MAX_DISTINCT_VALUES = 20


@dataclass(frozen=True)
class LinearityTest:
    """The line against one mean per value, both fitted by ML.

    ``values``: the predictor's distinct values; ``linear_*``/``stepwise_*``: formula,
    number of parameters, log-likelihood, AIC and BIC of the two ML fits; ``chisq``,
    ``df``, ``p``: the likelihood-ratio test; ``stepwise_converged``/``stepwise_singular``:
    the factor model's convergence and singularity flags; ``random_slope``: the predictor
    has a random slope (kept numeric in both models)."""

    variable: str
    values: tuple[float, ...]
    linear_formula: str
    stepwise_formula: str
    linear_npar: int
    stepwise_npar: int
    linear_loglik: float
    stepwise_loglik: float
    linear_aic: float
    stepwise_aic: float
    linear_bic: float
    stepwise_bic: float
    chisq: float
    df: int
    p: float
    stepwise_converged: bool
    stepwise_singular: bool
    random_slope: bool

    @property
    def n_values(self) -> int:
        return len(self.values)

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["values"] = list(self.values)
        return {"kind": "linearity_test", **out}


def stepwise_formula(fit: Any, variable: str) -> str:
    """The fit's formula with ``variable`` as ``factor(variable)`` wherever it is a plain
    factor of a fixed term; the random part as written."""
    formula = fit.model_formula
    plain = Var(variable)
    stepwise = Call("factor", (plain,)).text()
    fixed = []
    found = False
    for term in formula.fixed_terms:
        parts = []
        for expr in term.factors:
            if expr == plain:
                parts.append(stepwise)
                found = True
            else:
                parts.append(expr.text())
        fixed.append(":".join(parts))
    if not found:
        raise LmmInputError(
            f"{variable} is not a plain term of the model's fixed part, so its linearity "
            f"cannot be tested; fit a model with {variable} as a predictor first."
        )
    if not formula.intercept:
        fixed = ["0", *fixed]
    random = [b.text() for b in formula.written_random]
    return f"{formula.response_label} ~ {' + '.join(fixed + random)}"


def _check_variable(fit: Any, variable: str) -> tuple[float, ...]:
    """The predictor's distinct values; refuses what the test cannot be made on."""
    formula = fit.model_formula
    transformed = [
        t.label for t in formula.fixed_terms
        for expr in t.factors
        if expr != Var(variable) and variable in _names(expr)
    ]
    if transformed:
        raise LmmInputError(
            f"The model already has {variable} in a transformed term ({transformed[0]}); the "
            f"linearity test compares a straight line in {variable} with one mean per value, "
            f"so ask it of a model with {variable} as a plain term only."
        )
    column = fit.data[variable]
    if not np.issubdtype(np.asarray(column).dtype, np.number):
        raise LmmInputError(
            f"{variable} is a factor, not a number, so it has no straight-line effect to "
            "test."
        )
    values = tuple(float(v) for v in np.unique(np.asarray(column, float)))
    if len(values) < 3:
        raise LmmInputError(
            f"{variable} takes only {len(values)} distinct values, and a straight line passes "
            "through any two means exactly: there is no departure from linearity to test."
        )
    if len(values) > MAX_DISTINCT_VALUES:
        raise LmmInputError(
            f"{variable} takes {len(values)} distinct values; one mean per value would spend "
            f"{len(values) - 1} coefficients. Test a curve instead: `add {variable} squared`, "
            "then compare the two models."
        )
    return values


def _names(expr: Any) -> tuple[str, ...]:
    from grammar.formula import variables_in

    return variables_in(expr)


def linearity_test(fit: Any, variable: str) -> LinearityTest:
    """The likelihood-ratio test of a straight line in ``variable`` against one mean per
    distinct value of it (see the module), both models fitted by ML on the fit's rows."""
    from scipy import stats  # imported here: scipy.stats loads slowly

    from engine.lmm import fit_lmm

    values = _check_variable(fit, variable)
    linear_text = fit.model_formula.text()
    stepwise_text = stepwise_formula(fit, variable)
    data = fit.data
    linear = fit_lmm(linear_text, data, reml=False, ddf="residual", optimizer=fit.optimizer)
    stepwise = fit_lmm(stepwise_text, data, reml=False, ddf="residual",
                       optimizer=fit.optimizer)
    df = int(stepwise.npar) - int(linear.npar)
    chisq = max(2.0 * (float(stepwise.loglik) - float(linear.loglik)), 0.0)
    p = float(stats.chi2.sf(chisq, df)) if df > 0 else math.nan
    return LinearityTest(
        variable=variable,
        values=values,
        linear_formula=linear_text,
        stepwise_formula=stepwise_text,
        linear_npar=int(linear.npar),
        stepwise_npar=int(stepwise.npar),
        linear_loglik=float(linear.loglik),
        stepwise_loglik=float(stepwise.loglik),
        linear_aic=float(linear.aic),
        stepwise_aic=float(stepwise.aic),
        linear_bic=float(linear.bic),
        stepwise_bic=float(stepwise.bic),
        chisq=chisq,
        df=df,
        p=p,
        stepwise_converged=bool(stepwise.converged),
        stepwise_singular=bool(stepwise.singular),
        random_slope=any(variable in term.columns for term in fit.model.terms),
    )
