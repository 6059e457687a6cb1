"""Benchmark cases: the shared lme4 reference cases and two large synthetic designs.

The synthetic generators are deterministic for a given seed:

* :func:`make_insteval_like` mimics the shape of lme4's ``InstEval`` data (Bates et al.
  2015, JSS 67(1)): 73,421 ratings, 2,972 students ``s`` crossed with 1,128 lecturers
  ``d``, each lecturer in one of 14 departments, and a two-level ``service`` factor, so
  that ``dept:service`` has 28 levels. The response is continuous with InstEval's REML
  variance components (s 0.105, d 0.262, dept:service 0.0117, residual 1.385).
* :func:`make_random_slope` builds a balanced longitudinal design with one grouping
  factor and a correlated random intercept and slope, ``y ~ x + (1 + x | g)``; the
  default is 1,000,000 rows in 125,000 groups of 8.

Grouping columns are pandas categoricals with string labels (``"s0001"``) so that every
tool reads them as factors and nothing mistakes them for numbers.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

INSTEVAL_FORMULA = "y ~ service + (1 | s) + (1 | d) + (1 | dept:service)"
RANDOM_SLOPE_FORMULA = "y ~ x + (1 + x | g)"

#: InstEval's REML variance components from lme4 (Bates et al. 2015), used as truth.
INSTEVAL_VARIANCES = {"s": 0.105, "d": 0.262, "dept:service": 0.0117, "residual": 1.385}


@dataclass
class BenchCase:
    """One model to time: a formula, its data, and which columns are factors."""

    name: str
    formula: str
    data: pd.DataFrame
    reml: bool = True
    factor_columns: tuple[str, ...] = ()
    group: str = "small"
    reference_criterion: float | None = None
    notes: dict[str, object] = field(default_factory=dict)

    @property
    def nobs(self) -> int:
        return len(self.data)


def _labels(prefix: str, n: int) -> list[str]:
    width = len(str(n))
    return [f"{prefix}{i + 1:0{width}d}" for i in range(n)]


def _assign_levels(
    rng: np.random.Generator, n_rows: int, n_levels: int, shape: float
) -> np.ndarray:
    """Codes 0..n_levels-1 for n_rows rows: every level at least once, sizes skewed.

    Level sizes follow gamma-distributed weights (smaller ``shape`` = more unequal), the
    way students rate different numbers of courses and lecturers teach different loads.
    """
    weights = rng.gamma(shape, size=n_levels)
    extra = rng.choice(n_levels, size=n_rows - n_levels, p=weights / weights.sum())
    codes = np.concatenate([np.arange(n_levels), extra])
    return rng.permutation(codes)


def _lecturers_for_rows(
    rng: np.random.Generator,
    student_of_row: np.ndarray,
    home_dept: np.ndarray,
    dept_of_lecturer: np.ndarray,
    home_share: float,
) -> np.ndarray:
    """Lecturer codes per row: from the student's home department with ``home_share``.

    Lecturer loads follow gamma(1) weights. Sampling is vectorised: lecturers sorted by
    department, one cumulative weight array, and a search inside the chosen range.
    """
    n_lecturers = len(dept_of_lecturer)
    n_depts = int(dept_of_lecturer.max()) + 1
    weights = rng.gamma(1.0, size=n_lecturers)
    order = np.argsort(dept_of_lecturer, kind="stable")
    cumulative = np.concatenate([[0.0], np.cumsum(weights[order])])
    starts = np.searchsorted(dept_of_lecturer[order], np.arange(n_depts))
    ends = np.append(starts[1:], n_lecturers)
    n_rows = len(student_of_row)
    u = rng.random(n_rows)
    dept = home_dept[student_of_row]
    low, high = cumulative[starts[dept]], cumulative[ends[dept]]
    at_home = np.searchsorted(cumulative, low + u * (high - low), side="right") - 1
    anywhere = np.searchsorted(cumulative, u * cumulative[-1], side="right") - 1
    position = np.where(rng.random(n_rows) < home_share, at_home, anywhere)
    lecturer = order[np.clip(position, 0, n_lecturers - 1)]
    missing = np.setdiff1d(np.arange(n_lecturers), lecturer)
    while len(missing):  # give every lecturer at least one rating
        lecturer[rng.choice(n_rows, size=len(missing), replace=False)] = missing
        missing = np.setdiff1d(np.arange(n_lecturers), lecturer)
    return lecturer


def make_insteval_like(
    seed: int = 20150101,
    n_rows: int = 73_421,
    n_students: int = 2_972,
    n_lecturers: int = 1_128,
    n_depts: int = 14,
    home_share: float = 0.92,
) -> pd.DataFrame:
    """An InstEval-shaped crossed design with columns ``y, service, s, d, dept``.

    Lecturers are nested in departments (each ``d`` belongs to one ``dept``). Students
    are crossed with lecturers but, as in InstEval, mostly rate lecturers of one home
    department (``home_share`` of their ratings), which keeps the lecturer block of the
    cross-product about 20% non-zero after the student block is eliminated, the
    sparsity the design notes report for the real data. ``service`` varies row by row
    (about 43% ``"1"``, as in InstEval).
    y = 3.2 - 0.07·service + b_s + b_d + b_dept:service + ε with the variance components
    of :data:`INSTEVAL_VARIANCES`.
    """
    if n_rows < n_students + n_lecturers:
        raise ValueError("n_rows must exceed the number of students plus lecturers")
    rng = np.random.default_rng(seed)
    s = _assign_levels(rng, n_rows, n_students, shape=2.0)
    dept_of_lecturer = rng.permutation(np.arange(n_lecturers) % n_depts)
    home_dept = rng.integers(0, n_depts, n_students)
    d = _lecturers_for_rows(rng, s, home_dept, dept_of_lecturer, home_share)
    dept = dept_of_lecturer[d]
    service = (rng.random(n_rows) < 0.43).astype(np.int64)
    dept_service = dept * 2 + service

    v = INSTEVAL_VARIANCES
    b_s = rng.normal(0.0, np.sqrt(v["s"]), n_students)
    b_d = rng.normal(0.0, np.sqrt(v["d"]), n_lecturers)
    b_ds = rng.normal(0.0, np.sqrt(v["dept:service"]), 2 * n_depts)
    eps = rng.normal(0.0, np.sqrt(v["residual"]), n_rows)
    y = 3.2 - 0.07 * service + b_s[s] + b_d[d] + b_ds[dept_service] + eps

    return pd.DataFrame(
        {
            "y": y,
            "service": pd.Categorical.from_codes(service, categories=["0", "1"]),
            "s": pd.Categorical.from_codes(s, categories=_labels("s", n_students)),
            "d": pd.Categorical.from_codes(d, categories=_labels("d", n_lecturers)),
            "dept": pd.Categorical.from_codes(dept, categories=_labels("dept", n_depts)),
        }
    )


def make_random_slope(
    seed: int = 20240607,
    n_groups: int = 125_000,
    per_group: int = 8,
    beta: tuple[float, float] = (10.0, 2.0),
    sd_intercept: float = 1.0,
    sd_slope: float = 0.5,
    correlation: float = 0.3,
    sd_residual: float = 1.0,
) -> pd.DataFrame:
    """A balanced design for ``y ~ x + (1 + x | g)`` with columns ``y, x, g``.

    x is standard normal per observation; (b0, b1) per group are bivariate normal with
    the given SDs and correlation.
    """
    rng = np.random.default_rng(seed)
    n_rows = n_groups * per_group
    g = np.repeat(np.arange(n_groups), per_group)
    x = rng.normal(0.0, 1.0, n_rows)
    cov = np.array(
        [
            [sd_intercept**2, correlation * sd_intercept * sd_slope],
            [correlation * sd_intercept * sd_slope, sd_slope**2],
        ]
    )
    b = rng.multivariate_normal(np.zeros(2), cov, size=n_groups)
    y = beta[0] + beta[1] * x + b[g, 0] + b[g, 1] * x + rng.normal(0.0, sd_residual, n_rows)
    return pd.DataFrame(
        {"y": y, "x": x, "g": pd.Categorical.from_codes(g, categories=_labels("g", n_groups))}
    )


def insteval_case(seed: int = 20150101) -> BenchCase:
    """The InstEval-shaped benchmark case."""
    return BenchCase(
        name="insteval_like",
        formula=INSTEVAL_FORMULA,
        data=make_insteval_like(seed),
        factor_columns=("service", "s", "d", "dept"),
        group="insteval",
    )


def million_case(seed: int = 20240607) -> BenchCase:
    """The 1,000,000-row random intercept and slope case."""
    return BenchCase(
        name="million_slope",
        formula=RANDOM_SLOPE_FORMULA,
        data=make_random_slope(seed),
        factor_columns=("g",),
        group="million",
    )


# ----------------------------------------------------------------- reference cases
def find_reference_dir(repo_root: Path | None = None) -> Path | None:
    """The shared lme4 reference directory: ``../shared/reference`` or ``/work/shared``."""
    root = repo_root or Path(__file__).resolve().parents[1]
    for candidate in (root.parent / "shared" / "reference", Path("/work/shared/reference")):
        if (candidate / "cases.tsv").is_file():
            return candidate
    return None


def _grouping_columns(formula: str) -> tuple[str, ...]:
    from grammar.formula import parse_formula

    names: list[str] = []
    for term in parse_formula(formula).random_terms:
        for name in term.group_variables:
            if name not in names:
                names.append(name)
    return tuple(names)


def read_case_data(path: Path, grouping: tuple[str, ...]) -> tuple[pd.DataFrame, tuple[str, ...]]:
    """Read a reference CSV; grouping and text columns become string factors."""
    with path.open(newline="") as handle:
        header = next(csv.reader(handle))
    wanted = {name: str for name in grouping if name in header}
    data = pd.read_csv(path, dtype=wanted)
    factors = [c for c in data.columns if not pd.api.types.is_numeric_dtype(data[c])]
    return data, tuple(factors)


def reference_cases(reference_dir: Path | None = None) -> list[BenchCase]:
    """Every case listed in the reference ``cases.tsv``, with lme4's criterion."""
    import json

    ref = reference_dir or find_reference_dir()
    if ref is None:
        return []
    table = pd.read_csv(ref / "cases.tsv", sep="\t")
    cases = []
    for row in table.itertuples(index=False):
        data, factors = read_case_data(
            ref / "data" / f"{row.dataset}.csv", _grouping_columns(row.formula)
        )
        reml = str(row.reml).strip().upper() == "TRUE"
        result_path = ref / "cases" / f"{row.case}.json"
        criterion = None
        if result_path.is_file():
            criterion = float(json.loads(result_path.read_text())["criterion"])
        cases.append(
            BenchCase(
                name=row.case,
                formula=row.formula,
                data=data,
                reml=reml,
                factor_columns=factors,
                group="small",
                reference_criterion=criterion,
            )
        )
    return cases
