"""The convergence ladder's audit trail (``engine.convergence.ConvergenceAudit``), and
lme4's Hessian check (``check.conv.hess``, ``engine.hessian_check``) in words.

Says what each rung tried and what it found, which fit was kept, and, when the ladder
ended at a simpler model, that the model kept is still the one that was asked for and
how to fit the simpler one. :func:`hessian_blocks` says what a failed Hessian check of a
fit means and what to do next (the fit's troubleshooting paragraph uses it).
"""

from __future__ import annotations

from typing import Any

from assistant.narrate import numbers as fmt
from assistant.narrate.blocks import Block, Bullets, Detail, Heading, Paragraph, code, table

DECISION_WORDS = {
    "ok": "fine",
    "problem": "a problem",
    "kept": "kept",
    "not_kept": "not kept",
    "accepted": "accepted",
    "rejected": "rejected",
    "failed": "failed",
}


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


# Outcome codes of engine.hessian_check (HessianCheck.outcome).
HESSIAN_NEGATIVE = "negative_eigenvalues"
HESSIAN_SINGULAR = "near_zero_eigenvalues"
HESSIAN_UNIDENTIFIABLE = "nearly_unidentifiable"
HESSIAN_NOT_FINITE = "not_finite"


def _uneven(largest: float | None, ratio: float | None) -> str:
    """The numbers behind lme4's 'nearly unidentifiable': largest eigenvalue and ratio."""
    parts = []
    if largest is not None:
        parts.append(f"largest eigenvalue {fmt.scientific(largest, 2)}")
    if ratio is not None:
        parts.append(f"smallest/largest {fmt.scientific(ratio, 2)}")
    return f" ({', '.join(parts)})" if parts else ""


def hessian_finding(outcome: str | None, n_negative: int = 0, largest: float | None = None,
                    ratio: float | None = None) -> str | None:
    """What a failed lme4 Hessian check found, as a clause; None when it passed or did not
    run (lme4 skips it for singular fits and for large models)."""
    if outcome == HESSIAN_NEGATIVE:
        return (
            f"lme4's Hessian check failed: the deviance curves downward in "
            f"{fmt.plural(n_negative, 'direction')} at the optimum, so it is a saddle point "
            "or a stop short of the minimum (lme4 reports this as a failure to converge)"
        )
    if outcome == HESSIAN_SINGULAR:
        return (
            "lme4's Hessian check failed: the deviance is flat in at least one direction at "
            "the optimum, so some variance parameters are not pinned down by the data"
        )
    if outcome == HESSIAN_UNIDENTIFIABLE:
        return (
            "lme4's Hessian check failed: the curvature of the deviance is very uneven"
            f"{_uneven(largest, ratio)}, which lme4 calls nearly unidentifiable and which "
            "usually means predictors on very different scales"
        )
    if outcome == HESSIAN_NOT_FINITE:
        return (
            "lme4's Hessian check could not be done: the deviance is not finite next to "
            "the optimum"
        )
    return None


