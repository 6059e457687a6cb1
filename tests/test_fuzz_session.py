"""Random requests over random small data: only the user-facing error may come out.

Requests are assembled from fragments of the request language (verbs, model
references, formulas from random column names and operators, options, reports,
separators) mixed with punctuation and garbage; the data are small random frames with
numeric and text columns, possibly holding NaN and infinities. For every request
``Session.ask`` must return (never raise), every rendering must work, a failure must be
an :class:`AssistantError` that is not an internal error, and a failed step must leave
the session as it was: models and data sets from before are kept, and only the steps
reported as done changed anything.

``make test`` runs a fixed, derandomized number of examples; ``make fuzz`` runs many more
(``LMM_FUZZ_EXAMPLES``). Crashes found this way are kept as explicit regression tests
at the end of this file.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from session_state import assert_same_state, snapshot

from assistant.errors import AssistantError
from assistant.session import Session
from assistant.step_results import DatasetLoaded, FitOutcome, OptionChanged

EXAMPLES = int(os.environ.get("LMM_FUZZ_EXAMPLES", "60"))

NUMERIC_NAMES = ("y", "score", "time", "x", "age", "dose")
TEXT_NAMES = ("g", "subject", "site", "arm")
#: Names that are never columns of the generated data.
STRANGER_NAMES = ("tme", "`pain score`", "`âge`", "Subject", "z9", "_", "__class__", "x.y")

VERBS = (
    "fit", "LMM:", "lmm", "LMM with random slope:", "estimate", "compare", "plot", "show",
    "report", "refit", "rerun", "add", "remove", "drop", "center", "scale", "standardize",
    "log transform", "treat", "use", "load", "describe the data", "reshape to long",
    "help", "explain", "set", "save figures to", "check the assumptions",
    "fix the convergence problem", "simplify the model", "what is", "lmer(",
)
MODEL_REFS = (
    "model 1", "model 2", "model 3", "model 0", "model 99", "m1", "the last model",
    "both models", "all models", "the random slope model", "the random intercept model",
    "it", "the second model",
)
OPTIONS = (
    "using ML", "with REML", "with Kenward-Roger", "with Satterthwaite", "using bobyqa",
    "with nelder mead", "with 3 iterations", "with 0 iterations", "at 90% confidence",
    "at 250% confidence", "as svg", "as png", "REML = FALSE", "called first",
)
REPORTS = (
    "the fixed effects", "variance components", "the ICC", "the BLUPs", "type III tests",
    "profile confidence intervals", "95% confidence intervals", "predictions",
    "missing data", "caterpillar plot", "residual plot", "QQ plot of the residuals",
    "trajectory plot", "fixed effect trajectory with 95% CI band", "AIC/BIC",
    "likelihood ratio test", "RM-ANOVA side by side", "what if I ignore clustering",
    "random intercept model", "random slope model", "intercept + slope",
    "a random slope for time", "the interaction", "sample pain_trial", "sample dataset",
    "how many observations per subject",
)
SEPARATORS = (";", " and ", ", then ", "\n", ". ", " then ", ", ")
OPERATORS = ("+", "*", ":", "-", "/", "^2", "+ 0", "- 1", "%in%", "||", "|")
FUNCTIONS = (
    "log", "I", "poly", "scale", "factor", "center", "exp", "sqrt", "abs", "log1p",
    "foo", "eval", "__import__", "open", "lambda",
)
PUNCTUATION = tuple("()[]{}|~+-*/:^,.;!?'\"`$#@%&=<>") + ("((", "))", "~~", "||", "\\")
#: Garbage never holds a path separator: a random "save figures to /x" must not write
#: outside the test's own folder.
GARBAGE = st.text(
    alphabet=st.characters(blacklist_characters="/\\~", blacklist_categories=("Cs",)),
    max_size=12,
)


# ------------------------------------------------------------------------ data
@st.composite
def frames(draw) -> pd.DataFrame:
    """1-30 rows; 1-3 numeric columns (maybe with NaN/inf) and 0-2 text columns."""
    n = draw(st.integers(1, 30))
    numeric = draw(st.lists(st.sampled_from(NUMERIC_NAMES), min_size=1, max_size=3, unique=True))
    texts = draw(st.lists(st.sampled_from(TEXT_NAMES), min_size=0, max_size=2, unique=True))
    columns: dict[str, object] = {}
    for name in numeric:
        values = np.array(
            draw(st.lists(st.floats(-100, 100, allow_nan=False), min_size=n, max_size=n))
        )
        if draw(st.booleans()):
            values = np.round(values)
        specials = []
        if draw(st.integers(0, 3)) == 0:
            specials = draw(
                st.lists(
                    st.tuples(st.integers(0, n - 1), st.sampled_from([np.nan, np.inf, -np.inf])),
                    max_size=3,
                )
            )
        for row, value in specials:
            values[row] = value
        columns[name] = values
    for name in texts:
        levels = [f"L{i}" for i in range(draw(st.integers(1, 6)))]
        values = draw(
            st.lists(st.sampled_from([*levels, None]), min_size=n, max_size=n)
        )
        columns[name] = pd.Series(values, dtype=object)
    return pd.DataFrame(columns)


# -------------------------------------------------------------------- requests
def column_names(data_columns: list[str]):
    """Mostly the data's own columns, sometimes a name the data do not have."""
    own = st.sampled_from(data_columns)
    return st.one_of(own, own, st.sampled_from(STRANGER_NAMES))


