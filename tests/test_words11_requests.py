"""Requests on the pain_trial, sleepstudy, schools and ratings samples that were refused
or answered beside the point (words11): each reaches the analysis it means, with numbers
checked against a direct engine fit or a hand computation with numpy/pandas on the same
data."""

from __future__ import annotations

import numpy as np
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



def test_does_the_slope_differ_by_a_fixed_factor_is_the_same_slope_difference(pain):
    # "treatment" is a fixed factor, not a grouping factor: the slopes per arm (before:
    # "'treatment' is not a grouping factor of the model")
    text = ask_ok(pain, "does the slope differ by treatment").text()
    fit = fit_lmm(PAIN_INTERACTION, load_sample("pain_trial"))
    row = fit.fixed_effects[list(fit.fixed_names).index("time:treatment[T.treated]")]
    assert (f"control − treated = {_shown(-row.estimate)}, 95% CI {_shown(-row.ci_upper)} "
            f"to {_shown(-row.ci_lower)}; t({row.df:.1f}) = {_shown(-row.t)}") in text


# ------------------------------------------------------------- 2. no random slope
def test_did_anyone_get_worse_without_a_random_slope_gives_the_shared_slope(tmp_path):
    from assistant.session import Session

    session = Session(sample="sleepstudy", output_dir=tmp_path)
    ask_ok(session, "LMM: Reaction ~ Days + (1 | Subject)")
    answer = ask_ok(session, "did anyone get worse?")
    shared = answer.steps[-1].result.result.slopes
    fit = fit_lmm("Reaction ~ Days + (1 | Subject)", load_sample("sleepstudy"))
    row = fit.fixed_effects[list(fit.fixed_names).index("Days")]
    # every subject's fitted line has the same slope: least squares on each one's fitted values
    fitted = fit.data.assign(fitted=fit.fitted())
    per_subject = [np.polyfit(g["Days"], g["fitted"], 1)[0] for _, g in fitted.groupby("Subject")]
    assert np.allclose(per_subject, row.estimate, rtol=1e-10)
    (slope,) = shared.slopes
    assert len(slope.levels) == shared.n_levels == fit.data["Subject"].nunique() == 18
    assert (slope.test.estimate, slope.test.lower, slope.test.upper, slope.test.df) == \
        pytest.approx((row.estimate, row.ci_lower, row.ci_upper, row.df), rel=1e-9)
    text = answer.text()
    assert (f"rises by {row.estimate:.2f} per unit of Days (95% CI {row.ci_lower:.2f} to "
            f"{row.ci_upper:.2f}; t({row.df:.1f}) = {row.t:.2f}, p < .001)") in text
    assert "all 18 subjects are getting worse" in text
    assert "`add a random slope for Days`" in text


def test_a_treatment_interaction_without_a_random_slope_gives_each_arms_slope(pain):
    shared = ask_ok(pain, "which patients improved fastest?").steps[-1].result.result.slopes
    fit = fit_lmm(PAIN_INTERACTION, load_sample("pain_trial"))
    names = list(fit.fixed_names)
    beta = dict(zip(names, fit.beta, strict=True))
    arms = load_sample("pain_trial").groupby("patient")["treatment"].first()
    expected = {"control": beta["time"],
                "treated": beta["time"] + beta["time:treatment[T.treated]"]}
    for slope in shared.slopes:
        (arm,) = set(arms[list(slope.levels)])
        assert slope.test.estimate == pytest.approx(expected[arm], rel=1e-9)
        assert len(slope.levels) == (arms == arm).sum()
    control = next(s for s in shared.slopes if arms[s.levels[0]] == "control")
    row = fit.fixed_effects[names.index("time")]
    assert (control.test.lower, control.test.upper) == \
        pytest.approx((row.ci_lower, row.ci_upper), rel=1e-9)


