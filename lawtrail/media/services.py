"""The only writers of audio/video records: resumable uploads, dock imports, gap
explanations, and the access entries of playing and downloading.

The bytes are hashed while they stream in and stored (content-addressed, written once)
before anything parses them; the database rows and their ledger entries follow in one
transaction, so a failure leaves at most an unreferenced blob, never a half-made record.
"""

import datetime
import fcntl
import hashlib
import logging
import mmap
import os
import queue
import secrets
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from lawtrail.access.policy import case_for, check_case_writer
from lawtrail.cases.models import Case
from lawtrail.core.errors import Conflict, InvalidInput, LawTrailError, NotFound, StorageFull, is_disk_full
from lawtrail.core.files import FILE_MODE, private_dir
from lawtrail.core.text import clean_filename
from lawtrail.ledger.access_log import guarded
from lawtrail.ledger.services import ledger_append
from lawtrail.media import hashstate
from lawtrail.media.metadata import probe
from lawtrail.media.models import Activity, GapExplanation, GapReason, Recording, Upload, UploadStatus
from lawtrail.media.body import request_body
from lawtrail.media.storage import CHUNK, DirectAppender, blob_store
from lawtrail.org.models import Officer
from lawtrail.regulations.deadlines import av_upload_deadline
from lawtrail.regulations.profiles import get_profile

UPLOAD_TTL = datetime.timedelta(days=7)
DEFAULT_METHOD = {"video": "执法记录仪录像", "audio": "录音设备录音", "photo": "照相", "other": "电子设备记录"}
WHAT = "上传音像记录"
logger = logging.getLogger(__name__)


class ChecksumMismatch(LawTrailError):
    status = 460  # tus checksum extension


class TooLarge(LawTrailError):
    status = 413


class Gone(LawTrailError):
    status = 410


class StorageUnavailable(LawTrailError):
    status = 503


def max_upload_bytes():
    return getattr(settings, "LAWTRAIL_MAX_UPLOAD_BYTES", 64 * 2**30)


def upload_dir():
    return private_dir(Path(settings.LAWTRAIL_HOME) / "uploads")


# --- what is said about a recording --------------------------------------------


@dataclass
class Description:
    """What the officer says about a recording (tus Upload-Metadata or `lawtrail ingest`)."""

    case: Case
    officer: Officer
    activity: str = Activity.OTHER
    recorded_at: datetime.datetime | None = None
    returned_at: datetime.datetime | None = None
    device_no: str = ""
    method: str = ""
    proves: str = ""

    def as_metadata(self):
        return {"case_no": self.case.case_no, "officer_cert": self.officer.cert_no, "activity": self.activity,
                "recorded_at": self.recorded_at.isoformat() if self.recorded_at else "",
                "returned_at": self.returned_at.isoformat() if self.returned_at else "",
                "device_no": self.device_no, "method": self.method, "proves": self.proves}


def _time(value, label):
    if not value:
        return None
    parsed = value if isinstance(value, datetime.datetime) else parse_datetime(str(value).strip())
    if parsed is None:
        raise InvalidInput(f"“{label}”不是有效的时间（ISO 8601，如 2026-11-20T09:30:00+08:00）")
    return parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed)


