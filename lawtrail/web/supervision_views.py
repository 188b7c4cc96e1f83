"""监督检查 pages: sample draws and playback checks with the check ledger and its exports,
corrective actions, and the recording-device registry with each device's history."""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from lawtrail.access.policy import redact_findings, visible_case_ids, visible_items
from lawtrail.core.errors import LawTrailError, NotFound
from lawtrail.core.text import number_or_none
from lawtrail.media.models import Recording
from lawtrail.org.enums import Role
from lawtrail.org.models import Department, Officer
from lawtrail.supervision import reports, selectors, services
from lawtrail.supervision.models import ActionKind, CorrectiveAction, Device, DeviceEventKind, DrawTarget, SampleDraw
from lawtrail.web.decorators import not_found_as_404


def _forbidden(request, message):
    return render(request, "web/forbidden.html", {"message": message}, status=403)


def _date(value, default):
    try:
        return datetime.date.fromisoformat(value) if value else default
    except ValueError:
        raise LawTrailError(f"日期格式不正确：{value}")


def _pick(model, user, pk):
    """A department or officer of the user's own agency, chosen in a form (None when blank)."""
    if not pk:
        return None
    found = model.objects.filter(pk=number_or_none(pk), agency_id=user.agency_id).first()
    if found is None:
        raise NotFound("所选部门或人员不存在")
    return found


@login_required
def supervision(request):
    if request.user.role not in services.SUPERVISORS:
        return _forbidden(request, "只有法制监督人员和负责人可以进行抽检和回放检查")
    agency_id = request.user.agency_id
    today = timezone.localdate()
    return render(request, "web/supervision.html", {
        "draws": SampleDraw.objects.filter(agency_id=agency_id).select_related("drawn_by")[:30],
        "departments": Department.objects.filter(agency_id=agency_id),
        "officers": Officer.objects.filter(department__agency_id=agency_id),
        "ledger": selectors.check_ledger(agency_id, viewer=request.user),
        "actions": selectors.restricted_actions(request.user, CorrectiveAction.objects.filter(
            agency_id=agency_id).select_related("case", "officer", "playback_check")),
        "action_kinds": ActionKind.choices,
        "default_from": (today - datetime.timedelta(days=30)).isoformat(), "default_to": today.isoformat(),
        "targets": DrawTarget.choices,
    })


@login_required
@require_POST
def draw_create(request):
    try:
        today = timezone.localdate()
        size = request.POST.get("size", "")
        draw = services.sample_draw(
            actor=request.user, period_from=_date(request.POST.get("period_from"), today),
            period_to=_date(request.POST.get("period_to"), today), size=number_or_none(size) or 0,
            department=_pick(Department, request.user, request.POST.get("department")),
            officer=_pick(Officer, request.user, request.POST.get("officer")), seed=request.POST.get("seed", ""),
            target=request.POST.get("target", "recordings"))
    except LawTrailError as exc:
        messages.error(request, exc.message)
        return redirect("web:supervision")
    count = len(draw.recording_ids or draw.case_ids)
    messages.success(request, f"已抽取 {count} 个{draw.get_target_display()}（随机种子 {draw.seed}）")
    return redirect("web:draw_detail", pk=draw.pk)


@login_required
@not_found_as_404
def draw_detail(request, pk):
    if request.user.role not in services.SUPERVISORS:
        return _forbidden(request, "只有法制监督人员和负责人可以进行回放检查")
    draw = SampleDraw.objects.filter(pk=pk, agency_id=request.user.agency_id).first()
    if draw is None:
        raise NotFound("抽检不存在")
    from lawtrail.cases.models import Case

    if draw.recording_ids:
        checks = {c.recording_id: c for c in draw.checks.all()}
        drawn = Recording.objects.filter(pk__in=draw.recording_ids).select_related("case", "officer")
        seen = set(visible_items(request.user, drawn, "recording").values_list("pk", flat=True))
        rows = [(r, r.case, checks.get(r.pk), r.pk not in seen) for r in drawn]
    else:
        checks = {c.case_id: c for c in draw.checks.all()}
        seen = visible_case_ids(request.user, draw.case_ids)
        rows = [(None, c, checks.get(c.pk), c.pk not in seen) for c in Case.objects.filter(pk__in=draw.case_ids)]
    return render(request, "web/draw.html", {
        "draw": draw, "rows": rows, "items": services.check_items(draw),
        "results": services.RESULTS.items(), "action_kinds": ActionKind.choices,
    })


