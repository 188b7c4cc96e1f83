"""The state of a resumable (tus) upload between its requests: the partial file and the
lock on it, the bytes a crash may have lost, the running SHA-256, and taking in one chunk.
The services open, finish and cancel uploads (`upload_*`); `tus.py` is their HTTP face."""

import datetime
import fcntl
import hashlib
import logging
import os
import threading
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.db import connections

from lawtrail.blobs.base import CHUNK
from lawtrail.core.errors import Conflict, LawTrailError, StorageFull, is_disk_full
from lawtrail.core.files import FILE_MODE, private_dir
from lawtrail.media import hashstate
from lawtrail.media.models import Upload, UploadStatus
from lawtrail.media.streaming import READ_SIZE, HashBehind, Sink, request_body

UPLOAD_TTL = datetime.timedelta(days=7)
CHECKSUMS = {"sha1": hashlib.sha1, "sha256": hashlib.sha256}
logger = logging.getLogger(__name__)


class ChecksumMismatch(LawTrailError):
    status = 460  # tus checksum extension


class TooLarge(LawTrailError):
    status = 413


def max_upload_bytes():
    return getattr(settings, "LAWTRAIL_MAX_UPLOAD_BYTES", 64 * 2**30)


def upload_dir():
    return private_dir(Path(settings.LAWTRAIL_HOME) / "uploads")


def part_path(upload):
    return upload_dir() / f"{upload.id}.part"


def reconcile(upload):
    """After a crash the partial file may hold fewer bytes than the recorded offset (chunks
    are not fsync'd one by one): then the offset goes back, and HEAD tells the client where
    to resume. Bytes beyond the offset are dropped by the next PATCH. Call under the lock."""
    size = part_path(upload).stat().st_size
    if size < upload.offset:  # and a hash state saved before the loss is not trusted
        Upload.objects.filter(pk=upload.pk).update(offset=size, hash_state=None)
        upload.offset, upload.hash_state = size, None
        forget_digest(upload)


def _no_longer_active(upload):
    return Conflict("该文件已上传完成" if upload.status == UploadStatus.COMPLETED else "上传已取消")


@contextmanager
def locked(upload, wait=True):
    """One request per upload at a time, across processes: an exclusive lock on the partial
    file (BlockingIOError when `wait` is off and another request holds it), on an upload
    still active once the lock is held (refreshed; else Conflict). The file stays in place
    until its upload is marked completed, so every holder locks the same file; a request
    that waited for one that completed or cancelled the upload leaves no file behind."""
    path = part_path(upload)
    created = False
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        upload.refresh_from_db()
        if upload.status != UploadStatus.ACTIVE:
            raise _no_longer_active(upload) from None
        # Lost (a crash of an older version, or removed by hand): start again from what the
        # disk holds, which is nothing; `reconcile` sends the client back to byte 0.
        fd, created = os.open(path, os.O_RDONLY | os.O_CREAT, FILE_MODE), True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        upload.refresh_from_db()
        if upload.status != UploadStatus.ACTIVE:
            if created:  # finished between the look and the lock: nothing to recreate
                path.unlink(missing_ok=True)
            raise _no_longer_active(upload)
        yield
    finally:
        os.close(fd)


# Running SHA-256 of the bytes received so far, per upload, in this process: a digest, or the
# HashBehind of the last chunk still at work. Only a shortcut: when another process took the
# previous chunk, the digest is taken up from the state saved with the upload (see hashstate;
# it may stand a chunk behind the offset), the rest read back from the partial file.
_digests = {}
_digests_lock = threading.Lock()
# A chunk at least this long is answered once its bytes are in the file, its hash finishing
# behind the next chunk's receiving; a shorter one waits for its hash (a few milliseconds).
HASH_BEHIND_FROM = 2 * READ_SIZE


def digest_at(upload, offset):
    """The running SHA-256 of the upload's first `offset` bytes (perhaps a HashBehind)."""
    with _digests_lock:
        known = _digests.get(upload.id)
    if known and known[0] == offset:
        return known[1]
    digest = hashstate.resume(upload.hash_state, offset)
    start = 0 if digest is None else digest.length
    if digest is None:
        digest = hashstate.sha256()
    with open(part_path(upload), "rb") as f:
        f.seek(start)
        remaining = offset - start
        while remaining:
            chunk = f.read(min(CHUNK * 8, remaining))
            if not chunk:
                break
            digest.update(chunk)
            remaining -= len(chunk)
    return digest


