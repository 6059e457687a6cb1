"""Statistical wording found in review (main effects beside interactions, standardized and
orthogonal-polynomial terms, what an ICC says about standard errors), each asserted on a
real session's answer on lme4's Orthodont data."""

from __future__ import annotations

import pandas as pd
import pytest

from assistant.session import Session

REQUESTS = (
    "LMM: distance ~ age * Sex + (1|Subject)",
    "LMM: log(distance) ~ scale(age) + Sex + (1|Subject)",
    "LMM: distance ~ poly(age, 2) + (1|Subject)",
)


@pytest.fixture(scope="module")
def orthodont(reference_dir, tmp_path_factory):
    data = pd.read_csv(reference_dir / "data" / "Orthodont.csv")
    session = Session(data=data, output_dir=tmp_path_factory.mktemp("orthodont"))
    answers = {}
    for request in REQUESTS:
        answer = session.ask(request)
        assert answer.ok, f"{request!r}: {answer.error}"
        answers[request] = answer.text()
    return answers


def test_a_main_effect_beside_its_interaction_is_read_at_the_partners_reference(orthodont):
    text = orthodont["LMM: distance ~ age * Sex + (1|Subject)"]
    assert (
        "distance rose by 0.480 per unit of age (95% CI 0.293 to 0.666; t(79.0) = 5.13, "
        "p < .001). Because age interacts with Sex, this is the slope at Sex = Female only, "
        "not an average effect." in text
    )
    assert (
        "Because Sex interacts with age, this is the difference at age = 0 only, "
        "not an average effect; age = 0 lies outside the data (8 to 14)." in text
    )
    # the interaction itself carries no such caveat
    assert text.count("not an average effect") == 2


def test_a_model_without_interactions_has_no_interaction_caveat(orthodont):
    text = orthodont["LMM: log(distance) ~ scale(age) + Sex + (1|Subject)"]
    assert "interacts with" not in text


def test_a_standardized_predictor_reads_per_standard_deviation(orthodont):
    text = orthodont["LMM: log(distance) ~ scale(age) + Sex + (1|Subject)"]
    assert "log(distance) rose by 0.0616 per standard deviation of age (95% CI" in text
    assert "(age at its mean and Sex = Female)" in text
    assert "scale(age): estimate" not in text


def test_orthogonal_polynomial_terms_are_named_and_not_read_as_slopes(orthodont):
    text = orthodont["LMM: distance ~ poly(age, 2) + (1|Subject)"]
    assert "The linear orthogonal polynomial term of age (poly(age, 2)1) is 15.3" in text
    assert "The quadratic orthogonal polynomial term of age (poly(age, 2)2) is 1.2" in text
    assert text.count("Orthogonal polynomial coefficients are not slopes per unit of age") == 1
    assert "poly(age, 2)1: estimate" not in text


def test_a_large_icc_names_which_standard_errors_ignoring_clusters_would_shrink(orthodont):
    text = orthodont["LMM: distance ~ age * Sex + (1|Subject)"]
    assert (
        "ignoring the clustering would make the standard errors of predictors that vary "
        "between clusters far too small." in text
    )


def test_the_contrasts_of_an_interacting_factor_share_one_caveat(tmp_path):
    session = Session(sample="pain_trial", output_dir=tmp_path)
    answer = session.ask("LMM: pain_score ~ factor(time) * treatment + (1 | patient)")
    assert answer.ok, answer.error
    text = answer.text()
    assert (
        "Because time interacts with treatment, these 3 differences are at "
        "treatment = control only, not average effects." in text
    )
    assert text.count("Because time interacts with treatment") == 1


