"""Errors a user can cause: each carries a clear Chinese message and an HTTP status.

Services raise these; the API and the web views turn them into responses, so the
same rule gives the same message everywhere.
"""

import errno


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


class StorageFull(LawTrailError):
    """The disk (or quota) under LAWTRAIL_HOME is full: nothing of the request was kept,
    everything stored before is intact."""

    status = 507


DISK_FULL = "服务器存储空间已满，本次操作未保存（此前已保存的内容完好无损）；请通知系统管理员腾出空间后重试"


def is_disk_full(exc):
    """Whether an error means the disk is full: the OS's ENOSPC/EDQUOT, SQLite's "database
    or disk is full", PostgreSQL's disk_full (SQLSTATE 53100)."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
            return True
        if getattr(exc, "sqlstate", None) == "53100" or getattr(exc, "pgcode", None) == "53100":
            return True
        text = str(exc)
        if "database or disk is full" in text or "No space left on device" in text:
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def required(value, label):
    """A text a user must fill in, stripped; its absence is a clear error naming the field."""
    value = (value or "").strip()
    if not value:
        raise InvalidInput(f"请填写{label}", field=label)
    return value
