"""``fit_lmm``: fit a linear mixed model as lme4's ``lmer`` does, test as lmerTest does.

The steps: parse the formula (grammar.formula), build the design (engine.design),
minimise the profiled deviance over theta (engine.model, engine.optimize), then
assemble beta-hat, Var(beta-hat) = sigma^2 (R_X'R_X)^-1, the variance components,
the tests with the chosen denominator df, and the checks (singular fit, aliased
columns, dropped rows, convergence).
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd

from engine.blas_threads import fit_blas_threads
from engine.centred_search import centred_search
from engine.design import (
    FarFromZero,
    ModelDesign,
    build_design,
    far_from_zero_columns,
    far_from_zero_groups,
    poorly_scaled_columns,
)
from engine.distributions import t_quantile, t_two_sided_p
from engine.errors import LmmInputError
from engine.hessian_check import (
    HESSIAN_NEGATIVE,
    HESSIAN_OK,
    HESSIAN_SINGULAR,
    HESSIAN_UNIDENTIFIABLE,
    HessianCheck,
    check_hessian,
)
from engine.kenward_roger import kenward_roger_obstacle
from engine.model import LmmModel
from engine.optimize import (
    DERIV_STEP,
    CentralDifferences,
    OptSummary,
    minimize,
    scaled_gradient_size,
)
from engine.profiled_deviance import deviance_function
from engine.residual_deviance import deferred_residual_deviance
from engine.results import FixedEffect, LmmFit, VarianceComponent
from engine.start import lme4_start
from grammar.formula import FormulaError, ModelFormula, parse_formula

__all__ = ["LmmModel", "fit_lmm", "DDF_METHODS"]

DDF_METHODS = ("satterthwaite", "kenward-roger", "residual", "asymptotic")
_DDF_ALIASES = {
    "satterthwaite": "satterthwaite",
    "kenward-roger": "kenward-roger",
    "kenward_roger": "kenward-roger",
    "kenwardroger": "kenward-roger",
    "kr": "kenward-roger",
    "residual": "residual",
    "asymptotic": "asymptotic",
    "z": "asymptotic",
    "wald": "asymptotic",
}
#: lme4's ``isSingular`` tolerance and ``check.boundary`` tolerance.
SINGULAR_TOL = 1e-4
BOUNDARY_TOL = 1e-5
#: lme4's ``check.conv.grad`` tolerance (on the scaled gradient), and the sizes from
#: which lme4 (1.1-38 on) skips the derivative-based checks (``check.conv.nobsmax``,
#: ``nparmax``: derivatives only for nobs < 1e4 and fewer than 10 theta parameters).
GRADIENT_TOL = 2e-3
CHECK_MAX_NOBS = 10_000
CHECK_MAX_NTHETA = 10
#: Relative rounding error allowed for the checks' deviance (engine.residual_deviance:
#: up to 4e-14 from 50-digit evaluations seen, on slopes of covariates far from zero);
#: four such errors over the squared step bound a second difference of rounding alone.
CHECKED_DEVIANCE_PRECISION = 1e-13


def normalise_ddf(ddf: str) -> str:
    key = str(ddf).strip().lower().replace(" ", "-")
    if key not in _DDF_ALIASES:
        raise LmmInputError(
            f"The degrees-of-freedom method '{ddf}' is not known; choose one of "
            + ", ".join(DDF_METHODS)
            + "."
        )
    return _DDF_ALIASES[key]


def _parse(formula: str | ModelFormula) -> ModelFormula:
    if isinstance(formula, ModelFormula):
        return formula
    try:
        return parse_formula(formula)
    except FormulaError as err:
        raise LmmInputError(str(err)) from None


def fit_lmm(
    formula: str | ModelFormula,
    data: pd.DataFrame,
    *,
    reml: bool = True,
    ddf: str = "satterthwaite",
    optimizer: str = "bobyqa",
    max_iter: int | None = None,
    level: float = 0.95,
    ddf_fallback: str | None = None,
) -> LmmFit:
    """Fit ``formula`` (lme4 syntax) to ``data`` by REML (default) or ML.

    ``ddf``: "satterthwaite" (lmerTest's default), "kenward-roger" (pbkrtest),
    "residual" (n - p) or "asymptotic" (z tests). ``optimizer``: "bobyqa" (NLopt,
    lme4's default), "l-bfgs-b", "nelder-mead", "powell". ``level``: confidence
    level of the Wald intervals in the coefficient table. ``ddf_fallback``: the df
    method to use where ``ddf`` cannot be computed for this model (Kenward-Roger on an
    ML fit or beyond its size limit), which is checked before the optimization;
    ``LmmFit.ddf_unavailable`` then says why. Without it such a ``ddf`` is an error.
    """
    ddf_method = normalise_ddf(ddf)
    if not (0 < float(level) < 1):
        raise LmmInputError(f"The confidence level must lie between 0 and 1, not {level}.")
    model_formula = _parse(formula)
    design = build_design(model_formula, data)
    with fit_blas_threads():
        model = LmmModel(design.X, design.y, design.random_terms, design.fixed_names)
        ddf_unavailable = None
        if ddf_method == "kenward-roger":
            ddf_unavailable = kenward_roger_obstacle(model.q, reml)
            if ddf_unavailable is not None:
                if ddf_fallback is None:
                    advice = "refit the model with REML or " if not reml else ""
                    raise LmmInputError(
                        f"{ddf_unavailable}; {advice}use ddf='satterthwaite' instead."
                    )
                ddf_method = normalise_ddf(ddf_fallback)
        opt, theta, criterion, gradient_size = _optimize(model, reml, optimizer, max_iter)
        solution = model.solve(theta, reml)
        sigma = float(np.sqrt(solution.sigma2))
        n, p = model.n, model.p
        npar = theta.size + p + 1
        singular = _is_singular(model, theta)
        poorly_scaled = poorly_scaled_columns(design.X, list(design.fixed_names))
        far_from_zero = far_from_zero_columns(
            design.X, list(design.fixed_names), centred=model.centred_columns
        )
        fit = LmmFit(
            formula=model_formula.source if isinstance(formula, ModelFormula) else str(formula),
            model_formula=model_formula,
            method="REML" if reml else "ML",
            reml=bool(reml),
            ddf_method=ddf_method,
            optimizer=opt.optimizer,
            level=float(level),
            nobs=n,
            ngroups=_ngroups(model),
            group_sizes=_group_sizes(model),
            n_dropped=design.n_dropped,
            dropped_by_variable=design.dropped_by_variable,
            criterion=float(criterion),
            loglik=float(-criterion / 2.0),
            aic=float(criterion + 2 * npar),
            bic=float(criterion + npar * np.log(n)),
            npar=int(npar),
            sigma=sigma,
            theta=theta,
            converged=bool(opt.converged),
            singular=singular,
            warnings=fit_warnings(
                design, n, singular, opt, gradient_size, poorly_scaled, far_from_zero
            ),
            opt=opt,
            fixed_effects=[],
            variance_components=variance_components(model, theta, sigma),
            icc=_icc(model, theta),
            beta=solution.beta,
            vcov_beta=solution.sigma2 * solution.vcov_unscaled,
            fixed_names=list(design.fixed_names),
            fixed_term_columns=design.fixed_term_columns,
            aliased=list(design.aliased),
            response_name=design.response_name,
            model_frame=design.model_frame,
            model=model,
            b=solution.b,
            u=solution.u,
            transform_state=design.state,
            source_data=data,
            poorly_scaled=poorly_scaled,
            far_from_zero=far_from_zero,
            ddf_unavailable=ddf_unavailable,
        )
        fit.fixed_effects = coefficient_table(fit, ddf_method, level)
    return fit


def fit_warnings(
    design: ModelDesign,
    n: int,
    singular: bool,
    opt: OptSummary,
    gradient_size: float,
    poorly_scaled: list[str] | None = None,
    far_from_zero: list[FarFromZero] | None = None,
) -> list[str]:
    """One sentence per problem: dropped rows, aliased columns, scales, predictors far
    from zero, singular fit, convergence."""
    warnings: list[str] = []
    if design.n_dropped:
        per_var = ", ".join(
            f"{count} in '{name}'" for name, count in design.dropped_by_variable.items() if count
        )
        warnings.append(
            f"{design.n_dropped} row(s) with missing values were left out ({per_var}); "
            f"the model uses the remaining {n} rows."
        )
    if design.aliased:
        warnings.append(
            "The fixed-effect column(s) "
            + ", ".join(f"'{a}'" for a in design.aliased)
            + " are linear combinations of other columns and were dropped, as lme4 does."
        )
    if poorly_scaled:
        warnings.append(
            "Some predictor variables are on very different scales ("
            + ", ".join(f"'{c}'" for c in poorly_scaled)
            + "); consider rescaling them, as lme4 advises."
        )
    for group in far_from_zero_groups(far_from_zero or []):
        first = group[0]
        variable = first.variable or first.name
        advice = f"`center {variable}`" if variable.isidentifier() else "centring it"
        cost = (
            "the intercept is an extrapolation far outside the data (the fit centred "
            "the predictor internally, so no precision was lost)"
            if all(column.centred_in_fit for column in group)
            else "the fit loses numerical precision and the intercept is an "
            "extrapolation far outside the data"
        )
        where = (
            f"(mean {first.mean:.6g}, SD {first.sd:.3g})"
            if len(group) == 1
            else "in the columns "
            + ", ".join(f"'{c.name}' (mean {c.mean:.6g}, SD {c.sd:.3g})" for c in group)
        )
        warnings.append(
            f"The predictor '{variable if len(group) > 1 else first.name}' sits far from "
            f"zero for its spread {where}, so {cost}; try {advice} and fit again."
        )
    if singular:
        warnings.append(
            "The fit is singular: at least one variance or correlation is estimated on the "
            "boundary (a variance of zero or a correlation of +/-1), so the random-effects "
            "structure is too rich for these data; consider simplifying it."
        )
    if not opt.converged:
        warnings.append(
            f"The optimizer stopped before converging ({opt.return_code}); raise the "
            "iteration limit or try another optimizer."
        )
    elif gradient_size > GRADIENT_TOL and not singular:
        warnings.append(
            f"The scaled gradient at the optimum is {gradient_size:.2g} (above "
            f"{GRADIENT_TOL:g}, lme4's limit); the optimum may be imprecise, so try "
            "another optimizer."
        )
    search = opt.centred_search
    if search is not None:
        names = ", ".join(f"'{name}'" for name in search.covariates)
        warnings.append(
            f"The optimizer's first search stopped at a criterion of {search.first_criterion:.6g}; "
            f"a second search with {names} centred inside the random term (the same model in "
            f"better-conditioned coordinates) found a lower optimum, {search.criterion:.6g}, "
            "which is reported. lme4 may stop at the first point on these data."
        )
    hessian = hessian_warning(opt.hessian_check)
    if hessian:
        warnings.append(hessian)
    return warnings


def hessian_warning(check: HessianCheck | None) -> str | None:
    """One sentence for a failed ``check.conv.hess`` (lme4's three outcomes), or for a
    passed one with unresolved eigenvalues (engine.hessian_check), else None."""
    if check is None:
        return None
    if check.outcome == HESSIAN_OK:
        if not check.n_unresolved:
            return None
        # A curvature below the rounding noise of the second differences: along that
        # direction the deviance is nearly flat, and whether lme4's check passes there
        # is decided by rounding.
        return (
            f"The curvature of the deviance at the optimum is too small in "
            f"{check.n_unresolved} direction(s) to be told from rounding error (below "
            f"{check.noise:.2g} in size), so the data barely determine some combination of "
            "the variance parameters; a simpler random-effects part may fit as well."
        )
    if check.outcome == HESSIAN_NEGATIVE:
        return (
            f"The curvature of the deviance at the optimum is negative in {check.n_negative} "
            f"direction(s) (lme4: a degenerate Hessian), so the optimizer may have stopped "
            "short of a minimum and the fit is not trustworthy; simplify the random effects, "
            "rescale the predictors or try another optimizer."
        )
    if check.outcome == HESSIAN_SINGULAR:
        return (
            "The curvature of the deviance at the optimum is flat in at least one direction "
            "(a Hessian eigenvalue near zero), so some variance parameters are not pinned "
            "down by the data; simplify the random effects."
        )
    if check.outcome == HESSIAN_UNIDENTIFIABLE:
        ratio = check.eigenvalue_ratio if check.eigenvalue_ratio is not None else float("nan")
        return (
            f"The curvature of the deviance at the optimum is very uneven (largest Hessian "
            f"eigenvalue {check.eigenvalues[0]:.3g}, smallest/largest {ratio:.2g}), so the "
            "model is nearly unidentifiable, usually because predictors are on very "
            "different scales; centre and scale them and fit again."
        )
    return (
        "The curvature of the deviance at the optimum could not be computed (the deviance "
        "is not finite nearby); try another optimizer or simplify the random effects."
    )


def _optimize(
    model: LmmModel, reml: bool, optimizer: str, max_iter: int | None
) -> tuple[OptSummary, np.ndarray, float, float]:
    """Minimise the profiled deviance; returns (record, theta, criterion, gradient size).

    lme4's sequence: optimise from lme4's start (engine.start), ``restart_edge``,
    ``check.boundary``, then the gradient check (:func:`_recheck_gradient`).

    The optimizer minimises the kernel (engine.profiled_deviance), lme4's path
    evaluation by evaluation. Where the kernel's Hessian is not plainly positive
    definite, the Hessian check differences ``precise`` instead (engine.residual_deviance:
    the kernel carries rounding of up to ~1e-10 relative, which step^2 = 1e-8 turns into
    false negative curvature; :func:`_check_hessian`).
    """

    objective = deviance_function(model, reml)
    precise = deferred_residual_deviance(model, reml) if _derivatives_checked(model) else None

    def with_gradient(th: np.ndarray) -> tuple[float, np.ndarray]:
        return model.deviance_and_gradient(th, reml)

    # The analytic gradient drives L-BFGS-B. For the other optimizers it only records
    # the gradient at the end: on small models, where lme4 checks it, central
    # differences (lme4's deriv12) take 2 * n_theta evaluations and cost less than the
    # analytic traces; on large ones the analytic gradient is the cheaper.
    small = model.n <= CHECK_MAX_NOBS
    use_gradient = optimizer.lower().replace("_", "-") == "l-bfgs-b" or not small
    gradient = with_gradient if use_gradient else None

    def run(start: np.ndarray) -> OptSummary:
        return minimize(objective, start, model.theta_lower,
                        optimizer=optimizer, max_iter=max_iter, gradient=gradient)

    opt = _restart_edge(model, run(lme4_start(model)), objective, run, optimizer)
    theta, criterion = _check_boundary(model, opt.final, opt.fmin, reml)
    opt.final, opt.fmin = theta, criterion
    opt, size = _recheck_gradient(model, opt, objective, run, reml)
    opt.hessian_check = _check_hessian(model, opt, objective, precise)
    if _stopped_short(model, opt):
        opt, size = _restart_once(model, opt, size, objective, run, reml, precise)
    if _derivatives_checked(model):
        opt, size = _search_centred(model, opt, size, objective, run, reml, precise,
                                    optimizer, max_iter)
    opt.differences = None  # the fit keeps the record, not the deviance's work arrays
    return opt, opt.final, opt.fmin, size


def _recheck_gradient(model, opt, objective, run, reml) -> tuple[OptSummary, float]:
    """lme4's ``check.conv.grad`` (small models only, as lme4), with one restart.

    As lme4's ``checkConv``, singular fits are not checked, and the scaled gradient
    (:func:`engine.optimize.scaled_gradient_size`) needs the Hessian only when the
    plain gradient already exceeds the tolerance. When the scaled gradient exceeds
    it, the optimizer is restarted once from its end point. The restart is adopted
    only if it lowers the criterion by more than 1e-6 relative; otherwise the
    deviance is merely flat there, the first optimum (lme4's path) is kept and no
    alarm is raised.
    """
    if not (_derivatives_checked(model) and opt.converged and opt.max_abs_gradient > GRADIENT_TOL):
        return opt, 0.0
    if _is_singular(model, opt.final):
        return opt, 0.0
    if scaled_gradient_size(_hessian(model, opt, objective), opt.gradient) <= GRADIENT_TOL:
        return opt, 0.0
    again = _restart_from(model, opt, run, reml)
    if again is None:
        return opt, 0.0
    theta = again.final
    size = 0.0
    if again.max_abs_gradient > GRADIENT_TOL and not _is_singular(model, theta):
        size = scaled_gradient_size(_hessian(model, again, objective), again.gradient)
    return again, size


def _restart_from(
    model, opt: OptSummary, run, reml: bool, start: np.ndarray | None = None,
    extra_evaluations: int = 0,
) -> OptSummary | None:
    """The optimizer restarted from ``opt``'s end point (or from ``start``), with lme4's
    boundary check, as one record (evaluations, with ``extra_evaluations`` spent
    elsewhere, and time added up); None unless it lowers the criterion by more than
    1e-6 relative, below which the deviance is merely flat there."""
    again = run(opt.final if start is None else start)
    theta, criterion = _check_boundary(model, again.final, again.fmin, reml)
    if not criterion < opt.fmin - 1e-6 * abs(opt.fmin):
        return None
    again.initial = opt.initial
    again.evaluations += opt.evaluations + extra_evaluations
    again.seconds += opt.seconds
    again.final, again.fmin = theta, criterion
    return again


def _stopped_short(model: LmmModel, opt: OptSummary) -> bool:
    """Whether the end point may not be a minimum, where lme4 would only warn or, for a
    singular fit, check nothing: negative curvature (lme4's degenerate Hessian), also
    where the kernel's Hessian found it and the checks' deviance leaves that direction
    within its rounding noise of zero (a flat ridge, along which BOBYQA can stop well
    above the optimum), or on a singular fit a gradient above lme4's tolerance in a
    coordinate that is off its bound (small models only, where the derivatives are
    computed)."""
    if not _derivatives_checked(model) or not opt.converged:
        return False
    check = opt.hessian_check
    if check is not None and check.outcome == HESSIAN_NEGATIVE:
        return True
    if check is not None and check.n_unresolved and check.first_look == HESSIAN_NEGATIVE:
        return True  # negative at first look, and the closer look cannot tell the sign
    if not _is_singular(model, opt.final):
        return False
    off_bound = [
        abs(g) for g, t, bound in zip(
            opt.gradient.tolist(), opt.final.tolist(), model.theta_lower.tolist(), strict=True
        )
        if not (bound == 0.0 and t == 0.0) and math.isfinite(g)
    ]
    return bool(off_bound) and max(off_bound) > GRADIENT_TOL


def _restart_once(
    model, opt, size, objective, run, reml, precise=None
) -> tuple[OptSummary, float]:
    """One restart of the optimizer from an end point that is not a minimum.

    BOBYQA can stop on a flat, badly scaled ridge (a random slope on a covariate far
    from zero) well above the optimum: one restart from its end point then reached a
    lower criterion than lme4's on 4 of 7 such models in a sweep against lme4. The
    restart is adopted only if it lowers the criterion by more than 1e-6 relative
    (:func:`_restart_from`, shared with :func:`_recheck_gradient`); the convergence
    checks then run again.
    """
    again = _restart_from(model, opt, run, reml)
    if again is None:
        return opt, size
    return _checked_again(model, again, objective, run, reml, precise)


def _checked_again(model, again, objective, run, reml, precise) -> tuple[OptSummary, float]:
    """An adopted restart's convergence checks: gradient (with its own restart) and
    Hessian, as the first end point had them."""
    again, size = _recheck_gradient(model, again, objective, run, reml)
    again.hessian_check = _check_hessian(model, again, objective, precise)
    return again, size


def _search_centred(
    model, opt, size, objective, run, reml, precise, optimizer, max_iter
) -> tuple[OptSummary, float]:
    """engine.centred_search: where a random term's covariate sits far from zero, a
    second search in centred coordinates; a lower optimum it finds is polished by the
    optimizer in the original coordinates and checked again, as the first one was
    (boundary, gradient, Hessian). Small models only, as lme4's derivative checks."""
    search = centred_search(model, opt, reml, objective, optimizer, max_iter)
    if search is None:
        return opt, size
    again = _restart_from(model, opt, run, reml, start=search.theta,
                          extra_evaluations=search.evaluations)
    if again is None:
        return opt, size
    again.centred_search = dataclasses.replace(search, criterion=again.fmin, theta=again.final)
    return _checked_again(model, again, objective, run, reml, precise)


def _derivatives_checked(model: LmmModel) -> bool:
    """lme4's default ``calc.derivs``: the gradient and Hessian checks run on small models."""
    return model.n < CHECK_MAX_NOBS and model.n_theta < CHECK_MAX_NTHETA


def _check_hessian(
    model: LmmModel, opt: OptSummary, objective, precise=None
) -> HessianCheck | None:
    """lme4's ``check.conv.hess`` at the final theta, where lme4 runs it.

    As lme4's ``checkConv``: small models only, singular fits and a gradient with an
    unknown (NaN) component are not checked. The Hessian reuses the gradient's central
    differences of ``objective`` (:meth:`engine.optimize.CentralDifferences.hessian`):
    one theta needs no further evaluation, d thetas need 2 d (d - 1) more. Where that
    verdict is not plainly fine (a flag, or a smallest eigenvalue within the rounding
    noise of the checks' deviance), every point of the scheme is evaluated again with
    ``precise`` (engine.residual_deviance) and its verdict, with that noise, is the
    check's; ordinary fits pay nothing more.
    """
    if not _derivatives_checked(model) or _is_singular(model, opt.final):
        return None
    if any(map(math.isnan, opt.gradient.tolist())):
        return None
    kernel = _differences(model, opt, objective)
    check = check_hessian(kernel.hessian())
    if precise is None or (
        check.outcome == HESSIAN_OK and check.eigenvalues[-1] > _rounding_noise(kernel.f0)
    ):
        return check
    differences = _differences(model, opt, precise)
    closer = check_hessian(differences.hessian(), noise=_rounding_noise(differences.f0))
    return dataclasses.replace(closer, first_look=check.outcome)


def _rounding_noise(deviance: float) -> float:
    """What rounding alone can put into lme4's second differences of the checks'
    deviance: four of its errors over the squared step."""
    error = CHECKED_DEVIANCE_PRECISION * max(abs(deviance), 1.0)
    return 4.0 * error / DERIV_STEP**2 if math.isfinite(error) else 0.0


def _is_singular(model: LmmModel, theta: np.ndarray) -> bool:
    """lme4's ``isSingular``: a bounded theta (a standard deviation) below the tolerance."""
    pairs = zip(theta.tolist(), model.theta_lower.tolist(), strict=True)
    return any(t < SINGULAR_TOL for t, bound in pairs if bound == 0.0)


def _hessian(model: LmmModel, opt: OptSummary, checked) -> np.ndarray:
    """lme4's ``deriv12`` Hessian of ``checked`` at ``opt.final``."""
    return _differences(model, opt, checked).hessian()


def _differences(model: LmmModel, opt: OptSummary, checked) -> CentralDifferences:
    """lme4's ``deriv12`` of ``checked`` at ``opt.final``, the gradient's steps reused
    when they are ``checked``'s there; every point of the scheme, the centre included,
    is ``checked``'s (a centre from another evaluation of the deviance would put that
    evaluation's difference into every second difference)."""
    differences = opt.differences
    if (
        differences is None
        or differences.fun is not checked
        or differences.x.tolist() != opt.final.tolist()
    ):
        value = float(checked(opt.final))
        differences = CentralDifferences(checked, opt.final, value, model.theta_lower)
    return differences


def _restart_edge(model, opt, objective, run, optimizer: str) -> OptSummary:
    """lme4's ``restart_edge``: if a variance ended exactly on its bound but the
    deviance decreases when moving off it (forward difference, step 1e-5), restart.

    Gradient-based optimizers restart with those coordinates back at their start
    value, since the derivative of the deviance at a zero scalar theta is zero.
    """
    pairs = zip(model.theta_lower.tolist(), opt.final.tolist(), strict=True)
    on_bound = [i for i, (bound, value) in enumerate(pairs) if bound == 0.0 and value == 0.0]
    if not on_bound or not math.isfinite(opt.fmin):
        return opt
    # lme4 re-evaluates the deviance at the end point; the optimizer's minimum is it.
    base = opt.fmin
    slopes = []
    for i in on_bound:
        moved = opt.final.copy()
        moved[i] = BOUNDARY_TOL
        slopes.append((objective(moved) - base) / BOUNDARY_TOL)
    if min(slopes) >= 0:
        return opt
    start = opt.final.copy()
    if optimizer.lower() != "bobyqa":
        start[on_bound] = model.theta_start[on_bound]
    again = run(start)
    again.initial = opt.initial
    again.evaluations += opt.evaluations + len(on_bound)
    again.seconds += opt.seconds
    return again if again.fmin <= opt.fmin else opt


def _check_boundary(
    model: LmmModel, theta: np.ndarray, fmin: float, reml: bool
) -> tuple[np.ndarray, float]:
    """lme4's ``check.boundary``: snap near-boundary theta to the bound if not worse."""
    theta = np.array(theta, dtype=float)
    pairs = zip(theta.tolist(), model.theta_lower.tolist(), strict=True)
    near = [i for i, (t, bound) in enumerate(pairs) if bound == 0.0 and abs(t) < BOUNDARY_TOL]
    if any(theta[i] != 0.0 for i in near):
        snapped = theta.copy()
        snapped[near] = 0.0
        value = model.deviance(snapped, reml)
        if value <= fmin:
            return snapped, float(value)
    return theta, float(fmin)


def _ngroups(model: LmmModel) -> dict[str, int]:
    out: dict[str, int] = {}
    for term in model.terms:
        out.setdefault(term.group, term.n_levels)
    return out


def _group_sizes(model: LmmModel) -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {}
    for term in model.terms:
        if term.group not in out:
            out[term.group] = np.bincount(term.codes, minlength=term.n_levels)
    return out


def component_names(model: LmmModel) -> list[str]:
    """lme4's VarCorr names: group names made unique with .1, .2 (``make.unique``)."""
    seen: dict[str, int] = {}
    names = []
    for term in model.terms:
        count = seen.get(term.group, 0)
        names.append(term.group if count == 0 else f"{term.group}.{count}")
        seen[term.group] = count + 1
    return names


def variance_components(
    model: LmmModel, theta: np.ndarray, sigma: float
) -> list[VarianceComponent]:
    """lme4's ``as.data.frame(VarCorr(m))``: variances, then covariances, per term."""
    rows: list[VarianceComponent] = []
    for name, term in zip(component_names(model), model.terms, strict=True):
        if term.n_columns == 1:  # the same products as below, as Python floats
            value = float(theta[term.theta_slice.start])
            variance = sigma**2 * (value * value)
            rows.append(
                VarianceComponent(name, term.columns[0], None, variance, math.sqrt(variance))
            )
            continue
        cov = term.covariance(theta, sigma**2)
        sd = np.sqrt(np.diag(cov))
        s = term.n_columns
        for a in range(s):
            rows.append(
                VarianceComponent(name, term.columns[a], None, float(cov[a, a]), float(sd[a]))
            )
        for a in range(s):
            for c in range(a + 1, s):
                denom = sd[a] * sd[c]
                corr = float(cov[a, c] / denom) if denom > 0 else float("nan")
                rows.append(
                    VarianceComponent(
                        name, term.columns[a], term.columns[c], float(cov[a, c]), corr
                    )
                )
    rows.append(VarianceComponent("Residual", None, None, sigma**2, sigma))
    return rows


def _icc(model: LmmModel, theta: np.ndarray) -> float | None:
    """sigma_u^2 / (sigma_u^2 + sigma^2) for a model with one random intercept only."""
    if len(model.terms) != 1 or model.terms[0].columns != ["(Intercept)"]:
        return None
    ratio = float(theta[0] ** 2)
    return ratio / (ratio + 1.0)


def coefficient_table(fit: LmmFit, ddf_method: str, level: float) -> list[FixedEffect]:
    """Estimates, SEs, df, t, two-sided p and Wald-t CIs with the chosen df."""
    beta = fit.beta
    se = np.sqrt(fit.vcov_beta.diagonal())
    p = beta.size
    if ddf_method == "satterthwaite":
        setup = fit.satterthwaite()
        df = np.array([setup.contrast_df(np.eye(p)[i]) for i in range(p)])
    elif ddf_method == "residual":
        df = np.full(p, float(fit.nobs - p))
    elif ddf_method == "asymptotic":
        df = np.full(p, np.inf)
    else:
        try:
            from engine.kenward_roger import kenward_roger_table
        except ImportError:
            raise LmmInputError(
                "Kenward-Roger degrees of freedom are unavailable in this installation; "
                "use ddf='satterthwaite' instead."
            ) from None
        table = kenward_roger_table(fit)
        se = np.array([fe.se for fe in table], dtype=float)
        df = np.array([fe.df for fe in table], dtype=float)
    t = beta / se
    p_values = t_two_sided_p(t, df)
    crit = t_quantile(1.0 - (1.0 - level) / 2.0, df)
    lower_ci = beta - crit * se
    upper_ci = beta + crit * se
    columns = zip(
        fit.fixed_names,
        beta.tolist(),
        se.tolist(),
        df.tolist(),
        t.tolist(),
        p_values.tolist(),
        lower_ci.tolist(),
        upper_ci.tolist(),
        strict=True,
    )
    return [
        FixedEffect(
            term=name, estimate=estimate, se=se_i, df=df_i, t=t_i, p=p_i,
            ci_lower=lower, ci_upper=upper,
        )
        for name, estimate, se_i, df_i, t_i, p_i, lower, upper in columns
    ]
