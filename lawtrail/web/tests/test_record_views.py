"""The 执法文书 pages through Django's test client: forms, signatures, refusals, finalising,
PDF download, corrections, and what another agency cannot reach."""

import base64

import pytest
from django.urls import reverse

from lawtrail.ledger.models import Entry
from lawtrail.org.enums import Role
from lawtrail.records.catalog import doc_type
from lawtrail.records.models import Record
from lawtrail.records.services import record_create, record_finalise
from lawtrail.samples import png_bytes
from lawtrail.testing import complete_data, sign_all
from lawtrail.web.tests.test_views import client_for

CODE = "inquiry_record"


def form_payload(spec, data):
    """What a browser posts for these values."""
    payload = {}
    for field in spec.fields:
        value = data.get(field.key)
        if field.type == "bool":
            if value:
                payload[field.key] = "on"
        elif field.type == "multichoice":
            payload[field.key] = value
        else:
            payload[field.key] = field.as_text(value)
    return payload


def record_url(record, name="web:record_detail", **kwargs):
    return reverse(name, kwargs={"pk": record.case_id, "record_id": record.pk, **kwargs})


@pytest.fixture
def record(org):
    return record_create(actor=org.officer_users[0], case=org.open_case(), doc_type_code=CODE)


def test_an_officer_starts_a_record_from_the_case_page_prefilled(org):
    from django.core.cache import cache

    case = org.open_case()
    client = client_for(org.officer_users[0])
    cache.clear()  # the options as made, not as an earlier page left them in the cache
    page = client.get(reverse("web:case_detail", args=[case.pk])).content.decode()
    assert '<option value="inquiry_record">询问笔录</option>' in page and 'name="doc_type"' in page
    assert '<option value="inquiry_record">询问笔录</option>' in client.get(
        reverse("web:case_detail", args=[case.pk])).content.decode()  # and as the cache keeps them
    response = client.post(reverse("web:record_create", args=[case.pk]), {"doc_type": CODE})
    record = Record.objects.get(case=case)
    assert response.status_code == 302 and response["Location"] == record_url(record)
    page = client.get(response["Location"]).content.decode()
    assert "询问笔录" in page and org.officers[0].cert_no in page and "草稿" in page
    assert "缺少“询问人”签名（还差 2 人）" in page


def test_an_unknown_document_type_is_refused_with_a_message(org):
    case = org.open_case()
    response = client_for(org.officer_users[0]).post(reverse("web:record_create", args=[case.pk]),
                                                     {"doc_type": "no_such_type"}, follow=True)
    assert "未知的文书类型" in response.content.decode()
    assert not Record.objects.filter(case=case).exists()


def test_a_bad_value_is_shown_at_its_field_and_nothing_is_saved(org, record):
    spec = doc_type(CODE)
    payload = form_payload(spec, {**record.data, "officer_count": "两人", "place": "新的地点"})
    response = client_for(org.officer_users[0]).post(record_url(record), payload)
    page = response.content.decode()
    assert response.status_code == 200
    assert "“执法人员人数”格式不正确" in page and "新的地点" in page  # the typed input is kept
    record.refresh_from_db()
    assert record.data.get("place") is None and record.data["officer_count"] == 2


def test_saving_a_draft_stores_the_typed_values(org, record):
    spec = doc_type(CODE)
    data = complete_data(spec)
    response = client_for(org.officer_users[0]).post(record_url(record), form_payload(spec, data), follow=True)
    assert "草稿已保存" in response.content.decode()
    record.refresh_from_db()
    assert record.data == spec.clean(data)


def test_an_officer_signs_with_the_drawn_signature(org, record):
    officer = org.officers[0]
    drawn = "data:image/png;base64," + base64.b64encode(png_bytes()).decode()
    response = client_for(org.officer_users[0]).post(
        record_url(record, "web:record_sign", slot="officers"),
        {"method": "handwritten", "officer": officer.pk, "image_data": drawn}, follow=True)
    page = response.content.decode()
    assert f"{officer.name}已签署" in page and f"✔ {officer.name}" in page
    assert record.signatures.get().image_sha256


def test_a_handwritten_signature_without_an_image_is_refused(org, record):
    response = client_for(org.officer_users[0]).post(
        record_url(record, "web:record_sign", slot="officers"),
        {"method": "handwritten", "officer": org.officers[0].pk}, follow=True)
    assert "须上传签名图像或签字页扫描件" in response.content.decode()
    assert not record.signatures.exists()


def test_an_uploaded_file_that_is_not_an_image_is_refused(org, record):
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client_for(org.officer_users[0]).post(
        record_url(record, "web:record_sign", slot="party"),
        {"method": "handwritten", "signer_name": "张三",
         "image_file": SimpleUploadedFile("sign.png", b"not really a picture")}, follow=True)
    assert "签名图像须为 PNG、JPEG 或 PDF 文件" in response.content.decode()
    assert not record.signatures.exists()


