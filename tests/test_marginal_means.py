"""Estimated marginal means and pairwise comparisons against R.

The expected numbers come from lme4 1.1-31 + lmerTest on this machine (emmeans is not
installed; its default reference grid is built by hand, which is what it does):

    d <- read.csv("engine/sample_data/pain_trial.csv"); d$ftime <- factor(d$time)
    m <- lmer(pain_score ~ ftime * treatment + age + (1 | patient), data = d)
    lev <- levels(d$ftime); tl <- sort(unique(d$treatment))
    L <- t(sapply(lev, function(l) colMeans(model.matrix(~ ftime * treatment + age,
        data = data.frame(ftime = factor(l, levels = lev),
                          treatment = factor(tl, levels = tl), age = mean(d$age))))))
    contest1D(m, L[i, ], ddf = "Satterthwaite")            # each mean
    r <- contest1D(m, L[i, ] - L[j, ], ddf = "Satterthwaite")  # each pair
    ptukey(abs(r$"t value") * sqrt(2), nmeans = 4, df = r$df, lower.tail = FALSE)
    # and the same with ddf = "Kenward-Roger"
"""

from __future__ import annotations

import numpy as np
import pytest

from assistant.session import Session
from engine.errors import LmmInputError
from engine.lmm import fit_lmm
from engine.marginal_means import adjust_p_values, marginal_means
from engine.samples import load_sample

FORMULA = "pain_score ~ factor(time) * treatment + age + (1 | patient)"

# level: estimate, SE, df (Satterthwaite)
R_MEANS = {
    "0": (56.1708974826, 0.953360083867, 132.048313532),
    "1": (52.623052048, 1.00258902036, 153.465444851),
    "3": (48.2037301038, 0.974374141347, 141.135288832),
    "6": (42.4392179759, 0.988249173756, 147.201110502),
}
# pair: estimate, SE, df, two-sided p, Tukey p (Satterthwaite)
R_PAIRS = {
    ("0", "1"): (3.54784543463, 0.859339751415, 203.500568694, 5.32465024994e-05,
                 0.000308863220533),
    ("0", "3"): (7.9671673788, 0.826186293214, 202.356492072, 2.39511841502e-18, None),
    ("0", "6"): (13.7316795067, 0.842435587636, 202.945811937, 9.73963621288e-39, None),
    ("1", "3"): (4.41932194418, 0.883406871334, 204.559225996, 1.21558038121e-06,
                 7.21851108332e-06),
    ("1", "6"): (10.1838340721, 0.900437424017, 205.326999496, 2.28299287954e-23, None),
    ("3", "6"): (5.76451212789, 0.866092127232, 203.870371452, 2.55251950392e-10,
                 1.53016155302e-09),
}
# pair: SE, df, Tukey p (Kenward-Roger)
R_PAIRS_KR = {
    ("0", "1"): (0.859509984598, 203.363323626, 0.000309939498943),
    ("1", "3"): (0.883661085721, 204.42322602, 7.26993054589e-06),
    ("3", "6"): (0.866289972377, 203.733558984, 1.54516310857e-09),
}
R_MEANS_KR = {  # level: SE, df
    "0": (0.953360086475, 131.873967368),
    "6": (0.988357021687, 147.026912189),
}


@pytest.fixture(scope="module")
def fit():
    return fit_lmm(FORMULA, load_sample("pain_trial"))


def test_means_and_pairs_match_lmertest_contest1d(fit):
    result = marginal_means(fit, "time")
    assert result.averaged_over == ("treatment",)
    assert result.held_at_mean == pytest.approx({"age": load_sample("pain_trial")["age"].mean()})
    assert [m.level for m in result.means] == list(R_MEANS)
    for m in result.means:
        estimate, se, df = R_MEANS[m.level]
        assert m.test.estimate == pytest.approx(estimate, rel=1e-8)
        assert m.test.se == pytest.approx(se, rel=1e-6)
        assert m.test.df == pytest.approx(df, rel=1e-5)
    assert len(result.differences) == 6
    for d in result.differences:
        estimate, se, df, p, tukey = R_PAIRS[(d.level1, d.level2)]
        assert d.test.estimate == pytest.approx(estimate, rel=1e-8)
        assert d.test.se == pytest.approx(se, rel=1e-6)
        assert d.test.df == pytest.approx(df, rel=1e-5)
        assert d.test.p == pytest.approx(p, rel=1e-4)
        if tukey is not None:  # R's ptukey is only accurate to about 1e-14 absolute
            assert d.p_adjusted == pytest.approx(tukey, rel=1e-4)
        assert d.test.t == pytest.approx(d.test.estimate / d.test.se, rel=1e-12)


