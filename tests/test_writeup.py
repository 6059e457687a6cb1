"""The write-up for a paper: methods and results paragraphs in APA style.

Every number asserted here is taken from the fit, the variance decomposition or the
comparison the session computed, and formatted by the APA rules written out in the test
(p < .001, no leading zero for p and for numbers bounded by 1, 95% CI [lo, hi]).
"""

from __future__ import annotations

import numpy as np
import pytest

from assistant.session import Session
from engine.samples import load_sample
from engine.variance import variance_explained
from grammar import parse

SLOPES = "fit Reaction ~ Days + (Days | Subject)"


def apa_p(p: float) -> str:
    return "p < .001" if p < 0.001 else "p = " + f"{p:.3f}"[1:]


def no_leading_zero(value: float) -> str:
    return f"{value:.2f}".replace("0.", ".", 1)


@pytest.fixture(scope="module")
def sleep_session(tmp_path_factory):
    session = Session(sample="sleepstudy", output_dir=tmp_path_factory.mktemp("out"))
    assert session.ask(SLOPES).ok
    return session


@pytest.mark.parametrize(
    ("request_text", "part", "model"),
    [
        ("report the results in APA style", "results", None),
        ("write a methods paragraph", "methods", None),
        ("methods section", "methods", None),
        ("write up the results", "results", None),
        ("how should I report this?", None, None),
        ("report", None, None),
        ("report for a paper", None, None),
        ("write up model 2", None, "2"),
        ("write a results section for model 2", "results", "2"),
        ("write-up in APA format", None, None),
    ],
)
def test_write_up_phrasings_parse(request_text, part, model):
    (step,) = parse(request_text).steps
    assert (step.kind, step.part, step.model) == ("write_up", part, model)


def test_other_report_requests_keep_their_meaning():
    assert [s.kind for s in parse("report results").steps] == [
        "fixed_effects", "variance_components"
    ]
    assert parse("write the fixed effects to a csv").steps[0].kind == "export_results"
    assert parse("write results to results.csv").steps[0].kind == "export_results"


def test_results_paragraph_has_each_fixed_effect_in_apa_form(sleep_session):
    answer = sleep_session.ask("report the results in APA style")
    assert answer.ok, answer.error
    text = answer.text()
    fit = sleep_session.models[1].fit
    days = next(fe for fe in fit.fixed_effects if fe.term == "Days")
    # Days: SE 1.55 -> one decimal (two significant digits of the SE), df with one decimal
    expected = (
        f"For the Days slope, b = {days.estimate:.1f}, SE = {days.se:.1f}, "
        f"t({days.df:.1f}) = {days.t:.2f}, {apa_p(days.p)}, "
        f"95% CI [{days.ci_lower:.1f}, {days.ci_upper:.1f}]."
    )
    assert expected in text
    assert days.p < 0.001 and "p < .001" in expected
    assert "Methods" not in text.splitlines()  # the results part alone was asked for
    assert "The analysis included 180 observations from 18 Subjects (10 observations each)." in text
    # variance components: SDs and the correlation without a leading zero
    corr = next(vc for vc in fit.variance_components if vc.var2 is not None)
    between = "between the Subject intercepts and Days slopes"
    assert f"r = {no_leading_zero(corr.sdcor)} {between}" in text
    residual = next(vc for vc in fit.variance_components if vc.group == "Residual")
    assert f"the residual SD was {residual.sdcor:.1f}" in text
    # with a random slope: no single ICC, the adjusted one instead; R² from engine.variance
    variance = variance_explained(fit)
    assert "No single ICC is reported: with a random slope" in text
    assert f"was {no_leading_zero(variance.icc_adjusted)} (Nakagawa et al., 2017)" in text
    assert f"(marginal R² = {no_leading_zero(variance.r2_marginal)})" in text
    assert f"(conditional R² = {no_leading_zero(variance.r2_conditional)};" in text
    assert "Bates, D., Mächler, M., Bolker, B., & Walker, S. (2015)" not in text  # not cited
    assert "Nakagawa, S., & Schielzeth, H. (2013)." in text


def test_methods_paragraph_names_model_estimation_software_and_df(sleep_session):
    answer = sleep_session.ask("write a methods paragraph")
    assert answer.ok, answer.error
    text = answer.text()
    assert (
        "The outcome, Reaction, was analysed with a linear mixed-effects model with Days as a "
        "fixed effect "
        "and a random intercept and a random slope for Days for each Subject (correlated); "
        "in lme4's notation, `Reaction ~ Days + (Days | Subject)`." in text
    )
    assert "restricted maximum likelihood (REML)" in text
    assert "BOBYQA optimizer of NLopt" in text and "(Powell, 2009)" in text
    assert "lmm-assistant, a Python implementation" in text and "(Bates et al., 2015)" in text
    assert "Satterthwaite's approximation" in text and "(Kuznetsova et al., 2017)" in text
    assert "No observations had missing values" in text
    assert "The optimizer converged and the fit was not singular." in text
    assert "Kuznetsova, A., Brockhoff, P. B., & Christensen, R. H. B. (2017)" in text
    assert "Results" not in text.splitlines()


