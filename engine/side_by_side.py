"""The LMM next to the older analyses it replaces: RM-ANOVA and OLS.

- :func:`rm_anova_side_by_side`: a one-way (or multi-way) within-subject repeated-measures
  ANOVA (statsmodels' ``AnovaRM``) on the complete cases only, as listwise deletion does,
  next to the LMM's F test for the same term (lmerTest's type III Satterthwaite F from
  ``fit.anova()``). The Greenhouse-Geisser epsilon (Greenhouse & Geisser 1959) is given for
  one within factor.
- :func:`ols_side_by_side`: the same fixed effects by ordinary least squares (statsmodels
  ``OLS`` on the fit's own design matrix), ignoring the clustering, with the SE ratio and
  Kish's design effect 1 + (m̄ − 1)·ICC (Kish 1965).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd

from engine.distributions import chi2_upper, f_upper
from engine.errors import LmmInputError
from grammar.formula import Var, variables_in

if TYPE_CHECKING:
    from engine.results import LmmFit

#: A within factor with more distinct values than this is treated as continuous.
MAX_WITHIN_LEVELS = 12

NotApplicableReason = Literal[
    "no_repeated_factor",        # no fixed-effect variable varies within subjects
    "too_many_levels",           # the within variable takes more than max_levels values
    "between_subject_factors",   # AnovaRM takes within-subject factors only
    "several_grouping_factors",  # the LMM has more than one grouping factor: name the subject
    "not_a_column",              # subject, outcome or within is not a plain data column
    "too_few_complete_subjects", # fewer than two subjects seen at every level
    "no_within_variation",       # the outcome does not vary within subjects
]


def _num(value: float | None) -> float | None:
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


# --------------------------------------------------------------------------- RM-ANOVA
@dataclass(frozen=True)
class FTest:
    """An F test: statistic, numerator and denominator df, p-value.

    ``den_df`` is ``None`` for a Wald chi-square test (``method == "wald_chisq"``), whose
    ``F`` is the chi-square divided by ``num_df``.
    """

    F: float
    num_df: float
    den_df: float | None
    p: float
    method: str

    def to_dict(self) -> dict:
        return {"F": _num(self.F), "num_df": _num(self.num_df), "den_df": _num(self.den_df),
                "p": _num(self.p), "method": self.method}


@dataclass(frozen=True)
class RmAnovaComparison:
    """Listwise-deletion RM-ANOVA next to the LMM.

    Data: ``n_subjects_total`` subjects and ``n_rows_total`` rows with an outcome;
    RM-ANOVA keeps the ``n_subjects_complete`` subjects seen at every level of ``within``
    (``n_rows_used`` rows) and throws away ``n_subjects_dropped`` subjects and
    ``n_rows_dropped`` rows. ``n_cells_averaged`` subject-by-level cells held several rows
    and were averaged. ``rm_anova`` is its F test for ``within_term``; ``gg_epsilon`` and
    ``rm_p_greenhouse_geisser`` the sphericity correction (one within factor only).
    ``lmm`` is the LMM's test of ``lmm_term`` on ``lmm_nobs`` rows from ``lmm_ngroups``
    subjects; ``lmm_within_coding`` says whether the LMM treats the variable as ``numeric``
    (one slope, 1 df) or as a ``factor`` (one df per level after the first, as RM-ANOVA).
    ``ignored_terms`` are LMM terms the RM-ANOVA leaves out (between-subject covariates).
    """

    subject: str
    within: list[str]
    outcome: str
    levels: dict[str, list[float | str]]
    n_subjects_total: int
    n_rows_total: int
    n_subjects_complete: int
    n_rows_used: int
    n_subjects_dropped: int
    n_rows_dropped: int
    n_cells_averaged: int
    rm_anova: FTest
    gg_epsilon: float | None
    rm_p_greenhouse_geisser: float | None
    lmm_term: str | None
    lmm: FTest | None
    lmm_nobs: int | None
    lmm_ngroups: int | None
    lmm_within_coding: Literal["numeric", "factor"] | None
    lmm_formula: str | None
    ignored_terms: list[str] = field(default_factory=list)

    applicable = True

    def to_dict(self) -> dict:
        return {
            "kind": "compare_rm_anova", "applicable": True,
            "subject": self.subject, "within": list(self.within), "outcome": self.outcome,
            "levels": {k: list(v) for k, v in self.levels.items()},
            "n_subjects_total": self.n_subjects_total, "n_rows_total": self.n_rows_total,
            "n_subjects_complete": self.n_subjects_complete, "n_rows_used": self.n_rows_used,
            "n_subjects_dropped": self.n_subjects_dropped,
            "n_rows_dropped": self.n_rows_dropped, "n_cells_averaged": self.n_cells_averaged,
            "rm_anova": self.rm_anova.to_dict(),
            "gg_epsilon": _num(self.gg_epsilon),
            "rm_p_greenhouse_geisser": _num(self.rm_p_greenhouse_geisser),
            "lmm_term": self.lmm_term,
            "lmm": self.lmm.to_dict() if self.lmm is not None else None,
            "lmm_nobs": self.lmm_nobs, "lmm_ngroups": self.lmm_ngroups,
            "lmm_within_coding": self.lmm_within_coding, "lmm_formula": self.lmm_formula,
            "ignored_terms": list(self.ignored_terms),
        }


@dataclass(frozen=True)
class RmAnovaNotApplicable:
    """The design cannot be run as a repeated-measures ANOVA; ``reason`` says why.

    ``variable`` names the column concerned, ``n_levels`` its number of distinct values
    (for ``too_many_levels``), ``max_levels`` the limit used, ``n_subjects_complete`` the
    complete subjects found (for ``too_few_complete_subjects``).
    """

    reason: NotApplicableReason
    variable: str | None = None
    n_levels: int | None = None
    max_levels: int = MAX_WITHIN_LEVELS
    n_subjects_complete: int | None = None

    applicable = False

    def to_dict(self) -> dict:
        return {
            "kind": "compare_rm_anova", "applicable": False, "reason": self.reason,
            "variable": self.variable, "n_levels": self.n_levels,
            "max_levels": self.max_levels, "n_subjects_complete": self.n_subjects_complete,
        }


def rm_anova_side_by_side(
    fit_or_data: LmmFit | pd.DataFrame,
    subject: str | None = None,
    within: str | Sequence[str] | None = None,
    outcome: str | None = None,
    between: Sequence[str] | None = None,
    max_levels: int = MAX_WITHIN_LEVELS,
) -> RmAnovaComparison | RmAnovaNotApplicable:
    """RM-ANOVA on complete cases next to the LMM's F test for the same within factor.

    With a fit, ``subject``, ``within`` and ``outcome`` default to its grouping factor, its
    first main-effect variable that varies within subjects, and its response; the LMM test
    is ``fit.anova()``'s row for that term. With a DataFrame, ``subject``, ``within`` and
    ``outcome`` are required and the LMM ``outcome ~ factor(within) + (1 | subject)`` is
    fitted on all rows (REML, Satterthwaite), so both analyses test the same hypothesis.
    """
    if between:
        return RmAnovaNotApplicable("between_subject_factors", variable=str(list(between)[0]),
                                    max_levels=max_levels)
    fit = None if isinstance(fit_or_data, pd.DataFrame) else fit_or_data
    if fit is None:
        data = fit_or_data
        missing = [name for name, v in (("subject", subject), ("within", within),
                                         ("outcome", outcome)) if v is None]
        if missing:
            raise LmmInputError(
                f"Name the {' and '.join(missing)} column(s) for the RM-ANOVA, for example "
                "'compare to RM-ANOVA with subject patient, within time, outcome pain'."
            )
    else:
        data = fit.source_data if getattr(fit, "source_data", None) is not None else fit.data
        outcome = outcome or fit.response_name
        if subject is None:
            groups = {rt.group_label for rt in fit.model_formula.random_terms}
            if len(groups) != 1:
                return RmAnovaNotApplicable("several_grouping_factors", max_levels=max_levels)
            subject = groups.pop()

    assert subject is not None and outcome is not None
    for name in (subject, outcome):
        if name not in data.columns:
            return RmAnovaNotApplicable("not_a_column", variable=name, max_levels=max_levels)
    frame = data[data[subject].notna() & data[outcome].notna()]

    if within is None:
        assert fit is not None
        choice = _within_from_fit(fit, frame, subject, max_levels)
        if isinstance(choice, RmAnovaNotApplicable):
            return choice
        within_names = [choice]
    else:
        within_names = [within] if isinstance(within, str) else list(within)
    for name in within_names:
        if name not in frame.columns:
            return RmAnovaNotApplicable("not_a_column", variable=name, max_levels=max_levels)
        n_levels = int(frame[name].nunique())
        if n_levels > max_levels:
            return RmAnovaNotApplicable("too_many_levels", variable=name, n_levels=n_levels,
                                        max_levels=max_levels)
        if not _varies_within(frame, name, subject):
            return RmAnovaNotApplicable("no_repeated_factor", variable=name,
                                        max_levels=max_levels)
    frame = frame[frame[within_names].notna().all(axis=1)]

    cells = frame.groupby([subject, *within_names], observed=True, sort=True)[outcome]
    cell_means = cells.mean().reset_index()
    n_cells_averaged = int((cells.size() > 1).sum())
    levels = {w: sorted(pd.unique(frame[w])) for w in within_names}
    n_cells_needed = int(np.prod([len(v) for v in levels.values()]))
    per_subject = cell_means.groupby(subject, observed=True).size()
    complete_ids = per_subject.index[per_subject == n_cells_needed]
    if len(complete_ids) < 2:
        return RmAnovaNotApplicable("too_few_complete_subjects", n_subjects_complete=len(
            complete_ids), max_levels=max_levels)
    complete = cell_means[cell_means[subject].isin(complete_ids)]
    rm_test = _anova_rm_test(complete, outcome, subject, within_names)
    if rm_test is None:
        return RmAnovaNotApplicable("no_within_variation", variable=outcome,
                                    max_levels=max_levels)
    epsilon = p_gg = None
    if len(within_names) == 1:
        wide = complete.pivot(index=subject, columns=within_names[0], values=outcome)
        epsilon = greenhouse_geisser_epsilon(wide.to_numpy(dtype=float))
        p_gg = f_upper(rm_test.F, epsilon * rm_test.num_df, epsilon * rm_test.den_df)

    n_rows_used = int(frame[subject].isin(complete_ids).sum())
    lmm_part = _lmm_test(fit, frame, subject, within_names, outcome)
    return RmAnovaComparison(
        subject=subject, within=within_names, outcome=outcome,
        levels={w: [_level_value(v) for v in vs] for w, vs in levels.items()},
        n_subjects_total=int(frame[subject].nunique()),
        n_rows_total=int(len(frame)),
        n_subjects_complete=int(len(complete_ids)),
        n_rows_used=n_rows_used,
        n_subjects_dropped=int(frame[subject].nunique() - len(complete_ids)),
        n_rows_dropped=int(len(frame) - n_rows_used),
        n_cells_averaged=n_cells_averaged,
        rm_anova=rm_test, gg_epsilon=epsilon, rm_p_greenhouse_geisser=p_gg,
        **lmm_part,
    )


def _level_value(value: object) -> float | str:
    if isinstance(value, (int, float, np.integer, np.floating)):
        return float(value)
    return str(value)


def _varies_within(frame: pd.DataFrame, column: str, subject: str) -> bool:
    return bool((frame.groupby(subject, observed=True)[column].nunique() > 1).any())


def _main_effect_variable(term) -> str | None:
    if term.order != 1:
        return None
    names = variables_in(term.factors[0])
    return names[0] if len(names) == 1 else None


def _within_from_fit(
    fit: LmmFit, frame: pd.DataFrame, subject: str, max_levels: int
) -> str | RmAnovaNotApplicable:
    too_many: tuple[str, int] | None = None
    for term in fit.model_formula.fixed_terms:
        name = _main_effect_variable(term)
        if name is None or name not in frame.columns or name == subject:
            continue
        if not _varies_within(frame, name, subject):
            continue
        n_levels = int(frame[name].nunique())
        if n_levels <= max_levels:
            return name
        too_many = too_many or (name, n_levels)
    if too_many is not None:
        return RmAnovaNotApplicable("too_many_levels", variable=too_many[0],
                                    n_levels=too_many[1], max_levels=max_levels)
    return RmAnovaNotApplicable("no_repeated_factor", max_levels=max_levels)


def _anova_rm_test(
    complete: pd.DataFrame, outcome: str, subject: str, within: list[str]
) -> FTest | None:
    from statsmodels.stats.anova import AnovaRM

    prepared = complete.copy()
    for w in within:
        prepared[w] = prepared[w].astype(str)
    prepared[subject] = prepared[subject].astype(str)
    with np.errstate(divide="ignore", invalid="ignore"):
        table = AnovaRM(prepared, depvar=outcome, subject=subject, within=within).fit()
    row = table.anova_table.loc[":".join(within) if len(within) > 1 else within[0]]
    if not np.isfinite(row["F Value"]):
        return None
    return FTest(F=float(row["F Value"]), num_df=float(row["Num DF"]),
                 den_df=float(row["Den DF"]), p=float(row["Pr > F"]), method="rm_anova")


def greenhouse_geisser_epsilon(wide: np.ndarray) -> float:
    """Greenhouse-Geisser ε from the subjects × levels matrix of complete data.

    ε = tr(CSC')² / ((k − 1)·tr((CSC')²)) with S the sample covariance of the levels and
    C any (k − 1) × k orthonormal contrast matrix; 1/(k − 1) ≤ ε ≤ 1, ε = 1 under sphericity.
    """
    k = wide.shape[1]
    centring = np.eye(k) - 1.0 / k
    basis = np.linalg.svd(centring)[0][:, : k - 1].T
    m = basis @ np.cov(wide, rowvar=False) @ basis.T
    trace_sq = float(np.trace(m @ m))
    if trace_sq <= 0:
        return 1.0
    return float(np.trace(m) ** 2 / ((k - 1) * trace_sq))


def _lmm_test(
    fit: LmmFit | None, frame: pd.DataFrame, subject: str, within: list[str], outcome: str
) -> dict:
    empty = dict(lmm_term=None, lmm=None, lmm_nobs=None, lmm_ngroups=None,
                 lmm_within_coding=None, lmm_formula=None, ignored_terms=[])
    if fit is None:
        from engine.lmm import fit_lmm

        pieces = []
        for w in within:
            var = Var(w).text()
            pieces.append(f"factor({var})" if pd.api.types.is_numeric_dtype(frame[w]) else var)
        formula = (f"{Var(outcome).text()} ~ {' * '.join(pieces)} "
                   f"+ (1 | {Var(subject).text()})")
        fit = fit_lmm(formula, frame)
    ngroups = fit.ngroups.get(subject)
    ngroups = int(ngroups) if ngroups is not None else None
    if len(within) != 1:
        return {**empty, "lmm_formula": fit.formula, "lmm_nobs": int(fit.nobs),
                "lmm_ngroups": ngroups}
    term = next(
        (t for t in fit.model_formula.fixed_terms if _main_effect_variable(t) == within[0]),
        None,
    )
    ignored = [t.label for t in fit.model_formula.fixed_terms if t is not term]
    if term is None:
        return {**empty, "lmm_formula": fit.formula, "lmm_nobs": int(fit.nobs),
                "lmm_ngroups": ngroups, "ignored_terms": ignored}
    coding: Literal["numeric", "factor"] = (
        "numeric"
        if isinstance(term.factors[0], Var) and pd.api.types.is_numeric_dtype(frame[within[0]])
        else "factor"
    )
    return dict(
        lmm_term=term.label, lmm=lmm_term_test(fit, term.label), lmm_nobs=int(fit.nobs),
        lmm_ngroups=ngroups,
        lmm_within_coding=coding, lmm_formula=fit.formula, ignored_terms=ignored,
    )


def lmm_term_test(fit: LmmFit, term: str) -> FTest:
    """The LMM's F test of one fixed term: lmerTest's type III F (``fit.anova()``).

    When ``fit.anova()`` is unavailable, a one-column term uses its coefficient's t test
    (F = t², same df and p, as lmerTest), and a wider term the Wald chi-square of its
    columns with ``fit.vcov_beta``."""
    try:
        table = fit.anova()
    except (ImportError, AttributeError):
        table = None
    if table is not None:
        rows = table[table["term"] == term]
        if len(rows) == 1:
            row = rows.iloc[0]
            return FTest(F=float(row["F"]), num_df=float(row["num_df"]),
                         den_df=_num(row["den_df"]), p=float(row["p"]),
                         method=str(getattr(fit, "ddf_method", "satterthwaite")))
    columns = fit.fixed_term_columns[term]
    if len(columns) == 1:
        # one coefficient: lmerTest's F is t² with the coefficient's own df and p
        coefficient = fit.fixed_effects[columns[0]]
        if coefficient.df is not None and math.isfinite(coefficient.df):
            return FTest(F=float(coefficient.t) ** 2, num_df=1.0, den_df=float(coefficient.df),
                         p=float(coefficient.p), method=str(fit.ddf_method))
    beta = np.asarray(fit.beta)[columns]
    cov = np.asarray(fit.vcov_beta)[np.ix_(columns, columns)]
    chisq = float(beta @ np.linalg.solve(cov, beta))
    r = len(columns)
    return FTest(F=chisq / r, num_df=float(r), den_df=None, p=chi2_upper(chisq, r),
                 method="wald_chisq")


# --------------------------------------------------------------------------- OLS
@dataclass(frozen=True)
class OlsCoefficient:
    """One fixed effect by LMM and by OLS; ``se_ratio`` = OLS SE / LMM SE.

    ``varies_within_group`` is true when the column changes inside some group (a
    within-cluster predictor, whose OLS SE is usually too large) and false for a
    cluster-level predictor (whose OLS SE is usually too small).
    """

    term: str
    lmm_estimate: float
    lmm_se: float
    lmm_p: float | None
    ols_estimate: float
    ols_se: float
    ols_p: float
    se_ratio: float
    varies_within_group: bool | None

    def to_dict(self) -> dict:
        return {k: (v if isinstance(v, (str, bool)) or v is None else _num(v))
                for k, v in vars(self).items()}


@dataclass(frozen=True)
class OlsComparison:
    """The fixed effects by OLS (clustering ignored) next to the LMM.

    ``ols_sigma`` and ``ols_df_resid`` describe the OLS fit. For a model with one grouping
    factor, ``group`` is it, ``mean_cluster_size`` m̄ = nobs / ngroups, ``icc`` the ICC
    used (the plain ICC, or Nakagawa's adjusted ICC when there are random slopes;
    ``icc_kind`` says which) and ``design_effect`` = 1 + (m̄ − 1)·ICC, the factor by which
    clustering inflates the variance of a mean; ``sqrt_design_effect`` inflates its SE.
    These are ``None`` with several grouping factors.
    """

    coefficients: list[OlsCoefficient]
    nobs: int
    ols_sigma: float
    ols_df_resid: float
    group: str | None
    ngroups: int | None
    mean_cluster_size: float | None
    icc: float | None
    icc_kind: Literal["icc", "icc_adjusted"] | None
    design_effect: float | None
    sqrt_design_effect: float | None

    def to_dict(self) -> dict:
        return {
            "kind": "compare_ols",
            "coefficients": [c.to_dict() for c in self.coefficients],
            "nobs": self.nobs, "ols_sigma": _num(self.ols_sigma),
            "ols_df_resid": _num(self.ols_df_resid), "group": self.group,
            "ngroups": self.ngroups, "mean_cluster_size": _num(self.mean_cluster_size),
            "icc": _num(self.icc), "icc_kind": self.icc_kind,
            "design_effect": _num(self.design_effect),
            "sqrt_design_effect": _num(self.sqrt_design_effect),
        }


def design_effect(mean_cluster_size: float, icc: float) -> float:
    """Kish's design effect 1 + (m̄ − 1)·ICC."""
    return 1.0 + (mean_cluster_size - 1.0) * icc


