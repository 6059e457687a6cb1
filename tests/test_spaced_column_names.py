"""Column names with spaces: in backticks as lme4 writes them, or typed as they are when
they match a column exactly; otherwise one sentence saying to use backticks."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from assistant.session import Session
from grammar.parse import ParseError, parse
from grammar.spaced_names import needs_backticks
from tests.conftest import ask_ok

SPACED = {"Reaction": "Reaction Time", "Days": "Days Awake", "Subject": "Subject ID"}


@pytest.fixture(scope="module")
def sleepstudy(reference_dir) -> pd.DataFrame:
    return pd.read_csv(reference_dir / "data" / "sleepstudy.csv")


@pytest.fixture(scope="module")
def reference(reference_dir) -> dict:
    return json.loads((reference_dir / "cases" / "sleepstudy_slope.json").read_text())


def _fit(data: pd.DataFrame, request: str, tmp_path):
    session = Session(data=data, output_dir=tmp_path)
    answer = ask_ok(session, request)
    return session.models[1].fit, answer


@pytest.mark.parametrize(
    "request_text",
    [
        "LMM: Reaction Time ~ Days Awake + (Days Awake | Subject ID)",
        "LMM: `Reaction Time` ~ `Days Awake` + (`Days Awake` | `Subject ID`)",
        "fit Reaction Time ~ Days Awake + (Days Awake | `Subject ID`)",
    ],
)
def test_spaced_names_give_lme4s_numbers_and_the_renamed_columns_numbers(
    sleepstudy, reference, tmp_path, request_text
):
    spaced, answer = _fit(sleepstudy.rename(columns=SPACED), request_text, tmp_path)
    plain, _ = _fit(sleepstudy, "LMM: Reaction ~ Days + (Days | Subject)", tmp_path)
    assert spaced.formula == "`Reaction Time` ~ `Days Awake` + (`Days Awake` | `Subject ID`)"
    assert spaced.criterion == pytest.approx(plain.criterion, rel=1e-12)
    assert spaced.criterion == pytest.approx(reference["criterion"], rel=1e-6)
    assert spaced.sigma == pytest.approx(reference["sigma"], rel=1e-3)
    rows = zip(spaced.fixed_effects, plain.fixed_effects, reference["fixef"], strict=True)
    for ours, theirs, lme4 in rows:
        assert ours.estimate == pytest.approx(theirs.estimate, rel=1e-10)
        assert ours.se == pytest.approx(theirs.se, rel=1e-10)
        assert ours.df == pytest.approx(theirs.df, rel=1e-8)
        assert ours.estimate == pytest.approx(lme4["estimate"], rel=1e-4)
        assert ours.se == pytest.approx(lme4["se"], rel=1e-3)
        assert ours.df == pytest.approx(lme4["df_satterthwaite"], rel=1e-2)
    assert spaced.ngroups == {"`Subject ID`": 18}  # lme4 deparses the name: backticks kept
    assert "Reaction Time" in answer.text()
    assert "Days Awake" in answer.text()


def test_a_plot_and_a_comparison_take_the_spaced_names(sleepstudy, tmp_path):
    session = Session(data=sleepstudy.rename(columns=SPACED), output_dir=tmp_path)
    ask_ok(session, "LMM: Reaction Time ~ Days Awake + (1 | Subject ID)")
    ask_ok(session, "LMM: Reaction Time ~ Days Awake + (Days Awake | Subject ID)")
    answer = ask_ok(session, "compare the models with a likelihood ratio test")
    table = answer.to_json()[0]["table"]
    assert [row["npar"] for row in table] == [4, 6]
    plot = ask_ok(session, "plot Reaction Time over Days Awake")
    assert plot.figures and all(path.exists() for path in plot.figures)


def test_the_longest_matching_column_is_quoted():
    plan = parse("LMM: Pain Score 2 ~ Visit + (1 | ID)", columns=["Pain Score", "Pain Score 2"])
    assert plan.steps[0].formula == "`Pain Score 2` ~ Visit + (1 | ID)"


def test_a_name_in_other_case_is_refused_with_the_backticked_name():
    with pytest.raises(ParseError) as caught:
        parse("LMM: pain score ~ Visit + (1 | ID)", columns=["ID", "Visit", "Pain Score"])
    assert caught.value.message == (
        "Column names with spaces must be written in backticks: write `Pain Score`."
    )


def test_without_the_data_two_words_before_the_tilde_are_explained():
    with pytest.raises(ParseError) as caught:
        parse("LMM: Pain Score ~ Visit + (1 | ID)")
    assert "write it in backticks, `Pain Score`" in caught.value.message


def test_words_that_are_no_column_get_the_formula_error_instead():
    with pytest.raises(ParseError) as caught:
        parse("LMM: Score ~ Visit Day + (1 | ID)", columns=["ID", "Visit", "Score"])
    assert "backticks" not in caught.value.message


@pytest.mark.parametrize(
    ("name", "needed"),
    [("Pain Score", True), ("weight-kg", True), ("pain_score", False), ("Score.T1", False),
     ("2nd", True)],
)
def test_which_names_need_backticks(name, needed):
    assert needs_backticks(name) is needed
