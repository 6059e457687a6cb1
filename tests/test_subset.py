"""engine.subset.select_rows: every count checked against pandas, every refusal in words."""

import numpy as np
import pandas as pd
import pytest

from engine.errors import LmmInputError
from engine.samples import load_sample
from engine.subset import select_rows


@pytest.fixture()
def pain() -> pd.DataFrame:
    return load_sample("pain_trial")


def test_dropping_one_subject_matches_pandas(pain):
    before = pain.copy()
    result = select_rows(pain, "drop", column="patient", values=["P001"], group="patient",
                         grouping=["patient"])
    expected = pain[pain["patient"] != "P001"].reset_index(drop=True)
    pd.testing.assert_frame_equal(result.data, expected)
    assert result.n_before == len(pain)
    assert result.n_after == len(expected)
    assert result.n_removed == int((pain["patient"] == "P001").sum()) == 3
    positions = np.flatnonzero(pain["patient"] == "P001")
    assert result.removed_rows == tuple(int(i) + 1 for i in positions)
    assert result.groups_lost == ("P001",)
    assert result.n_groups_before == pain["patient"].nunique()
    assert result.n_groups_after == pain["patient"].nunique() - 1
    pd.testing.assert_frame_equal(pain, before)  # the caller's data are not changed


def test_levels_match_loosely_and_several_levels_mean_any_of_them(pain):
    result = select_rows(pain, "drop", column="patient", values=["p1", "P002"], group="patient")
    assert result.values == ("P001", "P002")
    expected = pain[~pain["patient"].isin(["P001", "P002"])]
    assert result.n_after == len(expected)
    assert set(result.groups_lost) == {"P001", "P002"}


def test_school_named_by_its_number():
    schools = load_sample("schools")
    result = select_rows(schools, "drop", column="school", values=["12"], group="school")
    assert result.values == ("school_12",)
    assert result.n_after == int((schools["school"] != "school_12").sum())


def test_keeping_a_level_and_the_columns_left_with_one_value(pain):
    result = select_rows(pain, "keep", column="treatment", values=["treated"], group="patient")
    treated = pain[pain["treatment"] == "treated"]
    assert result.n_after == len(treated)
    lost = set(pain["patient"]) - set(treated["patient"])
    assert set(result.groups_lost) == lost and len(lost) > 0
    assert result.single_valued == ("treatment",)


def test_not_equal_keeps_the_other_levels(pain):
    result = select_rows(pain, "keep", column="sex", operator="!=", values=["male"])
    assert result.n_after == int((pain["sex"] != "male").sum())
    assert result.rule == "levels"


@pytest.mark.parametrize(
    ("operator", "mask"),
    [
        (">", lambda s, v: s > v),
        (">=", lambda s, v: s >= v),
        ("<", lambda s, v: s < v),
        ("<=", lambda s, v: s <= v),
        ("==", lambda s, v: s == v),
        ("!=", lambda s, v: s != v),
    ],
)
def test_numeric_comparisons_match_pandas(pain, operator, mask):
    value = int(pain["age"].iloc[0])  # an age that occurs, so == and != have something to match
    hits = mask(pain["age"], value)
    assert 0 < int(hits.sum()) < len(pain)
    dropped = select_rows(pain, "drop", column="age", operator=operator, values=[str(value)])
    assert dropped.n_removed == int(hits.sum())
    pd.testing.assert_frame_equal(dropped.data, pain[~hits].reset_index(drop=True))
    kept = select_rows(pain, "keep", column="age", operator=operator, values=[str(value)])
    assert kept.n_after == int(hits.sum())


def test_missing_values_never_match_a_comparison():
    frame = pd.DataFrame({"g": list("aabbcc"), "x": [1.0, np.nan, 5.0, 7.0, np.nan, 9.0]})
    dropped = select_rows(frame, "drop", column="x", operator=">", values=["4"])
    assert dropped.n_after == 3  # 1.0 and both missing values stay
    assert dropped.n_missing_compared == 2
    kept = select_rows(frame, "keep", column="x", operator=">", values=["4"])
    assert list(kept.data["x"]) == [5.0, 7.0, 9.0]


