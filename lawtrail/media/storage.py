"""Content-addressed blob storage: every file is kept under its SHA-256, written once.

One small interface (`put`, `adopt`, `open`, `exists`, `size`) so that the local disk of the
embedded run and an S3-compatible store in a larger deployment are interchangeable.
A blob is hashed while it streams in, and an existing blob is never overwritten.
"""

import hashlib
import os
import tempfile
from functools import cache
from pathlib import Path
from urllib.parse import urlparse

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

CHUNK = 1024 * 1024


class LocalBlobStore:
    def __init__(self, root):
        self.root = Path(root)
        (self.root / "tmp").mkdir(parents=True, exist_ok=True)

    def path(self, sha256):
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def exists(self, sha256):
        return self.path(sha256).exists()

    def size(self, sha256):
        return self.path(sha256).stat().st_size

    def open(self, sha256):
        return open(self.path(sha256), "rb")

    def adopt(self, path, sha256):
        """Take a complete local file whose SHA-256 was computed while it streamed in
        (a finished resumable upload). Returns (size, created); the file is consumed."""
        path = Path(path)
        size = path.stat().st_size
        target = self.path(sha256)
        try:
            if target.exists():
                return size, False
            target.parent.mkdir(parents=True, exist_ok=True)
            os.chmod(path, 0o444)
            try:
                os.link(path, target)
            except FileExistsError:
                return size, False
            except OSError:  # another file system: copy, then verify nothing changed on the way
                with open(path, "rb") as f:
                    copied, _, created = self.put(f)
                if copied != sha256:
                    raise OSError(f"blob {sha256} changed while being copied into the store")
                return size, created
            return size, True
        finally:
            path.unlink(missing_ok=True)

    def put(self, stream):
        """Store a file-like object or bytes; returns (sha256, size, created)."""
        if isinstance(stream, (bytes, bytearray)):
            chunks = [bytes(stream)]
        else:
            chunks = iter(lambda: stream.read(CHUNK), b"")
        digest, size = hashlib.sha256(), 0
        fd, tmp = tempfile.mkstemp(dir=self.root / "tmp")
        try:
            with os.fdopen(fd, "wb") as out:
                for chunk in chunks:
                    digest.update(chunk)
                    out.write(chunk)
                    size += len(chunk)
                out.flush()
                os.fsync(out.fileno())
            sha256 = digest.hexdigest()
            target = self.path(sha256)
            if target.exists():
                return sha256, size, False
            target.parent.mkdir(parents=True, exist_ok=True)
            os.chmod(tmp, 0o444)
            try:
                # link() fails rather than replace an existing blob, even in a race.
                os.link(tmp, target)
            except FileExistsError:
                return sha256, size, False
            return sha256, size, True
        finally:
            os.unlink(tmp)


@cache
def _store(url):
    parsed = urlparse(url)
    if parsed.scheme == "file":
        return LocalBlobStore(parsed.path)
    raise ImproperlyConfigured(f"LAWTRAIL_STORAGE={url}: only file:// storage is available in this version")


def blob_store():
    return _store(settings.LAWTRAIL_STORAGE)
