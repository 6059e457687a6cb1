"""The missing-data audit (``engine.missing.MissingAudit``) in words and tables."""

from __future__ import annotations

from typing import Any

from assistant.narrate import numbers as fmt
from assistant.narrate.blocks import Block, Detail, Heading, Paragraph, table
from engine.missingness_by import SMALL_EXPECTED_COUNT, MissingnessByFactor


def missing_blocks(audit: Any) -> list[Block]:
    subject = audit.subject
    per = (
        f"{fmt.integer(audit.obs_per_subject_min)} to {fmt.integer(audit.obs_per_subject_max)} "
        f"per {subject}, median {fmt.degrees_of_freedom(audit.obs_per_subject_median)}"
    )
    blocks: list[Block] = [
        Heading("Observations and missing data"),
        Paragraph(
            f"{fmt.plural(audit.n_observations, 'complete observation')} "
            f"(of {fmt.plural(audit.n_rows, 'row')}) from "
            f"{fmt.integer(audit.n_subjects)} levels of {subject}: {per}."
        ),
    ]
    count_rows = [
        [fmt.integer(k), fmt.integer(v)] for k, v in sorted(audit.obs_count_table.items())
    ]
    blocks.append(table(["Observations", f"{subject} count"], count_rows, "rr"))
    if getattr(audit, "unused_time", None):
        blocks.append(
            Paragraph(
                f"`{audit.unused_time}` has {fmt.integer(audit.n_unused_time_values)} distinct "
                "values, too many to be a set of visits, so there is no grid of missed visits "
                f"to count: below, a {subject} counts as complete when none of its rows has a "
                "missing value."
            )
        )
    if audit.time is not None and audit.missing_by_time:
        rows = [
            [
                t.time if isinstance(t.time, str) else fmt.value(t.time),
                fmt.integer(t.n_observed),
                fmt.integer(t.n_missing),
            ]
            for t in audit.missing_by_time
        ]
        blocks.append(
            Paragraph(
                f"Missing visits by {audit.time}: {fmt.integer(audit.n_missing_visits)} of the "
                f"{fmt.integer(audit.n_visit_cells)} {subject}-by-{audit.time} cells "
                f"({fmt.percent(audit.missing_visit_share, 1)}); "
                f"{fmt.plural(audit.n_monotone_dropout, 'subject')} dropped out and never came "
                f"back, {fmt.integer(audit.n_intermittent)} missed a visit and returned."
            )
        )
        blocks.append(table([audit.time, "Observed", "Missing"], rows, "rrr"))
    lost_subjects = audit.n_subjects - audit.n_complete_subjects
    blocks.append(
        Paragraph(
            f"Listwise deletion, as repeated-measures ANOVA does it, keeps only the "
            f"{fmt.integer(audit.n_complete_subjects)} subjects "
            f"{'seen at every time point' if audit.time else 'without an incomplete row'}: it "
            f"would throw away {fmt.plural(lost_subjects, 'subject')} and "
            f"{fmt.plural(audit.n_dropped_by_listwise, 'observation')} "
            f"({fmt.percent(_share(audit.n_dropped_by_listwise, audit.n_observations))} of the "
            "data). A mixed model keeps them all; that is valid when visits are missing at "
            "random (the chance of missing may depend on what was observed, not on the "
            "missing value itself)."
        )
    )
    by_variable = [f"{v}: {fmt.integer(n)}" for v, n in audit.missing_by_variable.items() if n]
    if by_variable:
        blocks.append(Detail((Paragraph("Rows with missing values: " + "; ".join(by_variable)),)))
    if audit.n_duplicate_rows:
        blocks.append(
            Paragraph(
                f"{fmt.plural(audit.n_duplicate_rows, 'row')} repeat a subject and time "
                "already seen; check whether they are true repeats."
            )
        )
    return blocks


def dropout_blocks(audit: Any) -> list[Block]:
    """ "How many patients dropped out?": the count of subjects seen at every time point
    up to their last and never after (the audit's monotone dropout), then the audit."""
    if audit.time is None or not audit.missing_by_time:
        return missing_blocks(audit)
    subjects = fmt.plural(audit.n_subjects, audit.subject, f"{audit.subject}s")
    lead = Paragraph(
        f"{fmt.integer(audit.n_monotone_dropout)} of {subjects} dropped out: seen at every "
        f"time point up to their last visit and never after. Another "
        f"{fmt.integer(audit.n_intermittent)} missed a visit and returned, and "
        f"{fmt.integer(audit.n_complete_subjects)} were seen at all "
        f"{fmt.integer(len(audit.time_points))} time points of {audit.time}."
    )
    audit_blocks = missing_blocks(audit)
    return [*audit_blocks[:1], lead, *audit_blocks[1:]]  # after the audit's heading


