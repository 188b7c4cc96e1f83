"""The only writers of audio/video records: resumable uploads, dock imports, gap
explanations, and the access entries of playing and downloading.

The bytes are hashed while they stream in and stored (content-addressed, written once)
before anything parses them; the database rows and their ledger entries follow in one
transaction, so a failure leaves at most an unreferenced blob, never a half-made record.
An upload's partial file, lock and running digest are in `uploads`, what a stored file
says about itself in `description`.
"""

import datetime
import logging
import os
import secrets
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from lawtrail.blobs import blob_store
from lawtrail.cases.models import Case
from lawtrail.core.errors import Conflict, InvalidInput, LawTrailError, NotFound
from lawtrail.core.files import FILE_MODE
from lawtrail.core.hooks import Hook
from lawtrail.core.policy import case_for, check_av_view, check_case_writer, check_copy
from lawtrail.core.text import clean_filename
from lawtrail.ledger.access_log import guarded
from lawtrail.ledger.services import ledger_append
from lawtrail.media.description import probe
from lawtrail.media.models import Activity, GapExplanation, GapReason, Recording, Upload, UploadStatus
from lawtrail.media.uploads import (
    CHECKSUMS, UPLOAD_TTL, TooLarge, chunk_receive, digest_at, forget_digest, locked, max_upload_bytes, part_path,
    reconcile,
)
from lawtrail.org.models import Officer
from lawtrail.regulations.deadlines import av_upload_deadline
from lawtrail.regulations.profiles import get_profile

DEFAULT_METHOD = {"video": "执法记录仪录像", "audio": "录音设备录音", "photo": "照相", "other": "电子设备记录"}
WHAT = "上传音像记录"
logger = logging.getLogger(__name__)


class Gone(LawTrailError):
    status = 410


class StorageUnavailable(LawTrailError):
    status = 503


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
        length=length, metadata={**description.as_metadata(), "filename": filename,
                                 **({"sha256": metadata["sha256"].strip().lower()} if metadata.get("sha256") else {})},
        expires_at=timezone.now() + UPLOAD_TTL)
    part_path(upload).touch(mode=FILE_MODE)
    return upload


def upload_for(actor, upload_id, settle=True) -> Upload:
    """An upload of this user that can still take bytes or be asked about; with `settle`,
    what a crash left of it put right first (`_recover`)."""
    upload = Upload.objects.filter(pk=upload_id, created_by=actor).first()
    if upload is None or upload.status == UploadStatus.TERMINATED:
        raise NotFound("上传不存在或已取消")
    if upload.status == UploadStatus.ACTIVE and upload.expires_at < timezone.now():
        raise Gone("上传已过期，请重新上传")
    if settle and upload.status == UploadStatus.ACTIVE:
        _recover(actor, upload)
    return upload


def _recover(actor, upload):
    """What a crash may have left, put right by the next request about the upload (the
    client's HEAD after a restart): fewer bytes on disk than the recorded offset, or a
    complete partial file that never became a recording. Only when no other request holds
    the upload: a writer at work settles it itself."""
    try:
        with locked(upload, wait=False):
            reconcile(upload)
            if upload.offset == upload.length:
                _complete(actor, upload, digest_at(upload, upload.offset))
    except BlockingIOError:
        pass
    except Conflict:  # completed meanwhile by another request
        upload.refresh_from_db()


def upload_append(*, actor, upload_id, offset, stream, length=None, checksum=None) -> Upload:
    """Append one chunk at `offset` (`uploads.chunk_receive`). The last chunk makes the recording."""
    # Settled under the lock the chunk takes anyway (not locked twice): `chunk_receive` finds
    # the bytes a crash lost, and a chunk that reaches the end, or an empty one there, completes.
    upload = upload_for(actor, upload_id, settle=False)
    if upload.status == UploadStatus.COMPLETED:
        raise Conflict("该文件已上传完成")
    if checksum is not None and checksum[0] not in CHECKSUMS:
        raise InvalidInput(f"不支持的校验算法：{checksum[0]}（支持 sha1、sha256）")
    with locked(upload), open(part_path(upload), "ab") as part:  # opened only once the upload is known active
        digest = chunk_receive(upload, part, offset=offset, stream=stream, length=length, checksum=checksum)
        if upload.offset == upload.length:
            _complete(actor, upload, digest)
    return upload


