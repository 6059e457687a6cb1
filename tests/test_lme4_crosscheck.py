"""The engine against lme4, lmerTest and pbkrtest on model shapes beyond the reference.

tests/data/lme4_crosscheck/results.json was made by ``make_crosscheck.R`` (lme4 1.1-31,
lmerTest 3.1-3, pbkrtest 0.5.2) from the models of ``models.tsv``: a vector-valued term
of three columns, random slopes of a factor, a vector-valued term on the second grouping
factor (the engine's general deviance path), nesting within a covariate's levels, crossed
terms by ML, transformed predictors (``log``, ``poly``, ``scale``), an uncorrelated slope
with an interaction, and a factor slope without intercept. The tolerances are those of
the shared reference (its README): criterion 1e-6 (or lower than lme4's), fixed effects
1e-4, SEs 1e-3, variance components 1e-3, Satterthwaite and Kenward-Roger df 1e-2,
p-values 1e-2 (or 1e-8 absolute), BLUPs and conditional SDs 1e-3 of their term's SD.
"""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pandas as pd
import pytest

from engine import fit_lmm
from engine.samples import load_sample

HERE = Path(__file__).parent / "data" / "lme4_crosscheck"
MODELS = list(csv.DictReader((HERE / "models.tsv").open(), delimiter="\t"))
RESULTS = json.loads((HERE / "results.json").read_text())


def _data(case: dict, reference_dir: Path) -> pd.DataFrame:
    if case["source"] == "sample":
        return load_sample(case["dataset"])
    return pd.read_csv(reference_dir / "data" / f"{case['dataset']}.csv")


def _r_name(term: str) -> str:
    """formulaic's ``sex[T.M]`` and ``Sex[Male]`` as R prints them (``sexM``, ``SexMale``)."""
    return re.sub(r"\[(?:T\.)?([^\]]*)\]", r"\1", term)


def _close(ours: float, theirs: float, rel: float) -> bool:
    return abs(ours - theirs) <= rel * abs(theirs)


@pytest.fixture(scope="module", params=MODELS, ids=[m["name"] for m in MODELS])
def fitted(request, reference_dir):
    case = request.param
    reml = case["reml"] == "TRUE"
    data = _data(case, reference_dir)
    fit = fit_lmm(case["formula"], data, reml=reml)
    kr = fit_lmm(case["formula"], data, reml=True, ddf="kenward-roger") if reml else None
    return case, fit, kr, RESULTS[case["name"]]


def test_criterion_and_singularity_match_lme4(fitted):
    case, fit, _, r = fitted
    # within 1e-6 of lme4's optimum, or below it (a better optimum is fine)
    assert fit.criterion <= r["criterion"] + 1e-6 * abs(r["criterion"]), case["name"]
    assert fit.singular == r["singular"]


def test_fixed_effects_match_lmertest_satterthwaite(fitted):
    case, fit, _, r = fitted
    ours = {_r_name(fe.term): fe for fe in fit.fixed_effects}
    assert set(ours) == {row["term"] for row in r["fixef"]}
    for row in r["fixef"]:
        fe = ours[row["term"]]
        assert _close(fe.estimate, row["estimate"], 1e-4), (row["term"], fe.estimate)
        assert _close(fe.se, row["se"], 1e-3), (row["term"], fe.se)
        assert _close(fe.df, row["df"], 1e-2), (row["term"], fe.df)
        assert _close(fe.p, row["p"], 1e-2) or abs(fe.p - row["p"]) < 1e-8, row["term"]


def test_kenward_roger_matches_pbkrtest(fitted):
    case, _, kr, r = fitted
    if kr is None:  # Kenward-Roger is defined for REML fits only; R computed none either
        assert case["reml"] == "FALSE" and not r.get("kenward_roger")
        return
    ours = {_r_name(fe.term): fe for fe in kr.fixed_effects}
    for row in r["kenward_roger"]:
        fe = ours[row["term"]]
        assert _close(fe.se, row["se"], 1e-3), (row["term"], fe.se)
        assert _close(fe.df, row["df"], 1e-2), (row["term"], fe.df)


def test_variance_components_match_varcorr(fitted):
    case, fit, _, r = fitted
    ours = {
        (vc.group, _r_name(vc.var1 or ""), _r_name(vc.var2 or "")): vc
        for vc in fit.variance_components
    }
    assert len(ours) == len(r["varcorr"])
    scale = {row["grp"]: row["vcov"] for row in r["varcorr"] if not row["var2"]}
    for row in r["varcorr"]:
        vc = ours[(row["grp"], row["var1"], row["var2"])]
        if row["var2"]:  # a correlation: absolute, as it lies in [-1, 1]
            assert abs(vc.sdcor - row["sdcor"]) <= 1e-3, (row, vc.sdcor)
        else:
            # variances at zero (singular fits) compare against the largest of the group
            size = max(abs(row["vcov"]), 1e-3 * max(scale.values()))
            assert abs(vc.vcov - row["vcov"]) <= 1e-3 * size, (row, vc.vcov)


def test_blups_and_conditional_sds_match_ranef_condvar(fitted):
    """Every BLUP and conditional SD (lme4's ``ranef(condVar = TRUE)``), within 1e-3 of
    its term's SD, the reference cases' rule."""
    case, fit, _, r = fitted
    sd = {
        (row["grp"].rsplit(".", 1)[0], row["var1"]): row["sdcor"]
        for row in r["varcorr"] if not row["var2"] and row["grp"] != "Residual"
    }
    ours = {(re.group, _r_name(re.term), re.level): re for re in fit.random_effects}
    assert len(ours) == len(r["ranef"])
    for row in r["ranef"]:
        re = ours[(row["group"], row["term"], row["level"])]
        scale = 1e-3 * max(sd[(row["group"], row["term"])], 1e-12)
        assert abs(re.value - row["value"]) <= scale, (row, re.value)
        assert abs(re.cond_sd - row["cond_sd"]) <= scale, (row, re.cond_sd)
