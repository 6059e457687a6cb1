"""Bad input through ``lmm ask`` (issue 7): one plain message, the right exit status,
never a traceback.

Most cases call ``assistant.cli.main(argv)`` in-process (fast); a few run the real
``python -m assistant.cli`` in a subprocess.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from assistant.cli import main


def run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main(argv, stdout=out, stderr=err)
    return status, out.getvalue(), err.getvalue()


def assert_problem(status: int, out: str, err: str, *phrases: str) -> None:
    """Exit 2, one message on stderr that contains every phrase, no traceback."""
    assert status == 2, (out, err)
    assert "Traceback" not in out + err
    assert err.startswith("lmm: ")
    assert err.count("lmm: ") == 1
    assert "internal error" not in err
    lowered = err.lower()
    for phrase in phrases:
        assert phrase.lower() in lowered, f"{phrase!r} not in {err!r}"


def ask(*requests: str, data: Path | None = None, sample: str | None = None,
        out_dir: Path | None = None) -> tuple[int, str, str]:
    argv = ["ask", *requests]
    if data is not None:
        argv += ["--data", str(data)]
    if sample is not None:
        argv += ["--sample", sample]
    if out_dir is not None:
        argv += ["--out", str(out_dir)]
    return run(argv)


def pain_frame() -> pd.DataFrame:
    from engine.samples import load_sample

    return load_sample("pain_trial")


def write_csv(tmp_path: Path, frame: pd.DataFrame, name: str = "data.csv") -> Path:
    path = tmp_path / name
    frame.to_csv(path, index=False)
    return path


# --------------------------------------------------------------------------- files
def test_a_file_that_is_not_there(tmp_path):
    assert_problem(*ask("describe the data", data=tmp_path / "nope.csv"), "no file 'nope.csv'",
                   "check the name and the folder")


def test_a_misspelt_file_gets_its_neighbour(tmp_path):
    write_csv(tmp_path, pd.DataFrame({"y": [1.0, 2.0]}), name="Penicillin.csv")
    assert_problem(*ask("describe the data", data=tmp_path / "penicillin.csv"),
                   "did you mean 'Penicillin.csv'?")


def test_a_folder_instead_of_a_file(tmp_path):
    assert_problem(*ask("describe the data", data=tmp_path), "folder")


def test_an_empty_file(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_text("")
    assert_problem(*ask("describe the data", data=path), "empty.csv", "empty")


def test_a_header_with_no_rows(tmp_path):
    path = tmp_path / "header.csv"
    path.write_text("patient,time,pain_score\n")
    assert_problem(*ask("describe the data", data=path), "header.csv", "no data rows")


def test_a_binary_file_named_csv(tmp_path):
    path = tmp_path / "binary.csv"
    path.write_bytes(bytes(range(256)) * 40)
    assert_problem(*ask("describe the data", data=path), "binary.csv", "binary")


def test_an_xlsx_that_is_not_a_spreadsheet(tmp_path):
    path = tmp_path / "fake.xlsx"
    path.write_text("this is plain text, not an Excel workbook\n")
    assert_problem(*ask("describe the data", data=path), "fake.xlsx", "not an Excel workbook")


# --------------------------------------------------------------------------- model problems
FIT = "LMM: pain_score ~ time + treatment + (1 | patient)"


def test_a_formula_column_not_in_the_data_suggests_the_closest_names():
    assert_problem(*ask("LMM: pain_scor ~ tme + (1 | patient)", sample="pain_trial"),
                   "pain_scor", "pain_score")


def test_a_non_numeric_outcome():
    assert_problem(*ask("LMM: treatment ~ time + (1 | patient)", sample="pain_trial"),
                   "treatment", "numeric")


def test_an_all_missing_outcome(tmp_path):
    frame = pain_frame().assign(pain_score=np.nan)
    assert_problem(*ask(FIT, data=write_csv(tmp_path, frame)), "pain_score", "every row is missing")


def test_a_grouping_factor_with_one_level(tmp_path):
    frame = pain_frame().assign(clinic="only_one")
    assert_problem(*ask("LMM: pain_score ~ time + (1 | clinic)", data=write_csv(tmp_path, frame)),
                   "clinic", "only 1 level")


def test_one_observation_per_level(tmp_path):
    frame = pain_frame()
    frame["visit_id"] = [f"v{i}" for i in range(len(frame))]
    assert_problem(*ask("LMM: pain_score ~ time + (1 | visit_id)",
                        data=write_csv(tmp_path, frame)), "visit_id", "as many levels")


def test_a_rank_deficient_fixed_part_fits_and_names_the_dropped_column(tmp_path):
    frame = pain_frame()
    frame["time_copy"] = frame["time"] * 2.0
    status, out, err = ask("LMM: pain_score ~ time + time_copy + (1 | patient)",
                           data=write_csv(tmp_path, frame))
    assert status == 0, err
    assert "Left out `time_copy`" in out
    assert "Traceback" not in out + err


def test_a_constant_predictor(tmp_path):
    frame = pain_frame().assign(site=5.0)
    status, out, err = ask("LMM: pain_score ~ time + site + (1 | patient)",
                           data=write_csv(tmp_path, frame))
    assert status == 0, err
    assert "Left out `site`" in out
    assert "Traceback" not in out + err


def test_predictors_of_scale_1e9_fit_and_suggest_rescaling(tmp_path):
    frame = pain_frame()
    frame["time_ns"] = frame["time"] * 1e9
    status, out, err = ask("LMM: pain_score ~ time_ns + treatment + (1 | patient)",
                           data=write_csv(tmp_path, frame))
    assert status == 0, err
    assert "`time_ns` is on a very different scale" in out
    assert "standardize time_ns" in out
    assert "Traceback" not in out + err


def test_infinite_values(tmp_path):
    frame = pain_frame()
    frame.loc[3, "pain_score"] = np.inf
    frame.loc[7, "pain_score"] = -np.inf
    assert_problem(*ask(FIT, data=write_csv(tmp_path, frame)), "2 infinite", "pain_score")


def test_missing_values_in_the_grouping_column_are_dropped_and_counted(tmp_path):
    frame = pain_frame()
    frame.loc[[0, 5, 9], "patient"] = np.nan
    status, out, err = ask(FIT, data=write_csv(tmp_path, frame))
    assert status == 0, err
    assert "It uses 284 observations" in out
    assert "3 rows with missing values were left out (3 missing patient)" in out
    assert "Traceback" not in out + err


def test_column_names_with_spaces_and_accents_in_backticks(tmp_path):
    frame = pain_frame().rename(columns={"pain_score": "pain score", "time": "Zeit (Monate)",
                                         "patient": "patiënt"})
    status, out, err = ask("LMM: `pain score` ~ `Zeit (Monate)` + (1 | `patiënt`)",
                           data=write_csv(tmp_path, frame))
    assert status == 0, err
    assert "per unit of Zeit (Monate)" in out
    assert "80 levels of `patiënt`" in out


def test_duplicated_column_names(tmp_path):
    path = tmp_path / "dup.csv"
    path.write_text("patient,time,time,pain_score\nP1,0,0,50\nP1,1,1,48\nP2,0,0,55\nP2,1,1,51\n")
    assert_problem(*ask("describe the data", data=path), "duplicated", "'time'")


def test_wide_to_long_asked_for_on_long_data():
    assert_problem(*ask("reshape from wide to long format", sample="pain_trial"), "long")


# --------------------------------------------------------------------------- bad requests
def test_empty_text():
    assert_problem(*ask("", sample="pain_trial"), "empty")


def test_gibberish():
    assert_problem(*ask("purple monkey dishwasher", sample="pain_trial"))


def test_unbalanced_parentheses():
    assert_problem(*ask("LMM: pain_score ~ time + (1 | patient", sample="pain_trial"),
                   "never closed")


def test_a_100000_character_request_is_answered_within_a_second():
    request = "LMM: pain_score ~ " + " + ".join(["time"] * 25_000)
    request = (request + " x" * 50_000)[:100_000]
    started = time.perf_counter()
    status, out, err = ask(request, sample="pain_trial")
    assert time.perf_counter() - started < 1.0
    assert_problem(status, out, err, "long")


def test_a_model_that_does_not_exist():
    assert_problem(*ask(FIT, "report variance components of model 7", sample="pain_trial"),
                   "model 7")


def test_plots_before_any_fit():
    assert_problem(*ask("caterpillar plot of random intercepts", sample="pain_trial"), "fit")


def test_comparisons_before_any_fit():
    assert_problem(*ask("compare AIC/BIC", sample="pain_trial"), "fit")


def test_unknown_formula_functions():
    assert_problem(*ask("LMM: pain_score ~ sin(time) + (1 | patient)", sample="pain_trial"),
                   "sin()", "not allowed")


INJECTIONS = [
    "LMM: pain_score ~ __import__('os').system('touch {canary}') + (1 | patient)",
    "LMM: pain_score ~ time.__class__ + (1 | patient)",
    "LMM: pain_score ~ open('{canary}', 'w') + (1 | patient)",
    "LMM: pain_score ~ I((lambda: open('{canary}', 'w'))()) + (1 | patient)",
    "LMM: pain_score ~ I([open('{canary}', 'w') for x in time]) + (1 | patient)",
    "load {canary}; __import__('os').system('touch {canary}')",
]


@pytest.mark.parametrize("template", INJECTIONS)
def test_code_injection_is_refused_and_runs_nothing(tmp_path, template):
    canary = tmp_path / "canary.txt"
    status, out, err = ask(template.format(canary=canary), sample="pain_trial")
    assert_problem(status, out, err)
    assert not canary.exists()


# --------------------------------------------------------------------------- real processes
def lmm_process(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, MPLBACKEND="Agg")
    return subprocess.run([sys.executable, "-m", "assistant.cli", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


def test_real_process_bad_file(tmp_path):
    done = lmm_process(["ask", "describe the data", "--data", "missing.csv"], tmp_path)
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.startswith("lmm: ") and "missing.csv" in done.stderr
    assert "Traceback" not in done.stderr


def test_real_process_injection_leaves_no_canary(tmp_path):
    canary = tmp_path / "canary.txt"
    done = lmm_process(["ask", INJECTIONS[0].format(canary=canary), "--sample", "pain_trial"],
                       tmp_path)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr + done.stdout
    assert not canary.exists()
