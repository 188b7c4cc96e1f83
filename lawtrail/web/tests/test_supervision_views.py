"""监督检查 and 执法记录仪 pages through Django's test client."""

import io

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from lawtrail.org.enums import Role
from lawtrail.supervision.models import Device, PlaybackCheck, SampleDraw
from lawtrail.supervision.tests.test_supervision import record
from lawtrail.testing import sign_in

pytestmark = pytest.mark.django_db


def test_draw_check_act_and_export_from_the_pages(org, tmp_path):
    case = org.open_case()
    for i in range(3):
        record(org, case, tmp_path, f"p{i}.m4a", seconds=i + 1)
    client = sign_in(Client(), org.users[Role.SUPERVISOR])
    today = timezone.localdate().isoformat()
    page = client.post(reverse("web:draw_create"), {"period_from": today, "period_to": today, "size": "2",
                                                   "seed": "页面抽检"}, follow=True).content.decode()
    assert "已抽取 2 个音像记录（随机种子 页面抽检）" in page
    draw = SampleDraw.objects.get()
    recording_id = draw.recording_ids[0]
    page = client.post(reverse("web:check_create", args=[draw.pk]), {
        "recording": recording_id, "opening": "fail", "continuous": "pass", "conduct": "pass", "documents": "na",
        "findings": ""}, follow=True).content.decode()
    assert "请写明发现的问题" in page
    page = client.post(reverse("web:check_create", args=[draw.pk]), {
        "recording": recording_id, "opening": "fail", "continuous": "pass", "conduct": "pass", "documents": "na",
        "findings": "未说明事由"}, follow=True).content.decode()
    assert "已记入检查台帐" in page and "不合格" in page
    check = PlaybackCheck.objects.get()
    page = client.post(reverse("web:action_create"), {"check": check.pk, "kind": "criticism",
                                                     "description": "通报批评"}, follow=True).content.decode()
    assert "已下达整改措施" in page
    workbook = client.get(reverse("web:ledger_export", args=["xlsx"]))
    from openpyxl import load_workbook

    rows = list(load_workbook(io.BytesIO(workbook.content)).active.iter_rows(min_row=3, values_only=True))
    assert len(rows) == 1 and "未说明事由" in rows[0]
    assert client.get(reverse("web:ledger_export", args=["pdf"])).content.startswith(b"%PDF")
    assert client.get(reverse("web:ledger_export", args=["doc"])).status_code == 404
    assert sign_in(Client(), org.officer_users[0]).get(reverse("web:supervision")).status_code == 403


def test_device_pages_show_who_held_the_device(org, tmp_path):
    head = sign_in(Client(), org.head)
    page = head.post(reverse("web:device_create"), {"device_no": "DSJ-001", "model": "X1",
                                                   "department": org.department.pk}, follow=True).content.decode()
    assert "已登记执法记录仪" in page
    device = Device.objects.get()
    page = head.post(reverse("web:device_event", args=[device.pk]), {"kind": "checkout",
                                                                    "officer": org.officers[0].pk},
                     follow=True).content.decode()
    assert "已记录：领用" in page
    case = org.open_case()
    record(org, case, tmp_path, "held.m4a")
    page = sign_in(Client(), org.officer_users[0]).get(reverse("web:device_detail", args=[device.pk])).content.decode()
    assert "held.m4a" in page and "与登记人不一致" not in page and org.officers[0].name in page
    held = case.recordings.get()
    page = sign_in(Client(), org.officer_users[0]).get(reverse("web:recording_detail", args=[case.pk, held.pk]))
    assert f'data-testid="device-holder">{org.officers[0].name}' in page.content.decode()
    page = head.post(reverse("web:device_event", args=[device.pk]), {"kind": "checkout",
                                                                    "officer": org.officers[1].pk},
                     follow=True).content.decode()
    assert "不能领用" in page


def test_the_dashboard_page_and_report_downloads(org):
    from lawtrail.supervision.tests.test_statistics import finding, known_days

    D1 = known_days()[2]

    case = org.open_case(title="看板案")
    finding(case, "start.approval", "violated", "high", D1)
    client = sign_in(Client(), org.users[Role.SUPERVISOR])
    page = client.get(reverse("web:dashboard"), {"from": D1.isoformat()}).content.decode()
    assert case.case_no in page and "启动" in page and "<svg" in page and 'data-testid="open-violations">1<' in page
    page = client.get(reverse("web:dashboard"), {"from": D1.isoformat(), "department": org.legal.pk}).content.decode()
    assert 'data-testid="open-violations">0<' in page
    assert "日期格式不正确" in client.get(reverse("web:dashboard"), {"from": "昨天"}, follow=True).content.decode()
    workbook = client.get(reverse("web:report_export", args=["xlsx"]))
    assert workbook.status_code == 200 and workbook.content[:2] == b"PK"
    assert client.get(reverse("web:report_export", args=["pdf"])).content.startswith(b"%PDF")
    assert sign_in(Client(), org.users[Role.ARCHIVIST]).get(reverse("web:dashboard")).status_code == 403


def test_the_dashboard_lists_the_most_severe_and_counts_them_all(org, monkeypatch):
    from lawtrail.supervision.tests.test_statistics import finding, known_days
    from lawtrail.web import supervision_views

    D1 = known_days()[2]

    monkeypatch.setattr(supervision_views, "DASHBOARD_ROWS", 1)
    minor, severe = org.open_case(title="轻微违规案"), org.open_case(title="严重违规案")
    finding(minor, "start.approval", "violated", "low", D1)
    finding(severe, "start.approval", "violated", "high", D1)
    page = sign_in(Client(), org.users[Role.SUPERVISOR]).get(reverse("web:dashboard"), {"from": D1.isoformat()})
    page = page.content.decode()
    table = page.split('data-testid="violations"', 1)[1].split("</table>", 1)[0]
    assert severe.case_no in table and minor.case_no not in table
    assert 'data-testid="open-violations">2<' in page and "共 2 条，以下为最严重的 1 条" in page


def test_a_case_file_draw_and_its_check_from_the_pages(org):
    case = org.open_case()
    org.final_record(case, "filing_approval")
    org.conclude(case)
    client = sign_in(Client(), org.head)
    today = timezone.localdate().isoformat()
    page = client.post(reverse("web:draw_create"), {"target": "case_files", "period_from": today, "period_to": today,
                                                   "size": "3"}, follow=True).content.decode()
    assert "已抽取 1 个案卷" in page and f"案卷 {case.case_no}" in page
    draw = SampleDraw.objects.get()
    page = client.post(reverse("web:check_create", args=[draw.pk]), {
        "case": case.pk, "complete": "pass", "signed": "pass", "deadlines": "pass", "av": "na"},
        follow=True).content.decode()
    assert f"已记入检查台帐：案卷 {case.case_no} 合格" in page
