"""调阅许可: ask for a grant on a case (by its number), see one's requests, and for heads
decide the requests of their agency with a time limit."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from lawtrail.access import selectors, services
from lawtrail.access.models import GrantKind
from lawtrail.core.text import number_or_none
from lawtrail.org.enums import Role
from lawtrail.web.decorators import attempt, not_found_as_404


@login_required
def grants(request):
    return render(request, "web/grants.html", {
        "mine": selectors.my_grants(request.user)[:50],
        "to_decide": selectors.grants_to_decide(request.user) if request.user.role == Role.HEAD else [],
        "kinds": GrantKind.choices,
        "initial": {"case_no": request.GET.get("case_no", ""), "kind": request.GET.get("kind", "")},
    })


@login_required
@require_POST
def grant_request_view(request):
    attempt(request, lambda: services.grant_request(
        actor=request.user, case=selectors.case_by_number(request.user, request.POST.get("case_no")),
        kind=request.POST.get("kind", ""), reason=request.POST.get("reason", "")),
        lambda grant: f"已提交{grant.get_kind_display()}申请（{grant.case.case_no}），待负责人审批")
    return redirect("web:grants")


@login_required
@require_POST
@not_found_as_404
def grant_decide_view(request, grant_id):
    grant = selectors.grant_for(request.user, grant_id)
    attempt(request, lambda: services.grant_decide(
        actor=request.user, grant=grant, approve=request.POST.get("approve") == "1",
        reason=request.POST.get("reason", ""), days=number_or_none(request.POST.get("days", "7")) or 0),
        lambda _: f"已审批：{grant.get_status_display()}"
                  + (f"，有效期至 {grant.expires_at:%Y-%m-%d %H:%M}" if grant.expires_at else ""))
    return redirect("web:grants")


def item_confidentiality_context(case, *, record=None, recording=None, level=None):
    """What a record or recording page shows of its level (`level`, when already known),
    and the form to raise it."""
    from lawtrail.access.policy import CONFIDENTIAL, item_level
    from lawtrail.cases.enums import Confidentiality

    return {
        "item_level": Confidentiality(level or item_level(case, record=record, recording=recording)).label,
        "item_noun": "文书" if record else "音像记录", "item_field": "record" if record else "recording",
        "item_id": (record or recording).pk,
        "confidential_levels": [(v, label) for v, label in Confidentiality.choices if v in CONFIDENTIAL],
    }


@login_required
@require_POST
@not_found_as_404
def item_confidentiality_view(request, pk):
    from lawtrail.access.policy import case_for
    from lawtrail.cases.enums import Confidentiality
    from lawtrail.media.selectors import recording_for
    from lawtrail.records.selectors import record_for

    case = case_for(request.user, pk)
    record_id, recording_id = number_or_none(request.POST.get("record")), number_or_none(request.POST.get("recording"))
    record = record_for(case, record_id) if record_id else None
    recording = recording_for(case, recording_id) if recording_id else None
    attempt(request, lambda: services.item_confidentiality_set(
        actor=request.user, case=case, level=request.POST.get("level", ""), reason=request.POST.get("reason", ""),
        record=record, recording=recording),
        lambda mark: f"已设定密级：{Confidentiality(mark.level).label}", not_found_is_404=True)
    if recording is not None:
        return redirect("web:recording_detail", pk=case.pk, recording_id=recording.pk)
    if record is not None:
        return redirect("web:record_detail", pk=case.pk, record_id=record.pk)
    return redirect("web:case_detail", pk=case.pk)