def complete_subjects_blocks(audit: Any) -> list[Block]:
    """ "How many patients had all 4 visits?": the subjects seen at every time point, what
    listwise deletion would keep, and the whole audit at the detailed level."""
    subject = audit.subject
    complete = fmt.integer(audit.n_complete_subjects)
    of_all = fmt.plural(audit.n_subjects, subject)
    incomplete = audit.n_incomplete_subjects
    if audit.time is not None and audit.time_points:
        points = fmt.join_words(
            [p if isinstance(p, str) else fmt.value(p) for p in audit.time_points]
        )
        lead = (
            f"{complete} of {of_all} were seen at all {fmt.integer(len(audit.time_points))} "
            f"time points of {audit.time} ({points})"
        )
        lead += f"; the other {fmt.integer(incomplete)} missed at least one." if incomplete else "."
        if incomplete and audit.n_monotone_dropout + audit.n_intermittent == incomplete:
            lead += (
                f" Of those, {fmt.integer(audit.n_monotone_dropout)} dropped out and never came "
                f"back and {fmt.integer(audit.n_intermittent)} missed a visit and returned."
            )
    else:
        variables = fmt.join_words(list(audit.variables)) or "the model's variables"
        lead = (
            f"{complete} of {of_all} have no row with a missing value in {variables}"
            + (f"; the other {fmt.integer(incomplete)} have at least one." if incomplete else ".")
        )
    if incomplete:
        meaning = (
            f"What it implies: repeated-measures ANOVA, which needs every time point, would "
            f"analyse only these {complete} ({fmt.integer(audit.n_complete_case_rows)} of "
            f"{fmt.plural(audit.n_observations, 'observation')}) and throw away "
            f"{fmt.integer(audit.n_dropped_by_listwise)}; a mixed model uses all "
            f"{fmt.integer(audit.n_observations)} observations of the {of_all}, which is valid "
            "when visits are missing at random (the chance of missing may depend on what was "
            "observed, not on the missing value itself)."
        )
    else:
        meaning = (
            "What it implies: no data are missing, so listwise deletion (repeated-measures "
            "ANOVA) and the mixed model use the same observations."
        )
    return [
        Heading("Subjects seen at every time point"),
        Paragraph(lead),
        Paragraph(meaning),
        Detail(tuple(missing_blocks(audit))),
    ]


def missingness_by_blocks(result: Any) -> list[Block]:
    """ "Is the missingness related to treatment?": completers against the others
    (``engine.missingness_by``), with the test and what it can and cannot show."""
    if isinstance(result, MissingnessByFactor):
        blocks = _by_factor_blocks(result)
    else:
        blocks = _by_numeric_blocks(result)
    related = result.p_value < fmt.SIGNIFICANCE_LEVEL
    blocks.append(Paragraph(_missingness_meaning(result.variable, related)))
    return blocks


def _by_factor_blocks(result: Any) -> list[Block]:
    subject, variable = result.subject, result.variable
    complete = sum(level.n_complete for level in result.levels)
    shares = fmt.join_words([
        f"{level.level} {fmt.integer(level.n_complete)} of {fmt.integer(level.n_subjects)} "
        f"({fmt.percent(level.share_complete)})"
        for level in result.levels
    ])
    if result.test == "fisher":
        test = f"Fisher's exact test: {fmt.p_value(result.p_value)}"
    else:
        test = (
            f"Pearson's chi-square test: \u03c7\u00b2({fmt.integer(result.df)}) = "
            f"{fmt.statistic(result.statistic)}, {fmt.p_value(result.p_value)}"
        )
    verdict = (
        f"The share of completers differs between levels of {variable} ({test})."
        if result.p_value < fmt.SIGNIFICANCE_LEVEL
        else f"The data show no clear difference between levels of {variable} ({test}); with "
        f"{fmt.plural(result.n_subjects, subject)} the test can miss a modest difference, so "
        "this is not proof that the two are unrelated."
    )
    if result.test == "chi_square" and result.min_expected < SMALL_EXPECTED_COUNT:
        verdict += (
            f" Some expected counts are below {SMALL_EXPECTED_COUNT:g}, so the chi-square p "
            "value is only a rough guide."
        )
    rows = [
        [level.level, fmt.integer(level.n_subjects), fmt.integer(level.n_complete),
         fmt.integer(level.n_incomplete), fmt.percent(level.share_complete)]
        for level in result.levels
    ]
    return [
        Heading(f"Missed visits by {variable}"),
        Paragraph(
            f"{fmt.integer(complete)} of {fmt.plural(result.n_subjects, subject)} were seen at "
            f"every time point. Seen at every time point, by {variable}: "
            f"{shares}."
        ),
        table(
            [variable, f"{subject}s", "Seen at every time", "Missed at least one", "Complete"],
            rows, "lrrrr",
        ),
        Paragraph(verdict),
    ]


def _by_numeric_blocks(result: Any) -> list[Block]:
    subject, variable = result.subject, result.variable
    what = variable
    if result.baseline is not None:
        at = result.baseline if isinstance(result.baseline, str) else fmt.value(result.baseline)
        what = f"{variable} at baseline ({result.time} = {at})"
    done, missed = result.complete, result.incomplete
    lead = (
        f"{fmt.plural(done.n, subject)} seen at every time point had mean {what} "
        f"{fmt.number(done.mean)} (SD {fmt.number(done.sd)}); the {fmt.integer(missed.n)} who "
        f"missed at least one visit had {fmt.number(missed.mean)} (SD {fmt.number(missed.sd)}), "
        f"a difference of {fmt.number(result.difference)} (Welch's "
        f"t({fmt.degrees_of_freedom(result.df)}) = {fmt.statistic(result.t)}, "
        f"{fmt.p_value(result.p_value)})."
    )
    if result.n_without_value:
        lead += (
            f" {fmt.plural(result.n_without_value, subject)} had no value of {variable} there "
            "and are left out."
        )
    return [Heading(f"Missed visits and {variable}"), Paragraph(lead)]


def _missingness_meaning(variable: str, related: bool) -> str:
    if related:
        return (
            f"What it implies: who misses visits depends on {variable}. That is still missing at "
            f"random, which the mixed model handles, provided {variable} is in the model (or "
            f"explains the outcome only through what is in it); an analysis of completers only "
            "(repeated-measures ANOVA) would be biased. No test on the observed data can show "
            "whether missing depends on the unseen values themselves."
        )
    return (
        f"What it implies: nothing here suggests that who misses visits depends on {variable}, "
        "which fits data missing at random; no test on the observed data can show whether "
        "missing depends on the unseen values themselves."
    )


def _share(part: int, whole: int) -> float | None:
    """A proportion for wording only (part of a whole the audit already counted)."""
    return part / whole if whole else None
