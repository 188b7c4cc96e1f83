"""Signing, refusing, finalising, correcting and attaching, with every error path."""

import hashlib
import subprocess

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction

from lawtrail.archive.integrity import verify_ledger
from lawtrail.blobs import blob_store
from lawtrail.core.errors import Conflict, InvalidInput, NotAllowed, NotFound
from lawtrail.ledger.models import Entry
from lawtrail.org.enums import Role
from lawtrail.records.catalog import doc_type
from lawtrail.records.models import Record, RecordStatus
from lawtrail.records.selectors import draft_revision, valid_signatures, versions
from lawtrail.records.services import (
    record_attach, record_correct, record_create, record_discard, record_finalise, record_refuse, record_sign,
    record_update,
)
from lawtrail.samples import png_bytes
from lawtrail.testing import Org, complete_data, sign_all


def draft(org, code="inquiry_record", **overrides):
    data = {**complete_data(doc_type(code)), **overrides}
    return record_create(actor=org.officer_users[0], case=org.open_case(), doc_type_code=code, data=data)


def final(org, code="inquiry_record"):
    record = draft(org, code)
    sign_all(org, record)
    return record_finalise(actor=org.officer_users[0], record=record)


def test_an_edit_from_an_older_version_is_refused_and_the_later_save_stands(org):
    record = draft(org)
    base = draft_revision(record)
    saved = record_update(actor=org.officer_users[1], record=record, data={**record.data, "content": "同事写的"},
                          base_revision=base)
    assert saved.revision == draft_revision(saved) != base
    with pytest.raises(Conflict, match="服务器上的草稿已被修改") as refused:
        record_update(actor=org.officer_users[0], record=record, data={**record.data, "content": "本机写的"},
                      base_revision=base)
    assert refused.value.field == "base_revision"
    record.refresh_from_db()
    assert record.data["content"] == "同事写的"
    # The same content is the same version: a save that continues it goes through.
    record_update(actor=org.officer_users[0], record=record, data={**record.data, "content": "接着写的"},
                  base_revision=saved.revision)


def test_a_refusal_counts_for_the_party_and_is_printed(org):
    record = draft(org)
    sign_all(org, record, skip_slot="party")
    record_refuse(actor=org.officer_users[0], record=record, slot="party", signer_name="张三", reason="认为处罚过重")
    record = record_finalise(actor=org.officer_users[0], record=record)
    assert record.is_final
    with blob_store().open(record.pdf_sha256) as f:
        pdf = f.read()
    text = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True).stdout.decode()
    assert "张三 拒绝签名" in text and "认为处罚过重" in text


def test_a_refusal_needs_a_reason(org):
    with pytest.raises(InvalidInput, match="请填写拒签理由"):
        record_refuse(actor=org.officer_users[0], record=draft(org), slot="party", signer_name="张三", reason="")


def test_officers_cannot_refuse_in_their_own_slot(org):
    with pytest.raises(InvalidInput, match="不适用拒签记录"):
        record_refuse(actor=org.officer_users[0], record=draft(org), slot="officers", signer_name="甲", reason="x")


def test_under_004_a_refusal_needs_a_witness_or_a_video(db):
    org = Org("hy", profile="004")
    record = draft(org)
    with pytest.raises(InvalidInput, match="004 第十九条"):
        record_refuse(actor=org.officer_users[0], record=record, slot="party", signer_name="李四", reason="不认可")
    record_refuse(actor=org.officer_users[0], record=record, slot="party", signer_name="李四", reason="不认可",
                  witness_name="王五")
    sign_all(org, record, skip_slot="party")
    assert record_finalise(actor=org.officer_users[0], record=record).is_final


def test_editing_a_draft_voids_the_signatures_given_on_the_old_text(org):
    record = draft(org)
    sign_all(org, record)
    assert len(valid_signatures(record)) == 3
    record = record_update(actor=org.officer_users[0], record=record,
                           data={**record.data, "content": "补充询问内容"})
    assert valid_signatures(record) == []
    with pytest.raises(InvalidInput, match="缺少“询问人”签名"):
        record_finalise(actor=org.officer_users[0], record=record)


def test_only_handling_officers_sign_as_officers(org):
    record = draft(org)
    with pytest.raises(InvalidInput, match="须由本案承办人签名"):
        record_sign(actor=org.officer_users[0], record=record, slot="officers", method="handwritten",
                    officer=org.officers[2], image=png_bytes())


def test_only_the_head_signs_as_head(org):
    record = draft(org, "head_approval")
    with pytest.raises(NotAllowed, match="须由本机关负责人本人签署"):
        record_sign(actor=org.officer_users[0], record=record, slot="head", method="handwritten", image=png_bytes())


