"""``make demo``: a narrated session on the built-in pain_trial sample.

Runs the requests of the seed's scenario table one after another in one session,
printing each request and its answer; figures go to ./lmm-output/. The requests are
the opening of transcripts/pain_trial_walkthrough.txt, so ``make test`` checks every
answer the demo gives.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TextIO

from assistant.cli import DEFAULT_OUTPUT_DIR, open_session
from assistant.replay import render_answer

DEMO_REQUESTS: tuple[str, ...] = (
    "use sample pain_trial",
    "describe the data",
    "LMM: pain_score ~ time + treatment + (1 | patient)",
    "report variance components: random intercept variance, residual variance, ICC",
    "caterpillar plot of random intercepts",
    "plot fixed effect trajectory with 95% CI band; overlay individual BLUPs for each subject",
    "LMM handles missing data; report how many observations per subject; "
    "compare to listwise deletion RM-ANOVA",
    "fit 3 models: (1) random intercept, (2) random slope, (3) intercept + slope; "
    "compare AIC/BIC; likelihood ratio test",
)


def run_demo(out: TextIO, output_dir: Path = DEFAULT_OUTPUT_DIR) -> int:
    """Print each demo request and its answer; 0 when every request was answered."""
    session = open_session(out=output_dir)
    failures = 0
    rule = "-" * 78
    for request in DEMO_REQUESTS:
        out.write(f"{rule}\n> {request}\n\n")
        answer = session.ask(request)
        out.write(render_answer(answer) + "\n\n")
        out.flush()
        failures += 0 if answer.ok else 1
    figures = sorted(Path(output_dir).glob("*.png"))
    out.write(f"{rule}\n{len(DEMO_REQUESTS) - failures} of {len(DEMO_REQUESTS)} requests "
              f"answered; {len(figures)} figures in {output_dir}/\n")
    return 0 if failures == 0 else 1


def main() -> int:
    return run_demo(sys.stdout)


if __name__ == "__main__":
    sys.exit(main())
