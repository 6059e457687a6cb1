"""The convergence and singularity ladder: what to try, in order, when a fit has trouble.

The steps follow common practice for lme4 fits (lme4's ``?convergence`` help page and
``allFit``; Bates et al. 2015, "Parsimonious mixed models", arXiv:1506.04967; Matuschek et
al. 2017, J. Memory and Language 94: 305-315):

1. Check the optimum: the gradient of the profiled objective scaled by the Cholesky factor
   of its Hessian (lme4's ``check.conv.grad``, tolerance 0.002) and whether the Hessian is
   positive definite with a sane eigenvalue ratio (``check.conv.hess``, 1e-6), over the
   variance parameters that are not on a boundary; a fit whose own ``check.conv.hess``
   (``fit.opt.hessian_check``, engine.hessian_check) failed has a problem too.
2. Refit with the optimizer's default budget when an iteration limit stopped it; then
   centre and scale the continuous predictors and refit, kept only if it removes a
   convergence problem the original fit had.
3. Refit with every optimizer (bobyqa, l-bfgs-b, nelder-mead, powell) and compare their
   optima (lme4's ``allFit``); another optimizer is kept only if it converges to a better
   optimum.
4. Simplify the random effects while the fit stays singular: first make correlated terms
   uncorrelated (``||``, numeric slopes only, as lme4's ``||`` leaves factor slopes
   correlated), then drop slope variances estimated at (near) zero. Each simplification is
   tested against the structure before it with a likelihood-ratio test (boundary-corrected
   when a variance is removed, Self and Liang 1987); the ladder stops at the first one
   that makes the fit significantly worse.

A request for one remedy ("try another optimizer", "simplify the random effects") runs
the check and that rung only (``rungs``); a rung asked for runs even when the check finds
nothing wrong, and the simplification rung then tries the simpler structures whatever
the fit's singularity, each still tested by the likelihood-ratio test.

Every step is recorded as an :class:`AuditStep`; :class:`ConvergenceAudit` states the
requested and the final formula and every change, so the final model is never silently
different from the one asked for. All fields are numbers or codes; words are the narration's.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from engine.distributions import chi2_upper
from engine.errors import LmmInputError
from engine.hessian_check import HESSIAN_OK

#: lme4's tolerance on the scaled gradient (``check.conv.grad``).
GRADIENT_TOL = 2e-3
#: lme4's tolerance on the Hessian eigenvalue ratio (``check.conv.hess``).
HESSIAN_RATIO_TOL = 1e-6
#: A variance parameter (diagonal of θ) below this is on the boundary (lme4's isSingular).
BOUNDARY_TOL = 1e-4
#: Two optima agree when their criteria differ by less than this (deviance units).
OPTIMA_AGREE_TOL = 1e-4
OPTIMIZERS = ("bobyqa", "l-bfgs-b", "nelder-mead", "powell")
#: At most this many simplifications of the random part are tried.
MAX_SIMPLIFICATIONS = 20
#: The rungs after the check, in the order the ladder climbs them.
RUNG_ITERATIONS = "iterations"
RUNG_SCALE = "scale"
RUNG_OPTIMIZER = "optimizer"
RUNG_SIMPLIFY = "simplify"
RUNGS = (RUNG_ITERATIONS, RUNG_SCALE, RUNG_OPTIMIZER, RUNG_SIMPLIFY)

# Step kinds
STEP_CHECK = "check_optimum"
STEP_ITERATIONS = "iteration_limit"
STEP_SCALE = "center_scale"
STEP_OPTIMIZER = "optimizer"
STEP_UNCORRELATED = "uncorrelated"
STEP_DROP_SLOPE = "drop_slope"

# Decisions
DECISION_OK = "ok"
DECISION_PROBLEM = "problem"
DECISION_KEPT = "kept"
DECISION_NOT_KEPT = "not_kept"
DECISION_ACCEPTED = "accepted"
DECISION_REJECTED = "rejected"
DECISION_FAILED = "failed"


@dataclass(frozen=True)
class OptimumCheck:
    """Gradient and Hessian of the profiled objective at a fit's θ (interior parameters).

    ``scaled_gradient`` is lme4's statistic max(min(|R⁻ᵀg|, |g|)) with H = R'R, or the plain
    max |g| when H is not positive definite. ``boundary`` lists θ indices on a bound.
    ``lme4_hessian`` is the outcome code of the fit's own ``check.conv.hess``
    (``fit.opt.hessian_check.outcome``; None where lme4 skips it).
    """

    gradient: np.ndarray
    scaled_gradient: float
    hessian_eigenvalues: np.ndarray
    hessian_positive_definite: bool
    eigenvalue_ratio: float
    boundary: tuple[int, ...]
    converged: bool
    singular: bool
    lme4_hessian: str | None = None

    @property
    def gradient_ok(self) -> bool:
        return self.scaled_gradient <= GRADIENT_TOL

    @property
    def hessian_ok(self) -> bool:
        return (
            self.hessian_positive_definite
            and self.eigenvalue_ratio >= HESSIAN_RATIO_TOL
            and self.lme4_hessian in (None, HESSIAN_OK)
        )

    @property
    def ok(self) -> bool:
        return self.converged and not self.singular and self.gradient_ok and self.hessian_ok

    @property
    def convergence_ok(self) -> bool:
        """Everything but singularity: a trustworthy optimum, possibly on a boundary."""
        return self.converged and self.gradient_ok and self.hessian_ok


@dataclass(frozen=True)
class AuditStep:
    """One thing the ladder tried. ``lrt_*`` are set for simplification steps."""

    kind: str
    formula: str
    optimizer: str
    criterion: float
    converged: bool
    singular: bool
    scaled_gradient: float
    hessian_positive_definite: bool
    decision: str
    detail: dict = field(default_factory=dict)
    lrt_chisq: float | None = None
    lrt_df: int | None = None
    lrt_p: float | None = None
    lrt_p_boundary: float | None = None

    def to_dict(self) -> dict:
        """JSON-safe: every field (non-finite numbers as None)."""
        return _json_safe({name: getattr(self, name) for name in self.__dataclass_fields__})


@dataclass(frozen=True)
class ConvergenceAudit:
    """The whole ladder: the steps, the fit it ends with, and what changed on the way.

    ``changes`` holds codes such as ``"raised_iteration_limit"``, ``"scaled_predictors"``,
    ``"optimizer:powell"``, ``"uncorrelated:Subject"`` and ``"dropped_slope:Days|Subject"``.
    ``scaled_columns`` maps each centred-and-scaled column to its (mean, SD) when scaling was kept.
    ``resolved`` is True when the final fit converged, is not singular and passes the
    gradient and Hessian checks.
    """

    requested_formula: str
    final_formula: str
    changed: bool
    changes: tuple[str, ...]
    steps: tuple[AuditStep, ...]
    final_fit: object
    resolved: bool
    scaled_columns: dict = field(default_factory=dict)
    #: the remedies asked for (a subset of RUNGS), or None for the whole ladder
    rungs: tuple[str, ...] | None = None

    def to_dict(self) -> dict:
        """JSON-safe: the ladder's steps and changes, the final fit as its own to_dict()."""
        final = self.final_fit
        return {
            "kind": "convergence_audit",
            "requested_formula": self.requested_formula,
            "final_formula": self.final_formula,
            "changed": bool(self.changed),
            "changes": list(self.changes),
            "resolved": bool(self.resolved),
            "steps": [step.to_dict() for step in self.steps],
            "scaled_columns": _json_safe(self.scaled_columns),
            "rungs": None if self.rungs is None else list(self.rungs),
            "final_fit": final.to_dict() if hasattr(final, "to_dict") else None,
        }


