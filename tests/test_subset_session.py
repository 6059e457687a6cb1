"""Subsets of the data and the refit without outliers, through the Session."""

from __future__ import annotations

import numpy as np
import pytest

from assistant.session import Session
from engine.lmm import fit_lmm
from engine.residual_checks import check_residuals
from engine.samples import load_sample
from tests.conftest import ask_ok
from tests.session_state import assert_same_state, snapshot

PAIN_FORMULA = "pain_score ~ time + treatment + (1 | patient)"
SLEEP_FORMULA = "Reaction ~ Days + (Days | Subject)"



def ask_fails(session: Session, request: str) -> str:
    before = snapshot(session)
    answer = session.ask(request)
    assert not answer.ok, request
    assert_same_state(before, session)
    return str(answer.error)


@pytest.fixture()
def pain(tmp_path) -> Session:
    session = Session(sample="pain_trial", output_dir=tmp_path)
    ask_ok(session, f"LMM: {PAIN_FORMULA}")
    return session


def test_excluding_a_patient_makes_a_new_current_data_set(pain):
    raw = load_sample("pain_trial")
    answer = ask_ok(pain, "exclude patient P001")
    kept = int((raw["patient"] != "P001").sum())
    assert pain.current_data_name == "pain_trial_subset"
    assert len(pain.datasets["pain_trial_subset"]) == kept
    assert len(pain.datasets["pain_trial"]) == len(raw)
    assert pain.models[1].dataset == "pain_trial" and pain.models[1].fit.nobs == len(raw)
    text = answer.text()
    assert f"Kept {kept} of {len(raw)} rows of `pain_trial` as `pain_trial_subset`" in text
    assert "removed the 3 rows of patient P001" in text
    assert "`switch to pain_trial`" in text
    assert "Say `refit model 1` to fit model 1 on these rows." in text
    assert answer.to_json()[0]["n_removed"] == len(raw) - kept
    # the next model uses the subset; the first one keeps its rows
    ask_ok(pain, f"LMM: {PAIN_FORMULA}")
    assert pain.models[2].fit.nobs == kept and pain.models[2].dataset == "pain_trial_subset"
    assert "P001" not in set(pain.models[2].fit.data["patient"])
    # the way back the narration names works, and so does "use <name>"
    ask_ok(pain, "switch to pain_trial")
    assert pain.current_data_name == "pain_trial"
    ask_ok(pain, f"LMM: {PAIN_FORMULA}")
    assert pain.models[3].fit.nobs == len(raw)
    ask_ok(pain, "use pain_trial_subset")
    assert pain.current_data_name == "pain_trial_subset"


def test_refits_and_changes_after_a_subset_use_the_rows_kept(pain):
    raw = load_sample("pain_trial")
    kept = raw[raw["patient"] != "P001"].reset_index(drop=True)
    answer = ask_ok(pain, "exclude patient P001 and refit")
    refit = pain.models[2]
    assert refit.dataset == "pain_trial_subset" and refit.fit.nobs == len(kept)
    assert pain.current_data_name == "pain_trial_subset"
    independent = fit_lmm(PAIN_FORMULA, kept)
    np.testing.assert_allclose(refit.fit.beta, independent.beta, rtol=1e-8)
    assert "Fitted to `pain_trial_subset`, the rows kept from `pain_trial`" in answer.text()
    assert "Say `refit model 1`" not in answer.text()  # the request refits already
    assert pain.models[1].fit.nobs == len(raw)
    ask_ok(pain, "add age to model 1")
    assert pain.models[3].fit.nobs == len(kept)
    assert pain.models[3].dataset == "pain_trial_subset"
    ask_ok(pain, "switch to pain_trial")
    ask_ok(pain, "refit model 1")  # back on the full data, a refit uses every row again
    assert pain.models[4].fit.nobs == len(raw)


def test_plurals_role_words_and_subsets_of_subsets(pain):
    raw = load_sample("pain_trial")
    ask_ok(pain, "exclude patients P001 and P002")
    assert len(pain.datasets["pain_trial_subset"]) == int(
        (~raw["patient"].isin(["P001", "P002"])).sum()
    )
    answer = ask_ok(pain, "drop subject P003")  # the role word means the model's factor
    assert pain.current_data_name == "pain_trial_subset_2"
    assert "P003" not in set(pain.datasets["pain_trial_subset_2"]["patient"])
    assert "`pain_trial_subset` as `pain_trial_subset_2`" in answer.text()


