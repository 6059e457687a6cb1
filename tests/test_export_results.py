"""Writing results to files: every file is read back with pandas (or json) and compared
with the fit's own numbers, and those with lme4's (reference README tolerances)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import pandas as pd
import pytest

from assistant.session import Session
from engine.result_tables import fixed_effects_table
from tests.conftest import ask_ok, find_reference_dir


@cache
def reference(kind: str, name: str) -> dict:
    return json.loads((find_reference_dir() / kind / f"{name}.json").read_text())



@pytest.fixture()
def sleep(tmp_path) -> Session:
    session = Session(sample="sleepstudy", output_dir=tmp_path)
    ask_ok(session, "LMM: Reaction ~ Days + (Days | Subject)")
    return session


def test_export_the_results_writes_every_table_as_the_fit_has_it(sleep, tmp_path):
    answer = ask_ok(sleep, "export the results")
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["model1_fit.json", "model1_fixed_effects.csv",
                     "model1_random_effects.csv", "model1_variance_components.csv"]
    fit = sleep.models[1].fit
    ref = reference("cases", "sleepstudy_slope")

    fixed = pd.read_csv(tmp_path / "model1_fixed_effects.csv")
    assert list(fixed.columns) == ["term", "estimate", "se", "df", "t", "p", "ci_lower",
                                   "ci_upper"]
    for row, fe in zip(fixed.itertuples(), fit.fixed_effects, strict=True):
        assert row.term == fe.term
        assert row.estimate == pytest.approx(fe.estimate, rel=1e-14)
        assert row.df == pytest.approx(fe.df, rel=1e-14)
        assert row.ci_upper == pytest.approx(fe.ci_upper, rel=1e-14)
    for r in ref["fixef"]:
        (row,) = fixed[fixed["term"] == r["term"]].itertuples()
        assert row.estimate == pytest.approx(r["estimate"], rel=1e-4)
        assert row.se == pytest.approx(r["se"], rel=1e-3)

    varcorr = pd.read_csv(tmp_path / "model1_variance_components.csv", keep_default_na=False)
    assert list(varcorr.columns) == ["grp", "var1", "var2", "vcov", "sdcor"]
    assert list(varcorr["grp"]) == [r["grp"] for r in ref["varcorr"]]
    assert list(varcorr["var2"]) == [r.get("var2") or "" for r in ref["varcorr"]]
    for row, r in zip(varcorr.itertuples(), ref["varcorr"], strict=True):
        assert float(row.vcov) == pytest.approx(r["vcov"], rel=1e-3)

    blups = pd.read_csv(tmp_path / "model1_random_effects.csv", dtype={"level": str})
    assert len(blups) == len(fit.random_effects) == 36
    assert list(blups["level"][:2]) == ["308", "309"]
    assert blups["value"].to_numpy() == pytest.approx([e.value for e in fit.random_effects])
    sd = {r["var1"]: r["sdcor"] for r in ref["varcorr"] if r["grp"] == "Subject"
          and not r.get("var2")}
    for row, r in zip(blups.itertuples(), ref["ranef"], strict=True):
        assert (row.term, row.level) == (r["term"], r["level"])
        assert row.cond_sd == pytest.approx(r["cond_sd"], abs=1e-3 * sd[r["term"]])

    stored = json.loads((tmp_path / "model1_fit.json").read_text())
    assert stored == json.loads(json.dumps(fit.to_dict()))
    assert stored["kind"] == "lmm_fit"

    text = answer.text()
    assert text.startswith("Wrote 4 files of Model 1 (random intercept and slope model): ")
    assert f"`{tmp_path / 'model1_random_effects.csv'}` (BLUPs, 36 rows)" in text
    assert "Replaced" not in text


def test_one_table_with_the_users_name_and_overwriting_is_said(sleep, tmp_path):
    first = ask_ok(sleep, "save the BLUPs to tables/blups.csv")
    path = tmp_path / "tables" / "blups.csv"
    assert len(pd.read_csv(path)) == 36
    assert "Replaced" not in first.text()
    again = ask_ok(sleep, "save the BLUPs to tables/blups.csv")
    assert again.text().endswith(f"Replaced the existing file `{path}`.")
    assert again.to_json()[0]["files"][0]["overwritten"] is True


def test_fixed_effects_to_a_csv_and_results_to_one_file(sleep, tmp_path):
    ask_ok(sleep, "write the fixed effects to a csv")
    written = pd.read_csv(tmp_path / "model1_fixed_effects.csv")
    pd.testing.assert_frame_equal(written, fixed_effects_table(sleep.models[1].fit),
                                  check_exact=False, rtol=1e-14)
    answer = ask_ok(sleep, "save the results to results.csv")
    assert list(pd.read_csv(tmp_path / "results.csv")["term"]) == ["(Intercept)", "Days"]
    assert "so it has the fixed effects; `export the results` writes every table" in (
        answer.text())
    ask_ok(sleep, "save the results to results.json")
    assert json.loads((tmp_path / "results.json").read_text())["nobs"] == 180
    ask_ok(sleep, "export the BLUPs as json")
    rows = json.loads((tmp_path / "model1_random_effects.json").read_text())
    assert rows[0] == {"group": "Subject", "term": "(Intercept)", "level": "308",
                       "value": pytest.approx(sleep.models[1].fit.random_effects[0].value),
                       "cond_sd": pytest.approx(sleep.models[1].fit.random_effects[0].cond_sd)}


def test_the_last_comparison_is_exported_with_lme4s_numbers(tmp_path):
    session = Session(sample="sleepstudy", output_dir=tmp_path)
    ask_ok(session, "LMM: Reaction ~ Days + (1 | Subject)")
    missing = session.ask("export the comparison table")
    assert "No models have been compared yet" in str(missing.error)
    ask_ok(session, "LMM: Reaction ~ Days + (1 + Days || Subject)")
    ask_ok(session, "LMM: Reaction ~ Days + (Days | Subject)")
    ask_ok(session, "compare the models after refitting with ML")
    ask_ok(session, "export the comparison table")
    table = pd.read_csv(tmp_path / "model_comparison.csv")
    ref = reference("comparisons", "sleepstudy_structures")["rows"]
    assert list(table["npar"]) == [r["npar"] for r in ref]
    assert table["deviance"].to_numpy() == pytest.approx([r["deviance"] for r in ref], rel=1e-6)
    assert list(table["model"]) == [1, 2, 3]
    everything = ask_ok(session, "export the results")
    assert [f["table"] for f in everything.to_json()[0]["files"]][-1] == "comparison"


def test_bad_names_and_no_model_write_nothing(tmp_path):
    session = Session(sample="sleepstudy", output_dir=tmp_path)
    nothing = session.ask("export the results")
    assert str(nothing.error).startswith("There is no fitted model yet.")
    ask_ok(session, "LMM: Reaction ~ Days + (1 | Subject)")
    before = session.state
    bad = session.ask("save the BLUPs to blups.xlsx")
    assert str(bad.error) == (
        "I write tables as .csv files and the fit as a .json file, so 'blups.xlsx' cannot "
        "be written; name a file such as `results.csv` or `fit.json`."
    )
    fit_as_csv = session.ask("save the fit to fit.csv")
    assert "needs a .json file name, not 'fit.csv'" in str(fit_as_csv.error)
    no_suffix = session.ask("save the BLUPs to blups")
    assert "'blups' cannot be written" in str(no_suffix.error)
    folder = session.ask("set the output folder to results.csv")
    assert "'results.csv' is a file name, not a folder" in str(folder.error)
    assert session.state is before
    assert list(tmp_path.iterdir()) == []


def test_save_results_to_a_folder_sets_it_and_writes_there(tmp_path):
    session = Session(sample="sleepstudy", output_dir=tmp_path / "first")
    ask_ok(session, "LMM: Reaction ~ Days + (1 | Subject)")
    folder = tmp_path / "tables"
    answer = ask_ok(session, f'save results to "{folder}/"')
    assert [s.kind for s in answer.steps] == ["set_option", "export_results"]
    assert Path(session.options.output_dir) == folder
    assert (folder / "model1_fit.json").is_file()
    assert not (tmp_path / "first").exists()