def _finite_moments(column: pd.Series) -> tuple[float, float]:
    """Mean and sample SD over the finite values (rows the model drops may hold inf)."""
    values = column.to_numpy(float)
    values = values[np.isfinite(values)]
    if values.size < 2:
        return (float(values.mean()) if values.size else 0.0), 0.0
    return float(values.mean()), float(values.std(ddof=1))


def _json_safe(value: object) -> object:
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple | np.ndarray):
        return [_json_safe(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value


# ------------------------------------------------------------------ the check
def check_optimum(fit) -> OptimumCheck:
    """Step 1: scaled gradient and Hessian of the fit's objective at its optimum.

    On models the size lme4 checks (fewer than 10,000 rows) the differences are of the
    deviance from penalised residuals (engine.residual_deviance), whose rounding the
    1e-8 of a second difference does not blow up into false curvature."""
    from engine.lmm import CHECK_MAX_NOBS
    from engine.optimize import finite_difference_gradient, finite_difference_hessian
    from engine.residual_deviance import residual_deviance_function

    model = fit.model
    if model.n < CHECK_MAX_NOBS:
        deviance = residual_deviance_function(model, fit.reml)
    else:
        def deviance(point: np.ndarray) -> float:
            return float(model.deviance(point, fit.reml))

    fit_check = getattr(fit.opt, "hessian_check", None)
    lme4_hessian = None if fit_check is None else fit_check.outcome
    theta = np.asarray(fit.theta, dtype=float)
    lower = np.asarray(model.theta_lower, dtype=float)
    boundary = tuple(int(i) for i in np.where((lower == 0.0) & (theta < BOUNDARY_TOL))[0])
    interior = np.array([i for i in range(theta.size) if i not in boundary], dtype=int)

    def objective(sub: np.ndarray) -> float:
        point = theta.copy()
        point[interior] = sub
        return float(deviance(point))

    if interior.size == 0:
        empty = np.zeros(0)
        return OptimumCheck(empty, 0.0, empty, True, 1.0, boundary, fit.converged, fit.singular,
                            lme4_hessian)
    sub = theta[interior]
    grad = finite_difference_gradient(objective, sub, lower[interior])
    hess = finite_difference_hessian(objective, sub)
    eig = np.linalg.eigvalsh((hess + hess.T) / 2)
    positive = bool(np.all(eig > 0))
    ratio = float(eig.min() / eig.max()) if positive else 0.0
    scaled = float(np.max(np.abs(grad)))
    if positive:
        chol = np.linalg.cholesky((hess + hess.T) / 2)
        scaled = float(np.max(np.minimum(np.abs(np.linalg.solve(chol.T, grad)), np.abs(grad))))
    return OptimumCheck(
        gradient=grad,
        scaled_gradient=scaled,
        hessian_eigenvalues=eig,
        hessian_positive_definite=positive,
        eigenvalue_ratio=ratio,
        boundary=boundary,
        converged=bool(fit.converged),
        singular=bool(fit.singular),
        lme4_hessian=lme4_hessian,
    )


def hessian_detail(fit) -> dict:
    """The fit's ``check.conv.hess`` for an audit step: outcome code (None where lme4
    skips the check), negative eigenvalues, largest eigenvalue, smallest/largest ratio."""
    check = getattr(fit.opt, "hessian_check", None)
    if check is None:
        return {"hessian_check": None}
    return {
        "hessian_check": check.outcome,
        "hessian_negative": check.n_negative,
        "hessian_largest": check.eigenvalues[0] if check.eigenvalues else None,
        "hessian_ratio": check.eigenvalue_ratio,
    }


def needs_remedy(fit) -> bool:
    """True when the fit did not converge, is singular, or fails the optimum check."""
    return not check_optimum(fit).ok


# ------------------------------------------------------------- random structure
@dataclass(frozen=True)
class _RandomBlock:
    """A random-effects term as written: columns ('1' for the intercept), group, ``|``/``||``."""

    columns: tuple[str, ...]
    group: str
    correlated: bool

    def text(self) -> str:
        cols = list(self.columns)
        if "1" not in cols:
            cols = ["0", *cols]
        bar = "|" if self.correlated or len(self.columns) == 1 else "||"
        return f"({' + '.join(cols)} {bar} {self.group})"


def _blocks(model_formula) -> list[_RandomBlock]:
    blocks: list[_RandomBlock] = []
    for rt in model_formula.random_terms:
        cols = (("1",) if rt.intercept else ()) + tuple(t.label for t in rt.terms)
        last = blocks[-1] if blocks else None
        if (
            rt.from_double_bar
            and last is not None
            and not last.correlated
            and last.group == rt.group_label
        ):
            blocks[-1] = _RandomBlock(last.columns + cols, last.group, False)
        else:
            blocks.append(_RandomBlock(cols, rt.group_label, not rt.from_double_bar))
    return blocks


def _formula_text(model_formula, blocks: list[_RandomBlock]) -> str:
    fixed = [t.label for t in model_formula.fixed_terms]
    if not model_formula.intercept:
        fixed = ["0", *fixed]
    elif not fixed:
        fixed = ["1"]
    return f"{model_formula.response.text()} ~ " + " + ".join(fixed + [b.text() for b in blocks])


def _slope_sds(fit) -> dict[tuple[str, str], float]:
    """SD of every random slope (non-intercept column), keyed by (group, column label)."""
    out: dict[tuple[str, str], float] = {}
    theta = np.asarray(fit.theta, dtype=float)
    for term in fit.model.terms:
        T = term.factor(theta)
        sd = fit.sigma * np.sqrt(np.sum(T * T, axis=1))
        for name, value in zip(term.columns, sd, strict=True):
            if name != "(Intercept)":
                out[(term.group, name)] = float(value)
    return out


def _simplifications(
    fit, *, near_zero_only: bool = True
) -> list[tuple[str, list[_RandomBlock], str]]:
    """Candidate simpler random parts, in the order tried: ``||`` first, then slopes.

    A written slope (``x``, or a factor ``f`` with columns ``f[T.b]``, ...) is near zero
    when every model column it produced has an SD below 1e-3 of the residual SD; only
    those are dropped unless ``near_zero_only`` is False (a simplification asked for),
    when every slope is a candidate, the smallest SD relative to σ first.
    """
    blocks = _blocks(fit.model_formula)
    sds = _slope_sds(fit)
    numeric = set(sds)  # (group, column) of numeric slopes: one model column each
    out = []
    for i, block in enumerate(blocks):
        # lme4's || does not decorrelate the columns of a factor slope: numeric slopes only.
        slopes = [c for c in block.columns if c != "1"]
        if (
            block.correlated
            and slopes
            and len(block.columns) >= 2  # one column has no correlation to remove
            and all((block.group, c) in numeric for c in slopes)
        ):
            new_blocks = blocks.copy()
            new_blocks[i] = _RandomBlock(block.columns, block.group, False)
            out.append((STEP_UNCORRELATED, new_blocks, f"uncorrelated:{block.group}"))
    ratios = []
    for block in blocks:
        for label in block.columns:
            matched = [
                sd
                for (group, column), sd in sds.items()
                if group == block.group and (column == label or column.startswith(label + "["))
            ]
            if matched and (
                not near_zero_only or max(matched) / fit.sigma < BOUNDARY_TOL * 10
            ):
                ratios.append((max(matched) / fit.sigma, block.group, label))
    for _, group, label in sorted(ratios):
        new_blocks = []
        for block in blocks:
            if block.group == group and label in block.columns:
                kept = tuple(c for c in block.columns if c != label)
                if kept:
                    new_blocks.append(_RandomBlock(kept, block.group, block.correlated))
            else:
                new_blocks.append(block)
        if new_blocks and new_blocks != blocks:
            out.append((STEP_DROP_SLOPE, new_blocks, f"dropped_slope:{label}|{group}"))
    return out


# ------------------------------------------------------------------ the ladder
def _step(kind: str, fit, check: OptimumCheck | None, decision: str, **extra) -> AuditStep:
    return AuditStep(
        kind=kind,
        formula=fit.formula,
        optimizer=fit.optimizer,
        criterion=float(fit.criterion),
        converged=bool(fit.converged),
        singular=bool(fit.singular),
        scaled_gradient=float(check.scaled_gradient) if check else float("nan"),
        hessian_positive_definite=bool(check.hessian_positive_definite) if check else False,
        decision=decision,
        **extra,
    )


def _continuous_columns(model_formula, data: pd.DataFrame) -> list[str]:
    """Numeric data columns used as predictors (not the outcome, not grouping factors)."""
    from grammar.formula import variables_in

    outcome = set(variables_in(model_formula.response))
    groups = {v for rt in model_formula.random_terms for v in rt.group_variables}
    used: list[str] = []
    terms = list(model_formula.fixed_terms) + [t for rt in model_formula.random_terms
                                               for t in rt.terms]
    for term in terms:
        for factor in term.factors:
            for name in variables_in(factor):
                if name in outcome or name in groups or name in used or name not in data:
                    continue
                series = data[name]
                if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(
                    series
                ):
                    used.append(name)
    return used


def _lrt(simple, complex_) -> tuple[float, int, float, float]:
    chisq = max(0.0, float(simple.criterion) - float(complex_.criterion))
    df = int(complex_.npar) - int(simple.npar)
    p = chi2_upper(chisq, df) if df > 0 else float("nan")
    from engine.compare import boundary_p_value

    p_boundary = boundary_p_value(chisq, df) if df > 0 else float("nan")
    return chisq, df, p, p_boundary


def remedy_convergence(
    formula: str,
    data: pd.DataFrame,
    *,
    reml: bool = True,
    optimizer: str = "bobyqa",
    ddf: str = "satterthwaite",
    max_iter: int | None = None,
    alpha: float = 0.05,
    fit=None,
    rungs: tuple[str, ...] | None = None,
    level: float = 0.95,
) -> ConvergenceAudit:
    """Run the ladder on ``formula``/``data`` (or on an existing ``fit`` of them).

    ``rungs``: the remedies to try (a subset of :data:`RUNGS`); ``None`` climbs the
    whole ladder and stops early when the check finds nothing wrong. Every refit has
    the confidence level of ``fit`` (else ``level``), so the fit kept carries the
    intervals that were asked for.
    """
    from engine.lmm import fit_lmm

    unknown = sorted(set(rungs or ()) - set(RUNGS))
    if unknown:
        raise LmmInputError(
            f"There is no remedy called {', '.join(unknown)}; choose from {', '.join(RUNGS)}."
        )
    asked = set(RUNGS if rungs is None else rungs)

    limit = {"max_iter": max_iter if fit is None else fit.opt.max_iter}
    level = float(getattr(fit, "level", level))

    def refit(text: str, frame: pd.DataFrame, opt: str):
        return fit_lmm(text, frame, reml=reml, ddf=ddf, optimizer=opt,
                       max_iter=limit["max_iter"], level=level)

    if not 0 < alpha < 1:
        raise LmmInputError(f"The significance level must lie between 0 and 1, not {alpha}.")
    current = fit if fit is not None else refit(formula, data, optimizer)
    requested = current.formula
    frame = data
    steps: list[AuditStep] = []
    changes: list[str] = []
    scaled: dict[str, tuple[float, float]] = {}

    check = check_optimum(current)
    steps.append(
        _step(
            STEP_CHECK,
            current,
            check,
            DECISION_OK if check.ok else DECISION_PROBLEM,
            detail={
                "gradient_ok": check.gradient_ok,
                "hessian_ok": check.hessian_ok,
                "eigenvalue_ratio": check.eigenvalue_ratio,
                "boundary": list(check.boundary),
                **hessian_detail(current),
            },
        )
    )
    if check.ok and rungs is None:
        return ConvergenceAudit(requested, requested, False, (), tuple(steps), current, True)

    # 1b. an optimizer stopped by an iteration limit gets the default budget
    if RUNG_ITERATIONS in asked and not current.converged and limit["max_iter"] is not None:
        capped = limit["max_iter"]
        limit["max_iter"] = None
        try:
            trial = refit(current.formula, frame, current.optimizer)
        except LmmInputError as err:
            steps.append(_step(STEP_ITERATIONS, current, None, DECISION_FAILED,
                               detail={"max_iter": capped, "error": str(err)}))
            limit["max_iter"] = capped
        else:
            trial_check = check_optimum(trial)
            keep = bool(trial.converged)
            steps.append(_step(STEP_ITERATIONS, trial, trial_check,
                               DECISION_KEPT if keep else DECISION_NOT_KEPT,
                               detail={"max_iter": capped}))
            if keep:
                current, check = trial, trial_check
                changes.append("raised_iteration_limit")
            else:
                limit["max_iter"] = capped
        if check.ok and rungs is None:
            return ConvergenceAudit(requested, current.formula, True, tuple(changes),
                                    tuple(steps), current, True)

    # 2. centre and scale the continuous predictors
    candidates = {c: _finite_moments(frame[c]) for c in
                  _continuous_columns(current.model_formula, frame)}
    columns = [c for c, (_, sd) in candidates.items() if sd > 0]
    if columns and RUNG_SCALE in asked:
        moments = {c: candidates[c] for c in columns}
        scaled_frame = frame.copy()
        for c, (mean, sd) in moments.items():
            scaled_frame[c] = (frame[c].astype(float) - mean) / sd
        try:
            trial = refit(current.formula, scaled_frame, current.optimizer)
            trial_check = check_optimum(trial)
            keep = (not check.convergence_ok) and trial_check.convergence_ok
            steps.append(
                _step(STEP_SCALE, trial, trial_check,
                      DECISION_KEPT if keep else DECISION_NOT_KEPT,
                      detail={"columns": {c: list(m) for c, m in moments.items()},
                              **hessian_detail(trial)})
            )
            if keep:
                current, check, frame, scaled = trial, trial_check, scaled_frame, moments
                changes.append("scaled_predictors")
        except LmmInputError as err:
            steps.append(_step(STEP_SCALE, current, None, DECISION_FAILED,
                               detail={"error": str(err)}))

    # 3. every optimizer, compare the optima (lme4's allFit)
    trials = {}
    for name in OPTIMIZERS if RUNG_OPTIMIZER in asked else ():
        try:
            trials[name] = (
                current if name == current.optimizer else refit(current.formula, frame, name)
            )
        except LmmInputError as err:
            steps.append(_step(STEP_OPTIMIZER, current, None, DECISION_FAILED,
                               detail={"optimizer": name, "error": str(err)}))
    checks = {n: (check if t is current else check_optimum(t)) for n, t in trials.items()}
    good = {n: t for n, t in trials.items() if checks[n].convergence_ok}
    criteria = [t.criterion for t in good.values()]
    spread = float(max(criteria) - min(criteria)) if criteria else float("nan")
    best = min(good, key=lambda n: good[n].criterion) if good else None
    switch = (
        best is not None
        and best != current.optimizer
        and (
            not check.convergence_ok
            or good[best].criterion < current.criterion - OPTIMA_AGREE_TOL
        )
    )
    for name, trial in trials.items():
        steps.append(
            _step(STEP_OPTIMIZER, trial, checks[name],
                  DECISION_KEPT if (switch and name == best) else DECISION_NOT_KEPT,
                  detail={"optimizer": name, "optima_spread": spread,
                          "optima_agree": bool(spread <= OPTIMA_AGREE_TOL)})
        )
    if switch:
        current, check = good[best], checks[best]
        changes.append(f"optimizer:{best}")

    # 4. simplify the random effects while the fit is singular (or because it was asked)
    tried: set[str] = set()
    on_request = rungs is not None and RUNG_SIMPLIFY in rungs
    for _ in range(MAX_SIMPLIFICATIONS if RUNG_SIMPLIFY in asked else 0):
        if not (current.singular or on_request):
            break
        candidates = [
            c for c in _simplifications(current, near_zero_only=not on_request)
            if c[2] not in tried
        ]
        if not candidates:
            break
        kind, new_blocks, code = candidates[0]
        tried.add(code)
        text = _formula_text(current.model_formula, new_blocks)
        try:
            trial = refit(text, frame, current.optimizer)
        except LmmInputError as err:
            steps.append(_step(kind, current, None, DECISION_FAILED,
                               detail={"change": code, "formula": text, "error": str(err)}))
            continue
        trial_check = check_optimum(trial)
        chisq, df, p, p_boundary = _lrt(trial, current)
        simpler = df > 0
        p_used = p_boundary if kind == STEP_DROP_SLOPE else p
        accept = simpler and not (p_used < alpha)
        steps.append(
            _step(kind, trial, trial_check, DECISION_ACCEPTED if accept else DECISION_REJECTED,
                  detail={"change": code, "alpha": alpha, "simpler": simpler},
                  lrt_chisq=chisq, lrt_df=df, lrt_p=p, lrt_p_boundary=p_boundary)
        )
        if not accept:
            break
        current, check = trial, trial_check
        changes.append(code)

    final_formula = current.formula
    return ConvergenceAudit(
        requested_formula=requested,
        final_formula=final_formula,
        changed=bool(changes),
        changes=tuple(changes),
        steps=tuple(steps),
        final_fit=current,
        resolved=check.ok,
        scaled_columns=scaled,
        rungs=None if rungs is None else tuple(rungs),
    )
