"""Requests on the samples that were answered without the point or refused (words13):
each reaches the analysis it means, with numbers checked against a direct engine fit, a
hand computation with numpy, and quantiles from scipy.stats."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from assistant.session import Session
from engine.lmm import fit_lmm
from engine.samples import load_sample
from grammar.parse import parse
from tests.conftest import PAIN_FIT, SCHOOLS_FIT, ask_ok

PAIN_INTERACTION = PAIN_FIT.removeprefix("fit ")
SCHOOLS_MODEL = SCHOOLS_FIT.removeprefix("fit ")
RATINGS_MODEL = "rating ~ condition + (1 | rater) + (1 | item)"


def _shown(value: float, digits: int = 2) -> str:
    """A number as the narration prints it: fixed decimals, a true minus sign."""
    return f"{value:.{digits}f}".replace("-", "\N{MINUS SIGN}")


def _intercept_variance(fit, group: str) -> float:
    (row,) = [v for v in fit.variance_components
              if v.group == group and v.var1 == "(Intercept)" and v.var2 is None]
    return float(row.vcov)


# ------------------------------------------------------- 1. how much do groups differ
@pytest.mark.parametrize("request_text", [
    "how much do schools differ in their average score?",
    "how different are the schools",
    "how variable are schools from each other?",
])
def test_how_much_schools_differ_gives_the_sds_the_icc_and_the_range(schools, request_text):
    (step,) = parse(request_text).steps
    assert (step.kind, step.question, step.group) == (
        "variance_components", "group_spread", "schools")
    answer = ask_ok(schools, request_text)
    result = answer.steps[-1].result.result
    fit = fit_lmm(SCHOOLS_MODEL, load_sample("schools"))
    between = _intercept_variance(fit, "school")
    within = float(fit.sigma) ** 2
    icc = between / (between + within)  # by hand, from the direct fit's components
    beta0 = float(fit.beta[list(fit.fixed_names).index("(Intercept)")])
    half = stats.norm.ppf(0.975) * np.sqrt(between)
    assert result.spread.variance == pytest.approx(between, rel=1e-6)
    assert result.residual_variance == pytest.approx(within, rel=1e-6)
    assert result.share == pytest.approx(icc, rel=1e-6)
    assert (result.spread.lower, result.spread.upper) == pytest.approx(
        (beta0 - half, beta0 + half), rel=1e-6)
    text = answer.text()
    assert f"with an SD of {np.sqrt(between):.2f} (variance {between:.1f})" in text
    assert f"residual SD of {np.sqrt(within):.2f}" in text
    assert f"ICC = {icc:.2f}: {100 * icc:.0f}% of the variance" in text
    assert (f"the middle 95% of schools have an average test_score between "
            f"{beta0 - half:.1f} and {beta0 + half:.1f}") in text


def test_how_much_do_patients_vary_names_the_patient_spread(pain):
    answer = ask_ok(pain, "how much do patients vary")
    result = answer.steps[-1].result.result
    fit = fit_lmm(PAIN_INTERACTION, load_sample("pain_trial"))
    between = _intercept_variance(fit, "patient")
    assert result.spread.group == "patient"
    assert result.share == pytest.approx(between / (between + float(fit.sigma) ** 2), rel=1e-6)
    assert "Patients differ in their average pain_score (at time = 0 and treatment = control)" \
        in answer.text()


def test_how_different_are_items_gives_the_items_share_of_a_crossed_model(ratings):
    answer = ask_ok(ratings, "how different are the items?")
    result = answer.steps[-1].result.result
    fit = fit_lmm(RATINGS_MODEL, load_sample("ratings"))
    items, raters = _intercept_variance(fit, "item"), _intercept_variance(fit, "rater")
    total = items + raters + float(fit.sigma) ** 2
    assert result.share_kind == "group_share"
    assert result.share == pytest.approx(items / total, rel=1e-6)
    assert f"{100 * items / total:.0f}% of the variance in rating" in answer.text()


def test_how_much_does_the_outcome_vary_keeps_the_variance_components(pain):
    answer = ask_ok(pain, "how much does pain_score vary")
    view = answer.steps[-1].result
    assert (view.view, view.include_icc) == ("variance_components", True)
    fit = fit_lmm(PAIN_INTERACTION, load_sample("pain_trial"))
    between = _intercept_variance(fit, "patient")
    assert f"ICC = {between / (between + float(fit.sigma) ** 2):.2f}" in answer.text()


# ------------------------------------------------- 2. what would a unit score
@pytest.mark.parametrize(("request_text", "treated", "time"), [
    ("what would a treated patient score at time 3", 1.0, 3.0),
    ("predicted score for a control patient at time 0", 0.0, 0.0),
    ("what would a control patient have at time 6?", 0.0, 6.0),
])
def test_a_units_score_is_the_population_prediction_with_se_and_ci(
    pain, request_text, treated, time
):
    (step,) = parse(request_text).steps
    assert step.kind == "predict"
    answer = ask_ok(pain, request_text)
    grid = answer.steps[-1].result.result
    fit = fit_lmm(PAIN_INTERACTION, load_sample("pain_trial"))
    names = list(fit.fixed_names)
    x = np.zeros(len(names))
    x[names.index("Intercept" if "Intercept" in names else "(Intercept)")] = 1.0
    x[names.index("time")] = time
    x[names.index("treatment[T.treated]")] = treated
    x[names.index("time:treatment[T.treated]")] = time * treated
    estimate = float(x @ fit.beta)  # x'beta, by hand
    se = float(np.sqrt(x @ fit.vcov_beta @ x))  # sqrt(x' V x), by hand
    df = float(fit.satterthwaite().contrast_df(x))
    half = stats.t.ppf(0.975, df) * se
    (row,) = grid.frame.to_dict(orient="records")
    assert row["estimate"] == pytest.approx(estimate, rel=1e-8)
    assert row["se"] == pytest.approx(se, rel=1e-8)
    assert row["df"] == pytest.approx(df, rel=1e-6)
    assert (row["lower"], row["upper"]) == pytest.approx((estimate - half, estimate + half),
                                                         rel=1e-8)
    assert (f"The predicted pain_score is {estimate:.1f} (SE {se:.2f}; 95% CI "
            f"{estimate - half:.1f} to {estimate + half:.1f}, a t interval with {df:.1f} "
            "Satterthwaite df)") in answer.text()


# ------------------------------------------------- 3. should I add random slopes?
def _lrt_of_slope(formula_with: str, formula_without: str, data) -> float:
    """The REML likelihood-ratio statistic of two direct fits: the difference of their
    REML criteria (-2 restricted log-likelihoods)."""
    return fit_lmm(formula_without, data).criterion - fit_lmm(formula_with, data).criterion


def test_should_i_add_random_slopes_tests_the_one_within_patient_predictor(tmp_path):
    (step,) = parse("should I add random slopes?").steps
    assert (step.kind, step.slope) == ("random_effects_tests", "every")
    session = Session(sample="pain_trial", output_dir=tmp_path)
    ask_ok(session, "fit pain_score ~ time * treatment + age + (1 | patient)")
    answer = ask_ok(session, "should I add random slopes?")
    (test,) = answer.steps[-1].result.result.tests  # age and treatment are per patient
    data = load_sample("pain_trial")
    fixed = "pain_score ~ time + treatment + age + time:treatment"
    expected = _lrt_of_slope(f"{fixed} + (1 + time | patient)", f"{fixed} + (1 | patient)",
                             data)
    assert test.lrt == pytest.approx(expected, abs=1e-4)
    assert "I tested a random slope of time by patient" in answer.text()
    assert list(session.models) == [1, 2]


def test_should_i_add_random_slopes_tests_every_candidate_from_the_same_model(tmp_path):
    data = load_sample("pain_trial")
    # a second predictor that changes within each patient (seeded, so the test is fixed)
    data["sleep_hours"] = np.round(np.random.default_rng(13).normal(7, 1, len(data)), 1)
    session = Session(data=data, output_dir=tmp_path)
    ask_ok(session, "fit pain_score ~ time + sleep_hours + (1 | patient)")
    answer = ask_ok(session, "should we include random slopes")
    tests = [s.result.result for s in answer.steps if s.kind == "random_effects_tests"]
    assert [s.kind for s in answer.steps].count("modify_model") == 2
    base = "pain_score ~ time + sleep_hours + (1 | patient)"
    for result, slope in zip(tests, ("time", "sleep_hours"), strict=True):
        (test,) = result.tests
        with_slope = f"pain_score ~ time + sleep_hours + (1 + {slope} | patient)"
        assert test.lrt == pytest.approx(_lrt_of_slope(with_slope, base, data), abs=1e-4)
    # both slopes were added to model 1, not the second to the first's model
    assert session.models[3].fit.formula.endswith("(1 + sleep_hours | patient)")


# ------------------------------------------------- 4. every wording of a low level
# (the wordings below half are in test_words12_requests' one-message test)


def test_with_90_percent_confidence_intervals_sets_the_level(tmp_path):
    session = Session(sample="pain_trial", output_dir=tmp_path)
    ask_ok(session, "with 90% confidence intervals")
    assert session.state.options.level == 0.9
    text = ask_ok(session, PAIN_FIT).text()
    fit = fit_lmm(PAIN_INTERACTION, load_sample("pain_trial"))
    row = fit.fixed_effects[list(fit.fixed_names).index("time")]
    half = stats.t.ppf(0.95, row.df) * row.se
    assert f"90% CI {_shown(row.estimate - half)} to {_shown(row.estimate + half)}" in text


# ------------------------------------------------- 5. the README's everyday questions
def _readme_question_blocks() -> list[tuple[str, str, list[str]]]:
    """The README's blocks of everyday questions: (sample, formula, requests) per
    ``# sample: formula`` comment line and the ``> `` lines under it."""
    from tests.test_readme_examples import FENCE, README

    blocks: list[tuple[str, str, list[str]]] = []
    for fence in FENCE.findall(README.read_text(encoding="utf-8")):
        current = None
        for line in fence.splitlines():
            if line.startswith("# ") and ": " in line and "~" in line:
                sample, formula = line[2:].split(": ", 1)
                current = (sample, formula, [])
                blocks.append(current)
            elif line.startswith("> ") and current is not None and line[2:].strip():
                current[2].append(line[2:].strip())
    return blocks


