"""build_design reads columns directly: missing rows, factor levels and the model frame."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from engine.design import build_design, fixed_design_for
from engine.errors import LmmInputError
from engine.lmm import fit_lmm
from engine.transforms import Factor, TransformState, evaluate
from grammar.formula import parse_formula


def _data(n: int = 48) -> pd.DataFrame:
    rng = np.random.default_rng(5)
    return pd.DataFrame(
        {
            "y": rng.normal(size=n),
            "x": rng.normal(size=n),
            "arm": np.tile(["placebo", "low", "high"], n // 3),
            "site": np.repeat([10, 2, 1, 33, 4, 5, 7, 8], n // 8),
            "g": np.repeat([f"s{i}" for i in range(12)], n // 12),
        }
    )


def _same_design(a, b) -> None:
    np.testing.assert_array_equal(a.y, b.y)
    np.testing.assert_array_equal(a.X, b.X)
    assert a.fixed_names == b.fixed_names
    assert a.fixed_term_columns == b.fixed_term_columns
    for ta, tb in zip(a.random_terms, b.random_terms, strict=True):
        assert ta.levels == tb.levels
        np.testing.assert_array_equal(ta.codes, tb.codes)
        np.testing.assert_array_equal(ta.matrix, tb.matrix)
    pd.testing.assert_frame_equal(a.frame, b.frame, check_exact=True)


def test_rows_with_a_missing_value_are_dropped_and_counted_per_variable():
    data = _data()
    data.loc[[1, 2], "y"] = np.nan
    data.loc[[2, 5], "x"] = np.nan
    data.loc[7, "arm"] = None
    data.loc[[9, 10, 11], "g"] = None
    formula = parse_formula("y ~ x * arm + (1 | g)")
    design = build_design(formula, data)
    assert design.dropped_by_variable == {"y": 2, "x": 2, "arm": 1, "g": 3}
    assert design.n_dropped == 7
    complete = data.dropna(subset=["y", "x", "arm", "g"])
    _same_design(design, build_design(formula, complete))
    assert list(design.frame.index) == list(range(len(complete)))


def test_nullable_integers_count_pd_na_as_missing():
    data = _data()
    data["x"] = pd.array(np.arange(len(data)), dtype="Int64")
    data.loc[3, "x"] = pd.NA
    design = build_design(parse_formula("y ~ x + (1 | g)"), data)
    assert design.dropped_by_variable["x"] == 1
    assert design.X[:, 1].tolist() == [float(v) for v in range(len(data)) if v != 3]


def test_model_frame_is_indexed_from_zero_whatever_the_data_index():
    data = _data()
    data.index = [f"row{i}" for i in range(len(data))]
    design = build_design(parse_formula("y ~ x + arm + (1 | g)"), data)
    expected = data[["y", "x", "arm", "g"]].reset_index(drop=True)
    pd.testing.assert_frame_equal(design.frame, expected, check_exact=True)


def test_grouping_levels_of_numbers_sort_as_text_and_factor_sorts_numbers():
    data = _data()
    design = build_design(parse_formula("y ~ factor(site) + (1 | site)"), data)
    assert design.random_terms[0].levels == ["1", "10", "2", "33", "4", "5", "7", "8"]
    assert design.fixed_names[1:] == [f"factor(site)[T.{v}]" for v in (2, 4, 5, 7, 8, 10, 33)]
    codes = design.random_terms[0].codes
    labels = np.array(design.random_terms[0].levels)[codes]
    assert labels.tolist() == [str(v) for v in data["site"]]


def test_a_categorical_keeps_its_level_order_without_unused_levels():
    data = _data()
    others = sorted(set(data["g"]) - {"s9"}, reverse=True)
    data["g"] = pd.Categorical(data["g"], categories=["s9", "unused", *others])
    data["arm"] = pd.Categorical(data["arm"], categories=["placebo", "none", "low", "high"])
    design = build_design(parse_formula("y ~ arm + (1 | g)"), data)
    assert design.fixed_names == ["(Intercept)", "arm[T.low]", "arm[T.high]"]
    levels = design.random_terms[0].levels
    assert levels[0] == "s9" and "unused" not in levels and len(levels) == 12


def test_without_unused_levels_renumbers_the_codes():
    factor = Factor(np.array([2, 0, 2, 0]), ["a", "b", "c"])
    trimmed = factor.without_unused_levels()
    assert trimmed.levels == ["a", "c"]
    assert trimmed.codes.tolist() == [1, 0, 1, 0]


def test_booleans_are_factors_false_before_true():
    data = _data()
    data["treated"] = np.tile([True, False], len(data) // 2)
    value = evaluate(parse_formula("y ~ treated + (1 | g)").fixed_terms[0].factors[0], data,
                     TransformState())
    assert isinstance(value, Factor)
    assert value.levels == ["FALSE", "TRUE"]
    assert value.codes.tolist() == [1, 0] * (len(data) // 2)


def test_values_that_print_alike_are_refused():
    data = _data()
    data["mixed"] = pd.Series([1, "1"] * (len(data) // 2), dtype=object)
    with pytest.raises(LmmInputError, match="all read '1'"):
        build_design(parse_formula("y ~ x + (1 | mixed)"), data)


def test_prediction_rows_with_a_missing_factor_value_are_refused():
    fit = fit_lmm("y ~ x + arm + (1 | g)", _data())
    grid = pd.DataFrame({"x": [0.0, 1.0], "arm": ["low", None]})
    with pytest.raises(LmmInputError, match="'arm' is missing in 1 row"):
        fixed_design_for(fit, grid)
    rows = fixed_design_for(fit, pd.DataFrame({"x": [0.5], "arm": ["placebo"]}))
    assert rows.tolist() == [[1.0, 0.5, 0.0, 1.0]]  # (Intercept), x, arm[T.low], arm[T.placebo]


def test_the_model_frame_is_built_once_and_ignores_later_edits_of_the_data():
    data = _data()
    data.loc[4, "x"] = np.nan
    fit = fit_lmm("y ~ x + arm + (1 | g)", data)
    expected = data[["y", "x", "arm", "g"]].dropna().reset_index(drop=True)
    data.loc[0, "x"] = 1000.0
    data["arm"] = "changed"
    assert fit.data is fit.data
    pd.testing.assert_frame_equal(fit.data, expected, check_exact=True)


def test_the_model_frame_ignores_in_place_edits_when_no_row_is_dropped():
    data = _data()
    data["g"] = data["g"].astype("str")
    expected = data[["y", "x", "arm", "g"]].copy()
    fit = fit_lmm("y ~ x + arm + (1 | g)", data)
    data.loc[0, "x"] = 1000.0
    data.loc[1, "g"] = "s0"
    pd.testing.assert_frame_equal(fit.data, expected, check_exact=True)


@pytest.mark.parametrize(
    "values",
    [
        pd.array(["b", "a", None, "b", "c"], dtype="str"),
        pd.array([None, "b", "a"] * 700, dtype="str"),  # longer than SHORT_TEXT_ROWS
        pd.concat([pd.Series(["x", "y"], dtype="str"), pd.Series([None, "x"], dtype="str")]).array,
        pd.array([], dtype="str"),
        pd.array(["b", None, "a"], dtype="string[python]"),
        pd.array(["b", None, "a"], dtype=object),
    ],
)
def test_factorize_equals_pandas(values):
    from engine.transforms import _factorize

    codes, uniques = _factorize(values)
    expected_codes, expected_uniques = pd.factorize(values, sort=False)
    assert codes.tolist() == expected_codes.tolist()
    assert uniques == expected_uniques.tolist()


@pytest.mark.parametrize("bound", [7, 10**6])
def test_sorted_distinct_equals_numpy_unique(bound):
    from engine.design import _sorted_distinct

    keys = np.random.default_rng(2).choice([0, 3, 5, 6], size=50)
    used, inverse = _sorted_distinct(keys, bound)
    expected_used, expected_inverse = np.unique(keys, return_inverse=True)
    assert used.tolist() == expected_used.tolist()
    assert inverse.tolist() == expected_inverse.tolist()


@pytest.mark.parametrize("p", [1, 3, 12])
def test_the_qr_shortcut_only_vouches_for_clearly_independent_columns(p):
    from engine.design import _clearly_full_rank, drop_aliased_columns

    rng = np.random.default_rng(p)
    X = rng.normal(size=(40, p))
    assert _clearly_full_rank(X)
    aliased = np.column_stack([X, X[:, :1] * 2.0])
    assert not _clearly_full_rank(aliased)
    # kept by lme4's rule (1e-6 > 1e-7) but too close to the tolerance for the shortcut
    nearly = np.column_stack([X, X[:, :1] + 1e-6 * rng.normal(size=(40, 1))])
    assert not _clearly_full_rank(nearly)
    names = [f"c{j}" for j in range(p + 1)]
    kept = drop_aliased_columns(aliased, names, {"all": list(range(p + 1))})
    assert kept[3] == [f"c{p}"]
    assert drop_aliased_columns(nearly, names, {})[3] == []


@pytest.mark.parametrize("rows", [30, 299, 300, 301, 1500])
def test_short_text_columns_get_the_levels_and_codes_of_the_general_path(rows):
    from engine.transforms import _short_text_factor, array_value

    rng = np.random.default_rng(rows)
    values = pd.array([f"s{i}" for i in rng.integers(0, 23, rows)], dtype="string[pyarrow]")
    factor = _short_text_factor(values)
    general = array_value(pd.array(np.asarray(values, dtype=object), dtype=object))
    assert factor.levels == general.levels == sorted(set(values))
    assert factor.codes.dtype == np.int64
    assert factor.codes.tolist() == general.codes.tolist()
