"""Readers of every BLUP work on the fit's columns (engine.results.RandomEffectColumns)
instead of one object per BLUP: the same answers as reading the RandomEffect rows, and
the numbers are lme4's. The residual panels draw a thinned cloud on large data while
their checks use every row."""

from __future__ import annotations

import json

import numpy as np
import pytest

from assistant.session import Session
from engine.blups import grouping_factors, level_blups, levels_of, terms_of
from engine.level_prediction import level_prediction
from engine.plots.residuals import DRAWN_EDGE_POINTS, MAX_DRAWN_POINTS, drawn_points
from engine.plots.trajectory import levels_across_ranking
from engine.residual_checks import bonferroni_z, check_residual_arrays, extreme_levels
from engine.results import RandomEffect, RandomEffectColumns, blups_by_term
from tests.conftest import ask_ok, find_reference_dir


class RowsOnly:
    """A fit that offers only the RandomEffect rows (the readers' fallback)."""

    def __init__(self, fit):
        self.random_effects = list(fit.random_effects)


@pytest.fixture(scope="module")
def sleep_fit():
    session = Session(sample="sleepstudy")
    ask_ok(session, "LMM: Reaction ~ Days + (Days | Subject)")
    return session.models[1].fit


@pytest.fixture(scope="module")
def ratings_fit():
    session = Session(sample="ratings")
    ask_ok(session, "LMM: rating ~ condition + (1 | rater) + (1 | item)")
    return session.models[1].fit


@pytest.fixture(scope="module")
def lme4_ranef() -> list[dict]:
    path = find_reference_dir() / "cases" / "sleepstudy_slope.json"
    return json.loads(path.read_text())["ranef"]


def _old_ranking(fit, group: str, count: int) -> tuple[str, ...]:
    """levels_across_ranking as it read the rows before."""
    rows = [r for r in fit.random_effects if r.group == group and r.term == "(Intercept)"]
    if not rows:
        first = next((r.term for r in fit.random_effects if r.group == group), None)
        rows = [r for r in fit.random_effects if r.group == group and r.term == first]
    ranked = [r.level for r in sorted(rows, key=lambda r: (r.value, str(r.level)))]
    if len(ranked) <= count:
        return tuple(str(level) for level in ranked)
    picks = np.unique(np.round(np.linspace(0, len(ranked) - 1, count)).astype(int))
    return tuple(str(ranked[i]) for i in picks)


def test_rows_are_the_dataclass_rows_of_the_columns(sleep_fit, lme4_ranef):
    columns = sleep_fit.random_effect_columns
    rows = sleep_fit.random_effects
    assert len(columns) == len(rows) == len(lme4_ranef) == 36
    for row, g, t, lv, v, sd, want in zip(rows, columns.group, columns.term, columns.level,
                                          columns.value, columns.cond_sd, lme4_ranef,
                                          strict=True):
        assert type(row) is RandomEffect
        assert row == RandomEffect(group=g, term=t, level=lv, value=float(v), cond_sd=float(sd))
        assert (row.group, row.term, str(row.level)) == (want["group"], want["term"],
                                                         want["level"])
        assert row.value == pytest.approx(want["value"], rel=1e-3, abs=1e-3)
        assert row.cond_sd == pytest.approx(want["cond_sd"], rel=1e-3)
    with pytest.raises(AttributeError):
        rows[0].value = 1.0  # still frozen


@pytest.mark.parametrize("which", ["sleep_fit", "ratings_fit"])
def test_group_level_and_term_lists_match_the_rows(which, request):
    fit = request.getfixturevalue(which)
    rows = RowsOnly(fit)
    assert grouping_factors(fit) == grouping_factors(rows)
    for group in grouping_factors(fit):
        assert levels_of(fit, group) == levels_of(rows, group)
        assert terms_of(fit, group) == terms_of(rows, group)
        for level in levels_of(fit, group)[:3]:
            assert level_blups(fit, group, level) == level_blups(rows, group, level)
        assert _old_ranking(fit, group, 5) == levels_across_ranking(fit, group, 5)
        assert _old_ranking(fit, group, 500) == levels_across_ranking(fit, group, 500)
    by_columns = blups_by_term(fit.random_effect_columns)
    by_rows = blups_by_term(fit.random_effects)
    assert list(by_columns) == list(by_rows)
    for key, (levels, values) in by_columns.items():
        assert levels == by_rows[key][0]
        np.testing.assert_array_equal(values, by_rows[key][1])


def test_sleepstudy_lists_and_ranking_are_lme4s(sleep_fit, lme4_ranef):
    assert grouping_factors(sleep_fit) == ["Subject"]
    assert terms_of(sleep_fit, "Subject") == ["(Intercept)", "Days"]
    intercepts = {r["level"]: r["value"] for r in lme4_ranef if r["term"] == "(Intercept)"}
    assert levels_of(sleep_fit, "Subject") == list(intercepts)
    ranking = levels_across_ranking(sleep_fit, "Subject", 2)
    assert ranking == (min(intercepts, key=intercepts.get), max(intercepts, key=intercepts.get))
    own = level_blups(sleep_fit, "Subject", "308")
    want = {r["term"]: r["value"] for r in lme4_ranef if r["level"] == "308"}
    assert own == pytest.approx(want, rel=1e-3, abs=1e-3)


def test_a_subjects_prediction_adds_its_blups(sleep_fit, lme4_ranef):
    result = level_prediction(sleep_fit, "Subject", "308", {"Days": 5.0})
    row = result.frame.iloc[0]
    b0, b1 = (next(r["value"] for r in lme4_ranef if r["level"] == "308" and r["term"] == t)
              for t in ("(Intercept)", "Days"))
    beta = dict(zip(sleep_fit.fixed_names, sleep_fit.beta, strict=True))
    assert row["deviation"] == pytest.approx(b0 + 5 * b1, rel=1e-3)
    assert row["population"] == pytest.approx(beta["(Intercept)"] + 5 * beta["Days"], rel=1e-12)