def test_the_readme_everyday_questions_cover_the_samples():
    blocks = _readme_question_blocks()
    assert [sample for sample, _, _ in blocks] == ["pain_trial", "schools", "ratings"]
    assert sum(len(requests) for _, _, requests in blocks) >= 12


@pytest.mark.parametrize(
    ("sample", "formula", "request_text"),
    [(s, f, r) for s, f, requests in _readme_question_blocks() for r in requests],
)
def test_each_readme_everyday_question_is_answered_on_its_sample(
    tmp_path, sample, formula, request_text
):
    """Each question gets an answer on its sample's model, not help text or a refusal."""
    session = Session(sample=sample, output_dir=tmp_path)
    ask_ok(session, f"fit {formula}")
    answer = ask_ok(session, request_text)
    assert answer.steps and all(step.kind != "help" for step in answer.steps)


# ------------------------------------------------- 6. model comparison and wide data
def _ml_chisq(larger: str, smaller: str, data) -> float:
    """2 (logLik larger − logLik smaller) of two direct ML fits (lme4's anova())."""
    return 2 * (fit_lmm(larger, data, reml=False).loglik
                - fit_lmm(smaller, data, reml=False).loglik)


def _comparison_row(answer):
    comparison = next(s.result for s in answer.steps if s.kind == "compare_models")
    return comparison.comparison.table.iloc[-1]


