"""Inter-rater reliability (McGraw & Wong's ICCs), in words and a table."""

from __future__ import annotations

from typing import Any

from assistant.narrate import numbers as fmt
from assistant.narrate.blocks import Block, Heading, Paragraph, table


def reliability_blocks(result: Any, model: Any) -> list[Block]:
    r, t, k = result.rater, result.target, result.k
    lead = (
        f"Inter-rater reliability of the {k} levels of {r} rating {result.n_targets} levels "
        f"of {t} (intraclass correlations of McGraw & Wong 1996, from the variance "
        f"components of {model.title}, {result.method}): {t} variance "
        f"{fmt.number(result.target_variance)}, {r} variance "
        f"{fmt.number(result.rater_variance)}, residual variance "
        f"{fmt.number(result.residual_variance)}."
    )
    meaning = (
        f"Absolute agreement of a single rating, ICC(A,1) = {fmt.fixed(result.icc_a1, 3)}, "
        f"counts a rater's general harshness or leniency as disagreement; consistency, "
        f"ICC(C,1) = {fmt.fixed(result.icc_c1, 3)}, asks only whether raters order the "
        f"{t} levels alike. The mean of {k} raters is more reliable: ICC(A,{k}) = "
        f"{fmt.fixed(result.icc_ak, 3)}, ICC(C,{k}) = {fmt.fixed(result.icc_ck, 3)}."
    )
    blocks: list[Block] = [Heading(f"Inter-rater reliability, {model.title}"),
                           Paragraph(lead), Paragraph(meaning)]
    notes = []
    if result.adjusted_for:
        notes.append(
            f"The model has fixed effects ({', '.join(result.adjusted_for)}), so the {t} "
            "variance is the part they leave unexplained: the ICCs describe agreement about "
            f"{t} levels that share those fixed effects."
        )
    if not result.complete:
        notes.append(
            f"Not every {t} level was rated by every {r} ({fmt.integer(result.n_ratings)} "
            f"ratings of {k * result.n_targets} possible); the variance components use all "
            f"ratings, and the average-of-{k} ICCs describe a full set of {k} ratings."
        )
    if notes:
        blocks.append(Paragraph(" ".join(notes)))
    blocks.append(table(
        ["Coefficient", "Formula", "Value"],
        [
            ["ICC(A,1) agreement, one rater", "t / (t + r + e)", fmt.fixed(result.icc_a1, 3)],
            ["ICC(C,1) consistency, one rater", "t / (t + e)", fmt.fixed(result.icc_c1, 3)],
            [f"ICC(A,{k}) agreement, mean of {k}", f"t / (t + (r + e) / {k})",
             fmt.fixed(result.icc_ak, 3)],
            [f"ICC(C,{k}) consistency, mean of {k}", f"t / (t + e / {k})",
             fmt.fixed(result.icc_ck, 3)],
        ],
        align="llr",
        caption=f"t, r, e: the {t}, {r} and residual variances",
    ))
    return blocks
