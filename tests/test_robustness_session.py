"""Whatever people give the assistant, the session answers with one clear message.

Every case goes through ``Session.ask`` and checks four things: the answer fails (or,
where lme4 fits with a warning, succeeds and says so); the message names the problem
and what to do; no traceback is shown; and the session's data sets, current data name,
models and options are exactly what they were before the request.
"""

from __future__ import annotations

import time
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from session_state import assert_same_state, snapshot

from assistant.errors import AssistantError
from assistant.session import Session

FIT = "LMM: score ~ time + (1 | subject)"


def long_data(n_subjects: int = 12, n_times: int = 4, seed: int = 11) -> pd.DataFrame:
    """Repeated measures: a random intercept per subject, a slope in time."""
    rng = np.random.default_rng(seed)
    rows = []
    for s in range(n_subjects):
        intercept = rng.normal(0.0, 1.0)
        for t in range(n_times):
            rows.append(
                {
                    "subject": f"s{s:02d}",
                    "time": t,
                    "treatment": "drug" if s % 2 else "placebo",
                    "age": 30 + 2 * s + (s % 3),
                    "score": 10 + 0.5 * t + intercept + rng.normal(0.0, 0.7),
                }
            )
    return pd.DataFrame(rows)


def fitted_session(data: pd.DataFrame | None = None, tmp_path: Path | None = None) -> Session:
    """A session holding a data set and one fitted model, so 'unchanged' means something."""
    session = Session(data=long_data() if data is None else data, output_dir=tmp_path)
    answer = session.ask(FIT)
    assert answer.ok, answer.text()
    return session


def message(answer) -> str:
    assert answer.error is not None
    return str(answer.error)


def assert_clear_failure(answer, *phrases: str) -> None:
    """Failed, with the one user-facing error naming each phrase, and no traceback."""
    assert not answer.ok
    assert isinstance(answer.error, AssistantError)
    text = message(answer)
    for phrase in phrases:
        assert phrase.lower() in text.lower(), f"{phrase!r} not in {text!r}"
    assert "Internal error" not in text
    assert "Traceback" not in answer.text()
    assert "Traceback" not in answer.text("detailed")
    assert "Traceback" not in answer.markdown()


def ask_and_check(session: Session, request: str, *phrases: str):
    before = snapshot(session)
    answer = session.ask(request)
    assert_clear_failure(answer, *phrases)
    assert_same_state(before, session)
    return answer


def ask_fits_with_warning(session: Session, request: str, *phrases: str):
    """lme4 fits these with a warning: the new model is added, the old ones stay."""
    before = snapshot(session)
    answer = session.ask(request)
    assert answer.ok, answer.text()
    text = answer.text()
    for phrase in phrases:
        assert phrase in text, f"{phrase!r} not in {text!r}"
    assert "Traceback" not in text
    assert [m[:2] for m in snapshot(session)["models"][: len(before["models"])]] == [
        m[:2] for m in before["models"]
    ]
    assert len(session.models) == len(before["models"]) + 1
    for name, frame in before["datasets"].items():
        assert session.datasets[name].equals(frame)
    return session.models[max(session.models)].fit


def estimates(fit) -> dict[str, float]:
    return {fe.term: fe.estimate for fe in fit.fixed_effects}


# ===================================================================== data files
@pytest.fixture()
def files(tmp_path: Path) -> Path:
    folder = tmp_path / "files"
    folder.mkdir()
    long_data().to_csv(folder / "visits.csv", index=False)
    return folder


def test_a_file_that_is_not_there_suggests_the_closest_name(files):
    session = fitted_session()
    answer = ask_and_check(
        session, f'load "{files / "vists.csv"}"', "There is no file 'vists.csv'", "did you mean"
    )
    assert "'visits.csv'" in message(answer)


def test_only_readable_files_are_suggested_for_a_missing_file(files):
    (files / "vista.py").write_text("print(1)\n")
    (files / "notes.doc").write_text("x")
    answer = ask_and_check(
        fitted_session(), f'load "{files / "vista.csv"}"', "There is no file 'vista.csv'",
        "did you mean",
    )
    assert "'visits.csv'" in message(answer)
    assert "vista.py" not in message(answer)
    (files / "visits.csv").unlink()
    answer = ask_and_check(
        fitted_session(), f'load "{files / "vista.csv"}"', "There is no file 'vista.csv'",
        "check the name",
    )
    assert "did you mean" not in message(answer)