@pytest.mark.parametrize(("start", "request_text"), [
    (PAIN_INTERACTION, "compare the model with and without the interaction"),
    (PAIN_INTERACTION,
     "compare models with and without the interaction between time and treatment"),
    ("pain_score ~ time + treatment + (1 | patient)",
     "compare with and without the time by treatment interaction using a likelihood ratio test"),
    ("pain_score ~ time + treatment + (1 | patient)",
     "does adding the interaction between time and treatment improve the fit?"),
])
def test_with_and_without_the_interaction_is_the_ml_likelihood_ratio_test(
    tmp_path, start, request_text
):
    session = Session(sample="pain_trial", output_dir=tmp_path)
    ask_ok(session, f"fit {start}")
    row = _comparison_row(ask_ok(session, request_text))
    data = load_sample("pain_trial")
    chisq = _ml_chisq(PAIN_INTERACTION, "pain_score ~ time + treatment + (1 | patient)", data)
    assert row["Chisq"] == pytest.approx(chisq, abs=1e-4)
    assert row["Df"] == 1
    assert row["p"] == pytest.approx(stats.chi2.sf(chisq, 1), abs=1e-5)


def test_which_model_fits_better_with_the_two_described_compares_the_fitted_models(tmp_path):
    session = Session(sample="pain_trial", output_dir=tmp_path)
    ask_ok(session, PAIN_FIT)
    ask_ok(session, "add a random slope for time")
    request_text = "which model fits better, the one with the random slope or the one without?"
    row = _comparison_row(ask_ok(session, request_text))
    data = load_sample("pain_trial")
    # same fixed effects: the REML criteria of two direct fits (lme4's refit = FALSE)
    chisq = (fit_lmm(PAIN_INTERACTION, data).criterion
             - fit_lmm(PAIN_INTERACTION.replace("(1 | patient)", "(1 + time | patient)"),
                       data).criterion)
    assert row["Chisq"] == pytest.approx(chisq, abs=1e-4)
    assert row["Df"] == 2


