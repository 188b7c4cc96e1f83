"""监督检查 pages: sample draws and playback checks with the check ledger and its exports,
corrective actions, and the recording-device registry with each device's history."""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from lawtrail.access.policy import redact_findings
from lawtrail.blobs.responses import bytes_download
from lawtrail.core.errors import LawTrailError, NotFound
from lawtrail.core.text import number_or_none
from lawtrail.org.enums import Role
from lawtrail.org.selectors import department_for, departments_of, officer_for, officers_of
from lawtrail.supervision import reports, selectors, services
from lawtrail.supervision.models import ActionKind, DeviceEventKind, DrawTarget
from lawtrail.web.decorators import attempt, not_found_as_404


EXPORT_TYPES = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "pdf": "application/pdf"}


def _forbidden(request, message):
    return render(request, "web/forbidden.html", {"message": message}, status=403)


def _date(value, default):
    try:
        return datetime.date.fromisoformat(value) if value else default
    except ValueError:
        raise LawTrailError(f"日期格式不正确：{value}")


def _pick(lookup, user, pk):
    """A department or officer of the user's own agency chosen in a form (None when blank)."""
    return lookup(user, pk) if pk else None


@login_required
def supervision(request):
    if request.user.role not in services.SUPERVISORS:
        return _forbidden(request, "只有法制监督人员和负责人可以进行抽检和回放检查")
    user = request.user
    today = timezone.localdate()
    return render(request, "web/supervision.html", {
        "draws": selectors.draws_of(user).select_related("drawn_by")[:30],
        "departments": departments_of(user),
        "officers": officers_of(user),
        "ledger": selectors.check_ledger(user.agency_id, viewer=user),
        "actions": selectors.restricted_actions(user, selectors.actions_of(user).select_related(
            "case", "officer", "playback_check")),
        "action_kinds": ActionKind.choices,
        "default_from": (today - datetime.timedelta(days=30)).isoformat(), "default_to": today.isoformat(),
        "targets": DrawTarget.choices,
    })


@login_required
@require_POST
def draw_create(request):
    today, form = timezone.localdate(), request.POST
    draw = attempt(request, lambda: services.sample_draw(
        actor=request.user, period_from=_date(form.get("period_from"), today),
        period_to=_date(form.get("period_to"), today), size=number_or_none(form.get("size", "")) or 0,
        department=_pick(department_for, request.user, form.get("department")),
        officer=_pick(officer_for, request.user, form.get("officer")), seed=form.get("seed", ""),
        target=form.get("target", "recordings")),
        lambda d: f"已抽取 {len(d.recording_ids or d.case_ids)} 个{d.get_target_display()}（随机种子 {d.seed}）")
    return redirect("web:draw_detail", pk=draw.pk) if draw else redirect("web:supervision")


@login_required
@not_found_as_404
def draw_detail(request, pk):
    if request.user.role not in services.SUPERVISORS:
        return _forbidden(request, "只有法制监督人员和负责人可以进行回放检查")
    draw = selectors.draw_for(request.user, pk)
    return render(request, "web/draw.html", {
        "draw": draw, "rows": selectors.drawn_rows(request.user, draw), "items": services.check_items(draw),
        "results": services.RESULTS.items(), "action_kinds": ActionKind.choices,
    })


@login_required
@require_POST
@not_found_as_404
def check_create(request, pk):
    draw = selectors.draw_for(request.user, pk)
    recording, case = selectors.drawn_item(request.user, draw, request.POST.get("recording"), request.POST.get("case"))
    attempt(request, lambda: services.playback_check(
        actor=request.user, draw=draw, recording=recording, case=case,
        results={key: request.POST.get(key, "") for key, *_ in services.check_items(draw)},
        findings=request.POST.get("findings", ""), follow_up=request.POST.get("follow_up", "")),
        lambda check: f"已记入检查台帐：{check.recording.filename if check.recording_id else f'案卷 {check.case.case_no}'}"
                      f" {'合格' if check.passed else '不合格'}", not_found_is_404=True)
    return redirect("web:draw_detail", pk=draw.pk)


@login_required
@require_POST
def action_create(request):
    check = selectors.check_for(request.user, request.POST.get("check"))
    attempt(request, lambda: services.corrective_action_order(
        actor=request.user, kind=request.POST.get("kind", ""), description=request.POST.get("description", ""),
        deadline=_date(request.POST.get("deadline"), None), check=check), "已下达整改措施")
    return redirect(request.POST.get("back") if request.POST.get("back", "").startswith("/supervision/")
                    else "web:supervision")


