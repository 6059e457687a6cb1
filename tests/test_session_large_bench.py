"""benchmarks.session_large runs its requests in one session and reports each (on a
small version of the data here; the timing itself lives in the benchmark)."""

from __future__ import annotations

from benchmarks.session_large import REQUESTS, time_session


def test_every_request_is_answered_on_a_small_version(tmp_path):
    timings = time_session(800, tmp_path)
    assert [r for r, _, _ in timings] == [f"load {tmp_path / 'million_slope.csv'}", *REQUESTS]
    assert all(ok for _, _, ok in timings), timings
    assert all(seconds > 0 for _, seconds, _ in timings)
