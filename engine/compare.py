"""Comparison of nested linear mixed models: AIC/BIC table and likelihood-ratio tests.

``compare_models(fits, refit="ml")`` reproduces lme4's ``anova(m1, m2, ...)``: every fit is
refitted with maximum likelihood, rows are ordered by the number of parameters, and each row
is tested against the row before with χ² = difference of deviances on the difference of
parameter counts (lme4 clamps χ² at 0).

``refit="auto"`` refits with ML only when the fixed effects differ (REML criteria of models
with different fixed effects are not comparable, Pinheiro and Bates 2000, section 2.4.2),
and keeps REML when only the random part changes. ``refit="none"`` never refits and flags
an invalid likelihood-ratio test instead.

When two consecutive models share their fixed part and the larger one adds random-effect
variances, the null hypothesis puts a variance on the boundary of its parameter space and
the naive χ² p-value is conservative. The table then also carries ``p_boundary``, the
50:50 mixture of χ²(df−1) and χ²(df) (Self and Liang 1987; Stram and Lee 1994). That
mixture is the null distribution when the larger model adds one random-effect column
(with its covariances); when it adds several at once (the slope of a factor of three or
more levels, two slopes) the null is a mixture with weights that have no closed form,
and ``boundary_exact`` (False) says the 50:50 value is then an approximation.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from engine.distributions import chi2_upper
from engine.errors import LmmInputError

REFIT_MODES = ("auto", "ml", "none")

#: Reason codes for ``ModelComparison.refit_reason`` (rendered into words by the narration).
REASON_REQUESTED = "requested"  # refit="ml"
REASON_FIXED_EFFECTS_DIFFER = "fixed_effects_differ"  # auto: REML criteria not comparable
REASON_MIXED_METHODS = "mixed_methods"  # auto: some fits REML, some ML
REASON_SAME_FIXED_EFFECTS = "same_fixed_effects"  # auto: REML kept, only random parts differ
REASON_ALREADY_ML = "already_ml"  # every fit was ML already
REASON_NOT_REQUESTED = "not_requested"  # refit="none"

TABLE_COLUMNS = [
    "formula",
    "npar",
    "AIC",
    "BIC",
    "logLik",
    "deviance",
    "Chisq",
    "Df",
    "p",
    "p_boundary",
    "boundary_exact",
]


@dataclass(frozen=True)
class ModelComparison:
    """The comparison table and how it was obtained.

    ``table`` has one row per model, ordered by ``npar``, with the columns of
    :data:`TABLE_COLUMNS`; ``deviance`` is −2 log-likelihood under ``criterion``
    (``"ML"``, or ``"REML"`` for restricted log-likelihoods), and ``Chisq``, ``Df``, ``p``
    test each row against the row before (NaN on the first row, and ``p`` NaN when
    ``Df`` ≤ 0). ``p_boundary`` is the boundary-corrected p-value where it applies, else
    NaN, and ``boundary_exact`` whether the larger model adds a single random-effect
    column, for which that p is exact (None where there is none). ``order`` gives, for
    each table row, the index of the fit in the input list; ``fits`` are the fits the
    table was computed from (refitted where ``refitted_with_ml``).
    ``lrt_valid`` is False when REML fits with different fixed effects were compared
    (only possible with ``refit="none"``).
    """

    table: pd.DataFrame
    criterion: str
    refit: str
    refitted_with_ml: bool
    refit_reason: str
    fixed_effects_differ: bool
    lrt_valid: bool
    order: tuple[int, ...]
    fits: tuple


def _fixed_key(fit) -> tuple[str, ...]:
    return tuple(sorted(str(n) for n in fit.fixed_names))


def _random_columns(fit) -> dict[str, set[str]]:
    """Random-effect columns per grouping factor, e.g. {'Subject': {'(Intercept)', 'Days'}}."""
    out: dict[str, set[str]] = {}
    for rt in fit.model_formula.random_terms:
        cols = out.setdefault(rt.group_label, set())
        if rt.intercept:
            cols.add("(Intercept)")
        cols.update(t.label for t in rt.terms)
    return out


def _adds_variances(small, large) -> bool:
    """True when ``large`` has every random column of ``small`` and at least one more."""
    a, b = _random_columns(small), _random_columns(large)
    if any(group not in b or not cols <= b[group] for group, cols in a.items()):
        return False
    return sum(len(c) for c in b.values()) > sum(len(c) for c in a.values())


def _check_comparable(fits: list) -> None:
    if len(fits) < 2:
        raise LmmInputError("A comparison needs at least two fitted models; fit another one first.")
    first = fits[0]
    for other in fits[1:]:
        if other.response_name != first.response_name:
            raise LmmInputError(
                f"The models have different outcomes ({first.response_name} and "
                f"{other.response_name}); only models of the same outcome can be compared."
            )
        if other.nobs != first.nobs:
            raise LmmInputError(
                f"The models were fitted to different numbers of rows ({first.nobs} and "
                f"{other.nobs}), usually because of missing values; refit them on the same "
                "complete rows before comparing."
            )
        y_first = np.asarray(first.model.y, dtype=float)
        y_other = np.asarray(other.model.y, dtype=float)
        if not np.allclose(y_first, y_other, rtol=1e-12, atol=0.0):
            raise LmmInputError(
                "The models were fitted to different data; compare models fitted to the "
                "same data set."
            )


#: A χ² statistic below this is a numerical zero (the two fits have the same likelihood).
CHISQ_ZERO = 1e-8


def added_random_columns(small, large) -> int:
    """How many more random-effect columns per level ``large`` has than ``small`` (a
    factor's slope counts one per contrast column)."""
    def width(fit) -> int:
        return sum(int(t.n_columns) for t in fit.model.terms)

    return width(large) - width(small)


def boundary_p_value(chisq: float, df: int) -> float:
    """p-value of the 50:50 mixture of χ²(df−1) and χ²(df) (χ²(0) is a point mass at 0)."""
    upper = chi2_upper(chisq, df)
    lower = chi2_upper(chisq, df - 1) if df > 1 else (0.0 if chisq > CHISQ_ZERO else 1.0)
    return float(0.5 * upper + 0.5 * lower)


def compare_models(fits, refit: str = "auto") -> ModelComparison:
    """Compare fitted models by AIC, BIC and likelihood-ratio tests (lme4's ``anova``)."""
    fits = list(fits)
    mode = str(refit).lower()
    if mode not in REFIT_MODES:
        raise LmmInputError(
            f"Unknown refit choice '{refit}'; use 'auto', 'ml' or 'none'."
        )
    _check_comparable(fits)
    fixed_differ = len({_fixed_key(f) for f in fits}) > 1
    any_reml = any(f.reml for f in fits)
    all_reml = all(f.reml for f in fits)

    if mode == "ml":
        use_ml, reason = True, (REASON_REQUESTED if any_reml else REASON_ALREADY_ML)
    elif mode == "none":
        use_ml, reason = False, REASON_NOT_REQUESTED
    elif not any_reml:
        use_ml, reason = True, REASON_ALREADY_ML
    elif fixed_differ:
        use_ml, reason = True, REASON_FIXED_EFFECTS_DIFFER
    elif not all_reml:
        use_ml, reason = True, REASON_MIXED_METHODS
    else:
        use_ml, reason = False, REASON_SAME_FIXED_EFFECTS

    refitted = False
    if use_ml:
        used = []
        for f in fits:
            if f.reml:
                used.append(f.refit(reml=False))
                refitted = True
            else:
                used.append(f)
    else:
        used = fits
    criterion = "REML" if (not use_ml and all_reml) else "ML"
    methods_mixed = len({f.reml for f in used}) > 1
    lrt_valid = not methods_mixed and not (criterion == "REML" and fixed_differ)

    order = sorted(range(len(used)), key=lambda i: used[i].npar)
    rows = []
    previous = None
    for i in order:
        f = used[i]
        row = {
            "formula": fits[i].formula,
            "npar": int(f.npar),
            "AIC": float(f.aic),
            "BIC": float(f.bic),
            "logLik": float(f.loglik),
            "deviance": float(-2.0 * f.loglik),
            "Chisq": np.nan,
            "Df": np.nan,
            "p": np.nan,
            "p_boundary": np.nan,
            "boundary_exact": None,
        }
        if previous is not None:
            chisq = max(0.0, 2.0 * (float(f.loglik) - float(previous.loglik)))
            df = int(f.npar) - int(previous.npar)
            row["Chisq"] = chisq
            row["Df"] = df
            if df > 0:
                row["p"] = chi2_upper(chisq, df)
                if _fixed_key(f) == _fixed_key(previous) and _adds_variances(previous, f):
                    row["p_boundary"] = boundary_p_value(chisq, df)
                    row["boundary_exact"] = added_random_columns(previous, f) == 1
        rows.append(row)
        previous = f
    table = pd.DataFrame(rows, columns=TABLE_COLUMNS)
    return ModelComparison(
        table=table,
        criterion=criterion,
        refit=mode,
        refitted_with_ml=refitted,
        refit_reason=reason,
        fixed_effects_differ=fixed_differ,
        lrt_valid=lrt_valid,
        order=tuple(order),
        fits=tuple(used),
    )
