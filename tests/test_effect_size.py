"""The effect size of a fixed effect (engine.effect_size): Cohen's d with Westfall, Kenny &
Judd's denominator, computed by hand from lme4 1.1-31's fixef and VarCorr
(tests/data/effect_size: R script + JSON), and the standardized slope of a numeric
predictor, beta * sd(x) / sd(y), from R's sd()."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from assistant.session import Session
from engine import fit_lmm
from engine.effect_size import effect_size
from engine.errors import LmmInputError
from engine.samples import load_sample

R = json.loads((Path(__file__).parent / "data" / "effect_size" / "effect_size.json").read_text())


def _vc(case: str) -> dict[tuple, float]:
    return {(v["grp"], v["var1"], v["var2"]): v["vcov"] for v in R[case]["varcorr"]}


def test_crossed_random_intercepts_d_is_beta_over_the_total_sd():
    fit = fit_lmm("rating ~ condition + (1 | rater) + (1 | item)", load_sample("ratings"))
    result = effect_size(fit, "condition")
    (c,) = result.contrasts
    vc = _vc("ratings_intercepts")
    total = vc[("rater", "(Intercept)", None)] + vc[("item", "(Intercept)", None)] + vc[
        ("Residual", None, None)]
    assert (result.reference, c.level) == ("A", "B")
    assert c.total_variance == pytest.approx(total, rel=1e-4)
    assert c.d == pytest.approx(R["ratings_intercepts"]["fixef"]["conditionB"]
                                / math.sqrt(total), rel=1e-4)
    assert (c.d_lower, c.d_upper) == pytest.approx((c.ci_lower / c.sd_total,
                                                    c.ci_upper / c.sd_total), rel=1e-12)


def test_random_condition_slope_uses_wkj_contrast_codes():
    """With the condition slope random per rater, the rater term contributes its variance
    averaged over A and B: with R's +-1/2 codes var(intercept) + var(slope) / 4, with its
    0/1 dummies tau00 + tau01 + tau11 / 2; both give d to optimizer tolerance."""
    fit = fit_lmm("rating ~ condition + (condition | rater) + (1 | item)",
                  load_sample("ratings"))
    (c,) = effect_size(fit, "condition").contrasts
    codes = _vc("ratings_slope_codes")
    total_codes = (codes[("rater", "(Intercept)", None)] + 0.25 * codes[("rater", "c", None)]
                   + codes[("item", "(Intercept)", None)] + codes[("Residual", None, None)])
    dummy = _vc("ratings_slope_dummy")
    total_dummy = (dummy[("rater", "(Intercept)", None)]
                   + dummy[("rater", "(Intercept)", "conditionB")]
                   + 0.5 * dummy[("rater", "conditionB", None)]
                   + dummy[("item", "(Intercept)", None)] + dummy[("Residual", None, None)])
    assert total_dummy == pytest.approx(total_codes, rel=1e-4)
    assert c.total_variance == pytest.approx(total_codes, rel=1e-4)
    assert c.d == pytest.approx(R["ratings_slope_codes"]["fixef"]["c"]
                                / math.sqrt(total_codes), rel=1e-4)
    rater = next(p for p in c.parts if p.group == "rater")
    assert not rater.intercept_only


def test_pain_trial_d_and_standardized_slope():
    fit = fit_lmm("pain_score ~ time + treatment + (1 | patient)", load_sample("pain_trial"))
    pain = R["pain_trial"]
    total = sum(v["vcov"] for v in pain["varcorr"])
    (c,) = effect_size(fit, "treatment").contrasts
    assert c.d == pytest.approx(pain["fixef"]["treatmenttreated"] / math.sqrt(total), rel=1e-4)
    numeric = effect_size(fit, "time")
    assert numeric.kind == "numeric"
    assert numeric.standardized == pytest.approx(
        pain["fixef"]["time"] * pain["sd_time"] / pain["sd_pain"], rel=1e-4)
    # without a name: the model's only factor
    assert effect_size(fit).variable == "treatment"


def test_a_random_slope_of_another_predictor_is_refused():
    fit = fit_lmm("pain_score ~ time + treatment + (time | patient)", load_sample("pain_trial"))
    with pytest.raises(LmmInputError, match="random slope of time for patient makes the "
                                            "variance of pain_score depend on time"):
        effect_size(fit, "treatment")
    # a numeric predictor's standardized slope needs no variance components
    assert effect_size(fit, "time").kind == "numeric"


def test_a_name_outside_the_fixed_part_is_refused():
    fit = fit_lmm("pain_score ~ time + treatment + (1 | patient)", load_sample("pain_trial"))
    with pytest.raises(LmmInputError, match="age is not a main effect"):
        effect_size(fit, "age")


def test_the_answer_spells_out_the_denominator():
    session = Session(sample="ratings")
    assert session.ask("rating ~ condition + (1 | rater) + (1 | item)").ok
    answer = session.ask("what is the effect size of condition?")
    assert answer.ok, answer.error
    text = answer.text()
    fit = fit_lmm("rating ~ condition + (1 | rater) + (1 | item)", load_sample("ratings"))
    (c,) = effect_size(fit, "condition").contrasts
    assert f"Cohen's d for B vs A: d = β / SD = 7.82 / {c.sd_total:.2f} = {c.d:.2f}" in text
    assert "SD = √(rater intercept variance" in text
    assert "Brysbaert & Stevens (2018)" in text
    assert "treating the SD as known" in text
