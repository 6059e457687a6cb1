"""A differential sweep against lme4: many random models, fitted by both engines.

``python -m benchmarks.lme4_sweep [--seed S] [--models N] [--markdown PATH]`` draws N
data sets and formulas (random intercepts, correlated and uncorrelated slopes, crossed
and nested terms, factor slopes, ML and REML; covariates centred or far from zero,
group sizes 2-11, some missing values), fits each with ``engine.fit_lmm`` and with
``lme4::lmer`` in one ``Rscript`` run, and sorts the outcomes:

* **match**: criteria within 1e-6 relative (the shared reference's rule);
* **ours lower** / **ours higher**: a different optimum, better or worse than lme4's;
* **errors** on either side.

For matches it also reports the largest relative difference of the fixed effects. This
is how the first term's loss of digits with badly scaled random slopes was found
(engine/first_term.py). It needs R with lme4 and jsonlite and is not part of
``make test``; it takes about a minute per 150 models.
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

#: (formula, REML) pairs the sweep cycles through.
FORMULAS: tuple[tuple[str, bool], ...] = (
    ("y ~ x + (1|g)", True),
    ("y ~ x + (x|g)", True),
    ("y ~ x + (x||g)", True),
    ("y ~ x*f + (1|g) + (1|h)", True),
    ("y ~ x + (1|g/k)", True),
    ("y ~ f + (1|g) + (0 + x|g)", True),
    ("y ~ x + z + (1 + x + z|g)", True),
    ("y ~ x + (1|g) + (0 + x|h)", True),
    ("y ~ 0 + f + (1|g)", True),
    ("y ~ x + (1|g:k)", True),
    ("y ~ x + (x|g)", False),
    ("y ~ x*f + (1|g) + (1|h)", False),
    ("y ~ x + (1 + x|g) + (1|h)", True),
    ("y ~ z + (1|h) + (1 + z|g)", True),
    ("y ~ x + f + (f|g)", True),
    ("y ~ log(w) + x + (1|g)", True),
    ("y ~ x + (1|g) + (1|h) + (1|k)", True),
    ("y ~ x + (1|h) + (x|g)", False),
    ("y ~ x + (1|g/k) + (1|h)", True),
    ("y ~ x + (x + z||g)", True),
    ("y ~ poly(x, 2) + (1|g)", True),
    ("y ~ scale(x) + (scale(x)|g)", True),
    ("y ~ x * z + (x|g) + (z|h)", True),
    ("y ~ x + (1|g) + (1|g:h)", True),
    ("y ~ f*x + (f|g)", True),
    ("y ~ x + (1 + x|g) + (1 + x|h)", False),
)

_R_SCRIPT = r"""
suppressPackageStartupMessages({library(lme4); library(jsonlite)})
args <- commandArgs(trailingOnly = TRUE)
manifest <- read.delim(args[[1]], stringsAsFactors = FALSE, quote = "")
out <- file(args[[2]], "w")
for (r in seq_len(nrow(manifest))) {
  d <- read.csv(manifest$path[r])
  for (v in c("g", "h", "k")) d[[v]] <- factor(as.character(d[[v]]))
  reml <- as.logical(manifest$reml[r])
  res <- tryCatch({
    m <- suppressWarnings(suppressMessages(
      lmer(as.formula(manifest$formula[r]), data = d, REML = reml)))
    list(criterion = if (reml) REMLcrit(m) else deviance(m), fixef = as.list(fixef(m)),
         singular = isSingular(m))
  }, error = function(e) list(error = conditionMessage(e)))
  res$index <- manifest$index[r]
  writeLines(toJSON(res, auto_unbox = TRUE, digits = NA), out)
}
close(out)
"""


@dataclass
class SweepModel:
    """One random model: its formula, REML or ML, and its data."""

    index: int
    formula: str
    reml: bool
    data: pd.DataFrame


@dataclass
class SweepOutcome:
    """How our fit of one model compares with lme4's."""

    model: SweepModel
    category: str
    criterion_difference: float | None = None
    fixed_difference: float | None = None
    message: str = ""


def make_models(seed: int, count: int) -> list[SweepModel]:
    """``count`` data sets, cycling through :data:`FORMULAS`; the same seed gives the
    same models."""
    rng = np.random.default_rng(seed)
    models = []
    for index in range(count):
        formula, reml = FORMULAS[index % len(FORMULAS)]
        models.append(SweepModel(index, formula, reml, _draw_data(rng)))
    return models


