"""Signatures captured offline (signqueue.js) and sent once back online: taken only as
captured, on the content the signer saw, by the officer who captured them."""

import base64
import datetime
import hashlib
import json

import pytest
from django.utils import timezone

from lawtrail.ledger.models import Entry
from lawtrail.records.catalog import doc_type
from lawtrail.records.services import record_create, record_update
from lawtrail.samples import png_bytes
from lawtrail.web.offline_sign_views import capture_digest
from lawtrail.web.tests.test_record_views import CODE, form_payload, record_url
from lawtrail.web.tests.test_views import client_for


@pytest.fixture
def record(org):
    return record_create(actor=org.officer_users[0], case=org.open_case(), doc_type_code=CODE,
                         data={"place": "某村林场", "content": "问：林地由谁占用？答：本人。"})


def captured(org, record, slot="party", by=None, **changes):
    """What the phone keeps at capture: the drawing, its hash, the device's time and the
    record's form as shown, hashed together (as signqueue.js does)."""
    image = png_bytes()
    pairs = [[key, value] for key, value in form_payload(doc_type(CODE), record.data).items() if isinstance(value, str)]
    capture = {
        "record": str(record.pk), "slot": slot, "signer_name": "王某" if slot == "party" else "",
        "officer": "" if slot == "party" else str(org.officers[0].pk), "method": "handwritten",
        "device_time": (timezone.now() - datetime.timedelta(hours=2)).isoformat(),
        "captured_by": (by or org.officer_users[0]).username,
        "image_data": "data:image/png;base64," + base64.b64encode(image).decode(),
        "image_sha256": hashlib.sha256(image).hexdigest(),
        "section": json.dumps(pairs, ensure_ascii=False, separators=(",", ":")), "attachments": [],
    }
    capture["capture_sha256"] = capture_digest(capture)
    capture.update(changes)
    return capture


def send(user, record, capture, slot="party"):
    return client_for(user).post(record_url(record, "web:record_sign_captured", slot=slot), json.dumps(capture),
                                 content_type="application/json", HTTP_ACCEPT="application/json")


def test_a_signature_captured_offline_keeps_its_device_time_beside_the_servers(org, record):
    capture = captured(org, record)
    response = send(org.officer_users[0], record, capture)
    assert response.status_code == 200 and response.json()["ok"]
    signature = record.signatures.get(slot="party")
    assert signature.signer_name == "王某" and signature.image_sha256 == capture["image_sha256"]
    assert signature.device_time == datetime.datetime.fromisoformat(capture["device_time"])
    assert signature.signed_at - signature.device_time > datetime.timedelta(hours=1)
    assert signature.recorded_by == org.officer_users[0]
    assert "离线采集" in Entry.objects.get(action="record.sign").reason
    page = client_for(org.officer_users[0]).get(record_url(record)).content.decode()
    assert "后送达系统" in page


def test_sending_it_twice_keeps_one_signature(org, record):
    capture = captured(org, record)
    assert send(org.officer_users[0], record, capture).status_code == 200
    assert send(org.officer_users[0], record, capture).status_code == 200
    assert record.signatures.count() == 1


def test_a_drawing_altered_after_capture_is_refused(org, record):
    other = base64.b64encode(png_bytes() + b"\0").decode()
    response = send(org.officer_users[0], record, captured(org, record, image_data="data:image/png;base64," + other))
    assert response.status_code == 409 and "签名图像与采集时计算的校验值不一致" in response.json()["error"]
    assert not record.signatures.exists()


def test_a_device_time_or_name_altered_after_capture_is_refused(org, record):
    for change in ({"device_time": timezone.now().isoformat()}, {"signer_name": "李某"}):
        response = send(org.officer_users[0], record, captured(org, record, **change))
        assert response.status_code == 409 and "与采集时计算的校验值不一致" in response.json()["error"]
    assert not record.signatures.exists()


def test_a_signature_whose_section_changed_since_capture_is_refused(org, record):
    capture = captured(org, record)
    record_update(actor=org.officer_users[1], record=record, data={**record.data, "content": "问：改过的内容。"})
    response = send(org.officer_users[0], record, capture)
    assert response.status_code == 409
    assert "所签的内容已被修改，此签名未采用" in response.json()["error"]
    assert not record.signatures.exists()