@st.composite
def formulas(draw, data_columns: list[str]) -> str:
    """A formula-like text: often valid lme4, often not."""
    name = column_names(data_columns)

    def term() -> str:
        text = draw(name)
        if draw(st.integers(0, 4)) == 0:
            function = draw(st.sampled_from(FUNCTIONS))
            extra = draw(st.sampled_from(["", ", 2", ", 0", ")", ""]))
            text = f"{function}({text}{extra})"
        return text

    fixed = term()
    for _ in range(draw(st.integers(0, 3))):
        operator = draw(st.sampled_from(("+", "+", "*", *OPERATORS)))
        fixed += f" {operator} {term()}"
    random_part = draw(
        st.sampled_from(
            [
                "(1 | {g})", "(1 | {g})", "({x} | {g})", "(1 + {x} || {g})", "(1 | {g}/{h})",
                "(1 | {g}:{h})", "(0 + {x} | {g})", "(1 | {g}) + (1 | {h})", "",
                "(1 | {g}", "1 | {g})", "(| {g})",
            ]
        )
    ).format(g=draw(name), h=draw(name), x=draw(name))
    response = draw(name)
    tilde = draw(st.sampled_from(["~", "~", "~", "~", "", "~~", "="]))
    joiner = " + " if random_part else ""
    return f"{response} {tilde} {fixed}{joiner}{random_part}".strip()


#: Clauses of the request language with holes: {f} formula, {c}/{d} columns, {r} model
#: reference, {o} option, {n} number.
TEMPLATES = (
    "LMM: {f}", "LMM: {f}", "fit {f} {o}", "{f}", "LMM with random slope: {f}",
    "lmer({f}, REML = FALSE)", "fit a random intercept model", "fit a random slope model",
    "fit a random slope for {c} by {d}", "fit 2 models: (1) random intercept, (2) random slope",
    "random intercept model of {c} on {d} with {c} as the grouping variable",
    "show the fixed effects of {r}", "report variance components", "report the ICC of {r}",
    "show the BLUPs", "type III tests with Kenward-Roger", "profile confidence intervals",
    "{n}% confidence intervals for {r}", "show predictions", "report missing data",
    "report how many observations per {c}", "caterpillar plot of random intercepts",
    "plot fixed effect trajectory with 95% CI band", "plot predictions by {c}",
    "plot the residuals of {r}", "QQ plot of the residuals", "check the assumptions",
    "compare AIC/BIC", "likelihood ratio test", "compare {r} and {r}", "compare models 1 and 2",
    "compare to listwise deletion RM-ANOVA", "what if I ignore clustering",
    "add a random slope for {c}", "remove the random slope", "make the random effects uncorrelated",
    "add {c} as a covariate", "drop the interaction", "remove {c} from {r}", "refit {r} {o}",
    "fix the convergence problem", "try a different optimizer", "simplify the model",
    "use ML", "use Kenward-Roger", "set max iterations to {n}", "set the confidence level to {n}%",
    "save plots as svg", "center {c}", "scale {c}", "standardize the predictors",
    "log transform {c}", "treat {c} as a factor", "describe the data",
    "reshape from wide to long format", "reshape to long with id column {c}",
    "use sample pain_trial", "use sample sleepstudy", "help", "what is the ICC?",
)
NUMBERS = ("0", "1", "2", "5", "50", "90", "95", "100", "1e9", "-3", "0.5", "99.9")