def test_a_party_refusal_is_recorded_and_one_without_a_reason_is_not(org, record):
    client = client_for(org.officer_users[0])
    url = record_url(record, "web:record_refuse", slot="party")
    page = client.post(url, {"signer_name": "张三", "reason": ""}, follow=True).content.decode()
    assert "请填写拒签理由" in page and not record.signatures.exists()
    page = client.post(url, {"signer_name": "张三", "reason": "不认可笔录内容"}, follow=True).content.decode()
    assert "已记录拒签" in page and "张三 拒绝签名" in page and "不认可笔录内容" in page


def test_finalising_an_incomplete_record_names_what_is_missing(org, record):
    page = client_for(org.officer_users[0]).post(record_url(record, "web:record_finalise"),
                                                 follow=True).content.decode()
    assert "请填写“询问内容”" in page and "缺少“询问人”签名" in page
    record.refresh_from_db()
    assert not record.is_final and not record.number


def test_a_complete_record_is_finalised_numbered_and_downloaded_as_pdf(org, record):
    spec = doc_type(CODE)
    client = client_for(org.officer_users[0])
    client.post(record_url(record), form_payload(spec, complete_data(spec)))
    sign_all(org, record)
    page = client.post(record_url(record, "web:record_finalise"), follow=True).content.decode()
    record.refresh_from_db()
    assert record.is_final and f"已定稿，编号 {record.number}" in page and "下载 PDF" in page  # a 笔录: 编号
    assert 'name="save"' not in page  # no form to edit a finalised record
    downloads = Entry.objects.filter(action="record.download").count()
    response = client.get(record_url(record, "web:record_pdf"))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert b"".join(response).startswith(b"%PDF-") and response["X-Content-SHA256"] == record.pdf_sha256
    assert Entry.objects.filter(action="record.download").count() == downloads + 1


def test_a_draft_has_no_pdf(org, record):
    response = client_for(org.officer_users[0]).get(record_url(record, "web:record_pdf"), follow=True)
    assert "草稿没有 PDF，请先定稿" in response.content.decode()


def test_a_finalised_record_cannot_be_saved_and_is_corrected_as_a_new_version(org, record):
    spec = doc_type(CODE)
    client = client_for(org.officer_users[0])
    client.post(record_url(record), form_payload(spec, complete_data(spec)))
    sign_all(org, record)
    record = record_finalise(actor=org.officer_users[0], record=record)
    before = dict(record.data)
    client.post(record_url(record), form_payload(spec, {**before, "place": "改过的地点"}))
    record.refresh_from_db()
    assert record.data == before
    page = client.post(record_url(record, "web:record_correct"), {"reason": ""}, follow=True).content.decode()
    assert "更正理由" in page and Record.objects.filter(case=record.case).count() == 1
    response = client.post(record_url(record, "web:record_correct"), {"reason": "询问地点笔误"}, follow=True)
    correction = Record.objects.get(case=record.case, version=2)
    page = response.content.decode()
    assert "已创建第 2 版更正草稿" in page and "第 1 版" in page and "询问地点笔误" in page
    assert correction.data == before and not correction.is_final


def test_the_case_page_lists_its_records(org, record):
    page = client_for(org.head).get(reverse("web:case_detail", args=[record.case_id])).content.decode()
    assert record_url(record) in page and "询问笔录" in page


def test_another_agency_cannot_reach_a_record(other_org, record):
    client = client_for(other_org.head)
    assert client.get(record_url(record)).status_code == 404
    assert client.get(record_url(record, "web:record_pdf")).status_code == 404
    assert client.post(record_url(record, "web:record_finalise")).status_code == 404


def test_a_scan_is_attached_listed_and_downloaded_byte_for_byte(org, record):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = client_for(org.officer_users[0])
    scan = png_bytes() + b"\x00trailing bytes kept as received"
    page = client.post(record_url(record, "web:record_attach"),
                       {"file": SimpleUploadedFile("签字页.png", scan, content_type="image/png"),
                        "description": "被询问人签字页"}, follow=True).content.decode()
    attachment = record.attachments.get()
    assert "已上传附件 签字页.png" in page and attachment.sha256 in page and "被询问人签字页" in page
    response = client.get(record_url(record, "web:record_attachment", attachment_id=attachment.pk))
    assert b"".join(response) == scan and response["X-Content-SHA256"] == attachment.sha256
    page = client.post(record_url(record, "web:record_attach"), {"description": "忘了选文件"},
                       follow=True).content.decode()
    assert "请选择要上传的文件" in page and record.attachments.count() == 1


def test_an_edit_that_voids_signatures_says_whose_and_puts_them_in_the_signers_worklist(org):
    from lawtrail.records.services import record_sign

    spec = doc_type("filing_approval")
    data = complete_data(spec)
    filing = record_create(actor=org.officer_users[0], case=org.open_case(), doc_type_code=spec.code, data=data)
    record_sign(actor=org.officer_users[0], record=filing, slot="officers", method="fingerprint")
    officer = client_for(org.officer_users[0])
    # the head's own section: the officer's signature stands
    response = client_for(org.head).post(record_url(filing), form_payload(spec, {**data, "head_opinion": "同意"}),
                                         follow=True)
    assert "草稿已保存" in response.content.decode() and "签名已失效" not in response.content.decode()
    assert 'data-kind="待补正"' not in officer.get(reverse("web:home")).content.decode()
    # the facts the officer signed: his signature no longer counts, and he is told
    response = client_for(org.head).post(record_url(filing), form_payload(spec, {**data, "basic_facts": "改过的事实"}),
                                         follow=True)
    page = response.content.decode()
    assert f"以下签名已失效，须本人重新签署：{org.officers[0].name}（承办人）" in page
    assert 'data-testid="voided"' in page and f"✖ {org.officers[0].name}的签名已失效" in page
    home = officer.get(reverse("web:home")).content.decode()
    assert 'data-kind="待补正"' in home and record_url(filing) + "#signatures" in home
    assert 'data-kind="待补正"' not in client_for(org.officer_users[1]).get(reverse("web:home")).content.decode()