def _draw_data(rng: np.random.Generator) -> pd.DataFrame:
    n_g, n_h, n_k = int(rng.integers(4, 30)), int(rng.integers(3, 12)), int(rng.integers(2, 5))
    g = np.repeat(np.arange(n_g), rng.integers(2, 12, size=n_g))
    n = g.size
    h, k = rng.integers(0, n_h, size=n), rng.integers(0, n_k, size=n)
    # covariates centred, or far from zero, where a random slope is badly conditioned
    x = rng.normal(size=n) * rng.choice([1.0, 3.0, 0.2, 100.0]) + rng.choice([0.0, 5.0, 1000.0])
    z, w = rng.normal(size=n), rng.uniform(0.5, 20.0, size=n)
    f = rng.choice(["a", "b", "c"], size=n)
    sd = rng.uniform(0.0, 2.0, size=4) * (rng.random(4) > 0.15)  # some variances are zero
    y = (
        3.0 + 1.5 * x - 0.5 * z + (f == "b")
        + (rng.normal(size=n_g) * sd[0])[g] + (rng.normal(size=n_g) * sd[1])[g] * x
        + (rng.normal(size=n_h) * sd[2])[h] + (rng.normal(size=(n_g, n_k)) * sd[3])[g, k]
        + rng.normal(size=n) * rng.uniform(0.3, 2.0)
    )
    data = pd.DataFrame(
        {"y": y, "x": x, "z": z, "w": w, "f": f, "g": [f"G{v:02d}" for v in g],
         "h": [f"H{v}" for v in h], "k": k + 1}
    )
    if rng.random() < 0.3:
        rows = rng.choice(n, size=max(1, n // 15), replace=False)
        data.loc[rows, str(rng.choice(["y", "x"]))] = np.nan
    return data


def fit_with_lme4(models: list[SweepModel], workdir: Path) -> dict[int, dict]:
    """lme4's criterion, fixed effects and singular flag per model (or its error)."""
    rows = []
    for model in models:
        path = workdir / f"model{model.index}.csv"
        model.data.to_csv(path, index=False)
        rows.append({"index": model.index, "path": str(path), "formula": model.formula,
                     "reml": "TRUE" if model.reml else "FALSE"})
    manifest, results, script = workdir / "models.tsv", workdir / "lme4.jsonl", workdir / "sweep.R"
    pd.DataFrame(rows).to_csv(manifest, sep="\t", index=False)
    script.write_text(_R_SCRIPT)
    subprocess.run(["Rscript", "--vanilla", str(script), str(manifest), str(results)],
                   check=True, capture_output=True, text=True)
    records = [json.loads(line) for line in results.read_text().splitlines() if line]
    return {int(record["index"]): record for record in records}


def _r_name(term: str) -> str:
    """formulaic's ``f[T.b]`` as R prints it (``fb``)."""
    import re

    return re.sub(r"\[(?:T\.)?([^\]]*)\]", r"\1", term)


def compare(model: SweepModel, lme4: dict) -> SweepOutcome:
    """Fit ``model`` with our engine and classify the result against lme4's."""
    from engine import fit_lmm

    if "error" in lme4:
        return SweepOutcome(model, "lme4 error", message=str(lme4["error"])[:80])
    try:
        fit = fit_lmm(model.formula, model.data, reml=model.reml)
    except Exception as err:  # the sweep reports failures instead of stopping
        return SweepOutcome(model, "our error", message=f"{type(err).__name__}: {err}"[:80])
    theirs = float(lme4["criterion"])
    difference = fit.criterion - theirs
    if abs(difference) > 1e-6 * abs(theirs):
        category = "ours lower" if difference < 0 else "ours higher"
        return SweepOutcome(model, category, difference)
    estimates = {_r_name(row.term): row.estimate for row in fit.fixed_effects}
    worst = 0.0
    for name, value in lme4["fixef"].items():
        ours = estimates.get(name, math.nan)
        worst = max(worst, abs(ours - value) / max(abs(value), 1.0))
    return SweepOutcome(model, "match", difference, worst)


def tally_lines(outcomes: list[SweepOutcome]) -> list[str]:
    """A Markdown summary: counts per category, then every model that did not match."""
    order = ("match", "ours lower", "ours higher", "lme4 error", "our error")
    counts = {name: sum(o.category == name for o in outcomes) for name in order}
    matches = [o.fixed_difference for o in outcomes if o.category == "match"]
    lines = ["| outcome | models |", "|---|---|"]
    lines += [f"| {name} | {counts[name]} |" for name in order]
    if matches:
        largest = max(matches)
        lines += ["", f"Largest relative fixed-effect difference among matches: {largest:.2g}."]
    others = [o for o in outcomes if o.category != "match"]
    if others:
        lines += ["", "| model | formula | REML | outcome | our criterion − lme4's |",
                  "|---|---|---|---|---|"]
        for o in others:
            known = o.criterion_difference is not None
            delta = f"{o.criterion_difference:+.3g}" if known else o.message
            model = o.model
            lines.append(
                f"| {model.index} | `{model.formula}` | {model.reml} | {o.category} | {delta} |"
            )
    return lines


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--models", type=int, default=156)
    parser.add_argument("--markdown", type=Path)
    args = parser.parse_args(argv)
    if shutil.which("Rscript") is None:
        raise SystemExit("The sweep needs Rscript with lme4 and jsonlite installed.")
    models = make_models(args.seed, args.models)
    with tempfile.TemporaryDirectory(prefix="lmm-sweep-") as tmp:
        lme4 = fit_with_lme4(models, Path(tmp))
    outcomes = [compare(model, lme4[model.index]) for model in models]
    text = "\n".join([f"## lme4 sweep: seed {args.seed}, {len(models)} models", "",
                      *tally_lines(outcomes)])
    print(text)
    if args.markdown:
        args.markdown.write_text(text + "\n")


if __name__ == "__main__":
    main()