@st.composite
def clauses(draw, data_columns: list[str]) -> str:
    """A template clause, sometimes with a garbage fragment put in somewhere."""
    template = draw(st.sampled_from(TEMPLATES))
    fill: dict[str, str] = {}
    for hole in ("f", "c", "d", "r", "o", "n"):
        if "{" + hole + "}" in template:
            fill[hole] = draw(
                {
                    "f": formulas(data_columns), "c": column_names(data_columns),
                    "d": column_names(data_columns), "r": st.sampled_from(MODEL_REFS),
                    "o": st.sampled_from(("", *OPTIONS)), "n": st.sampled_from(NUMBERS),
                }[hole]
            )
    text = template.format(**fill)
    if draw(st.integers(0, 3)) == 0:
        words = text.split(" ")
        at = draw(st.integers(0, len(words)))
        noise = draw(st.one_of(st.sampled_from(PUNCTUATION), GARBAGE, st.sampled_from(VERBS)))
        text = " ".join([*words[:at], noise, *words[at:]])
    return text


@st.composite
def soups(draw, data_columns: list[str]) -> str:
    """Fragments of the language thrown together."""
    fragment = st.one_of(
        st.sampled_from(VERBS),
        formulas(data_columns),
        st.sampled_from(MODEL_REFS),
        st.sampled_from(OPTIONS),
        st.sampled_from(REPORTS),
        column_names(data_columns),
        st.sampled_from(PUNCTUATION),
        GARBAGE,
    )
    return " ".join(draw(st.lists(fragment, min_size=1, max_size=4)))


@st.composite
def requests(draw, data_columns: list[str]) -> str:
    clause = st.one_of(clauses(data_columns), clauses(data_columns), soups(data_columns))
    text = draw(clause)
    for _ in range(draw(st.integers(0, 2))):
        text += draw(st.sampled_from(SEPARATORS)) + draw(clause)
    return text


@st.composite
def conversations(draw) -> tuple[pd.DataFrame, list[str]]:
    """A data set and 1-4 requests, often opened by a plain model on its columns."""
    frame = draw(frames())
    columns = [str(c) for c in frame.columns]
    said = draw(st.lists(requests(columns), min_size=1, max_size=3))
    if draw(st.booleans()):
        response, *rest = columns
        group = rest[-1] if rest else response
        said.insert(0, f"LMM: {response} ~ {' + '.join(rest[:-1]) or '1'} + (1 | {group})")
    return frame, said


# ---------------------------------------------------------------------- checks
def render_everything(answer) -> None:
    """Every front end's view of the answer works and shows no traceback."""
    for level in ("brief", "detailed"):
        text = answer.text(level)
        assert "Traceback" not in text
        answer.markdown(level)
        answer.html(level)
    json.dumps(answer.to_json())


