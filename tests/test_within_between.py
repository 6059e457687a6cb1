"""Group-mean centering and the within-between model (engine.within_between).

Checked against closed forms: the parts against pandas' group means; the within slope
against the fixed-effects (cluster-dummy) estimator, which it equals exactly (Mundlak
1978); the contextual effect against c'beta and sqrt(c'Vc) with c = between - within.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from assistant.session import Session
from engine import fit_lmm
from engine.errors import LmmInputError
from engine.samples import load_sample
from engine.within_between import split_within_between, within_between_effects
from grammar import parse


@pytest.fixture(scope="module")
def schools() -> pd.DataFrame:
    return load_sample("schools")


def test_parts_are_the_cluster_mean_and_the_deviation(schools):
    split = split_within_between(schools, "SES", "school")
    means = schools.groupby("school")["SES"].transform("mean")
    np.testing.assert_allclose(split.data["SES_between"], means, rtol=1e-12)
    np.testing.assert_allclose(split.data["SES_within"], schools["SES"] - means, atol=1e-12)
    assert split.n_clusters == schools["school"].nunique() == 40
    share = np.var(means, ddof=1) / np.var(schools["SES"], ddof=1)
    assert split.between_share == pytest.approx(share, rel=1e-12)
    assert list(schools.columns) == list(split.data.columns)[:-2]  # the input is not changed


def test_missing_values_stay_missing_and_do_not_enter_the_means(schools):
    data = schools.copy()
    data.loc[[0, 5], "SES"] = np.nan
    split = split_within_between(data, "SES", "school")
    assert split.data["SES_between"].isna().sum() == 2
    first = data.loc[data["school"] == data.loc[1, "school"], "SES"]
    assert split.data.loc[1, "SES_between"] == pytest.approx(first.mean(skipna=True))


def test_within_slope_is_the_fixed_effects_estimator_and_contextual_is_c_beta(schools):
    split = split_within_between(schools, "SES", "school")
    fit = fit_lmm("test_score ~ SES_within + SES_between + school_size + (1 | school)",
                  split.data)
    effects = within_between_effects(fit, split)
    data = split.data
    demeaned_y = data["test_score"] - data.groupby("school")["test_score"].transform("mean")
    within = data["SES_within"].to_numpy()
    fixed_effects_slope = within @ demeaned_y.to_numpy() / (within @ within)
    assert effects.within.estimate == pytest.approx(fixed_effects_slope, rel=1e-9)
    names = list(fit.fixed_names)
    c = np.zeros(len(names))
    c[names.index("SES_between")], c[names.index("SES_within")] = 1.0, -1.0
    assert effects.contextual.estimate == pytest.approx(c @ fit.beta, rel=1e-12)
    assert effects.contextual.se == pytest.approx(np.sqrt(c @ fit.vcov_beta @ c), rel=1e-12)
    assert effects.contextual.t == pytest.approx(
        effects.contextual.estimate / effects.contextual.se, rel=1e-12
    )
    assert effects.df_method == "satterthwaite"
    assert 0 < effects.contextual.p < 1


@pytest.mark.parametrize(
    ("column", "group", "message"),
    [
        ("school_size", "school", "does not vary within any level of 'school'"),
        ("student", "school", "is not numeric"),
        ("SES", "SES", "cannot be split within itself"),
        ("SES", "nothing", "no column named 'nothing'"),
    ],
)
def test_bad_splits_are_refused_in_one_sentence(schools, column, group, message):
    with pytest.raises(LmmInputError, match=message):
        split_within_between(schools, column, group)


def test_one_cluster_has_nothing_between(schools):
    one = schools[schools["school"] == schools["school"].iloc[0]]
    with pytest.raises(LmmInputError, match="fewer than two levels"):
        split_within_between(one, "SES", "school")


@pytest.mark.parametrize(
    ("request_text", "column", "group"),
    [
        ("center SES within schools", "SES", "schools"),
        ("group mean center SES", "SES", None),
        ("separate the within and between effects of SES", "SES", None),
        ("split SES into within and between parts by school", "SES", "school"),
        ("separate within- and between-school effects of SES", "SES", "school"),
        ("center SES within each school", "SES", "school"),
    ],
)
def test_requests_parse_to_the_step(request_text, column, group):
    (step,) = parse(request_text).steps
    assert (step.kind, step.column, step.group) == ("within_between", column, group)


def test_session_refits_the_current_model_with_both_parts(tmp_path):
    session = Session(sample="schools", output_dir=tmp_path)
    assert session.ask("LMM: test_score ~ SES + school_size + (1 | school)").ok
    answer = session.ask("center SES within schools")
    assert answer.ok, answer.error
    refit = session.models[2].fit
    assert refit.formula == "test_score ~ SES_within + SES_between + school_size + (1 | school)"
    effects = answer.steps[0].result.effects
    text = answer.text()
    assert f"{effects.within.estimate:.2f} higher" in text
    assert "one dummy per school (fixed effects)" in text
    assert f"t({effects.contextual.df:.1f}) = {effects.contextual.t:.2f}" in text
    assert "do not show that the two slopes differ" in text
    assert answer.steps[0].result.to_dict()["effects"]["contextual"]["estimate"] == (
        pytest.approx(effects.contextual.estimate)
    )


def test_session_without_the_predictor_in_the_model_only_adds_the_columns(tmp_path):
    session = Session(sample="schools", output_dir=tmp_path)
    assert session.ask("LMM: test_score ~ school_size + (1 | school)").ok
    answer = session.ask("center SES within school")
    assert answer.ok, answer.error
    assert len(session.models) == 1
    assert {"SES_within", "SES_between"} <= set(session.state.data.columns)
    assert "does not use SES as a main effect, so nothing was refitted" in answer.text()