# ------------------------------------------------------------- 3. a level that is no number
@pytest.mark.parametrize(("request_text", "shown"), [
    ("use nan% CI", "'nan%'"), ("use abc% CI", "'abc%'"), ("use 0% CI", "0%"),
    ("use 150% CI", "150%"), ("use inf percent confidence intervals", "'inf%'"),
])
def test_a_confidence_level_that_is_no_level_gets_one_message_and_exit_2(
    tmp_path, request_text, shown
):
    import io

    from assistant.cli import main
    from assistant.session import Session

    out, err = io.StringIO(), io.StringIO()
    status = main(["ask", "--sample", "sleepstudy", "--out", str(tmp_path),
                   "LMM: Reaction ~ Days + (1 | Subject)", request_text], stdout=out, stderr=err)
    assert status == 2 and "Traceback" not in err.getvalue()
    message = err.getvalue().splitlines()[0]
    assert message == (f"lmm: request 2: {shown} is not a confidence level: the level must be "
                       "a percentage between 50% and 100% (100% excluded), e.g. `use 95% CI` or "
                       "`use 90% confidence intervals`.")
    session = Session(sample="sleepstudy", output_dir=tmp_path)
    ask_ok(session, "LMM: Reaction ~ Days + (1 | Subject)")
    before = (session.state.options.level, len(session.models), session.state.data.shape)
    assert not session.ask(request_text).ok
    assert (session.state.options.level, len(session.models), session.state.data.shape) == before
    # the session goes on as before: its intervals are still the 95% ones
    row = fit_lmm("Reaction ~ Days + (1 | Subject)", load_sample("sleepstudy")).fixed_effects[1]
    text = ask_ok(session, "CI for Days").text()
    assert f"95% CI {row.ci_lower:.2f} to {row.ci_upper:.2f}" in text


# ------------------------------------------------------------- 4. highest average score
def test_highest_average_score_ranks_observed_means_and_names_the_blup_leader(schools):
    answer = ask_ok(schools, "which school has the highest average score?")
    text = answer.text()
    data = load_sample("schools")
    by_hand = data.groupby("school")["test_score"].agg(["count", "mean"]).sort_values(
        "mean", ascending=False)
    ranking = answer.steps[-1].result.result.ranking
    shown = [(c.levels[0], c.n, c.mean) for c in ranking.shown]
    expected = list(zip(by_hand.index[:5], by_hand["count"][:5], by_hand["mean"][:5],
                        strict=True))
    assert [(lvl, n) for lvl, n, _ in shown] == [(lvl, n) for lvl, n, _ in expected]
    assert np.allclose([m for *_, m in shown], [m for *_, m in expected], rtol=1e-12)
    top, n_top, mean_top = expected[0]
    assert f"{top} ({mean_top:.1f}, n = {n_top}) has the highest observed mean test_score" \
        in text
    assert f"runs from {by_hand['count'].min()} to {by_hand['count'].max()}" in text
    # the model's shrunken ranking: the largest random intercept of a direct refit
    fit = fit_lmm("test_score ~ SES + school_size + (1 | school)", data)
    blups = {r.level: r.value for r in fit.random_effects if r.group == "school"}
    leader = max(blups, key=blups.get)
    verdict = "also puts" if leader == top else "puts"
    assert f"{verdict} {leader} first" in text
    assert "adjusted for SES and school_size" in text


def test_lowest_average_before_any_model_is_the_observed_means_alone(tmp_path):
    from assistant.session import Session

    session = Session(sample="schools", output_dir=tmp_path)
    answer = ask_ok(session, "which school has the lowest average test score?")
    means = load_sample("schools").groupby("school")["test_score"].mean()
    ranking = answer.steps[-1].result.result.ranking
    assert ranking.shown[0].levels[0] == means.idxmin()
    assert ranking.shown[0].mean == pytest.approx(means.min(), rel=1e-12)
    assert "random intercept" not in answer.text() and not session.models


# ------------------------------------------------------------- 5. rows per level
@pytest.mark.parametrize(("sample", "request_text", "group", "outcome"), [
    ("ratings", "how many ratings per rater", "rater", "rating"),
    ("pain_trial", "how many observations per patient", "patient", None),
    ("sleepstudy", "how many observations per subject", "Subject", None),
])
def test_how_many_per_level_before_a_model_counts_each_levels_rows(
    tmp_path, sample, request_text, group, outcome
):
    from assistant.session import Session

    session = Session(sample=sample, output_dir=tmp_path)
    answer = ask_ok(session, request_text)
    sizes = answer.steps[-1].result.result
    data = load_sample(sample)
    counted = data if outcome is None else data.dropna(subset=[outcome])
    counts = counted[group].value_counts()
    assert (sizes.group, sizes.n_clusters, sizes.n_units) == (group, len(counts), counts.sum())
    assert (sizes.minimum, sizes.median, sizes.maximum) == \
        (counts.min(), counts.median(), counts.max())
    text = answer.text()
    spread = (f"every {group} has {counts.min()}" if counts.min() == counts.max() else
              f"{counts.min()} to {counts.max()} per {group}, median {counts.median():g}")
    assert (f"{counts.sum()} {'ratings' if outcome else 'observations'} in {len(counts)} "
            f"levels of {group}: {spread}") in text
    # how many levels have each count, as pandas counts them (a table when they differ)
    for size, n_levels in counts.value_counts().items() if counts.nunique() > 1 else ():
        assert any(line.split() == [str(size), str(n_levels)] for line in text.splitlines())
    assert "Listwise deletion" not in text and not session.models


