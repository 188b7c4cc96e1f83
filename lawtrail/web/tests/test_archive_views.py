"""归档与保存 pages through Django's test client: assemble, retention, holds, disposal,
provision, the package download and the archive worklist."""

import datetime
import io
import zipfile

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from lawtrail.archive.models import DecisionStatus, DisposalRequest, LegalHold, Provision
from lawtrail.archive.tests.conftest import ingest
from lawtrail.blobs import blob_store
from lawtrail.cases.enums import MatterType
from lawtrail.org.enums import Role
from lawtrail.regulations.profiles import get_profile
from lawtrail.samples import make_video
from lawtrail.testing import Org
from lawtrail.web.tests.test_views import client_for

pytestmark = pytest.mark.django_db


def action(client, case, name, data):
    return client.post(reverse("web:case_archive_action", args=[case.pk, name]), data, follow=True)


def ended(org):
    """A case carried to 待归档 through every gate, served, with nothing severe left open."""
    case = org.open_case()
    for name in ("approve_start", "submit_review", "decide", "conclude"):
        if name == "conclude":
            org.final_record(case, "service_direct")
        case = org.step(org.ready_for(case, name), name, gated=True)
    return case


def test_the_archivist_assembles_and_accepts_the_case_file_from_the_pages():
    org = Org("av", profile="004")
    case = ended(org)
    archivist = client_for(org.users[Role.ARCHIVIST])
    page = archivist.get(reverse("web:case_archive", args=[case.pk])).content.decode()
    assert "尚未组卷" in page and "须于" in page and "004 第三十二条" in page
    page = action(archivist, case, "assemble", {"notes": "文书齐全"}).content.decode()
    assert "已组卷（第 1 版" in page and "卷内目录" in page and "结案报告" in page
    pdf = archivist.get(reverse("web:case_file_pdf", args=[case.pk]))
    assert b"".join(pdf.streaming_content).startswith(b"%PDF")
    response = archivist.post(reverse("web:case_step", args=[case.pk, "archive"]), {"reason": "案卷齐全"}, follow=True)
    assert "已办理：接收归档" in response.content.decode()
    case.refresh_from_db()
    assert case.stage == "archived"
    head_page = client_for(org.head).get(reverse("web:case_archive", args=[case.pk])).content.decode()
    assert "重新组卷" not in head_page and "5 年" in head_page


def test_holds_marks_and_errors_are_shown_in_chinese():
    org = Org("av", profile="003")
    case = ended(org)
    head = client_for(org.head)
    page = action(head, case, "hold", {"kind": "litigation", "reason": "当事人已起诉"}).content.decode()
    assert "已设置行政诉讼保全" in page and "当事人已起诉" in page
    hold = LegalHold.objects.get()
    page = action(head, case, "release", {"hold": hold.pk, "reason": ""}).content.decode()
    assert "请填写解除理由" in page
    page = action(head, case, "release", {"hold": hold.pk, "reason": "判决生效"}).content.decode()
    assert "已解除保全" in page
    page = action(head, case, "mark", {"circumstance": "major", "reason": "重大复杂案件"}).content.decode()
    assert "已登记保存情形：重大、疑难、复杂的执法活动" in page
    officer = client_for(org.officer_users[0])
    page = action(officer, case, "hold", {"kind": "review", "reason": "复议"}).content.decode()
    assert "设置保全须由" in page
    assert action(officer, case, "teleport", {}).status_code == 404
    assert action(client_for(Org("zz").head), case, "hold", {"kind": "review", "reason": "x"}).status_code == 404


def test_an_expired_recording_is_disposed_of_from_the_pages(tmp_path, django_capture_on_commit_callbacks):
    org = Org("av", profile="002")
    case = org.open_case(matter_type=MatterType.PATROL)
    org.final_record(case, "filing_approval")
    long_ago = timezone.now() - datetime.timedelta(days=200)
    recording = ingest(org, case, make_video(tmp_path / "巡查录像.mp4", seconds=1, creation_time=long_ago),
                       activity="patrol")
    org.conclude(case)
    org.archive(case)
    archivist = client_for(org.users[Role.ARCHIVIST])
    worklist = archivist.get(reverse("web:archive")).content.decode()
    assert "保存期满、可申请销毁" in worklist and "巡查录像.mp4" in worklist
    page = action(archivist, case, "dispose", {"recording": recording.pk, "reason": "巡查录像保存已满 6 个月"})
    assert "已提交销毁申请" in page.content.decode()
    request = DisposalRequest.objects.get()
    head = client_for(org.head)
    assert "巡查录像.mp4" in head.get(reverse("web:archive")).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        page = head.post(reverse("web:disposal_decide", args=[request.pk]), {"approve": "1", "reason": "同意"},
                         follow=True).content.decode()
    assert "内容已销毁，销毁记录已留存" in page
    assert DisposalRequest.objects.get().status == DecisionStatus.APPROVED
    assert not blob_store().exists(recording.sha256)
    assert "已销毁" in archivist.get(reverse("web:case_archive", args=[case.pk])).content.decode()


