"""Record forms pick what the case holds instead of retyping it: the document served, the
party questioned, the recording of a refusal, the official writing; an error keeps what was typed."""

import re

from django.urls import reverse

from lawtrail.cases.enums import Confidentiality
from lawtrail.access.services import item_confidentiality_set
from lawtrail.media.tests.test_recordings import ingest
from lawtrail.org.enums import Role
from lawtrail.records.models import Record
from lawtrail.samples import make_video
from lawtrail.testing import Org
from lawtrail.web.tests.test_views import client_for


def create(client, case, code):
    response = client.post(reverse("web:record_create", args=[case.pk]), {"doc_type": code})
    return Record.objects.get(pk=int(response["Location"].rstrip("/").rsplit("/", 1)[-1]))


def page_of(client, record):
    return client.get(reverse("web:record_detail", args=[record.case_id, record.pk])).content.decode()


def picker(page, name):
    return page.split(f'data-testid="pick-{name}"', 1)[1].split("</select>", 1)[0]


def test_a_service_receipt_starts_with_the_cases_one_decision(org):
    case = org.open_case()
    decision = org.final_record(case, "decision")
    client = client_for(org.officer_users[0])
    receipt = create(client, case, "service_direct")
    assert receipt.data["document_name"] == decision.title and receipt.data["document_number"] == decision.number
    options = picker(page_of(client, receipt), "document")
    assert f"《{decision.title}》{decision.number}</option>" in options and " selected>" in options


def test_with_two_decisions_the_officer_picks_which_one_is_served(org):
    case = org.open_case()
    first, second = org.final_record(case, "decision"), org.final_record(case, "seizure_decision")
    client = client_for(org.officer_users[0])
    receipt = create(client, case, "service_mail")
    assert "document_number" not in receipt.data  # not guessed
    options = picker(page_of(client, receipt), "document")
    assert first.number in options and second.number in options and " selected>" not in options
    values = re.findall(r'data-values="([^"]+)"', options)
    assert any(second.number in v and "document_name" in v for v in values)


def test_the_document_picker_never_offers_what_the_viewer_may_not_see(org):
    case = org.open_case()
    decision = org.final_record(case, "decision")
    receipt = create(client_for(org.officer_users[0]), case, "service_direct")
    item_confidentiality_set(actor=org.head, case=case, level=Confidentiality.PRIVACY, reason="涉及个人隐私",
                             record=decision)
    outsider = org.officer("不承办本案的执法人员").user  # same department: sees the case, not the marked item
    page = page_of(client_for(outsider), receipt)
    assert decision.number not in picker(page, "document")
    assert decision.number in picker(page_of(client_for(org.officer_users[0]), receipt), "document")


def test_the_interviewee_is_filled_in_from_the_party(org):
    case = org.open_case()
    party = case.parties.get()
    client = client_for(org.officer_users[0])
    record = create(client, case, "inquiry_record")
    number = party.id_number
    assert record.data["interviewee"] == party.name and record.data["interviewee_id"] == number
    assert record.data["interviewee_gender"] == ("男" if int(number[16]) % 2 else "女")
    assert record.data["interviewee_birth"] == f"{number[6:10]}-{number[10:12]}-{number[12:14]}"
    assert record.data.get("interviewee_address") == (party.address or None)
    assert f">{party.name}</option>" in picker(page_of(client, record), "party")


def test_for_an_organisation_its_legal_representative_is_questioned(org):
    case = org.open_case(parties=0)
    company = {"kind": "organisation", "name": "大连某某有限公司", "id_type": "uscc",
               "id_number": "91110000600037341L", "legal_representative": "王五", "address": "大连市中山区"}
    from lawtrail.cases.services import party_add

    party_add(actor=org.head, case=case, **company)
    client = client_for(org.officer_users[0])
    record = create(client, case, "inquiry_record")
    assert record.data["interviewee"] == "王五" and record.data["interviewee_employer"] == "大连某某有限公司"
    assert "interviewee_id" not in record.data  # the company's credit code is not his ID
    assert ">大连某某有限公司（王五）</option>" in picker(page_of(client, record), "party")
    receipt = create(client, case, "service_direct")
    assert receipt.data["recipient"] == "大连某某有限公司"


def test_a_reviewer_writing_the_legal_review_is_its_reviewer(org):
    case = org.open_case()
    reviewer = org.users[Role.REVIEWER]
    client = client_for(reviewer)
    record = create(client, case, "legal_review")
    assert record.data["reviewer_name"] == reviewer.display_name
    page = page_of(client, record)
    field = page.split('name="reviewer_name"', 1)[1].split("</select>", 1)[0]
    assert f'<option value="{reviewer.display_name}" selected>' in field  # a choice, not a text box


def refusal_case(tmp_path):
    org = Org("pk", profile="004")  # 004 asks for a witness or a video when a party refuses
    case = org.open_case()
    video, _ = ingest(org, case, make_video(tmp_path / "拒签过程.mp4", seconds=1))
    client = client_for(org.officer_users[0])
    return org, case, video, client, create(client, case, "inquiry_record")


