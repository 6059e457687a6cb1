"""Requests on the pain_trial sample that were misread or refused (words12): each reaches
the analysis it means, with numbers checked against a direct engine fit and t quantiles
from scipy.stats."""

from __future__ import annotations

import io
from decimal import ROUND_HALF_UP, Decimal

import pytest
from scipy import stats

from assistant.cli import main
from assistant.session import Session
from engine.lmm import fit_lmm
from engine.samples import load_sample
from grammar.parse import parse
from tests.conftest import PAIN_FIT, ask_ok, session_with_fit

PAIN_INTERACTION = "pain_score ~ time * treatment + (1 | patient)"


def _shown(value: float, digits: int = 2) -> str:
    """A number as the narration prints it: fixed decimals, a true minus sign."""
    return f"{value:.{digits}f}".replace("-", "\N{MINUS SIGN}")


@pytest.fixture(scope="module")
def direct_fit():
    return fit_lmm(PAIN_INTERACTION, load_sample("pain_trial"))


# ------------------------------------------------------------- 1. levels written with %
@pytest.mark.parametrize(("request_text", "level"), [
    ("use 99% CI", 0.99), ("0.9 confidence intervals", 0.9),
    ("use 90 percent confidence intervals", 0.9), ("use 99.5% CI", 0.995),
    ("Wald confidence intervals at 50%", 0.5),
])
def test_a_level_is_a_percentage_with_percent_and_a_fraction_without(
    tmp_path_factory, direct_fit, request_text, level
):
    (step,) = parse(request_text).steps
    # "use 99% CI" chooses the level (words14) and shows the intervals at it
    read = step.value if step.kind == "set_option" else step.level
    assert read == pytest.approx(level)
    # a session of its own: "use 99% CI" changes the session's level for later fits
    session = session_with_fit("pain_trial", tmp_path_factory, PAIN_FIT)
    table = ask_ok(session, request_text).steps[-1].result.table.set_index("parameter")
    # Wald: estimate -/+ the t quantile with the coefficient's Satterthwaite df times its SE
    for row in direct_fit.fixed_effects:
        half = stats.t.ppf(0.5 + level / 2, row.df) * row.se
        assert table.loc[row.term, "lower"] == pytest.approx(row.estimate - half, rel=1e-6)
        assert table.loc[row.term, "upper"] == pytest.approx(row.estimate + half, rel=1e-6)


def test_level_0_9_sets_a_90_percent_level_for_the_next_fit(tmp_path, direct_fit):
    session = Session(sample="pain_trial", output_dir=tmp_path)
    ask_ok(session, "level 0.9")
    assert session.state.options.level == 0.9
    text = ask_ok(session, f"fit {PAIN_INTERACTION}").text()
    row = direct_fit.fixed_effects[list(direct_fit.fixed_names).index("time")]
    half = stats.t.ppf(0.95, row.df) * row.se
    assert (f"90% CI {_shown(row.estimate - half)} to {_shown(row.estimate + half)}") in text


@pytest.mark.parametrize(("request_text", "shown"), [
    ("use 1% CI", "1%"), ("use 0.5% CI", "0.5%"), ("use 30 percent confidence intervals", "30%"),
    ("level 0.3", "0.3 (a 30% level)"), ("set the confidence level to 10%", "10%"),
    # every other wording reaches the same message (words13)
    ("with 0.5% confidence intervals", "0.5%"), ("with 40% CIs", "40%"),
    ("use 0.4 confidence level", "0.4 (a 40% level)"),
    ("show the fixed effects with 0.5% CIs", "0.5%"),
    ("what is the ICC with 0.5% CI", "0.5%"),
])
def test_a_level_below_half_gets_one_message_exit_2_and_the_session_unchanged(
    tmp_path, request_text, shown
):
    out, err = io.StringIO(), io.StringIO()
    status = main(["ask", "--sample", "pain_trial", "--out", str(tmp_path),
                   f"fit {PAIN_INTERACTION}", request_text], stdout=out, stderr=err)
    assert status == 2 and "Traceback" not in err.getvalue()
    assert err.getvalue().splitlines()[0] == (
        f"lmm: request 2: {shown} is too low for a confidence level: an interval that covers "
        "the true value less than half the time is almost never meant. Did you mean 95% or "
        "99%? e.g. `use 95% CI` or `use 99% CI`.")
    session = Session(sample="pain_trial", output_dir=tmp_path)
    ask_ok(session, f"fit {PAIN_INTERACTION}")
    before = (session.state.options.level, len(session.models), session.state.data.shape)
    answer = session.ask(request_text)
    assert not answer.ok and answer.steps == []  # before: "use 0.5% CI" gave 50% intervals
    assert (session.state.options.level, len(session.models), session.state.data.shape) == before


# ------------------------------------------------------------- 2. tell me whether
@pytest.mark.parametrize("request_text", [
    "tell me whether the treatment group improves faster than the control group",
    "tell me if the treatment group improves faster than the control group",
    "let me know whether treated patients improve faster",
])
def test_tell_me_whether_one_group_improves_faster_is_the_slope_difference(
    pain, direct_fit, request_text
):
    (step,) = parse(request_text).steps
    assert (step.kind, step.trend) == ("marginal_means", "time")
    text = ask_ok(pain, request_text).text()
    row = direct_fit.fixed_effects[list(direct_fit.fixed_names).index("time:treatment[T.treated]")]
    assert (f"control − treated = {_shown(-row.estimate)}, 95% CI {_shown(-row.ci_upper)} to "
            f"{_shown(-row.ci_lower)}; t({row.df:.1f}) = {_shown(-row.t)}") in text