def test_provision_and_package_download_from_the_pages():
    org = Org("av", profile="002")
    case = ended(org)
    officer, head, archivist = client_for(org.officer_users[0]), client_for(org.head), client_for(org.users[Role.ARCHIVIST])
    page = action(officer, case, "provide", {"purpose": "litigation", "recipient": "西岗区人民法院",
                                             "reason": "行政诉讼举证"}).content.decode()
    assert "已登记对外提供申请（待审批）" in page and "002 第十四条" in page
    provision = Provision.objects.get()
    page = action(head, case, "provision_decide", {"provision": provision.pk, "approve": "1", "reason": "同意"})
    assert "已审批：已批准，待提供" in page.content.decode()
    page = action(officer, case, "deliver", {"provision": provision.pk, "received_by": "王法官"}).content.decode()
    assert "统一办理" in page
    page = action(archivist, case, "deliver", {"provision": provision.pk, "received_by": "王法官"}).content.decode()
    assert "已提供证据包并留存副本" in page and "接收人 王法官" in page
    copy = head.get(reverse("web:provision_copy", args=[case.pk, provision.pk]))
    assert zipfile.is_zipfile(io.BytesIO(b"".join(copy.streaming_content)))
    package = officer.get(reverse("web:package_download", args=[case.pk]))
    assert package.status_code == 200 and package["Content-Type"] == "application/zip"
    colleague = client_for(org.user(Role.OFFICER))
    assert colleague.get(reverse("web:package_download", args=[case.pk])).status_code == 403
    # The kept copy is a whole package too: the page checks the same policy as the API
    refused = colleague.get(reverse("web:provision_copy", args=[case.pk, provision.pk]))
    assert refused.status_code == 403 and "只有本案承办人" in refused.content.decode()


def test_the_worklist_is_for_the_archive_heads_and_supervisors():
    org = Org("av", profile="000")
    case = ended(org)
    archivist = client_for(org.users[Role.ARCHIVIST])
    page = archivist.get(reverse("web:archive")).content.decode()
    assert case.case_no in page and "未组卷" in page and "待归档案件（1）" in page
    due = case.ended_at + datetime.timedelta(days=get_profile("000").get("archive.deadline_days"))
    assert f"须于 {timezone.localtime(due):%Y-%m-%d %H:%M} 前立卷归档" in page  # the archive.deadline rule, alone
    action(archivist, case, "assemble", {"notes": "文书齐全"})
    action(archivist, case, "assemble", {"notes": "补充文书"})
    other = ended(org)
    page = archivist.get(reverse("web:archive")).content.decode()
    assert "待归档案件（2）" in page and "第 2 版" in page and "未组卷" in page  # each case's latest file
    assert page.index(case.case_no) < page.index(other.case_no)  # the longest waiting first
    assert client_for(org.officer_users[0]).get(reverse("web:archive")).status_code == 403


def test_the_worklist_lists_the_longest_waiting_and_says_how_many_in_all(monkeypatch):
    from lawtrail.web import archive_views

    monkeypatch.setattr(archive_views, "WAITING_SHOWN", 2)
    org = Org("av", profile="000")
    cases = [ended(org) for _ in range(3)]
    page = client_for(org.users[Role.ARCHIVIST]).get(reverse("web:archive")).content.decode()
    assert "待归档案件（3）" in page and "以下为终结最早的 2 件" in page
    assert cases[0].case_no in page and cases[1].case_no in page and cases[2].case_no not in page


def test_the_worklist_works_out_retention_only_for_cases_whose_stored_expiry_has_passed(
        tmp_path, monkeypatch, django_capture_on_commit_callbacks):
    """Each recording's expiry is kept in the database, written by the job that follows every
    change of its case; the worklist looks again, live, only at the cases whose date passed."""
    from lawtrail.archive import selectors
    from lawtrail.archive.models import RecordingExpiry
    from lawtrail.web import archive_views

    org = Org("ex", profile="002")
    long_ago = timezone.now() - datetime.timedelta(days=200)
    cases, recordings = [], []
    for name, when in (("巡查旧录像.mp4", long_ago), ("巡查新录像.mp4", timezone.now())):
        with django_capture_on_commit_callbacks(execute=True):  # the jobs run, as in production
            case = org.open_case(matter_type=MatterType.PATROL)
            org.final_record(case, "filing_approval")
            recordings.append(ingest(org, case, make_video(tmp_path / name, seconds=1, creation_time=when),
                                     activity="patrol"))
            org.conclude(case)
            org.archive(case)
        cases.append(case)
    old, new = (RecordingExpiry.objects.get(recording=r) for r in recordings)
    assert old.expires_on < timezone.localdate() < new.expires_on  # 002: 6 months from the recording
    looked_at = []
    real = selectors.retention_rows
    monkeypatch.setattr(archive_views.selectors, "retention_rows", lambda case: looked_at.append(case.pk) or real(case))
    page = client_for(org.users[Role.ARCHIVIST]).get(reverse("web:archive")).content.decode()
    assert "巡查旧录像.mp4" in page and "巡查新录像.mp4" not in page
    assert looked_at == [cases[0].pk]


