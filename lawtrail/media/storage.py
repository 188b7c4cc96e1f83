"""Content-addressed blob storage: every file is kept under its SHA-256, written once.

One small interface (`put`, `adopt`, `open`, `iter_range`, `exists`, `size`, `digest`,
`location`, and `delete`, which only an approved retention disposal calls) so that the
local disk of the embedded run and an S3-compatible store in a larger deployment
(`LAWTRAIL_STORAGE=s3://bucket/prefix`, with the usual `AWS_*` variables and
`AWS_ENDPOINT_URL`) are interchangeable. A blob is hashed while it streams in, and an
existing blob is never overwritten.

On a bucket created with S3 Object Lock the store also keeps every blob under a
COMPLIANCE-mode retention (`lock`, `lock_state`): no credential, not even the bucket
owner's, can delete or shorten it before the date, and a legal hold stops deletion
altogether. The dates come from the retention rules (`lawtrail.archive.locks`).
"""

import datetime
import errno
import hashlib
import mmap
import os
import tempfile
from dataclasses import dataclass
from functools import cache, cached_property
from pathlib import Path
from urllib.parse import urlparse

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from lawtrail.core.files import private_dir

CHUNK = 1024 * 1024
MAP_STEP = 16 * 2**20
READ_ONLY = 0o400  # a stored original: never written again, read by the service's account only


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


def hash_file(path, update):
    """Feed a local file to `update` (e.g. a hash's update), mapped rather than read:
    no copy into Python buffers, which makes hashing alongside an in-kernel copy of the
    same file run at full hashing speed."""
    with open(path, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        if size == 0:
            return 0
        with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
            view = memoryview(mapped)
            try:
                for offset in range(0, size, MAP_STEP):
                    update(view[offset:offset + MAP_STEP])
            finally:
                view.release()
    return size


DIRECT_ALIGN = 4096  # a multiple of every disk's logical block size


def copy_file_direct(source, target):
    """Copy a local file, its mapping (`hash_file`'s) fed to a `DirectAppender`: the disk
    takes the bytes from the source's own pages, so the copy costs the CPU no memory copy
    and fills no page cache with pages nobody here reads again (an evidence package of
    several GB would otherwise push out what the server has cached; on this kind of virtual
    machine, fresh page cache is also the slowest part of a copy). The unaligned tail, and
    the whole copy where the file system refuses O_DIRECT (tmpfs), go the ordinary way.
    Returns the size."""
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_APPEND, 0o666)
    try:
        writer = DirectAppender(fd, target)
        try:
            return hash_file(source, lambda view: writer.write(view, aligned=True))  # windows start page-aligned
        finally:
            writer.close()
    finally:
        os.close(fd)


class WriteBehind:
    """Appends to a file descriptor with no buffer in between (when the disk fills up,
    nothing is left pending in memory to be written later behind a recorded offset), and
    hands the pages written more than WINDOW ago back to the kernel (POSIX_FADV_DONTNEED),
    which starts their write-back at once. The next writes then reuse that memory instead
    of filling the page cache with fresh pages (on a virtual machine 0.6 against 2.6 GiB/s
    here), and the closing fsync has little left to do. Large files are read back rarely
    (playback reads ranges), so nothing is lost by not caching them."""

    WINDOW = 32 * 2**20

    def __init__(self, fd, position=0):
        self.fd, self.position, self.released = fd, position, position

    def write(self, data):
        view = memoryview(data)
        while view:
            count = os.write(self.fd, view)
            view = view[count:]
            self.advanced(count)

    def advanced(self, count):
        """`count` more bytes were written at the end (by `write`, or by the kernel)."""
        self.position += count
        if self.position - self.released >= 2 * self.WINDOW:
            behind = self.position - self.WINDOW
            os.posix_fadvise(self.fd, self.released, behind - self.released, os.POSIX_FADV_DONTNEED)
            self.released = behind


class DirectAppender:
    """Appends to a file at `position`: a block that starts on an aligned offset, at an
    aligned address (the page-aligned receive buffers of an upload) and fills whole
    disk blocks goes to the disk with O_DIRECT, from the buffer itself, costing no copy into
    the page cache nor any of its write-back; anything else, and everything on a file system
    without O_DIRECT, goes through `WriteBehind`. Either way nothing is held back in memory:
    what `write` has returned is in the file."""

    def __init__(self, fd, path, position=0):
        self.behind, self.direct = WriteBehind(fd, position), None
        if hasattr(os, "O_DIRECT"):
            try:
                self.direct = os.open(path, os.O_WRONLY | os.O_DIRECT)
            except OSError as exc:
                if exc.errno != errno.EINVAL:  # tmpfs: no O_DIRECT
                    raise

    def close(self):
        if self.direct is not None:
            os.close(self.direct)
            self.direct = None

    def write(self, data, aligned=False):
        view = memoryview(data)
        if not (aligned and self.direct is not None and self.behind.position % DIRECT_ALIGN == 0):
            return self.behind.write(view)
        whole = len(view) - len(view) % DIRECT_ALIGN
        done = 0
        try:
            while done < whole:
                count = os.pwrite(self.direct, view[done:whole], self.behind.position)
                done += count
                self.behind.position += count
                self.behind.released = self.behind.position  # nothing of it in the page cache
                if count % DIRECT_ALIGN:
                    break  # a short write off the block size: the rest the ordinary way
        except OSError as exc:
            if exc.errno != errno.EINVAL or done:
                raise
            self.close()  # refused after all (a file system that takes the open, not the write)
        if done < len(view):
            self.behind.write(view[done:])


