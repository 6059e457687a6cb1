"""Files people bring: each is read into the table it holds, or refused with one sentence
naming the problem and the fix; read tables fit exactly as the clean table does."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

from assistant.cli import main
from assistant.session import Session
from engine import fit_lmm
from engine.data import describe_data, load_data, read_table
from engine.errors import LmmInputError
from tests.conftest import ask_ok

FORMULA = "weight ~ week * arm + (1 | patient)"


@pytest.fixture(scope="module")
def trial() -> pd.DataFrame:
    """24 patients x 4 weeks, two arms, weights with one decimal."""
    rng = np.random.default_rng(11)
    ids = np.repeat(np.arange(101, 125), 4)
    week = np.tile(np.arange(4), 24)
    arm = np.repeat(np.where(np.arange(24) % 2 == 0, "Placebo", "Drug"), 4)
    person = np.repeat(rng.normal(0, 3, 24), 4)
    weight = 60 + person - 1.5 * week * (arm == "Drug") + rng.normal(0, 1, 96)
    return pd.DataFrame({"patient": ids, "week": week, "arm": arm, "weight": weight.round(1)})


@pytest.fixture(scope="module")
def clean_fit(trial):
    return fit_lmm(FORMULA, trial)


def _same_fit(data: pd.DataFrame, clean_fit) -> None:
    fit = fit_lmm(FORMULA, data)
    assert fit.nobs == clean_fit.nobs
    assert fit.criterion == pytest.approx(clean_fit.criterion, rel=1e-10)
    assert fit.beta == pytest.approx(clean_fit.beta, rel=1e-8)


def test_semicolons_with_decimal_commas_read_as_numbers(trial, clean_fit, tmp_path):
    path = tmp_path / "euro.csv"
    trial.to_csv(path, sep=";", decimal=",", index=False)
    data = load_data(path)
    assert data["weight"].to_numpy() == pytest.approx(trial["weight"].to_numpy(), abs=1e-12)
    _same_fit(data, clean_fit)


@pytest.mark.parametrize("suffix", ["tsv", "parquet", "xlsx"])
def test_tab_parquet_and_excel_files_read_the_same_table(trial, clean_fit, tmp_path, suffix):
    path = tmp_path / f"trial.{suffix}"
    if suffix == "tsv":
        trial.to_csv(path, sep="\t", index=False)
    elif suffix == "parquet":
        trial.to_parquet(path)
    else:
        trial.to_excel(path, index=False)
    data = load_data(path)
    assert list(data.columns) == list(trial.columns)
    _same_fit(data, clean_fit)


def test_a_notes_sheet_in_front_is_passed_over_and_named(trial, clean_fit, tmp_path):
    path = tmp_path / "two_sheets.xlsx"
    with pd.ExcelWriter(path) as book:
        pd.DataFrame({"Notes": ["Trial export", "weight in kg"]}).to_excel(
            book, sheet_name="README", index=False
        )
        trial.to_excel(book, sheet_name="data", index=False)
    table = read_table(path)
    assert [(n.kind, n.detail, n.others) for n in table.notes] == [("sheet", "data", ("README",))]
    _same_fit(table.data, clean_fit)
    session = Session(data_path=path, output_dir=tmp_path)
    text = ask_ok(session, "describe the data").text()
    assert "Read the sheet 'data'; the workbook's other sheet, 'README', was not read" in text


def test_the_first_of_two_table_sheets_is_read(trial, tmp_path):
    path = tmp_path / "codebook.xlsx"
    with pd.ExcelWriter(path) as book:
        trial.to_excel(book, sheet_name="data", index=False)
        pd.DataFrame({"variable": ["patient", "week"], "meaning": ["id", "weeks"]}).to_excel(
            book, sheet_name="codebook", index=False
        )
    table = read_table(path)
    assert list(table.data.columns) == list(trial.columns)
    assert table.notes[0].others == ("codebook",)


def test_numbers_with_a_unit_are_read_as_numbers(trial, clean_fit, tmp_path):
    path = tmp_path / "units.csv"
    trial.assign(weight=trial["weight"].map(lambda v: f"{v} kg")).to_csv(path, index=False)
    table = read_table(path)
    assert [(n.kind, n.column, n.detail) for n in table.notes] == [("unit", "weight", "kg")]
    _same_fit(table.data, clean_fit)
    text = ask_ok(Session(data_path=path, output_dir=tmp_path), "describe the data").text()
    assert "Read `weight` (kg) as numbers" in text


def test_units_that_differ_leave_the_column_as_text(tmp_path):
    path = tmp_path / "mixed.csv"
    pd.DataFrame({"id": [1, 2, 3], "dose": ["5 mg", "6 g", "1 mg"]}).to_csv(path, index=False)
    table = read_table(path)
    assert table.notes == ()
    assert list(table.data["dose"]) == ["5 mg", "6 g", "1 mg"]


def test_thousands_separators_are_removed(tmp_path):
    path = tmp_path / "income.csv"
    path.write_text('id,income\n1,"30,120"\n2,"1,234,567.5"\n3,980\n')
    table = read_table(path)
    assert list(table.data["income"]) == [30120.0, 1234567.5, 980.0]
    assert [n.kind for n in table.notes] == ["thousands"]


def test_units_and_thousands_keep_missing_cells_and_repeats_row_by_row(tmp_path):
    """Each distinct entry is read once and mapped back to its rows: repeated values,
    blank cells, spaces around a value and plain numbers beside unit ones all land on
    the right row."""
    path = tmp_path / "repeats.csv"
    path.write_text(
        'id,weight,income\n1, 70.5 kg,"1,200"\n2,,980\n3,70.5 kg,\n4,68,"1,200"\n'
        '5,70.5kg ,"12,000.25"\n'
    )
    table = read_table(path)
    weight = table.data["weight"].tolist()
    income = table.data["income"].tolist()
    assert weight[0] == 70.5 and np.isnan(weight[1]) and weight[2:] == [70.5, 68.0, 70.5]
    assert income[:2] == [1200.0, 980.0] and np.isnan(income[2])
    assert income[3:] == [1200.0, 12000.25]
    notes = [(n.kind, n.column) for n in table.notes]
    assert notes == [("unit", "weight"), ("thousands", "income")]


def test_stray_text_counts_rows_not_distinct_entries():
    """The share of numbers is a share of rows: one stray word among many repeated
    numbers is stray text; the same word as most of the rows is not."""
    from engine.data import stray_text_values

    mostly_numbers = pd.Series(["1", "2", "2", "2", "2", "n/a", "3", "3"], dtype=object)
    assert stray_text_values(mostly_numbers) == ["n/a"]
    mostly_words = pd.Series(["1", "2", "3", "n/a", "n/a", "n/a", "x"], dtype=object)
    assert stray_text_values(mostly_words) is None


def test_a_byte_order_mark_does_not_stick_to_the_first_name(trial, clean_fit, tmp_path):
    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbf" + trial.to_csv(index=False).encode())
    data = load_data(path)
    assert list(data.columns) == ["patient", "week", "arm", "weight"]
    _same_fit(data, clean_fit)


def test_a_trailing_separator_column_is_dropped(trial, clean_fit, tmp_path):
    path = tmp_path / "trailing.csv"
    lines = trial.to_csv(index=False).splitlines()
    path.write_text("\n".join(line + "," for line in lines) + "\n")
    table = read_table(path)
    assert list(table.data.columns) == list(trial.columns)
    assert [n.kind for n in table.notes] == ["empty_column"]
    _same_fit(table.data, clean_fit)


def test_latin1_text_keeps_its_accents(trial, tmp_path):
    path = tmp_path / "latin1.csv"
    french = trial.assign(arm=trial["arm"].map({"Placebo": "Placébo", "Drug": "Médicament"}))
    french.to_csv(path, index=False, encoding="latin-1")
    data = load_data(path)
    assert sorted(data["arm"].unique()) == ["Médicament", "Placébo"]


def test_a_numeric_patient_id_is_a_grouping_factor(trial, clean_fit):
    as_text = trial.assign(patient="P" + trial["patient"].astype(str))
    _same_fit(as_text, clean_fit)
    assert clean_fit.ngroups == {"patient": 24}


def test_time_written_as_text_enters_as_categories(trial, tmp_path):
    labels = {0: "baseline", 1: "week 1", 2: "week 2", 3: "week 3"}
    data = trial.assign(visit=trial["week"].map(labels)).drop(columns="week")
    fit = fit_lmm("weight ~ visit * arm + (1 | patient)", data)
    by_factor = fit_lmm("weight ~ factor(week) * arm + (1 | patient)", trial)
    assert fit.criterion == pytest.approx(by_factor.criterion, rel=1e-10)
    assert len(fit.fixed_names) == 8


def test_case_variants_and_empty_columns_are_left_out_of_a_guessed_model(trial, tmp_path):
    data = trial.assign(
        Weight=(trial["weight"] * 2.2046).round(3), height=np.nan, site="Leeds"
    )
    session = Session(data=data, output_dir=tmp_path)
    answer = ask_ok(session, "fit a random intercept model")
    assert session.models[1].fit.formula == "weight ~ week + arm + (1 | patient)"
    assert "left out Weight, height and site" in answer.text()


def test_an_empty_column_in_a_formula_is_named(trial, tmp_path):
    session = Session(data=trial.assign(height=np.nan), output_dir=tmp_path)
    answer = session.ask("LMM: weight ~ week + height + (1 | patient)")
    assert str(answer.error) == (
        "The column 'height' has no values (every row is missing); leave it out of the model."
    )


def test_a_grouping_factor_with_one_level_is_refused(trial, tmp_path):
    session = Session(data=trial.assign(site="Leeds"), output_dir=tmp_path)
    answer = session.ask("LMM: weight ~ week + (1 | site)")
    assert not answer.ok
    assert "'site' has only 1 level" in str(answer.error)
    assert session.models == {}


@pytest.mark.parametrize("stub", ["score_w", "Score.T"])
def test_wide_files_are_recognised_and_reshape(trial, tmp_path, stub):
    wide = trial.pivot(index=["patient", "arm"], columns="week", values="weight").reset_index()
    wide.columns = ["patient", "arm"] + [f"{stub}{i + 1}" for i in range(4)]
    path = tmp_path / "wide.csv"
    wide.to_csv(path, index=False)
    assert describe_data(load_data(path)).layout == "wide"
    session = Session(data_path=path, output_dir=tmp_path)
    refused = session.ask("fit a random intercept model")
    assert "wide format" in str(refused.error)
    ask_ok(session, "reshape from wide to long format first")
    assert session.state.data.shape == (96, 4)
    ask_ok(session, "fit a random intercept model")
    assert session.models[1].fit.nobs == 96


@pytest.mark.parametrize(
    ("name", "make", "message"),
    [
        ("gone.csv", None, "There is no file 'gone.csv' in"),
        ("empty.csv", lambda p: p.write_text(""), "The file 'empty.csv' is empty"),
        ("folder.csv", lambda p: p.mkdir(), "is a folder"),
        ("twice.csv", lambda p: p.write_text("id,y,y\n1,2,3\n"), "duplicated column names ('y')"),
        ("header.csv", lambda p: p.write_text("id,y\n"), "has a header but no data rows"),
        ("old.xls", lambda p: p.write_bytes(b"\xd0\xcf\x11\xe0" + bytes(60)), "old-style .xls"),
    ],
)
def test_files_that_cannot_be_read_exit_2_with_one_sentence(tmp_path, name, make, message):
    path = tmp_path / name
    if make is not None:
        make(path)
    with pytest.raises(LmmInputError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_data(path)
    out, err = io.StringIO(), io.StringIO()
    status = main(["ask", "--data", str(path), "describe the data"], stdout=out, stderr=err)
    assert status == 2
    assert err.getvalue().startswith("lmm: ") and message in err.getvalue()
    assert err.getvalue().count("\n") == 1  # one sentence, no traceback
    assert out.getvalue() == ""


def test_words_in_a_column_of_numbers_are_named_with_the_request_that_fixes_them(
    trial, clean_fit, tmp_path
):
    path = tmp_path / "words.csv"
    worded = trial.astype({"weight": object})
    worded.loc[[3, 20], "weight"] = "missing"
    worded.to_csv(path, index=False)
    session = Session(data_path=path, output_dir=tmp_path)
    refused = session.ask("fit a random intercept model")
    assert str(refused.error) == (
        "`weight` holds numbers but was read as text because of the entry 'missing', so I "
        'could not use it as the outcome; say `treat "missing" as missing` to mark those '
        "cells as missing (or write NA in the file and load it again)."
    )
    fixed = ask_ok(session, 'treat "missing" as missing')
    assert "2 cells in `weight`. `weight` now holds numbers." in fixed.text()
    ask_ok(session, f"LMM: {FORMULA}")
    direct = fit_lmm(FORMULA, trial.assign(weight=trial["weight"].mask(trial.index.isin([3, 20]))))
    assert session.models[1].fit.criterion == pytest.approx(direct.criterion, rel=1e-10)
    assert session.models[1].fit.nobs == 94


def test_spaces_around_header_names_are_removed(trial, clean_fit, tmp_path):
    path = tmp_path / "spaced_header.csv"
    trial.rename(columns={"weight": " weight ", "arm": "arm "}).to_csv(path, index=False)
    table = read_table(path)
    assert list(table.data.columns) == list(trial.columns)
    assert [(n.column, n.detail) for n in table.notes] == [("arm", "arm "), ("weight", " weight ")]
    _same_fit(table.data, clean_fit)
    session = Session(data_path=path, output_dir=tmp_path)
    text = ask_ok(session, "describe the data").text()
    assert "Removed the spaces around the names `arm` and `weight`" in text
    ask_ok(session, "LMM: weight ~ week + arm + (1 | patient)")
