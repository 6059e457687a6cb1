"""Likelihood-ratio tests of the random-effect terms (lmerTest's ``ranova``).

Each random-effect term is reduced in turn, the rest of the model unchanged, and the
reduced model is refitted by the same method (REML or ML) to the same rows:

* a term with an intercept and slopes, ``(1 + x + z | g)``, loses one slope at a time
  (``x in (1 + x + z | g)``); so does a term without intercept and several slopes;
* a term with a single column, ``(1 | g)`` or ``(0 + x | g)``, is removed.

The statistic is LRT = 2 (logLik_full − logLik_reduced) with df the number of variance
parameters removed. When the last random term goes, the reduced model is the linear
model, whose (restricted) log-likelihood is R's ``logLik.lm(REML = )``:
½(−N (log 2π + 1 − log N + log RSS)) − Σ log|diag R| (the last term for REML only),
with N = n − p for REML and n for ML.

Removing variances puts the null hypothesis on the boundary of the parameter space,
so the plain χ² p value is conservative; each row also carries the p value of the
50:50 mixture of χ²(df − 1) and χ²(df) (Self and Liang 1987; Stram and Lee 1994).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from engine.compare import added_random_columns, boundary_p_value
from engine.distributions import chi2_upper
from engine.errors import LmmInputError
from grammar.formula import ModelFormula, RandomTerm


@dataclass(frozen=True)
class RandomTermTest:
    """One reduction: ``label`` as lmerTest names it, the reduced formula, its fit
    statistics and the likelihood-ratio test against the full model."""

    label: str
    #: the grouping factor and the column that goes: "(Intercept)" or a slope's term
    group: str
    column: str
    formula: str
    npar: int
    loglik: float
    aic: float
    lrt: float
    df: int
    p: float
    p_boundary: float
    singular: bool = False
    converged: bool = True
    #: whether one random-effect column goes, for which ``p_boundary`` is exact
    #: (engine.compare's note); with several it is an approximation
    boundary_exact: bool = True


@dataclass(frozen=True)
class RandomEffectsTests:
    """The full model's statistics and one test per reduction."""

    formula: str
    method: str
    npar: int
    loglik: float
    aic: float
    tests: tuple[RandomTermTest, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": "random_effects_tests",
            "formula": self.formula,
            "method": self.method,
            "npar": self.npar,
            "loglik": self.loglik,
            "aic": self.aic,
            "tests": [vars(t) for t in self.tests],
        }


@dataclass(frozen=True)
class Reduction:
    """One reduction of ranova: its label, the column that goes, and the random-term
    texts of the reduced model."""

    label: str
    group: str
    column: str
    kept_terms: tuple[str, ...]


def reductions(formula: ModelFormula) -> list[Reduction]:
    """Every reduction ranova makes, term by term (see the module)."""
    terms = formula.random_terms
    out = []
    for k, term in enumerate(terms):
        others = [t.text() for i, t in enumerate(terms) if i != k]
        group = term.group_label
        if (1 if term.intercept else 0) + len(term.terms) == 1:
            column = "(Intercept)" if term.intercept else term.terms[0].label
            out.append(Reduction(term.text(), group, column, tuple(others)))
            continue
        for j, dropped in enumerate(term.terms):
            kept = RandomTerm(
                intercept=term.intercept,
                terms=term.terms[:j] + term.terms[j + 1:],
                group=term.group,
            )
            out.append(
                Reduction(
                    f"{dropped.label} in {term.text()}",
                    group,
                    dropped.label,
                    (*others[:k], kept.text(), *others[k:]),
                )
            )
    return out


def random_effects_tests(fit: Any) -> RandomEffectsTests:
    """lmerTest's ``ranova(fit)``: see the module."""
    from engine.lmm import fit_lmm

    formula = fit.model_formula
    data = fit.data
    lhs = f"{formula.response_label} ~ {formula.fixed_text()}"
    tests = []
    for reduction in reductions(formula):
        kept = reduction.kept_terms
        if kept:
            reduced = f"{lhs} + {' + '.join(kept)}"
            small = fit_lmm(reduced, data, reml=fit.reml, ddf="residual",
                            optimizer=fit.optimizer)
            npar, loglik = int(small.npar), float(small.loglik)
            singular, converged = bool(small.singular), bool(small.converged)
            removed = added_random_columns(small, fit)
        else:
            reduced = lhs
            npar, loglik = linear_model_loglik(fit)
            singular, converged = False, True
            removed = sum(int(t.n_columns) for t in fit.model.terms)
        df = int(fit.npar) - npar
        lrt = max(2.0 * (float(fit.loglik) - loglik), 0.0)
        tests.append(
            RandomTermTest(
                label=reduction.label,
                group=reduction.group,
                column=reduction.column,
                formula=reduced,
                npar=npar,
                loglik=loglik,
                aic=-2.0 * loglik + 2.0 * npar,
                lrt=lrt,
                df=df,
                p=float(chi2_upper(lrt, df)),
                p_boundary=boundary_p_value(lrt, df),
                singular=singular,
                converged=converged,
                boundary_exact=removed == 1,
            )
        )
    return RandomEffectsTests(
        formula=fit.formula,
        method=fit.method,
        npar=int(fit.npar),
        loglik=float(fit.loglik),
        aic=float(fit.aic),
        tests=tuple(tests),
    )


def linear_model_loglik(fit: Any) -> tuple[int, float]:
    """(npar, log-likelihood) of the fit's fixed part as a linear model, REML when the
    fit is REML (R's ``logLik.lm``)."""
    X = np.asarray(fit.model.X, dtype=float)
    y = np.asarray(fit.model.y, dtype=float)
    n, p = X.shape
    q, r = np.linalg.qr(X)
    residuals = y - q @ (q.T @ y)
    rss = float(residuals @ residuals)
    if rss <= 0:
        raise LmmInputError(
            "The fixed effects fit the outcome exactly, so there is no residual variance "
            "to test the random effects against."
        )
    N = n - p if fit.reml else n
    value = 0.5 * (-N * (np.log(2 * np.pi) + 1.0 - np.log(N) + np.log(rss)))
    if fit.reml:
        value -= float(np.sum(np.log(np.abs(np.diag(r)))))
    return p + 1, float(value)
