"""A signature is made by the person it names (《电子签名法》第十三条) and covers its section:
officials sign their own slots, signed in or proving themselves on the device; parties and
witnesses sign on a handling officer's device; a later section never voids an earlier one."""

import datetime

import pytest
from django.conf import settings
from django.test import RequestFactory

from lawtrail.core.errors import InvalidInput, NotAllowed
from lawtrail.ledger.models import Entry
from lawtrail.org.enums import Role
from lawtrail.records.catalog import doc_type
from lawtrail.records.models import SignAuth
from lawtrail.records.selectors import (
    record_content_hash, resign_needed, slot_signers, valid_signatures, voided_signatures,
)
from lawtrail.records.services import record_create, record_finalise, record_refuse, record_sign, record_update
from lawtrail.samples import png_bytes
from lawtrail.testing import PASSWORD, complete_data, totp_code, totp_device


def a_request(user=None):
    request = RequestFactory().post("/sign/", REMOTE_ADDR="10.1.2.3")
    if user is not None:
        request.user = user
    return request


def draft(org, code="filing_approval", **data):
    case = org.open_case()
    return record_create(actor=org.officer_users[0], case=case, doc_type_code=code,
                         data={**complete_data(doc_type(code)), **data})


def sign(officer_or_user, record, slot="officers", **kwargs):
    return record_sign(actor=officer_or_user, record=record, slot=slot, method="handwritten", image=png_bytes(),
                       **kwargs)


def denials(case):
    return list(Entry.objects.filter(action="case.denied", scope=case.scope).values_list("reason", flat=True))


def test_an_officer_cannot_sign_another_officers_slot_and_the_attempt_is_logged(org):
    record = draft(org)
    other = org.officers[1]
    with pytest.raises(NotAllowed, match=f"须由{other.name}本人签署"):
        sign(org.officer_users[0], record, officer=other, request=a_request())
    assert not record.signatures.exists()
    assert any(f"须由{other.name}本人签署" in reason for reason in denials(record.case))


def test_an_officer_signs_his_own_slot_signed_in(org):
    record = draft(org)
    signature = sign(org.officer_users[0], record)  # no officer named: the signed-in officer's own slot
    assert (signature.officer, signature.user, signature.auth) == (org.officers[0], org.officer_users[0],
                                                                   SignAuth.SESSION)
    assert signature.recorded_by == org.officer_users[0]


def test_a_second_officer_signs_on_the_first_ones_device_with_his_own_password(org):
    record = draft(org)
    sign(org.officer_users[0], record)
    second = org.officers[1]
    signature = sign(org.officer_users[0], record, officer=second, password=PASSWORD, request=a_request())
    assert (signature.user, signature.auth, signature.recorded_by) == (second.user, SignAuth.PASSWORD,
                                                                       org.officer_users[0])
    entry = Entry.objects.filter(action="record.sign").latest("seq")
    assert "本人重新输入密码" in entry.reason and second.name in entry.reason


def test_a_wrong_password_is_refused_logged_and_counts_toward_the_lockout(org):
    record = draft(org)
    second = org.officers[1]
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        with pytest.raises(NotAllowed, match="密码不正确"):
            sign(org.officer_users[0], record, officer=second, password="wrong", request=a_request())
    with pytest.raises(NotAllowed, match="锁定"):
        sign(org.officer_users[0], record, officer=second, password="wrong", request=a_request())
    # Locked: even the right password no longer signs, as it would not sign in.
    with pytest.raises(NotAllowed, match="锁定"):
        sign(org.officer_users[0], record, officer=second, password=PASSWORD, request=a_request())
    assert not record.signatures.exists()
    failed = Entry.objects.filter(action="user.login_failed", reason__contains=second.user.username)
    assert failed.count() >= settings.AXES_FAILURE_LIMIT


def test_the_head_slot_is_the_heads_own(org):
    record = draft(org)
    with pytest.raises(NotAllowed, match="须由本机关负责人本人签署"):
        sign(org.officer_users[0], record, slot="head", request=a_request())
    other_agency_head = type(org)().head
    with pytest.raises(NotAllowed, match="须由本机关负责人本人签署"):
        sign(org.officer_users[0], record, slot="head", signer_user=other_agency_head, password=PASSWORD,
             request=a_request())
    assert sign(org.head, record, slot="head").auth == SignAuth.SESSION


def test_a_head_signing_on_an_officers_device_gives_password_and_dynamic_code(org):
    record = draft(org)
    device = totp_device(org.head)
    with pytest.raises(InvalidInput, match="登录密码和手机验证器上的动态验证码"):
        sign(org.officer_users[0], record, slot="head", signer_user=org.head, password=PASSWORD,
             request=a_request())
    signature = sign(org.officer_users[0], record, slot="head", signer_user=org.head, password=PASSWORD,
                     otp=totp_code(device), request=a_request())
    assert (signature.user, signature.auth) == (org.head, SignAuth.TOTP)