def hessian_blocks(fit: Any, ladder_ran: bool = False) -> list[Block]:
    """A failed lme4 Hessian check of ``fit`` (``fit.opt.hessian_check``): what it means
    and the next step; nothing when it passed or did not run. ``ladder_ran``: the
    convergence ladder already ran on the fit, and its account follows."""
    opt = getattr(fit, "opt", None)
    check = getattr(opt, "hessian_check", None)
    if check is None:
        return []
    outcome = check.outcome
    finding = hessian_finding(
        outcome,
        check.n_negative,
        check.eigenvalues[0] if check.eigenvalues else None,
        check.eigenvalue_ratio,
    )
    if finding is None:
        return _flat_direction_blocks(check)
    if outcome == HESSIAN_UNIDENTIFIABLE:
        title = "The model is nearly unidentifiable"
        advice = (
            "The optimizer copes badly with such a surface, so the optimum may be imprecise. "
            "Next, centre and scale the continuous predictors and fit again: `fix "
            "convergence` tries that first and keeps it when the check then passes."
        )
    elif outcome == HESSIAN_NEGATIVE:
        title = "The optimizer did not reach a minimum"
        advice = (
            "The estimates cannot be trusted as they are. Next, try `fix convergence`: it "
            "refits with other optimizers and then simplifies the random effects."
        )
    elif outcome == HESSIAN_SINGULAR:
        title = "Some variance parameters are not determined"
        advice = (
            "Next, simplify the random effects (`fix convergence` tries that, with a "
            "likelihood-ratio test for each step)."
        )
    else:
        title = "The curvature at the optimum is unknown"
        advice = "Next, try `fix convergence` (other optimizers, then simpler random effects)."
    if ladder_ran:
        advice = "The convergence check below tries the usual remedies and says what each did."
    return [Paragraph(f"**{title}**: {finding}. {advice}")]


def centred_search_blocks(fit: Any) -> list[Block]:
    """The second search in centred coordinates (``fit.opt.centred_search``,
    engine.centred_search) when it found a lower optimum: why the first search stopped
    early, what was done, and how to get the same fit directly."""
    search = getattr(getattr(fit, "opt", None), "centred_search", None)
    if search is None:
        return []
    names = fmt.join_words([f"`{name}`" for name in search.covariates])
    first = search.covariates[0]
    return [
        Paragraph(
            f"**A second search found a better optimum**: {names} sits far from zero for "
            "its spread, so in its random term the intercept and the slope are nearly "
            "collinear and the deviance runs along a long, flat valley, where the optimizer "
            f"stopped early (criterion {fmt.number(search.first_criterion)}). A second "
            f"search with {names} centred inside the random term, which is the same model "
            "in better-conditioned coordinates, reached a criterion lower by "
            f"{fmt.number(search.improvement)}; every estimate here comes from that optimum. "
            "lme4 can stop at the first point on data like these, so its numbers may "
            f"differ. Centring it yourself (`center {first}`) gives the same fit, with the "
            f"intercept at the mean of `{first}`."
        )
    ]


def _flat_direction_blocks(check: Any) -> list[Block]:
    """A passed Hessian check with eigenvalues too small to tell from rounding
    (``HessianCheck.n_unresolved``): what that says about the variance parameters."""
    n = int(getattr(check, "n_unresolved", 0) or 0)
    if not n:
        return []
    return [
        Paragraph(
            "**A combination of variance parameters is barely determined**: at the optimum "
            f"the deviance is so flat in {fmt.plural(n, 'direction')} that its curvature "
            f"(at most about {fmt.number(check.noise)}) cannot be told from rounding "
            "error, so lme4's Hessian check would pass or fail there by chance. The "
            "estimates are the optimum, but the data say little about that combination; "
            "if a simpler random-effects part fits about as well (compare the two with a "
            "likelihood-ratio test), it is the safer model to report."
        )
    ]


def _check_words(step: Any) -> str:
    detail = step.detail
    problems = []
    if not step.converged:
        problems.append("the optimizer reported no convergence")
    if detail.get("gradient_ok") is False:
        problems.append(
            f"the scaled gradient is {fmt.number(step.scaled_gradient)} (lme4 allows 0.002)"
        )
    finding = hessian_finding(
        detail.get("hessian_check"),
        int(detail.get("hessian_negative") or 0),
        detail.get("hessian_largest"),
        detail.get("hessian_ratio"),
    )
    if finding is not None:
        problems.append(finding)
    elif detail.get("hessian_ok") is False:
        problems.append("the curvature at the optimum is not clearly positive")
    if step.singular:
        boundary = detail.get("boundary") or []
        problems.append(
            f"the fit is singular ({fmt.plural(len(boundary), 'variance parameter')} "
            "on the boundary)"
        )
    if not problems:
        return "Checked the optimum: gradient and curvature are fine."
    return "Checked the optimum: " + fmt.join_words(problems) + "."


