"""Confidentiality and grants: who sees a confidential case, the request → approve/deny
flow with its time limit, copy grants, and 002 第十五条's approval to view recordings."""

import datetime

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from lawtrail.access.models import GrantStatus
from lawtrail.access.policy import visible_cases
from lawtrail.access.services import grant_decide, grant_request
from lawtrail.cases.enums import Confidentiality
from lawtrail.core.errors import Conflict, InvalidInput, NotAllowed, NotFound
from lawtrail.ledger.models import Entry
from lawtrail.org.enums import Role
from lawtrail.samples import make_video
from lawtrail.testing import Org, sign_in

pytestmark = pytest.mark.django_db


def web(user):
    return sign_in(Client(), user)


@pytest.fixture
def secret(org):
    case = org.open_case(title="某科技公司商业秘密案", confidentiality=Confidentiality.COMMERCIAL)
    org.final_record(case, "filing_approval")
    return case


def test_a_confidential_case_is_absent_for_everyone_without_a_part_in_it(org, secret):
    insiders = [org.officer_users[0], org.officer_users[1], org.head]
    outsiders = [org.users[Role.SUPERVISOR], org.users[Role.ARCHIVIST], org.users[Role.REVIEWER],
                 org.user(Role.OFFICER)]  # a colleague in the same department
    for user in insiders:
        assert visible_cases(user).filter(pk=secret.pk).exists(), user.role
        assert web(user).get(reverse("web:case_detail", args=[secret.pk])).status_code == 200
    for user in outsiders:
        assert not visible_cases(user).filter(pk=secret.pk).exists(), user.role
        client = web(user)
        assert client.get(reverse("web:case_detail", args=[secret.pk])).status_code == 404
        listing = client.get(reverse("web:case_list"), {"q": "商业秘密"}).content.decode()
        assert "某科技公司" not in listing
        api = client.get("/api/cases").json()
        assert secret.case_no not in str(api)
        assert client.get(f"/api/cases/{secret.pk}/records").status_code == 404


def test_a_grant_opens_the_case_for_its_time_only(org, secret, monkeypatch):
    supervisor = org.users[Role.SUPERVISOR]
    grant = grant_request(actor=supervisor, case=secret, kind="view", reason="案件质量评查")
    assert not visible_cases(supervisor).filter(pk=secret.pk).exists()
    with pytest.raises(NotAllowed, match="负责人"):
        grant_decide(actor=org.users[Role.ARCHIVIST], grant=grant, approve=True, reason="同意")
    with pytest.raises(InvalidInput, match="1 至 90 天"):
        grant_decide(actor=org.head, grant=grant, approve=True, reason="同意", days=365)
    grant_decide(actor=org.head, grant=grant, approve=True, reason="同意查阅", days=3)
    grant.refresh_from_db()
    assert grant.status == GrantStatus.APPROVED
    assert grant.expires_at - grant.decided_at == datetime.timedelta(days=3)
    assert visible_cases(supervisor).filter(pk=secret.pk).exists()
    later = timezone.now() + datetime.timedelta(days=4)
    monkeypatch.setattr("lawtrail.access.policy.timezone.now", lambda: later)
    assert not visible_cases(supervisor).filter(pk=secret.pk).exists()
    with pytest.raises(Conflict, match="已批准"):
        grant_decide(actor=org.head, grant=grant, approve=False, reason="撤回")


def test_a_denied_grant_keeps_the_case_closed_and_a_head_never_approves_their_own(org, secret, other_org):
    archivist = org.users[Role.ARCHIVIST]
    grant = grant_request(actor=archivist, case=secret, kind="view", reason="整理")
    grant_decide(actor=org.head, grant=grant, approve=False, reason="无须查阅")
    assert not visible_cases(archivist).filter(pk=secret.pk).exists()
    with pytest.raises(NotFound):
        grant_request(actor=other_org.head, case=secret, kind="view", reason="跨机关")
    with pytest.raises(Conflict, match="审批中"):
        grant_request(actor=archivist, case=secret, kind="copy", reason="一")
        grant_request(actor=archivist, case=secret, kind="copy", reason="二")
    second_head = org.user(Role.HEAD)
    own = grant_request(actor=second_head, case=secret, kind="copy", reason="自用")
    with pytest.raises(NotAllowed, match="自己的申请"):
        grant_decide(actor=second_head, grant=own, approve=True, reason="同意")