@login_required
@require_POST
@not_found_as_404
def action_close(request, pk):
    action = selectors.action_for(request.user, pk)
    attempt(request, lambda: services.corrective_action_close(
        actor=request.user, action=action, closure=request.POST.get("closure", "")), "整改已完成销号")
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
    name = f"{agency.short_name}检查台帐_{timezone.localdate():%Y%m%d}.{fmt}"
    content = reports.ledger_xlsx(agency, checks) if fmt == "xlsx" else reports.ledger_pdf(agency, checks)
    return bytes_download(content, name, EXPORT_TYPES[fmt])


DEVICE_ROLES = (Role.HEAD, Role.SUPERVISOR, Role.OFFICER)


@login_required
def devices(request):
    if request.user.role not in DEVICE_ROLES:
        return _forbidden(request, "只有执法人员、负责人和监督人员可以查看执法记录仪")
    user = request.user
    return render(request, "web/devices.html", {
        "devices": selectors.devices_of(user).select_related("department", "holder"),
        "departments": departments_of(user),
        "officers": officers_of(user),
        "kinds": DeviceEventKind.choices, "can_manage": request.user.role in services.DEVICE_MANAGERS,
    })


@login_required
@require_POST
def device_create(request):
    def register():
        department = _pick(department_for, request.user, request.POST.get("department"))
        if department is None:
            raise LawTrailError("请选择所属部门")
        return services.device_register(actor=request.user, department=department,
                                        device_no=request.POST.get("device_no", ""),
                                        model=request.POST.get("model", ""))

    attempt(request, register, "已登记执法记录仪")
    return redirect("web:devices")


@login_required
@not_found_as_404
def device_detail(request, pk):
    if request.user.role not in DEVICE_ROLES:
        raise NotFound("设备不存在")
    device = selectors.device_for(request.user, pk)
    return render(request, "web/device.html", {
        "device": device, "events": device.events.select_related("officer", "by"),
        "recordings": selectors.device_recordings(request.user, device),
        "kinds": DeviceEventKind.choices, "officers": officers_of(request.user),
    })


@login_required
@require_POST
@not_found_as_404
def device_event_create(request, pk):
    device = selectors.device_for(request.user, pk)
    ok = {"1": True, "0": False}.get(request.POST.get("ok", ""))
    attempt(request, lambda: services.device_event(
        actor=request.user, device=device, kind=request.POST.get("kind", ""),
        officer=_pick(officer_for, request.user, request.POST.get("officer")), ok=ok,
        notes=request.POST.get("notes", "")),
        lambda event: f"已记录：{event.get_kind_display()}", not_found_is_404=True)
    return redirect("web:device_detail", pk=device.pk)


def _filters(request):
    from lawtrail.supervision.statistics import Filters

    today = timezone.localdate()
    return Filters(period_from=_date(request.GET.get("from"), today - datetime.timedelta(days=56)),
                   period_to=_date(request.GET.get("to"), today),
                   department=_pick(department_for, request.user, request.GET.get("department")),
                   matter_type=request.GET.get("matter_type", ""), rule_id=request.GET.get("rule", ""),
                   officer=_pick(officer_for, request.user, request.GET.get("officer")))


# The dashboard's tables list this many of the open violations (most severe first) and of
# the deadlines (soonest first); the counts and the charts take them all.
DASHBOARD_ROWS = 200


@login_required
@not_found_as_404
def dashboard(request):
    """实时调阅: open violations and pending deadlines across the agency, with their trend."""
    from lawtrail.cases.enums import MatterType
    from lawtrail.rules.base import SEVERITY_LABELS, rule_titles
    from lawtrail.supervision.statistics import chart
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
        "departments": departments_of(request.user),
        "officers": officers_of(request.user),
        "matter_types": MatterType.choices, "rules": sorted(rule_titles().items()),
        "severity_labels": SEVERITY_LABELS,
    })


@login_required
@not_found_as_404
def report_export(request, fmt):
    from lawtrail.supervision.statistics import report, report_pdf, report_xlsx

    if request.user.role not in services.SUPERVISORS:
        return _forbidden(request, "只有法制监督人员和负责人可以导出统计报表")
    if fmt not in ("xlsx", "pdf"):
        raise NotFound("只能导出 Excel 或 PDF")
    filters = _filters(request)
    figures = report(request.user, filters)
    agency = request.user.agency
    content = report_xlsx(agency, filters, figures) if fmt == "xlsx" else report_pdf(agency, filters, figures)
    name = f"{agency.short_name}统计报表_{filters.period_from:%Y%m%d}-{filters.period_to:%Y%m%d}.{fmt}"
    return bytes_download(content, name, EXPORT_TYPES[fmt])
