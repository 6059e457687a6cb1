"""The engine's one user-facing error type."""


class LmmInputError(ValueError):
    """A data or model problem the user can fix.

    ``str(err)`` is a plain sentence that names the problem and says what to do next;
    it is shown to the user as it is, never with a traceback.
    """
