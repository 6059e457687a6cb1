"""One model under two methods in words: Satterthwaite's against Kenward-Roger's tests of
the fixed effects, and the REML fit against the ML fit (``engine.method_comparison``)."""

from __future__ import annotations

from typing import Any

from assistant.narrate import numbers as fmt
from assistant.narrate.blocks import Block, Heading, Paragraph, table

#: A p value whose two readings differ by less than this is called the same.
_P_CLOSE = 0.005


def ddf_comparison_blocks(result: Any, model: Any) -> list[Block]:
    rows = [
        [r.term, fmt.estimate(r.estimate, r.se_satterthwaite),
         fmt.estimate(r.se_satterthwaite, r.se_satterthwaite),
         fmt.degrees_of_freedom(r.df_satterthwaite), fmt.p_cell(r.p_satterthwaite),
         fmt.estimate(r.se_kenward_roger, r.se_kenward_roger),
         fmt.degrees_of_freedom(r.df_kenward_roger), fmt.p_cell(r.p_kenward_roger)]
        for r in result.rows
    ]
    changed = [r.term for r in result.rows
               if (r.p_satterthwaite < 0.05) != (r.p_kenward_roger < 0.05)]
    largest = max(result.rows, key=lambda r: abs(r.p_kenward_roger - r.p_satterthwaite))
    gap = abs(largest.p_kenward_roger - largest.p_satterthwaite)
    if changed:
        verdict = (f"The two methods disagree at the 5% level for {fmt.join_words(changed)}: "
                   "report Kenward-Roger's, which also corrects the SE for the uncertainty "
                   "of the variance estimates, and say so.")
    elif gap < _P_CLOSE:
        verdict = ("The two methods agree: every p value differs by less than "
                   f"{_P_CLOSE:g}, so the choice does not matter for this model.")
    else:
        verdict = (f"The largest difference is for {largest.term} "
                   f"({fmt.p_value(largest.p_satterthwaite)} with Satterthwaite, "
                   f"{fmt.p_value(largest.p_kenward_roger)} with Kenward-Roger); no "
                   "conclusion at the 5% level changes.")
    return [
        Heading(f"Satterthwaite and Kenward-Roger tests, {model.title}"),
        table(["Term", "Estimate", "SE", "df (S)", "p (S)", "SE (KR)", "df (KR)", "p (KR)"],
              rows),
        Paragraph(
            "Satterthwaite's method (lmerTest) approximates the degrees of freedom of each t "
            "test; Kenward-Roger's (pbkrtest) also inflates the standard errors for the "
            "uncertainty in the estimated variances, which matters most with few clusters. "
            + verdict
        ),
    ]


def estimation_comparison_blocks(result: Any, model: Any) -> list[Block]:
    fixed_rows = [
        [r.term, fmt.estimate(r.estimate_reml, r.se_reml), fmt.number(r.se_reml),
         fmt.estimate(r.estimate_ml, r.se_ml), fmt.number(r.se_ml)]
        for r in result.fixed
    ]
    variance_rows = [
        [_component_label(r), *_component_cells(r)] for r in result.variances
    ]
    residual = next((r for r in result.variances if r.group == "Residual"), None)
    shrunk = [r for r in result.variances if r.var2 is None and r.group != "Residual"
              and r.vcov_ml < r.vcov_reml]
    notes = [
        "The fixed-effect estimates are the same or nearly so; their SEs are smaller under ML "
        "because ML treats the fixed effects as known when it estimates the variances."
    ]
    if shrunk:
        notes.append(
            "ML gives smaller variances ("
            + fmt.join_words([f"{_component_label(r)} {fmt.number(r.vcov_ml)} vs "
                              f"{fmt.number(r.vcov_reml)}" for r in shrunk])
            + "): it divides by n instead of n minus the number of fixed effects "
            f"({result.n_fixed} here), the bias REML corrects."
        )
    elif residual is not None:
        notes.append("The variances barely move between the two criteria here.")
    notes.append(
        f"Log-likelihood: REML {fmt.number(result.loglik_reml)}, ML "
        f"{fmt.number(result.loglik_ml)}; the two are on different scales and are never "
        "compared with each other. Report the REML estimates; use ML fits only to compare "
        "models whose fixed effects differ (likelihood-ratio test, AIC)."
    )
    return [
        Heading(f"REML and ML estimates, {model.title}"),
        table(["Term", "Estimate (REML)", "SE (REML)", "Estimate (ML)", "SE (ML)"], fixed_rows),
        table(["Variance component", "Variance (REML)", "SD (REML)", "Variance (ML)",
               "SD (ML)"], variance_rows),
        Paragraph(" ".join(notes)),
    ]


def _component_label(row: Any) -> str:
    if row.group == "Residual":
        return "Residual"
    if row.var2 is not None:
        return f"{row.group}: {row.var1} with {row.var2} (correlation)"
    return f"{row.group}: {row.var1}"


def _component_cells(row: Any) -> list[str]:
    """Variance and SD; a correlation row has its covariance and correlation."""
    if row.var2 is not None:
        return [fmt.number(row.vcov_reml), fmt.fixed(row.sdcor_reml, 2),
                fmt.number(row.vcov_ml), fmt.fixed(row.sdcor_ml, 2)]
    return [fmt.number(row.vcov_reml), fmt.number(row.sdcor_reml),
            fmt.number(row.vcov_ml), fmt.number(row.sdcor_ml)]