class LocalBlobStore:
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
        """Where the file lives, as written into a case file's catalog."""
        return self.path(sha256).as_uri()

    def digest(self, sha256):
        """Re-hash a stored file: (its actual SHA-256, its size)."""
        digest = hashlib.sha256()
        size = hash_file(self.path(sha256), digest.update)
        return digest.hexdigest(), size

    def delete(self, sha256):
        """Remove a blob. Only retention disposal, after a head's approval, calls this."""
        self.path(sha256).unlink(missing_ok=True)

    def size(self, sha256):
        return self.path(sha256).stat().st_size

    def lock_state(self, sha256):
        return LockState()

    def open(self, sha256):
        return open(self.path(sha256), "rb")

    def iter_range(self, sha256, start, length):
        """The bytes [start, start+length) of a blob, in pieces."""
        with self.open(sha256) as f:
            f.seek(start)
            while length > 0:
                data = f.read(min(CHUNK, length))
                if not data:
                    return
                length -= len(data)
                yield data

    def adopt(self, path, sha256, consume=True):
        """Take a complete local file whose SHA-256 was computed while it streamed in
        (a finished resumable upload). Returns (size, created); the file is consumed
        unless `consume` is off."""
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
        """Store a file-like object or bytes; returns (sha256, size, created)."""
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


