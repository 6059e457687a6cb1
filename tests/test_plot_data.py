"""The observed-data plot: checked through the matplotlib objects it draws and the numbers
it reports, against pandas computations on the same data."""

import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import LineCollection

from assistant.session import Session
from engine.errors import LmmInputError
from engine.plots import observed_data_figure
from engine.plots.observed import MAX_MEAN_TIMES, draw_observed_data
from engine.plots.style import figure_style
from engine.samples import load_sample


def _by_gid(ax, gid):
    return [a for a in ax.get_children() if a.get_gid() == gid]


def _draw(data, **roles):
    with figure_style():
        return draw_observed_data(data, **roles)


def test_one_line_per_patient_and_the_mean_at_each_time():
    data = load_sample("pain_trial")
    drawn = _draw(data, outcome="pain_score", group="patient", time="time")
    (ax,) = drawn.figure.axes
    (lines,) = _by_gid(ax, "subject_lines")
    assert isinstance(lines, LineCollection)
    segments = lines.get_segments()
    assert len(segments) == data["patient"].nunique() == 80
    # every observation is a vertex of its patient's line, in time order
    assert sum(len(s) for s in segments) == len(data) == 287
    assert all(np.all(np.diff(s[:, 0]) > 0) for s in segments)
    (dots,) = _by_gid(ax, "observations")
    assert len(dots.get_offsets()) == len(data)
    (bold,) = _by_gid(ax, "summary_line")
    means = data.groupby("time")["pain_score"].mean()
    np.testing.assert_allclose(bold.get_xdata(), means.index.to_numpy(dtype=float))
    np.testing.assert_allclose(bold.get_ydata(), means.to_numpy(), rtol=1e-12)
    result = drawn.result
    counts = data.groupby("patient").size()
    assert (result.n_groups, result.n_observations, result.n_dropped) == (80, 287, 0)
    assert (result.per_group_min, result.per_group_max) == (counts.min(), counts.max())
    (panel,) = result.panels
    assert panel.start_value == pytest.approx(means.iloc[0], rel=1e-12)
    assert panel.end_value == pytest.approx(means.iloc[-1], rel=1e-12)
    assert (panel.first_time, panel.last_time) == (0.0, 6.0)
    assert result.summary == "mean" and result.layout == "trajectories"


def test_one_panel_per_treatment_level_holds_that_levels_patients(tmp_path):
    data = load_sample("pain_trial")
    result = observed_data_figure(data, tmp_path, outcome="pain_score", group="patient",
                                  time="time", by="treatment")
    (path,) = result.paths
    assert path.name == "data_pain_score_over_time_by_treatment.png"
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with figure_style():
        drawn = draw_observed_data(data, outcome="pain_score", group="patient", time="time",
                                   by="treatment")
    assert result.by_levels == ("control", "treated")
    for ax, panel in zip(drawn.figure.axes, result.panels, strict=True):
        rows = data[data["treatment"] == panel.level]
        (lines,) = _by_gid(ax, "subject_lines")
        assert len(lines.get_segments()) == rows["patient"].nunique() == panel.n_groups
        assert sum(len(s) for s in lines.get_segments()) == len(rows) == panel.n_observations
        (bold,) = _by_gid(ax, "summary_line")
        np.testing.assert_allclose(bold.get_ydata(),
                                   rows.groupby("time")["pain_score"].mean().to_numpy())
        assert ax.get_title() == f"treatment = {panel.level}"


def test_many_distinct_times_get_a_lowess_smoother_that_recovers_a_straight_line():
    # LOWESS of points on a straight line is that line (local linear fits are exact)
    t = np.linspace(0, 10, 40)
    data = pd.DataFrame({"id": np.repeat(["a", "b", "c", "d"], 10), "t": t,
                         "y": 2.0 + 0.5 * t})
    assert data["t"].nunique() > MAX_MEAN_TIMES
    drawn = _draw(data, outcome="y", group="id", time="t")
    (bold,) = _by_gid(drawn.figure.axes[0], "summary_line")
    np.testing.assert_allclose(bold.get_ydata(), 2.0 + 0.5 * bold.get_xdata(), atol=1e-9)
    assert drawn.result.summary == "lowess"
    assert drawn.result.panels[0].start_value == pytest.approx(2.0, abs=1e-9)
    assert drawn.result.panels[0].end_value == pytest.approx(7.0, abs=1e-9)


def test_rows_with_a_missing_role_are_left_out_and_counted():
    data = load_sample("pain_trial")
    data.loc[[0, 5, 9], "pain_score"] = np.nan
    drawn = _draw(data, outcome="pain_score", group="patient", time="time")
    assert drawn.result.n_dropped == 3 and drawn.result.n_observations == 284
    (lines,) = _by_gid(drawn.figure.axes[0], "subject_lines")
    assert sum(len(s) for s in lines.get_segments()) == 284