def _convergence_problem(check: Any) -> bool:
    """The check step found a convergence problem (not merely a singular fit)."""
    detail = check.detail
    return (
        not check.converged
        or detail.get("gradient_ok") is False
        or detail.get("hessian_ok") is False
    )


def _scale_words(step: Any, check: Any | None = None) -> str:
    columns = fmt.join_words(list(step.detail.get("columns", {})))
    uneven = check is not None and check.detail.get("hessian_check") == HESSIAN_UNIDENTIFIABLE
    if step.decision == "failed":
        return f"Centring and scaling {columns} failed: {step.detail.get('error', '')}"
    if step.decision == "kept":
        if uneven:
            return (
                f"Centred and scaled {columns}, the usual fix for a nearly unidentifiable "
                "model: the refit passes lme4's Hessian check, which removed the "
                "convergence problem."
            )
        return f"Centred and scaled {columns}: that removed the convergence problem."
    if check is not None and _convergence_problem(check):
        still = hessian_finding(step.detail.get("hessian_check"))
        return (
            f"Centred and scaled {columns}: the refit still has a problem"
            + (f" ({still})" if still else "")
            + ", so the original scale was kept."
        )
    return (
        f"Centred and scaled {columns}: no convergence problem to remove that way, so the "
        "original scale was kept."
    )


def _iteration_words(step: Any) -> str:
    cap = fmt.integer(step.detail.get("max_iter"))
    if step.decision == "failed":
        return (
            f"The optimizer had stopped at its limit of {cap} iterations; refitting without "
            f"that limit failed: {step.detail.get('error', '')}"
        )
    if step.decision == "kept":
        return (
            f"The optimizer had stopped at its limit of {cap} iterations; refitted without "
            "that limit, it converged, and that fit is kept."
        )
    return (
        f"The optimizer had stopped at its limit of {cap} iterations; even without that "
        "limit it did not converge."
    )


def _simplify_words(step: Any) -> str:
    change = str(step.detail.get("change", ""))
    what, _, where = change.partition(":")
    if what == "uncorrelated":
        action = f"Removed the correlation of the random effects by {where}"
    else:
        column, _, group = where.partition("|")
        action = f"Dropped the random slope of {column} by {group}"
    if step.decision == "failed":
        return f"{action}: the simpler model could not be fitted ({step.detail.get('error', '')})."
    p = step.lrt_p_boundary if what == "dropped_slope" else step.lrt_p
    test = f"χ²({fmt.integer(step.lrt_df)}) = {fmt.statistic(step.lrt_chisq)}, {fmt.p_value(p)}"
    verdict = (
        "the simpler model is not significantly worse"
        if step.decision == "accepted"
        else "the simpler model fits significantly worse, so the ladder stopped"
    )
    return f"{action} ({code(step.formula)}): {test}; {verdict}."