class S3BlobStore:
    """The same interface on any S3-compatible object store (AWS, MinIO, Ceph RGW, SeaweedFS).

    A blob is spooled to a local temporary file while it is hashed, then sent under its
    SHA-256 key (as a multipart upload when large); a key that exists is never written again."""

    MULTIPART = 64 * 2**20
    may_lock = True  # when the bucket has Object Lock: see `locking`

    def __init__(self, bucket, prefix, spool):
        import boto3
        from boto3.s3.transfer import TransferConfig

        self.bucket, self.prefix = bucket, prefix.strip("/")
        self.client = boto3.client("s3", endpoint_url=os.environ.get("AWS_ENDPOINT_URL") or None)
        self.transfer = TransferConfig(multipart_threshold=self.MULTIPART, multipart_chunksize=self.MULTIPART)
        self.spool = private_dir(spool)

    def key(self, sha256):
        return "/".join(filter(None, [self.prefix, sha256[:2], sha256[2:4], sha256]))

    def _head(self, sha256):
        from botocore.exceptions import ClientError

        try:
            return self.client.head_object(Bucket=self.bucket, Key=self.key(sha256))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return None
            raise

    def exists(self, sha256):
        return self._head(sha256) is not None

    def location(self, sha256):
        return f"s3://{self.bucket}/{self.key(sha256)}"

    def digest(self, sha256):
        digest, size = hashlib.sha256(), 0
        with self.open(sha256) as body:
            while chunk := body.read(CHUNK * 4):
                digest.update(chunk)
                size += len(chunk)
        return digest.hexdigest(), size

    @cached_property
    def locking(self):
        """Whether the bucket was created with S3 Object Lock (it cannot be turned on later)."""
        from botocore.exceptions import ClientError

        try:
            config = self.client.get_object_lock_configuration(Bucket=self.bucket)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in (
                    "ObjectLockConfigurationNotFoundError", "NoSuchObjectLockConfiguration", "NoSuchKey"):
                return False
            raise
        return config.get("ObjectLockConfiguration", {}).get("ObjectLockEnabled") == "Enabled"

    def _initial_lock(self):
        """The lock a new blob gets before any rule has classified it: the shortest period
        any profile keeps a recording (LAWTRAIL_OBJECT_LOCK_DAYS, 0 for none)."""
        days = settings.LAWTRAIL_OBJECT_LOCK_DAYS
        if not self.locking or days <= 0:
            return {}
        until = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=days)
        return {"ObjectLockMode": "COMPLIANCE", "ObjectLockRetainUntilDate": until}

    def lock_state(self, sha256):
        return _lock_state(self._head(sha256)) if self.locking else LockState()

    def lock(self, sha256, *, until=None, hold=None):
        """Extend the blob's COMPLIANCE retention to `until` (an earlier date than the one in
        force is left alone: the store would refuse to shorten it) and set or clear its legal
        hold. Returns the state now in force, or None when the store does not hold the blob."""
        head = self._head(sha256)
        if head is None:
            return None
        state = _lock_state(head)
        key = self.key(sha256)
        now = datetime.datetime.now(datetime.timezone.utc)
        if until is not None and until > now and (state.until is None or until > state.until):
            self.client.put_object_retention(Bucket=self.bucket, Key=key,
                                             Retention={"Mode": "COMPLIANCE", "RetainUntilDate": until})
            state = LockState(until=until, hold=state.hold)
        if hold is not None and hold != state.hold:
            self.client.put_object_legal_hold(Bucket=self.bucket, Key=key,
                                              LegalHold={"Status": "ON" if hold else "OFF"})
            state = LockState(until=state.until, hold=hold)
        return state

    def delete(self, sha256):
        """On a locked (hence versioned) bucket a plain delete would only hide the bytes
        behind a delete marker: every version is removed, which the store allows only once
        its retention date has passed and no legal hold is on."""
        from botocore.exceptions import ClientError

        key = self.key(sha256)
        if not self.locking:
            self.client.delete_object(Bucket=self.bucket, Key=key)
            return
        state = self.lock_state(sha256)
        if state.blocks_deletion():
            raise BlobLocked(sha256, state)
        listing = self.client.list_object_versions(Bucket=self.bucket, Prefix=key)
        for version in listing.get("Versions", []) + listing.get("DeleteMarkers", []):
            if version["Key"] != key:
                continue
            try:
                self.client.delete_object(Bucket=self.bucket, Key=key, VersionId=version["VersionId"])
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") == "AccessDenied":
                    raise BlobLocked(sha256, self.lock_state(sha256)) from exc
                raise

    def size(self, sha256):
        head = self._head(sha256)
        if head is None:
            raise FileNotFoundError(sha256)
        return head["ContentLength"]

    def open(self, sha256):
        from botocore.exceptions import ClientError

        try:
            return self.client.get_object(Bucket=self.bucket, Key=self.key(sha256))["Body"]
        except ClientError as exc:
            raise FileNotFoundError(sha256) from exc

    def iter_range(self, sha256, start, length):
        if length <= 0:
            return
        body = self.client.get_object(Bucket=self.bucket, Key=self.key(sha256),
                                      Range=f"bytes={start}-{start + length - 1}")["Body"]
        yield from body.iter_chunks(CHUNK)

    def adopt(self, path, sha256, consume=True):
        path = Path(path)
        size = path.stat().st_size
        created = not self.exists(sha256)
        if created:
            self.client.upload_file(str(path), self.bucket, self.key(sha256), Config=self.transfer,
                                    ExtraArgs={"Metadata": {"sha256": sha256}, **self._initial_lock()})
        if consume:
            path.unlink(missing_ok=True)  # only once the store holds it: a failure keeps the file
        return size, created

    def put(self, stream):
        chunks = [bytes(stream)] if isinstance(stream, (bytes, bytearray)) else iter(lambda: stream.read(CHUNK), b"")
        digest, size = hashlib.sha256(), 0
        fd, tmp = tempfile.mkstemp(dir=self.spool)
        with os.fdopen(fd, "wb") as out:
            for chunk in chunks:
                digest.update(chunk)
                out.write(chunk)
                size += len(chunk)
        sha256 = digest.hexdigest()
        try:
            return (sha256, *self.adopt(tmp, sha256))
        finally:
            Path(tmp).unlink(missing_ok=True)  # the caller still has what it gave: no spool left behind


def _lock_state(head):
    """The lock an S3 HEAD answer reports (none for a missing object)."""
    if head is None:
        return LockState()
    until = head.get("ObjectLockRetainUntilDate") if head.get("ObjectLockMode") == "COMPLIANCE" else None
    return LockState(until=until.astimezone(datetime.timezone.utc) if until else None,
                     hold=head.get("ObjectLockLegalHoldStatus") == "ON")


@cache
def _store(url):
    parsed = urlparse(url)
    if parsed.scheme == "file":
        return LocalBlobStore(parsed.path)
    if parsed.scheme == "s3":
        if not parsed.netloc:
            raise ImproperlyConfigured(f"LAWTRAIL_STORAGE={url}: the bucket is missing (s3://bucket/prefix)")
        return S3BlobStore(parsed.netloc, parsed.path, Path(settings.LAWTRAIL_HOME) / "spool")
    raise ImproperlyConfigured(f"LAWTRAIL_STORAGE={url}: use file://DIRECTORY or s3://BUCKET[/PREFIX]")


def blob_store():
    return _store(settings.LAWTRAIL_STORAGE)
