"""Each family of 执法文书 in its own layout, read back from the PDF as a person would see it:
the title per matter type, 文号 against 编号, the party's confirmation and signature on every
page of a 笔录, no 制作依据 in the footer, the 草稿 mark on a draft and blank forms.

Set LAWTRAIL_LAYOUT_DUMP=/some/dir to keep each PDF and its pages as PNGs (pdftoppm -r 60)
to look at."""

import os
import re
import subprocess
from pathlib import Path

import pytest

from lawtrail.blobs import blob_store
from lawtrail.records.catalog import catalog, doc_type
from lawtrail.records.pdf import render_blank, render_draft
from lawtrail.records.services import record_create, record_finalise, record_refuse, record_sign
from lawtrail.samples import png_bytes
from lawtrail.testing import complete_data, sign_all

LONG_ANSWER = "答：" + "我于当日在店内经营，所售商品均从正规渠道进货，有进货单据为证。" * 6


def pdf_bytes(record):
    with blob_store().open(record.pdf_sha256) as f:
        return f.read()


def pages(pdf, tmp_path, name="doc"):
    """The text of each page, laid out as printed; the PDF and its pictures kept when asked."""
    path = tmp_path / f"{name}.pdf"
    path.write_bytes(pdf)
    if dump := os.environ.get("LAWTRAIL_LAYOUT_DUMP"):
        out = Path(dump)
        out.mkdir(parents=True, exist_ok=True)
        (out / f"{name}.pdf").write_bytes(pdf)
        subprocess.run(["pdftoppm", "-r", "60", "-png", str(path), str(out / name)], check=True)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout
    return text.split("\f")[:-1]


def words(pdf, tmp_path):
    """[(page index, word, y of its top in points)] from pdftotext -bbox."""
    path = tmp_path / "bbox.pdf"
    path.write_bytes(pdf)
    html = subprocess.run(["pdftotext", "-bbox", str(path), "-"], capture_output=True, text=True, check=True).stdout
    found = []
    for index, page in enumerate(html.split("<page ")[1:]):
        for y, word in re.findall(r'<word xMin="[\d.]+" yMin="([\d.]+)"[^>]*>([^<]*)</word>', page):
            found.append((index, word, float(y)))
    return found


def finalised(org, code, case=None, **data):
    case = case or org.open_case()
    record = record_create(actor=org.officer_users[0], case=case, doc_type_code=code,
                           data={**complete_data(doc_type(code)), **data})
    sign_all(org, record)
    return record_finalise(actor=org.officer_users[0], record=record)


def flat(text):
    return re.sub(r"\s+", "", text)


def test_a_penalty_decision_is_titled_as_one_numbered_and_tells_how_to_pay(org, tmp_path):
    record = finalised(org, "decision", outcome="行政处罚", fine_amount=5000,
                       payment_deadline="自收到本决定书之日起十五日内", payment_method="到指定银行缴纳",
                       payment_account="中国农业银行衡阳分行 账号 1234 5678 9012")
    assert record.title == "行政处罚决定书"
    assert record.number.startswith(f"{org.agency.case_prefix}罚决〔") and record.number.endswith("号")
    text = flat("".join(pages(pdf_bytes(record), tmp_path, "决定书")))
    assert "行政处罚决定书" in text and "行政执法决定书" not in text
    assert flat(record.number) in text and "文号" not in text  # the 文号 stands alone under the title
    for expected in ("罚款人民币5000元", "到指定银行缴纳", "1234", "加处罚款", org.agency.name):
        assert flat(expected) in text, expected
    assert "执法机关名称及印章与日期" not in text and "（印章）" not in text
    # the head's approval is on file, not drawn on the decision
    head = record.signatures.get(slot="head")
    assert head.signer_name not in text


@pytest.mark.parametrize("outcome, title, word", [
    ("不予行政许可", "不予行政许可决定书", "不许决"), ("行政强制执行", "行政强制执行决定书", "强执决")])
