"""A session on the built-in samples runs the requests users type (the seed page's table)."""

from __future__ import annotations

import json
import re
from types import SimpleNamespace

import pytest

from assistant.session import Session
from tests.conftest import ask_ok


def step(kind: str, **fields):
    return SimpleNamespace(kind=kind, **fields)


def plan(*steps):
    return SimpleNamespace(request="test", steps=steps)


@pytest.fixture()
def session(tmp_path):
    return Session(sample="pain_trial", output_dir=tmp_path)


@pytest.fixture(scope="module")
def pain(tmp_path_factory):
    """One pain_trial session shared by the seed requests, with a model already fitted
    so that each test also runs on its own."""
    session = Session(sample="pain_trial", output_dir=tmp_path_factory.mktemp("figures"))
    assert session.ask("LMM: pain_score ~ time + treatment + (1 | patient)").ok
    return session



def test_random_intercept_request(pain):
    answer = ask_ok(pain, "LMM: pain_score ~ time + treatment + (1 | patient)")
    fit = answer.steps[0].result.fit
    text = answer.text()
    assert answer.to_json()[0] == json.loads(json.dumps(fit.to_dict()))
    assert "random intercept model" in text
    assert "lower for treated vs control" in text
    assert re.search(r"ICC = 0\.\d\d", text)


def test_random_slope_request(pain):
    answer = ask_ok(pain, "LMM with random slope: pain_score ~ time + (1 + time | patient)")
    assert "no single ICC" in answer.text() or "singular" in answer.text()


def test_interaction_request(pain):
    answer = ask_ok(pain, "LMM: pain_score ~ time * treatment + (1 | patient)")
    assert "slope of pain_score was" in answer.text()


def test_seed_model_comparison_right_after_loading(tmp_path):
    session = Session(sample="pain_trial", output_dir=tmp_path)
    fits = ask_ok(
        session, "fit 3 models: (1) random intercept, (2) random slope, (3) intercept + slope"
    )
    assert [o.kind for o in fits.steps] == ["fit_lmm"] * 3
    # "random slope" next to "intercept + slope" is the uncorrelated pair: nested models
    assert [m.structure for m in session.models.values()] == [
        "random_intercept",
        "uncorrelated_slope",
        "intercept_and_slope",
    ]
    answer = ask_ok(session, "compare AIC/BIC; likelihood ratio test")
    comparison = answer.steps[-1].result
    text = answer.text()
    assert "AIC" in text and "BIC" in text and "χ²(" in text
    table = comparison.comparison.table
    best = table["AIC"].idxmin()
    assert f"AIC is lowest for model {comparison.models[best].number}" in text
    for model, (_, row) in zip(comparison.models, table.iterrows(), strict=True):
        assert model.fit.formula == row["formula"]


def test_seed_variance_components_and_caterpillar(pain):
    answer = ask_ok(
        pain,
        "report variance components: random intercept variance, residual variance, ICC; "
        "caterpillar plot of random intercepts",
    )
    assert answer.figures and all(p.is_file() for p in answer.figures)
    text = answer.text()
    assert "residual variance" in text and "ICC" in text
    assert "sit above average" in text


def test_seed_missing_data_and_rm_anova(pain):
    answer = ask_ok(
        pain,
        "LMM handles missing data; report how many observations per subject; "
        "compare to listwise deletion RM-ANOVA",
    )
    text = answer.text()
    assert "Listwise deletion" in text
    assert "RM-ANOVA keeps only subjects seen at every level of time" in text


def test_seed_trajectory_with_blups(pain):
    answer = ask_ok(
        pain,
        "plot fixed effect trajectory with 95% CI band; overlay individual BLUPs for each subject",
    )
    assert answer.figures and answer.figures[0].is_file()
    assert "95% confidence band" in answer.text()
    assert "<img" in answer.html()


def test_ignoring_clustering_and_help(pain):
    answer = ask_ok(pain, "what if I ignore clustering")
    assert "Design effect" in answer.text()
    assert "REML" in ask_ok(pain, "should I use ML or REML?").text()


def test_wide_data_reshaped_then_fitted(tmp_path):
    session = Session(sample="pain_wide", output_dir=tmp_path)
    ask_ok(session, "reshape from wide to long format first")
    assert session.current_data_name.endswith("_long")
    assert {"patient", "time"} <= set(session.column_names())


def test_clustered_cross_sectional_schools(tmp_path):
    session = Session(sample="schools", output_dir=tmp_path)
    answer = ask_ok(session, "LMM: test_score ~ SES + school_size + (1 | school)")
    assert "for each school" in answer.text()


def test_unreadable_request_is_an_answer_not_an_exception(pain):
    before = dict(pain.models)
    answer = pain.ask("please frobnicate the zorgs")
    assert not answer.ok and answer.plan is None
    assert str(answer.error)
    assert pain.models == before
    assert pain.history[-1] is answer


def test_session_sources_and_columns(tmp_path):
    data_file = tmp_path / "visits.csv"
    Session(sample="sleepstudy").data.to_csv(data_file, index=False)
    from_file = Session(data_path=data_file)
    assert from_file.current_data_name == "visits"
    assert from_file.column_names() == ["Reaction", "Days", "Subject"]
    assert Session().column_names() == []


# ------------------------------------------------- models built from words
def test_structure_models_on_fresh_data_start_from_the_sample_model(session):
    session.run(
        plan(
            step("fit_lmm", structure="random_intercept"),
            step("fit_lmm", structure="random_slope"),
            step("fit_lmm", structure="intercept_and_slope"),
        )
    )
    formulas = [m.fit.formula for m in session.models.values()]
    assert formulas == [
        "pain_score ~ time + treatment + (1 | patient)",
        "pain_score ~ time + treatment + (1 + time || patient)",
        "pain_score ~ time + treatment + (1 + time | patient)",
    ]


def test_a_lone_random_slope_request_keeps_the_intercept(session):
    session.run(plan(step("fit_lmm", formula="pain_score ~ time + treatment + (1 | patient)")))
    answer = session.run(plan(step("fit_lmm", structure="random_slope")))
    assert session.models[2].fit.formula == "pain_score ~ time + treatment + (1 + time | patient)"
    assert "keeps the random intercept" in answer.text()


def test_structure_from_unnamed_data_guesses_roles(tmp_path):
    data = Session(sample="sleepstudy").data
    session = Session(data=data, output_dir=tmp_path)
    answer = session.run(plan(step("fit_lmm", structure="random_intercept")))
    assert answer.ok, answer.error
    assert session.models[1].fit.formula == "Reaction ~ Days + (1 | Subject)"
    assert "I built this formula from the data" in answer.text()


def test_every_request_the_help_shows_can_be_read():
    from assistant.help_topics import TOPICS
    from grammar.parse import parse

    shown = [e for topic in TOPICS.values() for e in topic.examples]
    for paragraph in (p for topic in TOPICS.values() for p in topic.paragraphs):
        shown += [code for code in re.findall(r"`([^`]+)`", paragraph) if code.startswith("help")]
    assert len(shown) > 30
    for request in shown:
        assert parse(request).steps, request


def test_subject_as_a_word_means_the_grouping_factor(tmp_path):
    session = Session(sample="pain_trial", output_dir=tmp_path)
    answer = ask_ok(session, "fit a random slope for time by subject")
    assert session.models[1].fit.formula == "pain_score ~ time + treatment + (1 + time | patient)"
    assert "random slope" in answer.text()