def check_state_after(before: dict, before_models: dict, session: Session, answer) -> None:
    """A failed request changed only what its done steps report."""
    done = [o for o in answer.steps if o.status == "done"]
    if not done:
        assert_same_state(before, session)
        return
    after = snapshot(session)
    for number, model in before_models.items():  # models are never lost or replaced
        assert session.models[number] is model
    new_fits = sum(isinstance(o.result, FitOutcome) for o in done)
    assert len(after["models"]) == len(before["models"]) + new_fits
    replaced = {o.result.name for o in done if isinstance(o.result, DatasetLoaded)}
    for name, frame in before["datasets"].items():
        assert name in session.datasets
        if name not in replaced:
            assert session.datasets[name].equals(frame), name
    if not any(isinstance(o.result, OptionChanged) for o in done):
        assert after["options"] == before["options"]


def converse(frame: pd.DataFrame, said: list[str], folder: Path) -> None:
    session = Session(data=frame, output_dir=folder / "out")
    for text in said:
        before = snapshot(session)
        before_models = dict(session.models)
        answer = session.ask(text)  # must never raise
        render_everything(answer)
        if answer.ok:
            continue
        assert isinstance(answer.error, AssistantError)
        assert "Internal error" not in str(answer.error), (text, str(answer.error))
        check_state_after(before, before_models, session, answer)


@pytest.mark.fuzz
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(conversations())
def test_random_requests_on_random_data_give_only_clear_answers(conversation):
    frame, said = conversation
    with tempfile.TemporaryDirectory() as folder, contextlib.chdir(folder):
        converse(frame, said, Path(folder))


