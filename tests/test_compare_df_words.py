"""A likelihood ratio test with several df says which added columns it tests together."""

from assistant.session import Session


def test_moderation_test_names_the_columns_it_tests_together():
    session = Session(sample="schools")
    session.ask("test_score ~ SES + (1 | school)")
    text = session.ask("does school_size moderate the effect of SES").text()
    comparison = session.history[-1]
    assert comparison.ok
    assert "χ²(2) = 14.13" in text
    assert (
        "adds 2 fixed-effect columns (`school_size` and `school_size:SES`), and it tests "
        "them together" in text
    )
    assert "tested by its row in the fixed-effects table (`school_size:SES`)" in text
    # that row: the interaction's own t test in model 2
    row = next(f for f in session.models[2].fit.fixed_effects if f.term == "school_size:SES")
    assert 0.04 < row.p < 0.05


def test_one_df_test_needs_no_explanation():
    session = Session(sample="pain_trial")
    session.ask("LMM: pain_score ~ time + (1 | patient)")
    session.ask("LMM: pain_score ~ time + treatment + (1 | patient)")
    text = session.ask("compare the models").text()
    assert "χ²(1)" in text
    assert "tests them together" not in text


def test_compare_with_a_model_without_a_term_fits_it_and_tests_by_ml():
    """'compare with a model without treatment': the model without it, then the LRT of
    the two ML refits (lme4's anova refits when the fixed effects differ)."""
    from engine import fit_lmm

    session = Session(sample="pain_trial")
    session.ask("LMM: pain_score ~ time + treatment + (1 | patient)")
    answer = session.ask("compare with a model without treatment")
    assert answer.ok, answer.error
    assert session.models[2].fit.formula == "pain_score ~ time + (1 | patient)"
    data = session.data
    full = fit_lmm("pain_score ~ time + treatment + (1 | patient)", data, reml=False)
    small = fit_lmm("pain_score ~ time + (1 | patient)", data, reml=False)
    chisq = 2 * (full.loglik - small.loglik)
    text = answer.text()
    assert f"χ²(1) = {chisq:.2f}" in text
    assert "refitted them with maximum likelihood" in text
