"""The public 扫码验真 page: no sign-in, no more than the paper shows, nothing of a
confidential case but that the document exists, every lookup logged, lookups rate-limited."""

import datetime

import pytest
from django.test import Client
from django.utils import timezone

from lawtrail.access.services import item_confidentiality_set
from lawtrail.cases.enums import Confidentiality
from lawtrail.ledger.chain import ledger_flush
from lawtrail.ledger.models import Entry
from lawtrail.records.models import Seal, SealLevel
from lawtrail.records.services import record_correct, record_create, record_finalise
from lawtrail.testing import complete_data, sign_all
from lawtrail.records.catalog import doc_type
from lawtrail.web.tests.test_views import client_for

DOC = "inquiry_record"


def finalised(org, **case_fields):
    case = org.open_case(**case_fields)
    record = record_create(actor=org.officer_users[0], case=case, doc_type_code=DOC,
                           data=complete_data(doc_type(DOC)))
    sign_all(org, record)
    return record_finalise(actor=org.officer_users[0], record=record)


def page(code, client=None, **extra):
    return (client or Client()).get(f"/verify/{code}", **extra)


def lookups():
    ledger_flush()
    return list(Entry.objects.filter(action="record.verify").order_by("seq"))


def test_anyone_sees_what_the_paper_shows_without_signing_in(org):
    record = finalised(org)
    response = page(record.verify_code)
    assert response.status_code == 200
    html = response.content.decode()
    day = timezone.localtime(record.finalised_at)
    number = record.number.removeprefix(f"{record.case.case_no}-")  # a 笔录's 编号, within its case
    for shown in (record.title, f"案内第 {number} 号", org.agency.name, f"{day.year}年{day.month}月{day.day}日",
                  record.pdf_sha256, "真实存在"):
        assert shown in html
    case = record.case
    party = case.parties.first()
    for hidden in (case.case_no, case.title, party.name, party.id_number, record.data["interviewee"]):
        assert hidden not in html


def test_a_public_page_shows_no_signed_in_menu(org):
    record = finalised(org)
    html = page(record.verify_code, client_for(org.officer_users[0])).content.decode()
    assert "真实存在" in html
    assert "案件管理" not in html and "退出" not in html


def test_a_code_is_found_however_it_is_typed(org):
    record = finalised(org)
    code = record.verify_code
    typed = f"{code[:4].lower()}-{code[4:8]} {code[8:]}"
    response = Client().get("/verify/", {"code": typed})
    assert response.status_code == 302 and response["Location"] == f"/verify/{code}"
    assert page(typed.replace(" ", "")).status_code == 200


def test_the_form_page_asks_for_a_code(db):
    response = Client().get("/verify/")
    assert response.status_code == 200 and "输入文书上的验真码" in response.content.decode()


@pytest.mark.parametrize("level", [Confidentiality.PRIVACY, Confidentiality.COMMERCIAL,
                                   Confidentiality.STATE_SECRET])
def test_of_a_confidential_case_only_the_existence_and_hash_are_shown(org, level):
    record = finalised(org, confidentiality=level)
    html = page(record.verify_code).content.decode()
    assert "真实存在" in html and record.pdf_sha256 in html and "涉及保密事项" in html
    for hidden in (record.title, record.number, org.agency.name, record.case.case_no):
        assert hidden not in html


def test_a_record_marked_confidential_on_its_own_shows_only_its_existence(org):
    record = finalised(org)
    item_confidentiality_set(actor=org.head, case=record.case, level=Confidentiality.PRIVACY,
                             reason="含未成年人信息", record=record)
    html = page(record.verify_code).content.decode()
    assert "真实存在" in html and record.number not in html and record.title not in html


def test_a_corrected_document_says_so_and_its_correction_has_its_own_code(org):
    original = finalised(org)
    correction = record_correct(actor=org.officer_users[0], record=original, reason="当事人姓名笔误")
    assert "已被更正" not in page(original.verify_code).content.decode()  # a draft correction is not in force
    sign_all(org, correction)
    correction = record_finalise(actor=org.officer_users[0], record=correction)
    html = page(original.verify_code).content.decode()
    assert "已被更正，现行的是第 2 版" in html and correction.verify_code not in html
    assert "已被更正" not in page(correction.verify_code).content.decode()


def test_an_unknown_code_is_a_chinese_404(db):
    response = page("ABCDEFGHJKLM")
    assert response.status_code == 404
    assert "验真码 ABCDEFGHJKLM 不存在" in response.content.decode()


def test_a_draft_or_a_wrong_code_finds_nothing(org):
    record = finalised(org)
    assert page(record.verify_code[:-1]).status_code == 404
    assert page(record.verify_code * 2).status_code == 404


def test_a_sealed_or_time_stamped_version_is_offered_as_genuine_too(org):
    record = finalised(org)
    Seal.objects.create(record=record, pdf_sha256="ab" * 32, level=SealLevel.B_T, certificate_sha256="cd" * 32,
                        certificate_subject="CN=测试执法局", sealed_at=timezone.now())
    html = page(record.verify_code).content.decode()
    assert record.pdf_sha256 in html and "ab" * 32 in html and "PAdES-B-T" in html


def test_every_lookup_found_or_not_is_in_the_access_log_with_its_address(org):
    record = finalised(org)
    page(record.verify_code, REMOTE_ADDR="203.0.113.7")
    page("ZZZZZZZZZZZZ", REMOTE_ADDR="203.0.113.8")
    found, unknown = lookups()
    assert found.actor == "system" and found.actor_id is None
    assert (found.object_type, found.object_id, found.scope) == ("records.record", str(record.pk), record.case.scope)
    assert "203.0.113.7" in found.reason and record.number in found.reason
    assert unknown.object_id == "" and "ZZZZZZZZZZZZ" in unknown.reason and "203.0.113.8" in unknown.reason


def test_too_many_lookups_from_one_address_are_refused_with_429(org, settings):
    settings.LAWTRAIL_VERIFY_LOOKUPS = 3
    record = finalised(org)
    statuses = [page(record.verify_code, REMOTE_ADDR="198.51.100.1").status_code for _ in range(3)]
    statuses.append(page("ABCDEFGHJKLM", REMOTE_ADDR="198.51.100.1").status_code)
    refused = page(record.verify_code, REMOTE_ADDR="198.51.100.1")
    assert statuses == [200, 200, 200, 429] and refused.status_code == 429
    assert "查询过于频繁" in refused.content.decode() and record.number not in refused.content.decode()
    assert page(record.verify_code, REMOTE_ADDR="198.51.100.2").status_code == 200  # another address
    assert len(lookups()) == 4  # refused requests looked nothing up


def test_the_limit_starts_again_in_the_next_window(org, settings, monkeypatch):
    settings.LAWTRAIL_VERIFY_LOOKUPS = 1
    record = finalised(org)
    now = datetime.datetime(2026, 12, 2, 10, 0, tzinfo=datetime.timezone.utc).timestamp()
    monkeypatch.setattr("lawtrail.core.ratelimit.time.time", lambda: now)
    assert [page(record.verify_code).status_code for _ in range(2)] == [200, 429]
    now += settings.LAWTRAIL_VERIFY_WINDOW
    assert page(record.verify_code).status_code == 200