def test_a_file_in_a_folder_that_is_not_there(files):
    ask_and_check(
        fitted_session(), f'load "{files / "nowhere" / "visits.csv"}"',
        "There is no folder", "check the path",
    )


def test_an_empty_file(files):
    (files / "empty.csv").write_text("")
    ask_and_check(
        fitted_session(), f'load "{files / "empty.csv"}"',
        "'empty.csv' is empty", "check that it was saved fully",
    )


def test_a_header_with_no_rows(files):
    (files / "header.csv").write_text("subject,time,score\n")
    ask_and_check(
        fitted_session(), f'load "{files / "header.csv"}"',
        "has a header but no data rows", "add the observations",
    )


def test_a_binary_file_named_csv(files):
    (files / "binary.csv").write_bytes(bytes(range(256)) * 8)
    ask_and_check(
        fitted_session(), f'load "{files / "binary.csv"}"',
        "'binary.csv' is a binary file", "export the data as CSV",
    )


def test_an_xlsx_that_is_not_a_spreadsheet(files):
    (files / "table.xlsx").write_text("subject,time,score\ns1,0,3.5\n")
    ask_and_check(
        fitted_session(), f'load "{files / "table.xlsx"}"',
        "'table.xlsx' is not an Excel workbook", "rename it to .csv",
    )


def test_a_zip_named_xlsx_that_holds_no_workbook(files):
    with zipfile.ZipFile(files / "archive.xlsx", "w") as archive:
        archive.writestr("notes.txt", "not a workbook")
    ask_and_check(
        fitted_session(), f'load "{files / "archive.xlsx"}"',
        "could not be opened as an Excel workbook", "save it again as .xlsx",
    )


def test_duplicated_column_names_in_a_file(files):
    (files / "twice.csv").write_text("subject,score,score\ns1,1,2\ns2,3,4\n")
    ask_and_check(
        fitted_session(), f'load "{files / "twice.csv"}"',
        "duplicated column names ('score')", "rename them",
    )


def test_duplicated_column_names_in_a_data_frame_are_refused_at_the_start():
    frame = long_data()
    frame = pd.concat([frame, frame[["age"]]], axis=1)
    with pytest.raises(AssistantError, match=r"duplicated column names \('age'\); rename them"):
        Session(data=frame)


def test_duplicated_column_names_never_reach_a_fit_as_a_crash():
    """The engine refuses them too, for callers that skip the session's check."""
    from engine.errors import LmmInputError
    from engine.lmm import fit_lmm

    frame = long_data()
    frame = pd.concat([frame, frame[["age"]]], axis=1)
    with pytest.raises(LmmInputError, match="2 columns named 'age'; rename them"):
        fit_lmm("score ~ age + (1 | subject)", frame)


# ============================================================ data in a formula
def test_a_formula_column_not_in_the_data_suggests_the_closest_names():
    ask_and_check(
        fitted_session(), "LMM: score ~ tme + (1 | subject)",
        "no column 'tme'", "did you mean 'time'",
    )


def test_a_non_numeric_outcome():
    ask_and_check(
        fitted_session(), "LMM: treatment ~ time + (1 | subject)",
        "The outcome 'treatment' is not numeric", "choose a numeric column",
    )


def test_an_outcome_that_is_all_missing():
    data = long_data().assign(followup=np.nan)
    ask_and_check(
        fitted_session(data), "LMM: followup ~ time + (1 | subject)",
        "The outcome 'followup' has no values", "choose a column that holds the measurements",
    )


def test_a_grouping_factor_with_one_level():
    data = long_data().assign(site="A")
    ask_and_check(
        fitted_session(data), "LMM: score ~ time + (1 | site)",
        "The grouping factor 'site' has only 1 level", "pick another factor",
    )


def test_a_grouping_factor_with_one_observation_per_level():
    data = long_data()
    data["visit_id"] = [f"v{i}" for i in range(len(data))]
    ask_and_check(
        fitted_session(data), "LMM: score ~ time + (1 | visit_id)",
        "as many levels (48) as there are observations (48)", "group at a coarser level",
    )