def _complete(actor, upload, digest):
    """All bytes are in: the partial file becomes the stored original and its recording.
    The partial file goes only after the upload is marked completed: a crash at any point
    before leaves it for `_recover` to finish the job."""
    forget_digest(upload)
    fd = os.open(part_path(upload), os.O_RDONLY)
    try:
        os.fsync(fd)  # the evidence is on disk before it becomes a recording
    finally:
        os.close(fd)
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        recording, _ = recording_ingest(actor=actor, path=part_path(upload), sha256=digest.hexdigest(),
                                        description=_description_from(upload), keep_source=True,
                                        filename=upload.metadata["filename"], source="upload",
                                        claimed_sha256=upload.metadata.get("sha256"))
    except (OSError, BotoCoreError, ClientError) as exc:
        # The bytes stay in the partial file; the next request about the upload finishes it.
        logger.warning("upload %s could not be stored: %s", upload.id, exc)
        raise StorageUnavailable("文件已完整收到并保留在服务器上，但存储服务暂时不可用（或磁盘已满）；"
                                 "请稍后重试，查询上传进度即可完成入库") from exc
    Upload.objects.filter(pk=upload.pk).update(status=UploadStatus.COMPLETED, recording=recording)
    upload.status, upload.recording = UploadStatus.COMPLETED, recording
    part_path(upload).unlink(missing_ok=True)


def upload_terminate(*, actor, upload_id):
    """Cancel an unfinished upload and drop its bytes (tus termination)."""
    upload = upload_for(actor, upload_id)
    if upload.status == UploadStatus.COMPLETED:
        raise Conflict("已完成的上传是原始记录，不能删除")
    with locked(upload):
        Upload.objects.filter(pk=upload.pk).update(status=UploadStatus.TERMINATED)
        part_path(upload).unlink(missing_ok=True)
    forget_digest(upload)


def uploads_expire(now=None):
    """Drop the partial files of uploads that expired unfinished. Returns how many."""
    expired = Upload.objects.filter(status=UploadStatus.ACTIVE, expires_at__lt=now or timezone.now())
    count = 0
    for upload in expired:
        Upload.objects.filter(pk=upload.pk).update(status=UploadStatus.TERMINATED)
        part_path(upload).unlink(missing_ok=True)
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
                     keep_source=False, claimed_sha256=None):
    """Store a file and make its recording. With `sha256` (computed while it streamed in)
    the file is taken over by the store (and left in place with `keep_source`, for the
    caller to remove once its own bookkeeping is done); without, it is copied and hashed
    on the way. Returns (recording, created): the same file twice in a case is one recording.
    `claimed_sha256`: the hash the sender computed (the browser, at capture or before the
    upload); a file that differs from it is kept as received and flagged, never passed over."""
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
    if claimed_sha256:
        found.info["client_sha256"] = claimed_sha256[:64]  # kept: it was compared
    if claimed_sha256 and claimed_sha256 != sha256:
        # In words: both hashes stay in media_info and the ledger, for 技术详情.
        found.flag("校验值不一致：服务器收到的文件与上传前在本机计算的校验值不同，文件可能在传输中损坏或被改动，请核查")
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
            claimed = [f"上传前计算的 SHA-256 {claimed_sha256[:64]}"] if recording.hash_mismatch else []
            notes = [f"SHA-256 {sha256}", *claimed] + (["逾期上传"] if recording.late else []) + (
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


# (case) -> the SHA-256 of the recordings disposed of: archive, which keeps the disposals, answers.
disposed_hashes = Hook("disposed_hashes", "lawtrail.archive")


def check_present(recording):
    """A recording whose content was disposed of at the end of its retention is gone (410)."""
    if recording.sha256 in disposed_hashes(recording.case):
        raise Gone(f"音像记录 {recording.filename} 已于保存期满后经批准销毁，仅保留其登记信息和销毁记录")


def recording_accessed(*, actor, recording, how):
    """Playing or downloading a recording is an access, and accesses are in the ledger;
    where the policy refuses it, the refusal is."""
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