def describe(actor, metadata) -> Description:
    """Check what the uploader says about a recording before any byte is accepted."""
    case_no = (metadata.get("case_no") or "").strip()
    if not case_no:
        raise InvalidInput("请注明案号（case_no）", field="case_no")
    case = Case.objects.filter(case_no=case_no, agency_id=actor.agency_id).first()
    if case is None:
        raise NotFound(f"案件 {case_no} 不存在或您无权查看")
    case = case_for(actor, case.pk)
    check_case_writer(actor, case, WHAT)
    cert = (metadata.get("officer_cert") or "").strip()
    if not cert:
        raise InvalidInput("请注明执法人员的执法证号（officer_cert）", field="officer_cert")
    officer = Officer.objects.filter(cert_no=cert, agency_id=case.agency_id).first()
    if officer is None:
        raise InvalidInput(f"本机关没有执法证号为 {cert} 的执法人员", field="officer_cert")
    activity = (metadata.get("activity") or Activity.OTHER).strip()
    if activity not in Activity.values:
        raise InvalidInput(f"执法环节无效：{activity}（可选：{'、'.join(Activity.values)}）", field="activity")
    description = Description(
        case=case, officer=officer, activity=activity,
        recorded_at=_time(metadata.get("recorded_at"), "记录时间"),
        returned_at=_time(metadata.get("returned_at"), "返回单位时间"),
        device_no=(metadata.get("device_no") or "").strip()[:60],
        method=(metadata.get("method") or "").strip()[:60], proves=(metadata.get("proves") or "").strip())
    day = timezone.localtime(description.recorded_at).date() if description.recorded_at else timezone.localdate()
    if problem := officer.qualification_problem(day):
        raise InvalidInput(problem, field="officer_cert")
    return description


def _description_from(upload):
    meta = upload.metadata
    return Description(case=upload.case, officer=upload.officer, activity=meta.get("activity") or Activity.OTHER,
                       recorded_at=_time(meta.get("recorded_at"), "记录时间"),
                       returned_at=_time(meta.get("returned_at"), "返回单位时间"),
                       device_no=meta.get("device_no", ""), method=meta.get("method", ""),
                       proves=meta.get("proves", ""))


# --- resumable uploads (tus) ----------------------------------------------------


def upload_create(*, actor, length, metadata) -> Upload:
    """Open a resumable upload after checking its case, officer and size."""
    if length is None or length < 0:
        raise InvalidInput("请注明文件大小（Upload-Length）")
    if length == 0:
        raise InvalidInput("文件为空")
    if length > max_upload_bytes():
        raise TooLarge(f"文件超过系统允许的上限 {max_upload_bytes() // 2**30} GiB")
    if not (metadata.get("filename") or "").strip():
        raise InvalidInput("请注明文件名（filename）", field="filename")
    filename = clean_filename(metadata["filename"])
    description = describe(actor, metadata)
    uploads_expire()  # abandoned partial uploads go when new ones come
    upload = Upload.objects.create(
        id=secrets.token_hex(16), created_by=actor, case=description.case, officer=description.officer,
        length=length, metadata={**description.as_metadata(), "filename": filename},
        expires_at=timezone.now() + UPLOAD_TTL)
    _part(upload).touch(mode=FILE_MODE)
    return upload


def _part(upload):
    return upload_dir() / f"{upload.id}.part"


def upload_for(actor, upload_id) -> Upload:
    """An upload of this user that can still take bytes or be asked about."""
    upload = Upload.objects.filter(pk=upload_id, created_by=actor).first()
    if upload is None or upload.status == UploadStatus.TERMINATED:
        raise NotFound("上传不存在或已取消")
    if upload.status == UploadStatus.ACTIVE and upload.expires_at < timezone.now():
        raise Gone("上传已过期，请重新上传")
    if upload.status == UploadStatus.ACTIVE:
        _recover(actor, upload)
    return upload


def _recover(actor, upload):
    """What a crash may have left, put right by the next request about the upload (the
    client's HEAD after a restart): fewer bytes on disk than the recorded offset, or a
    complete partial file that never became a recording. Only when no other request holds
    the upload: a writer at work settles it itself."""
    try:
        with _locked(upload, wait=False):
            _reconcile(upload)
            if upload.offset == upload.length:
                _complete(actor, upload, _digest_at(upload, upload.offset))
    except BlockingIOError:
        pass
    except Conflict:  # completed meanwhile by another request
        upload.refresh_from_db()


def _reconcile(upload):
    """After a crash the partial file may hold fewer bytes than the recorded offset (chunks
    are not fsync'd one by one): then the offset goes back, and HEAD tells the client where
    to resume. Bytes beyond the offset are dropped by the next PATCH. Call under the lock."""
    size = _part(upload).stat().st_size
    if size < upload.offset:
        Upload.objects.filter(pk=upload.pk).update(offset=size)
        upload.offset = size


