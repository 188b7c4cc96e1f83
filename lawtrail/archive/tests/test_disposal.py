"""Disposal: archivist's request, head's approval, content removed, tombstone kept; never
for open or held cases, never before expiry, never without approval."""

import datetime
import json
import subprocess
import sys

import pytest
from django.test import Client
from django.utils import timezone

from lawtrail.archive.integrity import verify_ledger
from lawtrail.archive.models import DecisionStatus, DisposalRequest, HoldKind
from lawtrail.archive.package import package_export
from lawtrail.archive.services import disposal_decide, disposal_request, hold_place
from lawtrail.blobs import blob_store
from lawtrail.cases.enums import MatterType
from lawtrail.core.errors import Conflict, NotAllowed
from lawtrail.ledger.models import Entry
from lawtrail.org.enums import Role
from lawtrail.samples import make_video
from lawtrail.testing import Org, sign_in

from .conftest import archived_patrol, attached_record, ingest

pytestmark = pytest.mark.django_db
LONG_AGO = timezone.now().replace(microsecond=0) - datetime.timedelta(days=200)


@pytest.fixture
def patrol(tmp_path, django_capture_on_commit_callbacks):
    """An archived 日常巡查 case under 002 whose footage (kept 6 months) has expired."""
    org, case, recording = archived_patrol(tmp_path, "d", LONG_AGO, before_closing=attached_record)
    return org, case, recording, case.records.get(doc_type="site_inspection_record").attachments.get()


def approve(org, request, capture):
    with capture(execute=True):
        return disposal_decide(actor=org.head, request=request, approve=True, reason="同意销毁")


def test_an_approved_disposal_removes_the_content_and_keeps_a_tombstone(patrol, django_capture_on_commit_callbacks,
                                                                       tmp_path):
    org, case, recording, _ = patrol
    request = disposal_request(actor=org.users[Role.ARCHIVIST], case=case, recording=recording,
                               reason="日常巡查声像资料保存已满 6 个月")
    assert blob_store().exists(recording.sha256)
    approve(org, request, django_capture_on_commit_callbacks)
    assert not blob_store().exists(recording.sha256)
    assert not blob_store().exists(recording.thumbnail_sha256)
    request.refresh_from_db()
    assert request.status == DecisionStatus.APPROVED and request.decided_by == org.head
    tombstone = Entry.objects.get(scope=case.scope, action="recording.dispose")
    for fact in (recording.sha256, "002 第十一条", org.users[Role.ARCHIVIST].username, org.head.username):
        assert fact in tombstone.reason
    assert recording.__class__.objects.filter(pk=recording.pk).exists()  # the registration stays
    assert verify_ledger().ok

    bag = package_export(actor=org.head, case=case, out_dir=tmp_path / "bag")
    assert bag.disposed == [f"音像记录 {recording.filename}"]
    result = subprocess.run([sys.executable, str(bag.path / "verify.py"), "--json"], capture_output=True, text=True)
    assert json.loads(result.stdout)["ok"], result.stdout

    client = Client()
    sign_in(client, org.head)
    response = client.get(f"/api/cases/{case.pk}/recordings/{recording.pk}/download")
    assert response.status_code == 410 and "销毁" in response.json()["detail"]
    assert client.get(f"/cases/{case.pk}/recordings/{recording.pk}/").status_code == 410


def test_a_denied_request_keeps_the_content(patrol):
    org, case, recording, _ = patrol
    request = disposal_request(actor=org.users[Role.ARCHIVIST], case=case, recording=recording, reason="到期")
    disposal_decide(actor=org.head, request=request, approve=False, reason="拟作培训素材，暂不销毁")
    assert blob_store().exists(recording.sha256)
    assert DisposalRequest.objects.get().status == DecisionStatus.DENIED
    with pytest.raises(Conflict, match="已不予批准"):
        disposal_decide(actor=org.head, request=request, approve=True, reason="改变主意")