def ols_side_by_side(fit: LmmFit) -> OlsComparison:
    """Refit the fixed effects by OLS on the LMM's own design matrix and compare SEs."""
    import statsmodels.api as sm

    from engine.variance import variance_explained

    X = np.asarray(fit.model.X, dtype=float)
    y = np.asarray(fit.model.y, dtype=float)
    ols = sm.OLS(y, X).fit()
    terms = fit.model.terms
    groups = {t.group for t in terms}
    codes = terms[0].codes if len(groups) == 1 else None

    rows = []
    for j, fe in enumerate(fit.fixed_effects):
        within = None
        if codes is not None:
            by_level = pd.Series(X[:, j]).groupby(codes)
            within = bool(((by_level.max() - by_level.min()) > 1e-12).any())
        rows.append(
            OlsCoefficient(
                term=fe.term, lmm_estimate=float(fe.estimate), lmm_se=float(fe.se),
                lmm_p=_num(fe.p), ols_estimate=float(ols.params[j]),
                ols_se=float(ols.bse[j]), ols_p=float(ols.pvalues[j]),
                se_ratio=float(ols.bse[j] / fe.se) if fe.se > 0 else float("nan"),
                varies_within_group=within,
            )
        )
    group = ngroups = m_bar = icc = deff = None
    icc_kind: Literal["icc", "icc_adjusted"] | None = None
    if len(groups) == 1:
        group = terms[0].group
        ngroups = int(terms[0].n_levels)
        m_bar = float(len(y) / ngroups)
        explained = variance_explained(fit)
        if explained.icc is not None:
            icc, icc_kind = explained.icc, "icc"
        else:
            icc, icc_kind = explained.icc_adjusted, "icc_adjusted"
        deff = design_effect(m_bar, icc)
    return OlsComparison(
        coefficients=rows, nobs=int(len(y)), ols_sigma=float(np.sqrt(ols.scale)),
        ols_df_resid=float(ols.df_resid), group=group, ngroups=ngroups,
        mean_cluster_size=m_bar, icc=icc, icc_kind=icc_kind, design_effect=deff,
        sqrt_design_effect=math.sqrt(deff) if deff is not None else None,
    )