def test_infinite_values():
    data = long_data()
    data["age"] = data["age"].astype(float)
    data.loc[5, "age"] = -np.inf
    data.loc[9, "age"] = np.inf
    ask_and_check(
        fitted_session(data), "LMM: score ~ time + age + (1 | subject)",
        "The column 'age' holds 2 infinite value(s)", "mark them as missing",
    )


def test_infinite_outcome():
    data = long_data()
    data.loc[3, "score"] = np.inf
    # the fixture's own fit would fail on this outcome: start from a session without models
    session = Session(data=data)
    ask_and_check(
        session, FIT, "The column 'score' holds 1 infinite value(s)", "replace them with finite"
    )


def test_a_rank_deficient_fixed_part_drops_the_aliased_column_as_lme4_does():
    data = long_data()
    data["months"] = 12 * data["time"]
    session = fitted_session(data)
    fit = ask_fits_with_warning(
        session, "LMM: score ~ time + months + (1 | subject)",
        "Left out `months`", "lme4 does the same",
    )
    assert fit.aliased == ["months"]
    assert fit.fixed_names == ["(Intercept)", "time"]
    reference = session.models[1].fit  # score ~ time + (1 | subject)
    for term, value in estimates(reference).items():
        assert estimates(fit)[term] == pytest.approx(value, rel=1e-6)


def test_a_constant_predictor_is_left_out_and_said():
    data = long_data().assign(centre=1.0)
    fit = ask_fits_with_warning(
        fitted_session(data), "LMM: score ~ time + centre + (1 | subject)",
        "Left out `centre`: the same value in every row", "Leave it out of the formula",
    )
    assert fit.aliased == ["centre"]


def test_predictors_of_scale_1e9_fit_and_rescaling_is_suggested():
    data = long_data()
    data["income"] = data["age"] * 1e9
    session = fitted_session(data)
    age_fit = session.ask("LMM: score ~ time + age + (1 | subject)")
    assert age_fit.ok
    fit = ask_fits_with_warning(
        session, "LMM: score ~ time + income + (1 | subject)",
        "`income` is on a very different scale", "`standardize income`",
    )
    assert fit.poorly_scaled == ["income"]
    assert any("very different scales" in w for w in fit.warnings)
    # the fit itself is right: income = 1e9 * age, so its slope is age's / 1e9
    age = estimates(session.models[2].fit)
    assert estimates(fit)["income"] * 1e9 == pytest.approx(age["age"], rel=1e-5)
    assert estimates(fit)["time"] == pytest.approx(age["time"], rel=1e-6)
    # tiny numbers are written in powers of ten, never as 0.000000
    assert "0.000000" not in session.history[-1].text("detailed")
    assert "e\u2212" in session.history[-1].text()


def test_predictors_on_ordinary_scales_raise_no_scale_warning():
    fit = fitted_session().models[1].fit
    assert fit.poorly_scaled == []
    assert not any("scales" in w for w in fit.warnings)


def test_missing_values_in_the_grouping_column_drop_those_rows_and_say_how_many():
    data = long_data()
    data.loc[[1, 7, 20], "subject"] = np.nan
    session = fitted_session(data)
    model = session.models[1]
    assert model.fit.nobs == 45
    assert model.fit.n_dropped == 3
    assert model.fit.dropped_by_variable["subject"] == 3
    text = session.history[-1].text()
    assert "3 rows with missing values were left out (3 missing subject)" in text
    complete = session.ask("LMM: score ~ time + (1 | subject)")  # same rows, same estimates
    assert complete.ok
    kept = Session(data=data.dropna(subset=["subject"]).reset_index(drop=True))
    assert kept.ask(FIT).ok
    assert estimates(kept.models[1].fit) == pytest.approx(estimates(model.fit), rel=1e-8)


def test_column_names_with_spaces_and_accents_in_backticks_fit():
    plain = fitted_session()
    data = long_data().rename(columns={"score": "pain score", "age": "âge du patient"})
    session = Session(data=data)
    answer = session.ask("LMM: `pain score` ~ time + `âge du patient` + (1 | subject)")
    assert answer.ok, answer.text()
    fit = session.models[1].fit
    assert plain.ask("LMM: score ~ time + age + (1 | subject)").ok
    reference = estimates(plain.models[2].fit)
    got = estimates(fit)
    assert got["âge du patient"] == pytest.approx(reference["age"], rel=1e-8)
    assert got["time"] == pytest.approx(reference["time"], rel=1e-8)
    assert "âge du patient" in answer.text()


