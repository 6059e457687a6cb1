"""Loading, describing, reshaping and transforming data (engine/data.py)."""

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.data import (
    describe_data,
    find_stub_groups,
    load_data,
    reshape_long,
    transform_columns,
)
from engine.errors import LmmInputError

FRAME = pd.DataFrame(
    {
        "patient id": ["a", "b", "c"],
        "âge": [30, 41, 52],
        "score": [1.5, 2.5, np.nan],
    }
)


# --------------------------------------------------------------------------- load_data
@pytest.mark.parametrize("suffix", [".csv", ".tsv", ".xlsx", ".parquet"])
def test_each_format_round_trips_with_names_kept(tmp_path, suffix):
    path = tmp_path / f"data{suffix}"
    if suffix == ".csv":
        FRAME.to_csv(path, index=False)
    elif suffix == ".tsv":
        FRAME.to_csv(path, sep="\t", index=False)
    elif suffix == ".xlsx":
        FRAME.to_excel(path, index=False)
    else:
        FRAME.to_parquet(path, index=False)
    loaded = load_data(path)
    assert list(loaded.columns) == ["patient id", "âge", "score"]
    assert loaded["âge"].tolist() == [30, 41, 52]
    assert loaded["score"].iloc[1] == 2.5 and math.isnan(loaded["score"].iloc[2])


def test_explicit_format_overrides_the_extension(tmp_path):
    path = tmp_path / "export.dat"
    FRAME.to_csv(path, index=False)
    assert load_data(path, format="csv").shape == (3, 3)
    with pytest.raises(LmmInputError, match="say the format"):
        load_data(path)


def test_missing_file_suggests_similar_names(tmp_path):
    (tmp_path / "visits.csv").write_text("a,b\n1,2\n")
    with pytest.raises(LmmInputError, match="did you mean 'visits.csv'") as err:
        load_data(tmp_path / "visit.csv")
    assert "\n" not in str(err.value)


def test_missing_folder_is_named(tmp_path):
    with pytest.raises(LmmInputError, match="There is no folder"):
        load_data(tmp_path / "nowhere" / "x.csv")