def test_a_handwritten_signature_needs_a_real_image(org):
    record = draft(org)
    with pytest.raises(InvalidInput, match="须上传签名图像"):
        record_sign(actor=org.officer_users[0], record=record, slot="party", method="handwritten",
                    signer_name="张三")
    with pytest.raises(InvalidInput, match="PNG、JPEG 或 PDF"):
        record_sign(actor=org.officer_users[0], record=record, slot="party", method="handwritten",
                    signer_name="张三", image=b"GIF89a not allowed")
    sig = record_sign(actor=org.officer_users[0], record=record, slot="party", method="fingerprint",
                      signer_name="张三")
    assert sig.method == "fingerprint" and not sig.image_sha256


def test_the_same_person_cannot_sign_the_same_slot_twice(org):
    record = draft(org)
    record_sign(actor=org.officer_users[0], record=record, slot="party", method="seal", signer_name="张三")
    with pytest.raises(Conflict, match="已在“被询问人”栏签署"):
        record_sign(actor=org.officer_users[0], record=record, slot="party", method="seal", signer_name="张三")


def test_fields_are_validated_by_type(org):
    with pytest.raises(InvalidInput, match="“询问开始时间”格式不正确"):
        draft(org, started_at="昨天下午")
    with pytest.raises(InvalidInput, match="没有这些栏目：bogus"):
        draft(org, bogus="x")
    with pytest.raises(InvalidInput, match="第 1 行须填写 4 项"):
        draft(org, "evidence_register", items="只有名称")
    with pytest.raises(InvalidInput, match="只能是"):
        draft(org, "service_mail", mail_method="顺丰")


def test_mail_service_only_by_the_methods_the_profile_allows(org):
    record = draft(org, "service_mail", mail_method="其他快递")
    sign_all(org, record)
    with pytest.raises(InvalidInput, match="003 第二十条"):
        record_finalise(actor=org.officer_users[0], record=record)
    hengyang = Org("hy", profile="004")  # 004 第二十四条 allows 快递
    record = draft(hengyang, "service_mail", mail_method="其他快递")
    sign_all(hengyang, record)
    assert record_finalise(actor=hengyang.officer_users[0], record=record).is_final


def test_a_finalised_record_is_an_original(org):
    record = final(org)
    with pytest.raises(Conflict, match="已定稿"):
        record_update(actor=org.officer_users[0], record=record, data={})
    with pytest.raises(Conflict):
        record_sign(actor=org.officer_users[0], record=record, slot="party", method="seal", signer_name="某")
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        Record.objects.filter(pk=record.pk).update(data={"content": "改写"})
    with pytest.raises(IntegrityError), transaction.atomic():
        Record.objects.filter(pk=record.pk).delete()


def test_a_correction_is_a_new_version_and_both_stay_readable(org):
    first = final(org)
    with pytest.raises(InvalidInput, match="请填写更正理由"):
        record_correct(actor=org.officer_users[0], record=first, reason="")
    second = record_correct(actor=org.officer_users[0], record=first, reason="询问地点笔误")
    assert (second.version, second.previous, second.status) == (2, first, RecordStatus.DRAFT)
    with pytest.raises(Conflict, match="已有更正版本"):
        record_correct(actor=org.officer_users[0], record=first, reason="再次更正")
    second = record_update(actor=org.officer_users[0], record=second, data={**second.data, "place": "执法队询问室"})
    sign_all(org, second)
    second = record_finalise(actor=org.officer_users[0], record=second)
    assert second.number == first.number and second.pdf_sha256 != first.pdf_sha256
    assert versions(first) == versions(second) == [first, second]
    first.refresh_from_db()
    assert first.data["place"] != "执法队询问室"
    actions = list(Entry.objects.filter(object_type="records.record", object_id__in=[first.pk, second.pk])
                   .values_list("action", flat=True))
    assert actions.count("record.finalise") == 2 and "record.correct" in actions
    assert verify_ledger().ok


def test_wenhao_are_per_document_code_and_gap_free(org):
    a, b = final(org, "rights_notice"), final(org, "rights_notice")
    assert a.number.endswith("1号") and b.number.endswith("2号")
    assert final(org, "hearing_notice").number.endswith("〔%s〕1号" % a.finalised_at.year)


def test_internal_records_are_numbered_within_their_case_without_gaps(org):
    case = org.open_case()
    numbers = [final_in(org, case, code).number for code in ("inquiry_record", "site_inspection_record")]
    assert numbers == [f"{case.case_no}-01", f"{case.case_no}-02"]