def test_the_decisions_title_and_number_follow_what_was_decided(org, tmp_path, outcome, title, word):
    record = finalised(org, "decision", outcome=outcome)
    assert record.title == title and f"{org.agency.case_prefix}{word}〔" in record.number
    assert title in flat(pages(pdf_bytes(record), tmp_path)[0])


def test_a_decisions_title_starts_from_the_cases_matter_type(org):
    case = org.open_case(matter_type="licensing")
    record = record_create(actor=org.officer_users[0], case=case, doc_type_code="decision")
    assert record.title == "准予行政许可决定书" and case.case_no.startswith(f"{org.agency.case_prefix}许〔")


def test_internal_records_get_a_number_within_the_case_and_no_wenhao(org, tmp_path):
    case = org.open_case()
    for code in ("inquiry_record", "filing_approval", "service_direct", "evidence_register"):
        record = finalised(org, code, case=case)
        assert record.number.startswith(case.case_no + "-"), code
        text = flat(pages(pdf_bytes(record), tmp_path, code)[0])
        assert f"编号：{flat(record.number)}" in text and "文号" not in text.replace("送达文书文号", ""), code


def test_the_footer_cites_no_regulation_and_the_metadata_keeps_it(org, tmp_path):
    record = finalised(org, "inquiry_record")
    text = "".join(pages(pdf_bytes(record), tmp_path))
    assert "制作依据" not in text
    path = tmp_path / "doc.pdf"
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    assert "制作依据" in info


def test_a_two_page_inquiry_carries_the_partys_confirmation_and_signature_on_every_page(org, tmp_path):
    case = org.open_case()
    content = "\n".join(f"问：第{i}个问题，请如实回答。\n{LONG_ANSWER}" for i in range(1, 9))
    record = record_create(actor=org.officer_users[0], case=case, doc_type_code="inquiry_record",
                           data={**complete_data(doc_type("inquiry_record")), "content": content})
    sign_all(org, record, skip_slot="party")
    record_sign(actor=org.officer_users[0], record=record, slot="party", method="handwritten", signer_name="周小平",
                image=png_bytes())
    record = record_finalise(actor=org.officer_users[0], record=record)
    pdf = pdf_bytes(record)
    printed = pages(pdf, tmp_path, "询问笔录")
    assert len(printed) >= 2
    for number, page in enumerate(printed, start=1):
        page = flat(page)
        assert "以上笔录我已看过，与我说的一致。" in page, number
        assert "被询问人（签名或捺指印）：周小平" in page, number
        assert f"第{number}页共{len(printed)}页" in page
    # the confirmation stands at the foot of each page, below the questions and answers
    placed = words(pdf, tmp_path)
    for index in range(len(printed)):
        confirm = max(y for i, w, y in placed if i == index and w.startswith("以上笔录"))
        body = [y for i, w, y in placed if i == index and ("进货" in w or w.startswith("问："))]
        assert confirm > 700 and all(y < confirm for y in body)  # A4 is 842 points high
    first = flat(printed[0])
    for label in ("记录人：", "性别：", "出生日期：", "住址：", "联系电话：", "询问地点："):
        assert label in first, label


def test_a_refusal_stands_in_the_partys_place_on_every_page(org, tmp_path):
    record = record_create(actor=org.officer_users[0], case=org.open_case(), doc_type_code="inquiry_record",
                           data=complete_data(doc_type("inquiry_record")))
    sign_all(org, record, skip_slot="party")
    record_refuse(actor=org.officer_users[0], record=record, slot="party", signer_name="张三", reason="不认可")
    text = flat("".join(pages(pdf_bytes(record_finalise(actor=org.officer_users[0], record=record)), tmp_path)))
    assert "张三拒绝签名。理由：不认可" in text