def test_the_content_shown_at_capture_counts_even_before_its_draft_was_saved(org, record):
    """Written and signed offline: the draft reaches the server first, then the signature."""
    edited = {**record.data, "content": "问：现场有几人？答：三人。"}
    capture = captured(org, record)
    pairs = [[k, v] for k, v in form_payload(doc_type(CODE), edited).items() if isinstance(v, str)]
    capture["section"] = json.dumps(pairs, ensure_ascii=False, separators=(",", ":"))
    capture["capture_sha256"] = capture_digest(capture)
    assert send(org.officer_users[0], record, capture).status_code == 409  # not yet on the server
    record_update(actor=org.officer_users[0], record=record, data=edited)
    assert send(org.officer_users[0], record, capture).status_code == 200


def test_only_the_officer_who_captured_it_may_send_it_and_he_is_named_as_colleagues_know_him(org, record):
    response = send(org.officer_users[1], record, captured(org, record))
    error = response.json()["error"]
    assert response.status_code == 403 and error == f"此签名是在{org.officers[0].name}登录时离线采集的，须由其本人登录后提交"
    assert org.officer_users[0].username not in error  # a login name is not a name
    assert not record.signatures.exists()


def test_a_capturer_the_server_cannot_name_is_described_not_quoted(org, record):
    response = send(org.officer_users[1], record, captured(org, record, captured_by="someone.else"))
    error = response.json()["error"]
    assert response.status_code == 403 and "另一位执法人员" in error and "someone.else" not in error


def test_an_officers_own_slot_captured_by_a_colleague_still_needs_his_password(org, record):
    """Offline capture does not relax who signs: officer 0's slot sent by officer 1 is refused."""
    capture = captured(org, record, slot="officers", by=org.officer_users[1])
    response = send(org.officer_users[1], record, capture, slot="officers")
    assert response.status_code == 403 and "不能代签" in response.json()["error"]
    assert not record.signatures.exists()


def test_a_party_signature_captured_by_an_officer_not_handling_the_case_is_refused(org, record):
    outsider = org.officer_users[2]  # same department, not on this case's team
    response = send(outsider, record, captured(org, record, by=outsider))
    assert response.status_code in (403, 404)
    assert not record.signatures.exists()


def test_a_capture_for_another_record_is_refused(org, record):
    other = record_create(actor=org.officer_users[0], case=record.case, doc_type_code=CODE, data=record.data)
    response = send(org.officer_users[0], other, captured(org, record))
    assert response.status_code == 422 and "与本文书的签名栏不符" in response.json()["error"]
    assert not other.signatures.exists()


def test_an_officer_of_another_agency_cannot_reach_the_record(org, other_org, record):
    outsider = other_org.officer_users[0]
    assert send(outsider, record, captured(org, record, by=outsider)).status_code == 404
    assert not record.signatures.exists()


@pytest.mark.parametrize("change", [{"signer_name": 5}, {"attachments": [1]}, {"attachments": "abc"},
                                    {"image_data": 7}, {"device_time": ["2024-01-01"]}])
def test_a_capture_whose_fields_are_not_text_is_refused_as_incomplete(org, record, change):
    response = send(org.officer_users[0], record, {**captured(org, record), **change})
    assert response.status_code == 400 and response.json()["error"] == "离线签名数据不完整，未采用"
    assert not record.signatures.exists()


def test_sent_again_after_its_section_changed_it_is_refused_not_reported_signed(org, record):
    """The first answer was lost; meanwhile the content changed, voiding the signature."""
    capture = captured(org, record)
    assert send(org.officer_users[0], record, capture).status_code == 200
    record_update(actor=org.officer_users[1], record=record, data={**record.data, "content": "问：改过的内容。"})
    response = send(org.officer_users[0], record, capture)
    assert response.status_code == 409 and "所签的内容已被修改" in response.json()["error"]
    assert record.signatures.count() == 1


@pytest.mark.parametrize("role", ["head", "reviewer", "archivist", "supervisor", "admin"])
def test_nobody_but_a_handling_officer_sends_a_party_signature_captured_offline(org, record, role):
    """The write matrix's row for this endpoint (its payload is a capture, not a form)."""
    from lawtrail.org.enums import Role

    user = org.users[Role(role)] if Role(role) in org.users else org.user(Role(role))
    response = send(user, record, captured(org, record, by=user))
    assert response.status_code in (403, 404), response.content
    assert not record.signatures.exists()
    assert not Entry.objects.filter(action__startswith="record.").exclude(action__in=["record.create", "record.view"])


def test_the_record_page_names_how_a_captured_signature_was_confirmed_without_nested_brackets(org, record):
    send(org.officer_users[0], record, captured(org, record))
    page = client_for(org.officer_users[0]).get(record_url(record)).content.decode()
    assert "（手写签名，承办人设备采集、承办人见证）" in page and "（承办人见证））" not in page
