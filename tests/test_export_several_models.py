"""Several models written at once ("export all models to CSV", "export models 1 and 2 to
results.json", "save the fixed effects of every model"): every file is read back and its
numbers compared with the session's fits, and with lme4's (reference README tolerances:
fixed effects 1e-4, variance components 1e-3, BLUPs 1e-3 of the group's SD).

CSV files are long tables whose first columns are ``model`` and ``formula``; JSON files
are objects keyed by model label (the label given at the fit, else ``model<number>``).
A request about one model keeps the one-model files.
"""

from __future__ import annotations

import json
from functools import cache

import pandas as pd
import pytest

from assistant.session import Session
from tests.conftest import ask_ok, find_reference_dir

SLOPE = "Reaction ~ Days + (Days | Subject)"
INTERCEPT = "Reaction ~ Days + (1 | Subject)"
#: The model numbers of the fixture, with their lme4 reference case.
CASES = {1: "sleepstudy_slope", 2: "sleepstudy_intercept", 3: "sleepstudy_slope_ml"}
KEYS = {1: "model1", 2: "baseline", 3: "model3"}


@cache
def reference(name: str) -> dict:
    return json.loads((find_reference_dir() / "cases" / f"{name}.json").read_text())



@pytest.fixture()
def three(tmp_path) -> Session:
    session = Session(sample="sleepstudy", output_dir=tmp_path)
    ask_ok(session, f"LMM: {SLOPE}")
    ask_ok(session, f"LMM: {INTERCEPT} called baseline")
    ask_ok(session, f"fit {SLOPE} using ML")
    return session


def check_fixed_effects(table: pd.DataFrame, session: Session, numbers: list[int]) -> None:
    assert list(table.columns) == ["model", "formula", "term", "estimate", "se", "df", "t",
                                   "p", "ci_lower", "ci_upper"]
    assert sorted(set(table["model"])) == numbers
    for number in numbers:
        fit = session.models[number].fit
        rows = table[table["model"] == number]
        assert set(rows["formula"]) == {fit.formula}
        assert list(rows["term"]) == [fe.term for fe in fit.fixed_effects]
        for row, fe in zip(rows.itertuples(), fit.fixed_effects, strict=True):
            assert row.estimate == pytest.approx(fe.estimate, rel=1e-14)
            assert row.se == pytest.approx(fe.se, rel=1e-14)
            assert row.df == pytest.approx(fe.df, rel=1e-14)
        for r in reference(CASES[number])["fixef"]:
            (row,) = rows[rows["term"] == r["term"]].itertuples()
            assert row.estimate == pytest.approx(r["estimate"], rel=1e-4)
            assert row.se == pytest.approx(r["se"], rel=1e-3)


def test_all_models_to_csv_writes_long_tables_and_the_fits(three, tmp_path):
    answer = ask_ok(three, "export all models to CSV")
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["models_1_2_3_fit.json", "models_1_2_3_fixed_effects.csv",
                     "models_1_2_3_random_effects.csv", "models_1_2_3_variance_components.csv"]
    check_fixed_effects(pd.read_csv(tmp_path / "models_1_2_3_fixed_effects.csv"), three,
                        [1, 2, 3])

    varcorr = pd.read_csv(tmp_path / "models_1_2_3_variance_components.csv",
                          keep_default_na=False)
    assert list(varcorr.columns) == ["model", "formula", "grp", "var1", "var2", "vcov",
                                     "sdcor"]
    for number, case in CASES.items():
        rows = varcorr[varcorr["model"] == number]
        ref = reference(case)["varcorr"]
        assert list(rows["grp"]) == [r["grp"] for r in ref]
        for row, r in zip(rows.itertuples(), ref, strict=True):
            assert row.vcov == pytest.approx(r["vcov"], rel=1e-3)

    blups = pd.read_csv(tmp_path / "models_1_2_3_random_effects.csv", dtype={"level": str})
    assert [len(blups[blups["model"] == n]) for n in CASES] == [36, 18, 36]
    for number, case in CASES.items():
        rows = blups[blups["model"] == number].set_index(["term", "level"])
        ref = reference(case)
        sd = {r["var1"]: r["sdcor"] for r in ref["varcorr"] if r["grp"] == "Subject"
              and r.get("var2") is None}
        for r in ref["ranef"]:
            value = rows.loc[(r["term"], r["level"]), "value"]
            assert value == pytest.approx(r["value"], abs=1e-3 * sd[r["term"]])

    fits = json.loads((tmp_path / "models_1_2_3_fit.json").read_text())
    assert list(fits) == [KEYS[n] for n in CASES]
    for number, case in CASES.items():
        entry = fits[KEYS[number]]
        assert entry == json.loads(json.dumps(three.models[number].fit.to_dict()))
        assert entry["formula"] == reference(case)["formula"]
        assert entry["aic"] == pytest.approx(reference(case)["AIC"], rel=1e-6)

    text = answer.text()
    assert text.startswith(
        f"Wrote 4 files of models 1, 2 and 3: `{tmp_path}/models_1_2_3_fixed_effects.csv` "
        "(fixed effects, 6 rows)"
    )
    assert "its `model` column holds the model number" in text
    assert "keyed `model1`, `baseline` and `model3`" in text
    (entry,) = answer.to_json()
    assert [m["key"] for m in entry["models"]] == ["model1", "baseline", "model3"]