def test_copying_a_confidential_case_needs_a_copy_grant_and_refusals_are_logged(org, secret):
    supervisor = org.users[Role.SUPERVISOR]
    grant_decide(actor=org.head, grant=grant_request(actor=supervisor, case=secret, kind="view", reason="评查"),
                 approve=True, reason="同意")
    record = secret.records.get()
    client = web(supervisor)
    assert client.get(reverse("web:case_detail", args=[secret.pk])).status_code == 200
    response = client.get(f"/api/cases/{secret.pk}/records/{record.pk}/pdf")
    assert response.status_code == 403 and "复制许可" in response.json()["detail"]
    denied = Entry.objects.get(action="case.denied", actor=supervisor.username)
    assert "被拒绝" in denied.reason and denied.scope == secret.scope
    grant_decide(actor=org.head, grant=grant_request(actor=supervisor, case=secret, kind="copy", reason="复核"),
                 approve=True, reason="同意复制")
    assert client.get(f"/api/cases/{secret.pk}/records/{record.pk}/pdf").status_code == 200
    viewed = Entry.objects.filter(action="case.view", actor=supervisor.username).latest("seq")
    assert "依据调阅许可 #" in viewed.reason  # the access log says under which grant


def test_002_recordings_need_the_heads_approval_to_be_viewed(tmp_path):
    from lawtrail.media.services import describe, recording_ingest

    org = Org("g", profile="002")
    case = org.open_case()
    description = describe(org.officer_users[0], {"case_no": case.case_no, "officer_cert": org.officers[0].cert_no})
    recording, _ = recording_ingest(actor=org.officer_users[0], path=make_video(tmp_path / "v.mp4"),
                                    description=description, filename="v.mp4")
    archivist = org.users[Role.ARCHIVIST]
    play = f"/api/cases/{case.pk}/recordings/{recording.pk}/play"
    response = web(archivist).post(play)
    assert response.status_code == 403 and "002 第十五条" in response.json()["detail"]
    page = web(archivist).get(reverse("web:recording_detail", args=[case.pk, recording.pk]))
    assert page.status_code == 403 and "申请调阅许可" in page.content.decode()
    assert web(org.officer_users[0]).post(play).status_code == 200  # the officer who recorded it
    grant_decide(actor=org.head, grant=grant_request(actor=archivist, case=case, kind="av_view", reason="归档核对"),
                 approve=True, reason="同意")
    assert web(archivist).post(play).status_code == 200


def test_the_grant_pages_and_api(org, secret):
    supervisor, head = web(org.users[Role.SUPERVISOR]), web(org.head)
    page = supervisor.post(reverse("web:grant_request"), {"case_no": secret.case_no, "kind": "view",
                                                          "reason": "质量评查"}, follow=True).content.decode()
    assert "已提交查阅涉密案件申请" in page and "待审批" in page
    page = supervisor.post(reverse("web:grant_request"), {"case_no": "不存在", "kind": "view", "reason": "x"},
                           follow=True).content.decode()
    assert "本机关没有该案号的案件" in page
    [pending] = head.get("/api/grants").json()
    page = head.post(reverse("web:grant_decide", args=[pending["id"]]), {"approve": "1", "reason": "同意",
                                                                         "days": "5"}, follow=True).content.decode()
    assert "已审批：已批准，有效期至" in page
    assert supervisor.get(reverse("web:case_detail", args=[secret.pk])).status_code == 200
    response = supervisor.post("/api/grants", {"case_no": secret.case_no, "kind": "copy", "reason": "复核"},
                               content_type="application/json")
    assert response.status_code == 201 and response.json()["status"] == "pending"
    response = supervisor.post(f"/api/grants/{response.json()['id']}/decide",
                               {"approve": True, "reason": "自批"}, content_type="application/json")
    assert response.status_code == 403