def test_a_term_repeated_in_the_columns_is_one_list_in_order():
    columns = RandomEffectColumns(
        group=["g", "g", "h", "g"], term=["a", "a", "a", "a"], level=[1, 2, "x", 3],
        value=np.array([0.5, -1.0, 2.0, 4.0]), cond_sd=np.ones(4),
    )
    by_term = blups_by_term(columns)
    assert list(by_term) == [("g", "a"), ("h", "a")]
    assert by_term[("g", "a")][0] == ["1", "2", "3"]
    np.testing.assert_array_equal(by_term[("g", "a")][1], [0.5, -1.0, 4.0])
    rows = columns.rows()
    assert list(blups_by_term(rows)) == list(by_term)
    by_term[("g", "a")][1][0] = 99.0  # a copy: the fit's columns are unchanged
    assert columns.value[0] == 0.5


def test_extreme_levels_from_columns_are_those_from_rows():
    rng = np.random.default_rng(7)
    values = np.append(rng.normal(size=60), 9.0)
    columns = RandomEffectColumns(
        group=["school"] * 61, term=["(Intercept)"] * 61,
        level=[f"s{i}" for i in range(61)], value=values, cond_sd=np.ones(61),
    )
    (finding,) = extreme_levels(columns)
    assert extreme_levels(columns.rows()) == (finding,)
    assert finding.levels == ("s60",) and finding.group == "school"
    spread = float(np.std(values[:60], ddof=1))
    assert finding.values["sd_unflagged"] == pytest.approx(spread, rel=1e-12)
    assert finding.values["max_abs_z"] == pytest.approx(9.0 / spread, rel=1e-12)
    assert finding.values["threshold"] == pytest.approx(bonferroni_z(61), rel=1e-12)


def test_residual_checks_use_every_row_and_the_columns(sleep_fit):
    checks = check_residual_arrays(sleep_fit.residuals(), sleep_fit.fitted(),
                                   float(sleep_fit.sigma), sleep_fit.random_effects)
    from engine.residual_checks import check_residuals

    assert check_residuals(sleep_fit) == checks
    assert checks.n == 180


def test_fitted_values_are_computed_once_and_handed_out_as_copies(sleep_fit):
    fitted = sleep_fit.fitted()
    expected = sleep_fit.model.X @ sleep_fit.beta + sleep_fit.model.Z @ sleep_fit.b
    np.testing.assert_array_equal(fitted, expected)
    fitted[:] = 0.0
    np.testing.assert_array_equal(sleep_fit.fitted(), expected)
    np.testing.assert_array_equal(sleep_fit.residuals(), sleep_fit.model.y - expected)


def test_a_small_panel_draws_every_unflagged_point():
    x = np.arange(200.0)
    flagged = np.zeros(200, bool)
    flagged[[3, 50]] = True
    np.testing.assert_array_equal(drawn_points(x, np.sin(x), flagged), ~flagged)


def test_a_large_panel_draws_its_edges_and_a_fixed_random_rest():
    rng = np.random.default_rng(3)
    n = 3 * MAX_DRAWN_POINTS
    x, y = rng.normal(size=n), rng.standard_t(3, size=n)
    flagged = np.abs(y) > 8
    drawn = drawn_points(x, y, flagged)
    assert drawn.sum() == MAX_DRAWN_POINTS
    assert not (drawn & flagged).any()
    rest = np.flatnonzero(~flagged)
    for values in (x, y):
        far = np.abs(values[rest] - np.median(values[rest]))
        edge = rest[np.argsort(-far)[:DRAWN_EDGE_POINTS]]
        assert drawn[edge].all()
    np.testing.assert_array_equal(drawn, drawn_points(x, y, flagged))


@pytest.mark.parametrize("which", ["sleep_fit", "ratings_fit"])
def test_caterpillar_panels_from_columns_are_those_from_rows(which, request):
    from engine.plots.caterpillar import _collect, draw_caterpillar
    from engine.plots.style import figure_style

    fit = request.getfixturevalue(which)
    by_columns = _collect(fit.random_effect_columns)
    by_rows = _collect(fit.random_effects)
    assert list(by_columns) == list(by_rows)
    for group, terms in by_columns.items():
        for mine, theirs in zip(terms, by_rows[group], strict=True):
            assert (mine.group, mine.term) == (theirs.group, theirs.term)
            assert list(mine.levels) == list(theirs.levels)
            np.testing.assert_array_equal(mine.values, theirs.values)
            np.testing.assert_array_equal(mine.cond_sds, theirs.cond_sds)
        with figure_style():
            _, panels = draw_caterpillar(fit.random_effect_columns, group)
            _, old_panels = draw_caterpillar(fit.random_effects, group)
        assert panels == old_panels


def test_caterpillar_intervals_are_lme4s(sleep_fit, lme4_ranef):
    from engine.plots.caterpillar import _collect

    (intercepts, slopes) = _collect(sleep_fit.random_effect_columns)["Subject"]
    want = [r for r in lme4_ranef if r["term"] == "Days"]
    assert slopes.term == "Days" and list(slopes.levels) == [r["level"] for r in want]
    np.testing.assert_allclose(slopes.values, [r["value"] for r in want], rtol=1e-3, atol=1e-3)
    np.testing.assert_allclose(slopes.cond_sds, [r["cond_sd"] for r in want], rtol=1e-3)
    assert intercepts.values.size == 18