# ------------------------------------------------------------- 3. the time slope by treatment
@pytest.mark.parametrize("request_text", [
    "does the time slope differ by treatment?",
    "does the time slope differ between treatment groups",
])
def test_the_named_time_slope_by_treatment_is_the_same_answer_as_the_slope(
    pain, direct_fit, request_text
):
    answer = ask_ok(pain, request_text)
    assert answer.text() == ask_ok(pain, "does the slope differ by treatment").text()
    names = list(direct_fit.fixed_names)
    time = direct_fit.fixed_effects[names.index("time")]
    interaction = direct_fit.fixed_effects[names.index("time:treatment[T.treated]")]
    text = answer.text()
    # the control slope is the time coefficient; the treated slope adds the interaction
    assert f"{_shown(time.estimate)} for control" in text
    assert f"{_shown(time.estimate + interaction.estimate)} for treated" in text
    assert f"t({interaction.df:.1f}) = {_shown(-interaction.t)}" in text


# ------------------------------------------------------------- 4. follow-up questions
def test_what_would_the_predicted_score_be_is_the_prediction(pain, direct_fit):
    # before: "No column of the data is called 'predicted pain score'"
    answer = ask_ok(pain, "what would the predicted pain score be at month 3 for a treated "
                          "patient?")
    frame = answer.steps[-1].result.result.frame
    b = dict(zip(direct_fit.fixed_names, (fe.estimate for fe in direct_fit.fixed_effects),
                 strict=True))
    by_hand = (b["(Intercept)"] + 3 * b["time"] + b["treatment[T.treated]"]
               + 3 * b["time:treatment[T.treated]"])
    assert (frame["time"].iloc[0], frame["treatment"].iloc[0]) == (3.0, "treated")
    assert frame["estimate"].iloc[0] == pytest.approx(by_hand, rel=1e-9)


def test_does_treatment_reduce_pain_over_time_gives_the_slope_per_arm(pain, direct_fit):
    # before: "I could not understand 'over'"
    text = ask_ok(pain, "does treatment reduce pain over time compared to control?").text()
    names = list(direct_fit.fixed_names)
    time = direct_fit.fixed_effects[names.index("time")]
    interaction = direct_fit.fixed_effects[names.index("time:treatment[T.treated]")]
    assert f"{_shown(time.estimate)} for control" in text
    assert f"{_shown(time.estimate + interaction.estimate)} for treated" in text
    assert f"t({interaction.df:.1f}) = {_shown(-interaction.t)}" in text


def test_plot_the_trajectories_by_treatment_group_panels_by_arm(pain):
    # before: "I could not understand 'group'"
    text = ask_ok(pain, "plot the pain trajectories by treatment group").text()
    data = load_sample("pain_trial")
    means = data.groupby(["treatment", "time"])["pain_score"].mean()

    def one_decimal(value: float) -> Decimal:  # the narration rounds halves up (62.25)
        return Decimal(repr(float(value))).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)

    for arm in ("control", "treated"):
        assert (f"treatment = {arm} (40 patients): mean pain_score "
                f"{one_decimal(means[(arm, 0)])} at time 0 and {one_decimal(means[(arm, 6)])} "
                "at time 6") in text


def test_should_i_add_a_random_slope_tests_it(tmp_path):
    # before: the help text on random slopes
    session = Session(sample="pain_trial", output_dir=tmp_path)
    ask_ok(session, f"fit {PAIN_INTERACTION}")
    text = ask_ok(session, "should I add a random slope for time?").text()
    data = load_sample("pain_trial")
    full = fit_lmm("pain_score ~ time * treatment + (1 + time | patient)", data)
    reduced = fit_lmm(PAIN_INTERACTION, data)
    chi2 = 2 * (full.loglik - reduced.loglik)
    p = 0.5 * stats.chi2.sf(chi2, 1) + 0.5 * stats.chi2.sf(chi2, 2)
    assert f"χ²(2) = {chi2:.2f}, p = {p:.3f}".replace("p = 0.", "p = .") in text
    assert len(session.models) == 2


def test_is_the_decline_over_time_linear_is_the_linearity_test(pain):
    # before: "I could not understand 'linear'"
    text = ask_ok(pain, "is the decline in pain over time linear or does it level off?").text()
    data = load_sample("pain_trial")
    line = fit_lmm(PAIN_INTERACTION, data, reml=False)
    means = fit_lmm("pain_score ~ factor(time) * treatment + (1 | patient)", data, reml=False)
    chi2 = 2 * (means.loglik - line.loglik)
    p = stats.chi2.sf(chi2, 4)
    assert f"χ²(4) = {chi2:.2f}, p = {p:.3f}".replace("p = 0.", "p = .") in text


def test_how_much_variance_is_due_to_raters_and_how_much_to_items(tmp_path):
    # before: "I could not understand 'much'"
    session = Session(sample="ratings", output_dir=tmp_path)
    formula = "rating ~ condition + (1 | rater) + (1 | item)"
    ask_ok(session, f"fit {formula}")
    text = ask_ok(session, "how much of the variance is due to raters and how much to "
                           "items?").text()
    parts = {c.group: c.vcov for c in fit_lmm(formula, load_sample("ratings")).variance_components}
    total = sum(parts.values())
    assert (f"item {parts['item'] / total:.0%} and rater {parts['rater'] / total:.0%}; "
            f"residual {parts['Residual'] / total:.0%}") in text