def test_intercept_only_model_reports_the_icc_and_ml_wording(tmp_path):
    session = Session(sample="sleepstudy", output_dir=tmp_path)
    assert session.ask("fit Reaction ~ Days + (1 | Subject) using ML").ok
    text = session.ask("report").text()
    fit = session.models[1].fit
    assert fit.method == "ML"
    assert f"The intraclass correlation was ICC = {no_leading_zero(fit.icc)}:" in text
    assert "Parameters were estimated by maximum likelihood (ML), whose likelihoods" in text
    assert "estimated by restricted maximum likelihood" not in text
    days = next(fe for fe in fit.fixed_effects if fe.term == "Days")
    assert f"t({days.df:.1f}) = {days.t:.2f}" in text


def test_p_values_between_thresholds_lose_the_leading_zero(tmp_path):
    session = Session(sample="pain_trial", output_dir=tmp_path)
    assert session.ask("LMM: pain_score ~ time + treatment + age + (1 | patient)").ok
    text = session.ask("write up the results").text()
    fit = session.models[1].fit
    plain = [fe for fe in fit.fixed_effects if 0.001 <= fe.p < 0.999]
    assert plain, "the test needs a coefficient with an ordinary p value"
    for fe in plain:
        expected = apa_p(fe.p)
        assert expected.startswith("p = .")
        t = f"{fe.t:.2f}".replace("-", "\u2212")  # the narration's true minus sign
        assert f"t({fe.df:.1f}) = {t}, {expected}" in text


def test_dropped_rows_are_counted_in_the_methods(tmp_path):
    data = load_sample("sleepstudy")
    data.loc[[3, 40, 41], "Reaction"] = np.nan
    session = Session(data=data, output_dir=tmp_path)
    assert session.ask("fit Reaction ~ Days + (1 | Subject)").ok
    text = session.ask("methods section").text()
    assert session.models[1].fit.n_dropped == 3
    assert (
        "Of the 180 rows, 3 with a missing value (3 on Reaction) were excluded; the model "
        "used the remaining 177 observations" in text
    )


def test_comparison_in_the_session_gives_the_lrt_sentence(sleep_session):
    assert sleep_session.ask("fit Reaction ~ Days + (1 | Subject)").ok
    comparison = sleep_session.ask("compare models 1 and 2")
    assert comparison.ok, comparison.error
    rows = comparison.steps[0].result.comparison.table.to_dict(orient="records")
    tested = next(r for r in rows if r["Df"] and r["Df"] > 0)
    text = sleep_session.ask("write up model 1").text()
    assert (
        f"χ²({int(tested['Df'])}) = {tested['Chisq']:.2f}, {apa_p(tested['p'])}" in text
    )
    assert "Nested models were compared with likelihood ratio tests" in text
    assert "(Stram & Lee, 1994)" not in text  # cited inside the sentence, with a semicolon
    assert "Stram, D. O., & Lee, J. W. (1994)" in text


def test_kenward_roger_is_named_and_cited(tmp_path):
    session = Session(sample="sleepstudy", output_dir=tmp_path)
    assert session.ask("fit Reaction ~ Days + (Days | Subject)").ok
    assert session.ask("use Kenward-Roger").ok
    answer = session.ask("methods section")
    assert answer.ok, answer.error
    text = answer.text()
    assert "Kenward-Roger adjusted standard errors and degrees of freedom" in text
    assert "(Kenward & Roger, 1997)" in text
    assert "Kenward, M. G., & Roger, J. H. (1997)." in text
    assert answer.to_json()[0]["ddf"] == "kenward-roger"


def test_singular_fit_tells_what_the_convergence_checks_did(tmp_path):
    session = Session(sample="pain_trial", output_dir=tmp_path)
    assert session.ask("LMM: pain_score ~ time + treatment + (1 + time | patient)").ok
    model = session.models[1]
    assert model.fit.singular and model.audit is not None
    answer = session.ask("write up the methods")
    assert answer.ok, answer.error
    text = answer.text()
    assert "In the first fit, a variance parameter was estimated on its boundary" in text
    dropped = next(s for s in model.audit.steps if s.kind == "drop_slope")
    p = dropped.lrt_p_boundary
    p_text = "p > .999" if p >= 0.9995 else apa_p(p)
    assert (
        f"without the random slope of time (`{dropped.formula}`), χ²({dropped.lrt_df}) = "
        f"{dropped.lrt_chisq:.2f}, {p_text}" in text
    )
    assert "the reported fit is singular (the correlation between the patient intercepts" in text
    assert f"The convergence checks ended with the simpler `{model.audit.final_formula}`" in text


def test_an_interaction_is_named_by_what_it_changes(tmp_path):
    session = Session(sample="pain_trial", output_dir=tmp_path)
    assert session.ask("LMM: pain_score ~ time * treatment + (1 | patient)").ok
    text = session.ask("write a results paragraph").text()
    assert (
        "For the time × treatment interaction (the difference in the time slope, treated "
        "vs control), b = " in text
    )
    assert "The analysis included 287 observations from 80 patients" in text
    assert "lay between patients." in text


