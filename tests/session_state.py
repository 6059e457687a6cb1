"""Snapshots of what a Session holds, for tests that a failed request changes nothing."""

from __future__ import annotations

from typing import Any

from assistant.session import Session


def snapshot(session: Session) -> dict[str, Any]:
    """Data sets (copied), current data name, models (number, formula, fit object), options."""
    return {
        "datasets": {name: frame.copy() for name, frame in session.datasets.items()},
        "columns": {name: list(frame.columns) for name, frame in session.datasets.items()},
        "current": session.current_data_name,
        "models": [
            (number, model.fit.formula, id(model.fit)) for number, model in session.models.items()
        ],
        "options": session.options.to_dict(),
    }


def assert_same_state(before: dict[str, Any], session: Session) -> None:
    """The session holds exactly what ``before`` recorded (data compared with .equals)."""
    after = snapshot(session)
    assert after["current"] == before["current"]
    assert after["models"] == before["models"]
    assert after["options"] == before["options"]
    assert after["columns"] == before["columns"]
    assert after["datasets"].keys() == before["datasets"].keys()
    for name, frame in before["datasets"].items():
        assert after["datasets"][name].equals(frame), f"data set {name!r} changed"
