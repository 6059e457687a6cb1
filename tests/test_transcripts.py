"""Every transcript in transcripts/ replays with exactly the recorded answers.

When the narration changes on purpose, regenerate them with
``lmm replay transcripts/*.txt --update`` and read the diff before committing.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.replay import read_transcript, replay_transcript

TRANSCRIPTS = sorted((Path(__file__).resolve().parent.parent / "transcripts").glob("*.txt"))
REQUIRED = {
    "pain_trial_walkthrough", "sleepstudy_random_slopes", "schools_clustered", "wide_to_long",
    "model_comparison", "convergence_trouble",
}


def test_the_required_transcripts_exist():
    assert REQUIRED <= {path.stem for path in TRANSCRIPTS}


def test_the_walkthrough_covers_every_row_of_the_scenario_table():
    requests = [e.request for e in read_transcript(
        TRANSCRIPTS[0].parent / "pain_trial_walkthrough.txt").exchanges]
    text = "\n".join(requests)
    for scenario in (
        "LMM: pain_score ~ time + treatment + (1 | patient)",  # random intercept
        "LMM with random slope:",  # random slope
        "time * treatment",  # interaction
        "LMM: test_score ~ SES + school_size + (1 | school)",  # clustered cross-sectional
        "fit 3 models: (1) random intercept, (2) random slope, (3) intercept + slope; "
        "compare AIC/BIC; likelihood ratio test",
        "report variance components: random intercept variance, residual variance, ICC; "
        "caterpillar plot of random intercepts",
        "report how many observations per subject; compare to listwise deletion RM-ANOVA",
        "plot fixed effect trajectory with 95% CI band; overlay individual BLUPs",
    ):
        assert scenario in text


@pytest.mark.parametrize("path", TRANSCRIPTS, ids=lambda p: p.stem)
def test_transcript_replays_exactly(path: Path):
    result = replay_transcript(path)
    assert result.crash is None, result.crash
    assert result.diffs == [], "\n\n".join(result.diffs)
    assert result.passed == result.total > 0
