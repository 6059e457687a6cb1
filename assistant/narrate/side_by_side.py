"""The mixed model next to repeated-measures ANOVA (listwise deletion) and next to OLS
(clustering ignored): ``engine.side_by_side`` results in words."""

from __future__ import annotations

from typing import Any

from assistant.narrate import numbers as fmt
from assistant.narrate.blocks import Block, Heading, Paragraph, table

NOT_APPLICABLE_WORDS = {
    "no_repeated_factor": "no predictor of the model varies within subjects, so there is "
    "no repeated factor for an RM-ANOVA",
    "too_many_levels": "{variable} takes {n_levels} different values (more than {max_levels}); "
    "RM-ANOVA needs a few repeated time points, not a continuous variable",
    "between_subject_factors": "RM-ANOVA here takes within-subject factors only",
    "several_grouping_factors": "the model has more than one grouping factor; RM-ANOVA needs "
    "one subject column",
    "not_a_column": "{variable} is not a plain column of the data",
    "too_few_complete_subjects": "only {n_subjects_complete} subjects were seen at every time "
    "point, too few for an RM-ANOVA",
    "no_within_variation": "the outcome does not vary within subjects",
}


def _f_words(test: Any) -> str:
    if test.den_df is None:
        return f"χ²({fmt.degrees_of_freedom(test.num_df)})/df = {fmt.statistic(test.F)}, " + (
            fmt.p_value(test.p)
        )
    return (
        f"F({fmt.degrees_of_freedom(test.num_df)}, {fmt.degrees_of_freedom(test.den_df)}) = "
        f"{fmt.statistic(test.F)}, {fmt.p_value(test.p)}"
    )


def rm_anova_blocks(result: Any, model: Any) -> list[Block]:
    heading = Heading(f"{model.title} next to repeated-measures ANOVA")
    if not getattr(result, "applicable", True):
        reason = NOT_APPLICABLE_WORDS.get(result.reason, result.reason).format(
            variable=result.variable,
            n_levels=fmt.integer(result.n_levels),
            max_levels=fmt.integer(result.max_levels),
            n_subjects_complete=fmt.integer(result.n_subjects_complete),
        )
        return [heading, Paragraph(f"An RM-ANOVA cannot be run on this design: {reason}.")]
    within = fmt.join_words(result.within)
    blocks: list[Block] = [
        heading,
        Paragraph(
            f"RM-ANOVA keeps only subjects seen at every level of {within}: "
            f"{fmt.integer(result.n_subjects_complete)} of "
            f"{fmt.integer(result.n_subjects_total)} subjects and "
            f"{fmt.integer(result.n_rows_used)} of {fmt.integer(result.n_rows_total)} rows. "
            f"It throws away {fmt.plural(result.n_subjects_dropped, 'subject')} and "
            f"{fmt.plural(result.n_rows_dropped, 'row')}; the mixed model uses "
            f"{fmt.integer(result.lmm_nobs)} rows from {fmt.integer(result.lmm_ngroups)} "
            "subjects."
        ),
    ]
    rows = [
        [
            "RM-ANOVA (complete cases)",
            fmt.integer(result.n_subjects_complete),
            fmt.integer(result.n_rows_used),
            _f_words(result.rm_anova),
        ]
    ]
    if result.lmm is not None:
        rows.append(
            [
                "Mixed model (all data)",
                fmt.integer(result.lmm_ngroups),
                fmt.integer(result.lmm_nobs),
                _f_words(result.lmm),
            ]
        )
    blocks.append(table(["Analysis", "Subjects", "Rows", f"Test of {within}"], rows, "lrrl"))
    notes = []
    if result.gg_epsilon is not None:
        notes.append(
            f"Sphericity: Greenhouse-Geisser ε = {fmt.proportion(result.gg_epsilon)}; the "
            f"corrected RM-ANOVA test gives {fmt.p_value(result.rm_p_greenhouse_geisser)}."
        )
    if result.lmm_within_coding == "numeric":
        notes.append(
            f"The mixed model treats {result.lmm_term} as a number (one slope, 1 df) while "
            "RM-ANOVA compares every level, so the two tests ask slightly different questions."
        )
    if result.ignored_terms:
        notes.append(
            "RM-ANOVA leaves out the model's other terms: "
            + fmt.join_words(result.ignored_terms)
            + "."
        )
    if result.n_cells_averaged:
        notes.append(
            f"{fmt.plural(result.n_cells_averaged, 'subject-by-level cell')} held several rows "
            "and were averaged for the RM-ANOVA."
        )
    blocks.extend(Paragraph(n) for n in notes)
    return blocks


def ols_blocks(result: Any, model: Any) -> list[Block]:
    rows = []
    for c in result.coefficients:
        rows.append(
            [
                c.term,
                fmt.estimate(c.lmm_estimate, c.lmm_se),
                fmt.estimate(c.lmm_se, c.lmm_se),
                fmt.estimate(c.ols_estimate, c.ols_se),
                fmt.estimate(c.ols_se, c.ols_se),
                fmt.proportion(c.se_ratio),
            ]
        )
    blocks: list[Block] = [
        Heading(f"{model.title} next to OLS (clustering ignored)"),
        table(["Term", "LMM estimate", "LMM SE", "OLS estimate", "OLS SE", "OLS/LMM SE"], rows),
    ]
    too_small = [
        c.term for c in result.coefficients if c.se_ratio < 1 and c.varies_within_group is False
    ]
    too_large = [c.term for c in result.coefficients if c.se_ratio > 1 and c.varies_within_group]
    sentences = [
        "OLS treats all observations as independent. For predictors that are constant within "
        "a cluster its standard errors come out too small (false positives); for predictors "
        "that change within clusters they are usually too large, because OLS cannot "
        "separate the stable cluster differences from the noise."
    ]
    if too_small:
        sentences.append("Here OLS understates the SE of " + fmt.join_words(too_small) + ".")
    if too_large:
        sentences.append("It overstates the SE of " + fmt.join_words(too_large) + ".")
    if result.design_effect is not None:
        kind = "ICC" if result.icc_kind == "icc" else "adjusted ICC"
        sentences.append(
            f"Design effect 1 + (m̄ − 1)·ICC = {fmt.number(result.design_effect)} (mean cluster "
            f"size {fmt.number(result.mean_cluster_size)}, {kind} {fmt.proportion(result.icc)}): "
            f"clustering multiplies the variance of a mean by that factor, and its SE by "
            f"{fmt.number(result.sqrt_design_effect)}."
        )
    blocks.append(Paragraph(" ".join(sentences)))
    return blocks
