"""Time statsmodels' ``MixedLM`` on a benchmark case, in a subprocess with a time budget.

statsmodels has no lme4 formula syntax, so :func:`statsmodels_spec` translates the
random part: one grouping factor becomes ``groups`` with ``re_formula``; ``||`` terms
become independent variance components within the group; factors nested in one
coarsest factor become variance components within it; crossed factors become variance
components of a single all-encompassing group (statsmodels' documented way to fit
crossed effects, which needs dense design blocks).

The child process prints one JSON line per finished fit, so a timeout still keeps
the fits that completed. Fitting uses statsmodels' defaults (``MixedLM.fit()``) with
``reml`` set to match the case; the criterion is −2 × ``llf``.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

#: Address-space limit for the child, so a dense crossed design cannot exhaust the machine.
MEMORY_LIMIT_BYTES = 8 * 1024**3


@dataclass
class StatsmodelsSpec:
    """Arguments for ``MixedLM.from_formula`` plus the group columns it needs."""

    formula: str
    groups: str
    re_formula: str | None
    vc_formula: dict[str, str] | None
    group_columns: dict[str, tuple[str, ...]] = field(default_factory=dict)


def _column_for(label: str) -> str:
    return "grp_" + "".join(ch if ch.isalnum() else "_" for ch in label)


def _is_nested(data: pd.DataFrame, inner: tuple[str, ...], outer: tuple[str, ...]) -> bool:
    pairs = data[list(dict.fromkeys(inner + outer))].astype(str).drop_duplicates()
    keys = pairs[list(inner)].agg(":".join, axis=1)
    return bool(keys.is_unique)


def statsmodels_spec(formula: str, data: pd.DataFrame) -> StatsmodelsSpec:
    """Translate an lme4 formula into statsmodels MixedLM arguments."""
    from grammar.formula import parse_formula

    model = parse_formula(formula)
    fixed = f"{model.response_label} ~ {model.fixed_text()}"
    terms = model.random_terms
    labels = list(dict.fromkeys(t.group_label for t in terms))
    columns = {_column_for(t.group_label): t.group_variables for t in terms}

    if len(labels) == 1:
        column = _column_for(labels[0])
        if len(terms) == 1 and not terms[0].from_double_bar:
            return StatsmodelsSpec(fixed, column, terms[0].lhs_text, None, columns)
        vc = {f"vc{i}": term.lhs_text for i, term in enumerate(terms)}
        return StatsmodelsSpec(fixed, column, "0", vc, columns)

    if any(t.terms or not t.intercept for t in terms):
        raise ValueError("statsmodels translation supports random slopes for one factor only")
    by_label = {t.group_label: t.group_variables for t in terms}
    for outer in labels:
        others = [lab for lab in labels if lab != outer]
        if all(_is_nested(data, by_label[lab], by_label[outer]) for lab in others):
            vc = {lab: f"0 + C({_column_for(lab)})" for lab in others}
            return StatsmodelsSpec(fixed, _column_for(outer), "1", vc, columns)
    vc = {lab: f"0 + C({_column_for(lab)})" for lab in labels}
    columns["grp_all"] = ()
    return StatsmodelsSpec(fixed, "grp_all", "0", vc, columns)


def prepare_frame(data: pd.DataFrame, spec: StatsmodelsSpec) -> pd.DataFrame:
    """Add the grouping columns the spec refers to (interactions joined with ``:``)."""
    frame = data.copy()
    for column, variables in spec.group_columns.items():
        if not variables:
            frame[column] = 1
        elif len(variables) == 1:
            frame[column] = frame[variables[0]].astype(str)
        else:
            frame[column] = frame[list(variables)].astype(str).agg(":".join, axis=1)
    return frame


def fit_once(data: pd.DataFrame, spec: StatsmodelsSpec, reml: bool) -> dict[str, object]:
    """One timed ``from_formula`` + ``fit()``; returns time, convergence and criterion."""
    import statsmodels.formula.api as smf

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        start = time.perf_counter()
        model = smf.mixedlm(
            spec.formula,
            data,
            groups=spec.groups,
            re_formula=spec.re_formula,
            vc_formula=spec.vc_formula,
        )
        result = model.fit(reml=reml)
        seconds = time.perf_counter() - start
    return {
        "seconds": seconds,
        "converged": bool(result.converged) and not any(
            "converge" in str(w.message).lower() for w in caught
        ),
        "criterion": float(-2.0 * result.llf),
    }


@dataclass
class StatsmodelsTiming:
    """Finished fits (maybe none) and an error or timeout note."""

    times: list[float] = field(default_factory=list)
    converged: bool | None = None
    criterion: float | None = None
    error: str | None = None

    @property
    def median(self) -> float | None:
        return float(np.median(self.times)) if self.times else None


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT_BYTES, MEMORY_LIMIT_BYTES))


def time_statsmodels(
    csv_path: Path,
    formula: str,
    *,
    reml: bool,
    factor_columns: tuple[str, ...],
    repeats: int,
    timeout: float,
) -> StatsmodelsTiming:
    """Run :func:`main` in a child process with a wall-clock and memory budget."""
    command = [
        sys.executable, "-m", "benchmarks.statsmodels_runner", str(csv_path), formula,
        "--reml" if reml else "--ml", "--repeats", str(repeats),
        "--factors", ",".join(factor_columns),
    ]
    outcome = StatsmodelsTiming()
    cwd = Path(__file__).resolve().parents[1]
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=timeout, cwd=cwd,
            preexec_fn=_limit_memory,
        )
        stdout, returncode, stderr = done.stdout, done.returncode, done.stderr
    except subprocess.TimeoutExpired as expired:
        raw = expired.stdout or b""
        stdout = raw.decode() if isinstance(raw, bytes) else raw
        returncode, stderr = None, ""
        outcome.error = f"> {timeout:.0f} s (timeout)"
    for line in stdout.splitlines():
        if line.startswith("{"):
            record = json.loads(line)
            outcome.times.append(record["seconds"])
            outcome.converged = record["converged"]
            outcome.criterion = record["criterion"]
    if returncode not in (0, None) and outcome.error is None:
        last = (stderr.strip().splitlines() or ["statsmodels failed"])[-1]
        outcome.error = "MemoryError (> 8 GB)" if "MemoryError" in stderr else last[:120]
    return outcome


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("csv")
    parser.add_argument("formula")
    parser.add_argument("--reml", dest="reml", action="store_true", default=True)
    parser.add_argument("--ml", dest="reml", action="store_false")
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--factors", default="")
    args = parser.parse_args(argv)
    factors = [f for f in args.factors.split(",") if f]
    data = pd.read_csv(args.csv, dtype={f: str for f in factors})
    spec = statsmodels_spec(args.formula, data)
    frame = prepare_frame(data, spec)
    for _ in range(args.repeats):
        print(json.dumps(fit_once(frame, spec, args.reml)), flush=True)


if __name__ == "__main__":
    main()
