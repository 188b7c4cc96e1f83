"""归档与保存 pages: a case's file, retention, holds, disposal and provision; and the
archive worklist (cases to file, expired items, requests waiting for the head)."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from lawtrail.access.policy import agency_cases, case_for, visible_case_ids, visible_cases
from lawtrail.access.models import PartyRequestKind, PartyRequestStatus, RequesterRole
from lawtrail.access.selectors import party_request_for
from lawtrail.access.services import PARTY_REQUEST_HANDLERS, party_request_decide, party_request_register
from lawtrail.archive import downloads, selectors, services
from lawtrail.archive.expiry import expiries_fill_in, possibly_expired
from lawtrail.archive.retention import DISPOSABLE_STAGES
from lawtrail.archive.models import Circumstance, DecisionStatus, HoldKind, ProvisionPurpose
from lawtrail.cases.enums import IdType, Stage
from lawtrail.cases.selectors import case_party, shown_and_total
from lawtrail.core.errors import LawTrailError, NotFound
from lawtrail.core.text import number_or_none
from lawtrail.media.selectors import case_recordings
from lawtrail.org.enums import Role
from lawtrail.rules.engine import evaluate, evaluate_rule
from lawtrail.web.decorators import attempt, not_found_as_404


@login_required
@not_found_as_404
def case_archive(request, pk):
    case = case_for(request.user, pk)
    case_file = selectors.latest_case_file(case)
    role = request.user.role
    return render(request, "web/case_archive.html", {
        "case": case,
        "case_file": case_file,
        "case_file_problem": selectors.case_file_problem(case) if case.stage == Stage.ARCHIVING else None,
        "can_assemble": role == Role.ARCHIVIST and case.stage == Stage.ARCHIVING,
        "rows": selectors.retention_rows(case),
        "holds": selectors.case_holds(case),
        "can_hold": role in services.HOLD_SETTERS,
        "can_request_disposal": role == Role.ARCHIVIST,
        "disposals": selectors.case_disposals(case),
        "provisions": selectors.case_provisions(case),
        "can_export": _may_export(request.user, case),
        "can_request_provision": role in services.PROVISION_REQUESTERS,
        "can_deliver": role in services.PROVISION_DELIVERERS,
        "circumstances": Circumstance.choices,
        "hold_kinds": HoldKind.choices,
        "purposes": ProvisionPurpose.choices,
        "recordings": case_recordings(case),
        "party_requests": case.party_requests.select_related("party", "registered_by", "decided_by"),
        "can_handle_party_requests": role in PARTY_REQUEST_HANDLERS,
        "parties": case.parties.all(),
        "requester_roles": RequesterRole.choices, "request_kinds": PartyRequestKind.choices,
        "request_decisions": [c for c in PartyRequestStatus.choices if c[0] != PartyRequestStatus.PENDING],
        "id_types": IdType.choices,
        "archive_finding": next((f for f in evaluate(case) if f.rule.id == "archive.deadline"), None),
    })


def _may_export(user, case):
    try:
        services.check_exporter(user, case)
    except LawTrailError:
        return False
    return True


def _assemble(request, case):
    case_file = services.casefile_assemble(actor=request.user, case=case, notes=request.POST.get("notes", ""))
    return f"已组卷（第 {case_file.version} 版，共 {case_file.page_count} 页）"


def _hold(request, case):
    hold = services.hold_place(actor=request.user, case=case, kind=request.POST.get("kind", ""),
                               reason=request.POST.get("reason", ""))
    return f"已设置{hold.get_kind_display()}保全，期间本案记录暂停到期"


def _release(request, case):
    hold = selectors.hold_for(case, request.POST.get("hold"))
    services.hold_release(actor=request.user, hold=hold, reason=request.POST.get("reason", ""))
    return "已解除保全"


def _mark(request, case):
    from lawtrail.media.selectors import recording_for

    recording_id = number_or_none(request.POST.get("recording"))
    recording = recording_for(case, recording_id) if recording_id else None
    mark = services.retention_mark(actor=request.user, case=case, circumstance=request.POST.get("circumstance", ""),
                                   reason=request.POST.get("reason", ""), recording=recording)
    return f"已登记保存情形：{mark.get_circumstance_display()}"


def _dispose(request, case):
    from lawtrail.media.selectors import recording_for

    request_ = services.disposal_request(
        actor=request.user, case=case, reason=request.POST.get("reason", ""),
        recording=recording_for(case, number_or_none(request.POST.get("recording"))))
    return f"已提交销毁申请：{request_.item_label}，待负责人审批"


def _provide(request, case):
    provision = services.provision_request(actor=request.user, case=case, purpose=request.POST.get("purpose", ""),
                                           recipient=request.POST.get("recipient", ""),
                                           reason=request.POST.get("reason", ""))
    return f"已登记对外提供申请（{provision.get_status_display()}）"


def _provision_decide(request, case):
    provision = selectors.provision_for(case, request.POST.get("provision"))
    services.provision_decide(actor=request.user, provision=provision, approve=request.POST.get("approve") == "1",
                              reason=request.POST.get("reason", ""))
    return f"已审批：{provision.get_status_display()}"


def _deliver(request, case):
    provision = selectors.provision_for(case, request.POST.get("provision"))
    provision = services.provision_deliver(actor=request.user, provision=provision,
                                           received_by=request.POST.get("received_by", ""), request=request)
    return f"已提供证据包并留存副本（SHA-256 {provision.package_sha256[:16]}…）"


def _party_request(request, case):
    party = case_party(case, request.POST.get("party"))
    created = party_request_register(
        actor=request.user, case=case, party=party, requester_role=request.POST.get("requester_role", ""),
        requester_name=request.POST.get("requester_name", ""), requester_id_type=request.POST.get("id_type", ""),
        requester_id_number=request.POST.get("id_number", ""), kind=request.POST.get("kind", ""),
        items=request.POST.get("items", ""), authorization=request.POST.get("authorization", ""))
    return f"已登记 {created.requester_name} 的{created.get_kind_display()}申请（{created.identity_check}）"


def _party_request_decide(request, case):
    decided = party_request_decide(actor=request.user, request=party_request_for(case, request.POST.get("request")),
                                   status=request.POST.get("status", ""), reason=request.POST.get("reason", ""),
                                   provided=request.POST.get("provided", ""))
    return f"已决定：{decided.get_status_display()}（依据 {decided.legal_basis}）"


ACTIONS = {"party_request": _party_request, "party_request_decide": _party_request_decide, "assemble": _assemble, "hold": _hold, "release": _release, "mark": _mark, "dispose": _dispose,
           "provide": _provide, "provision_decide": _provision_decide, "deliver": _deliver}


@login_required
@require_POST
@not_found_as_404
def case_archive_action(request, pk, action):
    case = case_for(request.user, pk)
    handler = ACTIONS.get(action)
    if handler is None:
        raise NotFound("没有这项操作")
    attempt(request, lambda: handler(request, case), lambda message: message, not_found_is_404=True)
    return redirect("web:case_archive", pk=case.pk)


@login_required
@not_found_as_404
def case_file_pdf(request, pk):
    return downloads.case_file_response(request, case_for(request.user, pk))


@login_required
@not_found_as_404
def package_download(request, pk):
    case = case_for(request.user, pk)
    try:
        return downloads.package_response(request, case)
    except LawTrailError as exc:
        if exc.status != 403:
            raise
        return render(request, "web/forbidden.html", {"message": exc.message}, status=exc.status)


@login_required
@not_found_as_404
def provision_copy(request, pk, provision_id):
    case = case_for(request.user, pk)
    return downloads.provided_copy_response(request, selectors.provision_for(case, provision_id, "对外提供记录"))


ARCHIVE_ROLES = (Role.ARCHIVIST, Role.HEAD, Role.SUPERVISOR)
WAITING_SHOWN = 100  # the worklist lists the cases longest waiting; the heading gives how many in all


@login_required
def archive_home(request):
    """The archive worklist: cases waiting to be filed, expired items, requests to decide."""
    if request.user.role not in ARCHIVE_ROLES:
        return render(request, "web/forbidden.html", {"message": "只有档案管理员、负责人和监督人员可以进入档案管理"},
                      status=403)
    cases = visible_cases(request.user)
    # Every case waiting counts and is listed: one the user may not see (a confidential case)
    # as a restricted row with its 案号, stage and deadline, and a way to ask for a grant.
    waiting_cases = selectors.with_latest_case_file(agency_cases(request.user).filter(stage=Stage.ARCHIVING)
                                                    ).select_related("agency").order_by("ended_at", "id")
    shown, waiting_count = shown_and_total(waiting_cases, WAITING_SHOWN)
    seen = visible_case_ids(request.user, [case.pk for case in shown])
    waiting = [(case, evaluate_rule(case, "archive.deadline"), case.pk not in seen) for case in shown]
    expired = []
    if request.user.role == Role.ARCHIVIST:
        # Only recordings are disposed of one by one, and only those whose stored expiry date
        # has passed need their case's retention worked out again, live.
        finished = cases.filter(stage__in=DISPOSABLE_STAGES)
        expiries_fill_in(finished)
        for case in possibly_expired(finished, timezone.localdate()).select_related("agency").order_by("id"):
            expired += [(case, row) for row in selectors.retention_rows(case)
                        if row["retention"].expired() and not row["disposed"] and not row["requested"]
                        and row["kind"] != "文书"]
    return render(request, "web/archive.html", {
        "waiting": waiting,
        "waiting_count": waiting_count,
        "expired": expired,
        "disposals": selectors.pending_disposals(request.user),
        "provisions": selectors.open_provisions(request.user),
        "can_decide": request.user.role == Role.HEAD,
    })


@login_required
@require_POST
@not_found_as_404
def disposal_decide_view(request, request_id):
    disposal = selectors.disposal_for(request.user, request_id)
    attempt(request, lambda: services.disposal_decide(actor=request.user, request=disposal,
                                                      approve=request.POST.get("approve") == "1",
                                                      reason=request.POST.get("reason", "")),
            lambda decided: f"{decided.item_label}：{decided.get_status_display()}"
                            + ("，内容已销毁，销毁记录已留存" if decided.status == DecisionStatus.APPROVED else ""))
    return redirect("web:archive")
