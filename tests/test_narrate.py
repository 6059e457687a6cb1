"""Narration: every number in the prose comes from the result object, formatted once."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest

from assistant.answer import Answer, StepOutcome
from assistant.narrate import numbers as fmt
from assistant.narrate.blocks import Paragraph, Table, table, table_text, to_html, to_text, visible
from assistant.narrate.fit import fit_blocks, fixed_effect_sentence
from assistant.narrate.variance import ICC_HIGH, ICC_LOW, icc_meaning
from assistant.state import FittedModel
from assistant.step_results import FitOutcome, ModelView
from engine import fit_lmm
from engine.samples import load_sample
from engine.variance import variance_explained

REFERENCE = Path(__file__).resolve().parent.parent.parent / "shared" / "reference"
if not REFERENCE.is_dir():
    REFERENCE = Path("/work/shared/reference")

NUMBER = r"(−?[\d,]+(?:\.\d+)?)"


def to_float(text: str) -> float:
    return float(text.replace("−", "-").replace(",", ""))


def decimals(text: str) -> int:
    return len(text.split(".")[1]) if "." in text else 0


def assert_shows(text: str, value: float) -> None:
    """The printed number is ``value`` rounded to the decimals it shows."""
    assert abs(to_float(text) - value) <= 0.5 * 10 ** -decimals(text) + 1e-12, (text, value)


@pytest.fixture(scope="module")
def pain_fit():
    return fit_lmm("pain_score ~ time + treatment + (1 | patient)", load_sample("pain_trial"))


@pytest.fixture(scope="module")
def sleep_slope_fit():
    return fit_lmm("Reaction ~ Days + (Days | Subject)", load_sample("sleepstudy"))


def model_of(fit, number: int = 1, structure: str = "random_intercept") -> FittedModel:
    return FittedModel(number=number, structure=structure, fit=fit, dataset="data")


# ------------------------------------------------------------------ formatting
@pytest.mark.parametrize(
    ("p", "text"),
    [
        (0.0004, "p < .001"),
        (3.26e-06, "p < .001"),
        (0.001, "p = .001"),
        (0.0341, "p = .034"),
        (0.05, "p = .050"),
        (0.5, "p = .500"),
        (0.99949, "p = .999"),
        (0.99999, "p > .999"),
        (float("nan"), "p = NA"),
    ],
)
def test_p_values_follow_apa_style(p, text):
    assert fmt.p_value(p) == text


def test_numbers_use_a_true_minus_and_no_negative_zero():
    assert fmt.fixed(-2.14, 2) == "−2.14"
    assert fmt.fixed(-0.0001, 2) == "0.00"
    assert fmt.estimate(10.467, 1.546) == "10.5"
    assert fmt.estimate(-2.2511, 0.13) == "−2.25"
    assert fmt.degrees_of_freedom(17.0) == "17"
    assert fmt.degrees_of_freedom(16.9997) == "17.0"
    assert fmt.value(6.0) == "6"


@pytest.mark.parametrize(
    ("icc", "word"),
    [
        (0.63, "dominate"),
        (ICC_HIGH + 1e-9, "dominate"),
        (ICC_HIGH, "moderately"),
        (0.2, "moderately"),
        (ICC_LOW, "moderately"),
        (ICC_LOW - 1e-9, "Little of the variance"),
        (0.01, "Little of the variance"),
    ],
)
def test_icc_wording_follows_the_thresholds(icc, word):
    assert word in icc_meaning(icc)


# ------------------------------------------------------------- fixed effects
def test_fixed_effect_sentences_print_the_fit_numbers(pain_fit):
    pattern = re.compile(
        rf"95% CI {NUMBER} to {NUMBER}; t\({NUMBER}\) = {NUMBER}, p (<|=) (\.\d+)\)"
    )
    for fe in pain_fit.fixed_effects[1:]:
        sentence = fixed_effect_sentence(fe, pain_fit)
        match = pattern.search(sentence)
        assert match, sentence
        lower, upper, df, t, _, _ = match.groups()
        assert_shows(lower, fe.ci_lower)
        assert_shows(upper, fe.ci_upper)
        assert_shows(df, fe.df)
        assert_shows(t, fe.t)


def test_slope_and_factor_contrast_are_described_in_words(pain_fit):
    by_term = {fe.term: fixed_effect_sentence(fe, pain_fit) for fe in pain_fit.fixed_effects}
    time = by_term["time"]
    assert time.startswith("pain_score fell by ")
    size = re.search(rf"fell by {NUMBER}", time).group(1)
    assert_shows(size, -pain_fit.fixed_effects[1].estimate)
    treated = next(s for term, s in by_term.items() if "treated" in term)
    assert "lower for treated vs control" in treated


def test_sleepstudy_narration_matches_lme4_reference(sleep_slope_fit):
    case = json.loads((REFERENCE / "cases" / "sleepstudy_slope.json").read_text())
    days = next(r for r in case["fixef"] if r["term"] == "Days")
    fe = next(f for f in sleep_slope_fit.fixed_effects if f.term == "Days")
    sentence = fixed_effect_sentence(fe, sleep_slope_fit)
    assert "Reaction rose by 10.5 per day" in sentence
    match = re.search(rf"95% CI {NUMBER} to {NUMBER}; t\({NUMBER}\) = {NUMBER}", sentence)
    lower, upper, df, t = match.groups()
    assert_shows(lower, days["ci_lower_satterthwaite"])
    assert_shows(upper, days["ci_upper_satterthwaite"])
    assert_shows(df, days["df_satterthwaite"])
    assert_shows(t, days["t"])
    assert "p < .001" in sentence


# ----------------------------------------------------------------------- ICC
def test_random_intercept_icc_is_the_fit_icc(pain_fit):
    text = to_text(visible(fit_blocks(model_of(pain_fit)), detailed=False))
    shown = re.search(r"ICC = (\d\.\d\d)", text).group(1)
    assert_shows(shown, pain_fit.icc)
    assert f"{fmt.percent(pain_fit.icc)} of the variance" in text
    assert "dominate" in text


def test_slope_model_explains_why_there_is_no_single_icc(sleep_slope_fit):
    variance = variance_explained(sleep_slope_fit)
    view = ModelView("icc", model_of(sleep_slope_fit, structure="intercept_and_slope"), variance)
    answer = Answer("icc", None, [StepOutcome("icc", "done", result=view)])
    text = answer.text()
    assert "no single ICC" in text
    shown = re.search(r"adjusted ICC \(Nakagawa and Schielzeth\).*? is (\d\.\d\d)", text)
    assert_shows(shown.group(1), variance.icc_adjusted)


@pytest.mark.parametrize(
    ("formula", "data", "nested"),
    [
        ("diameter ~ 1 + (1 | plate) + (1 | sample)", "Penicillin", False),
        ("strength ~ 1 + (1 | batch/cask)", "Pastes", True),
    ],
)
def test_crossed_and_nested_models_give_each_factor_its_share(formula, data, nested):
    fit = fit_lmm(formula, pd.read_csv(REFERENCE / "data" / f"{data}.csv"))
    variance = variance_explained(fit)
    view = ModelView("icc", model_of(fit, structure="crossed"), variance)
    text = Answer("icc", None, [StepOutcome("icc", "done", result=view)]).text()
    assert "no single ICC" in text
    for share in variance.group_shares:
        shown = re.search(rf"(?<![\w:]){re.escape(share.group)} (\d+)%", text).group(1)
        assert abs(int(shown) - 100 * share.variance_share) <= 0.5
        where = "(and so the same batch)" if share.nested_in else "only"
        pattern = rf"(\d\.\d\d) for two in the same {re.escape(share.group)} {re.escape(where)}"
        assert_shows(re.search(pattern, text).group(1), share.correlation)
    shown = re.search(r"residual (\d+)%", text).group(1)
    assert abs(int(shown) - 100 * variance.residual_share) <= 0.5
    assert ("The first is also the adjusted ICC" in text) == nested
    assert "Observations that share a " + variance.group_shares[0].group in text


def test_singular_fit_is_named_with_the_next_step():
    data = pd.read_csv(REFERENCE / "data" / "Dyestuff2.csv")
    fit = fit_lmm("Yield ~ 1 + (1 | Batch)", data)
    text = to_text(visible(fit_blocks(model_of(fit)), detailed=False))
    assert "The fit is singular" in text
    assert "Batch intercept variance is estimated as zero" in text
    assert "Next," in text


# ---------------------------------------------------------------- the fit
def test_fit_narration_reports_sizes_method_and_structure(pain_fit):
    text = to_text(visible(fit_blocks(model_of(pain_fit)), detailed=False))
    assert "restricted maximum likelihood (REML)" in text
    assert "Satterthwaite degrees of freedom" in text
    assert "a random intercept for each patient" in text
    sizes = pain_fit.group_sizes["patient"]
    assert (
        f"{pain_fit.nobs} observations in 80 levels of patient "
        f"({sizes.min()} to {sizes.max()} each, median" in text
    )
    assert "No rows were dropped" in text


def test_detailed_level_adds_tables(pain_fit):
    outcome = StepOutcome("fit_lmm", "done", result=FitOutcome(model_of(pain_fit)))
    answer = Answer("fit", None, [outcome])
    brief, detailed = answer.text("brief"), answer.text("detailed")
    assert "Fixed effects" not in brief
    assert "Fixed effects" in detailed and "Variance components" in detailed
    assert detailed.startswith(brief.split("\n\n")[0])


def test_fit_json_is_exactly_to_dict_and_nan_free(pain_fit):
    outcome = StepOutcome("fit_lmm", "done", result=FitOutcome(model_of(pain_fit)))
    items = Answer("fit", None, [outcome]).to_json()
    assert len(items) == 1 and items[0]["kind"] == "lmm_fit"
    assert items[0] == json.loads(json.dumps(pain_fit.to_dict()))
    json.dumps(items, allow_nan=False)


# ------------------------------------------------------------------- tables
def test_html_answer_has_a_real_table(pain_fit):
    outcome = StepOutcome("fit_lmm", "done", result=FitOutcome(model_of(pain_fit)))
    html = Answer("fit", None, [outcome]).html("detailed")
    assert "<table" in html and "<th" in html and "<td" in html
    assert "|---" not in html


def test_text_tables_align_numbers_on_the_right():
    t = table(["Term", "Estimate"], [["a", "1.5"], ["long name", "−12.25"]], "lr")
    lines = table_text(t).splitlines()
    assert len({len(line) for line in lines}) == 1
    assert lines[2].endswith("   1.5") and lines[3].endswith("−12.25")


def test_markdown_and_html_render_the_same_cells():
    blocks = [Paragraph("Use `LMM: y ~ x`."), Table(("A", "B"), (("1", "x < 2"),))]
    assert "<code>LMM: y ~ x</code>" in to_html(blocks)
    assert "x &lt; 2" in to_html(blocks)


# ------------------------------------------------------ other result kinds
def test_missing_data_narration_uses_the_audit_numbers():
    from assistant.narrate.missing import missing_blocks
    from engine.missing import missing_data_audit

    audit = missing_data_audit(load_sample("pain_trial"), "patient", time="time")
    text = to_text(missing_blocks(audit))
    assert f"keeps only the {audit.n_complete_subjects} subjects seen at every time point" in text
    lost = audit.n_subjects - audit.n_complete_subjects
    assert f"throw away {lost} subjects and {audit.n_dropped_by_listwise} observations" in text
    for t in audit.missing_by_time:
        assert re.search(rf"^\s*{int(t.time)}\s+{t.n_observed}\s+{t.n_missing}$", text, re.M)


def test_caterpillar_says_how_many_levels_stand_out(pain_fit, tmp_path):
    from assistant.narrate.figures import figure_blocks
    from engine.plots import caterpillar_figure

    figure = caterpillar_figure(pain_fit, tmp_path)
    panel = figure.panels[0]
    text = to_text(figure_blocks(figure, model_of(pain_fit), list(figure.paths)))
    assert f"{panel.n_above} patients sit above average" in text
    assert f"{panel.n_below} patients below" in text
    assert str(figure.paths[0]) in text


def test_ols_side_by_side_reports_the_design_effect(pain_fit):
    from assistant.narrate.side_by_side import ols_blocks
    from engine.side_by_side import ols_side_by_side

    result = ols_side_by_side(pain_fit)
    text = to_text(ols_blocks(result, model_of(pain_fit)))
    assert f"= {fmt.number(result.design_effect)} (mean cluster size" in text
    assert f"ICC {fmt.proportion(result.icc)}" in text


# -------------------------------------------------------------------- help
def test_every_help_topic_renders_with_its_examples():
    from assistant.help_topics import HELP_TOPIC_KEYS, help_topic
    from assistant.narrate.help import help_blocks
    from assistant.step_results import HelpAnswer

    for key in HELP_TOPIC_KEYS:
        topic = help_topic(key)
        text = to_text(help_blocks(HelpAnswer(topic)))
        assert text.startswith(topic.title)
        for example in topic.examples:
            assert f"`{example}`" in text
    assert help_topic(None).key == "overview"
    assert "0.5" in " ".join(help_topic("icc").paragraphs)


def test_parse_errors_carry_their_suggestions():
    from assistant.session import parse_error

    class FakeParseError(ValueError):
        suggestions = ["fit a random intercept model", "help"]

    message = str(parse_error(FakeParseError("I could not read 'fti a model'.")))
    assert message == (
        "I could not read 'fti a model'. Did you mean: `fit a random intercept model`; `help`?"
    )


def test_nested_model_is_described_within_its_parent():
    data = pd.read_csv(REFERENCE / "data" / "Pastes.csv")
    fit = fit_lmm("strength ~ 1 + (1 | batch/cask)", data)
    text = to_text(visible(fit_blocks(model_of(fit, structure="nested")), detailed=False))
    assert "a random intercept for each cask within batch" in text
    assert "30 levels of cask within batch (2 each)" in text
    mean = fit.fixed_effects[0]
    shown = re.search(rf"The average strength is {NUMBER}", text).group(1)
    assert_shows(shown, mean.estimate)
    assert "no single ICC" in text
