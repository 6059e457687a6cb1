"""The exported files are built column by column (engine.results.RandomEffectColumns,
assistant.json_text): the same bytes as the row-by-row writing they replace, and the
BLUPs in them are lme4's."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from assistant.json_text import indented_json
from assistant.session import Session
from assistant.step_results import json_safe
from tests.conftest import ask_ok, find_reference_dir


def _old_json(value):
    """How the fit JSON was written before: the standard library's indented encoder."""
    return json.dumps(json_safe(value), indent=2, allow_nan=False)


def _old_random_effect_rows(fit) -> list[tuple]:
    """(group, term, level, value, cond_sd) per BLUP, one at a time as the rows were built
    before: groups in order of first appearance, each term's columns, every level."""
    covs = fit.model.conditional_covariances(fit.theta, fit.sigma**2)
    groups = list(dict.fromkeys(term.group for term in fit.model.terms))
    rows = []
    for group in groups:
        for term, cov in zip(fit.model.terms, covs, strict=True):
            if term.group != group:
                continue
            values = fit.b[term.z_slice].reshape(term.n_levels, term.n_columns)
            for a, column in enumerate(term.columns):
                for j, level in enumerate(term.levels):
                    sd = math.sqrt(max(float(cov[j, a, a]), 0.0))
                    rows.append((group, column, level, float(values[j, a]), sd))
    return rows


TRICKY = [
    {},
    [],
    None,
    2.5,
    float("nan"),
    "é",
    {"rows": [{"x": 1.0, "y": "é%s\"", "z": None}, {"x": float("inf"), "y": "b",
                                                     "z": np.float64(2.5)}],
     1: (), "empty": {}},
    [{"a": 1}, {"b": 1}],
    [{"a": [1, 2]}, {"a": [3]}],
    [{"a": {"q": 1}}, {"a": {}}],
    [{"a": np.int64(3), "b": True, "c": np.bool_(False)}, {"a": 2, "b": False, "c": np.nan}],
    {"df": pd.DataFrame({"a": [1.0, np.nan], "b": ["x", None]}), "s": pd.Series([1, 2]),
     "arr": np.array([[1.0, np.inf]]), "p": Path("/x")},
    [{}, {}],
    [1, [2, [3, {}]]],
    [{"a": -0.0, "b": 1e16, "c": 1e-5, "d": 123456789.123, "e": -np.inf}],
    {1: "a", "1": "b"},
    [{"a": pd.NA}, {"a": pd.NaT}],
    [{"a%": 1, "b\n": "%d"}],
    ({"t": (1, 2)},),
]


@pytest.mark.parametrize("value", TRICKY)
def test_indented_json_is_the_standard_librarys_text(value):
    assert indented_json(value) == _old_json(value)


def test_indented_json_refuses_what_json_refuses():
    with pytest.raises(TypeError):
        indented_json({"when": object()})
    with pytest.raises(TypeError):
        indented_json([{"a": object()}, {"a": 1}])


@pytest.fixture(scope="module")
def sleep_export(tmp_path_factory) -> tuple[Session, Path]:
    folder = tmp_path_factory.mktemp("export")
    session = Session(sample="sleepstudy", output_dir=folder)
    ask_ok(session, "LMM: Reaction ~ Days + (Days | Subject)")
    ask_ok(session, "export the results")
    return session, folder


def test_random_effects_file_has_the_bytes_of_the_row_by_row_table(sleep_export):
    session, folder = sleep_export
    fit = session.models[1].fit
    rows = _old_random_effect_rows(fit)
    expected = pd.DataFrame([[g, t, str(lv), v, sd] for g, t, lv, v, sd in rows],
                            columns=["group", "term", "level", "value", "cond_sd"])
    written = (folder / "model1_random_effects.csv").read_text()
    assert written == expected.to_csv(index=False)
    assert len(rows) == 36


def test_fit_json_has_the_bytes_of_the_standard_encoder(sleep_export):
    session, folder = sleep_export
    fit = session.models[1].fit
    payload = fit.to_dict()
    written = (folder / "model1_fit.json").read_text()
    assert written == _old_json(payload) + "\n"
    old_records = [{"group": g, "term": t, "level": lv, "value": v, "cond_sd": sd}
                   for g, t, lv, v, sd in _old_random_effect_rows(fit)]
    assert len(payload["random_effects"]) == len(old_records)
    for got, want in zip(payload["random_effects"], old_records, strict=True):
        assert got.keys() == want.keys()
        assert got["level"] == want["level"] and got["term"] == want["term"]
        assert got["value"] == pytest.approx(want["value"], rel=1e-12, abs=1e-12)
        assert got["cond_sd"] == pytest.approx(want["cond_sd"], rel=1e-12)


def test_exported_blups_are_lme4s(sleep_export):
    _, folder = sleep_export
    ref = json.loads((find_reference_dir() / "cases" / "sleepstudy_slope.json").read_text())
    written = json.loads((folder / "model1_fit.json").read_text())["random_effects"]
    table = pd.read_csv(folder / "model1_random_effects.csv", dtype={"level": str})
    assert len(written) == len(table) == len(ref["ranef"]) == 36
    for got, row, want in zip(written, table.itertuples(), ref["ranef"], strict=True):
        assert (got["group"], got["term"], got["level"]) == (
            want["group"], want["term"], want["level"])
        assert (row.group, row.term, row.level) == (want["group"], want["term"], want["level"])
        assert got["value"] == pytest.approx(want["value"], rel=1e-3, abs=1e-3)
        assert row.value == got["value"]
        assert got["cond_sd"] == pytest.approx(want["cond_sd"], rel=1e-3)


def test_random_effect_rows_match_the_columns_on_crossed_factors(tmp_path):
    session = Session(sample="ratings", output_dir=tmp_path)
    ask_ok(session, "LMM: rating ~ condition + (1 | rater) + (1 | item)")
    fit = session.models[1].fit
    old = _old_random_effect_rows(fit)
    new = [(e.group, e.term, e.level, e.value, e.cond_sd) for e in fit.random_effects]
    assert [r[:3] for r in new] == [r[:3] for r in old]
    assert np.allclose([r[3:] for r in new], [r[3:] for r in old], rtol=1e-12, atol=1e-14)
    assert {r[0] for r in new} == {"rater", "item"} and len(new) == 30 + 24