@pytest.mark.parametrize(("typed", "meant"), [
    ("wich model fits beter", "which model fits better"),
    ("which one should I keep?", "which model fits better"),
    ("is the random slope for time realy neccessary?", "is the random slope for time necessary?"),
    ("are some raters just harsher then others", "are raters harsher than others"),
])
def test_slips_and_emphasis_read_as_the_plain_request(typed, meant):
    assert [s.to_dict() for s in parse(typed).steps] == [s.to_dict() for s in parse(meant).steps]


def test_more_variability_between_raters_or_items_compares_their_variances(ratings):
    request_text = "is there more variability between raters or between items?"
    (step,) = parse(request_text).steps
    assert (step.kind, step.groups) == ("variance_contrast", ("raters", "items"))
    result = ask_ok(ratings, request_text).steps[-1].result.result
    fit = fit_lmm(RATINGS_MODEL, load_sample("ratings"))
    variances = {result.first.group: result.first, result.second.group: result.second}
    for group in ("rater", "item"):
        assert variances[group].variance == pytest.approx(_intercept_variance(fit, group),
                                                          rel=1e-6)


def test_a_long_wide_data_request_reshapes_and_fits_pain_over_time(tmp_path):
    request_text = ("my data is in wide format with one column per visit, can you reshape it "
                    "to long and fit a random intercept model of pain over time?")
    assert [s.kind for s in parse(request_text).steps] == [
        "describe_study", "reshape_long", "fit_lmm"]
    session = Session(sample="pain_wide", output_dir=tmp_path)
    answer = ask_ok(session, request_text)
    fit = answer.steps[-1].result.model.fit
    # the long data by hand: one row per patient and visit with a pain value
    wide = load_sample("pain_wide")
    long = wide.melt(id_vars=[c for c in wide.columns if not c.startswith("pain_")],
                     value_vars=["pain_0", "pain_1", "pain_3", "pain_6"],
                     var_name="visit", value_name="pain").dropna(subset=["pain"])
    long["time"] = long["visit"].str.removeprefix("pain_").astype(float)
    direct = fit_lmm("pain ~ time + (1 | patient)", long)
    assert fit.formula == "pain ~ time + (1 | patient)"
    assert fit.nobs == len(long) == 287
    assert np.allclose(fit.beta, direct.beta, rtol=1e-6)
    assert fit.criterion == pytest.approx(direct.criterion, rel=1e-8)


def test_two_models_described_then_which_one_to_keep_compares_them(tmp_path):
    request_text = ("I fitted two models, one with only raters as random effect and one with "
                    "raters and items, which one should I keep?")
    assert [s.kind for s in parse(request_text).steps] == ["describe_study", "compare_models"]
    session = Session(sample="ratings", output_dir=tmp_path)
    ask_ok(session, "fit rating ~ condition + (1 | rater)")
    ask_ok(session, f"fit {RATINGS_MODEL}")
    row = _comparison_row(ask_ok(session, request_text))
    data = load_sample("ratings")
    # same fixed effects: REML criteria of two direct fits, the boundary-corrected p halved
    chisq = (fit_lmm("rating ~ condition + (1 | rater)", data).criterion
             - fit_lmm(RATINGS_MODEL, data).criterion)
    assert row["Chisq"] == pytest.approx(chisq, abs=1e-4)
    assert row["p_boundary"] == pytest.approx(0.5 * stats.chi2.sf(chisq, 1), abs=1e-12)


@pytest.mark.parametrize("request_text", ["do I need random slopes?", "are random slopes needed?"])
def test_do_i_need_random_slopes_tests_a_slope_not_the_random_intercept(tmp_path, request_text):
    """Before: the random intercept's test, which does not answer the question."""
    session = Session(sample="schools", output_dir=tmp_path)
    ask_ok(session, SCHOOLS_FIT)
    answer = ask_ok(session, request_text)
    (test,) = answer.steps[-1].result.result.tests  # school_size is constant per school
    data = load_sample("schools")
    expected = _lrt_of_slope("test_score ~ SES + school_size + (1 + SES | school)",
                             SCHOOLS_MODEL, data)
    assert test.lrt == pytest.approx(expected, abs=1e-4)
    assert "I tested a random slope of SES by school" in answer.text()
