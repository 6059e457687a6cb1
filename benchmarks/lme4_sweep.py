"""A differential sweep against lme4: many random models, fitted by both engines.

``python -m benchmarks.lme4_sweep [--seed S] [--models N] [--markdown PATH]`` draws N
data sets and formulas (random intercepts, correlated and uncorrelated slopes, crossed
and nested terms, factor slopes, ML and REML; covariates centred or far from zero,
group sizes 2-11, some missing values), fits each with ``engine.fit_lmm`` and with
``lme4::lmer`` in one ``Rscript`` run, and sorts the outcomes:

* **match**: criteria within 1e-6 relative (the shared reference's rule);
* **ours lower** / **ours higher**: a different optimum, better or worse than lme4's;
* **errors** on either side.

Where both fitted, it also counts the fits whose Hessian check (lme4's
``check.conv.hess``) reports negative curvature on one side only: ours
(``fit.opt.hessian_check``) or lme4's (its "negative eigenvalues" message).

For matches it also reports the largest relative difference of the fixed effects. This
is how the first term's loss of digits with badly scaled random slopes was found
(engine/first_term.py). It needs R with lme4 and jsonlite and is not part of
``make test``; it takes about a minute per 150 models.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import re
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

#: A second set of shapes (``--shapes extra``): formula functions, interactions without
#: main effects, random slopes in nested and crossed terms, cell-means random effects.
EXTRA_FORMULAS: tuple[tuple[str, bool], ...] = (
    ("y ~ x + I(x^2) + (1|g)", True),
    ("y ~ factor(k) + x + (1|g)", True),
    ("y ~ x:z + (1|g)", True),
    ("y ~ sqrt(w) * f + (1|g)", True),
    ("y ~ x + (1|g) + (1|g:k) + (1|h)", True),
    ("y ~ f + (0 + f|g)", True),
    ("y ~ x + (1 + x|g/k)", True),
    ("y ~ 1 + (1|g)", True),
    ("y ~ x + (1|g) + (0 + z|g) + (1|h)", True),
    ("y ~ I(x - 1000) + z + (1|g)", True),
    ("y ~ log10(w) + f:x + (1|g)", True),
    ("y ~ x * f + (x|h)", False),
    ("y ~ exp(z) + x + (1|h:k)", True),
    ("y ~ factor(k) * x + (1|g)", False),
)
SHAPES = {"base": FORMULAS, "extra": EXTRA_FORMULAS}

#: Nested smaller models the likelihood-ratio test of ``--inference`` compares with
#: (lme4's ``anova(small, model)``, both refitted by ML).
REDUCED: dict[str, str] = {
    "y ~ x + (1|g)": "y ~ 1 + (1|g)",
    "y ~ x + (x|g)": "y ~ x + (1|g)",
    "y ~ x*f + (1|g) + (1|h)": "y ~ x + f + (1|g) + (1|h)",
    "y ~ x + (1 + x|g) + (1|h)": "y ~ x + (1|g) + (1|h)",
    "y ~ x + (1|g/k)": "y ~ x + (1|g)",
    "y ~ f*x + (f|g)": "y ~ f + x + (f|g)",
    "y ~ x + (x||g)": "y ~ x + (1|g)",
    "y ~ factor(k) + x + (1|g)": "y ~ x + (1|g)",
    "y ~ x * f + (x|h)": "y ~ x + (x|h)",
}

_R_SCRIPT = r"""
suppressPackageStartupMessages({library(lme4); library(jsonlite)})
args <- commandArgs(trailingOnly = TRUE)
manifest <- read.delim(args[[1]], stringsAsFactors = FALSE, quote = "")
out <- file(args[[2]], "w")
inference <- length(args) >= 3 && args[[3]] == "inference"
if (inference) suppressPackageStartupMessages({library(lmerTest); library(pbkrtest)})
for (r in seq_len(nrow(manifest))) {
  d <- read.csv(manifest$path[r])
  for (v in c("g", "h", "k")) d[[v]] <- factor(as.character(d[[v]]))
  reml <- as.logical(manifest$reml[r])
  res <- tryCatch({
    m <- suppressWarnings(suppressMessages(
      lme4::lmer(as.formula(manifest$formula[r]), data = d, REML = reml)))
    messages <- as.character(unlist(m@optinfo$conv$lme4$messages))
    res <- list(criterion = if (reml) REMLcrit(m) else deviance(m), fixef = as.list(fixef(m)),
                singular = isSingular(m), theta = unname(getME(m, "theta")),
                hessian_negative = any(grepl("negative eigenvalue", messages)))
    if (inference) {
      vc <- as.data.frame(VarCorr(m))
      res$sdcor <- vc$sdcor
      res$vc_group <- vc$grp
      sat <- coef(summary(lmerTest::as_lmerModLmerTest(m), ddf = "Satterthwaite"))
      res$se <- unname(sat[, "Std. Error"])
      res$sat_df <- unname(sat[, "df"])
      res$sat_p <- unname(sat[, "Pr(>|t|)"])
      a3 <- anova(lmerTest::as_lmerModLmerTest(m), type = 3)
      res$anova_term <- rownames(a3)
      res$anova_F <- unname(a3[, "F value"])
      res$anova_numdf <- unname(a3[, "NumDF"])
      res$anova_dendf <- unname(a3[, "DenDF"])
      res$anova_p <- unname(a3[, "Pr(>F)"])
      if (!is.na(manifest$reduced[r]) && nzchar(manifest$reduced[r])) {
        small <- suppressWarnings(suppressMessages(
          lme4::lmer(as.formula(manifest$reduced[r]), data = d, REML = reml)))
        lrt <- suppressMessages(anova(small, m))
        res$lrt_chisq <- lrt$Chisq[2]
        res$lrt_df <- lrt$Df[2]
        res$lrt_p <- lrt[["Pr(>Chisq)"]][2]
        res$lrt_aic <- lrt$AIC
        res$lrt_bic <- lrt$BIC
        res$lrt_deviance <- lrt$deviance
      }
      re <- as.data.frame(ranef(m, condVar = TRUE))
      res$re_group <- as.character(re$grpvar)
      res$re_term <- as.character(re$term)
      res$re_level <- as.character(re$grp)
      res$re_value <- re$condval
      res$re_sd <- re$condsd
      if (reml) {
        # lmerTest falls back to Satterthwaite with a warning when pbkrtest fails
        kr <- tryCatch(coef(summary(lmerTest::as_lmerModLmerTest(m), ddf = "Kenward-Roger")),
                       warning = function(w) NULL, error = function(e) NULL)
        if (!is.null(kr)) {
          res$kr_df <- unname(kr[, "df"])
          res$kr_se <- unname(kr[, "Std. Error"])
        }
      }
    }
    res
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


#: The shared reference's tolerances, applied to matched fits: relative, except BLUPs
#: and conditional SDs, which are held to a share of their term's SD.
INFERENCE_TOLERANCES: dict[str, float] = {
    "se": 1e-3, "sdcor": 1e-3, "sat_df": 1e-2, "sat_p": 1e-2, "kr_df": 1e-2, "kr_se": 1e-3,
    "blup": 1e-3, "cond_sd": 1e-3,
    # type III F tests (lmerTest's anova): F as an SE, den df and p as the t tests' df and p
    "anova_F": 1e-3, "anova_df": 1e-2, "anova_p": 1e-2,
    # likelihood-ratio test against REDUCED (lme4's anova): chi-square to 1e-3 (absolute
    # below 1), AIC and BIC as the criterion, p as the other p-values
    "lrt_chisq": 1e-3, "lrt_aic": 1e-6, "lrt_p": 1e-2,
}
#: p-values this close in absolute terms agree whatever their ratio (reference rule).
P_ABSOLUTE = 1e-8
#: |mean| / SD of x above which a model counts as badly conditioned in the report.
FAR_FROM_ZERO = 100.0
#: Largest relative difference of theta for two fits to be "at the same point".
SAME_THETA = 1e-3


@dataclass
class SweepOutcome:
    """How our fit of one model compares with lme4's.

    ``theta_difference`` is the largest difference of theta relative to max(1, |theta|);
    ``inference`` maps each compared quantity (``INFERENCE_TOLERANCES``' keys) to its
    largest relative difference from lme4/lmerTest/pbkrtest, for matched fits at the
    same theta when the sweep ran with ``--inference``.
    """

    model: SweepModel
    category: str
    criterion_difference: float | None = None
    fixed_difference: float | None = None
    message: str = ""
    theta_difference: float | None = None
    inference: dict[str, float] | None = None
    #: Whether our Hessian check / lme4's reports negative curvature (None: not known).
    our_negative: bool | None = None
    lme4_negative: bool | None = None
    #: our ML deviances minus lme4's, for the likelihood-ratio test's two refits
    refit_differences: list[float] | None = None

    @property
    def inference_failures(self) -> list[str]:
        """The compared quantities outside the reference tolerance."""
        return [name for name, worst in (self.inference or {}).items()
                if worst > INFERENCE_TOLERANCES[name]]


def make_models(seed: int, count: int, shapes: str = "base") -> list[SweepModel]:
    """``count`` data sets, cycling through :data:`FORMULAS` (or, with ``shapes="extra"``,
    :data:`EXTRA_FORMULAS`); the same seed gives the same models."""
    rng = np.random.default_rng(seed)
    formulas = SHAPES[shapes]
    models = []
    for index in range(count):
        formula, reml = formulas[index % len(formulas)]
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


def fit_with_lme4(
    models: list[SweepModel], workdir: Path, inference: bool = False
) -> dict[int, dict]:
    """lme4's criterion, fixed effects, theta and singular flag per model (or its error);
    with ``inference``, also VarCorr's SDs and correlations, lmerTest's SEs and
    Satterthwaite df and p, and (REML) the Kenward-Roger df and SEs."""
    rows = []
    for model in models:
        path = workdir / f"model{model.index}.csv"
        model.data.to_csv(path, index=False)
        rows.append({"index": model.index, "path": str(path), "formula": model.formula,
                     "reml": "TRUE" if model.reml else "FALSE",
                     "reduced": REDUCED.get(model.formula, "")})
    manifest, results, script = workdir / "models.tsv", workdir / "lme4.jsonl", workdir / "sweep.R"
    pd.DataFrame(rows).to_csv(manifest, sep="\t", index=False)
    script.write_text(_R_SCRIPT)
    command = ["Rscript", "--vanilla", str(script), str(manifest), str(results)]
    subprocess.run(command + (["inference"] if inference else []),
                   check=True, capture_output=True, text=True)
    records = [json.loads(line) for line in results.read_text().splitlines() if line]
    return {int(record["index"]): record for record in records}


def _r_name(term: str) -> str:
    """formulaic's ``f[T.b]`` as R prints it (``fb``)."""
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
    from engine.hessian_check import HESSIAN_NEGATIVE

    check = fit.opt.hessian_check
    negative = {
        "our_negative": check is not None and check.outcome == HESSIAN_NEGATIVE,
        "lme4_negative": lme4.get("hessian_negative"),
    }
    theirs = float(lme4["criterion"])
    difference = fit.criterion - theirs
    if abs(difference) > 1e-6 * abs(theirs):
        category = "ours lower" if difference < 0 else "ours higher"
        outcome = SweepOutcome(model, category, difference, **negative)
        if "theta" in lme4:
            theta = np.atleast_1d(np.asarray(lme4["theta"], dtype=float))
            if theta.shape == fit.theta.shape:
                # the same function at the same point: the optima differ, not the models
                at_theirs = fit.model.deviance(theta, model.reml) - theirs
                outcome.message = f"{at_theirs:+.2g}"
        return outcome
    estimates = {_r_name(row.term): row.estimate for row in fit.fixed_effects}
    worst = 0.0
    for name, value in lme4["fixef"].items():
        ours = estimates.get(name, math.inf)  # a coefficient we lack counts as a difference
        worst = max(worst, abs(ours - value) / max(abs(value), 1.0))
    outcome = SweepOutcome(model, "match", difference, worst, **negative)
    if "theta" in lme4:
        theirs_theta = np.atleast_1d(np.asarray(lme4["theta"], dtype=float))
        if theirs_theta.shape == fit.theta.shape:
            scale = np.maximum(1.0, np.abs(theirs_theta))
            outcome.theta_difference = float(np.max(np.abs(fit.theta - theirs_theta) / scale))
        else:
            outcome.theta_difference = math.inf
    if "se" in lme4 and outcome.theta_difference is not None and math.isfinite(
        outcome.theta_difference
    ):
        outcome.inference = inference_differences(fit, lme4)
    if "lrt_chisq" in lme4:
        outcome.refit_differences, lrt = lrt_differences(fit, lme4)
        if outcome.inference is not None:
            outcome.inference.update(lrt)
    return outcome


def curvature_lines(outcomes: list[SweepOutcome]) -> list[str]:
    """Counts of the fits where only we, only lme4, or both report negative curvature,
    and the models where the two disagree."""
    known = [o for o in outcomes if o.our_negative is not None and o.lme4_negative is not None]
    ours = [o for o in known if o.our_negative and not o.lme4_negative]
    theirs = [o for o in known if o.lme4_negative and not o.our_negative]
    both = sum(bool(o.our_negative and o.lme4_negative) for o in known)
    lines = [
        "",
        f"Negative curvature (check.conv.hess) among {len(known)} fits: ours only "
        f"{len(ours)}, lme4 only {len(theirs)}, both {both}.",
    ]
    for label, group in (("ours only", ours), ("lme4 only", theirs)):
        for o in group:
            lines.append(f"- {label}: model {o.model.index} `{o.model.formula}` "
                         f"REML {o.model.reml} ({o.category})")
    return lines


def _worst_relative(ours: list[float], theirs: list[float], absolute: float = 0.0) -> float:
    """Largest |ours - theirs| / |theirs| over paired values (inf if the counts differ);
    pairs within ``absolute`` of each other count as equal."""
    if len(ours) != len(theirs):
        return math.inf
    worst = 0.0
    for a, b in zip(ours, theirs, strict=True):
        if a == b or abs(a - b) <= absolute:
            continue
        worst = max(worst, abs(a - b) / abs(b) if b != 0 else math.inf)
    return worst


def inference_differences(fit, lme4: dict) -> dict[str, float]:
    """Our SEs, Satterthwaite df and p, variance components (VarCorr's SDs and
    correlations), BLUPs with their conditional SDs and, for REML fits that pbkrtest
    could handle, Kenward-Roger df and SEs, all evaluated at lme4's theta, against R's.

    Evaluating at lme4's theta compares the formulas rather than the two optimizers'
    end points, which differ on flat optima. Returns the largest difference of each
    quantity (relative; BLUPs and conditional SDs as a share of their term's SD).
    """
    from engine.kenward_roger import kenward_roger_table

    moved = at_theta(fit, np.atleast_1d(np.asarray(lme4["theta"], dtype=float)))
    rows = moved.fixed_effects
    differences = {
        "se": _worst_relative([r.se for r in rows], _floats(lme4["se"])),
        "sat_df": _worst_relative([r.df for r in rows], _floats(lme4["sat_df"])),
        "sat_p": _worst_relative([r.p for r in rows], _floats(lme4["sat_p"]), P_ABSOLUTE),
        # a correlation or SD of zero: compare on an absolute scale of 1e-6
        "sdcor": _worst_relative([v.sdcor for v in moved.variance_components],
                                 _floats(lme4["sdcor"]), 1e-6),
    }
    if "re_value" in lme4:
        differences.update(_blup_differences(moved, lme4))
    if lme4.get("anova_term"):
        differences.update(_anova_differences(moved, lme4))
    if "kr_df" in lme4:
        table = kenward_roger_table(moved)
        differences["kr_df"] = _worst_relative([r.df for r in table], _floats(lme4["kr_df"]))
        differences["kr_se"] = _worst_relative([r.se for r in table], _floats(lme4["kr_se"]))
    return differences


def at_theta(fit, theta: np.ndarray):
    """``fit`` moved to ``theta``: beta, sigma, the BLUPs and every derived table (the
    coefficient table with Satterthwaite df, the variance components, the conditional
    SDs, Kenward-Roger) recomputed there."""
    from engine.lmm import coefficient_table, variance_components

    model = fit.model
    solution = model.solve(theta, fit.reml)
    sigma = float(np.sqrt(solution.sigma2))
    moved = dataclasses.replace(
        fit, theta=theta, sigma=sigma, beta=solution.beta, b=solution.b, u=solution.u,
        vcov_beta=solution.sigma2 * solution.vcov_unscaled, _cache={},
        variance_components=variance_components(model, theta, sigma),
    )
    moved.fixed_effects = coefficient_table(moved, "satterthwaite", moved.level)
    return moved


def _blup_differences(fit, lme4: dict) -> dict[str, float]:
    """Largest |ours - R's| BLUP and conditional SD, each over its term's SD (lme4's
    ``as.data.frame(ranef(m, condVar = TRUE))``, matched by group, term and level)."""
    term_sd = {}
    for component in fit.variance_components:
        if component.var2 is None and component.group != "Residual":
            group = re.sub(r"\.\d+$", "", component.group)  # lme4's "g.1" for g's 2nd || term
            term_sd[(group, _r_name(component.var1))] = component.sdcor
    ours = {(e.group, _r_name(e.term), str(e.level)): e for e in fit.random_effects}
    worst = {"blup": 0.0, "cond_sd": 0.0}
    keys = zip(lme4["re_group"], lme4["re_term"], lme4["re_level"], strict=True)
    values = zip(_floats(lme4["re_value"]), _floats(lme4["re_sd"]), strict=True)
    for key, (value, sd) in zip(keys, values, strict=True):
        effect = ours.get(tuple(key))
        if effect is None:
            return {"blup": math.inf, "cond_sd": math.inf}
        scale = max(term_sd.get(tuple(key[:2]), 0.0), 1e-8)
        worst["blup"] = max(worst["blup"], abs(effect.value - value) / scale)
        worst["cond_sd"] = max(worst["cond_sd"], abs(effect.cond_sd - sd) / scale)
    if len(ours) != len(lme4["re_value"]):
        return {"blup": math.inf, "cond_sd": math.inf}
    return worst


def _anova_differences(fit, lme4: dict) -> dict[str, float]:
    """Our type III Satterthwaite F tests (engine.anova) against lmerTest's
    ``anova(m, type = 3)``, terms matched by their set of variables ("x:f" is "f:x")."""
    from engine.anova import type3_anova

    table = type3_anova(fit, "satterthwaite")
    ours = {frozenset(str(t).split(":")): row for t, row in zip(table["term"],
                                                                 table.itertuples(), strict=True)}
    columns = [np.atleast_1d(lme4[key]).tolist() for key in
               ("anova_term", "anova_F", "anova_numdf", "anova_dendf", "anova_p")]
    # a term whose columns R dropped as aliased has an NA row (and no row of ours)
    theirs = [row for row in zip(*columns, strict=True) if _finite_number(row[1])]
    if {frozenset(str(row[0]).split(":")) for row in theirs} != set(ours):
        return {"anova_F": math.inf, "anova_df": math.inf, "anova_p": math.inf}
    rows = [ours[frozenset(str(row[0]).split(":"))] for row in theirs]
    if [int(r.num_df) for r in rows] != [int(row[2]) for row in theirs]:
        return {"anova_F": math.inf, "anova_df": math.inf, "anova_p": math.inf}
    return {
        "anova_F": _worst_relative([r.F for r in rows], [float(row[1]) for row in theirs]),
        "anova_df": _worst_relative([r.den_df for r in rows], [float(row[3]) for row in theirs]),
        "anova_p": _worst_relative([r.p for r in rows], [float(row[4]) for row in theirs],
                                   P_ABSOLUTE),
    }


def lrt_differences(fit, lme4: dict) -> tuple[list[float], dict[str, float]]:
    """Our likelihood-ratio test of the model against its :data:`REDUCED` model, both
    refitted by ML (engine.compare with ``refit="ml"``, lme4's ``anova``), against
    lme4's. Returns our ML deviances minus lme4's, and, when both refits reach lme4's
    optima (within 1e-6 relative), the largest differences of the chi-square, p, AIC and
    BIC (otherwise the tests differ because the optima do, and nothing is compared)."""
    from engine import fit_lmm
    from engine.compare import compare_models

    small = fit_lmm(REDUCED[fit.formula], fit.source_data, reml=fit.reml)
    table = compare_models([small, fit], refit="ml").table
    theirs = _floats(lme4["lrt_deviance"])
    refits = [ours - value for ours, value in zip(table["deviance"], theirs, strict=True)]
    if any(abs(d) > 1e-6 * abs(v) for d, v in zip(refits, theirs, strict=True)):
        return refits, {}
    last = table.iloc[-1]
    return refits, {
        "lrt_chisq": _worst_relative([float(last["Chisq"])], [float(lme4["lrt_chisq"])], 1e-3),
        "lrt_p": _worst_relative([float(last["p"])], [float(lme4["lrt_p"])], P_ABSOLUTE),
        "lrt_aic": max(_worst_relative(table["AIC"].tolist(), _floats(lme4["lrt_aic"])),
                       _worst_relative(table["BIC"].tolist(), _floats(lme4["lrt_bic"]))),
    }


def _finite_number(value) -> bool:
    try:
        return math.isfinite(float(value))
    except (TypeError, ValueError):
        return False


def _floats(values) -> list[float]:
    return [float(v) for v in np.atleast_1d(np.asarray(values, dtype=float))]


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
    lines += curvature_lines(outcomes)
    lines += _inference_lines(outcomes)
    others = [o for o in outcomes if o.category != "match"]
    if others:
        lines += ["", "| model | formula | REML | outcome | our criterion − lme4's | "
                  "ours at lme4's theta − lme4's |", "|---|---|---|---|---|---|"]
        for o in others:
            known = o.criterion_difference is not None
            delta = f"{o.criterion_difference:+.3g}" if known else o.message
            at_theirs = o.message if known else ""
            model = o.model
            lines.append(f"| {model.index} | `{model.formula}` | {model.reml} | {o.category} | "
                         f"{delta} | {at_theirs} |")
    return lines


def far_from_zero(model: SweepModel) -> bool:
    """Whether the model's x has a mean beyond ``FAR_FROM_ZERO`` SDs (badly conditioned
    cross-products: where R's finite-difference df lose digits)."""
    x = model.data["x"]
    return bool(abs(x.mean()) > FAR_FROM_ZERO * x.std())


def _inference_lines(outcomes: list[SweepOutcome]) -> list[str]:
    """Matched fits at a different theta (a flat optimum), then per quantity how many
    matched fits at the same theta agree with R within the reference tolerance, and
    every fit that does not."""
    matched = [o for o in outcomes if o.category == "match" and o.theta_difference is not None]
    if not matched:
        return []
    apart = [o for o in matched if o.theta_difference > SAME_THETA]
    lines = ["", f"Matched fits at a theta more than {SAME_THETA:g} from lme4's (a flat "
             f"optimum): {len(apart)} of {len(matched)}. Every quantity below is ours "
             "evaluated at lme4's theta."]
    compared = [o for o in matched if o.inference is not None]
    if not compared:
        return lines
    lines += ["", "| quantity | tolerance | within | outside | largest difference |",
              "|---|---|---|---|---|"]
    for name, tolerance in INFERENCE_TOLERANCES.items():
        values = [o.inference[name] for o in compared if name in o.inference]
        if not values:
            continue
        outside = sum(v > tolerance for v in values)
        lines.append(f"| {name} | {tolerance:g} | {len(values) - outside} | {outside} | "
                     f"{max(values):.2g} |")
    failing = [o for o in compared if o.inference_failures]
    refitted = [o for o in outcomes if o.refit_differences is not None]
    apart_refits = [o for o in refitted if "lrt_chisq" not in (o.inference or {})]
    if refitted:
        lines += ["", f"Likelihood-ratio tests run: {len(refitted)}; with an ML refit at "
                  f"another optimum than lme4's (not compared): {len(apart_refits)}."]
        if apart_refits:
            lines += ["", "| model | formula | our ML deviances − lme4's (smaller, larger "
                      "model) |", "|---|---|---|"]
            lines += [f"| {o.model.index} | `{o.model.formula}` | "
                      + ", ".join(f"{d:+.3g}" for d in o.refit_differences) + " |"
                      for o in apart_refits]
    plain = [o for o in compared if not far_from_zero(o.model)]
    lines += ["", f"Of the {len(compared)} fits compared, {len(plain)} have x within "
              f"{FAR_FROM_ZERO:g} SDs of zero; {sum(bool(o.inference_failures) for o in plain)} "
              "of those are outside a tolerance."]
    if failing:
        lines += ["", "| model | formula | REML | x: mean / SD | outside tolerance |",
                  "|---|---|---|---|---|"]
        for o in failing:
            detail = ", ".join(f"{n} {o.inference[n]:.2g}" for n in o.inference_failures)
            x = o.model.data["x"]
            lines.append(f"| {o.model.index} | `{o.model.formula}` | {o.model.reml} | "
                         f"{x.mean():.4g} / {x.std():.2g} | {detail} |")
    return lines


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--models", type=int, default=156)
    parser.add_argument("--markdown", type=Path)
    parser.add_argument("--shapes", choices=sorted(SHAPES), default="base",
                        help="which set of formulas to cycle through")
    parser.add_argument("--inference", action="store_true",
                        help="also compare SEs, variance components, Satterthwaite and "
                             "Kenward-Roger df with lmerTest and pbkrtest")
    args = parser.parse_args(argv)
    if shutil.which("Rscript") is None:
        raise SystemExit("The sweep needs Rscript with lme4 and jsonlite installed.")
    models = make_models(args.seed, args.models, args.shapes)
    with tempfile.TemporaryDirectory(prefix="lmm-sweep-") as tmp:
        lme4 = fit_with_lme4(models, Path(tmp), args.inference)
    outcomes = [compare(model, lme4[model.index]) for model in models]
    text = "\n".join([f"## lme4 sweep: seed {args.seed}, {len(models)} models ({args.shapes})", "",
                      *tally_lines(outcomes)])
    print(text)
    if args.markdown:
        args.markdown.write_text(text + "\n")


if __name__ == "__main__":
    main()
