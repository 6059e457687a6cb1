"""The README stays true: its two commands come first and every request example parses.

Request examples are the lines that start with ``> `` inside fenced code blocks.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parent.parent / "README.md"
FENCE = re.compile(r"^```[^\n]*\n(.*?)^```", re.MULTILINE | re.DOTALL)


def readme_requests() -> list[str]:
    requests: list[str] = []
    for block in FENCE.findall(README.read_text(encoding="utf-8")):
        requests.extend(line[2:].strip() for line in block.splitlines() if line.startswith("> "))
    return requests


def test_the_two_commands_open_the_readme():
    text = README.read_text(encoding="utf-8")
    first_block = FENCE.search(text).group(1).splitlines()
    assert first_block[0].startswith("make demo")
    assert first_block[1].startswith("make test")
    assert text.index("make demo") < text.index("\n## ")


def test_the_readme_has_many_request_examples():
    assert len(readme_requests()) >= 30


@pytest.mark.parametrize("request_text", readme_requests())
def test_readme_request_parses(request_text: str):
    from grammar.parse import parse

    plan = parse(request_text)
    assert plan.steps, f"{request_text!r} made an empty plan"


def test_the_tour_is_a_true_excerpt_of_the_walkthrough_transcript():
    from assistant.replay import read_transcript

    text = README.read_text(encoding="utf-8")
    tour_section = text[text.index("## A short tour"):text.index("## The request language")]
    tour = FENCE.search(tour_section).group(1)
    walkthrough = README.parent / "transcripts" / "pain_trial_walkthrough.txt"
    exchanges = {e.request: e.expected for e in read_transcript(walkthrough).exchanges}
    blocks = re.split(r"^lmm> ", tour, flags=re.MULTILINE)[1:]
    assert len(blocks) >= 2
    for block in blocks:
        request, _, answer = block.partition("\n")
        assert request in exchanges
        assert answer.strip() == exchanges[request].strip()