def test_a_refused_refusal_keeps_what_was_typed_and_says_why_at_its_field(db, tmp_path):
    org, case, _, client, record = refusal_case(tmp_path)
    response = client.post(reverse("web:record_refuse", args=[case.pk, record.pk, "party"]),
                           {"signer_name": "李四", "reason": "认为笔录记载不实", "witness_name": "", "video_ref": ""})
    page = response.content.decode()
    assert response.status_code in (400, 422)
    assert 'value="李四"' in page and 'value="认为笔录记载不实"' in page
    assert 'data-testid="refusal-error">拒签须有其他在场人员签字证明或录像记录' in page
    assert 'role="alert">拒签须有' not in page  # at its field, not at the top of the page
    assert not record.signatures.exists()


def test_the_refusal_video_is_picked_from_the_cases_recordings(db, tmp_path):
    org, case, video, client, record = refusal_case(tmp_path)
    page = page_of(client, record)
    select = page.split('data-testid="refusal-video"', 1)[1].split("</select>", 1)[0]
    assert f'<option value="{video.filename}">{video.filename}（' in select
    assert 'name="video_ref" placeholder' not in page  # no typed file name
    client.post(reverse("web:record_refuse", args=[case.pk, record.pk, "party"]),
                {"signer_name": "李四", "reason": "拒绝签字", "video_ref": video.filename})
    assert record.signatures.get().video_ref == video.filename


def test_a_picked_recording_of_another_case_is_not_offered(db, tmp_path):
    org, case, video, client, record = refusal_case(tmp_path)
    other = org.open_case()
    elsewhere, _ = ingest(org, other, make_video(tmp_path / "别案录像.mp4", seconds=1))
    assert elsewhere.filename not in page_of(client, record)


def test_the_upload_form_starts_with_the_officers_checked_out_device(org):
    from lawtrail.supervision.models import DeviceEventKind
    from lawtrail.supervision.services import device_event, device_register

    case = org.open_case()
    head = org.head
    mine = device_register(actor=head, department=org.department, device_no="DSJ-0007", model="执法记录仪 A")
    device_register(actor=head, department=org.department, device_no="DSJ-0008", model="执法记录仪 A")
    officer = org.officer_users[1]
    device_event(actor=head, device=mine, kind=DeviceEventKind.CHECKOUT, officer=officer.officer)
    page = client_for(officer).get(reverse("web:case_detail", args=[case.pk])).content.decode()
    assert 'value="DSJ-0007" data-testid="device-no"' in page
    assert f'<option value="{officer.officer.cert_no}" selected>' in page  # and he is the one recording
    other = client_for(org.officer_users[0]).get(reverse("web:case_detail", args=[case.pk])).content.decode()
    assert 'value="" data-testid="device-no"' in other and '<option value="DSJ-0008">' in other


def test_a_refused_signature_keeps_who_signs_and_how_at_its_slot(org):
    from django.core.files.uploadedfile import SimpleUploadedFile

    case = org.open_case()
    client = client_for(org.officer_users[0])
    record = create(client, case, "inquiry_record")
    response = client.post(reverse("web:record_sign", args=[case.pk, record.pk, "party"]), {
        "method": "scan", "signer_name": "李四", "image_file": SimpleUploadedFile("sign.png", b"not a picture")})
    page = response.content.decode()
    assert response.status_code in (400, 422)
    slot = page.split('id="slot-party"', 1)[1].split('id="slot-', 1)[0]
    assert 'data-testid="sign-error">签名图像须为 PNG、JPEG 或 PDF 文件' in slot  # at its slot, not the page's top
    assert 'value="李四"' in slot and '<option value="scan" selected>' in slot
    response = client.post(reverse("web:record_sign", args=[case.pk, record.pk, "officers"]), {
        "method": "handwritten", "officer": org.officers[1].pk, "password": "wrong-password"})
    slot = response.content.decode().split('id="slot-officers"', 1)[1].split('id="slot-', 1)[0]
    assert f'<option value="{org.officers[1].pk}" selected' in slot and "wrong-password" not in slot
    assert not record.signatures.exists()


def test_the_recordings_used_as_evidence_are_ticked_not_typed(org, tmp_path):
    case = org.open_case()
    first, _ = ingest(org, case, make_video(tmp_path / "现场检查1.mp4", seconds=1))
    second, _ = ingest(org, case, make_video(tmp_path / "现场检查2.mp4", seconds=2))
    client = client_for(org.officer_users[0])
    record = create(client, case, "handling_opinion")
    assert record.data["drafter"] == org.officers[0].name  # whoever writes it drafts it
    page = page_of(client, record)
    assert f'type="checkbox" name="av_evidence" value="{first.filename}"' in page
    payload = {key: value for key, value in record.data.items() if isinstance(value, str)}
    client.post(reverse("web:record_detail", args=[case.pk, record.pk]),
                {**payload, "av_evidence": [first.filename, second.filename]})
    record.refresh_from_db()
    assert record.data["av_evidence"] == f"{first.filename}、{second.filename}"
    page = page_of(client, record)
    assert re.search(rf'value="{re.escape(second.filename)}"[^>]*checked', page)
