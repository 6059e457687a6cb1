"""Time ``lme4::lmer`` in R, in a subprocess, on the same data as our engine.

The data go to R as a CSV in a temporary directory. R reads it, turns the listed
columns into factors, then times ``lmer()`` alone (nothing else inside the timer) for a
number of repeats and reports the median with the criterion (−2 × log-likelihood, REML
or ML as fitted), θ and the number of deviance evaluations (``m@optinfo$feval``).
For REML fits, when lmerTest is installed, it also times lmerTest's Satterthwaite df
for every coefficient of the last fit (``as_lmerModLmerTest`` computes the Hessian of
the variance parameters, ``summary`` the df), once.
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

_R_SCRIPT = r"""
args <- commandArgs(trailingOnly = TRUE)
csv_path <- args[[1]]
form <- as.formula(args[[2]])
reml <- as.logical(args[[3]])
repeats <- as.integer(args[[4]])
factors <- character()
if (length(args) >= 5 && nzchar(args[[5]])) factors <- strsplit(args[[5]], ",")[[1]]
suppressPackageStartupMessages(library(lme4))
d <- read.csv(csv_path, stringsAsFactors = TRUE)
for (v in factors) d[[v]] <- factor(as.character(d[[v]]))
times <- numeric(repeats)
for (i in seq_len(repeats)) {
  t0 <- Sys.time()
  m <- lmer(form, data = d, REML = reml)
  times[i] <- as.numeric(difftime(Sys.time(), t0, units = "secs"))
}
msgs <- m@optinfo$conv$lme4$messages
if (reml && requireNamespace("lmerTest", quietly = TRUE)) {
  t0 <- Sys.time()
  coefs <- summary(lmerTest::as_lmerModLmerTest(m), ddf = "Satterthwaite")$coefficients
  cat(sprintf("satterthwaite=%.6f\n", as.numeric(difftime(Sys.time(), t0, units = "secs"))))
}
cat(sprintf("times=%s\n", paste(sprintf("%.6f", times), collapse = ",")))
cat(sprintf("criterion=%.12f\n", -2 * as.numeric(logLik(m))))
cat(sprintf("theta=%s\n", paste(sprintf("%.10g", getME(m, "theta")), collapse = ",")))
cat(sprintf("feval=%d\n", as.integer(m@optinfo$feval)))
cat(sprintf("warnings=%d\n", length(msgs) + length(m@optinfo$warnings)))
"""


@dataclass
class Lme4Timing:
    """What one lme4 run reported; ``error`` is set when R failed or timed out."""

    times: list[float] = field(default_factory=list)
    criterion: float | None = None
    theta: list[float] = field(default_factory=list)
    evaluations: int | None = None
    warnings: int = 0
    satterthwaite_seconds: float | None = None
    error: str | None = None

    @property
    def median(self) -> float | None:
        return statistics.median(self.times) if self.times else None


def lme4_available() -> bool:
    """True when ``Rscript`` is on PATH and can load lme4."""
    rscript = shutil.which("Rscript")
    if rscript is None:
        return False
    probe = subprocess.run(
        [rscript, "-e", "quit(status = !requireNamespace('lme4', quietly = TRUE))"],
        capture_output=True,
        timeout=120,
    )
    return probe.returncode == 0


def parse_output(text: str) -> Lme4Timing:
    """Read the ``key=value`` lines printed by the R script."""
    result = Lme4Timing()
    for line in text.splitlines():
        key, _, value = line.partition("=")
        if key == "times":
            result.times = [float(v) for v in value.split(",") if v]
        elif key == "criterion":
            result.criterion = float(value)
        elif key == "theta":
            result.theta = [float(v) for v in value.split(",") if v]
        elif key == "feval":
            result.evaluations = int(value)
        elif key == "warnings":
            result.warnings = int(value)
        elif key == "satterthwaite":
            result.satterthwaite_seconds = float(value)
    return result


def time_lme4(
    csv_path: Path,
    formula: str,
    *,
    reml: bool = True,
    repeats: int = 5,
    factor_columns: tuple[str, ...] = (),
    timeout: float = 900.0,
) -> Lme4Timing:
    """Fit ``formula`` with lme4 on ``csv_path`` ``repeats`` times and time each lmer()."""
    script = csv_path.parent / "lme4_fit.R"
    script.write_text(_R_SCRIPT)
    command = [
        shutil.which("Rscript") or "Rscript",
        "--vanilla",
        str(script),
        str(csv_path),
        formula,
        "TRUE" if reml else "FALSE",
        str(repeats),
        ",".join(factor_columns),
    ]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return Lme4Timing(error=f"> {timeout:.0f} s (timeout)")
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["R failed"])[-1]
        return Lme4Timing(error=last[:120])
    return parse_output(done.stdout)