def _no_longer_active(upload):
    return Conflict("该文件已上传完成" if upload.status == UploadStatus.COMPLETED else "上传已取消")


@contextmanager
def _locked(upload, wait=True):
    """One request per upload at a time, across processes: an exclusive lock on the partial
    file (BlockingIOError when `wait` is off and another request holds it), on an upload
    still active once the lock is held (refreshed; else Conflict). The file stays in place
    until its upload is marked completed, so every holder locks the same file; a request
    that waited for one that completed or cancelled the upload leaves no file behind."""
    path = _part(upload)
    created = False
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        upload.refresh_from_db()
        if upload.status != UploadStatus.ACTIVE:
            raise _no_longer_active(upload) from None
        # Lost (a crash of an older version, or removed by hand): start again from what the
        # disk holds, which is nothing; `_reconcile` sends the client back to byte 0.
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


# Running SHA-256 of the bytes received so far, per upload, in this process. Only a shortcut:
# when another process took the previous chunk, the digest is taken up from the state saved
# with the upload's offset (see hashstate), and only failing that rebuilt from the partial file.
_digests = {}
_digests_lock = threading.Lock()


def _digest_at(upload, offset):
    with _digests_lock:
        known = _digests.get(upload.id)
    if known and known[0] == offset:
        return known[1]
    saved = hashstate.resume(upload.hash_state, offset)
    if saved is not None:
        return saved
    digest = hashstate.sha256()
    with open(_part(upload), "rb") as f:
        remaining = offset
        while remaining:
            chunk = f.read(min(CHUNK * 8, remaining))
            if not chunk:
                break
            digest.update(chunk)
            remaining -= len(chunk)
    return digest


class _Block:
    """One received block in a reused buffer, back in the pool once every consumer is done."""

    def __init__(self, buffer, size, pool, consumers):
        self.buffer, self.view, self.pool = buffer, memoryview(buffer)[:size], pool
        self.left, self.lock = consumers, threading.Lock()

    def done(self):
        with self.lock:
            self.left -= 1
            last = self.left == 0
        if last:
            self.view.release()
            self.pool.put(self.buffer)


class _Sink:
    """Receives a request body into a few page-aligned buffers, reused from block to block,
    and hands each block to the file writer and to each hash, in threads of their own, so
    that the next block is read from the network while this one goes to disk and through
    each hash (socket reads, hashlib, OpenSSL's SHA-256 and file writes all release the
    GIL). A buffer goes back to be filled again once all of them are done with it."""

    BUFFERS, SPARE = 4, 16
    _spare = queue.LifoQueue()  # buffers of finished uploads, for the next (their pages already mapped)

    def __init__(self, part, path, position, sums):
        self.error = None
        self.writer = DirectAppender(part.fileno(), path, position)
        consumers = [lambda view: self.writer.write(view, aligned=True)] + [s.update for s in sums]
        self.inboxes = [queue.Queue() for _ in consumers]
        self.threads = [threading.Thread(target=self._run, args=pair, daemon=True)
                        for pair in zip(self.inboxes, consumers)]
        self.free = queue.Queue()
        for _ in range(self.BUFFERS):
            try:
                self.free.put(self._spare.get_nowait())
            except queue.Empty:
                self.free.put(mmap.mmap(-1, READ_SIZE))

    def _run(self, inbox, consume):
        while (block := inbox.get()) is not None:
            if self.error is None:
                try:
                    consume(block.view)
                except OSError as exc:
                    self.error = exc
            block.done()

    def receive(self, body, want):
        """Read `want` bytes (at most READ_SIZE) of `body` into the next free buffer and
        pass them on; returns how many (fewer: the body has ended)."""
        buffer, filled = self.free.get(), 0
        view = memoryview(buffer)
        try:
            while filled < want and (count := body.readinto(view[filled:want])):
                filled += count
        finally:
            view.release()
            if filled:
                block = _Block(buffer, filled, self.free, len(self.inboxes))
                for inbox in self.inboxes:
                    inbox.put(block)
            else:
                self.free.put(buffer)
        return filled

    def __enter__(self):
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc_info):
        for inbox in self.inboxes:
            inbox.put(None)
        for thread in self.threads:
            thread.join()
        self.writer.close()
        for _ in range(self.BUFFERS):
            buffer = self.free.get()
            if self._spare.qsize() < self.SPARE:
                self._spare.put(buffer)
            else:
                buffer.close()
        if self.error is not None:
            raise self.error


