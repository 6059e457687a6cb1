"""The ``lmm`` command line (CONTRACTS §1): commands, options, JSON and exit status."""

from __future__ import annotations

import io
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.cli import build_parser, main

FIT = "LMM: pain_score ~ time + treatment + (1 | patient)"
COMMANDS = ("chat", "ask", "plan", "replay", "samples")


def run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main(argv, stdout=out, stderr=err)
    return status, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def fit_json(tmp_path_factory) -> list[dict]:
    out_dir = tmp_path_factory.mktemp("out")
    status, out, err = run(["ask", FIT, "caterpillar plot of random intercepts",
                            "--sample", "pain_trial", "--json", "--out", str(out_dir)])
    assert status == 0, err
    return json.loads(out)


def test_every_command_has_help(capsys):
    for command in COMMANDS:
        assert main([command, "--help"]) == 0
        assert f"usage: lmm {command}" in capsys.readouterr().out
    assert main(["--help"]) == 0
    top = capsys.readouterr().out
    assert all(command in top for command in COMMANDS)


def test_the_contract_options_exist():
    parser = build_parser()
    ask = parser.parse_args(["ask", "a", "b", "--sample", "x", "--json", "--out", "d",
                             "--detailed"])
    assert (ask.requests, ask.sample, ask.json, ask.out, ask.detailed) == \
        (["a", "b"], "x", True, "d", True)
    assert parser.parse_args(["ask", "a"]).out == "lmm-output"
    assert parser.parse_args(["chat", "--data", "f.csv"]).data == "f.csv"
    assert parser.parse_args(["plan", "r", "--json"]).json is True
    assert parser.parse_args(["replay", "a.txt", "b.txt", "--update"]).files == ["a.txt", "b.txt"]


def test_usage_errors_exit_2(capsys):
    assert main([]) == 2
    assert main(["ask"]) == 2
    assert main(["ask", "x", "--data", "a.csv", "--sample", "pain_trial"]) == 2
    assert "Traceback" not in capsys.readouterr().err


def test_ask_prints_the_narrated_answer():
    status, out, err = run(["ask", FIT, "--sample", "pain_trial"])
    assert status == 0, err
    assert err == ""
    assert "treatment" in out and "time" in out


def test_ask_json_is_one_array_with_the_fit_as_in_contracts(fit_json):
    fits = [item for item in fit_json if item["kind"] == "lmm_fit"]
    assert len(fits) == 1
    fit = fits[0]
    for key in ("formula", "method", "nobs", "ngroups", "criterion", "loglik", "aic", "bic",
                "npar", "sigma", "theta", "converged", "singular", "warnings", "ddf_method",
                "fixed_effects", "variance_components", "random_effects", "icc"):
        assert key in fit
    assert fit["method"] == "REML"
    assert fit["ngroups"] == {"patient": 80}
    terms = [row["term"] for row in fit["fixed_effects"]]
    assert terms[0] == "Intercept" or terms[0] == "(Intercept)"
    assert fit["variance_components"][-1]["group"] == "Residual"
    assert 0 < fit["icc"] < 1
    assert math.isclose(fit["aic"], fit["criterion"] + 2 * fit["npar"], rel_tol=1e-9)


def test_ask_json_fit_is_exactly_the_engines_to_dict(fit_json):
    from engine import fit_lmm
    from engine.samples import load_sample

    fit = next(item for item in fit_json if item["kind"] == "lmm_fit")
    direct = fit_lmm(FIT.removeprefix("LMM: "), load_sample("pain_trial")).to_dict()
    assert json.loads(json.dumps(direct)) == fit


def test_ask_json_fit_carries_the_convergence_ladder_when_it_ran():
    """A singular fit runs the ladder: the JSON keeps every remedy, as the text tells it."""
    singular = "LMM: pain_score ~ time + treatment + (1 + time | patient)"
    status, out, err = run(["ask", singular, "--sample", "pain_trial", "--json"])
    assert status == 0, err
    (fit,) = json.loads(out)
    assert fit["kind"] == "lmm_fit" and fit["singular"] is True
    audit = fit["convergence_audit"]
    assert audit["kind"] == "convergence_audit"
    assert audit["requested_formula"] == singular.removeprefix("LMM: ")
    assert audit["final_formula"] == "pain_score ~ time + treatment + (1 | patient)"
    assert audit["changes"] == ["uncorrelated:patient", "dropped_slope:time|patient"]
    kinds = [step["kind"] for step in audit["steps"]]
    assert kinds[0] == "check_optimum" and kinds[-2:] == ["uncorrelated", "drop_slope"]
    assert audit["final_fit"]["formula"] == audit["final_formula"]
    # the model kept is still the one asked for
    assert fit["formula"] == audit["requested_formula"]


