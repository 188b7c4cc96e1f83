"""Recordings through the REST API: list, read, coverage and gaps, play, download.
Uploads themselves speak tus at /api/uploads/ (lawtrail.media.tus)."""

from datetime import datetime

from django.http import HttpResponse
from django.urls import reverse
from ninja import Router, Schema, Status

from lawtrail.access.policy import case_for, visible_items
from lawtrail.blobs.responses import blob_download, ranged_blob
from lawtrail.core.errors import NotFound
from lawtrail.media import selectors, services
from lawtrail.media.models import Recording
from lawtrail.media.tus import request_user

router = Router(tags=["音像记录"])


class RecordingOut(Schema):
    id: int
    filename: str
    kind: str
    content_type: str
    sha256: str
    size: int
    activity: str
    activity_label: str
    officer: str
    officer_cert: str
    device_no: str
    method: str
    proves: str
    started_at: datetime | None
    ended_at: datetime | None
    device_time: datetime | None
    received_at: datetime
    receipt_gap_seconds: int | None
    duration: float | None
    media_info: dict
    flagged: bool
    flag_reason: str
    upload_due: datetime
    upload_due_basis: str
    late: bool
    source: str

    @staticmethod
    def resolve_activity_label(obj):
        return obj.get_activity_display()

    @staticmethod
    def resolve_officer(obj):
        return obj.officer.name

    @staticmethod
    def resolve_officer_cert(obj):
        return obj.officer.cert_no

    @staticmethod
    def resolve_receipt_gap_seconds(obj):
        return None if obj.receipt_gap is None else int(obj.receipt_gap.total_seconds())


class GapOut(Schema):
    before_id: int
    after_id: int
    seconds: int
    required: bool
    explained: bool
    message: str


class CoverageOut(Schema):
    activity: str
    label: str
    required: bool
    cite: str
    recordings: list[int]
    gaps: list[GapOut]


class GapIn(Schema):
    before_id: int
    after_id: int
    reason_kind: str
    reason: str


class PlayOut(Schema):
    url: str
    expires_in_seconds: int


@router.get("/cases/{case_id}/recordings", response=list[RecordingOut], summary="案件的音像记录")
def list_recordings(request, case_id: int):
    return selectors.case_recordings(case_for(request.user, case_id))


@router.get("/cases/{case_id}/recordings/{recording_id}", response=RecordingOut, summary="音像记录详情")
def get_recording(request, case_id: int, recording_id: int):
    return selectors.recording_for(case_for(request.user, case_id), recording_id)


@router.get("/cases/{case_id}/coverage", response=list[CoverageOut], summary="各执法环节的录像覆盖与中断")
def coverage(request, case_id: int):
    return [{"activity": c.activity, "label": c.label, "required": c.required, "cite": c.cite,
             "recordings": [r.pk for r in c.segments + c.untimed],
             "gaps": [{"before_id": g.before.pk, "after_id": g.after.pk, "seconds": int(g.length.total_seconds()),
                       "required": g.required, "explained": g.explanation is not None, "message": g.message()}
                      for g in c.gaps]}
            for c in selectors.case_coverage(case_for(request.user, case_id))]


@router.post("/cases/{case_id}/gaps", response={201: dict}, summary="说明录像中断原因")
def explain_gap(request, case_id: int, payload: GapIn):
    case = case_for(request.user, case_id)
    explanation = services.gap_explain(
        actor=request.user, before=selectors.recording_for(case, payload.before_id),
        after=selectors.recording_for(case, payload.after_id), reason_kind=payload.reason_kind,
        reason=payload.reason)
    return Status(201, {"id": explanation.pk})


@router.post("/cases/{case_id}/recordings/{recording_id}/play", response=PlayOut, summary="播放（记录调阅）")
def play(request, case_id: int, recording_id: int):
    recording = selectors.recording_for(case_for(request.user, case_id), recording_id)
    token = services.recording_play(actor=request.user, recording=recording)
    return {"url": request.build_absolute_uri(reverse("media_stream", args=[token])),
            "expires_in_seconds": int(services.PLAY_TTL.total_seconds())}


@router.get("/cases/{case_id}/recordings/{recording_id}/download", summary="下载原始文件（记录调阅）")
def download(request, case_id: int, recording_id: int):
    return download_response(request, selectors.recording_for(case_for(request.user, case_id), recording_id))


def download_response(request, recording):
    services.recording_accessed(actor=request.user, recording=recording, how="download")
    return blob_download(recording.sha256, recording.filename, recording.content_type)


def stream(request, token):
    """Byte ranges of a recording for the player of the user a play token was given to
    (session or Bearer token). The play itself was logged when the token was given."""
    user = request_user(request)
    if user is None:
        return HttpResponse("请先登录", status=401, content_type="text/plain; charset=utf-8")
    try:
        recording_id = services.played_recording_id(user, token)
        # Asked again on every range: a mark, a grant's expiry or a change of team since the
        # token was given ends the playback at once.
        recording = visible_items(user, Recording.objects.filter(pk=recording_id), "recording").first()
        if recording is None:
            raise NotFound("音像记录不存在或您无权查看")
    except NotFound as exc:
        return HttpResponse(exc.message, status=404, content_type="text/plain; charset=utf-8")
    return ranged_blob(request, recording.sha256, recording.content_type, recording.filename)