def test_a_write_up_needs_a_model(tmp_path):
    answer = Session(sample="sleepstudy", output_dir=tmp_path).ask("report for a paper")
    assert not answer.ok
    assert "fit" in str(answer.error).lower()


def test_nested_intercepts_name_their_groups_and_the_zero_marginal_r2(tmp_path, reference_dir):
    session = Session(data_path=str(reference_dir / "data" / "Pastes.csv"), output_dir=tmp_path)
    assert session.ask("fit strength ~ 1 + (1 | batch/cask)").ok
    fit = session.models[1].fit
    text = session.ask("write up the results").text()
    variance = variance_explained(fit)
    assert "from 30 levels of cask within batch (2 observations each) and 10 batches" in text
    (mean,) = fit.fixed_effects
    assert f"The overall mean strength was b = {mean.estimate:.2f}, SE = {mean.se:.2f}" in text
    assert "for the cask within batch intercepts" in text
    assert "No single ICC is reported: each grouping factor has its own share" in text
    assert f"was {no_leading_zero(variance.icc_adjusted)} (Nakagawa & Schielzeth, 2013)" in text
    assert "marginal R² is 0 by construction" in text
    assert f"(conditional R² = {no_leading_zero(variance.r2_conditional)};" in text


def test_a_comparison_refitted_by_ml_is_said_so(tmp_path):
    session = Session(sample="sleepstudy", output_dir=tmp_path)
    assert session.ask("fit Reaction ~ Days + (1 | Subject)").ok
    assert session.ask("fit Reaction ~ 1 + (1 | Subject)").ok
    comparison = session.ask("compare models 1 and 2").steps[0].result.comparison
    assert comparison.refitted_with_ml and comparison.refit_reason == "fixed_effects_differ"
    tested = next(r for r in comparison.table.to_dict(orient="records") if r["Df"] and r["Df"] > 0)
    text = session.ask("write up model 1").text()
    assert (
        "Nested models were compared with likelihood ratio tests after refitting them by "
        "maximum likelihood, because REML likelihoods of models with different fixed effects "
        "cannot be compared." in text
    )
    assert f"χ²(1) = {tested['Chisq']:.2f}, {apa_p(tested['p'])}" in text
    # a fixed effect is not tested on the boundary: no mixture correction is cited
    assert "Stram" not in text


def test_terms_without_a_plain_slope_are_named_for_what_they_are(tmp_path):
    session = Session(sample="pain_trial", output_dir=tmp_path)
    assert session.ask("LMM: pain_score ~ time + I(time^2) + (1 | patient)").ok
    text = session.ask("write up the results").text()
    square = next(fe for fe in session.models[1].fit.fixed_effects if fe.term == "I(time^2)")
    assert f"For the time squared term, b = {square.estimate:.3f}, SE = {square.se:.3f}" in text
    assert "With the squared term, the time slope is the slope at time = 0." in text
    # without a fixed intercept each treatment coefficient is that group's expected value
    assert session.ask("LMM: pain_score ~ 0 + treatment + (1 | patient)").ok
    answer = session.ask("report for a paper").text()
    assert "For the expected pain_score for treatment = treated, b = " in answer
    assert "vs control" not in answer
    assert "No ICC or R² is reported" in answer and "marginal R²" not in answer


def test_methods_say_which_predictors_were_transformed_before_the_fit(tmp_path):
    """Centring and standardizing done in the session change what the intercept and the
    slopes mean, so the Methods report them with the mean and SD used; a model fitted
    before the transform does not mention it."""
    session = Session(sample="schools", output_dir=tmp_path)
    raw = load_sample("schools")
    session.ask("test_score ~ SES + (1 | school)")
    session.ask("center SES")
    session.ask("standardize school_size")
    session.ask("test_score ~ SES + school_size + (1 | school)")
    methods = session.ask("write up model 2").text()
    mean_ses = raw["SES"].mean()
    mean_size, sd_size = raw["school_size"].mean(), raw["school_size"].std(ddof=1)
    assert f"SES was grand-mean centred (mean {mean_ses:.3g} subtracted)" in methods
    assert (
        f"school_size was standardized to mean 0 and SD 1 (sample mean {mean_size:.1f}, "
        f"SD {sd_size:.1f})" in methods
    )
    fit = session.models[2].fit
    # the slope is per SD of school size: the raw-scale slope times the SD
    raw_fit = Session(sample="schools", output_dir=tmp_path)
    raw_fit.ask("test_score ~ SES + school_size + (1 | school)")
    raw_slope = raw_fit.models[1].fit.beta[2]
    assert abs(fit.beta[2] - raw_slope * sd_size) < 1e-6 * abs(fit.beta[2])
    earlier = session.ask("write up model 1").text()
    assert "Before the analysis" not in earlier