def test_two_models_to_one_json_file(three, tmp_path):
    answer = ask_ok(three, "export models 1 and 2 to results.json")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results.json"]
    fits = json.loads((tmp_path / "results.json").read_text())
    assert list(fits) == ["model1", "baseline"]
    for number in (1, 2):
        entry = fits[KEYS[number]]
        ref = reference(CASES[number])
        assert entry["loglik"] == pytest.approx(ref["logLik"], rel=1e-6)
        estimates = {fe["term"]: fe["estimate"] for fe in entry["fixed_effects"]}
        for r in ref["fixef"]:
            assert estimates[r["term"]] == pytest.approx(r["estimate"], rel=1e-4)
    assert "Wrote 1 file of models 1 and 2: " in answer.text()


def test_fixed_effects_of_every_model_in_one_csv(three, tmp_path):
    answer = ask_ok(three, "save the fixed effects of every model")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["models_1_2_3_fixed_effects.csv"]
    check_fixed_effects(pd.read_csv(tmp_path / "models_1_2_3_fixed_effects.csv"), three,
                        [1, 2, 3])
    assert "(fixed effects, 6 rows)" in answer.text()


def test_fixed_effects_of_two_models_as_json_keyed_by_model(three, tmp_path):
    ask_ok(three, "save the fixed effects of models 2 and 3 to fixed.json")
    tables = json.loads((tmp_path / "fixed.json").read_text())
    assert list(tables) == ["baseline", "model3"]
    for number in (2, 3):
        rows = tables[KEYS[number]]
        fit = three.models[number].fit
        assert [r["term"] for r in rows] == [fe.term for fe in fit.fixed_effects]
        assert [r["estimate"] for r in rows] == pytest.approx(
            [fe.estimate for fe in fit.fixed_effects], rel=1e-14
        )


def test_one_model_keeps_its_own_files(three, tmp_path):
    ask_ok(three, "export the results")
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "model3_fit.json", "model3_fixed_effects.csv", "model3_random_effects.csv",
        "model3_variance_components.csv"]
    fixed = pd.read_csv(tmp_path / "model3_fixed_effects.csv")
    assert list(fixed.columns) == ["term", "estimate", "se", "df", "t", "p", "ci_lower",
                                   "ci_upper"]
    ask_ok(three, "export model 2 to fit2.json")
    fit = json.loads((tmp_path / "fit2.json").read_text())
    assert fit["formula"] == INTERCEPT and fit["kind"] == "lmm_fit"


def test_an_unknown_model_writes_nothing(three, tmp_path):
    answer = three.ask("export models 1 and 5 to results.json")
    assert not answer.ok and "There is no model 5" in str(answer.error)
    assert list(tmp_path.iterdir()) == []
