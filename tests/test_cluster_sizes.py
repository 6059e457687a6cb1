"""'How many students per school?': the cluster sizes (engine.cluster_sizes), checked
against pandas' own counts, and worded with no visits or time points."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from assistant.session import Session
from engine.cluster_sizes import cluster_sizes
from engine.errors import LmmInputError
from engine.samples import load_sample


def test_sizes_equal_pandas_counts_of_distinct_students():
    data = load_sample("schools")
    expected = data.groupby("school")["student"].nunique()
    result = cluster_sizes(data, "school", "students", "student")
    assert result.n_clusters == 40 == expected.size
    assert result.n_units == expected.sum()
    assert (result.minimum, result.maximum) == (expected.min(), expected.max())
    assert result.median == expected.median()
    assert result.mean == pytest.approx(expected.mean(), rel=1e-12)
    assert result.lower_quartile == expected.quantile(0.25)  # R's type 7, pandas' default
    assert result.upper_quartile == expected.quantile(0.75)
    smallest = expected.sort_values(kind="stable")
    assert [size for _, size in result.smallest] == list(smallest.iloc[:3])
    assert result.n_at_maximum == int((expected == expected.max()).sum())


def test_rows_are_counted_without_a_unit_column_and_missing_groups_left_out():
    data = pd.DataFrame({"g": ["a", "a", "b", None, "c", "c", "c"], "y": np.arange(7.0)})
    result = cluster_sizes(data, "g")
    assert (result.n_clusters, result.n_units, result.n_missing_group) == (3, 6, 1)
    assert (result.minimum, result.median, result.maximum) == (1, 2.0, 3)
    assert result.smallest == (("b", 1),) and result.largest == (("c", 3),)


def test_counting_a_group_within_itself_is_refused():
    with pytest.raises(LmmInputError, match="within its own levels"):
        cluster_sizes(load_sample("schools"), "school", "schools", "school")


@pytest.mark.parametrize("fit_first", [True, False])
def test_students_per_school_has_no_visit_words(fit_first):
    session = Session(sample="schools")
    if fit_first:
        assert session.ask("fit the model").ok
    answer = session.ask("how many students per school?")
    assert answer.ok, answer.error
    assert [o.result.kind for o in answer.steps] == ["cluster_sizes"]
    text = answer.text()
    assert "1,543 students in 40 levels of school: 10 to 60 per school, median 39" in text
    for word in ("visit", "time point", "dropped out", "Listwise"):
        assert word not in text


def test_size_counts_equal_pandas_counts_of_rows_per_patient():
    data = load_sample("pain_trial")
    expected = data.groupby("patient").size().value_counts().sort_index()
    result = cluster_sizes(data, "patient", "observations")
    assert result.size_counts == tuple((int(k), int(v)) for k, v in expected.items())
    assert sum(n for _, n in result.size_counts) == result.n_clusters == 80


def test_many_distinct_sizes_are_not_tabulated():
    data = pd.DataFrame({"g": np.repeat(np.arange(14), np.arange(1, 15))})
    assert cluster_sizes(data, "g").size_counts == ()


@pytest.mark.parametrize("question", [
    "how many observations does each patient have?",
    "How many rows do the patients have",
])
def test_observations_each_patient_has_are_the_cluster_sizes(question):
    session = Session(sample="pain_trial")
    assert session.ask("LMM: pain_score ~ time * treatment + (1 + time | patient)").ok
    answer = session.ask(question)
    assert answer.ok, answer.error
    assert [o.result.kind for o in answer.steps] == ["cluster_sizes"]
    counts = load_sample("pain_trial").groupby("patient").size().value_counts()
    text = answer.text()
    assert "287 observations in 80 levels of patient" in text
    for size, n in counts.items():
        assert re.search(rf"^ +{size} +{n}$", text, re.MULTILINE), (size, n)
