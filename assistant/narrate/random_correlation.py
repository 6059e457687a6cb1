"""The random-effect correlation before its likelihood-ratio test ("do we need the
correlation?"): the estimate, its profile interval, and how the test is made."""

from __future__ import annotations

from typing import Any

from assistant.narrate import numbers as fmt
from assistant.narrate.blocks import Block, Paragraph


def _effects(term: str) -> str:
    return "intercepts" if term == "(Intercept)" else f"{term} slopes"


def correlation_blocks(result: Any, model: Any) -> list[Block]:
    level = fmt.level_percent(result.level)
    said = []
    for c in result.correlations:
        sentence = (
            f"{model.title} estimates the correlation between the {c.group} "
            f"{_effects(c.term1)} and {_effects(c.term2)} at {fmt.proportion(c.estimate)}"
        )
        if c.lower is not None and c.upper is not None:
            sentence += (f" ({level} profile CI {fmt.proportion(c.lower)} to "
                         f"{fmt.proportion(c.upper)})")
            if c.lower <= 0 <= c.upper:
                sentence += "; the interval includes zero"
        said.append(sentence + ".")
    if result.profile_problem:
        said.append(f"Its profile interval was not computed: {result.profile_problem}")
    n = len(result.correlations)
    likelihood = (
        "their REML likelihoods as fitted, without refitting by ML (as lme4's "
        "anova(refit = FALSE))" if result.criterion == "REML" else "their ML likelihoods"
    )
    said.append(
        f"To test whether the model needs {'it' if n == 1 else 'them'}, I fit the same model "
        f"without {'the correlation' if n == 1 else 'the correlations'} (`||`) and compare "
        f"the two by a likelihood-ratio test with {n} df. Both have the same fixed effects, "
        f"so the test uses {likelihood}. A correlation of zero lies inside its range, so "
        "the plain χ² p-value applies, with no boundary correction. A small p says the "
        "correlation improves the fit; a large p says the data are consistent with no "
        "correlation, not that it is zero."
    )
    return [Paragraph(" ".join(said))]
