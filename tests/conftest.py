"""Shared fixtures: the lme4 reference material beside the repository, asking a session
a request that must succeed, and one session per sample with its usual model fitted."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
REFERENCE_CANDIDATES = (
    REPO_ROOT.parent / "shared" / "reference",
    Path("/work/shared/reference"),
)


def find_reference_dir() -> Path:
    for candidate in REFERENCE_CANDIDATES:
        if (candidate / "cases").is_dir():
            return candidate
    tried = ", ".join(str(c) for c in REFERENCE_CANDIDATES)
    pytest.fail(f"The lme4 reference material was not found (looked in {tried}).")


@pytest.fixture(scope="session")
def reference_dir() -> Path:
    """The shared lme4/lmerTest ground truth (../shared/reference from the repo root)."""
    return find_reference_dir()


@pytest.fixture()
def pain_trial_session(tmp_path: Path) -> Any:
    """A fresh session on the pain_trial sample, no model fitted."""
    from assistant.session import Session

    return Session(sample="pain_trial", output_dir=tmp_path)


@pytest.fixture()
def sleepstudy_session(tmp_path: Path) -> Any:
    """A fresh session on the sleepstudy sample, no model fitted."""
    from assistant.session import Session

    return Session(sample="sleepstudy", output_dir=tmp_path)


def ask_ok(session: Any, request: str) -> Any:
    """``session.ask(request)``, failing the test unless it answered and its JSON output
    holds no NaN or infinity (the CLI's ``--json`` contract)."""
    answer = session.ask(request)
    assert answer.ok, f"{request!r}: {answer.error}"
    json.dumps(answer.to_json(), allow_nan=False)
    return answer


#: The model each sample session below starts from.
SLEEP_FIT = "fit Reaction ~ Days + (Days | Subject)"
PAIN_FIT = "fit pain_score ~ time * treatment + (1 | patient)"
RATINGS_FIT = "fit rating ~ condition + (1 | rater) + (1 | item)"
SCHOOLS_FIT = "fit test_score ~ SES + school_size + (1 | school)"


def session_with_fit(sample: str, tmp_path_factory: Any, fit: str | None) -> Any:
    """A session on a built-in sample, with ``fit`` asked first (None: no model)."""
    from assistant.session import Session

    session = Session(sample=sample, output_dir=tmp_path_factory.mktemp(sample))
    if fit is not None:
        ask_ok(session, fit)
    return session


@pytest.fixture(scope="module")
def sleep(tmp_path_factory: Any) -> Any:
    """sleepstudy with the random-slope model (one session per test module)."""
    return session_with_fit("sleepstudy", tmp_path_factory, SLEEP_FIT)


@pytest.fixture(scope="module")
def pain(tmp_path_factory: Any) -> Any:
    """pain_trial with the time x treatment model (one session per test module)."""
    return session_with_fit("pain_trial", tmp_path_factory, PAIN_FIT)


@pytest.fixture(scope="module")
def ratings(tmp_path_factory: Any) -> Any:
    """ratings with crossed rater and item intercepts (one session per test module)."""
    return session_with_fit("ratings", tmp_path_factory, RATINGS_FIT)


@pytest.fixture(scope="module")
def schools(tmp_path_factory: Any) -> Any:
    """schools with SES and school size (one session per test module)."""
    return session_with_fit("schools", tmp_path_factory, SCHOOLS_FIT)