@login_required
@require_POST
@not_found_as_404
def check_create(request, pk):
    from lawtrail.cases.models import Case

    draw = SampleDraw.objects.filter(pk=pk, agency_id=request.user.agency_id).first()
    if draw is None:
        raise NotFound("抽检不存在")
    recording = Recording.objects.filter(pk=number_or_none(request.POST.get("recording"))).select_related("case").first()
    case = Case.objects.filter(pk=number_or_none(request.POST.get("case")), agency_id=request.user.agency_id).first()
    try:
        check = services.playback_check(
            actor=request.user, draw=draw, recording=recording, case=case,
            results={key: request.POST.get(key, "") for key, *_ in services.check_items(draw)},
            findings=request.POST.get("findings", ""), follow_up=request.POST.get("follow_up", ""))
    except LawTrailError as exc:
        if exc.status == 404:
            raise
        messages.error(request, exc.message)
    else:
        label = recording.filename if check.recording_id else f"案卷 {check.case.case_no}"
        messages.success(request, f"已记入检查台帐：{label} {'合格' if check.passed else '不合格'}")
    return redirect("web:draw_detail", pk=draw.pk)


@login_required
@require_POST
def action_create(request):
    from lawtrail.supervision.models import PlaybackCheck

    check = PlaybackCheck.objects.filter(pk=request.POST.get("check") or 0,
                                         draw__agency_id=request.user.agency_id).first()
    try:
        deadline = _date(request.POST.get("deadline"), None)
        services.corrective_action_order(actor=request.user, kind=request.POST.get("kind", ""),
                                         description=request.POST.get("description", ""), deadline=deadline,
                                         check=check)
    except LawTrailError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "已下达整改措施")
    return redirect(request.POST.get("back") if request.POST.get("back", "").startswith("/supervision/")
                    else "web:supervision")


@login_required
@require_POST
@not_found_as_404
def action_close(request, pk):
    action = CorrectiveAction.objects.filter(pk=pk, agency_id=request.user.agency_id).first()
    if action is None:
        raise NotFound("整改措施不存在")
    try:
        services.corrective_action_close(actor=request.user, action=action, closure=request.POST.get("closure", ""))
    except LawTrailError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "整改已完成销号")
    return redirect("web:supervision")


@login_required
def ledger_export(request, fmt):
    if request.user.role not in services.SUPERVISORS:
        return _forbidden(request, "只有法制监督人员和负责人可以导出检查台帐")
    if fmt not in ("xlsx", "pdf"):
        return render(request, "web/forbidden.html", {"title": "格式不支持", "message": "只能导出 Excel 或 PDF"},
                      status=404)
    checks = selectors.check_ledger(request.user.agency_id, viewer=request.user)
    agency = request.user.agency
    name = f"{agency.short_name}检查台帐_{timezone.localdate():%Y%m%d}"
    if fmt == "xlsx":
        response = HttpResponse(reports.ledger_xlsx(agency, checks),
                                content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    else:
        response = HttpResponse(reports.ledger_pdf(agency, checks), content_type="application/pdf")
    from urllib.parse import quote

    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}.{fmt}"
    return response


DEVICE_ROLES = (Role.HEAD, Role.SUPERVISOR, Role.OFFICER)


@login_required
def devices(request):
    if request.user.role not in DEVICE_ROLES:
        return _forbidden(request, "只有执法人员、负责人和监督人员可以查看执法记录仪")
    agency_id = request.user.agency_id
    return render(request, "web/devices.html", {
        "devices": Device.objects.filter(agency_id=agency_id).select_related("department", "holder"),
        "departments": Department.objects.filter(agency_id=agency_id),
        "officers": Officer.objects.filter(department__agency_id=agency_id),
        "kinds": DeviceEventKind.choices, "can_manage": request.user.role in services.DEVICE_MANAGERS,
    })


@login_required
@require_POST
def device_create(request):
    try:
        department = _pick(Department, request.user, request.POST.get("department"))
        if department is None:
            raise LawTrailError("请选择所属部门")
        services.device_register(actor=request.user, department=department,
                                 device_no=request.POST.get("device_no", ""), model=request.POST.get("model", ""))
    except LawTrailError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "已登记执法记录仪")
    return redirect("web:devices")