def test_only_treated_patients_finds_the_column_with_that_level(pain):
    raw = load_sample("pain_trial")
    answer = ask_ok(pain, "only treated patients")
    subset = pain.datasets[pain.current_data_name]
    assert set(subset["treatment"]) == {"treated"}
    assert len(subset) == int((raw["treatment"] == "treated").sum())
    lost = raw.loc[raw["treatment"] != "treated", "patient"].nunique()
    text = answer.text()
    assert f"{lost} of {raw['patient'].nunique()} levels of patient have no rows left" in text
    assert "treatment now takes a single value" in text


def test_comparison_and_row_numbers(pain):
    raw = load_sample("pain_trial")
    answer = ask_ok(pain, "remove rows where age > 70")
    assert len(pain.datasets["pain_trial_subset"]) == int((raw["age"] <= 70).sum())
    assert f"removed the {int((raw['age'] > 70).sum())} rows where age > 70" in answer.text()
    ask_ok(pain, "switch to pain_trial")
    answer = ask_ok(pain, "exclude rows 57, 8 and 60")
    expected = raw.drop(index=[56, 7, 59]).reset_index(drop=True)
    assert pain.datasets["pain_trial_subset_2"].equals(expected)
    assert "removed rows 8, 57 and 60" in answer.text()


def test_refusals_leave_the_session_unchanged(pain):
    assert "(did you mean treated?)" in ask_fails(pain, "keep only treatment = treatd")
    assert "did you mean 'age'" in ask_fails(pain, "remove rows where agee > 70")
    assert "no order" in ask_fails(pain, "remove rows where treatment > 3")
    assert "no row 1000" in ask_fails(pain, "exclude rows 1000")
    assert "one level of the grouping factor patient" in ask_fails(pain, "only patient P001")
    assert "leaving no data" in ask_fails(pain, "remove rows where time >= 0")
    assert "no value 'Z9'" in ask_fails(pain, "exclude patient Z9")
    assert "No column of the data has the value 'purple'" in ask_fails(pain, "only purple")
    assert "no data set called 'pain_trail'" in ask_fails(pain, "switch to pain_trail")


# ------------------------------------------------------------- refit without outliers
@pytest.fixture(scope="module")
def sleep(tmp_path_factory) -> Session:
    session = Session(sample="sleepstudy", output_dir=tmp_path_factory.mktemp("out"))
    ask_ok(session, f"LMM: {SLEEP_FORMULA}")
    return session


def test_refit_without_the_outliers_of_sleepstudy(sleep):
    raw = load_sample("sleepstudy")
    full = sleep.models[1].fit
    answer = ask_ok(sleep, "refit without the outliers")
    outliers = [f for f in check_residuals(full).findings if f.code == "outlying_observations"]
    assert [r + 1 for r in outliers[0].rows] == [57, 8, 60]  # as the diagnostics narrate
    text = answer.text()
    assert "rows 57, 8 and 60 of `sleepstudy`" in text
    refit = sleep.models[2]
    assert refit.fit.nobs == len(raw) - 3
    assert refit.title == "Model 2 (model 1 without outliers)"
    assert sleep.current_data_name == "sleepstudy"  # the full data stay current
    assert sleep.models[1].fit is full and full.nobs == len(raw)
    independent = fit_lmm(SLEEP_FORMULA, raw.drop(index=[56, 7, 59]).reset_index(drop=True))
    np.testing.assert_allclose(refit.fit.beta, independent.beta, rtol=1e-10)
    by_term = {t.term: t for t in answer.steps[0].result.result.terms}
    for fe_all, fe_without in zip(full.fixed_effects, independent.fixed_effects, strict=True):
        row = by_term[fe_all.term]
        assert row.estimate_all == pytest.approx(fe_all.estimate, rel=1e-12)
        assert row.se_without == pytest.approx(fe_without.se, rel=1e-8)
        assert row.p_without == pytest.approx(fe_without.p, rel=1e-6)
        assert row.shift_in_se == pytest.approx(
            (fe_without.estimate - fe_all.estimate) / fe_all.se, rel=1e-8
        )
    # the table of the answer shows the estimates with and without the rows
    assert "Estimate (without)" in text and "The largest change is in" in text
    detailed = answer.text(level="detailed")
    residual = [v for v in independent.variance_components if v.group == "Residual"][0]
    assert f"{residual.sdcor:.1f}" in detailed and "Without outliers" in detailed
    # a model without outliers is said so, and nothing is fitted
    count = len(sleep.models)
    answer = ask_ok(sleep, "refit model 2 without outliers")
    assert "has no outlying observations" in answer.text()
    assert len(sleep.models) == count


