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
