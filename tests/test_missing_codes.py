"""Missing-value codes (-99, 999, "."): found by describe and fit, marked missing on request,
counted per column, undone by undo."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from assistant.session import Session
from engine import fit_lmm
from engine.errors import LmmInputError
from engine.missing_codes import (
    code_as_missing,
    suspected_missing_code,
    treat_as_missing_request,
)
from tests.conftest import ask_ok

CODED_ROWS = [3, 17, 42]


def _trial(code: float = -99.0) -> pd.DataFrame:
    """20 patients x 4 visits, scores near 50, three of them replaced by ``code``."""
    rng = np.random.default_rng(7)
    ids = np.repeat([f"P{i:02d}" for i in range(20)], 4)
    visit = np.tile(np.arange(4), 20)
    group = np.repeat(["Placebo", "Drug"], 40)
    person = np.repeat(rng.normal(0, 2, 20), 4)
    score = 50 + person - 1.2 * visit * (group == "Drug") + rng.normal(0, 0.8, 80)
    data = pd.DataFrame({"ID": ids, "Visit": visit, "Group": group, "Score": score.round(2)})
    data.loc[CODED_ROWS, "Score"] = code
    return data


def test_a_repeated_far_out_code_is_suspected_with_its_count_and_the_other_range():
    data = _trial()
    found = suspected_missing_code("Score", data["Score"])
    others = data["Score"].drop(index=CODED_ROWS)
    assert found is not None
    assert (found.value, found.count) == (-99.0, 3)
    assert found.other_min == pytest.approx(others.min())
    assert found.other_max == pytest.approx(others.max())
    assert suspected_missing_code("Score", _trial(999.0)["Score"]).value == 999.0


def test_values_that_may_be_real_are_not_suspected():
    rng = np.random.default_rng(3)
    ages = pd.Series(np.r_[rng.integers(20, 81, 200), [99, 99]].astype(float))
    assert suspected_missing_code("age", ages) is None  # 99 years is within the fences
    once = _trial()
    once.loc[CODED_ROWS[1:], "Score"] = 50.0
    assert suspected_missing_code("Score", once["Score"]) is None  # a single -99
    nines = _trial(9.0)
    assert suspected_missing_code("Score", nines["Score"]) is None  # 9 is no code
    assert suspected_missing_code("ID", _trial()["ID"]) is None


def test_code_as_missing_counts_per_column_and_leaves_other_cells_alone():
    data = _trial()
    data["weight"] = 70.0
    data.loc[[0, 1], "weight"] = -99.0
    done = code_as_missing(data, ["-99"])
    assert [(c.column, c.count) for c in done.changed] == [("Score", 3), ("weight", 2)]
    assert done.total == 5
    assert done.data["Score"].isna().sum() == 3
    kept = data.drop(index=CODED_ROWS)["Score"]
    assert done.data["Score"].mean() == pytest.approx(kept.mean(), rel=1e-12)
    assert data["Score"].isna().sum() == 0  # the input is not changed
    only = code_as_missing(data, ["-99"], ["weight"])
    assert [(c.column, c.count) for c in only.changed] == [("weight", 2)]


def test_a_text_code_makes_a_column_numeric_again():
    data = _trial()
    data["Score"] = data["Score"].astype(object)
    data.loc[CODED_ROWS, "Score"] = " . "
    data["Score"] = data["Score"].astype(str)
    done = code_as_missing(data, ["."])
    assert [(c.column, c.count, c.now_numeric) for c in done.changed] == [("Score", 3, True)]
    assert pd.api.types.is_float_dtype(done.data["Score"])
    assert done.data["Score"].isna().sum() == 3


def test_a_code_no_cell_holds_is_refused():
    with pytest.raises(LmmInputError, match="No cell of any column holds '-999'"):
        code_as_missing(_trial(), ["-999"])


@pytest.mark.parametrize(
    ("values", "request_text"),
    [([-99.0], "treat -99 as missing"), (["."], 'treat "." as missing'),
     (["n/a", "?"], 'treat "n/a" and "?" as missing')],
)
def test_the_request_that_marks_values_is_spelled_as_the_grammar_reads_it(values, request_text):
    assert treat_as_missing_request(values) == request_text


def test_describe_and_fit_warn_and_the_request_changes_the_data_until_undo(tmp_path):
    data = _trial()
    session = Session(data=data, output_dir=tmp_path)
    described = ask_ok(session, "describe the data")
    assert "`Score` has the value -99 in 3 rows" in described.text()
    assert "`treat -99 as missing`" in described.text()
    fitted = ask_ok(session, "LMM: Score ~ Visit * Group + (1 | ID)")
    assert "`treat -99 as missing`" in fitted.text()
    assert session.models[1].fit.nobs == 80

    marked = ask_ok(session, "treat -99 as missing")
    assert "Marked '-99' as missing: 3 cells in `Score`." in marked.text()
    assert session.state.data["Score"].isna().sum() == 3
    refit = ask_ok(session, "LMM: Score ~ Visit * Group + (1 | ID)")
    assert "treat -99 as missing" not in refit.text()
    direct = fit_lmm(
        "Score ~ Visit * Group + (1 | ID)", data.assign(Score=data["Score"].replace(-99.0, np.nan))
    )
    fit = session.models[2].fit
    assert fit.nobs == 77
    assert fit.criterion == pytest.approx(direct.criterion, rel=1e-10)
    assert fit.beta == pytest.approx(direct.beta, rel=1e-8)

    ask_ok(session, "undo")
    ask_ok(session, "undo")
    pd.testing.assert_frame_equal(session.state.data, data)


def test_a_code_that_is_not_there_leaves_the_session_unchanged(tmp_path):
    data = _trial()
    session = Session(data=data, output_dir=tmp_path)
    answer = session.ask("treat 999 as missing in Score")
    assert not answer.ok
    assert str(answer.error) == (
        "No cell of 'Score' holds '999', so nothing was changed; check the code as it "
        "appears in the data."
    )
    pd.testing.assert_frame_equal(session.state.data, data)
    unknown = session.ask("treat -99 as missing in Scores")
    assert not unknown.ok
    assert "did you mean 'Score'" in str(unknown.error)