def _save_state(upload_id, offset, digest, on_hash_thread=False):
    """A finished hash's state saved if the upload still stands at its chunk's end `offset`.
    On a hash's thread the database connection is the thread's own: closed after."""
    try:
        Upload.objects.filter(pk=upload_id, offset=offset).update(hash_state=hashstate.state_of(digest))
    finally:
        if on_hash_thread:
            connections.close_all()


def forget_digest(upload):
    with _digests_lock:
        _digests.pop(upload.id, None)


def chunk_receive(upload, part, *, offset, stream, length, checksum):
    """Take in one chunk at `offset`, under the upload's lock, into `part` (its partial file
    opened for appending). Bytes that arrive before a dropped connection are kept; a chunk
    whose checksum does not match is dropped whole. Returns the SHA-256 of all bytes so far."""
    reconcile(upload)
    if offset != upload.offset:
        raise Conflict(f"上传位置不一致：服务器已收到 {upload.offset} 字节，请求从 {offset} 字节续传")
    room = upload.length - upload.offset
    if length is not None and length > room:
        raise TooLarge(f"数据超出声明的文件大小：还可接收 {room} 字节，本次发送 {length} 字节")
    part.truncate(upload.offset)  # drop bytes a crashed writer left beyond the recorded offset
    before = digest_at(upload, upload.offset)
    digest = HashBehind(before)  # of this chunk's bytes only if the chunk is kept
    chunk_sum = CHECKSUMS[checksum[0]]() if checksum else None
    received, failure = 0, None
    body = request_body(stream)
    try:
        # Writing and hashing overlap with receiving; the chunk's checksum is waited for, the
        # running hash not (HASH_BEHIND_FROM).
        with Sink(part, part_path(upload), upload.offset, [chunk_sum] if chunk_sum else [], [digest]) as sink:
            try:
                while received < room:
                    want = min(READ_SIZE, room - received)
                    count = sink.receive(body, want)
                    received += count
                    if count < want:
                        break  # the body ended
                if length is None and body.readinto(bytearray(1)):
                    failure = TooLarge("数据超出声明的文件大小")
            except OSError as exc:  # the client went away: keep what arrived
                failure = exc
            received = sink.passed  # the block a reset cut short was written and hashed: it counts
    except OSError as exc:
        if not is_disk_full(exc):
            raise
        os.ftruncate(part.fileno(), upload.offset)  # the chunk goes whole; what came before is intact
        logger.error("disk full while receiving upload %s at %s bytes", upload.id, upload.offset)
        raise StorageFull(f"服务器存储空间已满，本数据块未保存；已收到的 {upload.offset} 字节完好无损，"
                          f"请通知系统管理员腾出空间后从第 {upload.offset} 字节续传") from exc
    if chunk_sum is not None and (failure or chunk_sum.digest() != checksum[1]):
        part.truncate(upload.offset)
        raise ChecksumMismatch("数据块校验值不一致，已丢弃该数据块，请重新发送")
    if isinstance(failure, TooLarge):
        part.truncate(upload.offset)
        raise failure
    new_offset = upload.offset + received
    if received < HASH_BEHIND_FROM or new_offset == upload.length:
        digest.result()
    # The state saved now is the latest finished: this chunk's, else the one before, and this
    # chunk's follows from the hash's thread once it is done, while the upload still stands
    # here (a client that opens a new connection for each chunk may reach another process,
    # which then reads nothing back from the file).
    own = digest.done()
    if own:
        finished = digest.result()
    elif not isinstance(before, HashBehind):
        finished = before
    elif before.done():
        finished = before.result()
    else:
        finished = None  # the state saved before stays
    changes = {"offset": new_offset}
    if finished is not None:
        changes["hash_state"] = hashstate.state_of(finished)
    # Not fsync'd per chunk: a crash that loses bytes is caught by `reconcile`.
    Upload.objects.filter(pk=upload.pk, offset=upload.offset).update(**changes)
    upload.offset = new_offset
    if not own and not digest.when_done(lambda done: _save_state(upload.pk, new_offset, done, on_hash_thread=True)):
        _save_state(upload.pk, new_offset, digest.result())  # done meanwhile
    with _digests_lock:
        _digests[upload.id] = (new_offset, digest)
    return digest
