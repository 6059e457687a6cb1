"""Peak resident memory of one fit of ours, measured in a fresh process.

Run as ``python -m benchmarks.memory_probe insteval`` (or ``million``). It builds the
case's data, records the resident set size just before the fit (``/proc/self/statm``),
fits once, and prints one JSON line with that baseline, the process's peak resident
set size (``VmHWM`` in ``/proc/self/status``) and the fit's own share of it (peak minus
baseline; an upper bound when data generation peaked higher).

``getrusage(RUSAGE_SELF).ru_maxrss`` is not used: Linux carries the parent's resident
size at ``fork`` into the child's ``ru_maxrss`` across ``exec``, so a probe started from
the benchmark (which by then holds the 1M-row data) reported the parent's size instead of
its own (638 MiB against 360 MiB for the same fit run alone). ``VmHWM`` belongs to the
new process image only.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import subprocess
import sys
from pathlib import Path

MIB = 1024.0**2


def _current_rss_bytes() -> int:
    with open("/proc/self/statm") as handle:
        resident_pages = int(handle.read().split()[1])
    return resident_pages * os.sysconf("SC_PAGE_SIZE")


def _peak_rss_bytes() -> int:
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024  # kB
    raise RuntimeError("/proc/self/status has no VmHWM line")


def measure(which: str) -> dict[str, float]:
    """Fit the named synthetic case once in this process and report memory in MiB."""
    from benchmarks.cases import insteval_case, million_case
    from engine import fit_lmm

    case = insteval_case() if which == "insteval" else million_case()
    gc.collect()
    before = _current_rss_bytes()
    peak_before = _peak_rss_bytes()
    fit_lmm(case.formula, case.data, reml=case.reml)
    peak = _peak_rss_bytes()
    return {
        "rss_before_fit_mib": before / MIB,
        "peak_before_fit_mib": peak_before / MIB,
        "peak_rss_mib": peak / MIB,
        "fit_increment_mib": (peak - before) / MIB,
    }


def probe(which: str, timeout: float = 900.0) -> dict[str, float] | str:
    """Run :func:`measure` in a fresh interpreter; a string describes a failure."""
    cwd = Path(__file__).resolve().parents[1]
    try:
        done = subprocess.run(
            [sys.executable, "-m", "benchmarks.memory_probe", which],
            capture_output=True, text=True, timeout=timeout, cwd=cwd,
        )
    except subprocess.TimeoutExpired:
        return f"> {timeout:.0f} s (timeout)"
    for line in done.stdout.splitlines():
        if line.startswith("{"):
            return json.loads(line)
    return (done.stderr.strip().splitlines() or ["memory probe failed"])[-1][:160]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("case", choices=["insteval", "million"])
    args = parser.parse_args(argv)
    print(json.dumps(measure(args.case)), flush=True)


if __name__ == "__main__":
    main()