def test_pdfs_of_a_confidential_case_leave_watermarked_with_who_and_when(org, secret):
    import hashlib
    import io
    import subprocess

    from pypdf import PdfReader

    from lawtrail.blobs import blob_store

    record = secret.records.get()
    officer = org.officer_users[0]
    response = web(officer).get(f"/api/cases/{secret.pk}/records/{record.pk}/pdf")
    assert response.status_code == 200 and response["X-Original-SHA256"] == record.pdf_sha256
    body = response.content
    assert hashlib.sha256(body).hexdigest() != record.pdf_sha256  # a stamped copy, the original untouched
    text = subprocess.run(["pdftotext", "-", "-"], input=body, capture_output=True).stdout.decode()
    assert f"商业秘密 · {officer.display_name} {officer.username} · " in text
    original = PdfReader(io.BytesIO(blob_store().open(record.pdf_sha256).read()))
    assert len(PdfReader(io.BytesIO(body)).pages) == len(original.pages)
    plain = org.open_case()
    plain_record = org.final_record(plain, "filing_approval")
    response = web(officer).get(f"/api/cases/{plain.pk}/records/{plain_record.pk}/pdf")
    assert hashlib.sha256(b"".join(response.streaming_content)).hexdigest() == plain_record.pdf_sha256


def test_a_confidential_recording_plays_under_who_is_watching_and_when(org, tmp_path):
    """The words lie over the picture (a film of the screen names its source); the file
    streamed is the original, byte for byte. A recording of an open case plays plain,
    until it is itself marked confidential."""
    import hashlib

    from lawtrail.access.services import item_confidentiality_set
    from lawtrail.media.services import describe, recording_ingest

    case = org.open_case(title="普通检查案")
    officer = org.officer_users[0]
    path = make_video(tmp_path / "现场检查.mp4", seconds=1)
    recording, _ = recording_ingest(actor=officer, path=path, filename=path.name, description=describe(
        officer, {"case_no": case.case_no, "officer_cert": org.officers[0].cert_no}))
    url = reverse("web:recording_detail", args=[case.pk, recording.pk])
    page = web(officer).get(url).content.decode()
    assert 'data-testid="watermark"' not in page
    item_confidentiality_set(actor=officer, case=case, level=Confidentiality.PRIVACY, reason="涉及未成年人",
                             recording=recording)
    client = web(officer)
    page = client.get(url).content.decode()
    assert 'data-testid="watermark"' in page
    assert f"个人隐私 · {officer.display_name} {officer.username} · " in page and " 调阅</span>" in page
    stream = page.split('src="/media/stream/', 1)[1].split('"', 1)[0]
    stream = f"/media/stream/{stream}"
    played = b"".join(client.get(stream).streaming_content)
    assert hashlib.sha256(played).hexdigest() == recording.sha256


def test_a_record_marked_more_confidential_than_its_case_is_hidden_from_outsiders(org, tmp_path):
    case = org.open_case(title="普通检查案")
    plain = org.final_record(case, "filing_approval")
    private = org.final_record(case, "inquiry_record")
    officer, supervisor = web(org.officer_users[0]), web(org.users[Role.SUPERVISOR])
    page = officer.post(reverse("web:item_confidentiality", args=[case.pk]),
                        {"record": private.pk, "level": "privacy", "reason": "涉及未成年人"}, follow=True)
    assert "已设定密级：个人隐私" in page.content.decode()
    assert "个人隐私" in officer.get(reverse("web:record_detail", args=[case.pk, private.pk])).content.decode()
    listed = [r["id"] for r in supervisor.get(f"/api/cases/{case.pk}/records").json()]
    assert plain.pk in listed and private.pk not in listed
    assert supervisor.get(f"/api/cases/{case.pk}/records/{private.pk}").status_code == 404
    assert supervisor.get(reverse("web:record_detail", args=[case.pk, private.pk])).status_code == 404
    case_page = supervisor.get(reverse("web:case_detail", args=[case.pk])).content.decode()
    assert reverse("web:record_detail", args=[case.pk, private.pk]) not in case_page
    assert reverse("web:record_detail", args=[case.pk, plain.pk]) in case_page
    assert supervisor.get(f"/api/cases/{case.pk}/records/{plain.pk}/pdf").status_code == 403  # copying needs a grant
    page = supervisor.post(reverse("web:item_confidentiality", args=[case.pk]),
                           {"record": plain.pk, "level": "privacy", "reason": "越权"}, follow=True)
    assert "只有本案承办人或负责人可以设定记录密级" in page.content.decode()
    grant_decide(actor=org.head, grant=grant_request(actor=org.users[Role.SUPERVISOR], case=case, kind="view",
                                                     reason="评查"), approve=True, reason="同意")
    assert private.pk in [r["id"] for r in supervisor.get(f"/api/cases/{case.pk}/records").json()]
    assert Entry.objects.filter(scope=case.scope, action="confidentiality.set").exists()