def test_text_time_is_drawn_in_level_order():
    data = pd.DataFrame({"id": ["a", "a", "b", "b"], "visit": ["v1", "v2", "v1", "v2"],
                         "y": [1.0, 3.0, 2.0, 6.0]})
    drawn = _draw(data, outcome="y", group="id", time="visit")
    (bold,) = _by_gid(drawn.figure.axes[0], "summary_line")
    np.testing.assert_allclose(bold.get_ydata(), [1.5, 4.5])
    panel = drawn.result.panels[0]
    assert (panel.first_time, panel.last_time) == ("v1", "v2")
    assert [t.get_text() for t in drawn.figure.axes[0].get_xticklabels()] == ["v1", "v2"]


def test_clusters_without_time_are_sorted_by_their_mean():
    data = load_sample("schools")
    drawn = _draw(data, outcome="test_score", group="school")
    (ax,) = drawn.figure.axes
    (dots,) = _by_gid(ax, "observations")
    assert len(dots.get_offsets()) == len(data) == 1543
    means = data.groupby("school")["test_score"].mean().sort_values()
    (marks,) = _by_gid(ax, "cluster_means")
    np.testing.assert_allclose(marks.get_offsets()[:, 1], means.to_numpy(), rtol=1e-12)
    assert [t.get_text() for t in ax.get_xticklabels()] == list(means.index)
    # each point sits within the jitter of its own school's column
    column = {name: i for i, name in enumerate(means.index)}
    x = dots.get_offsets()[:, 0]
    assert np.all(np.abs(x - data["school"].map(column).to_numpy()) < 0.5)
    spread = drawn.result.clusters
    assert (spread.lowest_level, spread.highest_level) == (means.index[0], means.index[-1])
    assert spread.overall_mean == pytest.approx(data["test_score"].mean(), rel=1e-12)
    assert spread.sd_of_means == pytest.approx(means.std(), rel=1e-12)
    sizes = data.groupby("school").size()
    assert (drawn.result.per_group_min, drawn.result.per_group_max) == (sizes.min(),
                                                                       sizes.max())
    assert drawn.result.layout == "clusters" and drawn.result.time is None


@pytest.mark.parametrize(
    ("roles", "message"),
    [
        ({"outcome": "pain_scores", "group": "patient", "time": "time"},
         "did you mean 'pain_score'"),
        ({"outcome": "treatment", "group": "patient", "time": "time"}, "is not numeric"),
        ({"outcome": "pain_score", "group": "patient", "time": "patient"}, "three different"),
        ({"outcome": "pain_score", "group": "patient", "time": "time", "by": "age"},
         "too many for one panel"),
    ],
)
def test_bad_roles_are_input_errors(roles, message):
    with pytest.raises(LmmInputError, match=message):
        _draw(load_sample("pain_trial"), **roles)


# ------------------------------------------------------------ through the session
@pytest.fixture()
def out(tmp_path):
    return tmp_path


@pytest.mark.parametrize(
    ("request_text", "by"),
    [
        ("plot the data", None),
        ("plot pain_score over time for each patient", None),
        ("spaghetti plot of the raw data", None),
        ("spaghetti plot", None),
        ("plot the observed trajectories by treatment", "treatment"),
    ],
)
def test_data_plot_requests_draw_the_guessed_roles(out, request_text, by):
    session = Session(sample="pain_trial", output_dir=out)
    answer = session.ask(request_text)
    assert answer.ok, answer.error
    (step,) = answer.steps
    assert step.kind == "plot_data"
    figure = step.result.result
    assert (figure.response, figure.time, figure.group, figure.by) == (
        "pain_score", "time", "patient", by)
    (path,) = answer.figures
    assert path.exists() and path.parent == out
    text = answer.text()
    assert "one thin line per patient (80 patients, 287 observations, 2 to 4" in text
    data = session.state.data
    if by is None:
        means = data.groupby("time")["pain_score"].mean()
        assert (f"Mean pain_score {means.iloc[0]:.1f} at time 0 and "
                f"{means.iloc[-1]:.1f} at time 6.") in text
    else:
        treated = data[data["treatment"] == "treated"].groupby("time")["pain_score"].mean()
        assert (f"treatment = treated (40 patients): mean pain_score {treated.iloc[0]:.1f} "
                f"at time 0 and {treated.iloc[-1]:.1f} at time 6.") in text


def test_roles_come_from_the_newest_model_and_fitted_spaghetti_is_the_model(out):
    data = load_sample("sleepstudy").rename(columns={"Days": "d"})
    session = Session(data=data, output_dir=out)
    assert session.ask("LMM: Reaction ~ d + (d | Subject)").ok
    answer = session.ask("plot the data")
    assert answer.ok, answer.error
    figure = answer.steps[0].result.result
    # 'd' is not a name the data guess would take for time: it is the model's slope
    assert (figure.response, figure.time, figure.group) == ("Reaction", "d", "Subject")
    assert figure.n_groups == 18 and figure.per_group_min == figure.per_group_max == 10
    fitted = session.ask("fitted spaghetti plot")
    assert fitted.ok and fitted.steps[0].kind == "plot_trajectory"