def test_an_approval_form_gives_each_section_its_opinion_signature_and_date(org, tmp_path):
    record = finalised(org, "filing_approval", handler_opinion="建议立案调查", head_opinion="同意立案")
    text = pages(pdf_bytes(record), tmp_path, "立案审批表")[0]
    lines = [flat(line) for line in text.splitlines()]
    for opinion, signer in (("建议立案调查", "承办人（签名）"), ("同意立案", "负责人（签名）")):
        at = next(i for i, line in enumerate(lines) if opinion in line)
        assert any(signer in line for line in lines[at:at + 4]), signer
    head = record.signatures.get(slot="head")
    assert head.signer_name in flat(text)


def test_a_list_numbers_its_items_in_a_table(org, tmp_path):
    record = finalised(org, "evidence_register", items=[["木材", "长2米", "10根", "现场"], ["油锯", "STIHL", "1台", "现场"]])
    text = pages(pdf_bytes(record), tmp_path, "证据登记保存清单")[0]
    rows = [flat(line) for line in text.splitlines() if "木材" in line or "油锯" in line]
    assert rows[0].startswith("1木材") and rows[1].startswith("2油锯")
    assert "本清单一式两份" in flat(text)


def test_a_service_receipt_names_the_method_and_the_document(org, tmp_path):
    record = finalised(org, "service_direct", document_name="行政处罚决定书", document_number="测罚决〔2026〕1号")
    text = flat(pages(pdf_bytes(record), tmp_path, "送达回证")[0])
    assert "送达回证" in text and "送达方式直接送达" in text and "测罚决〔2026〕1号" in text


def test_a_draft_prints_marked_on_every_page(org, tmp_path):
    record = record_create(actor=org.officer_users[0], case=org.open_case(), doc_type_code="inquiry_record",
                           data={**complete_data(doc_type("inquiry_record")), "content": LONG_ANSWER * 8})
    printed = pages(render_draft(record), tmp_path, "草稿")
    assert len(printed) >= 2
    for page in printed:
        assert "草稿" in flat(page)
    assert "定稿时编号" in flat(printed[0]) and "验真码" not in flat("".join(printed))


@pytest.mark.parametrize("code", sorted(catalog()))
def test_every_type_prints_blank_for_field_use(org, tmp_path, code):
    spec = doc_type(code)
    text = flat("".join(pages(render_blank(spec, org.agency), tmp_path, f"空白_{code}")))
    title = "送达回证" if spec.layout == "receipt" else spec.title
    assert title in text and org.agency.name in text
    assert "草稿" not in text and "验真码" not in text


@pytest.mark.parametrize("code", sorted(catalog()))
def test_every_type_prints_its_title_number_and_signatures(org, tmp_path, code):
    spec = doc_type(code)
    record = finalised(org, code)
    pdf = pdf_bytes(record)
    printed = pages(pdf, tmp_path, f"定稿_{code}")
    first, text = flat(printed[0]), flat("".join(printed))
    assert ("送达回证" if spec.layout == "receipt" else record.title) in first
    if spec.issued:  # the 文号 stands alone under the title
        assert flat(record.number) in first and "编号：" not in first
    else:
        assert f"编号：{flat(record.number)}" in first
    drawn = [s for s in record.signatures.all() if not (spec.layout == "prose" and spec.signer(s.slot).kind == "head")]
    for signature in drawn:
        assert flat(signature.signer_name) in text, signature.slot
    assert "制作依据" not in text and "验真码" in text
    # and it prints: pdftoppm draws every page
    subprocess.run(["pdftoppm", "-r", "30", "-png", str(tmp_path / f"定稿_{code}.pdf"), str(tmp_path / "p")], check=True)
    assert len(list(tmp_path.glob("p*.png"))) == len(printed)


def test_a_profile_may_give_a_document_type_another_code_word(org, monkeypatch):
    from lawtrail.regulations.profiles import get_profile

    codes = get_profile(org.agency.profile).get("numbering.document_codes")
    monkeypatch.setitem(codes, "rights_notice", "罚告")
    record = finalised(org, "rights_notice")
    assert record.number.startswith(f"{org.agency.case_prefix}罚告〔")
