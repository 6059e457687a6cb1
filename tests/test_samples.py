"""Built-in samples: shipped files match their generators and their documented design."""

import numpy as np
import pandas as pd
import pytest

from engine.data import reshape_long
from engine.errors import LmmInputError
from engine.samples import (
    PAIN_TIMES,
    generate_pain_trial,
    generate_schools,
    list_samples,
    load_sample,
    simulate_pain_trial,
)


@pytest.mark.parametrize(
    ("name", "generator"), [("pain_trial", generate_pain_trial), ("schools", generate_schools)]
)
def test_shipped_csv_is_what_the_generator_makes(name, generator):
    shipped = load_sample(name)
    regenerated = generator()
    pd.testing.assert_frame_equal(shipped, regenerated, check_dtype=False, atol=1e-9)


def test_pain_trial_design():
    df = load_sample("pain_trial")
    assert list(df.columns) == ["patient", "time", "treatment", "pain_score", "age", "sex"]
    patients = sorted(df["patient"].unique())
    assert patients == [f"P{i:03d}" for i in range(1, 81)]
    arms = df.drop_duplicates("patient")["treatment"].value_counts()
    assert arms.to_dict() == {"control": 40, "treated": 40}
    assert set(df["time"]) == set(PAIN_TIMES)
    # every baseline seen; about 12% of the 240 follow-up visits missed
    assert (df["time"] == 0).sum() == 80
    missed = 240 - (df["time"] > 0).sum()
    assert 0.10 <= missed / 240 <= 0.14
    # between-subject columns are constant within patient
    assert (df.groupby("patient")[["treatment", "age", "sex"]].nunique() == 1).all().all()


def test_pain_trial_subgroup_has_six_patients_with_higher_pain():
    df, subgroup = simulate_pain_trial()
    assert len(subgroup) == 6
    baseline = df[df["time"] == 0].set_index("patient")["pain_score"]
    # +20 on the intercept against a between-patient SD of 4.5 and residual SD of 5.3
    assert baseline[subgroup].mean() - baseline.drop(subgroup).mean() > 12


def test_pain_wide_reshapes_back_to_pain_trial():
    wide = load_sample("pain_wide")
    assert list(wide.columns) == [
        "patient", "treatment", "age", "sex", "pain_0", "pain_1", "pain_3", "pain_6"
    ]
    assert len(wide) == 80
    result = reshape_long(wide, value_name="pain_score")
    long = load_sample("pain_trial")
    back = result.data[list(long.columns)]
    pd.testing.assert_frame_equal(
        back.reset_index(drop=True), long.reset_index(drop=True), check_dtype=False
    )
    assert result.n_missing_cells == 320 - len(long)
    assert result.id_column == "patient" and result.time_values == [0.0, 1.0, 3.0, 6.0]


def test_schools_design():
    df = load_sample("schools")
    sizes = df.groupby("school").size()
    assert len(sizes) == 40 and sizes.min() >= 10 and sizes.max() <= 60
    assert df["student"].is_unique
    assert (df.groupby("school")["school_size"].nunique() == 1).all()
    assert abs(df["SES"].mean()) < 0.1 and abs(df["SES"].std() - 1) < 0.1


def test_sleepstudy_is_lme4s():
    df = load_sample("sleepstudy")
    assert df.shape == (180, 3)
    assert df["Subject"].nunique() == 18 and df["Subject"].iloc[0] == "308"
    assert df["Reaction"].iloc[0] == pytest.approx(249.56)
    reference = pd.read_csv("/work/shared/reference/data/sleepstudy.csv", dtype={"Subject": str})
    pd.testing.assert_frame_equal(df, reference)


def test_list_samples_names_and_sizes():
    infos = {info.name: info for info in list_samples()}
    assert list(infos) == ["pain_trial", "pain_wide", "schools", "sleepstudy", "ratings"]
    assert infos["pain_wide"].n_rows == 80 and infos["sleepstudy"].n_rows == 180
    assert infos["pain_trial"].suggested_formula == "pain_score ~ time + treatment + (1 | patient)"
    assert all(info.description for info in infos.values())


def test_unknown_sample_lists_the_names():
    with pytest.raises(LmmInputError, match="pain_trial, pain_wide, schools, sleepstudy, ratings"):
        load_sample("iris")


def test_samples_are_fresh_copies():
    first = load_sample("pain_trial")
    first.loc[0, "pain_score"] = np.nan
    assert not load_sample("pain_trial")["pain_score"].isna().any()


def test_pain_trial_fit_recovers_the_truth_and_shows_the_subgroup():
    from engine.lmm import fit_lmm

    df, subgroup = simulate_pain_trial()
    fit = fit_lmm("pain_score ~ time + treatment + (1 | patient)", df)
    effects = {fe.term: fe for fe in fit.fixed_effects}
    treatment = effects["treatment[T.treated]"]
    assert treatment.ci_upper < 0 and abs(treatment.estimate + 12) < 1.5
    assert abs(effects["time"].estimate + 2) < 0.3
    assert 0.5 < fit.icc < 0.7
    above = sorted(
        re.level for re in fit.random_effects if re.value - 1.96 * re.cond_sd > 0
    )
    assert above == sorted(subgroup)  # lme4 1.1-31 flags the same six patients


def test_schools_fit_recovers_the_truth():
    from engine.lmm import fit_lmm

    fit = fit_lmm("test_score ~ SES + school_size + (1 | school)", load_sample("schools"))
    effects = {fe.term: fe.estimate for fe in fit.fixed_effects}
    assert abs(effects["SES"] - 4) < 0.5 and abs(effects["school_size"] - 0.01) < 0.005
    assert 0.1 < fit.icc < 0.3
