"""Everyday requests on the 1,000,000-row benchmark data, timed in one assistant session:
``python -m benchmarks.session_large``.

The engine's own fit is timed by ``benchmarks.run``; this measures what a person waits for
in a session on large data: loading the file, the fit with its narration, the figures and
the reports that work on every row or every group. Each request runs once, in order, in
one :class:`assistant.session.Session` (the first figure also imports matplotlib and
scipy.stats), and the table gives its seconds and whether it was answered.

Options: ``--rows N`` (default 1,000,000: the ``million_slope`` case, 8 rows per group;
fewer rows keep 8 per group), ``--markdown PATH``.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from benchmarks.cases import make_random_slope

#: The requests, in session order (each answer may use the models fitted before it).
REQUESTS = (
    "LMM: y ~ x + (1 + x | g)",
    "caterpillar plot",
    "residual plots",
    "audit missing data",
    "what happens if I ignore the clustering",
    "report variance components and ICC",
    "show the BLUPs",
    "write up the results",
    "summary",
    "show the fixed effects",
    "variance components",
    "ICC",
    "how well does the model fit",
    "R squared",
    "predict y at x = 1",
    "standardized coefficients",
    "check model assumptions",
    "plot trajectories",
    "plot the data",
    "export the results",
    "compare with a random intercept model",
)


def time_session(rows: int, out_dir: Path) -> list[tuple[str, float, bool]]:
    """(request, seconds, answered) for loading a CSV of ``rows`` rows and each request."""
    from assistant.session import Session

    data = make_random_slope(n_groups=rows // 8, per_group=8, seed=20240607)
    path = out_dir / "million_slope.csv"
    data.to_csv(path, index=False)
    session = Session(output_dir=out_dir)
    timings = []
    for request in (f"load {path}", *REQUESTS):
        start = time.perf_counter()
        answer = session.ask(request)
        timings.append((request, time.perf_counter() - start, bool(answer.ok)))
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--markdown", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        timings = time_session(args.rows, Path(tmp))
    lines = [
        f"Session on {args.rows:,} rows ({args.rows // 8:,} groups of 8)",
        "",
        "| request | seconds | answered |",
        "|---|---|---|",
        *(f"| {r.replace('|', chr(92) + '|')} | {s:.2f} | {'yes' if ok else 'no'} |"
          for r, s, ok in timings),
    ]
    text = "\n".join(lines)
    print(text)
    if args.markdown:
        args.markdown.write_text(text + "\n")


if __name__ == "__main__":
    main()