def test_wide_to_long_asked_for_on_data_that_are_already_long():
    ask_and_check(
        fitted_session(), "reshape from wide to long format",
        "already look long", "fit the model on them as they are",
    )


# ======================================================================= requests
def test_an_empty_request():
    answer = ask_and_check(fitted_session(), "", "empty")
    assert "LMM:" in message(answer) or "help" in message(answer).lower()


def test_a_blank_request():
    answer = ask_and_check(fitted_session(), "   \n\t ", "The request is empty", "Did you mean")
    assert "^" not in message(answer)  # nothing to point at


def test_gibberish():
    answer = ask_and_check(
        fitted_session(), "flurb glorp zzk wibble", "did not recognise", "did you mean: \"help\""
    )
    assert "Traceback" not in message(answer)


def test_a_near_miss_gets_suggestions():
    answer = ask_and_check(fitted_session(), "compare the AIC of the modles", "Did you mean")
    assert "compare" in message(answer).split("Did you mean")[1]


@pytest.mark.parametrize(
    ("request_text", "problem"),
    [
        ("LMM: score ~ time + (1 | subject", "A '(' is never closed"),
        ("LMM: score ~ time + (1 | subject))", "a ')' with no matching '('"),
        ("LMM: score ~ (time + (1 | subject)", "A '(' is never closed"),
    ],
)
def test_unbalanced_parentheses(request_text, problem):
    answer = ask_and_check(fitted_session(), request_text, problem)
    assert "^" in message(answer)  # the place is pointed at


def test_a_100000_character_request_is_answered_within_a_second():
    session = fitted_session()
    before = snapshot(session)
    start = time.perf_counter()
    answer = session.ask("fit " + "score + " * 12_500)
    elapsed = time.perf_counter() - start
    assert elapsed < 1.0
    assert_clear_failure(answer, "characters long", "Split the work")
    assert_same_state(before, session)


def test_deep_nesting_is_refused_quickly():
    session = fitted_session()
    start = time.perf_counter()
    answer = session.ask("LMM: score ~ " + "(" * 900 + "time" + ")" * 900 + " + (1 | subject)")
    assert time.perf_counter() - start < 1.0
    assert_clear_failure(answer, "nests parentheses 900 deep", "at most 40 levels")


def test_a_reference_to_a_model_that_does_not_exist():
    ask_and_check(
        fitted_session(), "show the fixed effects of model 7",
        "There is no model 7", "e.g. `model 1`",
    )


def test_a_structure_reference_to_a_model_that_was_not_fitted():
    ask_and_check(
        fitted_session(), "show the fixed effects of the random slope model",
        "No random slope model has been fitted", "Fit one first", "`model 1`",
    )


@pytest.mark.parametrize(
    "request_text",
    ["plot the residuals", "caterpillar plot of random intercepts", "compare AIC/BIC",
     "likelihood ratio test", "show the fixed effects", "report the ICC"],
)
def test_plots_and_comparisons_before_any_fit(request_text, tmp_path):
    session = Session(data=long_data(), output_dir=tmp_path)
    ask_and_check(session, request_text, "no fitted model yet", "Fit one first")
    assert list(tmp_path.iterdir()) == []


def test_a_comparison_with_a_single_model():
    ask_and_check(
        fitted_session(), "compare AIC/BIC", "at least two fitted models", "fit another one"
    )


def test_a_request_before_any_data():
    ask_and_check(Session(), FIT, "There is no data yet", "Load a file")


def test_an_unknown_formula_function():
    answer = ask_and_check(
        fitted_session(), "LMM: score ~ foo(time) + (1 | subject)",
        "foo() is not allowed", "Allowed functions",
    )
    assert "log" in message(answer)