CHECKSUMS = {"sha1": hashlib.sha1, "sha256": hashlib.sha256}
READ_SIZE = 8 * 2**20  # large blocks from the request: fewer system calls and Python turns per GiB


def upload_append(*, actor, upload_id, offset, stream, length=None, checksum=None) -> Upload:
    """Append one chunk at `offset`. Bytes that arrive before a dropped connection are kept;
    a chunk whose checksum does not match is dropped whole. The last chunk makes the recording."""
    upload = upload_for(actor, upload_id)
    if upload.status == UploadStatus.COMPLETED:
        raise Conflict("该文件已上传完成")
    if checksum is not None:
        algorithm, expected = checksum
        if algorithm not in CHECKSUMS:
            raise InvalidInput(f"不支持的校验算法：{algorithm}（支持 sha1、sha256）")
    with _locked(upload), open(_part(upload), "ab") as part:  # opened only once the upload is known active
        _reconcile(upload)
        if offset != upload.offset:
            raise Conflict(f"上传位置不一致：服务器已收到 {upload.offset} 字节，请求从 {offset} 字节续传")
        room = upload.length - upload.offset
        if length is not None and length > room:
            raise TooLarge(f"数据超出声明的文件大小：还可接收 {room} 字节，本次发送 {length} 字节")
        part.truncate(upload.offset)  # drop bytes a crashed writer left beyond the recorded offset
        digest = _digest_at(upload, upload.offset).copy()
        chunk_sum = CHECKSUMS[checksum[0]]() if checksum else None
        sums = [digest] + ([chunk_sum] if chunk_sum else [])
        received, failure = 0, None
        body = request_body(stream)
        try:
            with _Sink(part, _part(upload), upload.offset, sums) as sink:  # writing and hashing overlap with receiving
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
        except OSError as exc:
            if not is_disk_full(exc):
                raise
            os.ftruncate(part.fileno(), upload.offset)  # the chunk goes whole; what came before is intact
            logger.error("disk full while receiving upload %s at %s bytes", upload.id, upload.offset)
            raise StorageFull(f"服务器存储空间已满，本数据块未保存；已收到的 {upload.offset} 字节完好无损，"
                              f"请通知系统管理员腾出空间后从第 {upload.offset} 字节续传") from exc
        if chunk_sum is not None and (failure or chunk_sum.digest() != expected):
            part.truncate(upload.offset)
            raise ChecksumMismatch("数据块校验值不一致，已丢弃该数据块，请重新发送")
        if isinstance(failure, TooLarge):
            part.truncate(upload.offset)
            raise failure
        # Not fsync'd per chunk: a crash that loses bytes is caught by _reconcile.
        new_offset = upload.offset + received
        Upload.objects.filter(pk=upload.pk, offset=upload.offset).update(
            offset=new_offset, hash_state=hashstate.state_of(digest))
        upload.offset = new_offset
        with _digests_lock:
            _digests[upload.id] = (new_offset, digest)
        if upload.offset == upload.length:
            _complete(actor, upload, digest)
    return upload


