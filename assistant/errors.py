"""The assistant's one user-facing error type."""


class AssistantError(Exception):
    """What the session shows a person when a request cannot be carried out.

    ``str(err)`` is one clear message: the problem and what to do about it.
    """