def test_checklists_and_findings_never_name_a_record_or_recording_the_viewer_may_not_see(db, tmp_path):
    """A late recording and a decision marked 个人隐私: the checklist, the finding history,
    the home page and the dashboard blank their 文号 and file name for a supervisor
    without a grant; their handling officer still reads them."""
    from lawtrail.access.policy import HIDDEN_NAME
    from lawtrail.access.services import item_confidentiality_set
    from lawtrail.media.services import describe, recording_ingest
    from lawtrail.rules.services import findings_refresh

    org = Org("hide", profile="001")  # 24 hours to upload
    case = org.open_case(title="涉未成年人案")
    approval = org.final_record(case, "filing_approval")
    officer = org.officer_users[0]
    path = make_video(tmp_path / "未成年人张某询问.mp4", seconds=1,
                      creation_time=timezone.now() - datetime.timedelta(days=3))
    recording, _ = recording_ingest(actor=officer, path=path, filename=path.name, description=describe(
        officer, {"case_no": case.case_no, "officer_cert": org.officers[0].cert_no}))
    assert recording.late
    for item in ({"record": approval}, {"recording": recording}):
        item_confidentiality_set(actor=officer, case=case, level=Confidentiality.PRIVACY, reason="涉及未成年人", **item)
    findings_refresh(case)

    supervisor = web(org.users[Role.SUPERVISOR])
    pages = {name: supervisor.get(url).content.decode() for name, url in (
        ("case", reverse("web:case_detail", args=[case.pk])), ("home", reverse("web:home")),
        ("dashboard", reverse("web:dashboard")))}
    for name, page in pages.items():
        assert "未成年人张某询问" not in page and approval.number not in page, name
    assert HIDDEN_NAME in pages["case"] and HIDDEN_NAME in pages["dashboard"] and HIDDEN_NAME in pages["home"]
    own = web(officer).get(reverse("web:case_detail", args=[case.pk])).content.decode()
    assert "未成年人张某询问.mp4" in own and approval.number in own and HIDDEN_NAME not in own


def test_a_view_grant_never_allows_a_write(org, secret):
    from lawtrail.records.services import record_create

    draft = record_create(actor=org.officer_users[0], case=secret, doc_type_code="inquiry_record")
    reviewer = org.users[Role.REVIEWER]
    grant = grant_request(actor=reviewer, case=secret, kind="view", reason="复核案卷")
    grant_decide(actor=org.head, grant=grant, approve=True, reason="同意查阅", days=3)
    client = web(reviewer)
    url = f"/api/cases/{secret.pk}/records/{draft.pk}"
    assert client.get(url).status_code == 200  # the grant lets him read it
    response = client.put(url, {"data": {"interviewee": "篡改后的被询问人"}}, content_type="application/json")
    assert response.status_code == 403 and "调阅许可只允许查看" in response.json()["detail"]
    assert client.post(f"/api/cases/{secret.pk}/records", {"doc_type": "inquiry_record"},
                       content_type="application/json").status_code == 403
    draft.refresh_from_db()
    assert draft.data.get("interviewee") != "篡改后的被询问人"


def test_a_play_link_stops_the_moment_its_recording_is_marked(org, tmp_path):
    from lawtrail.access.services import item_confidentiality_set
    from lawtrail.media.services import describe, recording_ingest

    case = org.open_case()
    officer = org.officer_users[0]
    path = make_video(tmp_path / "现场.mp4", seconds=1)
    recording, _ = recording_ingest(actor=officer, path=path, filename=path.name, description=describe(
        officer, {"case_no": case.case_no, "officer_cert": org.officers[0].cert_no}))
    reviewer = web(org.users[Role.REVIEWER])
    page = reviewer.get(reverse("web:recording_detail", args=[case.pk, recording.pk])).content.decode()
    stream = "/media/stream/" + page.split('src="/media/stream/', 1)[1].split('"', 1)[0]
    assert reviewer.get(stream, HTTP_RANGE="bytes=0-99").status_code == 206
    item_confidentiality_set(actor=org.head, case=case, level=Confidentiality.PRIVACY, reason="涉及个人隐私",
                             recording=recording)
    assert reviewer.get(stream, HTTP_RANGE="bytes=0-99").status_code == 404