# ================================================================ code injection
def canary_attempts(canary: Path) -> list[str]:
    """Requests that would create ``canary`` if any part of them were run as Python."""
    system = f"__import__('os').system('touch {canary}')"
    opener = f"open('{canary}','w')"
    return [
        f"LMM: score ~ {system} + (1 | subject)",
        f"LMM: score ~ I({system}) + (1 | subject)",
        f"LMM: score ~ time + ({system} | subject)",
        f"LMM: {system} ~ time + (1 | subject)",
        "LMM: score ~ time.__class__ + (1 | subject)",
        "LMM: score ~ x.__class__.__bases__ + (1 | subject)",
        f"LMM: score ~ I({opener}) + (1 | subject)",
        f"LMM: score ~ I((lambda: {opener})()) + (1 | subject)",
        f"LMM: score ~ I([{opener} for x in time]) + (1 | subject)",
        f"LMM: score ~ I({{{opener}: 1}}) + (1 | subject)",
        f"LMM: score ~ I(time if {opener} else time) + (1 | subject)",
        f"LMM: score ~ log({system}) + (1 | subject)",
        f"lmer(score ~ time + (1 | subject), data = {system})",
        f'load "{system}"',
        f'load "{canary}"',
        f"load {canary}.csv",
        f"center `{system}`",
        f"standardize `{opener}`",
        f"treat `{system}` as a factor",
        f"set max iterations to {system}",
        f"set the confidence level to {system}",
        f"use sample {system}",
        f"use sample `{system}`",
        f"fit a random intercept model of `{system}` with subject as the grouping variable",
        f"add `{system}` as a covariate",
        f"show the fixed effects of model {system}",
        f"compare models 1 and {system}",
        f"help with {system}",
    ]


