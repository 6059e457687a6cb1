"""Built-in sample data sets: ``list_samples()`` and ``load_sample(name)``.

The simulated sets are shipped as CSV files in ``engine/sample_data/`` and come with the
function that generated them (fixed seeds, numpy's ``default_rng``); a test regenerates each
one and checks that it matches the shipped file. ``pain_wide`` is ``pain_trial`` pivoted
to one row per patient. ``sleepstudy`` is lme4's data set (Belenky et al. 2003), as
exported in the shared reference data.

Summary of the samples (full design and truth in each generator's docstring):

- ``pain_trial``: 80 patients at months 0, 1, 3, 6, about 12% of follow-ups missed;
  pain = 59 − 2·time − 12·treated + patient intercept (variance ≈ 48, six patients +20)
  + residual (variance 28); ICC ≈ 0.63.
- ``pain_wide``: ``pain_trial`` with one row per patient.
- ``schools``: 40 schools of 10–60 students; score = 45 + 4·SES + 0.01·school_size
  + school intercept (variance 25) + residual (variance 100); ICC 0.2.
- ``sleepstudy``: lme4's 18 subjects over days 0–9 (real data).
- ``ratings``: 30 raters × 24 items (crossed, every rater rates every item), item-level
  condition A/B; rating = 50 + 8·[B] + rater (SD 4) + item (SD 6) + residual (SD 5);
  15 of the 720 ratings missing.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from importlib import resources

import numpy as np
import pandas as pd

from engine.errors import LmmInputError

#: Seed of :func:`generate_pain_trial`, chosen so that the REML fit of
#: ``pain_score ~ time + treatment + (1 | patient)`` recovers the truth (see its docstring).
PAIN_TRIAL_SEED = 2966
#: Seed of :func:`generate_schools`.
SCHOOLS_SEED = 7
#: Seed of :func:`generate_ratings`, chosen so that the REML fit of
#: ``rating ~ condition + (1 | rater) + (1 | item)`` recovers the truth (see its docstring).
RATINGS_SEED = 9
PAIN_TIMES = (0, 1, 3, 6)


@dataclass(frozen=True)
class SampleInfo:
    """One sample: its ``name``, a one-line ``description``, its size and a model to try."""

    name: str
    description: str
    n_rows: int
    columns: list[str]
    suggested_formula: str | None

    def to_dict(self) -> dict:
        return {
            "name": self.name, "description": self.description, "n_rows": self.n_rows,
            "columns": list(self.columns), "suggested_formula": self.suggested_formula,
        }


# --------------------------------------------------------------------------- generators
def generate_pain_trial(seed: int = PAIN_TRIAL_SEED) -> pd.DataFrame:
    """The pain trial as shipped (see :func:`simulate_pain_trial` for its design and truth)."""
    return simulate_pain_trial(seed)[0]


def simulate_pain_trial(seed: int = PAIN_TRIAL_SEED) -> tuple[pd.DataFrame, list[str]]:
    """Simulate the pain trial: 80 patients, pain measured at months 0, 1, 3 and 6.

    Design: patients ``P001``–``P080``; 40 ``control`` and 40 ``treated`` (randomly
    assigned); ``age`` ~ N(55, 12²) rounded and clipped to 18–85; ``sex`` female/male with
    probability ½ each. Each follow-up visit (months 1, 3, 6) is missed independently with
    probability 0.12 (missing completely at random); baseline is always observed, so the
    data are unbalanced.

    Truth (``pain_score`` rounded to 0.1)::

        pain = 59 − 2·time − 12·[treated] + u_patient + ε
        u_patient = v + 20·[subgroup],  v ~ N(0, 20.25),  ε ~ N(0, 28)

    Exactly 6 patients form the high-pain subgroup (+20 on their intercept). Across all
    patients the intercept deviations have mean 20·6/80 = 1.5 (so the average intercept is
    60.5) and variance 20.25 + 20²·(6/80)(74/80) ≈ 48, giving ICC ≈ 48 / (48 + 28) ≈ 0.63.
    Age and sex have no effect. Returns the data and the ids of the subgroup's patients.
    """
    rng = np.random.default_rng(seed)
    n = 80
    patients = [f"P{i:03d}" for i in range(1, n + 1)]
    treatment = np.array(["control"] * (n // 2) + ["treated"] * (n // 2))
    rng.shuffle(treatment)
    age = np.clip(np.round(rng.normal(55.0, 12.0, n)), 18, 85).astype(int)
    sex = rng.choice(np.array(["female", "male"]), size=n)
    subgroup = np.zeros(n, dtype=bool)
    subgroup[rng.choice(n, size=6, replace=False)] = True
    intercepts = 59.0 + rng.normal(0.0, np.sqrt(20.25), n) + 20.0 * subgroup
    rows = []
    for i in range(n):
        for t in PAIN_TIMES:
            if t > 0 and rng.random() < 0.12:
                continue
            mean = intercepts[i] - 2.0 * t - 12.0 * (treatment[i] == "treated")
            score = mean + rng.normal(0.0, np.sqrt(28.0))
            rows.append((patients[i], t, treatment[i], round(float(score), 1), int(age[i]), sex[i]))
    frame = pd.DataFrame(
        rows, columns=["patient", "time", "treatment", "pain_score", "age", "sex"]
    )
    return frame, [p for p, high in zip(patients, subgroup, strict=True) if high]


def pain_trial_to_wide(long: pd.DataFrame) -> pd.DataFrame:
    """``pain_trial`` as one row per patient: ``pain_0, pain_1, pain_3, pain_6`` (NaN if missed)."""
    between = long.groupby("patient", sort=True)[["treatment", "age", "sex"]].first()
    scores = long.pivot(index="patient", columns="time", values="pain_score")
    scores = scores.reindex(columns=list(PAIN_TIMES))
    scores.columns = [f"pain_{t}" for t in PAIN_TIMES]
    wide = between.join(scores).reset_index()
    return wide[["patient", "treatment", "age", "sex", *scores.columns]]


def generate_schools(seed: int = SCHOOLS_SEED) -> pd.DataFrame:
    """Simulate students in schools: a clustered cross-sectional design.

    Design: 40 schools (``school_01``–``school_40``) with 10–60 students each (uniform);
    students ``S0001``… numbered across schools; ``SES`` ~ N(0, 1) per student (a
    standardized socio-economic score, rounded to 0.01); ``school_size`` is the school's
    enrolment, uniform on 200–1,200 (a school-level predictor on a large scale, which is
    worth centering or scaling).

    Truth (``test_score`` rounded to 0.1)::

        test_score = 45 + 4·SES + 0.01·school_size + u_school + ε
        u_school ~ N(0, 25),  ε ~ N(0, 100)

    so the ICC is 25 / 125 = 0.2 and 100 more students of enrolment add 1 point.
    """
    rng = np.random.default_rng(seed)
    n_schools = 40
    sizes = rng.integers(10, 61, n_schools)
    enrolment = rng.integers(200, 1201, n_schools)
    school_effect = rng.normal(0.0, 5.0, n_schools)
    rows = []
    student = 0
    for s in range(n_schools):
        ses = np.round(rng.normal(0.0, 1.0, sizes[s]), 2)
        noise = rng.normal(0.0, 10.0, sizes[s])
        for k in range(sizes[s]):
            student += 1
            score = 45.0 + 4.0 * ses[k] + 0.01 * enrolment[s] + school_effect[s] + noise[k]
            rows.append(
                (f"school_{s + 1:02d}", f"S{student:04d}", round(float(score), 1),
                 float(ses[k]), int(enrolment[s]))
            )
    return pd.DataFrame(rows, columns=["school", "student", "test_score", "SES", "school_size"])


def generate_ratings(seed: int = RATINGS_SEED) -> pd.DataFrame:
    """Simulate raters crossed with items: every rater rates every item.

    Design: 30 raters (``R01``–``R30``) and 24 items (``I01``–``I24``); each item belongs to
    ``condition`` A or B (12 each, randomly assigned), so the condition varies between
    items and within raters. Each rating is missing independently with probability 0.03
    (missing completely at random; the row is kept with an empty ``rating``): 15 of the 720
    with the shipped seed.

    Truth (``rating`` rounded to 0.1)::

        rating = 50 + 8·[B] + u_rater + w_item + ε
        u_rater ~ N(0, 4²),  w_item ~ N(0, 6²),  ε ~ N(0, 5²)

    so a rating's variance is 16 + 36 + 25 = 77: ratings of one item by two raters
    correlate 36/77 ≈ 0.47, ratings by one rater of two items 16/77 ≈ 0.21. With the
    shipped seed the REML fit of ``rating ~ condition + (1 | rater) + (1 | item)`` gives
    SDs 3.99, 5.87 and 4.98 and a condition effect of 7.8 (SE 2.4).
    """
    rng = np.random.default_rng(seed)
    n_raters, n_items = 30, 24
    raters = [f"R{i:02d}" for i in range(1, n_raters + 1)]
    items = [f"I{j:02d}" for j in range(1, n_items + 1)]
    condition = np.array(["A"] * (n_items // 2) + ["B"] * (n_items // 2))
    rng.shuffle(condition)
    rater_effect = rng.normal(0.0, 4.0, n_raters)
    item_effect = rng.normal(0.0, 6.0, n_items)
    rows = []
    for i in range(n_raters):
        noise = rng.normal(0.0, 5.0, n_items)
        missing = rng.random(n_items) < 0.03
        for j in range(n_items):
            mean = 50.0 + 8.0 * (condition[j] == "B") + rater_effect[i] + item_effect[j]
            rating = np.nan if missing[j] else round(float(mean + noise[j]), 1)
            rows.append((raters[i], items[j], condition[j], rating))
    return pd.DataFrame(rows, columns=["rater", "item", "condition", "rating"])


# --------------------------------------------------------------------------- catalogue
@dataclass(frozen=True)
class _Sample:
    description: str
    suggested_formula: str | None
    file: str | None


_SAMPLES: dict[str, _Sample] = {
    "pain_trial": _Sample(
        "Simulated clinical trial: pain scores of 80 patients (control vs treated) at "
        "months 0, 1, 3 and 6, with missed visits.",
        "pain_score ~ time + treatment + (1 | patient)",
        "pain_trial.csv",
    ),
    "pain_wide": _Sample(
        "The pain trial in wide format: one row per patient, columns pain_0, pain_1, pain_3, "
        "pain_6.",
        None,
        None,
    ),
    "schools": _Sample(
        "Simulated test scores of students in 40 schools, with socio-economic status (SES) "
        "and school size.",
        "test_score ~ SES + school_size + (1 | school)",
        "schools.csv",
    ),
    "sleepstudy": _Sample(
        "lme4's sleepstudy: reaction times of 18 subjects over 10 days of sleep deprivation.",
        "Reaction ~ Days + (Days | Subject)",
        "sleepstudy.csv",
    ),
    "ratings": _Sample(
        "Simulated ratings: 30 raters crossed with 24 items (condition A or B per item), "
        "a few ratings missing.",
        "rating ~ condition + (1 | rater) + (1 | item)",
        "ratings.csv",
    ),
}

#: Columns read as text even when they look numeric (sleepstudy's subject numbers).
_TEXT_COLUMNS = {"sleepstudy": {"Subject": str}}


def sample_names() -> list[str]:
    """The names :func:`load_sample` accepts."""
    return list(_SAMPLES)


def load_sample(name: str) -> pd.DataFrame:
    """A fresh copy of the named sample; an unknown name raises :class:`LmmInputError`."""
    key = name.strip().lower().replace("-", "_").replace(" ", "_")
    sample = _SAMPLES.get(key)
    if sample is None:
        close = difflib.get_close_matches(key, list(_SAMPLES), n=1, cutoff=0.6)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        raise LmmInputError(
            f"There is no sample called '{name}'{hint}; the samples are {', '.join(_SAMPLES)}."
        )
    if key == "pain_wide":
        return pain_trial_to_wide(load_sample("pain_trial"))
    assert sample.file is not None
    source = resources.files("engine").joinpath("sample_data", sample.file)
    with source.open("r", encoding="utf-8") as handle:
        return pd.read_csv(handle, dtype=_TEXT_COLUMNS.get(key))


def list_samples() -> list[SampleInfo]:
    """Every sample with a one-line description, its size and a model to try on it."""
    infos = []
    for name, sample in _SAMPLES.items():
        frame = load_sample(name)
        infos.append(
            SampleInfo(
                name=name, description=sample.description, n_rows=int(len(frame)),
                columns=[str(c) for c in frame.columns],
                suggested_formula=sample.suggested_formula,
            )
        )
    return infos
