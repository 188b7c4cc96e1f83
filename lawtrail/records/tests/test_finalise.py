"""Finalising refuses a record the regulation's words leave incomplete, and says which article
asks for what is missing — also for items asked only when something happened."""

import pytest

from lawtrail.core.errors import InvalidInput
from lawtrail.records.catalog import doc_type
from lawtrail.records.services import record_create, record_finalise
from lawtrail.testing import Org, complete_data, sign_all


def finalised(org, code, **data):
    case = org.open_case()
    record = record_create(actor=org.officer_users[0], case=case, doc_type_code=code,
                           data={**complete_data(doc_type(code)), **data})
    sign_all(org, record)
    return record_finalise(actor=org.officer_users[0], record=record)


@pytest.mark.parametrize("profile, article", [("001", "001 第十九条"), ("003", "003 第二十条"), ("004", "004 第二十六条")])
def test_it_refuses_a_public_notice_that_does_not_say_why_other_service_failed(db, profile, article):
    """001 第十九条: "公告送达应重点记录已经采用其他方式均无法送达的情况以及公告送达的方式和载体"."""
    with pytest.raises(InvalidInput, match=f"请填写“采用其他方式均无法送达的情况”（{article}）"):
        finalised(Org("fp", profile=profile), "service_public", other_methods_failed="")


def test_it_refuses_an_inquiry_record_without_the_officers_certificate_numbers(db):
    """004 第十二条（一）: "行政执法人员的数量、姓名、执法证件编号及向行政相对人出示证件情况"."""
    with pytest.raises(InvalidInput, match="请填写“执法证件编号”（004 第十二条）"):
        finalised(Org("fi", profile="004"), "inquiry_record", cert_numbers=" ")


def test_an_objection_to_enforcement_is_recorded_with_its_handling_under_004(db):
    """004 第二十八条: "行政相对人或第三人对行政强制执行提出异议的，应当书面记录异议主体、异议内容、
    异议时间、行政执法机关对异议的处理意见等内容"."""
    org = Org("fo", profile="004")
    with pytest.raises(InvalidInput, match="请填写“异议记录”（004 第二十八条）"):
        finalised(org, "enforcement_record", objected="是", objections=[])
    done = finalised(org, "enforcement_record", objected="是",
                     objections=[["第三人王某", "主张林木归其所有", "2026-11-20", "经核查权属证明，异议不成立"]])
    assert done.status == "final"
    assert finalised(org, "enforcement_record", objected="否", objections=[]).status == "final"


def test_other_texts_do_not_ask_for_the_objection_record(db):
    """003 第二十二条 records the 申请法院强制执行, not objections to it."""
    assert finalised(Org("fq", profile="003"), "enforcement_record", objected="是", objections=[]).status == "final"


def test_a_fine_collected_on_the_spot_is_recorded_as_it_was_collected(db):
    """000 第二十一条（六）: "对符合当场收缴罚款情况的实施过程" — asked when the fine was collected on the spot."""
    with pytest.raises(InvalidInput, match="请填写“当场收缴罚款的实施过程”（000 第二十一条）"):
        finalised(Org("fs", profile="000"), "simple_procedure_record", collected_on_spot="是", on_spot_collection="")
    assert finalised(Org("ft", profile="000"), "simple_procedure_record", collected_on_spot="否",
                     on_spot_collection="").status == "final"


@pytest.mark.parametrize("profile, article", [("000", "000 第十条"), ("003", "003 第十三条")])
def test_a_refusal_to_be_investigated_is_described(db, profile, article):
    """000 第十条: "当事人或有关人员拒绝接受调查和提供证据的，应当进行记录"."""
    with pytest.raises(InvalidInput, match=f"请填写“拒绝接受调查、提供证据的情况”（{article}）"):
        finalised(Org("fu", profile=profile), "inquiry_record", uncooperative="是", uncooperative_account="")