@pytest.fixture(scope="module")
def slopes(reference_dir, tmp_path_factory):
    data = pd.read_csv(reference_dir / "data" / "Orthodont.csv")
    session = Session(data=data, output_dir=tmp_path_factory.mktemp("slopes"))
    requests = (
        "LMM: distance ~ age * Sex + (age|Subject)",
        "anova",
        "which subjects have the steepest slopes",
        "residual diagnostics",
        "center age",
        "LMM: distance ~ age * Sex + (age|Subject)",
        "anova",
    )
    texts = []
    for request in requests:
        answer = session.ask(request)
        assert answer.ok, f"{request!r}: {answer.error}"
        texts.append(answer.text())
    return texts


def test_type3_anova_says_a_factor_is_tested_where_its_covariate_is_zero(slopes):
    assert "Sex       0.42       1    25.0    .524" in slopes[1]
    assert (
        "Because of the interaction, Sex is tested at age = 0, not at the mean; to test it "
        "at the mean instead, centre first (`center age`) and fit the model again." in slopes[1]
    )
    # after centring, age = 0 is the mean: the test changes and the note goes
    assert "Sex       9.29       1    25.0    .005" in slopes[6]
    assert "is tested at" not in slopes[6]


def test_one_interval_excluding_zero_takes_a_singular_verb(slopes):
    assert "1 of these 5 intervals excludes 0." in slopes[2]


def test_the_expected_count_beyond_three_sd_is_not_given_to_three_digits(slopes):
    assert "2 beyond ±3 SD where about 0.3 are expected" in slopes[3]


@pytest.fixture(scope="module")
def schools(tmp_path_factory):
    session = Session(sample="schools", output_dir=tmp_path_factory.mktemp("schools"))
    texts = {}
    for request in (
        "LMM: test_score ~ SES * school_size + (1|school)",
        "LMM: test_score ~ 0 + SES + (1|school)",
        "icc",
    ):
        answer = session.ask(request)
        assert answer.ok, f"{request!r}: {answer.error}"
        texts[request] = answer.text()
    return texts


def test_a_continuous_by_continuous_interaction_reads_as_a_changing_slope(schools):
    text = schools["LMM: test_score ~ SES * school_size + (1|school)"]
    assert (
        "The SES slope of test_score was 0.00166 higher per unit of school_size "
        "(95% CI 0.00004 to 0.00328; t(1,513.9) = 2.01, p = .045)." in text
    )
    assert "SES:school_size: estimate" not in text
    assert (
        "this is the slope at school_size = 0 only, not an average effect; "
        "school_size = 0 lies outside the data (203 to 1,194)." in text
    )
    # SES = 0 lies inside the data: no range remark
    assert "this is the slope at SES = 0 only, not an average effect." in text


def test_no_icc_is_read_when_the_fixed_part_has_no_intercept(schools):
    for request in ("LMM: test_score ~ 0 + SES + (1|school)", "icc"):
        text = schools[request]
        assert (
            "The fixed part has no intercept, so the random intercepts vary around zero "
            "rather than around the mean test_score" in text
        )
        assert "ICC = " not in text


def test_effects_on_a_log_outcome_are_read_as_ratios_once(tmp_path):
    session = Session(sample="pain_trial", output_dir=tmp_path)
    for request in ("LMM: log(pain_score) ~ time + treatment + (1|patient)", "fixed effects"):
        answer = session.ask(request)
        assert answer.ok, answer.error
        text = answer.text()
        assert "log(pain_score) fell by 0.0478 per unit of time" in text
        assert text.count(
            "The outcome is log(pain_score) (natural log), so these effects are on the log "
            "scale: a difference b multiplies the geometric mean of pain_score by e^b"
        ) == 1
    plain = session.ask("LMM: pain_score ~ time + treatment + (1|patient)")
    assert "log scale" not in plain.text()


