"""Missing-data audit (engine/missing.py), checked against counts done by hand."""

import numpy as np
import pandas as pd
import pytest

from engine.errors import LmmInputError
from engine.missing import missing_data_audit
from engine.samples import load_sample

# s1 complete; s2 misses t=2 (monotone dropout); s3 misses t=1 (intermittent);
# s4 has a row at t=2 whose outcome is missing (dropout); s4 also repeats t=0.
SMALL = pd.DataFrame(
    {
        "id": ["s1", "s1", "s1", "s2", "s2", "s3", "s3", "s4", "s4", "s4", "s4"],
        "t": [0, 1, 2, 0, 1, 0, 2, 0, 0, 1, 2],
        "y": [1.0, 2, 3, 4, 5, 6, 7, 8, 8, 9, np.nan],
        "x": [1.0, 1, 1, 2, 2, 3, 3, 4, 4, np.nan, 4],
    }
)


def test_small_audit_by_hand():
    audit = missing_data_audit(SMALL, "id", "t", ["y"])
    assert audit.n_subjects == 4 and audit.n_rows == 11
    assert audit.n_observations == 10
    # observations per subject: s1 3, s2 2, s3 2, s4 3 (two at t=0, one at t=1)
    assert audit.obs_count_table == {2: 2, 3: 2}
    assert (audit.obs_per_subject_min, audit.obs_per_subject_max) == (2, 3)
    assert audit.obs_per_subject_median == 2.5 and audit.obs_per_subject_mean == 2.5
    assert audit.time_points == [0.0, 1.0, 2.0]
    assert [(m.time, m.n_observed, m.n_missing) for m in audit.missing_by_time] == [
        (0.0, 4, 0), (1.0, 3, 1), (2.0, 2, 2)
    ]
    assert audit.n_missing_visits == 3
    assert audit.missing_by_variable == {"y": 1}
    assert audit.n_complete_subjects == 1 and audit.n_complete_case_rows == 3
    assert audit.n_dropped_by_listwise == 9 - 3
    assert (audit.n_monotone_dropout, audit.n_intermittent) == (2, 1)
    assert audit.n_duplicate_rows == 1


def test_default_variables_are_all_other_columns():
    audit = missing_data_audit(SMALL, "id", "t")
    assert audit.variables == ["y", "x"]
    assert audit.missing_by_variable == {"y": 1, "x": 1}
    assert audit.n_observations == 9


def test_audit_without_time():
    audit = missing_data_audit(SMALL, "id", variables=["x"])
    assert audit.missing_by_time == [] and audit.n_complete_subjects == 3
    assert audit.n_complete_case_rows == 7


def test_pain_trial_audit_matches_pandas_counts():
    df = load_sample("pain_trial")
    audit = missing_data_audit(df, "patient", "time", ["pain_score"])
    per_patient = df.groupby("patient").size()
    assert audit.obs_count_table == {int(k): int(v) for k, v in
                                     per_patient.value_counts().sort_index().items()}
    assert audit.obs_per_subject_median == float(per_patient.median())
    observed_at = df.groupby("time")["patient"].nunique()
    assert [m.n_observed for m in audit.missing_by_time] == observed_at.tolist()
    assert audit.missing_by_time[0].n_missing == 0
    assert audit.n_missing_visits == 320 - len(df)
    complete = int((per_patient == 4).sum())
    assert audit.n_complete_subjects == complete
    assert audit.n_complete_case_rows == 4 * complete
    assert audit.n_dropped_by_listwise == len(df) - 4 * complete
    d = audit.to_dict()
    assert d["n_missing_visits"] == 320 - len(df) and d["kind"] == "missing_data"


def test_audit_errors():
    with pytest.raises(LmmInputError, match="no subject column named 'patient'"):
        missing_data_audit(SMALL, "patient")
    with pytest.raises(LmmInputError, match="did you mean 'y'"):
        missing_data_audit(SMALL, "id", "t", ["Y"])


def _continuous_slope_data() -> pd.DataFrame:
    """300 subjects of 4 rows, each row its own x (a continuous slope variable), with
    the outcome missing on 10 rows of 7 subjects."""
    rng = np.random.default_rng(4)
    ids = np.repeat([f"p{i:03d}" for i in range(300)], 4)
    x = rng.normal(size=ids.size)
    y = 1 + 0.5 * x + rng.normal(size=300)[np.arange(ids.size) // 4] + rng.normal(size=ids.size)
    y[[0, 1, 9, 50, 51, 52, 400, 777, 1001, 1002]] = np.nan
    return pd.DataFrame({"id": ids, "x": x, "y": y})


def test_a_time_with_more_values_than_visits_is_left_out_of_the_grid():
    """A continuous slope variable is no grid of visits (1,200 x values for 300 subjects
    would be a 300 x 1,200 grid, and a million-row file ran out of memory): the audit
    counts incomplete rows per subject instead, and says which column it left out."""
    from engine.missing import MAX_TIME_POINTS

    data = _continuous_slope_data()
    audit = missing_data_audit(data, "id", "x", ["y"])
    assert audit.unused_time == "x" and audit.n_unused_time_values == 1200 > MAX_TIME_POINTS
    assert audit.time is None and audit.missing_by_time == []
    incomplete = data.loc[data["y"].isna(), "id"].unique()
    assert len(incomplete) == 7
    assert audit.n_complete_subjects == 300 - 7
    assert audit.n_complete_case_rows == (300 - 7) * 4
    assert audit.n_dropped_by_listwise == (1200 - 10) - (300 - 7) * 4
    assert audit.to_dict()["unused_time"] == "x"


def test_the_assistant_says_why_the_slope_variable_is_not_a_visit_grid(tmp_path):
    from assistant.session import Session

    path = tmp_path / "slopes.csv"
    _continuous_slope_data().to_csv(path, index=False)
    session = Session(data_path=path, output_dir=tmp_path)
    assert session.ask("LMM: y ~ x + (1 + x | id)").ok
    answer = session.ask("audit missing data")
    assert answer.ok, answer.error
    text = answer.text()
    assert "`x` has 1,200 distinct values, too many to be a set of visits" in text
    assert "keeps only the 293 subjects without an incomplete row" in text


def test_subject_completeness_refuses_a_time_with_too_many_values():
    from engine.missing import subject_completeness

    with pytest.raises(LmmInputError, match="'x' has 1,200 distinct values, too many"):
        subject_completeness(_continuous_slope_data(), "id", "x", ["y"])
