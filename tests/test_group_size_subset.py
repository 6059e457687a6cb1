"""Whole subjects dropped or kept by their number of usable rows ("drop patients with fewer
than 2 visits and refit", "keep only patients with at least 3 visits", "remove patients
seen only once"): the counts checked against a pandas groupby, the refit against
engine.fit_lmm on the rows filtered by hand, the bad bounds and undo."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from assistant.session import Session
from engine.errors import LmmInputError
from engine.group_size_subset import select_groups_by_size
from engine.lmm import fit_lmm
from engine.samples import load_sample
from grammar.parse import parse

FORMULA = "pain_score ~ time + treatment + (1 | patient)"


def _pain_with_gaps() -> pd.DataFrame:
    """pain_trial with some outcomes and one age missing, so that usable rows differ
    from rows: the counting rule matters."""
    df = load_sample("pain_trial").copy()
    df.loc[[1, 5, 9, 40, 41], "pain_score"] = np.nan
    df.loc[[13], "age"] = np.nan
    return df


@pytest.mark.parametrize(
    ("action", "operator", "count", "counted"),
    [
        ("drop", "<", 3, ("pain_score",)),
        ("drop", "<", 4, ("pain_score", "age")),
        ("keep", ">=", 3, ("pain_score", "time", "treatment")),
        ("drop", "<=", 2, ()),
        ("keep", ">", 2, ("pain_score",)),
    ],
)
def test_subjects_and_rows_removed_match_a_pandas_groupby(action, operator, count, counted):
    df = _pain_with_gaps()
    result = select_groups_by_size(
        df, action, group="patient", operator=operator, count=count, counted=counted
    )
    usable = df.dropna(subset=list(counted)) if counted else df
    sizes = usable.groupby("patient").size().reindex(df["patient"].unique(), fill_value=0)
    compare = {"<": sizes < count, "<=": sizes <= count, ">": sizes > count,
               ">=": sizes >= count}[operator]
    kept_subjects = sizes.index[~compare] if action == "drop" else sizes.index[compare]
    expected = df[df["patient"].isin(kept_subjects)].reset_index(drop=True)
    pd.testing.assert_frame_equal(result.data, expected)
    assert result.n_after == len(expected)
    assert result.n_removed == len(df) - len(expected)
    assert result.n_subjects_after == len(kept_subjects)
    assert result.n_subjects_removed == df["patient"].nunique() - len(kept_subjects)
    assert set(result.subjects_lost) == set(sizes.index) - set(kept_subjects)
    assert result.sizes == {int(k): int(v) for k, v in sizes.value_counts().items()}


@pytest.mark.parametrize("count", [0, -1, 2.5, 5])
def test_bad_bounds_are_refused_with_the_bounds_that_work(count):
    df = load_sample("pain_trial")
    with pytest.raises(LmmInputError) as err:
        select_groups_by_size(df, "drop", group="patient", operator="<", count=count,
                              counted=("pain_score",))
    message = str(err.value)
    if count == 5:
        assert message == ("No patient has more than 4 usable rows, so a bound of 5 is past "
                           "every one; use a number from 1 to 4.")
    else:
        assert "whole number from 1 up" in message


def test_a_bound_that_removes_every_subject_is_refused():
    df = load_sample("pain_trial")
    with pytest.raises(LmmInputError, match="leaving no data"):
        select_groups_by_size(df, "keep", group="patient", operator=">", count=4)


@pytest.mark.parametrize(
    ("text", "action", "operator", "count", "group"),
    [
        ("drop patients with fewer than 2 visits and refit", "drop", "<", 2, "patients"),
        ("exclude subjects with less than 3 observations", "drop", "<", 3, "subjects"),
        ("keep only patients with at least 3 visits", "keep", ">=", 3, "patients"),
        ("remove patients seen only once", "drop", "<=", 1, "patients"),
        ("drop patients who have fewer than two visits", "drop", "<", 2, "patients"),
        ("drop patients with only one visit", "drop", "<=", 1, "patients"),
        ("keep patients with more than 2 measurements", "keep", ">", 2, "patients"),
    ],
)
def test_phrasings_plan_a_group_size_subset(text, action, operator, count, group):
    step = parse(text).steps[0]
    assert step.kind == "subset_group_size"
    assert (step.action, step.operator, step.count, step.group) == (
        action, operator, count, group)


def test_drop_and_refit_equals_fit_lmm_on_the_rows_filtered_by_hand(tmp_path):
    session = Session(sample="pain_trial", output_dir=tmp_path)
    assert session.ask(f"LMM: {FORMULA}").ok
    answer = session.ask("drop patients with fewer than 3 visits and refit")
    assert answer.ok, answer.error
    assert [s.kind for s in answer.steps] == ["subset_group_size", "refit"]
    raw = load_sample("pain_trial")
    sizes = raw.groupby("patient")["pain_score"].count()
    kept = raw[raw["patient"].isin(sizes.index[sizes >= 3])].reset_index(drop=True)
    lost = sorted(sizes.index[sizes < 3])
    text = answer.text()
    assert (
        f"Kept {len(kept)} of {len(raw)} rows of `pain_trial` as `pain_trial_subset`: removed "
        f"the {len(lost)} patients with fewer than 3 usable rows ({len(raw) - len(kept)} rows), "
        "and a row counts when it has a value for pain_score, time and treatment. "
        f"{80 - len(lost)} of 80 levels of patient remain."
    ) in text
    assert f"({', '.join(lost[:-1])} and {lost[-1]})" in text
    refit = session.models[2]
    assert refit.dataset == "pain_trial_subset" and refit.fit.nobs == len(kept)
    direct = fit_lmm(FORMULA, kept)
    np.testing.assert_allclose(refit.fit.beta, direct.beta, rtol=1e-7)
    np.testing.assert_allclose(refit.fit.theta, direct.theta, rtol=1e-5)
    np.testing.assert_allclose(refit.fit.sigma, direct.sigma, rtol=1e-7)
    back = session.ask("undo")
    assert back.ok
    assert session.current_data_name == "pain_trial" and len(session.data) == len(raw)
    assert sorted(session.models) == [1]


def test_model_variables_decide_which_rows_count(tmp_path):
    df = _pain_with_gaps()
    session = Session(data=df, output_dir=tmp_path)
    assert session.ask("LMM: pain_score ~ time + age + (1 | patient)").ok
    answer = session.ask("keep only patients with at least 3 visits")
    assert answer.ok, answer.error
    usable = df.dropna(subset=["pain_score", "time", "age"])
    sizes = usable.groupby("patient").size().reindex(df["patient"].unique(), fill_value=0)
    expected = df[df["patient"].isin(sizes.index[sizes >= 3])]
    assert len(session.data) == len(expected)
    assert answer.to_json()[0]["n_subjects_after"] == int((sizes >= 3).sum())


def test_bad_bound_in_a_session_leaves_the_data_unchanged(tmp_path):
    session = Session(sample="pain_trial", output_dir=tmp_path)
    answer = session.ask("drop patients with fewer than 0 visits")
    assert not answer.ok
    assert "whole number from 1 up, so 0 is no bound" in str(answer.error)
    assert session.current_data_name == "pain_trial"


def test_nothing_to_remove_keeps_the_data(tmp_path):
    session = Session(sample="pain_trial", output_dir=tmp_path)
    answer = session.ask("remove patients seen only once")
    assert answer.ok, answer.error
    assert session.current_data_name == "pain_trial"
    assert "No patient of `pain_trial` has at most 1 usable row" in answer.text()
