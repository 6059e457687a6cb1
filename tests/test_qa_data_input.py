"""Regressions found by driving the assistant with real-world data files."""

import numpy as np
import pandas as pd
import pytest

from assistant.session import Session
from engine.data import describe_data, find_stub_groups, load_data, stray_text_values


def _visits(n_subjects: int = 12) -> pd.DataFrame:
    """Long data with a numeric time (weeks), its text labels (visit) and a date."""
    rng = np.random.default_rng(7)
    rows = []
    for subject in range(1, n_subjects + 1):
        shift, slope = rng.normal(0, 2), rng.normal(0.5, 0.2)
        for day, (weeks, label) in enumerate([(0, "baseline"), (4, "week 4"), (12, "week 12")]):
            rows.append({
                "subject": subject, "visit": label, "weeks": weeks,
                "group": "A" if subject % 2 else "B",
                "score": 20 + shift + slope * weeks + rng.normal(0, 1),
                "date": f"2024-0{1 + day}-{10 + subject:02d}",
            })
    return pd.DataFrame(rows)


def test_numeric_time_is_guessed_before_its_text_labels():
    summary = describe_data(_visits())
    assert summary.time_guess == "weeks"


def test_random_slope_model_uses_the_numeric_time_and_leaves_out_labels_and_dates():
    session = Session(data=_visits())
    answer = session.ask("fit a random slope model")
    assert answer.ok, answer.error
    formula = session.models[1].fit.formula
    assert formula == "score ~ weeks + group + (1 + weeks | subject)"
    assert "left out visit and date" in answer.text()


def test_stray_words_in_a_numeric_column_are_named():
    column = pd.Series(["1.5", "2", "missing", "3.25", None, "n.a.", "4", "5", "6", "7", "8"])
    assert stray_text_values(column) == ["missing", "n.a."]
    assert stray_text_values(pd.Series(["a", "b", "1"])) is None
    assert stray_text_values(pd.Series([1.0, 2.0, np.nan])) is None


def test_describe_and_fit_explain_a_numeric_outcome_read_as_text(tmp_path):
    data = _visits().drop(columns="date")
    data["score"] = data["score"].round(2).astype(object)
    data.loc[4, "score"] = "missing"
    path = tmp_path / "visits.csv"
    data.to_csv(path, index=False)
    session = Session(data_path=str(path))
    described = session.ask("describe the data")
    assert "`score` holds numbers but was read as text because of the entry 'missing'" in (
        described.text()
    )
    before = session.datasets[session.current_data_name]
    answer = session.ask("LMM: score ~ weeks + (1 | subject)")
    assert not answer.ok
    assert "read as text because of the entry 'missing'" in str(answer.error)
    assert session.models == {}
    assert session.datasets[session.current_data_name] is before


@pytest.mark.parametrize(
    ("columns", "stub"),
    [(["scoreT1", "scoreT2", "scoreT3"], "score"), (["painWeek0", "painWeek4"], "pain")],
)
def test_camel_case_time_tag_is_not_part_of_the_stub(columns, stub):
    frame = pd.DataFrame({"id": [1, 2], **{c: [1.0, 2.0] for c in columns}})
    assert [g.stub for g in find_stub_groups(frame)] == [stub]


def test_semicolon_file_with_decimal_commas_and_bom(tmp_path):
    path = tmp_path / "export excel.csv"
    path.write_bytes("\ufeffid;Pain score;âge\n1;2,5;30\n2;3,75;41\n".encode())
    frame = load_data(path)
    assert list(frame.columns) == ["id", "Pain score", "âge"]
    assert frame["Pain score"].tolist() == [2.5, 3.75]


def test_standardize_the_predictors_before_any_model_uses_the_numeric_predictors():
    data = _visits().drop(columns=["visit", "date"])
    data["age"] = 30.0 + data["subject"] % 7
    session = Session(data=data)
    answer = session.ask("standardize the predictors")
    assert answer.ok, answer.error
    changed = session.datasets[session.current_data_name]
    for name in ("weeks", "age"):
        assert changed[name].mean() == pytest.approx(0.0, abs=1e-12)
        assert changed[name].std(ddof=1) == pytest.approx(1.0)
    pd.testing.assert_series_equal(changed["score"], data["score"])
    pd.testing.assert_series_equal(changed["subject"], data["subject"])


def test_a_measurement_read_as_text_is_refused_as_a_predictor():
    data = _visits().drop(columns=["visit", "date"])
    data["weight"] = (60 + data.index * 0.37).round(2).astype(object)
    data.loc[5, "weight"] = "."
    session = Session(data=data)
    answer = session.ask("LMM: score ~ weight + (1 | subject)")
    assert not answer.ok
    assert str(answer.error) == (
        "The predictor 'weight' holds numbers but was read as text because of the entry '.'; "
        'say `treat "." as missing` to mark those cells as missing (or write NA in the file '
        "and load it again)."
    )
    assert session.models == {}


def test_a_few_numeric_labels_with_one_word_stay_a_factor():
    data = _visits().drop(columns=["visit", "date"])
    doses = ["0", "10", "20", "40", "80", "10", "20", "40", "80", "placebo"]
    data["dose"] = [doses[i % len(doses)] for i in range(len(data))]
    session = Session(data=data)
    answer = session.ask("LMM: score ~ dose + (1 | subject)")
    assert answer.ok, answer.error
    assert len(session.models[1].fit.fixed_names) == 6


