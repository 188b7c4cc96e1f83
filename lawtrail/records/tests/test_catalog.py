"""Every document type of the catalog: a complete one is finalised; a missing field or
signature is refused with its name."""

import pytest

from lawtrail.blobs import blob_store
from lawtrail.core.errors import InvalidInput
from lawtrail.records.catalog import catalog, doc_type
from lawtrail.records.models import RecordStatus
from lawtrail.records.services import record_create, record_finalise
from lawtrail.testing import complete_data, sign_all

TYPES = sorted(catalog())


def test_the_catalog_covers_every_document_the_issue_lists():
    titles = " ".join(t.title for t in catalog().values())
    for name in ("立案审批表", "投诉举报登记", "投诉举报处理告知", "申请登记", "受理", "不予受理", "补正", "回执",
                 "随机抽查", "询问笔录", "调查笔录", "现场检查（勘验）笔录", "调取证据通知书", "证据登记保存清单",
                 "抽样取证清单", "先行登记保存", "查封（扣押）", "权利告知书", "陈述申辩笔录", "复核", "听证告知",
                 "听证笔录", "鉴定委托书", "鉴定意见书", "专家论证", "案件处理意见", "法制审核意见", "集体讨论记录",
                 "负责人审批", "行政执法决定书", "简易程序", "直接送达", "留置送达", "邮寄送达", "委托、转交送达",
                 "公告送达", "履行情况", "整改核查", "催告书", "强制执行记录", "申请人民法院强制执行", "结案报告"):
        assert name in titles, name


def test_the_decision_states_the_seven_items_of_004_article_20():
    fields = doc_type("decision").fields
    # what was decided names the document (行政处罚决定书 …); the agency's name, seal and date
    # (第二十条 (六)) are the issuer block of its layout, not a field typed in
    assert [f.label for f in fields[:7]] == ["决定类型", "当事人的基本情况", "事实认定及相关证据", "法律依据与适用理由",
                                             "处理结论", "救济的途径和期限", "其他应当载明的事项"]
    # and, where the decision orders a correction, its deadline (000 第二十三条: the check follows it),
    # and where it imposes a fine, how to pay it
    assert [(f.key, f.required) for f in fields[7:]] == [
        ("rectify_by", False), ("fine_amount", False), ("payment_deadline", False), ("payment_method", False),
        ("payment_account", False)]


def test_every_type_cites_regulation_articles():
    for spec in catalog().values():
        assert spec.cite and all(c[:3] in {"000", "001", "002", "003", "004"} and "第" in c for c in spec.cite), spec.code


@pytest.mark.parametrize("code", TYPES)
def test_a_complete_record_is_finalised(org, code):
    record = record_create(actor=org.officer_users[0], case=org.open_case(), doc_type_code=code,
                           data=complete_data(doc_type(code)))
    sign_all(org, record)
    record = record_finalise(actor=org.officer_users[0], record=record)
    assert record.status == RecordStatus.FINAL
    spec = doc_type(code)
    if spec.issued:  # a 文号: 机关代字 + 文书代字 〔year〕 N号
        assert record.number.startswith(org.agency.case_prefix + spec.code_word(record.data))
        assert record.number.endswith("号")
    else:  # a 编号 within the case
        assert record.number.startswith(record.case.case_no + "-")
    with blob_store().open(record.pdf_sha256) as pdf:
        assert pdf.read(5) == b"%PDF-"


@pytest.mark.parametrize("code", TYPES)
def test_a_record_missing_a_required_field_is_refused_naming_it(org, code):
    spec = doc_type(code)
    missing = next(f for f in spec.fields if f.required)
    data = complete_data(spec)
    data[missing.key] = ""  # blanked on purpose: also clears what the case would pre-fill
    record = record_create(actor=org.officer_users[0], case=org.open_case(), doc_type_code=code, data=data)
    sign_all(org, record)
    with pytest.raises(InvalidInput, match=f"请填写“{missing.label}”"):
        record_finalise(actor=org.officer_users[0], record=record)


@pytest.mark.parametrize("code", TYPES)
def test_a_record_missing_a_signature_is_refused_naming_it(org, code):
    spec = doc_type(code)
    signer = next(s for s in spec.signers if s.min >= 1)
    record = record_create(actor=org.officer_users[0], case=org.open_case(), doc_type_code=code,
                           data=complete_data(spec))
    sign_all(org, record, skip_slot=signer.slot)
    with pytest.raises(InvalidInput, match=f"缺少“{signer.label}”签名"):
        record_finalise(actor=org.officer_users[0], record=record)
