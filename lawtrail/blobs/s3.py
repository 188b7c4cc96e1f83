"""The blob store on an S3-compatible object store (`s3://` store), locked where the bucket
has Object Lock."""

import datetime
import hashlib
import os
import tempfile
from functools import cached_property
from pathlib import Path

from django.conf import settings

from lawtrail.blobs.base import CHUNK, BlobLocked, BlobStore, LockState
from lawtrail.core.files import private_dir


class S3BlobStore(BlobStore):
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