def test_outlier_rows_are_numbered_in_the_data_when_the_fit_dropped_rows():
    from engine.sensitivity import outlier_sensitivity

    raw = load_sample("sleepstudy")
    holes = raw.copy()
    holes.loc[[0, 1, 2], "Reaction"] = np.nan
    fit = fit_lmm(SLEEP_FORMULA, holes)
    found = outlier_sensitivity(fit)
    assert found.found
    positions = np.flatnonzero(holes["Reaction"].notna())
    assert found.source_rows == tuple(int(positions[r]) for r in found.rows)
    assert all(s == r + 3 for s, r in zip(found.source_rows, found.rows, strict=True))
    expected = holes.drop(index=list(found.source_rows)).reset_index(drop=True)
    assert found.data_without.equals(expected)
    assert found.refit.nobs == fit.nobs - len(found.rows)


def test_diagnostics_and_the_refit_number_rows_as_the_data_set(tmp_path):
    """With rows dropped for missing values, the residual plot's row numbers are rows of
    the data set, so `exclude rows ...` with those numbers drops those observations."""
    holes = load_sample("sleepstudy")
    holes.loc[[0, 1, 2], "Reaction"] = np.nan
    session = Session(data=holes, data_name="sleep_holes", output_dir=tmp_path)
    ask_ok(session, f"LMM: {SLEEP_FORMULA}")
    fit = session.models[1].fit
    (finding,) = [f for f in check_residuals(fit).findings if f.code == "outlying_observations"]
    shown = [r + 4 for r in finding.rows]  # three rows dropped before every outlier
    plot = ask_ok(session, "plot the residuals").text()
    assert f"(rows {', '.join(map(str, shown))})" in plot
    refit = ask_ok(session, "refit without the outliers").text()
    assert f"rows {', '.join(map(str, shown[:-1]))} and {shown[-1]} of `sleep_holes`" in refit
    ask_ok(session, "exclude rows " + ", ".join(map(str, shown)))
    ask_ok(session, f"LMM: {SLEEP_FORMULA}")
    np.testing.assert_allclose(session.models[3].fit.beta, session.models[2].fit.beta, rtol=1e-8)


def test_an_extreme_subject_is_named_with_the_way_to_check_it(tmp_path):
    shifted = load_sample("sleepstudy")
    shifted.loc[shifted["Subject"] == "309", "Reaction"] += 400
    session = Session(data=shifted, data_name="shifted", output_dir=tmp_path)
    ask_ok(session, "LMM: Reaction ~ Days + (1 | Subject)")
    answer = ask_ok(session, "refit without the outliers")
    found = answer.steps[0].result.result
    assert found.extreme_levels == (("Subject", "(Intercept)", ("309",)),)
    text = answer.text()
    assert "also call Subject 309 (intercept) extreme" in text
    assert "`exclude Subject 309` and then `refit model 1`" in text
    ask_ok(session, "exclude Subject 309")
    ask_ok(session, "refit model 1")
    assert session.models[3].fit.ngroups == {"Subject": 17}


def test_a_level_named_alone_points_to_the_subset_request(pain):
    text = ask_fails(pain, "exclude P001")
    assert "P001 is not a term of the model but a level of patient" in text
    assert "`exclude patient P001`" in text


def test_excluding_from_a_named_model_refits_it_on_the_rows_kept(pain):
    raw = load_sample("pain_trial")
    ask_ok(pain, "exclude patient P001 from model 1")
    assert pain.models[2].fit.formula == pain.models[1].fit.formula
    assert pain.models[2].fit.nobs == int((raw["patient"] != "P001").sum())
    assert pain.current_data_name == "pain_trial_subset"


def test_rows_with_a_missing_outcome_are_dropped_by_name(tmp_path):
    holes = load_sample("sleepstudy")
    holes.loc[[3, 40], "Reaction"] = np.nan
    session = Session(data=holes, data_name="holes", output_dir=tmp_path)
    answer = ask_ok(session, "remove rows where Reaction is missing")
    assert "removed the 2 rows where Reaction is missing" in answer.text()
    assert session.datasets["holes_subset"].equals(holes.dropna().reset_index(drop=True))


def test_role_words_name_the_grouping_column_of_any_data(tmp_path):
    session = Session(sample="sleepstudy", output_dir=tmp_path)  # no model: the id guess
    raw = load_sample("sleepstudy")
    for request in ("drop patient 308", "exclude subjects 309 and 310"):
        ask_ok(session, request)
    left = session.datasets[session.current_data_name]
    assert len(left) == int((~raw["Subject"].isin(["308", "309", "310"])).sum())
