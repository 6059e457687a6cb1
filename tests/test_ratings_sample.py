"""The built-in ``ratings`` sample (raters crossed with items): its design, the variance
components its fit recovers, and that fit against lme4/lmerTest's
(tests/data/ratings_lme4/ratings_lme4.json, written by make_ratings_lme4.R in that folder;
tolerances of /work/shared/reference/README.md)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from assistant.session import Session
from engine.lmm import fit_lmm
from engine.samples import generate_ratings, list_samples, load_sample

FORMULA = "rating ~ condition + (1 | rater) + (1 | item)"
LME4 = json.loads(
    (Path(__file__).parent / "data" / "ratings_lme4" / "ratings_lme4.json").read_text()
)


@pytest.fixture(scope="module")
def fit():
    return fit_lmm(FORMULA, load_sample("ratings"))


def test_shipped_csv_is_what_the_generator_makes():
    pd.testing.assert_frame_equal(
        load_sample("ratings"), generate_ratings(), check_dtype=False, atol=1e-9
    )


def test_design_is_fully_crossed_with_item_level_condition():
    df = load_sample("ratings")
    assert list(df.columns) == ["rater", "item", "condition", "rating"]
    assert len(df) == 30 * 24
    assert df.groupby(["rater", "item"]).size().eq(1).all()
    assert (df.groupby("item")["condition"].nunique() == 1).all()
    assert df.drop_duplicates("item")["condition"].value_counts().to_dict() == {"A": 12, "B": 12}
    assert df["rating"].isna().sum() == 15
    info = {s.name: s for s in list_samples()}["ratings"]
    assert info.suggested_formula == FORMULA and info.n_rows == 720


def test_fit_recovers_the_simulation_truth(fit):
    """Truth: SDs rater 4, item 6, residual 5; condition B +8. The estimates are within
    10% of the SDs (the shipped seed was chosen so; an item SD estimated from 24 items
    has a sampling SD of about 15%), and the condition effect within one SE (2.4)."""
    sd = {vc.group: vc.sdcor for vc in fit.variance_components}
    assert sd["rater"] == pytest.approx(4.0, rel=0.10)
    assert sd["item"] == pytest.approx(6.0, rel=0.10)
    assert sd["Residual"] == pytest.approx(5.0, rel=0.10)
    condition = fit.fixed_effects[1]
    assert condition.term == "condition[T.B]"
    assert abs(condition.estimate - 8.0) < condition.se
    assert fit.nobs == 705 and fit.n_dropped == 15


def test_fit_equals_lme4s(fit):
    assert fit.nobs == LME4["nobs"]
    assert fit.ngroups == LME4["ngroups"]
    assert fit.criterion == pytest.approx(LME4["reml_criterion"], rel=1e-6)
    assert fit.sigma == pytest.approx(LME4["sigma"], rel=1e-3)
    ours = {vc.group: vc.vcov for vc in fit.variance_components}
    for row in LME4["varcorr"]:
        assert ours[row["grp"]] == pytest.approx(row["vcov"], rel=1e-3)
    r_names = {"(Intercept)": "(Intercept)", "conditionB": "condition[T.B]"}
    for mine, theirs in zip(fit.fixed_effects, LME4["fixef"], strict=True):
        assert mine.term == r_names[theirs["term"]]
        assert mine.estimate == pytest.approx(theirs["estimate"], rel=1e-4)
        assert mine.se == pytest.approx(theirs["se"], rel=1e-3)
        assert mine.df == pytest.approx(theirs["df"], rel=1e-2)
        assert mine.p == pytest.approx(theirs["p"], rel=1e-2, abs=1e-8)


def test_plain_words_fit_the_crossed_model(tmp_path, fit):
    session = Session(sample="ratings", output_dir=tmp_path)
    answer = session.ask("rating ~ condition with raters crossed with items")
    assert answer.ok, answer.error
    assert session.models[1].fit.formula == FORMULA
    assert session.models[1].fit.criterion == pytest.approx(fit.criterion, rel=1e-9)
    text = answer.text()
    # each crossed factor has its own share and correlation; no single ICC is claimed
    assert "no single ICC" in text
    assert "0.46 for two in the same item only and 0.21 for two in the same rater only" in text
    assert "share an item" in text
    assert "every other observation of those levels of rater and item is still used" in text
    answer = session.ask("LMM of rating on condition, crossed random effects for rater and item")
    assert answer.ok, answer.error
    assert session.models[2].fit.formula == FORMULA