def test_a_party_signs_on_a_handling_officers_device_who_witnesses_it(org):
    record = draft(org, "inquiry_record")
    with pytest.raises(NotAllowed, match="本案承办人登录的设备上采集"):
        sign(org.head, record, slot="party", signer_name="张三")
    device_time = "2026-12-02T09:58:00+08:00"
    signature = sign(org.officer_users[0], record, slot="party", signer_name="张三", device_time=device_time)
    assert signature.auth == SignAuth.CAPTURED and signature.recorded_by == org.officer_users[0]
    assert signature.device_time == datetime.datetime.fromisoformat(device_time)
    assert signature.signed_at > signature.device_time  # the server's own time beside the device's
    for impossible in ("昨天", "2024-13-45T00:00:00"):  # the second parses, then has no month 13
        with pytest.raises(InvalidInput, match="设备时间格式不正确"):
            sign(org.officer_users[0], record, slot="party", signer_name="李四", device_time=impossible)


def test_a_refusal_is_recorded_by_a_handling_officer_only(org):
    record = draft(org, "inquiry_record")
    with pytest.raises(NotAllowed, match="本案承办人"):
        record_refuse(actor=org.head, record=record, slot="party", signer_name="张三", reason="不签",
                      witness_name="王五")
    refusal = record_refuse(actor=org.officer_users[0], record=record, slot="party", signer_name="张三",
                            reason="不签", witness_name="王五")
    assert refusal.auth == SignAuth.CAPTURED and refusal.covers == list(doc_type("inquiry_record").covers("party"))


def test_a_signature_keeps_the_hash_of_exactly_the_content_its_section_covers(org):
    record = draft(org)
    signature = sign(org.officer_users[0], record)
    spec = doc_type("filing_approval")
    assert signature.covers == list(spec.covers("officers"))
    assert "handler_opinion" in signature.covers
    assert not {"department_opinion", "head_opinion", "opinion_time"} & set(signature.covers)
    assert signature.content_hash == record_content_hash(record, signature.covers)
    assert spec.covers("head") == tuple(f.key for f in spec.fields)  # the head's covers the whole form


def test_filling_a_later_section_leaves_the_earlier_signatures_standing(org):
    record = draft(org, head_opinion=None)
    sign(org.officer_users[0], record)
    sign(org.officer_users[0], record, officer=org.officers[1], password=PASSWORD, request=a_request())
    data = {**record.data, "head_opinion": "同意立案", "department_opinion": "同意"}
    updated = record_update(actor=org.head, record=record, data=data)
    assert updated.voided == []
    assert len(valid_signatures(updated)) == 2
    sign(org.head, updated, slot="head")
    assert record_finalise(actor=org.officer_users[0], record=updated).is_final


def test_changing_covered_content_voids_those_signatures_and_tells_their_signers(org):
    record = draft(org)
    first = sign(org.officer_users[0], record)
    sign(org.head, record, slot="head")
    changed = record_update(actor=org.officer_users[0], record=record,
                            data={**record.data, "basic_facts": "补充了新的事实"})
    assert {s.signer_name for s in changed.voided} == {org.officers[0].name, org.head.display_name}
    assert valid_signatures(changed) == []
    entry = Entry.objects.filter(action="record.update").latest("seq")
    assert "以下签名失效须重新签署" in entry.reason and org.officers[0].name in entry.reason
    # Their 待办: the officer and the head each see the record to sign again; the other officer does not.
    assert [(r.pk, [s.pk for s in mine]) for r, mine in resign_needed(org.officer_users[0])] == [
        (record.pk, [first.pk])]
    assert [r.pk for r, _ in resign_needed(org.head)] == [record.pk]
    assert resign_needed(org.officer_users[1]) == []
    # Signing again clears it.
    sign(org.officer_users[0], changed)
    assert resign_needed(org.officer_users[0]) == []
    assert [s.signer_name for s in voided_signatures(changed)] == [org.head.display_name]


def test_the_department_slot_is_for_a_department_official_who_does_not_handle_the_case(org):
    record = draft(org)
    chief = org.user(Role.OFFICER)
    assert chief in slot_signers(record.case, doc_type("filing_approval").signer("department"))
    assert org.officer_users[0] not in slot_signers(record.case, doc_type("filing_approval").signer("department"))
    with pytest.raises(NotAllowed, match="非本案承办人"):
        sign(org.officer_users[0], record, slot="department", request=a_request())
    signature = sign(org.officer_users[0], record, slot="department", signer_user=chief, password=PASSWORD,
                     request=a_request())
    assert (signature.user, signature.auth) == (chief, SignAuth.PASSWORD)
    assert signature.covers == [k for k in signature.covers if k not in ("head_opinion", "opinion_time")]
