"""音像记录 pages: the case's recordings, coverage and gaps, upload, player, download and
the 文字说明 of a recording used as evidence."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from lawtrail.access.policy import CASE_WRITERS, CLOSED_STAGES, CONFIDENTIAL, case_for, hidden_items, item_level
from lawtrail.access.watermark import watermark_text
from lawtrail.core.errors import LawTrailError
from lawtrail.media import selectors, services
from lawtrail.media.api import download_response
from lawtrail.media.models import Activity, GapReason
from lawtrail.media.selectors import storage_location
from lawtrail.records.catalog import doc_type
from lawtrail.records.services import record_create
from lawtrail.regulations.profiles import get_profile
from lawtrail.supervision.selectors import device_holder_at, device_numbers, device_of
from lawtrail.web.access_views import item_confidentiality_context
from lawtrail.web.decorators import not_found_as_404
from lawtrail.web.supervision_views import DEVICE_ROLES


def media_context(request, case, everything, explanations):
    """What the case page shows of its recordings (from all of them and the gap
    explanations, loaded once for the page and its checklist), and the upload form."""
    can_upload = request.user.role in CASE_WRITERS and case.stage not in CLOSED_STAGES
    _, hidden = hidden_items(case)
    visible = [r for r in everything if r.pk not in hidden]
    devices, mine = device_numbers(request.user) if can_upload else ([], None)
    return {
        "recordings": visible,
        "coverage": selectors.coverage_of(get_profile(case.agency.profile), visible, explanations),
        "activities": Activity.choices,
        "gap_reasons": GapReason.choices,
        "can_upload": can_upload,
        "upload_officers": [a.officer for a in case.team()] if can_upload else [],
        "my_device": mine,
        "devices": devices,
    }


@login_required
@not_found_as_404
def recording_detail(request, pk, recording_id):
    case = case_for(request.user, pk)
    recording = selectors.recording_for(case, recording_id)
    token = services.recording_play(actor=request.user, recording=recording)  # opening the player is a play
    level = item_level(case, recording=recording)
    return render(request, "web/recording.html", {
        "case": case, "recording": recording, "stream_url": reverse("media_stream", args=[token]),
        "can_write": request.user.role in CASE_WRITERS and case.stage not in CLOSED_STAGES,
        "watermark": watermark_text(request.user, case, level, "调阅") if level in CONFIDENTIAL else "",
        "evidence_note_cites": doc_type("av_evidence_note").cite,
        **item_confidentiality_context(case, recording=recording, level=level),
        **device_context(recording),
        "storage_location": storage_location(recording),
        "can_see_devices": request.user.role in DEVICE_ROLES,  # no link to a page that would refuse
    })


def device_context(recording):
    """The body camera a recording names, and who had it checked out when it was made."""
    if not recording.device_no:
        return {}
    return {"device": device_of(recording),
            "device_holder": device_holder_at(recording.case.agency_id, recording.device_no,
                                              recording.started_at or recording.received_at)}


@login_required
@not_found_as_404
def recording_download(request, pk, recording_id):
    return download_response(request, selectors.recording_for(case_for(request.user, pk), recording_id))


@login_required
@require_POST
@not_found_as_404
def gap_explain_view(request, pk):
    case = case_for(request.user, pk)
    try:
        services.gap_explain(
            actor=request.user, before=selectors.recording_for(case, int(request.POST.get("before", 0))),
            after=selectors.recording_for(case, int(request.POST.get("after", 0))),
            reason_kind=request.POST.get("reason_kind", ""), reason=request.POST.get("reason", ""))
    except LawTrailError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "已记录中断说明")
    return redirect(reverse("web:case_detail", args=[pk]) + "#recordings")


@login_required
@require_POST
@not_found_as_404
def recording_explanation_view(request, pk, recording_id):
    """Start the 文字说明 of a recording used as evidence, filled in from the recording."""
    case = case_for(request.user, pk)
    recording = selectors.recording_for(case, recording_id)
    try:
        record = record_create(actor=request.user, case=case, doc_type_code="av_evidence_note",
                               data=evidence_note_data(request.user, recording))
    except LawTrailError as exc:
        messages.error(request, exc.message)
        return redirect("web:recording_detail", pk=pk, recording_id=recording_id)
    return redirect("web:record_detail", pk=pk, record_id=record.pk)


def evidence_note_data(user, recording):
    made = recording.started_at or recording.received_at
    return {
        "recording": f"{recording.filename}（{recording.get_kind_display()}，{recording.get_activity_display()}）",
        "sha256": recording.sha256,
        "storage_location": storage_location(recording),
        "maker": f"{recording.officer.name}（执法证号 {recording.officer.cert_no}）",
        "method": recording.method,
        "made_at": timezone.localtime(made).strftime("%Y-%m-%dT%H:%M"),
        "extractor": user.display_name,
        "extracted_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "proves": recording.proves or None,
    }
