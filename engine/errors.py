"""The engine's one user-facing error type."""


class LmmInputError(ValueError):
    """A data or model problem the user can fix.

    ``str(err)`` is a plain sentence that names the problem and says what to do next;
    it is shown to the user as it is, never with a traceback.
    """


def about_minutes(seconds: float) -> str:
    """A time estimate for a refusal: "about 1 minute", "about 35 minutes"."""
    minutes = max(1, round(seconds / 60))
    return f"about {minutes} minute{'' if minutes == 1 else 's'}"
