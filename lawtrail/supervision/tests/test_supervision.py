"""Devices and their history, reproducible sample draws, playback checks, the check ledger
(Excel and PDF) and corrective actions."""

import datetime
import io

import pytest
from django.utils import timezone

from lawtrail.core.errors import Conflict, InvalidInput, NotAllowed, NotFound
from lawtrail.media.services import describe, recording_ingest
from lawtrail.org.enums import Role
from lawtrail.supervision.models import DeviceStatus, SampleDraw
from lawtrail.supervision.reports import ledger_pdf, ledger_xlsx
from lawtrail.supervision.selectors import check_ledger, device_holder_at, ledger_rows
from lawtrail.supervision.services import (
    corrective_action_close, corrective_action_order, device_event, device_register, draw_ids, playback_check,
    sample_draw,
)
from lawtrail.samples import make_audio

ALL_PASS = {"opening": "pass", "continuous": "pass", "conduct": "pass", "documents": "na"}
TODAY = None  # set as each test starts (`today`)


@pytest.fixture(autouse=True)
def today():
    """Today as each test starts: taken when the module was imported it went stale once a run
    crossed midnight (CI at 00:00 in Beijing)."""
    global TODAY
    TODAY = timezone.localdate()


def record(org, case, tmp_path, name, *, officer=0, device="DSJ-001", seconds=1, at=None):
    description = describe(org.officer_users[officer], {
        "case_no": case.case_no, "officer_cert": org.officers[officer].cert_no, "device_no": device,
        "recorded_at": (at or timezone.now()).isoformat()})
    recording, _ = recording_ingest(actor=org.officer_users[officer], path=make_audio(tmp_path / name, seconds=seconds),
                                    description=description, filename=name)
    return recording


@pytest.fixture
def recordings(org, tmp_path):
    case = org.open_case()
    return [record(org, case, tmp_path, f"r{i}.m4a", seconds=1 + i, officer=i % 2) for i in range(6)]


def test_device_history_names_the_officer_who_held_it_when_a_recording_was_made(org, tmp_path):
    head = org.head
    device = device_register(actor=head, department=org.department, device_no="DSJ-001", model="执法记录仪 X1")
    t0 = timezone.now() - datetime.timedelta(hours=5)
    device_event(actor=head, device=device, kind="checkout", officer=org.officers[0], at=t0)
    case = org.open_case()
    first = record(org, case, tmp_path, "a.m4a", at=t0 + datetime.timedelta(hours=1))
    device_event(actor=head, device=device, kind="return", at=t0 + datetime.timedelta(hours=2))
    device_event(actor=head, device=device, kind="checkout", officer=org.officers[1], at=t0 + datetime.timedelta(hours=3))
    second = record(org, case, tmp_path, "b.m4a", officer=1, seconds=2, at=t0 + datetime.timedelta(hours=4))
    assert device_holder_at(org.agency.pk, "DSJ-001", first.started_at) == org.officers[0]
    assert device_holder_at(org.agency.pk, "DSJ-001", second.started_at) == org.officers[1]
    assert device_holder_at(org.agency.pk, "DSJ-001", t0 - datetime.timedelta(hours=1)) is None
    assert device_holder_at(org.agency.pk, "no-such", t0) is None


def test_device_checks_faults_and_repairs(org):
    head, holder = org.head, org.officer_users[0]
    device = device_register(actor=head, department=org.department, device_no="DSJ-002", model="X2")
    with pytest.raises(Conflict, match="已登记"):
        device_register(actor=head, department=org.department, device_no="DSJ-002", model="X2")
    with pytest.raises(NotAllowed):
        device_register(actor=holder, department=org.department, device_no="DSJ-003", model="X2")
    device_event(actor=head, device=device, kind="checkout", officer=org.officers[0])
    with pytest.raises(Conflict, match="不能领用"):
        device_event(actor=head, device=device, kind="checkout", officer=org.officers[1])
    device_event(actor=holder, device=device, kind="battery", ok=True, notes="电量 95%")
    with pytest.raises(InvalidInput, match="是否合格"):
        device_event(actor=holder, device=device, kind="storage")
    with pytest.raises(NotAllowed):
        device_event(actor=org.officer_users[1], device=device, kind="battery", ok=True)
    with pytest.raises(InvalidInput, match="故障情况"):
        device_event(actor=holder, device=device, kind="fault")
    device_event(actor=holder, device=device, kind="fault", notes="无法开机")
    device.refresh_from_db()
    assert device.status == DeviceStatus.FAULTY
    device_event(actor=head, device=device, kind="repair", notes="更换电池")
    device.refresh_from_db()
    assert device.status == DeviceStatus.ISSUED and device.holder == org.officers[0]
    assert [e.kind for e in device.events.all()] == ["checkout", "battery", "fault", "repair"]


def test_a_sample_draw_is_reproducible_from_its_seed(org, recordings):
    supervisor = org.users[Role.SUPERVISOR]
    draw = sample_draw(actor=supervisor, period_from=TODAY, period_to=TODAY, size=3, seed="2026-抽检-01")
    again = sample_draw(actor=supervisor, period_from=TODAY, period_to=TODAY, size=3, seed="2026-抽检-01")
    assert len(draw.recording_ids) == 3 and draw.recording_ids == again.recording_ids
    assert draw_ids(draw.population, draw.seed, draw.size) == draw.recording_ids
    assert sorted(draw.population) == sorted(r.pk for r in recordings)
    seeds = {tuple(sample_draw(actor=supervisor, period_from=TODAY, period_to=TODAY, size=3, seed=str(n)).recording_ids)
             for n in range(8)}
    assert len(seeds) > 1  # the seed matters
    mine = sample_draw(actor=supervisor, period_from=TODAY, period_to=TODAY, size=10, officer=org.officers[1])
    assert sorted(mine.recording_ids) == sorted(r.pk for r in recordings if r.officer == org.officers[1])
    random_seed = sample_draw(actor=supervisor, period_from=TODAY, period_to=TODAY, size=2)
    assert len(random_seed.seed) == 16  # a seed is always recorded, drawn when none is given
    with pytest.raises(InvalidInput, match="没有音像记录"):
        sample_draw(actor=supervisor, period_from=TODAY - datetime.timedelta(days=30),
                    period_to=TODAY - datetime.timedelta(days=20), size=2)
    with pytest.raises(NotAllowed):
        sample_draw(actor=org.officer_users[0], period_from=TODAY, period_to=TODAY, size=2)