def test_kenward_roger_fits_use_the_adjusted_covariance_and_df(fit):
    result = marginal_means(fit.refit(ddf="kenward-roger"), "time")
    assert result.df_method == "kenward-roger"
    means = {m.level: m.test for m in result.means}
    for level, (se, df) in R_MEANS_KR.items():
        assert means[level].se == pytest.approx(se, rel=1e-6)
        assert means[level].df == pytest.approx(df, rel=1e-5)
    pairs = {(d.level1, d.level2): d for d in result.differences}
    for pair, (se, df, tukey) in R_PAIRS_KR.items():
        assert pairs[pair].test.se == pytest.approx(se, rel=1e-6)
        assert pairs[pair].test.df == pytest.approx(df, rel=1e-5)
        assert pairs[pair].p_adjusted == pytest.approx(tukey, rel=1e-4)


def test_a_mean_is_the_average_of_the_grid_predictions(fit):
    """Closed form: each mean is x̄'β̂ over the treatment levels at the mean age."""
    result = marginal_means(fit, "treatment")
    data = load_sample("pain_trial")
    beta = dict(zip(fit.fixed_names, fit.beta, strict=True))
    age = data["age"].mean()
    time_effects = [0.0] + [beta[f"factor(time)[T.{t}]"] for t in (1, 3, 6)]
    base = beta["(Intercept)"] + beta["age"] * age + np.mean(time_effects)
    treated_shift = beta["treatment[T.treated]"] + np.mean(
        [0.0] + [beta[f"factor(time)[T.{t}]:treatment[T.treated]"] for t in (1, 3, 6)]
    )
    control, treated = (m.test.estimate for m in result.means)
    assert control == pytest.approx(base, rel=1e-12)
    assert treated == pytest.approx(base + treated_shift, rel=1e-12)
    assert result.adjustment == "none"  # one pair: nothing to adjust
    assert result.interacting == ("time",)


def test_holm_and_bonferroni_follow_r_p_adjust():
    p = [0.01, 0.04, 0.03, 0.005]
    # R: p.adjust(c(.01, .04, .03, .005), "holm") and "bonferroni"
    assert adjust_p_values(p, [], 4, "holm") == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert adjust_p_values(p, [], 4, "bonferroni") == pytest.approx([0.04, 0.16, 0.12, 0.02])
    assert adjust_p_values(p, [], 4, "none") == p


def test_refusals_name_the_problem(fit):
    with pytest.raises(LmmInputError, match="`age` is a continuous predictor"):
        marginal_means(fit, "age")
    with pytest.raises(LmmInputError, match="no factor `arm`; its factors are"):
        marginal_means(fit, "arm")
    with pytest.raises(LmmInputError, match="Unknown p-value adjustment"):
        marginal_means(fit, "time", adjust="scheffe")


def test_session_request_narrates_the_pairs(tmp_path):
    session = Session(sample="pain_trial", output_dir=tmp_path)
    assert session.ask(f"LMM: {FORMULA}").ok
    answer = session.ask("pairwise comparisons of time with Holm")
    assert answer.ok, answer.error
    (step,) = answer.steps
    result = step.result.result
    assert result.factor == "time" and result.adjustment == "holm"
    raw = [d.test.p for d in result.differences]
    assert [d.p_adjusted for d in result.differences] == pytest.approx(
        adjust_p_values(raw, [], 4, "holm")
    )
    text = answer.text()
    assert "6 of the 6 pairs differ significantly" in text
    assert "Holm's method" in text
    assert "averaged with equal weights over the levels of `treatment`" in text
    assert step.result.to_dict()["differences"][0]["level1"] == "0"

    which = session.ask("post hoc tests")
    assert not which.ok
    assert "Say which factor to compare" in str(which.error)
    plural = session.ask("post hoc comparisons between treatments")
    assert plural.ok, plural.error
    assert plural.steps[0].result.result.factor == "treatment"
    assert list(session.models) == [1]
