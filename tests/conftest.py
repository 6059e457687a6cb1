"""Shared fixtures: the lme4 reference material beside the repository, and asking a
session a request that must succeed."""

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


def ask_ok(session: Any, request: str) -> Any:
    """``session.ask(request)``, failing the test unless it answered and its JSON output
    holds no NaN or infinity (the CLI's ``--json`` contract)."""
    answer = session.ask(request)
    assert answer.ok, f"{request!r}: {answer.error}"
    json.dumps(answer.to_json(), allow_nan=False)
    return answer