@pytest.mark.parametrize(
    "title", ["My study export\n", "My study export,,\n", "My study export\n\n", ";;\nTitle;;\n"]
)
def test_title_lines_above_a_csv_header_are_skipped(tmp_path, title):
    separator = ";" if title.startswith(";") else ","
    body = separator.join(["id", "time", "y"]) + "\n" + "\n".join(
        separator.join(row) for row in [["1", "0", "2.5"], ["1", "1", "3.5"], ["2", "0", "1"]]
    )
    path = tmp_path / "export.csv"
    path.write_text(title + body + "\n", encoding="utf-8")
    frame = load_data(path)
    assert list(frame.columns) == ["id", "time", "y"]
    assert frame["y"].tolist() == [2.5, 3.5, 1.0]


def test_title_rows_above_an_excel_header_are_skipped(tmp_path):
    path = tmp_path / "export.xlsx"
    table = pd.DataFrame({"id": [1, 1, 2], "time": [0, 1, 0], "y": [2.5, 3.5, 1.0]})
    with pd.ExcelWriter(path) as writer:
        pd.DataFrame([["My study export"]]).to_excel(writer, index=False, header=False)
        table.to_excel(writer, index=False, startrow=2)
    pd.testing.assert_frame_equal(load_data(path), table)


def test_a_two_column_table_keeps_its_first_line_as_header(tmp_path):
    path = tmp_path / "two.csv"
    path.write_text("y\n1\n2\n3\n", encoding="utf-8")
    assert list(load_data(path).columns) == ["y"]


def test_a_grouping_column_named_like_a_keyword_is_read_as_the_column():
    session = Session(sample="sleepstudy")
    answer = session.ask(
        "random intercept model of Reaction on Days with Subject as the grouping variable"
    )
    assert answer.ok, answer.error
    assert session.models[1].fit.formula == "Reaction ~ Days + (1 | Subject)"
    assert session.models[1].fit.ngroups == {"Subject": 18}


def test_a_subset_that_removes_nothing_leaves_the_session_unchanged():
    session = Session(sample="pain_trial")
    session.ask("center age")
    before = dict(session.datasets)
    answer = session.ask("remove rows where age > 70")
    assert answer.ok, answer.error
    assert answer.text() == (
        "There is no row where age > 70 in `pain_trial`, so nothing was removed: "
        "`pain_trial` is unchanged and stays the current data."
    )
    assert session.datasets == before
    assert session.current_data_name == "pain_trial"


def test_a_file_name_with_spaces_loads_without_quotes(tmp_path):
    folder = tmp_path / "my study"
    folder.mkdir()
    _visits().to_csv(folder / "tab file.tsv", sep="\t", index=False)
    session = Session()
    answer = session.ask(f"load {folder}/tab file.tsv")
    assert answer.ok, answer.error
    assert session.current_data_name == "tab file"
    assert len(session.datasets["tab file"]) == 36


def test_reshape_with_two_measures_says_a_row_with_one_empty_cell_is_kept():
    wide = pd.DataFrame({
        "id": [1, 2, 3], "score_1": [1.0, 2.0, 3.0], "score_2": [2.0, np.nan, 4.0],
        "anx_1": [5.0, 6.0, 7.0], "anx_2": [5.5, 6.5, np.nan],
    })
    session = Session(data=wide)
    answer = session.ask("reshape from wide to long format")
    assert answer.ok, answer.error
    assert len(session.datasets[session.current_data_name]) == 6
    assert (
        "2 cells were empty; their rows are kept because another measure was observed there"
        in answer.text()
    )


@pytest.mark.parametrize("as_datetime", [True, False])
def test_a_date_predictor_is_refused_with_the_fix(as_datetime):
    data = _visits()
    if as_datetime:
        data["date"] = pd.to_datetime(data["date"])
    session = Session(data=data)
    answer = session.ask("LMM: score ~ date + (1 | subject)")
    assert not answer.ok
    assert str(answer.error).startswith("The predictor 'date' holds dates, which would enter")
    assert session.models == {}


def test_decimal_commas_with_thousands_dots(tmp_path):
    path = tmp_path / "income.csv"
    path.write_text("id;time;income\n1;0;1.234,50\n1;1;2.345,75\n2;0;987,25\n2;1;1.000,00\n")
    frame = load_data(path)
    assert frame["income"].tolist() == [1234.5, 2345.75, 987.25, 1000.0]


def test_a_pandas_string_id_column_is_not_a_guessed_predictor():
    """schools' ``student`` is a pandas string column with one level per row: a guessed
    model that took it as a fixed factor had 1543 coefficients for 1543 rows."""
    from engine import fit_lmm
    from engine.samples import load_sample

    data = load_sample("schools")
    assert isinstance(data["student"].dtype, pd.StringDtype)
    session = Session(data=data)
    answer = session.ask("fit a random intercept model of test_score")
    assert answer.ok, answer.error
    fit = session.models[1].fit
    assert fit.formula == "test_score ~ SES + school_size + (1 | school)"
    direct = fit_lmm("test_score ~ SES + school_size + (1 | school)", data)
    np.testing.assert_allclose(fit.beta, direct.beta, rtol=1e-12)
    assert fit.criterion == pytest.approx(direct.criterion, rel=1e-12)