def test_nothing_is_disposed_of_before_expiry(patrol):
    org, case, _, attachment = patrol
    with pytest.raises(Conflict, match="保存期限未满"):
        disposal_request(actor=org.users[Role.ARCHIVIST], case=case, attachment=attachment, reason="清理")


def test_nothing_in_an_open_case_is_disposed_of(tmp_path):
    org = Org("d", profile="002")
    case = org.open_case(matter_type=MatterType.PATROL)
    recording = ingest(org, case, make_video(tmp_path / "巡查.mp4", seconds=1, creation_time=LONG_AGO),
                       activity="patrol")
    with pytest.raises(Conflict, match="未归档案件的记录一律不得销毁"):
        disposal_request(actor=org.users[Role.ARCHIVIST], case=case, recording=recording, reason="到期")


def test_a_held_case_is_never_disposed_of_even_after_the_request(patrol, django_capture_on_commit_callbacks):
    org, case, recording, _ = patrol
    request = disposal_request(actor=org.users[Role.ARCHIVIST], case=case, recording=recording, reason="到期")
    hold_place(actor=org.head, case=case, kind=HoldKind.COMPLAINT, reason="当事人投诉执法过程")
    with pytest.raises(Conflict, match="投诉、信访保全期间"):
        approve(org, request, django_capture_on_commit_callbacks)
    assert blob_store().exists(recording.sha256)
    assert DisposalRequest.objects.get().status == DecisionStatus.PENDING
    with pytest.raises(Conflict, match="保全期间"):
        disposal_request(actor=org.users[Role.ARCHIVIST], case=case, attachment=None, recording=recording,
                         reason="再次申请")


def test_disposal_needs_the_archivist_to_ask_and_the_head_to_approve(patrol):
    org, case, recording, _ = patrol
    with pytest.raises(NotAllowed, match="档案管理员"):
        disposal_request(actor=org.head, case=case, recording=recording, reason="到期")
    request = disposal_request(actor=org.users[Role.ARCHIVIST], case=case, recording=recording, reason="到期")
    for user in (org.users[Role.ARCHIVIST], org.users[Role.SUPERVISOR], org.officer_users[0]):
        with pytest.raises(NotAllowed, match="负责人"):
            disposal_decide(actor=user, request=request, approve=True, reason="同意")
    with pytest.raises(Conflict, match="已有销毁申请"):
        disposal_request(actor=org.users[Role.ARCHIVIST], case=case, recording=recording, reason="重复")
    assert blob_store().exists(recording.sha256)


def test_the_disposal_flow_through_the_api(patrol, django_capture_on_commit_callbacks):
    org, case, recording, _ = patrol
    archivist, head = Client(), Client()
    sign_in(archivist, org.users[Role.ARCHIVIST])
    sign_in(head, org.head)
    rows = archivist.get(f"/api/cases/{case.pk}/retention").json()
    row = next(r for r in rows if r["object_type"] == "media.recording")
    assert row["retention"]["class"] == "6 个月" and not row["disposed"]
    response = archivist.post(f"/api/cases/{case.pk}/disposals", {"recording_id": recording.pk, "reason": "到期"},
                              content_type="application/json")
    assert response.status_code == 201, response.content
    [pending] = head.get("/api/disposals").json()
    with django_capture_on_commit_callbacks(execute=True):
        response = head.post(f"/api/disposals/{pending['id']}/decide", {"approve": True, "reason": "同意"},
                             content_type="application/json")
    assert response.status_code == 200 and response.json()["status"] == "approved"
    row = next(r for r in archivist.get(f"/api/cases/{case.pk}/retention").json()
               if r["object_type"] == "media.recording")
    assert row["disposed"]
    other = Client()
    sign_in(other, Org("x").head)
    assert other.post(f"/api/disposals/{pending['id']}/decide", {"approve": True, "reason": "x"},
                      content_type="application/json").status_code == 404