def _complete(actor, upload, digest):
    """All bytes are in: the partial file becomes the stored original and its recording.
    The partial file goes only after the upload is marked completed: a crash at any point
    before leaves it for `_recover` to finish the job."""
    with _digests_lock:
        _digests.pop(upload.id, None)
    fd = os.open(_part(upload), os.O_RDONLY)
    try:
        os.fsync(fd)  # the evidence is on disk before it becomes a recording
    finally:
        os.close(fd)
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        recording, _ = recording_ingest(actor=actor, path=_part(upload), sha256=digest.hexdigest(),
                                        description=_description_from(upload), keep_source=True,
                                        filename=upload.metadata["filename"], source="upload")
    except (OSError, BotoCoreError, ClientError) as exc:
        # The bytes stay in the partial file; the next request about the upload finishes it.
        logger.warning("upload %s could not be stored: %s", upload.id, exc)
        raise StorageUnavailable("文件已完整收到并保留在服务器上，但存储服务暂时不可用（或磁盘已满）；"
                                 "请稍后重试，查询上传进度即可完成入库") from exc
    Upload.objects.filter(pk=upload.pk).update(status=UploadStatus.COMPLETED, recording=recording)
    upload.status, upload.recording = UploadStatus.COMPLETED, recording
    _part(upload).unlink(missing_ok=True)


def upload_terminate(*, actor, upload_id):
    """Cancel an unfinished upload and drop its bytes (tus termination)."""
    upload = upload_for(actor, upload_id)
    if upload.status == UploadStatus.COMPLETED:
        raise Conflict("已完成的上传是原始记录，不能删除")
    with _locked(upload):
        Upload.objects.filter(pk=upload.pk).update(status=UploadStatus.TERMINATED)
        _part(upload).unlink(missing_ok=True)
    with _digests_lock:
        _digests.pop(upload.id, None)


def uploads_expire(now=None):
    """Drop the partial files of uploads that expired unfinished. Returns how many."""
    expired = Upload.objects.filter(status=UploadStatus.ACTIVE, expires_at__lt=now or timezone.now())
    count = 0
    for upload in expired:
        Upload.objects.filter(pk=upload.pk).update(status=UploadStatus.TERMINATED)
        _part(upload).unlink(missing_ok=True)
        count += 1
    return count


# --- recordings -----------------------------------------------------------------


class _Counted:
    """A file whose reads report their size (for a progress bar)."""

    def __init__(self, f, progress):
        self.f, self.progress = f, progress

    def read(self, size=-1):
        data = self.f.read(size)
        self.progress(len(data))
        return data


def recording_ingest(*, actor, path, description, filename, sha256=None, source="dock", progress=None,
                     keep_source=False):
    """Store a file and make its recording. With `sha256` (computed while it streamed in)
    the file is taken over by the store (and left in place with `keep_source`, for the
    caller to remove once its own bookkeeping is done); without, it is copied and hashed
    on the way. Returns (recording, created): the same file twice in a case is one recording."""
    check_case_writer(actor, description.case, WHAT)
    found = probe(path)  # may flag, never refuses
    store = blob_store()
    if sha256 is None:
        with open(path, "rb") as f:
            sha256, size, _ = store.put(_Counted(f, progress) if progress else f)
    else:
        size, _ = store.adopt(path, sha256, consume=not keep_source)
    existing = Recording.objects.filter(case=description.case, sha256=sha256).first()
    if existing is not None:
        return existing, False
    filename = clean_filename(filename)
    thumbnail = store.put(found.thumbnail)[0] if found.thumbnail else ""
    received = timezone.now()
    started = found.device_time or description.recorded_at
    ended = started + datetime.timedelta(seconds=found.duration) if started and found.duration else started
    profile = get_profile(description.case.agency.profile)
    due = av_upload_deadline(profile, made_at=ended or received, returned_at=description.returned_at)
    try:
        with transaction.atomic():
            recording = Recording.objects.create(
                case=description.case, sha256=sha256, size=size, filename=filename, kind=found.kind,
                content_type=found.content_type, activity=description.activity, officer=description.officer,
                device_no=description.device_no, method=description.method or DEFAULT_METHOD[found.kind],
                proves=description.proves, started_at=started, ended_at=ended, device_time=found.device_time,
                officer_time=description.recorded_at, returned_at=description.returned_at, received_at=received,
                duration_ms=round(found.duration * 1000) if found.duration is not None else None, media_info=found.info, flagged=found.flagged,
                flag_reason=found.flag_reason, thumbnail_sha256=thumbnail, upload_due=due.due,
                upload_due_basis=due.describe(), uploaded_by=actor, source=source)
            notes = [f"SHA-256 {sha256}"] + (["逾期上传"] if recording.late else []) + (
                [found.flag_reason] if found.flagged else [])
            ledger_append(actor=actor, action="recording.create", obj=recording, scope=description.case.scope,
                          reason=f"{filename}（{'；'.join(notes)}）")
    except IntegrityError:  # the same file arrived twice at once: the other one won
        return Recording.objects.get(case=description.case, sha256=sha256), False
    return recording, True