@login_required
@not_found_as_404
def device_detail(request, pk):
    device = Device.objects.filter(pk=pk, agency_id=request.user.agency_id).first()
    if device is None or request.user.role not in DEVICE_ROLES:
        raise NotFound("设备不存在")
    from lawtrail.access.policy import visible_items

    recordings = (visible_items(request.user, Recording.objects.filter(device_no=device.device_no), "recording")
                  .select_related("case", "officer").order_by("-started_at")[:100])
    return render(request, "web/device.html", {
        "device": device, "events": device.events.select_related("officer", "by"),
        "recordings": [(r, selectors.device_holder_at(device.agency_id, device.device_no, r.started_at or r.received_at))
                       for r in recordings],
        "kinds": DeviceEventKind.choices, "officers": Officer.objects.filter(department__agency_id=device.agency_id),
    })


@login_required
@require_POST
@not_found_as_404
def device_event_create(request, pk):
    device = Device.objects.filter(pk=pk, agency_id=request.user.agency_id).first()
    if device is None:
        raise NotFound("设备不存在")
    ok = {"1": True, "0": False}.get(request.POST.get("ok", ""))
    try:
        officer = _pick(Officer, request.user, request.POST.get("officer"))
        event = services.device_event(actor=request.user, device=device, kind=request.POST.get("kind", ""),
                                      officer=officer, ok=ok, notes=request.POST.get("notes", ""))
    except LawTrailError as exc:
        if exc.status == 404:
            raise
        messages.error(request, exc.message)
    else:
        messages.success(request, f"已记录：{event.get_kind_display()}")
    return redirect("web:device_detail", pk=device.pk)


def _filters(request):
    from lawtrail.supervision.statistics import Filters

    today = timezone.localdate()
    return Filters(period_from=_date(request.GET.get("from"), today - datetime.timedelta(days=56)),
                   period_to=_date(request.GET.get("to"), today),
                   department=_pick(Department, request.user, request.GET.get("department")),
                   matter_type=request.GET.get("matter_type", ""), rule_id=request.GET.get("rule", ""),
                   officer=_pick(Officer, request.user, request.GET.get("officer")))


# The dashboard's tables list this many of the open violations (most severe first) and of
# the deadlines (soonest first); the counts and the charts take them all.
DASHBOARD_ROWS = 200


@login_required
@not_found_as_404
def dashboard(request):
    """实时调阅: open violations and pending deadlines across the agency, with their trend."""
    from lawtrail.cases.enums import MatterType
    from lawtrail.supervision.statistics import RULE_TITLES, SEVERITY_LABELS, chart
    from lawtrail.supervision.statistics import dashboard as figures_for

    if request.user.role not in services.SUPERVISORS:
        return _forbidden(request, "只有法制监督人员和负责人可以查看监督看板")
    try:
        filters = _filters(request)
    except LawTrailError as exc:
        messages.error(request, exc.message)
        return redirect("web:dashboard")
    figures = figures_for(request.user, filters)
    redact_findings(request.user, figures.violations[:DASHBOARD_ROWS] + figures.pending[:DASHBOARD_ROWS])
    return render(request, "web/dashboard.html", {
        "rows_shown": DASHBOARD_ROWS,
        "filters": filters, "figures": figures, "chart": chart(figures.weeks), "query": request.GET.urlencode(),
        "departments": Department.objects.filter(agency_id=request.user.agency_id),
        "officers": Officer.objects.filter(agency_id=request.user.agency_id),
        "matter_types": MatterType.choices, "rules": sorted(RULE_TITLES.items()), "rule_titles": RULE_TITLES,
        "severity_labels": SEVERITY_LABELS,
    })


@login_required
@not_found_as_404
def report_export(request, fmt):
    from urllib.parse import quote

    from lawtrail.supervision.statistics import report, report_pdf, report_xlsx

    if request.user.role not in services.SUPERVISORS:
        return _forbidden(request, "只有法制监督人员和负责人可以导出统计报表")
    if fmt not in ("xlsx", "pdf"):
        raise NotFound("只能导出 Excel 或 PDF")
    filters = _filters(request)
    figures = report(request.user, filters)
    agency = request.user.agency
    if fmt == "xlsx":
        response = HttpResponse(report_xlsx(agency, filters, figures),
                                content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    else:
        response = HttpResponse(report_pdf(agency, filters, figures), content_type="application/pdf")
    name = f"{agency.short_name}统计报表_{filters.period_from:%Y%m%d}-{filters.period_to:%Y%m%d}.{fmt}"
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}"
    return response
