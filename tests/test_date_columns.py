"""Date columns (pandas datetime64, or text that reads as dates) are described as dates,
with their range and number of distinct values, not as factors; in a formula they are
refused with the fix (engine.design), and the description says what to do first."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from assistant.session import Session
from engine.data import as_dates, describe_data, transform_columns
from engine.errors import LmmInputError
from engine.lmm import fit_lmm


def _dated(n_subjects: int = 8) -> pd.DataFrame:
    """Three visits per subject, each subject a day later than the one before."""
    first = pd.to_datetime(["2024-01-15", "2024-02-15", "2024-03-20"])
    rows = []
    for subject in range(n_subjects):
        for visit, day in enumerate(first):
            rows.append({"id": f"s{subject}", "visit": visit,
                         "when": day + pd.Timedelta(days=subject),
                         "y": float(subject + visit)})
    return pd.DataFrame(rows)


@pytest.mark.parametrize("as_text", [None, "%Y-%m-%d", "%d/%m/%Y"])
def test_a_date_column_is_summarised_by_its_range_and_distinct_values(as_text):
    data = _dated()
    if as_text is not None:
        data["when"] = data["when"].dt.strftime(as_text)
    column = describe_data(data).column("when")
    assert column.kind == "datetime"
    assert (column.first, column.last) == ("2024-01-15", "2024-03-27")
    # 2024 is a leap year: 15 January to 27 March is 16 + 29 + 27 = 72 days
    assert column.span_days == 72.0
    assert column.n_unique == 24 and column.levels is None
    assert column.to_dict()["kind"] == "datetime"


def test_times_of_day_are_kept_and_other_text_stays_a_factor():
    data = _dated(3)
    data["when"] = data["when"] + pd.Timedelta(hours=8, minutes=30)
    column = describe_data(data).column("when")
    assert (column.first, column.last) == ("2024-01-15 08:30:00", "2024-03-22 08:30:00")
    assert describe_data(data).column("id").kind == "factor"
    # day-first text is read day-first when month-first cannot read every value
    assert as_dates(pd.Series(["01/02/2024", "15/02/2024", None])).tolist()[:2] == [
        pd.Timestamp("2024-02-01"), pd.Timestamp("2024-02-15")
    ]
    assert as_dates(pd.Series(["2024-01-15", "soon"])) is None


def test_describe_the_data_names_the_date_column_and_the_fix(tmp_path):
    session = Session(data=_dated(), output_dir=tmp_path)
    text = session.ask("describe the data").text()
    assert (
        "`when` holds dates, which a model cannot use as they are; for time in a model, turn "
        "them into the days since the first date with `convert when to days`."
    ) in text
    row = next(line for line in text.splitlines() if line.startswith("when "))
    assert row.split() == ["when", "date/time", "0", "2024-01-15", "to", "2024-03-27",
                           "(72", "days),", "24", "distinct", "values"]


@pytest.mark.parametrize("as_text", [False, True])
def test_a_date_in_a_formula_is_refused_in_one_sentence_and_nothing_is_fitted(
    tmp_path, as_text
):
    data = _dated(12)
    if as_text:
        data["when"] = data["when"].dt.strftime("%Y-%m-%d")
    session = Session(data=data, output_dir=tmp_path)
    answer = session.ask("LMM: y ~ when + (1 | id)")
    assert not answer.ok
    message = str(answer.error)
    assert message.startswith("The predictor 'when' holds dates")
    assert "days since" in message and message.count(". ") == 0
    assert session.models == {}



@pytest.mark.parametrize("as_text", [False, True])
def test_days_since_the_first_date_counts_days_and_repeats_on_new_data(as_text):
    data = _dated(4)
    if as_text:
        data["when"] = data["when"].dt.strftime("%d/%m/%Y")
    done = transform_columns(data, "days", ["when"])
    expected = (_dated(4)["when"].to_numpy(dtype="datetime64[D]")
                - np.datetime64("2024-01-15")).astype(float)
    np.testing.assert_array_equal(done.data["when"].to_numpy(), expected)
    (record,) = done.transforms
    assert record.origin == "2024-01-15T00:00:00"
    later = pd.Series(["2024-01-16 12:00", "2025-01-15"])  # text, read as ISO 8601
    np.testing.assert_array_equal(record.apply(later).to_numpy(), [1.5, 366.0])
    with pytest.raises(LmmInputError, match="does not hold dates"):
        transform_columns(data, "days", ["y"])


def test_session_turns_a_date_into_days_and_fits_on_them(tmp_path):
    data = _dated(12)
    session = Session(data=data, output_dir=tmp_path)
    refused = session.ask("center when")
    assert str(refused.error) == (
        "The column 'when' holds dates, so it cannot be centered; turn it into a number "
        "first with `convert when to days`."
    )
    answer = session.ask("convert when to days")
    assert answer.ok, answer.error
    assert "when replaced by the days since its first date, 2024-01-15" in answer.text()
    fit = session.ask("LMM: y ~ when + (1 | id)")
    assert fit.ok, fit.error
    days = (data["when"] - data["when"].min()).dt.days.to_numpy(dtype=float)
    np.testing.assert_array_equal(session.models[1].fit.data["when"].to_numpy(), days)


def test_text_dates_with_few_values_are_refused_too_and_factor_keeps_them():
    """Three visit dates shared by every subject: as a bare predictor they would silently
    become a factor, so they are refused like any date column; factor() asks for that."""
    rng = np.random.default_rng(1)
    data = pd.DataFrame({
        "id": np.repeat([f"s{i}" for i in range(10)], 3),
        "visit": np.tile(["2024-01-15", "2024-02-15", "2024-03-15"], 10),
        "y": rng.normal(size=30),
    })
    with pytest.raises(LmmInputError, match="holds dates") as refused:
        fit_lmm("y ~ visit + (1 | id)", data)
    assert "`convert visit to days`" in str(refused.value)
    assert "factor(visit)" in str(refused.value)
    kept = fit_lmm("y ~ factor(visit) + (1 | id)", data)
    assert kept.fixed_names == [
        "(Intercept)", "factor(visit)[T.2024-02-15]", "factor(visit)[T.2024-03-15]"
    ]