def audit_blocks(audit: Any, model: Any) -> list[Block]:
    """The audit trail in words, with the optimizer table at the detailed level."""
    trail: list[str] = []
    optimizer_rows = []
    kept_optimizer = None
    optimizer_position = None
    for step in audit.steps:
        if step.kind == "check_optimum":
            trail.append(_check_words(step))
        elif step.kind == "center_scale":
            check = audit.steps[0] if audit.steps[0].kind == "check_optimum" else None
            trail.append(_scale_words(step, check))
        elif step.kind == "iteration_limit":
            trail.append(_iteration_words(step))
        elif step.kind == "optimizer":
            if optimizer_position is None:
                optimizer_position = len(trail)
            name = step.detail.get("optimizer", step.optimizer)
            if step.decision == "failed":
                optimizer_rows.append([name, "", "", "", "failed"])
                continue
            optimizer_rows.append(
                [
                    name,
                    fmt.number(step.criterion),
                    _yes(step.converged),
                    _yes(step.singular),
                    DECISION_WORDS.get(step.decision, step.decision),
                ]
            )
            if step.decision == "kept":
                kept_optimizer = name
        else:
            trail.append(_simplify_words(step))
    simplified = any(step.kind in ("uncorrelated", "drop_slope") for step in audit.steps)
    if audit.rungs and "simplify" in audit.rungs and not simplified:
        terms = audit.final_fit.model.terms
        if all(column == "(Intercept)" for term in terms for column in term.columns):
            trail.append(
                "Nothing simpler to try: every grouping factor has a random intercept only, "
                "the simplest random part there is."
            )
        else:
            trail.append(
                "Nothing simpler to try: the random part is a single slope term, and "
                "dropping it would leave no random effects at all."
            )
    if optimizer_rows:
        agree = any(s.detail.get("optima_agree") for s in audit.steps if s.kind == "optimizer")
        text = f"Refitted with {fmt.plural(len(optimizer_rows), 'optimizer')}"
        text += (
            ": they reach the same optimum, so the estimates do not depend on the optimizer"
            if agree
            else ": their optima differ"
        )
        text += f"; switched to {kept_optimizer}." if kept_optimizer else "."
        trail.insert(optimizer_position or 0, text)
    blocks: list[Block] = [
        Heading(f"Convergence check for {model.title}"),
        Bullets(tuple(trail)),
    ]
    if optimizer_rows:
        blocks.append(
            Detail(
                (
                    table(
                        ["Optimizer", "Criterion", "Converged", "Singular", "Decision"],
                        optimizer_rows,
                        "lrlll",
                    ),
                )
            )
        )
    blocks.append(Paragraph(_outcome_sentence(audit, model)))
    return blocks


def _optimizer_note(audit: Any, model: Any) -> str:
    asked = audit.steps[0].optimizer if audit.steps else model.fit.optimizer
    if model.fit.optimizer == asked:
        return ""
    return (
        f" Model {model.number} was refitted with {model.fit.optimizer}, which reached a "
        f"better optimum than {asked}; the estimates shown are from that fit."
    )


def _outcome_sentence(audit: Any, model: Any) -> str:
    return _outcome_words(audit, model) + _optimizer_note(audit, model)


def _outcome_words(audit: Any, model: Any) -> str:
    if not audit.changed:
        if audit.resolved:
            return "Nothing needed to change: the fit is trustworthy as it is."
        return (
            f"None of the remedies changed the picture, so model {model.number} stays as "
            "fitted; read its variance components with care."
        )
    simpler = audit.final_formula != audit.requested_formula
    scaled = "scaled_predictors" in audit.changes
    if not simpler and not scaled:
        if "raised_iteration_limit" in audit.changes:
            return (
                f"Model {model.number} is the model you asked for, fitted without the "
                "iteration limit; the estimates shown are from that fit."
            )
        return f"Model {model.number} is the model you asked for."
    pieces = []
    if simpler:
        pieces.append(f"the simpler model {code(audit.final_formula)}")
    if scaled:
        pieces.append("centred and scaled predictors")
    standardize = ""
    if scaled and audit.scaled_columns:
        standardize = f"{code('standardize ' + ' and '.join(audit.scaled_columns))}, then "
    suggestion = f" To use it, type {standardize}{code('LMM: ' + audit.final_formula)}."
    if audit.steps and audit.steps[0].decision == "ok":
        # nothing was wrong: the simplification was asked for, and the tests allowed it
        state = "which the likelihood-ratio tests above do not reject"
    elif audit.resolved:
        state = "which resolves the problem"
    else:
        state = "which is better behaved"
    return (
        f"The ladder ends with {fmt.join_words(pieces)}, {state}. Model "
        f"{model.number} is still the model you asked for ({code(audit.requested_formula)}); "
        f"nothing was replaced.{suggestion}"
    )