def test_a_predictor_dropped_as_aliased_is_not_said_to_be_held_at_its_mean(
    reference_dir, tmp_path
):
    data = pd.read_csv(reference_dir / "data" / "sleepstudy.csv")
    data["Days2"] = data["Days"]
    session = Session(data=data, output_dir=tmp_path)
    fitted = session.ask("LMM: Reaction ~ Days + Days2 + (1|Subject)")
    assert fitted.ok, fitted.error
    assert "Left out `Days2`" in fitted.text()
    answer = session.ask("predict Reaction at Days 5")
    assert answer.ok, answer.error
    text = answer.text()
    assert "Other predictors at their means" not in text
    assert (
        "At Days = 5. Days2 was left out of the model (aliased), so the predictions do not "
        "depend on it." in text
    )


def test_caterpillar_and_ranking_do_not_overclaim_unadjusted_intervals(reference_dir, tmp_path):
    data = pd.read_csv(reference_dir / "data" / "Exam.csv")
    session = Session(data=data, output_dir=tmp_path)
    assert session.ask("LMM: normexam ~ standLRT + (1|school)").ok
    plot = session.ask("caterpillar plot").text()
    assert "15 schools sit above average (53, 6, 63," in plot
    assert (
        "Each interval is for one level alone, not adjusted for looking at all 65, so a few "
        "may exclude zero by chance." in plot
    )
    assert "reliably" not in plot
    ranking = session.ask("which schools have the highest intercepts").text()
    assert "All 5 intervals exclude 0." in ranking


def test_profile_intervals_name_each_parameter_and_say_they_profile_the_ml_likelihood(
    reference_dir, tmp_path
):
    data = pd.read_csv(reference_dir / "data" / "sleepstudy.csv")
    session = Session(data=data, output_dir=tmp_path)
    assert session.ask("LMM: Reaction ~ Days + (Days|Subject)").ok
    answer = session.ask("profile confidence intervals")
    assert answer.ok, answer.error
    text = answer.text()
    assert "correlation of the Subject intercept and Days slope  −0.481  0.685" in text
    assert "Days                          fixed effect" in text
    assert "The profile is of the ML likelihood, as lme4 computes it also for a REML fit" in text
    session.ask("refit by ML")
    ml = session.ask("profile confidence intervals").text()
    assert "The profile is of the ML likelihood" not in ml


def test_a_zero_icc_from_a_singular_fit_is_not_read_as_no_clustering(reference_dir, tmp_path):
    data = pd.read_csv(reference_dir / "data" / "Dyestuff2.csv")
    session = Session(data=data, output_dir=tmp_path)
    for request in ("LMM: Yield ~ 1 + (1|Batch)", "icc"):
        answer = session.ask(request)
        assert answer.ok, answer.error
        text = answer.text()
        assert (
            "ICC = 0.00: 0% of the variance in Yield not explained by the fixed effects lies "
            "between levels of Batch. The Batch variance is estimated as zero (a singular "
            "fit): these data cannot tell between-cluster variation apart from noise" in text
        )
        assert "Little of the variance" not in text


def test_orthogonal_estimates_are_not_given_a_strongest_correlation(reference_dir, tmp_path):
    data = pd.read_csv(reference_dir / "data" / "Orthodont.csv")
    session = Session(data=data, output_dir=tmp_path)
    assert session.ask("LMM: distance ~ poly(age, 2) + (1|Subject)").ok
    text = session.ask("vcov").text()
    assert "The estimates are uncorrelated: every correlation rounds to 0.00." in text
    assert "The strongest correlation" not in text
    assert session.ask("LMM: distance ~ age + (1|Subject)").ok
    assert "The strongest correlation is between" in session.ask("vcov").text()


def test_an_intercept_only_model_says_its_marginal_r2_is_zero_by_construction(
    reference_dir, tmp_path
):
    data = pd.read_csv(reference_dir / "data" / "Dyestuff.csv")
    session = Session(data=data, output_dir=tmp_path)
    assert session.ask("LMM: Yield ~ 1 + (1|Batch)").ok
    text = session.ask("icc").text()
    assert (
        "The fixed part is the intercept alone, so the marginal R² is 0 by construction; "
        "the random effects explain 42% of the variance" in text
    )
    assert "The fixed effects explain 0%" not in text