def test_ask_json_plain_fit_has_no_ladder(fit_json):
    fit = next(item for item in fit_json if item["kind"] == "lmm_fit")
    assert "convergence_audit" not in fit


def test_ask_json_has_one_object_per_step_and_figures_go_to_out(fit_json, tmp_path):
    kinds = [item["kind"] for item in fit_json]
    assert kinds[0] == "lmm_fit"
    assert len(kinds) == 2


def test_figures_go_to_the_out_folder(tmp_path):
    status, out, err = run(["ask", FIT, "caterpillar plot of random intercepts",
                            "--sample", "pain_trial", "--out", str(tmp_path / "figs")])
    assert status == 0, err
    figures = list((tmp_path / "figs").glob("*.png"))
    assert len(figures) == 1
    assert figures[0].name in out


def test_requests_after_a_failed_one_are_not_run():
    status, out, err = run(["ask", FIT, "LMM: pain_score ~ tme + (1 | patient)",
                            "describe the data", "--sample", "pain_trial"])
    assert status == 2
    assert "treatment" in out  # the first answer was printed
    assert err.startswith("lmm: request 2: ")
    assert "tme" in err
    assert "Traceback" not in out + err


def test_plan_readable_and_json():
    from grammar.parse import parse

    status, out, _ = run(["plan", FIT])
    assert status == 0
    assert out.strip() == parse(FIT).describe().strip()
    status, out, _ = run(["plan", FIT, "--json"])
    assert status == 0
    plan = json.loads(out)
    assert plan["request"] == FIT
    assert plan["steps"][0]["kind"] == "fit_lmm"
    assert plan["steps"][0]["formula"].replace(" ", "") == \
        "pain_score~time+treatment+(1|patient)"


def test_plan_of_gibberish_exits_2():
    status, out, err = run(["plan", "purple monkey dishwasher"])
    assert status == 2
    assert out == ""
    assert err.startswith("lmm: ")
    assert "Traceback" not in err


def test_samples_one_line_each():
    from engine.samples import list_samples

    status, out, _ = run(["samples"])
    assert status == 0
    lines = out.strip().splitlines()
    names = [sample.name for sample in list_samples()]
    assert len(lines) == len(names)
    assert [line.split()[0] for line in lines] == names
    assert "pain_trial" in names


def test_console_script_runs_in_a_real_process(tmp_path):
    script = Path(sys.executable).parent / "lmm"
    command = [str(script)] if script.exists() else [sys.executable, "-m", "assistant.cli"]
    done = subprocess.run([*command, "plan", FIT, "--json"], cwd=tmp_path, capture_output=True,
                          text=True, env=dict(os.environ, MPLBACKEND="Agg"), timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["steps"][0]["kind"] == "fit_lmm"


def test_the_demo_is_the_opening_of_the_walkthrough_transcript():
    """``make demo`` says what the replayed walk-through says, so its answers are tested."""
    from assistant.demo import DEMO_REQUESTS
    from assistant.replay import read_transcript

    walkthrough = Path(__file__).resolve().parent.parent / "transcripts" / \
        "pain_trial_walkthrough.txt"
    requests = [e.request for e in read_transcript(walkthrough).exchanges]
    assert requests[: len(DEMO_REQUESTS)] == list(DEMO_REQUESTS)


def test_json_after_a_failed_request_holds_the_steps_that_ran():
    status, out, err = run(["ask", FIT, "LMM: pain_score ~ tme + (1 | patient)",
                            "--sample", "pain_trial", "--json"])
    assert status == 2
    assert [item["kind"] for item in json.loads(out)] == ["lmm_fit"]
    assert "tme" in err and "Traceback" not in err