@pytest.mark.fuzz
@settings(max_examples=max(10, EXAMPLES // 4), deadline=None, derandomize=True)
@given(frames())
def test_a_valid_model_on_random_data_fits_or_says_why(frame):
    """The request is always well formed; only the data are hostile."""
    numeric = [c for c in frame.columns if c in NUMERIC_NAMES]
    texts = [c for c in frame.columns if c in TEXT_NAMES]
    group = texts[0] if texts else numeric[-1]
    formula = f"LMM: {numeric[0]} ~ {' + '.join(numeric[1:]) or '1'} + (1 | {group})"
    with tempfile.TemporaryDirectory() as folder, contextlib.chdir(folder):
        converse(frame, [formula, "show the fixed effects", "compare AIC/BIC"], Path(folder))


#: Built-in samples with a model to open the conversation, so reports and plots have a
#: model to work on.
SAMPLES = {
    "pain_trial": "LMM: pain_score ~ time + treatment + (1 | patient)",
    "sleepstudy": "LMM: Reaction ~ Days + (Days | Subject)",
    "pain_wide": "reshape from wide to long format",
}


@st.composite
def sample_conversations(draw) -> tuple[str, list[str]]:
    name = draw(st.sampled_from(sorted(SAMPLES)))
    from engine.samples import load_sample

    columns = [str(c) for c in load_sample(name).columns]
    said = [SAMPLES[name], *draw(st.lists(clauses(columns), min_size=1, max_size=3))]
    return name, said


@pytest.mark.fuzz
@settings(
    max_examples=max(10, EXAMPLES // 3),
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(sample_conversations())
def test_random_requests_after_a_real_model_give_only_clear_answers(conversation):
    """On a sample with a fitted model the requests reach reports, plots and comparisons."""
    name, said = conversation
    from engine.samples import load_sample

    with tempfile.TemporaryDirectory() as folder, contextlib.chdir(folder):
        converse(load_sample(name), said, Path(folder))


# ----------------------------------------------------- regressions found by fuzzing
def test_nlopt_giving_up_is_a_fit_that_did_not_converge(tmp_path):
    """NLopt raised RoundoffLimited here (found by the fuzz test): now the best point it
    reached is kept, flagged as not converged, and the ladder takes over."""
    x = [0.0, 0.0, 0.0, 0.0, np.nan, 0.0, -0.0, 76.0, 0.0, 36.0, 2.0, 44.0, -0.0, 65.0,
         -22.0, 100.0, -90.0, 0.0, 59.0, 28.0, 100.0, 0.0, -1.0, 4.0]
    score = [-0.0, -0.0, 20.0, -0.0, np.nan, 3.0, -0.0, -41.0, 0.0, 0.0, 15.0, 66.0, -0.0,
             -95.0, 57.0, -0.0, 69.0, -0.0, 65.0, 0.0, -16.0, 11.0, 0.0, -9.0]
    dose = [0.0, 0.0, 0.0, 0.0, -1.1457430218288288e-116, 3.0425852710762442e-267,
            -2.2553703475543464e-109, 76.44011561650962, 1.941885790413014e-179,
            36.12715033868909, 1.5, 44.401082806775946, -3.476915081266191e-72,
            65.49739441702113, -21.712117398070703, 99.99999999999999, -90.12355648733163,
            3.9692558068710155e-286, 59.42753882836783, 28.0, 99.76745710514194,
            2.6041625651584605e-92, -1.1, 3.8313335546070277]
    frame = pd.DataFrame({"x": x, "score": score, "dose": dose})
    session = Session(data=frame, output_dir=tmp_path)
    answer = session.ask("LMM: x ~ score + (1 | dose)")
    assert answer.ok, answer.text()
    assert session.models[1].fit.nobs == 23
    render_everything(answer)


def test_an_outcome_grouped_by_itself_gets_an_answer(tmp_path):
    score = [-17.0, 33.0, -6.0, 55.0, 100.0, 0.0, -3.0, 0.0, 100.0, 52.0, -31.0, -2.0, 52.0,
             48.0, -82.0, -86.0, -16.0, -0.0, 100.0, 0.0, -0.0, 0.0]
    session = Session(data=pd.DataFrame({"score": score}), output_dir=tmp_path)
    answer = session.ask("LMM: score ~ 1 + (1 | score)")
    assert answer.ok, answer.text()
    assert session.models[1].fit.ngroups == {"score": 14}
    render_everything(answer)


def test_no_more_observations_than_coefficients_is_refused(tmp_path):
    """Found by the fuzz test: 3 usable rows for 3 coefficients divided by n - p = 0."""
    frame = pd.DataFrame(
        {
            "y": [0.0, 0.0, 0.0, 0.0, 0.0, 1.0],
            "g": ["L0", "L1", None, None, None, "L2"],
            "subject": ["L0", "L0", "L0", "L0", "L0", "L1"],
        }
    )
    session = Session(data=frame, output_dir=tmp_path)
    before = snapshot(session)
    answer = session.ask("LMM: y ~ g + (1 | subject)")
    assert not answer.ok
    assert str(answer.error) == (
        "The model has 3 fixed-effect coefficient(s) but only 3 usable observation(s) "
        "(3 row(s) with missing values were left out), so nothing is left to estimate the "
        "variances; use fewer predictors or more data."
    )
    assert_same_state(before, session)


def test_a_convergence_audit_is_json_safe(tmp_path):
    """Found by the fuzz test: the audit of `fix the convergence problem` had no to_dict()."""
    frame = pd.DataFrame(
        {"y": [0.0] * 10 + [1.0], "g": ["L0"] * 11, "subject": ["L0"] * 10 + ["L1"]}
    )
    session = Session(data=frame, output_dir=tmp_path)
    assert session.ask("LMM: y ~ g + (1 | subject)").ok
    answer = session.ask("fix the convergence problem")
    assert answer.ok, answer.text()
    items = json.loads(json.dumps(answer.to_json()))
    # the audit is its own item when the model stays, and rides on the new fit when a
    # remedy gave a better optimum (which one happens depends on the optimizer's path)
    audit = next(
        i if i["kind"] == "convergence_audit" else i["convergence_audit"]
        for i in items
        if i["kind"] == "convergence_audit" or "convergence_audit" in i
    )
    assert audit["requested_formula"] == "y ~ g + (1 | subject)"
    assert [step["kind"] for step in audit["steps"]][0] == "check_optimum"
