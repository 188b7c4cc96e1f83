"""Errors a user can cause: each carries a clear Chinese message and an HTTP status.

Services raise these; the API and the web views turn them into responses, so the
same rule gives the same message everywhere.
"""


class LawTrailError(Exception):
    status = 400

    def __init__(self, message, *, field=None):
        super().__init__(message)
        self.message = message
        self.field = field


class InvalidInput(LawTrailError):
    status = 422


class NotAllowed(LawTrailError):
    status = 403


class NotFound(LawTrailError):
    status = 404


class Conflict(LawTrailError):
    status = 409


def required(value, label):
    """A text a user must fill in, stripped; its absence is a clear error naming the field."""
    value = (value or "").strip()
    if not value:
        raise InvalidInput(f"请填写{label}", field=label)
    return value
