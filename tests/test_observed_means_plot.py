"""The observed means with error bars (errorbars19): the per-cell n, mean, SD, SE and t
interval against a direct pandas groupby and scipy.stats.t on the pain_trial sample, the
figure's lines and error-bar containers read off its matplotlib Axes, the plans of the
requests that ask for it, and the messages for a column that is not there.

pain_trial has no missing values, so the missing-value checks blank some outcome and
time values in a copy: those rows are dropped from their cell (pandas ``dropna`` on the
outcome and the cell columns, as ``engine.observed_means`` does) and counted."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from matplotlib.container import ErrorbarContainer
from scipy import stats

from assistant.session import Session
from engine.errors import LmmInputError
from engine.observed_mean_intervals import observed_mean_intervals
from engine.plots.observed_means import DODGE_SPAN, draw_observed_means, observed_means_figure
from engine.samples import load_sample
from grammar.parse import parse
from tests.conftest import ask_ok

PAIN_COLUMNS = ("patient", "time", "treatment", "pain_score", "age", "sex")


@pytest.fixture(scope="module")
def with_gaps() -> pd.DataFrame:
    """pain_trial with 7 outcomes and 3 times blanked (rows spread over the cells)."""
    data = load_sample("pain_trial").copy()
    data.loc[[2, 17, 40, 41, 99, 150, 230], "pain_score"] = np.nan
    data.loc[[5, 60, 200], "time"] = np.nan
    return data


def _direct(data: pd.DataFrame, by: list[str], level: float = 0.95) -> pd.DataFrame:
    """n, mean, SD, SE and the t interval per cell, straight from pandas and scipy."""
    rows = data.dropna(subset=["pain_score", *by])
    table = rows.groupby(by)["pain_score"].agg(["count", "mean", "std"]).reset_index()
    table["se"] = table["std"] / np.sqrt(table["count"])
    q = stats.t.ppf(0.5 + level / 2, table["count"] - 1)
    table["lower"] = table["mean"] - q * table["se"]
    table["upper"] = table["mean"] + q * table["se"]
    return table


@pytest.mark.parametrize("level", [0.95, 0.9])
def test_cell_numbers_match_pandas_and_the_t_quantile(with_gaps, level):
    means = observed_mean_intervals(with_gaps, "pain_score", "time", "treatment", level)
    direct = _direct(with_gaps, ["treatment", "time"], level)
    assert len(means.cells) == len(direct) == 8
    for cell, (_, row) in zip(means.cells, direct.iterrows(), strict=True):
        assert (cell.group, cell.x) == (row["treatment"], float(row["time"]))
        assert cell.n == row["count"]
        assert cell.mean == pytest.approx(row["mean"], rel=1e-12)
        assert cell.sd == pytest.approx(row["std"], rel=1e-12)
        assert cell.se == pytest.approx(row["se"], rel=1e-12)
        assert (cell.lower, cell.upper) == pytest.approx((row["lower"], row["upper"]),
                                                         rel=1e-12)
    # 7 blank outcomes and 3 blank times, no row with both: 10 rows left out
    assert means.n_left_out == 10
    assert sum(c.n for c in means.cells) == len(with_gaps) - 10


def test_one_cell_by_hand_on_the_complete_sample():
    data = load_sample("pain_trial")
    means = observed_mean_intervals(data, "pain_score", "time", "treatment")
    values = data.loc[(data["time"] == 6) & (data["treatment"] == "treated"), "pain_score"]
    n, mean, sd = len(values), values.sum() / len(values), values.std(ddof=1)
    half = stats.t.ppf(0.975, n - 1) * sd / np.sqrt(n)
    (cell,) = [c for c in means.cells if c.group == "treated" and c.x == 6.0]
    assert (cell.n, cell.mean, cell.lower, cell.upper) == pytest.approx(
        (n, mean, mean - half, mean + half), rel=1e-12)
    assert means.n_left_out == 0


def test_a_cell_with_one_value_has_no_bar():
    data = load_sample("pain_trial")
    keep = (data["time"] != 6) | (data.index == data.index[(data["time"] == 6)][0])
    means = observed_mean_intervals(data[keep], "pain_score", "time")
    last = means.cells[-1]
    assert (last.x, last.n, last.sd, last.se, last.lower) == (6.0, 1, None, None, None)


@pytest.mark.parametrize("bars", ["ci", "se", "sd"])
def test_figure_has_one_errorbar_line_per_group_with_the_chosen_bars(bars):
    data = load_sample("pain_trial")
    means = observed_mean_intervals(data, "pain_score", "time", "treatment")
    drawn = draw_observed_means(means, bars)
    (ax,) = drawn.figure.axes
    containers = [c for c in ax.containers if isinstance(c, ErrorbarContainer)]
    assert len(containers) == 2
    mean_lines = [line for line in ax.get_lines() if line.get_gid() == "mean_line"]
    assert len(mean_lines) == 2
    assert (ax.get_xlabel(), ax.get_legend().get_title().get_text()) == ("time", "treatment")
    assert "pain_score" in ax.get_ylabel()
    # dodged: the groups sit DODGE_SPAN of the smallest time gap (1) apart
    assert drawn.dodge == pytest.approx(DODGE_SPAN)
    for i, (container, level) in enumerate(zip(containers, means.group_levels, strict=True)):
        cells = means.group_cells(level)
        x, y = container.lines[0].get_data()
        assert np.asarray(x) == pytest.approx([c.x + (i - 0.5) * DODGE_SPAN for c in cells])
        assert np.asarray(y) == pytest.approx([c.mean for c in cells])
        (bar_lines,) = container.lines[2]
        segments = bar_lines.get_segments()
        spread = {"ci": [(c.lower, c.upper) for c in cells],
                  "se": [(c.mean - c.se, c.mean + c.se) for c in cells],
                  "sd": [(c.mean - c.sd, c.mean + c.sd) for c in cells]}[bars]
        ends = np.array([(s[0][1], s[1][1]) for s in segments])
        assert ends == pytest.approx(np.array(spread, dtype=float), rel=1e-12)


def test_figure_without_a_group_is_one_line_and_is_saved(tmp_path):
    data = load_sample("pain_trial")
    figure = observed_means_figure(data, tmp_path, outcome="pain_score", x="time",
                                   prefix="pain_trial")
    (path,) = figure.paths
    assert path.exists() and path.name == "pain_trial_observed_means_pain_score_time.png"
    assert figure.dodge == 0 and figure.means.group is None
    drawn = draw_observed_means(figure.means)
    assert len([c for c in drawn.figure.axes[0].containers
                if isinstance(c, ErrorbarContainer)]) == 1


def test_a_missing_column_is_one_plain_message():
    data = load_sample("pain_trial")
    with pytest.raises(LmmInputError, match="no column called 'pain'"):
        observed_mean_intervals(data, "pain", "time")


# ------------------------------------------------------------------- requests
@pytest.mark.parametrize(("request_text", "expected"), [
    ("plot the means with error bars", {}),
    ("plot observed means by time and treatment", {"over": "time", "by": "treatment"}),
    ("plot mean pain_score by time and treatment with 95% CI",
     {"outcome": "pain_score", "over": "time", "by": "treatment", "level": 0.95}),
    ("plot mean pain over time with error bars", {"outcome": "pain", "over": "time"}),
    ("error bar plot of pain_score by time", {"outcome": "pain_score", "by": "time"}),
    ("plot means and SE by group", {"by": "group", "bars": "se"}),
    ("plot the means with SD bars", {"bars": "sd"}),
    ("plot the observed means with standard errors", {"bars": "se"}),
    ("plot the mean with error bars", {}),
    ("plot means by treatment and time", {"over": "treatment", "by": "time"}),
])
def test_requests_plan_the_observed_means_figure(request_text, expected):
    (step,) = parse(request_text, columns=PAIN_COLUMNS).to_dict()["steps"]
    defaults = {"outcome": None, "over": None, "by": None, "bars": "ci", "level": None}
    assert step == {"kind": "plot_observed_means", **defaults, **expected}


def test_fitted_trajectory_with_a_band_is_unchanged():
    (step,) = parse("plot the fitted trajectory with a CI band",
                    columns=PAIN_COLUMNS).to_dict()["steps"]
    assert (step["kind"], step["band"]) == ("plot_trajectory", True)
    (plain,) = parse("plot mean pain over time by group", columns=PAIN_COLUMNS).to_dict()["steps"]
    assert plain["kind"] == "plot_data"


def _figure(answer):
    return answer.steps[0].result.result


def test_without_a_model_the_named_columns_split_the_means(pain_trial_session):
    answer = ask_ok(pain_trial_session, "plot mean pain_score by time and treatment with 95% CI")
    figure = _figure(answer)
    assert (figure.means.outcome, figure.means.x, figure.means.group) == (
        "pain_score", "time", "treatment")
    assert figure.paths[0].exists()
    direct = _direct(load_sample("pain_trial"), ["treatment", "time"])
    assert [c.upper for c in figure.means.cells] == pytest.approx(direct["upper"].tolist(),
                                                                 rel=1e-12)
    text = answer.text()
    assert str(figure.paths[0]) in text and "95% confidence interval" in text
    assert "ignore that the same subjects (or clusters) give values to several cells" in text
    # the table shows each cell's interval
    first = figure.means.cells[0]
    assert f"{first.lower:.1f} to {first.upper:.1f}" in text
    # the time goes on the x axis whichever column is named first
    swapped = _figure(ask_ok(pain_trial_session, "plot means by treatment and time"))
    assert (swapped.means.x, swapped.means.group) == ("time", "treatment")
    # with no model and no column named, only the time: one line
    alone = _figure(ask_ok(pain_trial_session, "plot mean pain over time with error bars"))
    assert (alone.means.outcome, alone.means.group) == ("pain_score", None)


def test_with_a_model_its_outcome_time_and_arm_are_the_defaults(pain):
    answer = ask_ok(pain, "plot the means with error bars")
    figure = _figure(answer)
    assert (figure.means.outcome, figure.means.x, figure.means.group, figure.bars) == (
        "pain_score", "time", "treatment", "ci")
    assert "the model's factor that is fixed within each patient" in answer.text()
    over_time = _figure(ask_ok(pain, "plot mean pain over time with error bars"))
    assert over_time.means.group == "treatment"
    se = _figure(ask_ok(pain, "plot means and SE by group"))
    assert (se.bars, se.means.group) == ("se", "treatment")
    assert se.paths[0].name == "pain_trial_observed_means_pain_score_time_by_treatment_se.png"
    by_time = _figure(ask_ok(pain, "error bar plot of pain_score by time"))
    assert (by_time.means.x, by_time.means.group) == ("time", None)


def test_a_missing_column_in_a_request_is_one_message_and_changes_nothing(tmp_path):
    session = Session(sample="pain_trial", output_dir=tmp_path)
    before = session.data.copy()
    answer = session.ask("plot the means of painn by time")
    assert not answer.ok
    assert str(answer.error).startswith("There is no column called 'painn'")
    assert "Traceback" not in answer.text()
    pd.testing.assert_frame_equal(session.data, before)
    assert not list(tmp_path.glob("*.png"))


def test_without_a_time_column_the_named_factor_is_the_x_axis(tmp_path):
    session = Session(sample="ratings", output_dir=tmp_path)
    refused = session.ask("plot the means with error bars")
    assert str(refused.error).startswith("I could not tell which column to put on the x axis")
    assert "`plot the means of rating by condition`" in str(refused.error)
    figure = _figure(ask_ok(session, "plot the means of rating by condition"))
    # ratings has 15 missing ratings: dropped from their cells and counted
    data = load_sample("ratings").dropna(subset=["rating"])
    direct = data.groupby("condition")["rating"].agg(["count", "mean", "std"])
    assert (figure.means.x, figure.means.group, figure.means.x_numeric) == (
        "condition", None, False)
    assert [c.n for c in figure.means.cells] == direct["count"].tolist()
    assert [c.sd for c in figure.means.cells] == pytest.approx(direct["std"].tolist(),
                                                               rel=1e-12)
    assert figure.means.n_left_out == 15
    ask_ok(session, "fit rating ~ condition + (1 | rater) + (1 | item)")
    with_model = _figure(ask_ok(session, "plot the means with error bars"))
    assert (with_model.means.x, with_model.means.group) == ("condition", None)
