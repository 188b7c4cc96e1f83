"""Content-addressed blob storage: every file is kept under its SHA-256, written once.

One small interface (`put`, `adopt`, `open`, `iter_range`, `exists`, `size`, `digest`,
`location`, `lock_state`, and `delete`, which only an approved retention disposal calls) so
that the local disk of the embedded run and an S3-compatible store in a larger deployment
(`LAWTRAIL_STORAGE=s3://bucket/prefix`, with the usual `AWS_*` variables and
`AWS_ENDPOINT_URL`) are interchangeable. A blob is hashed while it streams in, and an
existing blob is never overwritten.

On a bucket created with S3 Object Lock the store also keeps every blob under a
COMPLIANCE-mode retention (`lock`, `lock_state`): no credential, not even the bucket
owner's, can delete or shorten it before the date, and a legal hold stops deletion
altogether. The dates come from the retention rules (`lawtrail.archive.locks`). A store says
whether it can lock at all (`may_lock`) and whether its bucket does (`locking`).
"""

import datetime
from abc import ABC, abstractmethod
from dataclasses import dataclass

CHUNK = 1024 * 1024


@dataclass(frozen=True)
class LockState:
    """What the store itself enforces for one blob: retained until (UTC), legal hold."""

    until: datetime.datetime | None = None
    hold: bool = False

    def blocks_deletion(self, now=None):
        now = now or datetime.datetime.now(datetime.timezone.utc)
        return self.hold or (self.until is not None and self.until > now)

    @property
    def text(self):
        parts = []
        if self.until is not None:
            parts.append(f"合规保留锁定至 {self.until.astimezone():%Y年%m月%d日 %H:%M}")
        if self.hold:
            parts.append("法律保全锁定")
        return "、".join(parts) or "未锁定"


class BlobLocked(Exception):
    """The store refuses to delete a blob whose retention lock or legal hold is in force."""

    def __init__(self, sha256, state):
        super().__init__(f"{sha256}: {state.text}")
        self.sha256, self.state = sha256, state


class BlobStore(ABC):
    """What every backend offers (see the module's description)."""

    @abstractmethod
    def put(self, stream):
        """Store a file-like object or bytes; returns (sha256, size, created)."""

    @abstractmethod
    def adopt(self, path, sha256, consume=True):
        """Take a complete local file whose SHA-256 was computed while it streamed in
        (a finished resumable upload). Returns (size, created); the file is consumed
        unless `consume` is off."""

    @abstractmethod
    def open(self, sha256):
        """A file-like object reading the whole blob."""

    @abstractmethod
    def iter_range(self, sha256, start, length):
        """The bytes [start, start+length) of a blob, in pieces."""

    @abstractmethod
    def exists(self, sha256):
        ...

    @abstractmethod
    def size(self, sha256):
        """The blob's size; FileNotFoundError when the store does not hold it."""

    @abstractmethod
    def digest(self, sha256):
        """Re-hash a stored file: (its actual SHA-256, its size)."""

    @abstractmethod
    def location(self, sha256):
        """Where the file lives, as written into a case file's catalog."""

    @abstractmethod
    def lock_state(self, sha256):
        """The `LockState` the store enforces for the blob."""

    @abstractmethod
    def delete(self, sha256):
        """Remove a blob. Only retention disposal, after a head's approval, calls this."""
