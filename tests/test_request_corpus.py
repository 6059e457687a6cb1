"""Every request of the corpus (tests/corpus/requests.json) yields exactly its plan.

The corpus lists each step with the fields that differ from the step's defaults; the
test builds the full expected step from its dataclass and compares whole to_dict()s.
"""

import json
from pathlib import Path

import pytest

from grammar import parse
from grammar.plan import STEP_TYPES

CORPUS = json.loads((Path(__file__).parent / "corpus" / "requests.json").read_text())


def expected_plan(case: dict) -> dict:
    steps = []
    for step in case["steps"]:
        fields = {k: tuple(v) if isinstance(v, list) else v for k, v in step.items() if k != "kind"}
        steps.append(STEP_TYPES[step["kind"]](**fields).to_dict())
    return {"request": case["request"], "steps": steps}


def test_corpus_is_large_and_varied():
    requests = [case["request"] for case in CORPUS]
    assert len(requests) >= 150
    assert len(set(requests)) == len(requests)
    kinds = {step["kind"] for case in CORPUS for step in case["steps"]}
    assert kinds == set(STEP_TYPES)


@pytest.mark.parametrize("case", CORPUS, ids=[c["request"][:60] for c in CORPUS])
def test_request_yields_its_plan(case):
    assert parse(case["request"]).to_dict() == expected_plan(case)
