"""Shared fixtures: the lme4 reference material beside the repository."""

from __future__ import annotations

from pathlib import Path

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