def test_empty_file(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_text("")
    with pytest.raises(LmmInputError, match="is empty"):
        load_data(path)


def test_header_without_rows(tmp_path):
    path = tmp_path / "header.csv"
    path.write_text("patient,time,pain\n")
    with pytest.raises(LmmInputError, match="header but no data rows"):
        load_data(path)


def test_binary_file_named_csv(tmp_path):
    path = tmp_path / "image.csv"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    with pytest.raises(LmmInputError, match="binary file"):
        load_data(path)


def test_workbook_named_csv_is_recognised(tmp_path):
    path = tmp_path / "book.csv"
    FRAME.to_excel(path, index=False, engine="openpyxl")
    with pytest.raises(LmmInputError, match="rename it to .xlsx"):
        load_data(path)


def test_xlsx_that_is_not_a_spreadsheet(tmp_path):
    path = tmp_path / "fake.xlsx"
    path.write_text("a,b\n1,2\n")
    with pytest.raises(LmmInputError, match="not an Excel workbook"):
        load_data(path)


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_duplicated_column_names(tmp_path, suffix):
    path = tmp_path / f"dup{suffix}"
    frame = pd.DataFrame([[1, 2, 3]], columns=["x", "y", "z"])
    if suffix == ".csv":
        path.write_text("x,y,x\n1,2,3\n")
    else:
        frame.columns = ["x", "y", "x"]
        frame.to_excel(path, index=False)
    with pytest.raises(LmmInputError, match="duplicated column names \\('x'\\)"):
        load_data(path)


def test_unsupported_extension(tmp_path):
    path = tmp_path / "data.sav"
    path.write_bytes(b"$FL2")
    with pytest.raises(LmmInputError, match="cannot read '.sav' files"):
        load_data(path)


def test_ragged_csv_row_is_located(tmp_path):
    path = tmp_path / "ragged.csv"
    path.write_text("a,b\n1,2\n3,4,5\n")
    with pytest.raises(LmmInputError, match="Line 3 .* 3 fields but the header has 2"):
        load_data(path)


def test_semicolons_and_decimal_commas_are_read(tmp_path):
    path = tmp_path / "european.csv"
    path.write_text("patient;pain score\nP1;12,5\nP2;-3,25\n")
    loaded = load_data(path)
    assert list(loaded.columns) == ["patient", "pain score"]
    assert loaded["pain score"].tolist() == [12.5, -3.25]


def test_txt_with_commas_is_read(tmp_path):
    path = tmp_path / "export.txt"
    path.write_text("a,b\n1,2.5\n")
    assert load_data(path)["b"].tolist() == [2.5]


def test_latin1_text_is_read(tmp_path):
    path = tmp_path / "latin.csv"
    path.write_bytes("région,y\nÎle,1\n".encode("latin-1"))
    assert list(load_data(path).columns) == ["région", "y"]


# --------------------------------------------------------------------------- describe_data
def test_describe_reports_kinds_missing_levels_and_ranges():
    df = pd.DataFrame(
        {
            "patient": ["p1", "p1", "p2", "p2", "p3", "p3"],
            "time": [0, 1, 0, 1, 0, 1],
            "pain": [10.0, 8.0, 12.0, np.nan, 9.0, 7.0],
            "treatment": ["a", "a", "b", "b", "a", "a"],
            "age": [50, 50, 60, 60, 40, 40],
        }
    )
    summary = describe_data(df)
    assert (summary.n_rows, summary.n_columns, summary.n_complete_rows) == (6, 5, 5)
    pain = summary.column("pain")
    assert pain.kind == "numeric" and pain.n_missing == 1
    assert (pain.minimum, pain.maximum) == (7.0, 12.0)
    assert pain.mean == pytest.approx(np.mean([10, 8, 12, 9, 7]))
    assert pain.sd == pytest.approx(np.std([10, 8, 12, 9, 7], ddof=1))
    treatment = summary.column("treatment")
    assert treatment.kind == "factor" and treatment.levels == ["a", "b"]
    assert (summary.id_guess, summary.time_guess, summary.outcome_guess) == (
        "patient", "time", "pain"
    )
    assert summary.layout == "long"
    d = summary.to_dict()
    assert d["columns"][2]["minimum"] == 7.0 and d["columns"][0]["minimum"] is None


def test_describe_guesses_sleepstudy_roles():
    from engine.samples import load_sample

    summary = describe_data(load_sample("sleepstudy"))
    assert (summary.id_guess, summary.time_guess, summary.outcome_guess) == (
        "Subject", "Days", "Reaction"
    )


def test_describe_sees_wide_layout():
    from engine.samples import load_sample

    summary = describe_data(load_sample("pain_wide"))
    assert summary.layout == "wide" and summary.wide_stubs == ["pain"]
    assert (summary.id_guess, summary.time_guess, summary.outcome_guess) == (
        "patient", None, None
    )


def test_describe_guesses_the_cluster_not_a_cluster_level_number():
    from engine.samples import load_sample

    summary = describe_data(load_sample("schools"))
    assert (summary.id_guess, summary.time_guess, summary.outcome_guess) == (
        "school", None, "test_score"
    )


def test_a_two_level_group_column_is_not_taken_for_the_subject_id():
    """`group` (A/B, constant within subject) repeats, but 2 levels cannot carry a
    variance: the per-row `id` is the subject, so these wide data are seen as wide."""
    wide = pd.DataFrame(
        {
            "id": [f"S{i}" for i in range(8)],
            "group": list("ABABABAB"),
            "score_t0": np.arange(8.0),
            "score_t1": np.arange(8.0) + 1,
        }
    )
    summary = describe_data(wide)
    assert (summary.id_guess, summary.layout, summary.wide_stubs) == ("id", "wide", ["score"])
    long = wide.melt(id_vars=["id", "group"], var_name="time", value_name="score")
    long["time"] = long["time"].str[-1].astype(int)
    assert describe_data(long).id_guess == "id"


# --------------------------------------------------------------------------- reshape_long
def test_stub_groups_read_suffixes_with_time_tags():
    df = pd.DataFrame(columns=["id", "pain_m0", "pain_m1", "pain_m12", "mood.1", "age"])
    groups = find_stub_groups(df)
    assert [(g.stub, g.times) for g in groups] == [("pain", (0.0, 1.0, 12.0))]


def test_reshape_long_drops_and_counts_missing_cells():
    wide = pd.DataFrame(
        {
            "subject": ["s1", "s2"],
            "sex": ["f", "m"],
            "score_w1": [5.0, np.nan],
            "score_w2": [6.0, 7.0],
            "score_w10": [np.nan, 9.0],
        }
    )
    result = reshape_long(wide, time_name="week")
    long = result.data
    assert list(long.columns) == ["subject", "week", "score", "sex"]
    assert long[["subject", "week", "score"]].values.tolist() == [
        ["s1", 1, 5.0], ["s1", 2, 6.0], ["s2", 2, 7.0], ["s2", 10, 9.0]
    ]
    assert result.n_missing_cells == 2 and result.missing_by_time == {1.0: 1, 2.0: 0, 10.0: 1}
    assert result.between_columns == ["sex"] and result.id_column == "subject"


def test_reshape_long_makes_an_id_when_there_is_none():
    wide = pd.DataFrame({"x_1": [1.0, 2.0], "x_2": [3.0, 4.0], "group": ["a", "a"]})
    result = reshape_long(wide)
    assert result.id_created and result.id_column == "id"
    assert result.data["id"].tolist() == [1, 1, 2, 2]


def test_reshape_long_reshapes_several_measures_with_the_same_times():
    wide = pd.DataFrame({"id": [1, 2], "a_1": [1, 2], "a_2": [3, 4], "b_1": [5, 6], "b_2": [7, 8]})
    long = reshape_long(wide).data
    assert long[["a", "b"]].values.tolist() == [[1, 5], [3, 7], [2, 6], [4, 8]]


def test_reshape_long_refuses_long_data():
    from engine.samples import load_sample

    with pytest.raises(LmmInputError, match="already look long"):
        reshape_long(load_sample("pain_trial"))
    repeated = pd.DataFrame({"patient": ["a", "a"], "pain_1": [1, 2], "pain_2": [3, 4]})
    with pytest.raises(LmmInputError, match="already look long"):
        reshape_long(repeated)


def test_reshape_long_unknown_stub_and_name_clash():
    wide = pd.DataFrame({"id": [1, 2], "time": [0, 1], "y_1": [1, 2], "y_2": [3, 4]})
    with pytest.raises(LmmInputError, match="No numbered columns start with 'z'"):
        reshape_long(wide, stub="z")
    with pytest.raises(LmmInputError, match="already have a column 'time'"):
        reshape_long(wide)
    assert reshape_long(wide, time_name="visit").data.shape == (4, 4)


# --------------------------------------------------------------------------- transforms
def test_standardize_records_mean_and_sd_and_reapplies_them():
    df = pd.DataFrame({"age": [20.0, 30.0, np.nan, 70.0], "g": list("abcd")})
    result = transform_columns(df, "standardize", ["age"])
    (record,) = result.transforms
    assert record.center == pytest.approx(40.0)
    assert record.scale == pytest.approx(np.std([20, 30, 70], ddof=1))
    z = result.data["age"]
    assert z.mean() == pytest.approx(0.0) and z.std(ddof=1) == pytest.approx(1.0)
    assert math.isnan(z.iloc[2])
    new = record.apply(pd.Series([40.0]))
    assert new.iloc[0] == pytest.approx(0.0)
    assert df["age"].iloc[0] == 20.0  # the input is untouched


def test_center_and_scale_separately():
    df = pd.DataFrame({"x": [1.0, 2.0, 6.0]})
    centered = transform_columns(df, "center", "x")
    assert centered.data["x"].tolist() == pytest.approx([-2.0, -1.0, 3.0])
    assert centered.transforms[0].scale is None
    scaled = transform_columns(df, "scale", "x")
    sd = np.std([1, 2, 6], ddof=1)
    assert scaled.data["x"].tolist() == pytest.approx([1 / sd, 2 / sd, 6 / sd])
    assert scaled.transforms[0].center is None


def test_log_refuses_non_positive_values():
    df = pd.DataFrame({"dose": [1.0, 0.0, -2.0, 4.0]})
    with pytest.raises(LmmInputError, match="2 value\\(s\\) at or below zero \\(smallest -2\\)"):
        transform_columns(df, "log", ["dose"])
    ok = transform_columns(pd.DataFrame({"dose": [1.0, np.e]}), "log", ["dose"])
    assert ok.data["dose"].tolist() == pytest.approx([0.0, 1.0])


def test_factor_of_numeric_column_has_sorted_levels():
    df = pd.DataFrame({"time": [6, 0, 1, 3, 0]})
    result = transform_columns(df, "factor", "time")
    assert result.transforms[0].levels == ["0", "1", "3", "6"]
    assert isinstance(result.data["time"].dtype, pd.CategoricalDtype)
    assert result.data["time"].astype(str).tolist() == ["6", "0", "1", "3", "0"]


def test_transform_errors_are_sentences():
    df = pd.DataFrame({"x": [1.0, 1.0], "s": ["a", "b"]})
    with pytest.raises(LmmInputError, match="does not vary"):
        transform_columns(df, "scale", ["x"])
    with pytest.raises(LmmInputError, match="not numeric"):
        transform_columns(df, "center", ["s"])
    with pytest.raises(LmmInputError, match="did you mean 'x'"):
        transform_columns(df, "center", ["X1"])
    with pytest.raises(LmmInputError, match="not a transform I know"):
        transform_columns(df, "square", ["x"])


@settings(max_examples=40, deadline=None)
@given(
    times=st.lists(st.integers(0, 24), min_size=2, max_size=5, unique=True),
    cells=st.lists(
        st.one_of(st.none(), st.floats(-1e3, 1e3, allow_nan=False)), min_size=50, max_size=50
    ),
    n_subjects=st.integers(1, 10),
)
def test_reshape_long_round_trips_any_wide_table(times, cells, n_subjects):
    times = sorted(times)
    wide = pd.DataFrame({"subject": [f"s{i}" for i in range(n_subjects)]})
    wide["group"] = ["a" if i % 2 else "b" for i in range(n_subjects)]
    for j, t in enumerate(times):
        column = [cells[(i * len(times) + j) % len(cells)] for i in range(n_subjects)]
        wide[f"y_{t}"] = pd.Series(column, dtype=float)
    result = reshape_long(wide)
    long = result.data
    n_cells = n_subjects * len(times)
    assert result.n_missing_cells == int(wide.filter(like="y_").isna().sum().sum())
    assert len(long) == n_cells - result.n_missing_cells
    back = long.pivot(index="subject", columns="time", values="y")
    back = back.reindex(index=wide["subject"], columns=times)
    np.testing.assert_array_equal(back.to_numpy(), wide[[f"y_{t}" for t in times]].to_numpy())
    groups = long.groupby("subject")["group"].first()
    assert all(groups[s] == g for s, g in zip(wide["subject"], wide["group"], strict=True)
               if s in groups.index)