# ------------------------------------------------------------- 6. caterpillar of the slopes
@pytest.mark.parametrize("request_text", [
    "caterpillar plot of the slopes", "caterpillar plot of random slopes",
    "plot the random slopes", "caterpillar plot of the Days slopes",
])
def test_caterpillar_of_the_slopes_draws_the_days_panel_alone(sleep, request_text):
    from engine.plots.caterpillar import draw_caterpillar
    from engine.plots.style import figure_style

    figure = ask_ok(sleep, request_text).steps[-1].result.result
    (panel,) = figure.panels
    fit = fit_lmm("Reaction ~ Days + (Days | Subject)", load_sample("sleepstudy"))
    days = [r for r in fit.random_effects if r.term == "Days"]
    values = np.array([r.value for r in days])
    half = 1.959963984540054 * np.array([r.cond_sd for r in days])
    assert len(days) == 18
    assert (panel.group, panel.term, panel.n_levels) == ("Subject", "Days", 18)
    assert (panel.min_value, panel.max_value) == pytest.approx((values.min(), values.max()),
                                                              rel=1e-6)
    assert panel.n_above == int((values - half > 0).sum())
    assert panel.n_below == int((values + half < 0).sum())
    (path,) = figure.paths
    assert path.stem.endswith(("Subject_slope", "Subject_Days"))
    # the figure drawn for that term has one panel, titled by the slope, a row per subject
    with figure_style():
        drawn, _ = draw_caterpillar(fit.random_effects, "Subject", term=panel.term)
    (axes,) = drawn.axes
    assert axes.get_title() == "Days"
    assert len([t for t in axes.get_yticklabels() if t.get_text()]) == 18


def test_caterpillar_of_the_slopes_without_any_says_how_to_add_one(tmp_path):
    from assistant.session import Session

    session = Session(sample="sleepstudy", output_dir=tmp_path)
    ask_ok(session, "LMM: Reaction ~ Days + (1 | Subject)")
    answer = session.ask("caterpillar plot of the slopes")
    assert not answer.ok and "`add a random slope for Days`" in str(answer.error)


# ------------------------------------------------------------- 7. without a variable
def test_compare_without_treatment_drops_it_with_its_interaction_and_tests_2_df(tmp_path):
    from scipy import stats

    from assistant.session import Session

    session = Session(sample="pain_trial", output_dir=tmp_path)
    ask_ok(session, f"LMM: {PAIN_INTERACTION}")
    answer = ask_ok(session, "compare to model without treatment")
    assert session.models[2].fit.formula == "pain_score ~ time + (1 | patient)"
    data = load_sample("pain_trial")
    full = fit_lmm(PAIN_INTERACTION, data, reml=False)
    reduced = fit_lmm("pain_score ~ time + (1 | patient)", data, reml=False)
    chisq = 2 * (full.loglik - reduced.loglik)
    table = answer.steps[-1].result.comparison.table
    row = table.dropna(subset=["Chisq"]).iloc[0]
    assert (row["Chisq"], row["Df"]) == (pytest.approx(chisq, rel=1e-6), 2)
    assert row["p"] == pytest.approx(stats.chi2.sf(chisq, 2), rel=1e-6)
    text = answer.text()
    assert "together with every term containing it: treatment and time:treatment" in text
    assert f"χ²(2) = {chisq:.2f}" in text and "maximum likelihood (ML)" in text


def test_a_plain_drop_of_a_term_in_an_interaction_is_still_refused(pain):
    answer = pain.ask("drop treatment")
    assert not answer.ok and "part of an interaction" in str(answer.error)