@transaction.atomic
def gap_explain(*, actor, before, after, reason_kind, reason) -> GapExplanation:
    """Explain why recording stopped between two consecutive recordings of one activity."""
    check_case_writer(actor, before.case, "说明音像记录中断")
    if before.case_id != after.case_id or before.activity != after.activity:
        raise InvalidInput("只能说明同一案件同一执法环节前后相邻两段录像之间的中断")
    if reason_kind not in GapReason.values:
        raise InvalidInput("请选择说明方式", field="reason_kind")
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("请填写中止原因", field="reason")
    explanation = GapExplanation.objects.create(case=before.case, before=before, after=after,
                                                reason_kind=reason_kind, reason=reason, explained_by=actor)
    ledger_append(actor=actor, action="recording.gap_explain", obj=explanation, scope=before.case.scope,
                  reason=f"{before.filename} → {after.filename}：{reason}")
    return explanation


def check_present(recording):
    """A recording whose content was disposed of at the end of its retention is gone (410)."""
    from lawtrail.archive.selectors import disposed_hashes

    if recording.sha256 in disposed_hashes(recording.case):
        raise Gone(f"音像记录 {recording.filename} 已于保存期满后经批准销毁，仅保留其登记信息和销毁记录")


def recording_accessed(*, actor, recording, how):
    """Playing or downloading a recording is an access, and accesses are in the ledger;
    where the policy refuses it, the refusal is."""
    from lawtrail.access.policy import check_av_view, check_copy

    check_present(recording)
    labels = {"play": "播放", "download": "下载", "thumbnail": "查看缩略图"}
    what = f"{labels[how]}音像记录 {recording.filename}"
    guarded(check_av_view, actor=actor, case=recording.case, what=what)
    if how == "download":
        guarded(check_copy, actor=actor, case=recording.case, what=what)
    _recording_access_logged(actor, recording, how, labels)


@transaction.atomic
def _recording_access_logged(actor, recording, how, labels):
    ledger_append(actor=actor, action=f"recording.{how}", obj=recording, scope=recording.case.scope,
                  reason=f"{labels[how]}音像记录 {recording.filename}")


PLAY_SALT = "lawtrail.media.play"
PLAY_TTL = datetime.timedelta(hours=4)


def recording_play(*, actor, recording):
    """Log a play and hand out a token that lets this user's player fetch the recording's
    byte ranges for a few hours without writing an entry per range request."""
    from django.core import signing

    recording_accessed(actor=actor, recording=recording, how="play")
    return signing.dumps([recording.pk, actor.pk], salt=PLAY_SALT, compress=True)


def played_recording_id(actor, token):
    """The recording a play token was given for, if it is this user's and still fresh."""
    from django.core import signing

    try:
        recording_id, user_id = signing.loads(token, salt=PLAY_SALT, max_age=PLAY_TTL)
    except signing.BadSignature:
        raise NotFound("播放链接无效或已过期，请重新打开播放页面")
    if user_id != actor.pk:
        raise NotFound("播放链接无效或已过期，请重新打开播放页面")
    return recording_id
