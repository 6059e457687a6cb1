"""The convergence ladder's audit trail (``engine.convergence.ConvergenceAudit``).

Says what each rung tried and what it found, which fit was kept, and, when the ladder
ended at a simpler model, that the model kept is still the one that was asked for and
how to fit the simpler one.
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


def _check_words(step: Any) -> str:
    detail = step.detail
    problems = []
    if not step.converged:
        problems.append("the optimizer reported no convergence")
    if detail.get("gradient_ok") is False:
        problems.append(
            f"the scaled gradient is {fmt.number(step.scaled_gradient)} (lme4 allows 0.002)"
        )
    if detail.get("hessian_ok") is False:
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


def _scale_words(step: Any) -> str:
    columns = fmt.join_words(list(step.detail.get("columns", {})))
    if step.decision == "failed":
        return f"Centring and scaling {columns} failed: {step.detail.get('error', '')}"
    if step.decision == "kept":
        return f"Centred and scaled {columns}: that removed the convergence problem."
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
            trail.append(_scale_words(step))
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
    suggestion = (
        f" To use it, type {code('LMM: ' + audit.final_formula)}"
        + (" after `standardize` of the scaled columns" if scaled else "")
        + "."
    )
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
