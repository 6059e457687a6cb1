"""Side-by-side timings of our fit, lme4 and statsmodels: ``python -m benchmarks.run``.

Every engine fits the same data in the same run. Ours runs in this process (median of
``--repeats`` calls, at least 100 on small cases, of ``engine.fit_lmm``, everything from
formula to result; the Satterthwaite df are timed on their own, as lmerTest's). lme4
runs in ``Rscript`` (median of repeated ``lmer()`` calls, data loading outside the
timer). statsmodels runs in a child process with a time budget (``from_formula`` +
``fit()``, its defaults, ``reml`` matched). Criterion differences (−2 log-likelihood,
the other tool minus ours) show whether the optimum is the same:
positive means ours found a better (lower) one.

Options: ``--only small|insteval|million`` (repeatable), ``--no-statsmodels``,
``--no-lme4``, ``--no-memory``, ``--no-prototype``, ``--no-breakdown``, ``--repeats N``,
``--sm-timeout SECONDS``, ``--markdown PATH`` (also write the report as Markdown),
``--blas-threads N`` (OpenBLAS threads for our fit and statsmodels; default 1, because
R's reference BLAS is single-threaded and because on a shared 2-core machine a second
OpenBLAS thread makes every dense step stall, see benchmarks/README.md; 0 leaves the
environment's setting).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.cases import BenchCase, insteval_case, million_case, reference_cases
from benchmarks.lme4_runner import Lme4Timing, lme4_available, time_lme4
from benchmarks.prototype import prototype_lines
from benchmarks.statsmodels_runner import StatsmodelsTiming, time_statsmodels

GROUPS = ("small", "insteval", "million")
SPEEDUP_TARGET_BIG = 10.0
SPEEDUP_TARGET_STATSMODELS = 30.0
MEMORY_TARGET_MIB = 2048.0
SATTERTHWAITE_TARGET_SECONDS = 2.0
#: Timed calls of our fit per small case (the median is reported).
SMALL_REPEATS_OURS = 100


@dataclass
class OursTiming:
    """Our fits of one case: wall times, criterion, evaluations, Satterthwaite time."""

    times: list[float] = field(default_factory=list)
    criterion: float | None = None
    evaluations: int | None = None
    converged: bool | None = None
    satterthwaite_seconds: float | None = None
    error: str | None = None

    @property
    def median(self) -> float | None:
        return statistics.median(self.times) if self.times else None


@dataclass
class CaseReport:
    case: BenchCase
    ours: OursTiming
    lme4: Lme4Timing | None
    statsmodels: StatsmodelsTiming | None


def time_satterthwaite(fit) -> float:
    """Seconds for lmerTest-style Satterthwaite df of every coefficient of a fit.

    This is the extra work ``fit_lmm(..., ddf="satterthwaite")`` does after the fit:
    the Hessian of the unprofiled deviance in (θ, σ), the Jacobian of Var(β̂), and one
    df per coefficient (``engine.lmm.coefficient_table``).
    """
    from engine.lmm import coefficient_table

    fit._cache.pop("satterthwaite", None)
    start = time.perf_counter()
    coefficient_table(fit, "satterthwaite", fit.level)
    return time.perf_counter() - start


#: Seconds of untimed fits before our timed ones (see :func:`time_ours`).
WARM_UP_SECONDS = 0.3


def time_ours(case: BenchCase, repeats: int) -> OursTiming:
    """Median wall time of ``engine.fit_lmm`` (formula and data frame to result).

    The fit is timed with ``ddf="residual"``, which skips the Satterthwaite step, so
    that it does what ``lme4::lmer`` does; the Satterthwaite df are timed on their own
    afterwards (median over as many repeats), like lmerTest's ``summary`` on the R side.
    The fits run one after another, as lme4's and statsmodels' repeats do: alternating
    them with the Satterthwaite step left every small fit with cold caches and about
    doubled its time.

    Untimed fits run first for :data:`WARM_UP_SECONDS` (at least one): right after
    another process has run (the R probe, lme4, statsmodels' child), the next hundred or
    so small fits measured about 20% slower (1.81 ms against 1.49 ms for sleepstudy_slope),
    which put the harness's own noise into the first case's median.
    """
    from engine import fit_lmm
    from grammar.formula import clear_parse_cache

    outcome = OursTiming()
    satterthwaite: list[float] = []
    try:
        warm_until = time.perf_counter() + WARM_UP_SECONDS
        fit_lmm(case.formula, case.data, reml=case.reml, ddf="residual")
        while time.perf_counter() < warm_until:
            fit_lmm(case.formula, case.data, reml=case.reml, ddf="residual")
        for _ in range(repeats):
            clear_parse_cache()  # the parse of the formula text stays inside the clock
            start = time.perf_counter()
            fit = fit_lmm(case.formula, case.data, reml=case.reml, ddf="residual")
            outcome.times.append(time.perf_counter() - start)
        if case.reml:
            satterthwaite = [time_satterthwaite(fit) for _ in range(repeats)]
    except Exception as err:  # a benchmark reports failures instead of stopping
        outcome.error = f"{type(err).__name__}: {err}"[:160]
        return outcome
    outcome.criterion = float(fit.criterion)
    outcome.evaluations = int(fit.opt.evaluations)
    outcome.converged = bool(fit.converged)
    if satterthwaite:
        outcome.satterthwaite_seconds = statistics.median(satterthwaite)
    return outcome


# ------------------------------------------------------------------------ formatting
def _seconds(value: float | None, error: str | None = None) -> str:
    if value is None:
        return error or "–"
    if value < 0.1:  # small fits take milliseconds: keep three significant digits
        return f"{value:.5f}" if value < 0.01 else f"{value:.4f}"
    return f"{value:.3f}" if value < 10 else f"{value:.1f}"


def _speedup(theirs: float | None, ours: float | None, their_error: str | None) -> str:
    if ours is None or ours <= 0:
        return "–"
    if theirs is not None:
        return f"{theirs / ours:.1f}×"
    if their_error and their_error.startswith(">"):
        budget = float(their_error[1:].split()[0])
        return f"> {budget / ours:.0f}×"
    return "–"


def _delta(theirs: float | None, ours: float | None) -> str:
    if theirs is None or ours is None:
        return "–"
    return f"{theirs - ours:+.2e}"


def _statsmodels_time(sm: StatsmodelsTiming | None) -> str:
    if sm is None:
        return "skipped"
    text = _seconds(sm.median, sm.error)
    if sm.median is not None and sm.converged is False:
        text += " (not converged)"
    return text


def render_table(reports: list[CaseReport]) -> str:
    """A Markdown table: times, speed-ups, evaluations and criterion differences."""
    header = (
        "| case | rows | ours s | ours evals | lme4 s | lme4 evals | statsmodels s "
        "| lme4/ours | sm/ours | Δcrit lme4−ours | Δcrit sm−ours | Δcrit ref−ours "
        "| ours Satterthwaite s | lmerTest Satterthwaite s |"
    )
    lines = [header, "|" + "---|" * 14]
    for r in reports:
        lme4 = r.lme4
        sm = r.statsmodels
        lines.append(
            "| "
            + " | ".join(
                [
                    r.case.name,
                    f"{r.case.nobs:,}",
                    _seconds(r.ours.median, r.ours.error),
                    str(r.ours.evaluations or "–"),
                    "skipped" if lme4 is None else _seconds(lme4.median, lme4.error),
                    "–" if lme4 is None or lme4.evaluations is None else str(lme4.evaluations),
                    _statsmodels_time(sm),
                    "–" if lme4 is None else _speedup(lme4.median, r.ours.median, lme4.error),
                    "–" if sm is None else _speedup(sm.median, r.ours.median, sm.error),
                    "–" if lme4 is None else _delta(lme4.criterion, r.ours.criterion),
                    "–" if sm is None else _delta(sm.criterion, r.ours.criterion),
                    _delta(r.case.reference_criterion, r.ours.criterion),
                    _seconds(r.ours.satterthwaite_seconds),
                    "–" if lme4 is None else _seconds(lme4.satterthwaite_seconds),
                ]
            )
            + " |"
        )
    return "\n".join(lines)


def target_lines(reports: list[CaseReport], memory: dict | str | None) -> list[str]:
    """Each performance target with the measured number and PASS/MISS."""
    out: list[str] = []

    def verdict(ok: bool) -> str:
        return "PASS" if ok else "MISS"

    for r in reports:
        ours = r.ours.median
        if ours is None:
            out.append(f"- {r.case.name}: our fit failed ({r.ours.error})")
            continue
        if r.lme4 is not None and r.lme4.median is not None:
            ratio = r.lme4.median / ours
            need = SPEEDUP_TARGET_BIG if r.case.group != "small" else 1.0
            out.append(
                f"- {r.case.name}: {ratio:.1f}× faster than lme4 (target ≥ {need:g}×): "
                f"{verdict(ratio >= need)}"
            )
        sm = r.statsmodels
        if sm is not None and sm.median is not None:
            ratio = sm.median / ours
            out.append(
                f"- {r.case.name}: {ratio:.1f}× faster than statsmodels "
                f"(target ≥ {SPEEDUP_TARGET_STATSMODELS:g}×): "
                f"{verdict(ratio >= SPEEDUP_TARGET_STATSMODELS)}"
            )
        if r.case.group == "insteval" and r.ours.satterthwaite_seconds is not None:
            secs = r.ours.satterthwaite_seconds
            out.append(
                f"- {r.case.name}: Satterthwaite df for all fixed effects {secs:.3f} s "
                f"(target < {SATTERTHWAITE_TARGET_SECONDS:g} s): "
                f"{verdict(secs < SATTERTHWAITE_TARGET_SECONDS)}"
            )
    if isinstance(memory, dict):
        peak = memory["peak_rss_mib"]
        out.append(
            f"- insteval_like: peak RSS of a fresh process that builds the data and fits "
            f"{peak:.0f} MiB (fit's share ≤ {memory['fit_increment_mib']:.0f} MiB; "
            f"target < {MEMORY_TARGET_MIB:.0f} MiB): {verdict(peak < MEMORY_TARGET_MIB)}"
        )
    elif isinstance(memory, str):
        out.append(f"- insteval_like: memory probe failed ({memory})")
    return out


def _openblas_libraries() -> list[tuple[str, object, str]]:
    """(path, handle, symbol suffix) of every OpenBLAS loaded: numpy's and scipy's."""
    import ctypes

    import numpy  # noqa: F401  (loads numpy's OpenBLAS)
    import scipy.linalg  # noqa: F401  (loads scipy's OpenBLAS)

    with open("/proc/self/maps") as maps:
        paths = sorted({line.split()[-1] for line in maps if "openblas" in line.lower()})
    found = []
    for path in paths:
        lib = ctypes.CDLL(path)
        for suffix in ("64_", ""):
            if hasattr(lib, f"scipy_openblas_get_corename{suffix}"):
                found.append((path, lib, suffix))
                break
    return found


def set_blas_threads(threads: int) -> None:
    """Set the thread count of every loaded OpenBLAS now (and for child processes)."""
    os.environ["OPENBLAS_NUM_THREADS"] = str(threads)
    for _path, lib, suffix in _openblas_libraries():
        getattr(lib, f"scipy_openblas_set_num_threads{suffix}")(threads)


def openblas_kernels() -> list[str]:
    """Core type and thread count of every OpenBLAS loaded (numpy's and scipy's)."""
    import ctypes

    found = []
    for path, lib, suffix in _openblas_libraries():
        corename = getattr(lib, f"scipy_openblas_get_corename{suffix}")
        threads = getattr(lib, f"scipy_openblas_get_num_threads{suffix}")
        corename.restype = ctypes.c_char_p
        found.append(f"{Path(path).name}: {corename().decode()}, {threads()} threads")
    return found


def environment_lines() -> list[str]:
    import numpy as np

    def env(name: str) -> str:
        return os.environ.get(name, "unset")

    kernels = "; ".join(openblas_kernels()) or "not found"
    return [
        f"- machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, numpy {np.__version__}",
        f"- OPENBLAS_CORETYPE: {env('OPENBLAS_CORETYPE')}, OPENBLAS_L2_SIZE: "
        f"{env('OPENBLAS_L2_SIZE')}, OPENBLAS_NUM_THREADS: {env('OPENBLAS_NUM_THREADS')}",
        f"- OpenBLAS kernels in use: {kernels}",
        f"- load average at the end: {', '.join(f'{v:.2f}' for v in os.getloadavg())}",
        f"- date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}",
    ]


# ----------------------------------------------------------------------------- main
def select_cases(groups: list[str]) -> list[BenchCase]:
    cases: list[BenchCase] = []
    if "small" in groups:
        cases.extend(reference_cases())
    if "insteval" in groups:
        cases.append(insteval_case())
    if "million" in groups:
        cases.append(million_case())
    return cases


def run_case(
    case: BenchCase,
    workdir: Path,
    *,
    repeats: int,
    use_lme4: bool,
    use_statsmodels: bool,
    sm_timeout: float,
) -> CaseReport:
    """Time one case with every tool asked for, on one CSV of its data."""
    big = case.group != "small"
    # Small fits take milliseconds, so more repeats cost nothing and steady the median
    # against the odd slow call; every tool's time is a median with its first call in.
    # Big cases take --repeats fits (5 by default): with 3, two slow fits in a row were
    # enough to put one run's InstEval median at 2.01 s against 1.51 s in the next.
    ours_repeats = max(1, repeats) if big else max(repeats, SMALL_REPEATS_OURS)
    csv_path = workdir / f"{case.name}.csv"
    case.data.to_csv(csv_path, index=False)
    ours = time_ours(case, ours_repeats)
    lme4 = None
    if use_lme4:
        lme4 = time_lme4(
            csv_path, case.formula, reml=case.reml, factor_columns=case.factor_columns,
            repeats=max(1, min(repeats, 2)) if big else max(repeats, 5),
        )
    sm = None
    if use_statsmodels:
        sm = time_statsmodels(
            csv_path, case.formula, reml=case.reml, factor_columns=case.factor_columns,
            repeats=1 if big else max(min(repeats, 5), 3), timeout=sm_timeout,
        )
    return CaseReport(case, ours, lme4, sm)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", action="append", choices=GROUPS)
    parser.add_argument("--no-statsmodels", action="store_true")
    parser.add_argument("--no-lme4", action="store_true")
    parser.add_argument("--no-memory", action="store_true")
    parser.add_argument("--no-prototype", action="store_true")
    parser.add_argument("--no-breakdown", action="store_true")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--sm-timeout", type=float, default=120.0)
    parser.add_argument("--markdown", type=Path)
    parser.add_argument(
        "--blas-threads",
        type=int,
        default=1,
        help="OpenBLAS threads for our fit and statsmodels (default 1, like R's reference "
        "BLAS; 0 keeps the environment's setting)",
    )
    args = parser.parse_args(argv)
    if args.blas_threads > 0:
        set_blas_threads(args.blas_threads)
    groups = args.only or list(GROUPS)

    use_lme4 = not args.no_lme4 and lme4_available()
    if not args.no_lme4 and not use_lme4:
        print("Rscript with lme4 not found: lme4 columns are skipped.", flush=True)
    reports: list[CaseReport] = []
    with tempfile.TemporaryDirectory(prefix="lmm-bench-") as tmp:
        for case in select_cases(groups):
            print(f"… {case.name} ({case.nobs:,} rows)", flush=True)
            reports.append(
                run_case(
                    case, Path(tmp), repeats=args.repeats, use_lme4=use_lme4,
                    use_statsmodels=not args.no_statsmodels, sm_timeout=args.sm_timeout,
                )
            )
            print(render_table(reports[-1:]).splitlines()[-1], flush=True)
    prototype = None
    insteval = [r.case for r in reports if r.case.group == "insteval"]
    if insteval and not args.no_prototype:
        from benchmarks.prototype import measure_prototype

        print("… prototype kernel and start (engine/fast_blocks.py)", flush=True)
        prototype = measure_prototype(insteval[0])
    breakdown = None
    small = [r for r in reports if r.case.group == "small"]
    if small and not args.no_breakdown:
        from benchmarks.breakdown import breakdown_lines

        print("… where the small fits' time goes", flush=True)
        statsmodels_ms = {
            r.case.name: 1e3 * r.statsmodels.median
            for r in small
            if r.statsmodels is not None and r.statsmodels.median is not None
        }
        breakdown = breakdown_lines(
            [r.case for r in small], statsmodels_ms, SPEEDUP_TARGET_STATSMODELS
        )
    memory = None
    if "insteval" in groups and not args.no_memory:
        from benchmarks.memory_probe import probe

        memory = probe("insteval")

    text = "\n".join(
        [
            "## Timings (seconds, median of repeats; speed-up = their time / ours)",
            "",
            render_table(reports),
            "",
            "## Targets",
            "",
            *target_lines(reports, memory),
            "",
            *(
                ["## Where the small fits' time goes (benchmarks/breakdown.py)", "", *breakdown, ""]
                if breakdown
                else []
            ),
            *(
                [
                    "## Prototype on insteval_like (engine/fast_blocks.py, not wired in)",
                    "",
                    *prototype_lines(prototype),
                    "",
                ]
                if insteval and not args.no_prototype
                else []
            ),
            "## Environment",
            "",
            *environment_lines(),
        ]
    )
    print(text)
    if args.markdown:
        args.markdown.write_text(text + "\n")


if __name__ == "__main__":
    main()
