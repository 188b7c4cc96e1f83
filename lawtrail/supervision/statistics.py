"""The supervisor's figures: open violations and pending deadlines by severity, department
and officer; violations appearing and cured week by week; and the period report (cases by
stage and type, records and recordings, upload and archiving timeliness, recording
coverage of mandatory activities, sampling results). The same numbers feed the dashboard,
its chart and the Excel/PDF report."""

import datetime
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.utils import timezone

from lawtrail.access.policy import visible_cases
from lawtrail.cases.enums import MatterType, OfficerRole, Stage
from lawtrail.cases.models import CaseOfficer
from lawtrail.media.models import Recording
from lawtrail.records.models import Record, RecordStatus
from lawtrail.rules.engine import RULES
from lawtrail.rules.models import Finding
from lawtrail.rules.selectors import SEVERITY_ORDER
from lawtrail.supervision.models import PlaybackCheck

SEVERITY_LABELS = {"high": "严重", "medium": "一般", "low": "轻微"}
RULE_TITLES = {r.id: r.title for r in RULES}


@dataclass
class Filters:
    period_from: datetime.date
    period_to: datetime.date
    department: object = None
    matter_type: str = ""
    rule_id: str = ""
    officer: object = None  # a handling officer: the cases they handle


@dataclass
class Dashboard:
    violations: list = field(default_factory=list)
    pending: list = field(default_factory=list)
    by_severity: list = field(default_factory=list)
    by_department: list = field(default_factory=list)
    by_officer: list = field(default_factory=list)
    weeks: list = field(default_factory=list)  # (monday, appeared, cured)


def _cases(user, filters):
    cases = visible_cases(user).select_related("department")
    if filters.department is not None:
        cases = cases.filter(department=filters.department)
    if filters.matter_type:
        cases = cases.filter(matter_type=filters.matter_type)
    if filters.officer is not None:
        cases = cases.filter(pk__in=CaseOfficer.objects.filter(officer=filters.officer).values("case_id"))
    return cases


def _lead_officers(case_ids):
    return dict(CaseOfficer.objects.filter(case_id__in=case_ids, role=OfficerRole.LEAD)
                .values_list("case_id", "officer__name"))


def dashboard(user, filters) -> Dashboard:
    cases = _cases(user, filters)
    history = Finding.objects.filter(case__in=cases).select_related("case__department").order_by("evaluated_at", "id")
    if filters.rule_id:
        history = history.filter(rule_id=filters.rule_id)
    latest, previous_status = {}, {}
    appeared, cured = Counter(), Counter()
    start = filters.period_from - datetime.timedelta(days=filters.period_from.weekday())
    for finding in history:
        key = (finding.case_id, finding.rule_id)
        before = previous_status.get(key)
        day = timezone.localdate(finding.evaluated_at)
        week = day - datetime.timedelta(days=day.weekday())
        if filters.period_from <= day <= filters.period_to:
            if finding.status == "violated" and before != "violated":
                appeared[week] += 1
            elif before == "violated" and finding.status != "violated":
                cured[week] += 1
        previous_status[key] = finding.status
        latest[key] = finding
    result = Dashboard()
    current = list(latest.values())
    result.violations = sorted((f for f in current if f.status == "violated"),
                               key=lambda f: (SEVERITY_ORDER.get(f.severity, 9), f.evaluated_at))
    result.pending = sorted((f for f in current if f.status == "pending" and f.due), key=lambda f: f.due)
    leads = _lead_officers({f.case_id for f in result.violations})
    result.by_severity = [(SEVERITY_LABELS.get(s, s), n) for s, n in sorted(
        Counter(f.severity for f in result.violations).items(), key=lambda x: SEVERITY_ORDER.get(x[0], 9))]
    result.by_department = Counter(f.case.department.name for f in result.violations).most_common()
    result.by_officer = Counter(leads.get(f.case_id, "（未指定）") for f in result.violations).most_common()
    week = start
    while week <= filters.period_to:
        result.weeks.append((week, appeared[week], cured[week]))
        week += datetime.timedelta(days=7)
    return result


def chart(weeks, width=640, height=180):
    """Bars for violations appearing and cured per week, as SVG geometry for the template."""
    top = max([1] + [max(a, c) for _, a, c in weeks])
    slot = width / max(1, len(weeks))
    bar = max(2.0, slot / 3)
    bars = []
    for i, (monday, appeared, cured) in enumerate(weeks):
        x = i * slot + slot / 2 - bar
        for offset, value, kind in ((0, appeared, "appeared"), (bar, cured, "cured")):
            h = (height - 20) * value / top
            bars.append({"x": round(x + offset, 1), "y": round(height - 20 - h, 1), "w": round(bar, 1),
                         "h": round(h, 1), "kind": kind, "value": value, "label": f"{monday:%m-%d}"})
    labels = [{"x": round(i * slot + slot / 2, 1), "text": f"{m:%m-%d}"} for i, (m, _, _) in enumerate(weeks)]
    return {"width": width, "height": height, "bars": bars, "labels": labels, "top": top}