def test_no_input_field_is_ever_evaluated(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    canary = tmp_path / "CANARY"
    session = fitted_session(tmp_path=tmp_path / "out")
    for attempt in canary_attempts(canary):
        before = snapshot(session)
        answer = session.ask(attempt)
        assert not canary.exists(), attempt
        assert not (tmp_path / "CANARY").exists(), attempt
        assert not answer.ok, f"{attempt!r} was accepted: {answer.text()}"
        assert isinstance(answer.error, AssistantError)
        assert "Internal error" not in message(answer), (attempt, message(answer))
        assert "Traceback" not in answer.text()
        assert_same_state(before, session)


def test_a_folder_name_that_looks_like_code_is_kept_as_text(tmp_path, monkeypatch):
    """An output folder is a name, not code: it is stored literally and nothing runs."""
    monkeypatch.chdir(tmp_path)
    canary = tmp_path / "CANARY"
    folder = f"figs/__import__('os').system('touch {canary}')"
    session = fitted_session(tmp_path=tmp_path / "out")
    answer = session.ask(f'save figures to "{folder}"')
    assert answer.ok, answer.text()
    assert session.options.output_dir == Path(folder)
    assert session.ask("plot the residuals").ok
    assert not canary.exists()
    assert any((tmp_path / folder).iterdir())


def test_injection_in_a_formula_names_the_problem():
    session = fitted_session()
    ask_and_check(
        session, "LMM: score ~ time.__class__ + (1 | subject)", "double underscores", "backticks"
    )
    ask_and_check(
        session, "LMM: score ~ I([x for x in time]) + (1 | subject)",
        "cannot appear in a formula",
    )


def test_the_session_still_works_after_every_failure(tmp_path, monkeypatch):
    """A long run of bad requests leaves a session that fits and reports as before."""
    monkeypatch.chdir(tmp_path)
    session = fitted_session(tmp_path=tmp_path / "out")
    first = estimates(session.models[1].fit)
    for attempt in [*canary_attempts(tmp_path / "CANARY"), "", "((((", "fit " + "x" * 5000]:
        session.ask(attempt)
    answer = session.ask("LMM: score ~ time + treatment + (1 | subject)")
    assert answer.ok, answer.text()
    assert sorted(session.models) == [1, 2]
    assert estimates(session.models[1].fit) == first
    assert session.ask("compare models 1 and 2").ok


def test_column_names_that_look_like_code_are_only_names(tmp_path, monkeypatch):
    """Data columns whose names are Python code fit as ordinary columns (formulaic, which
    builds factor codings, only ever sees quoted private names), and nothing runs."""
    monkeypatch.chdir(tmp_path)
    canary = tmp_path / "CANARY"
    quoted = f"x') + __import__('os').system('touch {canary}') + ('"
    double = f'x" + open("{canary}", "w") + "'
    data = long_data()
    data[quoted] = data["treatment"]
    data[double] = data["age"]
    session = Session(data=data, output_dir=tmp_path / "out")
    reference = Session(data=long_data())
    assert reference.ask("LMM: score ~ time + treatment + age + (1 | subject)").ok
    expected = estimates(reference.models[1].fit)
    for request in [
        f"LMM: score ~ time + `{quoted}` + `{double}` + (1 | subject)",
        f"LMM: score ~ time + factor(`{quoted}`) + factor(`{double}`) + (1 | subject)",
        f"LMM: score ~ time * `{quoted}` + (1 | subject)",
    ]:
        answer = session.ask(request)
        assert answer.ok, answer.text()
        assert not canary.exists()
    fit = session.models[1].fit
    assert estimates(fit)[double] == pytest.approx(expected["age"], rel=1e-8)
    assert estimates(fit)[f"{quoted}[T.placebo]"] == pytest.approx(
        expected["treatment[T.placebo]"], rel=1e-8
    )


def test_a_random_slope_for_the_grouping_factor_itself():
    """Found by the fuzz test: the engine's refusal listed every dummy column of the term."""
    answer = ask_and_check(
        fitted_session(), "add a random slope for subject",
        "subject is a grouping factor of the model", "`add a random slope for time`",
    )
    assert len(message(answer)) < 300


def test_a_random_term_with_too_many_effects_is_named_briefly():
    answer = ask_and_check(
        fitted_session(), "LMM: score ~ time + (subject | subject)",
        "… 10 more columns | subject) has 144 random effects for 48 observations",
        "simplify the random-effects part",
    )
    assert len(message(answer)) < 300


def test_model_changes_name_columns_with_spaces_in_backticks():
    """Found while checking injection through `add ... as a covariate`: a column with a
    space or an accent went into the new formula unquoted."""
    data = long_data().rename(columns={"age": "âge du patient", "time": "visit time"})
    session = Session(data=data)
    assert session.ask("LMM: score ~ `visit time` + (1 | subject)").ok
    steps = [
        ("add `âge du patient` as a covariate",
         "score ~ `visit time` + `âge du patient` + (1 | subject)"),
        ("add a random slope for `visit time`",
         "score ~ `visit time` + `âge du patient` + (1 + `visit time` | subject)"),
        ("remove the random slope", "score ~ `visit time` + `âge du patient` + (1 | subject)"),
        ("drop `âge du patient`", "score ~ `visit time` + (1 | subject)"),
    ]
    for request, formula in steps:
        answer = session.ask(request)
        assert answer.ok, answer.text()
        assert session.models[max(session.models)].fit.formula == formula
    # the last model is the first one again: same estimates
    assert estimates(session.models[5].fit) == pytest.approx(estimates(session.models[1].fit))


def test_one_dropped_row_is_said_in_the_singular():
    data = long_data()
    data.loc[4, "subject"] = np.nan
    session = Session(data=data)
    answer = session.ask(FIT)
    assert answer.ok
    assert "1 row with missing values was left out (1 missing subject)" in answer.text()


def test_describing_data_with_infinite_values_says_so_and_summarises_the_rest():
    data = pd.DataFrame({"y": [1.0, np.inf, 2.0, -np.inf, 6.0], "g": list("abacb")})
    session = Session(data=data)
    before = snapshot(session)
    answer = session.ask("describe the data")
    assert answer.ok
    column = answer.steps[0].result.result.column("y")
    assert column.n_infinite == 2
    assert (column.minimum, column.maximum, column.mean) == (1.0, 6.0, 3.0)
    assert column.sd == pytest.approx(np.std([1.0, 2.0, 6.0], ddof=1))
    assert "without 2 infinite values: replace them or mark as missing" in answer.text()
    assert_same_state(before, session)


@pytest.mark.parametrize("operation", ["center", "standardize", "scale", "log transform"])
def test_transforming_a_column_with_infinite_values_is_refused(operation):
    """Found by fuzzing: centring a column holding inf silently turned it into NaN/-inf."""
    data = long_data()
    data["age"] = data["age"].astype(float)
    data.loc[2, "age"] = np.inf
    ask_and_check(
        fitted_session(data), f"{operation} age",
        "The column 'age' holds 1 infinite value(s), so it cannot be", "mark them as missing",
    )


def test_a_word_of_a_column_name_suggests_that_column_first():
    from engine.data import closest_names

    columns = ["patient", "time", "treatment", "pain_score"]
    assert closest_names("pain", columns) == ["pain_score", "patient"]
    assert closest_names("Score", ["test_score", "school", "SES"]) == ["test_score"]
    assert closest_names("ses", ["SES", "school"]) == ["SES"]
