"""Requests on the pain_trial, sleepstudy, schools and ratings samples that were refused
or answered beside the point (words11): each reaches the analysis it means, with numbers
checked against a direct engine fit or a hand computation with numpy/pandas on the same
data."""

from __future__ import annotations

import pytest

from engine.lmm import fit_lmm
from engine.samples import load_sample
from grammar.parse import parse
from tests.conftest import ask_ok

PAIN_INTERACTION = "pain_score ~ time * treatment + (1 | patient)"


def _shown(value: float, digits: int = 2) -> str:
    """A number as the narration prints it: fixed decimals, a true minus sign."""
    return f"{value:.{digits}f}".replace("-", "\N{MINUS SIGN}")


# ------------------------------------------------------------- 1. faster in one group
@pytest.mark.parametrize("request_text", [
    "I want to know whether the treatment group improves faster than the control group",
    "I'd like to know if treated patients improve faster than control patients",
    "check if pain falls faster in the treated group",
])
def test_whether_one_group_improves_faster_is_the_time_by_treatment_interaction(
    pain, request_text
):
    (step,) = parse(request_text).steps
    assert (step.kind, step.trend) == ("marginal_means", "time")
    text = ask_ok(pain, request_text).text()
    fit = fit_lmm(PAIN_INTERACTION, load_sample("pain_trial"))
    row = fit.fixed_effects[list(fit.fixed_names).index("time:treatment[T.treated]")]
    # control - treated slope is minus the interaction coefficient, with its own df
    difference = (f"control − treated = {_shown(-row.estimate)}, 95% CI "
                  f"{_shown(-row.ci_upper)} to {_shown(-row.ci_lower)}; "
                  f"t({row.df:.1f}) = {_shown(-row.t)}, p = {row.p:.3f}".replace("p = 0.", "p = ."))
    assert difference in text
    assert row.p > 0.05 and "do not differ significantly" in text