def test_the_worklist_fills_in_expiry_dates_missing_or_older_than_the_archiving(tmp_path):
    """Recordings from before the dates were kept, or whose job was lost with its queue
    (this suite runs no commit hooks unless asked): the worklist works them out itself."""
    from lawtrail.archive.expiry import expiries_refresh
    from lawtrail.archive.models import RecordingExpiry

    org = Org("ex", profile="002")
    case = org.open_case(matter_type=MatterType.PATROL)
    org.final_record(case, "filing_approval")
    recording = ingest(org, case, make_video(tmp_path / "巡查录像.mp4", seconds=1,
                                             creation_time=timezone.now() - datetime.timedelta(days=200)),
                       activity="patrol")
    expiries_refresh(case)  # while the case was open: 002 counts from the recording, already fixed
    RecordingExpiry.objects.filter(recording=recording).update(expires_on=None, computed_at=timezone.now()
                                                               - datetime.timedelta(days=1))  # as if still pending
    org.conclude(case)
    org.archive(case)
    archivist = client_for(org.users[Role.ARCHIVIST])
    assert "巡查录像.mp4" in archivist.get(reverse("web:archive")).content.decode()  # older than the archiving
    assert RecordingExpiry.objects.get(recording=recording).expires_on < timezone.localdate()
    RecordingExpiry.objects.all().delete()
    assert "巡查录像.mp4" in archivist.get(reverse("web:archive")).content.decode()  # none at all
    assert RecordingExpiry.objects.filter(recording=recording).exists()


def test_the_scheduled_check_fills_in_the_expiry_dates_the_worklist_would_otherwise_work_out(tmp_path, capsys):
    from lawtrail.archive.models import RecordingExpiry
    from lawtrail.archive.retention import recording_retention
    from lawtrail.cli import main

    org = Org("ex", profile="002")
    case = org.open_case(matter_type=MatterType.PATROL)
    org.final_record(case, "filing_approval")
    recording = ingest(org, case, make_video(tmp_path / "巡查录像.mp4", seconds=1), activity="patrol")
    org.conclude(case)
    org.archive(case)
    assert not RecordingExpiry.objects.exists()  # (no commit hooks here: as after an upgrade)
    assert main(["check", "--record"]) == 0
    assert "已补算 1 个案件的音像记录保存期限" in capsys.readouterr().err
    retention = recording_retention(recording)
    assert "6 个月" in retention.summary  # 日常巡查 under 002 第十一条
    assert RecordingExpiry.objects.get(recording=recording).expires_on == retention.expires_on > timezone.localdate()
    assert main(["check", "--record"]) == 0 and "补算" not in capsys.readouterr().err  # nothing left to fill in


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks are PostgreSQL's (SQLite has one writer)")
@pytest.mark.django_db(transaction=True)
def test_two_refreshes_of_a_case_expiry_dates_take_turns(tmp_path):
    """A worker refreshing a case waits for another that holds the case, then reads the facts
    as they are after it: the two never write their rows over each other."""
    import threading

    from django.db import connections, transaction

    from lawtrail.archive.expiry import expiries_refresh
    from lawtrail.archive.models import RecordingExpiry
    from lawtrail.cases.models import Case

    org = Org("tt", profile="002")
    case = org.open_case(matter_type=MatterType.PATROL)
    ingest(org, case, make_video(tmp_path / "巡查录像.mp4", seconds=1), activity="patrol")
    done = threading.Event()

    def other_worker():
        try:
            expiries_refresh(Case.objects.select_related("agency").get(pk=case.pk))
            done.set()
        finally:
            connections.close_all()

    with transaction.atomic():
        Case.objects.select_for_update().get(pk=case.pk)  # this worker holds the case
        thread = threading.Thread(target=other_worker)
        thread.start()
        assert not done.wait(0.5)  # the other waits for it
        expiries_refresh(case)
    thread.join(10)
    assert done.is_set() and RecordingExpiry.objects.filter(case=case).count() == 1