def pdf_text(response):
    import subprocess

    return subprocess.run(["pdftotext", "-", "-"], input=b"".join(response), capture_output=True,
                          check=True).stdout.decode()


def test_a_draft_is_previewed_for_printing_marked_as_a_draft(org, record):
    client = client_for(org.officer_users[0])
    page = client.get(record_url(record)).content.decode()
    assert record_url(record, "web:record_preview") in page and "预览打印" in page
    previews = Entry.objects.filter(action="record.preview").count()
    response = client.get(record_url(record, "web:record_preview"))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("inline")
    text = pdf_text(response)
    assert "询问笔录" in text and "草稿" in text and "验真码" not in text
    # printing a draft hands its content out on paper: in the ledger, as a download is
    assert Entry.objects.filter(action="record.preview").count() == previews + 1
    record.refresh_from_db()
    assert not record.is_final and record.number == ""


def test_a_preview_of_a_confidential_draft_names_who_printed_it(org):
    case = org.open_case(confidentiality="privacy")
    draft = record_create(actor=org.officer_users[0], case=case, doc_type_code=CODE)
    text = pdf_text(client_for(org.officer_users[0]).get(record_url(draft, "web:record_preview")))
    assert "预览打印" in text and org.officer_users[0].username in text


def test_a_preview_is_refused_to_whoever_may_not_see_the_record(org, other_org, record):
    assert client_for(other_org.head).get(record_url(record, "web:record_preview")).status_code == 404
    case = org.open_case(confidentiality="privacy")
    secret = record_create(actor=org.officer_users[0], case=case, doc_type_code=CODE)
    outsider = org.user("officer")  # same agency and department, not on the case
    assert client_for(outsider).get(record_url(secret, "web:record_preview")).status_code == 404
    assert not Entry.objects.filter(action="record.preview").exists()


def test_a_view_grant_does_not_let_a_confidential_draft_be_printed(org):
    from lawtrail.access.services import grant_decide, grant_request

    case = org.open_case(confidentiality="privacy")
    draft = record_create(actor=org.officer_users[0], case=case, doc_type_code=CODE)
    supervisor = org.users[Role.SUPERVISOR]
    grant_decide(actor=org.head, grant=grant_request(actor=supervisor, case=case, kind="view", reason="评查"),
                 approve=True, reason="同意")
    client = client_for(supervisor)
    assert client.get(record_url(draft)).status_code == 200  # he may read it on the screen
    page = client.get(record_url(draft, "web:record_preview"), follow=True).content.decode()
    assert "复制、下载须经负责人批准（请申请复制许可）" in page
    assert not Entry.objects.filter(action="record.preview").exists()


def test_a_finalised_record_previews_as_its_sealed_pdf(org):
    record = record_create(actor=org.officer_users[0], case=org.open_case(), doc_type_code=CODE,
                           data=complete_data(doc_type(CODE)))
    sign_all(org, record)
    record = record_finalise(actor=org.officer_users[0], record=record)
    response = client_for(org.officer_users[0]).get(record_url(record, "web:record_preview"))
    assert response.status_code == 302 and response["Location"] == record_url(record, "web:record_pdf")


def test_every_type_is_listed_for_printing_blank_and_prints(org):
    from lawtrail.records.catalog import catalog

    client = client_for(org.officer_users[0])
    assert reverse("web:blank_forms") in client.get(reverse("web:case_list")).content.decode()
    page = client.get(reverse("web:blank_forms")).content.decode()
    for code in catalog():
        assert reverse("web:blank_form", args=[code]) in page, code
    assert page.count("打印空白文书") >= len(catalog())
    response = client.get(reverse("web:blank_form", args=["inquiry_record"]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = pdf_text(response)
    assert "询问笔录" in text and org.agency.name in text and "以上笔录我已看过" in text
    assert client.get(reverse("web:blank_form", args=["nonsense"])).status_code == 404
    # a 决定书 is printed as what it decides, never as a 行政执法决定书 for a penalty
    url = reverse("web:blank_form", args=["decision"])
    assert f"{url}?kind=%E8%A1%8C%E6%94%BF%E5%A4%84%E7%BD%9A" in page  # ?kind=行政处罚
    text = pdf_text(client.get(url, {"kind": "行政处罚"}))
    assert "行政处罚决定书" in text and "行政执法决定书" not in text and "加处罚款" in text
    assert client.get(url, {"kind": "随便"}).status_code == 404