def test_playback_checks_form_the_ledger_with_its_known_figures(org, recordings):
    supervisor = org.users[Role.SUPERVISOR]
    draw = sample_draw(actor=supervisor, period_from=TODAY, period_to=TODAY, size=2, seed="s")
    by_id = {r.pk: r for r in recordings}
    good, bad = (by_id[i] for i in draw.recording_ids)
    outside = next(r for r in recordings if r.pk not in draw.recording_ids)
    with pytest.raises(NotFound):
        playback_check(actor=supervisor, draw=draw, recording=outside, results=ALL_PASS)
    with pytest.raises(InvalidInput, match="逐项"):
        playback_check(actor=supervisor, draw=draw, recording=good, results={"opening": "pass"})
    with pytest.raises(InvalidInput, match="写明发现的问题"):
        playback_check(actor=supervisor, draw=draw, recording=bad, results={**ALL_PASS, "opening": "fail"})
    playback_check(actor=supervisor, draw=draw, recording=good, results=ALL_PASS)
    failed = playback_check(actor=supervisor, draw=draw, recording=bad, results={**ALL_PASS, "opening": "fail"},
                            findings="开头未说明执法人员和事由", follow_up="责令承办人说明情况")
    assert not failed.passed
    checks = check_ledger(org.agency.pk)
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(ledger_xlsx(org.agency, checks))).active
    rows = list(sheet.iter_rows(min_row=3, values_only=True))
    header = [c.value for c in sheet[2]]
    conclusion, findings, items = header.index("结论"), header.index("发现的问题"), header.index("检查项目及结果")
    assert [r[conclusion] for r in rows] == ["合格", "不合格"]
    assert rows[1][header.index("检查对象")] == bad.filename
    assert "开始记录时语音说明时间、地点、执法人员、事由和对象：不合格" in rows[1][items]
    assert rows[1][findings] == "开头未说明执法人员和事由"
    assert ledger_pdf(org.agency, checks).startswith(b"%PDF")

    action = corrective_action_order(actor=org.head, kind="correct", description="补录说明并组织培训",
                                     deadline=TODAY + datetime.timedelta(days=10), check=failed)
    assert action.officer == bad.officer and action.case == bad.case
    with pytest.raises(InvalidInput, match="整改期限"):
        corrective_action_order(actor=org.head, kind="correct", description="无期限", check=failed)
    corrective_action_close(actor=supervisor, action=action, closure="已补充书面说明，完成培训")
    with pytest.raises(Conflict, match="已完成"):
        corrective_action_close(actor=supervisor, action=action, closure="再次")
    assert SampleDraw.objects.count() == 1


def test_the_excel_ledger_opens_in_libreoffice_with_its_figures(org, recordings, tmp_path):
    import subprocess

    supervisor = org.users[Role.SUPERVISOR]
    draw = sample_draw(actor=supervisor, period_from=TODAY, period_to=TODAY, size=1, seed="lo")
    recording = next(r for r in recordings if r.pk == draw.recording_ids[0])
    playback_check(actor=supervisor, draw=draw, recording=recording, results={**ALL_PASS, "conduct": "fail"},
                   findings="执法人员未按规定着装")
    path = tmp_path / "检查台帐.xlsx"
    path.write_bytes(ledger_xlsx(org.agency, check_ledger(org.agency.pk)))
    result = subprocess.run(["libreoffice", f"-env:UserInstallation=file://{tmp_path}/lo-profile", "--headless",
                             "--convert-to", "pdf", "--outdir", str(tmp_path), str(path)],
                            capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr
    text = subprocess.run(["pdftotext", str(tmp_path / "检查台帐.pdf"), "-"], capture_output=True, text=True).stdout
    assert "不合格" in text and "执法人员未按规定着装" in text and recording.filename in text


def test_case_files_are_drawn_and_checked_too(org):
    supervisor = org.users[Role.SUPERVISOR]
    ended = []
    for _ in range(3):
        case = org.open_case()
        org.final_record(case, "filing_approval")
        ended.append(org.conclude(case))
    org.open_case()  # still open: not in the population
    draw = sample_draw(actor=supervisor, period_from=TODAY, period_to=TODAY, size=2, seed="案卷", target="case_files")
    assert sorted(draw.population) == sorted(c.pk for c in ended) and len(draw.case_ids) == 2
    assert draw.recording_ids == [] and draw_ids(draw.population, "案卷", 2) == draw.case_ids
    case = next(c for c in ended if c.pk == draw.case_ids[0])
    check = playback_check(actor=supervisor, draw=draw, case=case,
                           results={"complete": "fail", "signed": "pass", "deadlines": "pass", "av": "na"},
                           findings="缺少送达回证")
    assert not check.passed and check.recording is None
    [row] = list(ledger_rows(check_ledger(org.agency.pk)))
    assert row[4] == "案卷" and "文书齐全，按时间顺序编排并有卷内目录：不合格" in row[6]
    with pytest.raises(NotFound):
        playback_check(actor=supervisor, draw=draw, case=org.open_case(), results={})