def _ratio(good, total):
    return None if total == 0 else round(100 * good / total, 1)


def report(user, filters):
    """The period report's figures: for the cases opened in the period, by department."""
    cases = _cases(user, filters).filter(created_at__date__gte=filters.period_from,
                                         created_at__date__lte=filters.period_to)
    ids = list(cases.values_list("pk", flat=True))
    recordings = Recording.objects.filter(case_id__in=ids)
    late = sum(1 for r in recordings.only("received_at", "upload_due") if r.late)
    latest = {}
    for finding in Finding.objects.filter(case_id__in=ids).order_by("evaluated_at", "id"):
        latest[(finding.case_id, finding.rule_id)] = finding
    statuses = defaultdict(Counter)
    for (case_id, rule_id), finding in latest.items():
        statuses[rule_id][finding.status] += 1
    checks = PlaybackCheck.objects.filter(case_id__in=ids)
    by_department = defaultdict(Counter)
    for case in cases:
        by_department[case.department.name][case.stage] += 1
    return {
        "cases": len(ids),
        "by_stage": [(Stage(s).label, n) for s, n in sorted(Counter(cases.values_list("stage", flat=True)).items(),
                                                           key=lambda x: [st.value for st in Stage].index(x[0]))],
        "by_type": [(MatterType(t).label, n) for t, n in Counter(cases.values_list("matter_type", flat=True)).most_common()],
        "by_department": [(name, sum(c.values())) for name, c in sorted(by_department.items())],
        "records": Record.objects.filter(case_id__in=ids, status=RecordStatus.FINAL).count(),
        "recordings": recordings.count(),
        "late_uploads": late,
        "upload_on_time_pct": _ratio(recordings.count() - late, recordings.count()),
        "av_coverage_pct": _ratio(statuses["av.mandatory"]["satisfied"],
                                  statuses["av.mandatory"]["satisfied"] + statuses["av.mandatory"]["violated"]),
        "archive_on_time_pct": _ratio(statuses["archive.deadline"]["satisfied"],
                                      statuses["archive.deadline"]["satisfied"] + statuses["archive.deadline"]["violated"]),
        "violations_open": sum(s["violated"] for s in statuses.values()),
        "violations_cured": _cured(ids),
        "checks": checks.count(),
        "checks_passed": checks.filter(passed=True).count(),
    }


def _cured(case_ids):
    before, cured = {}, 0
    for finding in Finding.objects.filter(case_id__in=case_ids).order_by("evaluated_at", "id"):
        key = (finding.case_id, finding.rule_id)
        if before.get(key) == "violated" and finding.status != "violated":
            cured += 1
        before[key] = finding.status
    return cured


REPORT_ROWS = [
    ("cases", "案件数"), ("records", "已定稿文书"), ("recordings", "音像记录"), ("late_uploads", "逾期上传的音像记录"),
    ("upload_on_time_pct", "按期上传率（%）"), ("av_coverage_pct", "法定音像记录覆盖率（%）"),
    ("archive_on_time_pct", "按期归档率（%）"), ("violations_open", "未纠正的违规"), ("violations_cured", "已纠正的违规"),
    ("checks", "回放检查"), ("checks_passed", "回放检查合格"),
]


def report_xlsx(agency, filters, figures) -> bytes:
    import io

    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = "统计报表"
    scope = "".join(f"，{x}" for x in (getattr(filters.department, "name", ""), getattr(filters.officer, "name", "")) if x)
    sheet.append([f"{agency.name} 行政执法全过程记录统计（{filters.period_from} 至 {filters.period_to}{scope}）"])
    sheet["A1"].font = Font(bold=True, size=13)
    sheet.append(["指标", "数值"])
    for key, label in REPORT_ROWS:
        value = figures[key]
        sheet.append([label, "—" if value is None else value])
    sheet.append([])
    sheet.append(["案件阶段", "案件数"])
    for label, n in figures["by_stage"]:
        sheet.append([label, n])
    sheet.append([])
    sheet.append(["事项类型", "案件数"])
    for label, n in figures["by_type"]:
        sheet.append([label, n])
    sheet.append([])
    sheet.append(["部门", "案件数"])
    for label, n in figures["by_department"]:
        sheet.append([label, n])
    sheet.column_dimensions["A"].width = 30
    sheet.column_dimensions["B"].width = 12
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def report_pdf(agency, filters, figures) -> bytes:
    from django.template.loader import render_to_string
    from weasyprint import HTML

    return HTML(string=render_to_string("supervision/report.html", {
        "agency": agency, "filters": filters, "figures": figures,
        "rows": [(label, figures[key]) for key, label in REPORT_ROWS], "now": timezone.localtime()})).write_pdf()
