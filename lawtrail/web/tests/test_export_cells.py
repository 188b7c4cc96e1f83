"""Text that users typed (file names, findings, names) stays text in every workbook and CSV
the product exports: a spreadsheet never computes it as a formula (issue 25, hole 5)."""

import csv
import datetime
import io
import subprocess

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from lawtrail.cases.enums import MatterType, OfficerRole, Source
from lawtrail.cases.services import case_open
from lawtrail.org.enums import Role
from lawtrail.org.services import department_create
from lawtrail.supervision.models import SampleDraw
from lawtrail.supervision.selectors import LEDGER_COLUMNS
from lawtrail.supervision.tests.test_supervision import record
from lawtrail.testing import person_party, sign_in

pytestmark = pytest.mark.django_db

FORMULAS = ["=1+2*3", "+1+1", "-2+3", "@SUM(1,1)", "#NAME?"]


def load(content):
    from openpyxl import load_workbook

    return load_workbook(io.BytesIO(content)).active


def checked(org, tmp_path, names_and_findings):
    """One recording per (file name, findings), all drawn and each checked as failed with
    those findings, through the supervision pages; the supervisor's client."""
    case = org.open_case()
    for seconds, (name, _) in enumerate(names_and_findings, 1):
        record(org, case, tmp_path, name, seconds=seconds)  # each its own bytes: no duplicates
    client = sign_in(Client(), org.users[Role.SUPERVISOR])
    today = timezone.localdate().isoformat()
    client.post(reverse("web:draw_create"), {"period_from": today, "period_to": today,
                                             "size": str(len(names_and_findings)), "seed": "公式"})
    draw = SampleDraw.objects.get()
    recordings = {r.filename: r for r in case.recordings.all()}
    for name, findings in names_and_findings:
        response = client.post(reverse("web:check_create", args=[draw.pk]), {
            "recording": recordings[name].pk, "opening": "fail", "continuous": "pass", "conduct": "pass",
            "documents": "na", "findings": findings})
        assert response.status_code == 302
    return client


def test_the_check_ledger_keeps_formula_like_file_names_and_findings_as_text(org, tmp_path):
    client = checked(org, tmp_path, [(f"{text}.mp4", text) for text in FORMULAS])
    sheet = load(client.get(reverse("web:ledger_export", args=["xlsx"])).content)
    target, findings = LEDGER_COLUMNS.index("检查对象"), LEDGER_COLUMNS.index("发现的问题")
    rows = list(sheet.iter_rows(min_row=3))
    assert sorted(row[findings].value for row in rows) == sorted(FORMULAS)
    for row in rows:
        assert row[findings].data_type == "s" and row[target].data_type == "s"
        assert row[target].value == f"{row[findings].value}.mp4"
        assert row[findings].quotePrefix  # so that editing the cell in Excel keeps it text
    assert [row[0].value for row in rows] == [1, 2, 3, 4, 5]  # numbers the code wrote stay numbers
    assert all(row[0].data_type == "n" for row in rows)


def test_libreoffice_shows_formula_like_text_as_written_not_its_result(org, tmp_path):
    client = checked(org, tmp_path, [("=1+2*3.mp4", "=1+2*3")])
    path = tmp_path / "ledger.xlsx"
    path.write_bytes(client.get(reverse("web:ledger_export", args=["xlsx"])).content)
    # Calc saves the cells as shown, in UTF-8 (filter option 76).
    result = subprocess.run(["libreoffice", f"-env:UserInstallation=file://{tmp_path}/lo", "--headless",
                             "--convert-to", "csv:Text - txt - csv (StarCalc):44,34,76", "--outdir", str(tmp_path),
                             str(path)], capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr
    rows = list(csv.reader(io.StringIO((tmp_path / "ledger.csv").read_text("utf-8"))))
    row = dict(zip(LEDGER_COLUMNS, rows[2]))
    assert row["发现的问题"] == "=1+2*3" and row["检查对象"] == "=1+2*3.mp4"
    assert row["序号"] == "1"


def test_the_statistics_report_keeps_a_formula_like_department_name_as_text(org):
    department = department_create(actor=None, agency=org.agency, name="=1+1")
    case_open(actor=org.officer_users[0], department=department, title="检查", matter_type=MatterType.PENALTY,
              source=Source.EX_OFFICIO, start_reason="检查中发现违法线索", parties=[person_party()],
              officers=[(org.officers[0], OfficerRole.LEAD), (org.officers[1], OfficerRole.ASSIST)])
    client = sign_in(Client(), org.users[Role.SUPERVISOR])
    today = timezone.localdate()
    period = {"from": (today - datetime.timedelta(days=1)).isoformat(), "to": today.isoformat()}
    sheet = load(client.get(reverse("web:report_export", args=["xlsx"]), period).content)
    label, count = next(row for row in sheet.iter_rows(min_row=2) if row[0].value == "=1+1")
    assert label.data_type == "s" and (count.value, count.data_type) == (1, "n")


def test_the_access_log_csv_quotes_text_that_would_start_a_formula(org):
    from lawtrail.web.tests.test_views import client_for

    viewer = org.user(Role.HEAD, username="-2+3")
    case = org.open_case()
    client_for(viewer).get(reverse("web:case_detail", args=[case.pk]))
    response = client_for(org.users[Role.SUPERVISOR]).get(reverse("web:audit"),
                                                          {"username": viewer.username, "format": "csv"})
    text = response.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["'-2+3调阅过什么"]
    assert [r[2] for r in rows[2:]] == ["'-2+3"]
    assert rows[2][0].isdigit() and f"\n{rows[2][0]}," in text  # the ledger number stays an unquoted number
