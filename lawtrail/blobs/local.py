"""The blob store on the local disk (the embedded run's `file://` store): files under
their SHA-256 in two levels of folders, read-only once written."""

import hashlib
import os
import tempfile
from pathlib import Path

from lawtrail.blobs.base import CHUNK, BlobStore, LockState
from lawtrail.blobs.direct import WriteBehind, hash_file
from lawtrail.core.files import private_dir

READ_ONLY = 0o400  # a stored original: never written again, read by the service's account only


class LocalBlobStore(BlobStore):
    # A local disk has no retention lock: files are read-only and written once, and the
    # ledger and `lawtrail verify` catch any change made behind the system's back.
    locking = may_lock = False

    def __init__(self, root):
        self.root = Path(root)
        private_dir(self.root / "tmp")

    def path(self, sha256):
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def exists(self, sha256):
        return self.path(sha256).exists()

    def location(self, sha256):
        return self.path(sha256).as_uri()

    def digest(self, sha256):
        digest = hashlib.sha256()
        size = hash_file(self.path(sha256), digest.update)
        return digest.hexdigest(), size

    def delete(self, sha256):
        self.path(sha256).unlink(missing_ok=True)

    def size(self, sha256):
        return self.path(sha256).stat().st_size

    def lock_state(self, sha256):
        return LockState()

    def open(self, sha256):
        return open(self.path(sha256), "rb")

    def iter_range(self, sha256, start, length):
        with self.open(sha256) as f:
            f.seek(start)
            while length > 0:
                data = f.read(min(CHUNK, length))
                if not data:
                    return
                length -= len(data)
                yield data

    def adopt(self, path, sha256, consume=True):
        path = Path(path)
        result = self._adopt(path, sha256)
        if consume:
            path.unlink(missing_ok=True)  # only once the store holds it: a failure keeps the file
        return result

    def _adopt(self, path, sha256):
        size = path.stat().st_size
        target = self.path(sha256)
        if target.exists():
            return size, False
        private_dir(target.parent)
        os.chmod(path, READ_ONLY)
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

    def put(self, stream):
        if isinstance(stream, (bytes, bytearray)):
            chunks = [bytes(stream)]
        else:
            chunks = iter(lambda: stream.read(CHUNK), b"")
        digest, size = hashlib.sha256(), 0
        fd, tmp = tempfile.mkstemp(dir=self.root / "tmp")
        try:
            with os.fdopen(fd, "wb", buffering=0) as out:
                writer = WriteBehind(out.fileno())
                for chunk in chunks:
                    digest.update(chunk)
                    writer.write(chunk)
                    size += len(chunk)
                os.fsync(out.fileno())
            sha256 = digest.hexdigest()
            target = self.path(sha256)
            if target.exists():
                return sha256, size, False
            private_dir(target.parent)
            os.chmod(tmp, READ_ONLY)
            try:
                # link() fails rather than replace an existing blob, even in a race.
                os.link(tmp, target)
            except FileExistsError:
                return sha256, size, False
            return sha256, size, True
        finally:
            os.unlink(tmp)
