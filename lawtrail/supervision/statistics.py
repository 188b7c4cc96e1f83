"""The supervisor's figures: open violations and pending deadlines by severity, department
and officer; violations appearing and cured week by week; and the period report (cases by
stage and type, records and recordings, upload and archiving timeliness, recording
coverage of mandatory activities, sampling results). The same numbers feed the dashboard,
its chart and the Excel/PDF report."""

import datetime
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import Count, F
from django.utils import timezone

from lawtrail.cases.enums import MatterType, OfficerRole, Stage
from lawtrail.cases.models import CaseOfficer
from lawtrail.cases.selectors import counted
from lawtrail.core.policy import agency_cases
from lawtrail.core.spreadsheet import xlsx_append
from lawtrail.media.models import Recording
from lawtrail.records.models import Record, RecordStatus
from lawtrail.rules.engine import SEVERITY_LABELS
from lawtrail.regulations.deadlines import end_of_day
from lawtrail.rules.models import Finding
from lawtrail.rules.selectors import SEVERITY_ORDER, current, current_violations, with_status_before
from lawtrail.supervision.models import PlaybackCheck



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
    # Figures count every case, confidential ones too; the dashboard's rows of cases the user
    # may not see are restricted by the view (redact_findings).
    cases = agency_cases(user).select_related("department")
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


def _in_period(findings, filters):
    return findings.filter(evaluated_at__gte=end_of_day(filters.period_from - datetime.timedelta(days=1)),
                           evaluated_at__lt=end_of_day(filters.period_to))


def dashboard(user, filters) -> Dashboard:
    """The current verdicts from the latest row of each case and rule, and the weeks from the
    rows of the period with the verdict each replaced: never the whole history."""
    history = Finding.objects.filter(case__in=_cases(user, filters))
    if filters.rule_id:
        history = history.filter(rule_id=filters.rule_id)
    appeared, cured = Counter(), Counter()
    start = filters.period_from - datetime.timedelta(days=filters.period_from.weekday())
    for evaluated_at, status, before in with_status_before(_in_period(history, filters)).values_list(
            "evaluated_at", "status", "status_before"):
        day = timezone.localdate(evaluated_at)
        week = day - datetime.timedelta(days=day.weekday())
        if status == "violated" and before != "violated":
            appeared[week] += 1
        elif before == "violated" and status != "violated":
            cured[week] += 1
    result = Dashboard()
    result.violations = list(current_violations(history).select_related("case__department"))
    result.pending = list(current(history.filter(status="pending", due__isnull=False))
                          .select_related("case__department").order_by("due", "id"))
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
    """The period report's figures: for the cases opened in the period, by department;
    counted by the database (a province's year is hundreds of thousands of cases)."""
    cases = _cases(user, filters).filter(created_at__date__gte=filters.period_from,
                                         created_at__date__lte=filters.period_to).order_by()
    recordings = Recording.objects.filter(case__in=cases)
    recording_count = recordings.count()
    late = recordings.filter(received_at__gt=F("upload_due")).count()
    findings = Finding.objects.filter(case__in=cases)
    statuses = defaultdict(Counter)
    for rule_id, status, n in current(findings).order_by().values_list("rule_id", "status").annotate(n=Count("id")):
        statuses[rule_id][status] += n
    checks = PlaybackCheck.objects.filter(case__in=cases)
    stage_order = [st.value for st in Stage]
    return {
        "cases": cases.count(),
        "by_stage": [(Stage(s).label, n) for s, n in sorted(counted(cases, "stage"), key=lambda x: stage_order.index(x[0]))],
        "by_type": [(MatterType(t).label, n) for t, n in sorted(counted(cases, "matter_type"), key=lambda x: -x[1])],
        "by_department": sorted(counted(cases, "department__name")),
        "records": Record.objects.filter(case__in=cases, status=RecordStatus.FINAL).count(),
        "recordings": recording_count,
        "late_uploads": late,
        "upload_on_time_pct": _ratio(recording_count - late, recording_count),
        "av_coverage_pct": _ratio(statuses["av.mandatory"]["satisfied"],
                                  statuses["av.mandatory"]["satisfied"] + statuses["av.mandatory"]["violated"]),
        "archive_on_time_pct": _ratio(statuses["archive.deadline"]["satisfied"],
                                      statuses["archive.deadline"]["satisfied"] + statuses["archive.deadline"]["violated"]),
        "violations_open": sum(s["violated"] for s in statuses.values()),
        "violations_cured": _cured(cases),
        "checks": checks.count(),
        "checks_passed": checks.filter(passed=True).count(),
        # archived with high-severity violations open, on the head's written explanation
        "archived_with_problems": cases.filter(transitions__name="explain_problems").distinct().count(),
    }


def _cured(cases):
    """How many times a violation was cured in these cases: rows that are no violation where
    the verdict before them was one, found in one pass over the history by the database."""
    inner, params = cases.values("pk").query.sql_with_params()
    table = Finding._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT COUNT(*) FROM (SELECT status, LAG(status) OVER (PARTITION BY case_id, rule_id "
            f"ORDER BY evaluated_at, id) AS before FROM {table} WHERE case_id IN ({inner})) AS t "
            f"WHERE t.before = %s AND t.status <> %s", [*params, "violated", "violated"])
        return cursor.fetchone()[0]


REPORT_ROWS = [
    ("cases", "案件数"), ("records", "已定稿文书"), ("recordings", "音像记录"), ("late_uploads", "逾期上传的音像记录"),
    ("upload_on_time_pct", "按期上传率（%）"), ("av_coverage_pct", "法定音像记录覆盖率（%）"),
    ("archive_on_time_pct", "按期归档率（%）"), ("violations_open", "未纠正的违规"), ("violations_cured", "已纠正的违规"),
    ("checks", "回放检查"), ("checks_passed", "回放检查合格"), ("archived_with_problems", "带问题归档的案件"),
]


def report_xlsx(agency, filters, figures) -> bytes:
    import io

    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = "统计报表"
    scope = "".join(f"，{x}" for x in (getattr(filters.department, "name", ""), getattr(filters.officer, "name", "")) if x)
    xlsx_append(sheet, [f"{agency.name} 行政执法全过程记录统计（{filters.period_from} 至 {filters.period_to}{scope}）"])
    sheet["A1"].font = Font(bold=True, size=13)
    xlsx_append(sheet, ["指标", "数值"])
    for key, label in REPORT_ROWS:
        value = figures[key]
        xlsx_append(sheet, [label, "—" if value is None else value])
    xlsx_append(sheet, [])
    xlsx_append(sheet, ["案件阶段", "案件数"])
    for label, n in figures["by_stage"]:
        xlsx_append(sheet, [label, n])
    xlsx_append(sheet, [])
    xlsx_append(sheet, ["事项类型", "案件数"])
    for label, n in figures["by_type"]:
        xlsx_append(sheet, [label, n])
    xlsx_append(sheet, [])
    xlsx_append(sheet, ["部门", "案件数"])
    for label, n in figures["by_department"]:
        xlsx_append(sheet, [label, n])
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