def test_clustered_data_without_time_are_plotted_per_cluster(out):
    session = Session(sample="schools", output_dir=out)
    assert session.ask("LMM: test_score ~ SES + school_size + (1 | school)").ok
    answer = session.ask("plot the data")
    assert answer.ok, answer.error
    figure = answer.steps[0].result.result
    # SES is in the model but is no time variable: the schools are not trajectories
    assert figure.layout == "clusters" and figure.group == "school"
    means = session.state.data.groupby("school")["test_score"].mean()
    text = answer.text()
    assert (f"The school means run from {means.min():.1f} ({means.idxmin()}) to "
            f"{means.max():.1f} ({means.idxmax()})") in text


def test_by_the_time_variable_or_the_subject_means_no_panels(out):
    session = Session(sample="pain_trial", output_dir=out)
    for request_text in ("plot pain_score by time", "plot pain_score by patient"):
        answer = session.ask(request_text)
        assert answer.ok, answer.error
        figure = answer.steps[0].result.result
        assert (figure.time, figure.group, figure.by) == ("time", "patient", None)
        assert len(figure.panels) == 1 and figure.n_groups == 80


def test_role_words_stand_for_the_guessed_columns(out):
    """sleepstudy has no column called time or subject: the words mean the roles."""
    session = Session(sample="sleepstudy", output_dir=out)
    answer = session.ask("plot Reaction over time for each subject")
    assert answer.ok, answer.error
    figure = answer.steps[0].result.result
    assert (figure.response, figure.time, figure.group) == ("Reaction", "Days", "Subject")
    assert figure.n_groups == 18 and figure.n_time_values == 10


def test_an_unknown_outcome_is_refused_in_one_sentence(out):
    answer = Session(sample="pain_trial", output_dir=out).ask("plot pain_scor over time")
    assert not answer.ok
    assert "did you mean 'pain_score'" in str(answer.error)


@pytest.mark.parametrize("request_text", ["plot the pain trajectories", "plot the trajectories"])
def test_trajectories_before_any_model_are_the_observed_ones(out, request_text):
    session = Session(sample="pain_trial", output_dir=out)
    answer = session.ask(request_text)
    assert answer.ok, answer.error
    (step,) = answer.steps
    figure = step.result.result
    assert (figure.response, figure.time, figure.group) == ("pain_score", "time", "patient")
    assert "one thin line per patient (80 patients, 287 observations" in answer.text()
    assert session.ask("LMM: pain_score ~ time + (1 | patient)").ok
    after = session.ask("plot the trajectories")  # with a model: the model's trajectory
    assert after.ok and after.steps[0].result.kind == "figure_trajectory"


def test_a_data_plot_of_wide_data_says_to_reshape_first(out):
    session = Session(sample="pain_wide", output_dir=out)
    answer = session.ask("plot the trajectories")
    assert not answer.ok
    assert "reshape from wide to long format first" in str(answer.error)
    assert "pain_…" in str(answer.error)


def test_past_the_drawing_limit_a_random_subset_of_subjects_is_drawn_and_the_mean_uses_all(
        monkeypatch):
    import engine.plots.observed as observed
    monkeypatch.setattr(observed, "MAX_DRAWN_GROUPS", 30)
    data = load_sample("pain_trial")  # 80 patients, 7 times
    drawn = _draw(data, outcome="pain_score", group="patient", time="time")
    (ax,) = drawn.figure.axes
    (lines,) = _by_gid(ax, "subject_lines")
    segments = lines.get_segments()
    assert len(segments) == 30
    # each drawn line is one whole patient: its rows, in time order
    by_patient = {tuple(g["pain_score"]) for _, g in data.sort_values("time").groupby("patient")}
    assert all(tuple(s[:, 1]) in by_patient for s in segments)
    (dots,) = _by_gid(ax, "observations")
    assert len(dots.get_offsets()) == sum(len(s) for s in segments)
    # the bold line and the reported numbers are of all 287 rows and 80 patients
    (bold,) = _by_gid(ax, "summary_line")
    means = data.groupby("time")["pain_score"].mean()
    np.testing.assert_allclose(bold.get_ydata(), means.to_numpy(), rtol=1e-12)
    result = drawn.result
    assert (result.n_groups, result.n_groups_drawn, result.n_observations) == (80, 30, 287)
    assert result.panels[0].start_value == pytest.approx(means.iloc[0], rel=1e-12)
    # the same subset every time (fixed seed)
    again = _draw(data, outcome="pain_score", group="patient", time="time")
    (lines2,) = _by_gid(again.figure.axes[0], "subject_lines")
    assert all(np.array_equal(a, b) for a, b in zip(segments, lines2.get_segments(),
                                                     strict=True))


def test_the_answer_says_when_only_some_subjects_are_drawn(monkeypatch, tmp_path):
    import engine.plots.observed as observed
    monkeypatch.setattr(observed, "MAX_DRAWN_GROUPS", 30)
    session = Session(sample="pain_trial", output_dir=tmp_path)
    text = session.ask("plot the data").text()
    assert "30 patients picked at random" in text
    assert "all 287 observations" in text