def final_in(org, case, code):
    record = record_create(actor=org.officer_users[0], case=case, doc_type_code=code,
                           data=complete_data(doc_type(code)))
    sign_all(org, record)
    return record_finalise(actor=org.officer_users[0], record=record)


def upload(content, name="签字页.pdf", content_type="application/pdf"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def test_attachments_are_kept_byte_for_byte_and_listed_in_the_pdf(org):
    record = draft(org)
    content = bytes(range(256)) * 100
    attachment = record_attach(actor=org.officer_users[0], record=record, upload=upload(content),
                               description="当事人签字页")
    with blob_store().open(attachment.sha256) as f:
        assert f.read() == content
    assert attachment.size == len(content) and attachment.sha256 == hashlib.sha256(content).hexdigest()
    assert Entry.objects.filter(action="record.attach", object_id=str(attachment.pk)).exists()
    sign_all(org, record)
    record = record_finalise(actor=org.officer_users[0], record=record)
    with blob_store().open(record.pdf_sha256) as f:
        text = subprocess.run(["pdftotext", "-", "-"], input=f.read(), capture_output=True).stdout.decode()
    assert "签字页.pdf" in text and "当事人签字页" in text and attachment.sha256[:16] in text.replace("\n", "")


def test_an_empty_or_oversized_attachment_is_refused_and_nothing_is_kept(org):
    record = draft(org)
    with pytest.raises(InvalidInput, match="附件为空"):
        record_attach(actor=org.officer_users[0], record=record, upload=upload(b""))
    import lawtrail.records.services as services

    big = upload(b"x" * (services.MAX_ATTACHMENT_BYTES + 1))
    with pytest.raises(InvalidInput, match="附件不能超过 50 MB"):
        record_attach(actor=org.officer_users[0], record=record, upload=big)
    assert not record.attachments.exists()


def test_attaching_after_signing_voids_the_signatures(org):
    record = draft(org)
    sign_all(org, record)
    assert len(valid_signatures(record)) == len(record.signatures.all())
    record_attach(actor=org.officer_users[0], record=record, upload=upload(b"%PDF-1.4 scan"))
    assert valid_signatures(record) == []


def test_a_final_record_takes_no_attachment(org):
    with pytest.raises(Conflict, match="已定稿"):
        record_attach(actor=org.officer_users[0], record=final(org), upload=upload(b"late"))


def test_a_draft_can_be_discarded_with_a_reason_but_not_a_final(org):
    record = draft(org)
    record = record_discard(actor=org.officer_users[0], record=record, reason="重复制作")
    assert record.status == RecordStatus.DISCARDED
    with pytest.raises(Conflict):
        record_discard(actor=org.officer_users[0], record=final(org), reason="x")


def test_other_agencies_and_other_roles_cannot_write(org, other_org):
    case = org.open_case()
    with pytest.raises(NotFound):
        record_create(actor=other_org.head, case=case, doc_type_code="inquiry_record")
    with pytest.raises(NotAllowed):
        record_create(actor=org.users[Role.ARCHIVIST], case=case, doc_type_code="inquiry_record")
    with pytest.raises(InvalidInput, match="未知的文书类型"):
        record_create(actor=org.head, case=case, doc_type_code="nonsense")


def test_the_pdf_carries_the_chinese_text_the_number_and_embedded_fonts(org, tmp_path):
    record = final(org, "decision")
    path = tmp_path / "decision.pdf"
    with blob_store().open(record.pdf_sha256) as f:
        path.write_bytes(f.read())
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    for expected in ("行政处罚决定书", record.number, org.agency.name, "本机关决定", "第1页共1页"):
        assert expected in text, expected
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    cjk = [line for line in fonts.splitlines() if "CJK" in line]
    assert cjk and all(line.split()[-5] == "yes" for line in cjk), fonts  # the "emb" column


def test_a_new_record_is_prefilled_from_the_case_and_given_values_win(org):
    case = org.open_case()
    officers = [a.officer for a in case.assignments.select_related("officer")]
    party = case.parties.first()
    record = record_create(actor=org.officer_users[0], case=case, doc_type_code="inquiry_record",
                           data={"interviewee": "另一名被询问人"})
    assert record.data["officer_count"] == 2
    assert record.data["officer_names"] == "、".join(o.name for o in officers)
    assert record.data["cert_numbers"] == "、".join(o.cert_no for o in officers)
    assert record.data["interviewee"] == "另一名被询问人"
    start = record_create(actor=org.officer_users[0], case=case, doc_type_code="filing_approval")
    assert start.data["start_reason"] == "检查中发现违法线索" and start.data["case_source"] == "依职权"
    assert party.name in start.data["party_info"] and party.id_number in start.data["party_info"]
