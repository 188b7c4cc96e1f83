"""Dashboard and report figures against a data set whose answers are known."""

import datetime
import subprocess

import pytest
from django.utils import timezone

from lawtrail.cases.services import case_open
from lawtrail.org.enums import Role
from lawtrail.rules.models import Finding
from lawtrail.supervision.statistics import Filters, chart, dashboard, report, report_pdf, report_xlsx
from lawtrail.testing import person_party

TODAY = MONDAY = D1 = D2 = None  # set as each test starts (`days`)


def known_days():
    """(today, this week's Monday, the Mondays two weeks and one week before): the days the
    data and the figures are about."""
    today = timezone.localdate()
    monday = today - datetime.timedelta(days=today.weekday())
    return today, monday, monday - datetime.timedelta(days=14), monday - datetime.timedelta(days=7)


@pytest.fixture(autouse=True)
def days():
    """The days, taken as each test starts: taken when the module was imported they went stale
    once a run crossed midnight (CI at 00:00 in Beijing)."""
    global TODAY, MONDAY, D1, D2
    TODAY, MONDAY, D1, D2 = known_days()


def at(day, hour=10):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def finding(case, rule_id, status, severity, day, due=None):
    # The compliance job writes these; a fixed history makes the expected figures exact.
    return Finding.objects.create(case=case, rule_id=rule_id, status=status, severity=severity, cite="004 第十条",
                                  message=f"{rule_id} {status}", due=due, evaluated_at=at(day))


@pytest.fixture
def known(org):
    first = org.open_case(title="甲案")
    second = case_open(actor=org.head, department=org.legal, title="乙案", matter_type="inspection",
                       source="ex_officio", start_reason="检查", officers=[(org.officers[2], "lead")],
                       parties=[person_party()])
    finding(first, "start.approval", "violated", "high", D1)
    finding(first, "av.upload_deadline", "violated", "medium", D1)
    finding(first, "av.upload_deadline", "satisfied", "medium", D2)
    finding(second, "start.approval", "violated", "low", D2)
    finding(second, "archive.deadline", "pending", "medium", D2, due=at(TODAY + datetime.timedelta(days=5)))
    return first, second


def test_the_dashboard_counts_what_the_data_says(org, known):
    first, second = known
    figures = dashboard(org.users[Role.SUPERVISOR], Filters(D1, TODAY))
    assert [(f.case_id, f.rule_id) for f in figures.violations] == [(first.pk, "start.approval"),
                                                                     (second.pk, "start.approval")]
    assert [(f.case_id, f.rule_id) for f in figures.pending] == [(second.pk, "archive.deadline")]
    assert figures.by_severity == [("严重", 1), ("轻微", 1)]
    assert sorted(figures.by_department) == [("执法队", 1), ("法规科", 1)]
    assert sorted(figures.by_officer) == [("officer0", 1), ("officer2", 1)]
    assert figures.weeks[:3] == [(D1, 2, 0), (D2, 1, 1), (MONDAY, 0, 0)]
    only_team = dashboard(org.users[Role.SUPERVISOR], Filters(D1, TODAY, department=org.department))
    assert [f.case_id for f in only_team.violations] == [first.pk]
    one_rule = dashboard(org.users[Role.SUPERVISOR], Filters(D1, TODAY, rule_id="av.upload_deadline"))
    assert one_rule.violations == [] and one_rule.weeks[1] == (D2, 0, 1)
    inspections = dashboard(org.users[Role.SUPERVISOR], Filters(D1, TODAY, matter_type="inspection"))
    assert [f.case_id for f in inspections.violations] == [second.pk]
    handled = dashboard(org.users[Role.SUPERVISOR], Filters(D1, TODAY, officer=org.officers[2]))
    assert [f.case_id for f in handled.violations] == [second.pk]
    assert report(org.users[Role.SUPERVISOR], Filters(TODAY, TODAY, officer=org.officers[0]))["cases"] == 1
    drawn = chart(figures.weeks)
    tallest = max(drawn["bars"], key=lambda b: b["h"])
    assert tallest["value"] == 2 and tallest["kind"] == "appeared" and drawn["top"] == 2


def test_the_report_opens_in_libreoffice_with_the_known_figures(org, known, tmp_path):
    filters = Filters(TODAY - datetime.timedelta(days=1), TODAY)
    figures = report(org.users[Role.SUPERVISOR], filters)
    assert figures["cases"] == 2 and figures["by_stage"] == [("程序启动", 2)]
    assert sorted(figures["by_type"]) == [("行政处罚", 1), ("行政检查", 1)]
    assert figures["violations_open"] == 2 and figures["violations_cured"] == 1
    assert figures["recordings"] == 0 and figures["upload_on_time_pct"] is None
    path = tmp_path / "统计报表.xlsx"
    path.write_bytes(report_xlsx(org.agency, filters, figures))
    result = subprocess.run(["libreoffice", f"-env:UserInstallation=file://{tmp_path}/lo", "--headless",
                             "--convert-to", "pdf", "--outdir", str(tmp_path), str(path)],
                            capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr
    text = subprocess.run(["pdftotext", "-layout", str(tmp_path / "统计报表.pdf"), "-"], capture_output=True,
                          text=True).stdout
    lines = {" ".join(line.split()) for line in text.splitlines()}
    assert "未纠正的违规 2" in lines and "已纠正的违规 1" in lines and "案件数 2" in lines
    assert report_pdf(org.agency, filters, figures).startswith(b"%PDF")


def test_the_report_counts_late_uploads_and_final_records_of_the_periods_cases(db, tmp_path):
    from lawtrail.media.tests.test_recordings import ingest
    from lawtrail.samples import make_video
    from lawtrail.testing import Org

    org = Org("report", profile="001")  # uploads due within 24 hours
    case, earlier = org.open_case(), org.open_case()
    org.final_record(case, "filing_approval")
    ingest(org, case, make_video(tmp_path / "迟.mp4", seconds=1, creation_time=timezone.now() - datetime.timedelta(days=3)))
    ingest(org, case, make_video(tmp_path / "准.mp4", seconds=2, creation_time=timezone.now()))
    ingest(org, earlier, make_video(tmp_path / "旧.mp4", seconds=1, creation_time=timezone.now() - datetime.timedelta(days=5)))
    from lawtrail.cases.models import Case

    Case.objects.filter(pk=earlier.pk).update(created_at=timezone.now() - datetime.timedelta(days=40))  # before the period
    figures = report(org.users[Role.SUPERVISOR], Filters(TODAY - datetime.timedelta(days=7), TODAY))
    assert figures["cases"] == 1 and figures["records"] == 1
    assert figures["recordings"] == 2 and figures["late_uploads"] == 1 and figures["upload_on_time_pct"] == 50.0
    assert figures["by_department"] == [(org.department.name, 1)]