def test_rows_are_numbered_from_one(pain):
    result = select_rows(pain, "drop", rows=[57, 8, 60])
    expected = pain.drop(index=[56, 7, 59]).reset_index(drop=True)
    pd.testing.assert_frame_equal(result.data, expected)
    assert result.removed_rows == (8, 57, 60)
    assert result.values == (8, 57, 60)
    kept = select_rows(pain, "keep", rows=[1, 2])
    pd.testing.assert_frame_equal(kept.data, pain.iloc[:2].reset_index(drop=True))


def test_negative_numbers_compare(pain):
    frame = pd.DataFrame({"g": list("aabb"), "z": [-2.0, -1.0, 0.5, 3.0]})
    result = select_rows(frame, "keep", column="z", operator="<=", values=["-1.5"])
    assert list(result.data["z"]) == [-2.0]


# ------------------------------------------------------------------------ refusals
def _message(**kwargs) -> str:
    with pytest.raises(LmmInputError) as err:
        select_rows(**kwargs)
    return str(err.value)


def test_unknown_column_suggests_a_close_one(pain):
    text = _message(df=pain, action="drop", column="agee", operator=">", values=["70"])
    assert "agee" in text and "did you mean 'age'" in text


def test_unknown_level_names_close_or_existing_levels(pain):
    close = _message(df=pain, action="keep", column="treatment", values=["treatd"])
    assert close == (
        "treatment has no value 'treatd' (did you mean treated?); its 2 values are "
        "treated, control."
    )
    far = _message(df=pain, action="drop", column="patient", values=["Z999"])
    assert far == (
        "patient has no value 'Z999'; its 80 values include P001, P002, P003, P004, P005, P006."
    )


def test_text_column_cannot_be_ordered(pain):
    text = _message(df=pain, action="drop", column="treatment", operator=">", values=["3"])
    assert "no order" in text and "treatment is" in text


def test_numeric_column_needs_a_number(pain):
    text = _message(df=pain, action="drop", column="age", operator=">", values=["old"])
    assert "holds numbers" in text and "'old'" in text


def test_row_numbers_out_of_range(pain):
    assert f"no row {len(pain) + 1}" in _message(df=pain, action="drop", rows=[len(pain) + 1])
    assert "no row 0" in _message(df=pain, action="drop", rows=[0])


def test_nothing_left_is_refused(pain):
    text = _message(df=pain, action="drop", column="age", operator=">=", values=["0"])
    assert "leaving no data" in text


def test_one_level_of_a_grouping_factor_is_refused(pain):
    text = _message(df=pain, action="keep", column="patient", values=["P001"],
                    grouping=["patient"])
    assert "one level of the grouping factor patient" in text


def test_codes_written_as_numbers_are_ordered_as_numbers():
    sleep = load_sample("sleepstudy")
    assert not pd.api.types.is_numeric_dtype(sleep["Subject"])
    result = select_rows(sleep, "drop", column="Subject", operator=">", values=["330"],
                         group="Subject", grouping=["Subject"])
    codes = sleep["Subject"].astype(int)
    assert result.n_after == int((codes <= 330).sum())
    assert set(result.groups_lost) == set(sleep.loc[codes > 330, "Subject"])
    assert "is not one" in _message(df=sleep, action="drop", column="Subject", operator=">",
                                    values=["abc"])


def test_rows_with_a_missing_value():
    frame = pd.DataFrame({"g": list("aabbcc"), "x": [1.0, np.nan, 5.0, 7.0, np.nan, 9.0]})
    dropped = select_rows(frame, "drop", column="x", operator="is_missing")
    pd.testing.assert_frame_equal(dropped.data, frame.dropna().reset_index(drop=True))
    assert dropped.rule == "missing" and dropped.removed_rows == (2, 5)
    kept = select_rows(frame, "keep", column="x", operator="not_missing", group="g")
    assert kept.n_after == int(frame["x"].notna().sum())
    only_missing = select_rows(frame, "keep", column="x", operator="is_missing")
    assert only_missing.n_after == 2
