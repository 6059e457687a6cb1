"""Bootstrap and profile interval requests in a session: the plan, the numbers shown and
the words around them."""

from __future__ import annotations

import pytest

from assistant.narrate import numbers as fmt
from assistant.session import Session
from engine.bootstrap import parametric_bootstrap
from grammar import parse

SLOPES = "fit Reaction ~ Days + (Days | Subject)"
INTERCEPTS = "fit Reaction ~ Days + (1 | Subject)"


@pytest.fixture(scope="module")
def session():
    session = Session(sample="sleepstudy")
    assert session.ask(INTERCEPTS).ok
    assert session.ask(SLOPES).ok
    return session


@pytest.mark.parametrize(
    ("request_text", "fields"),
    [
        ("bootstrap confidence intervals", {}),
        ("parametric bootstrap CIs with 500 simulations", {"nsim": 500}),
        ("bootstrap CI for model 2", {"model": "2"}),
        ("bootstrapped CIs with 300 simulations, seed = 3", {"nsim": 300, "seed": 3}),
        ("show parametric bootstrap percentile confidence intervals with random seed 11",
         {"seed": 11}),
        ("95% bootstrap CIs with 100 draws", {"nsim": 100, "level": 0.95}),
    ],
)
def test_bootstrap_phrasings(request_text, fields):
    (step,) = parse(request_text).steps
    assert step.kind == "bootstrap_confint"
    expected = {"model": None, "level": None, "nsim": None, "seed": None, **fields}
    assert {k: getattr(step, k) for k in expected} == expected


def test_a_fractional_number_of_simulations_is_refused():
    with pytest.raises(ValueError, match="whole number of simulations"):
        parse("bootstrap CIs with 250.5 simulations")


def test_variance_component_intervals_are_the_profile_ones():
    for text in ("profile confidence intervals for the variance components",
                 "confidence intervals for the random effects parameters"):
        (step,) = parse(text).steps
        assert (step.kind, step.method) == ("confint", "profile")
    (step,) = parse("wald confidence intervals for the variance components").steps
    assert step.method == "wald"
    (step,) = parse("confidence intervals").steps
    assert step.method == "wald"


def test_the_answer_shows_the_engine_intervals(session):
    answer = session.ask("parametric bootstrap CIs with 100 simulations and seed 4")
    assert answer.ok, answer.error
    (outcome,) = answer.steps
    report = outcome.result.result
    fit = session.models[2].fit
    direct = parametric_bootstrap(fit, 100, seed=4)
    assert report.bootstrap.to_dict() == direct.to_dict()
    text = answer.text()
    days = direct.interval("Days")
    se = next(fe.se for fe in fit.fixed_effects if fe.term == "Days")
    assert fmt.interval(days.lower, days.upper, se) in text
    sd = direct.interval("sd_Days|Subject")
    assert fmt.interval(sd.lower, sd.upper) in text
    wald = fit.confint("wald").set_index("parameter")
    assert fmt.interval(wald.loc["Days", "lower"], wald.loc["Days", "upper"], se) in text
    profile = fit.confint("profile").set_index("parameter")
    sigma = profile.loc["sigma"]
    assert fmt.interval(sigma["lower"], sigma["upper"]) in text
    assert "100 times" in text and "seed was 4" in text and "`with seed 4`" in text
    assert direct.n_failed == 0 and direct.n_not_converged == 0
    if direct.n_singular:
        verb = "was" if direct.n_singular == 1 else "were"
        assert f"Of the 100 refits, {direct.n_singular} {verb} singular" in text
    else:
        assert "All 100 refits converged, none of them singular." in text
    assert "takes the fitted model as true" in text
    (data,) = answer.to_json()
    assert data["kind"] == "bootstrap_confint" and data["model"]["number"] == 2
    assert (data["nsim"], data["seed"], data["method"]) == (100, 4, "REML")
    assert [row["parameter"] for row in data["profile"]] == direct.parameters
    assert [row["parameter"] for row in data["wald"]] == ["(Intercept)", "Days"]


def test_model_level_and_default_seed(session):
    answer = session.ask("90% bootstrap CI for model 1 with 60 simulations")
    assert answer.ok, answer.error
    report = answer.steps[0].result.result
    assert answer.steps[0].result.model.number == 1
    assert report.bootstrap.level == 0.9 and report.bootstrap.seed == 1
    assert report.bootstrap.parameters[0] == "sd_(Intercept)|Subject"
    assert "90% parametric bootstrap confidence intervals for Model 1" in answer.text()
    assert "5th to the 95th percentile" in answer.text()


def test_too_few_simulations_is_one_sentence(session):
    answer = session.ask("bootstrap CIs with 10 simulations")
    assert not answer.ok
    assert "needs between 39 and" in str(answer.error)
