"""Records through the API: list, read, create, sign, refuse, finalise, correct, PDF."""

import base64
import hashlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from lawtrail.archive.integrity import verify_ledger
from lawtrail.ledger.models import Entry
from lawtrail.org.enums import Role
from lawtrail.org.services import token_create
from lawtrail.records.catalog import doc_type
from lawtrail.samples import png_bytes
from lawtrail.testing import PASSWORD, complete_data


def client(user):
    return Client(HTTP_AUTHORIZATION=f"Bearer {token_create(actor=None, username=user.username)}")


def post(c, url, body=None):
    return c.post(url, body or {}, content_type="application/json")


@pytest.fixture
def setup(org):
    case = org.open_case()
    return org, case, client(org.officer_users[0]), client(org.head)


def test_the_catalog_is_published(setup):
    _, _, officer, _ = setup
    types = officer.get("/api/record-types").json()
    assert len(types) >= 40
    decision = next(t for t in types if t["code"] == "decision")
    assert decision["cite"][0] == "004 第二十条" and decision["signers"][0]["kind"] == "head"


def test_a_record_is_drafted_signed_finalised_corrected_and_downloaded(setup):
    org, case, officer, head = setup
    base = f"/api/cases/{case.pk}/records"
    response = post(officer, base, {"doc_type": "inquiry_record", "data": complete_data(doc_type("inquiry_record"))})
    assert response.status_code == 201, response.content
    record = response.json()
    url = f"{base}/{record['id']}"
    assert record["status"] == "draft" and "缺少“询问人”签名（还差 2 人）" in record["problems"]

    image = "data:image/png;base64," + base64.b64encode(png_bytes()).decode()
    r = post(officer, f"{url}/sign", {"slot": "officers", "method": "handwritten",
                                      "officer_cert": org.officers[1].cert_no, "image_base64": image})
    assert r.status_code == 403 and "须由officer1本人签署" in r.json()["detail"]  # not signed for another
    for o in org.officers[:2]:  # the first signed in himself, the second proving himself on that device
        r = post(officer, f"{url}/sign", {"slot": "officers", "method": "handwritten", "officer_cert": o.cert_no,
                                          "image_base64": image, "password": PASSWORD})
        assert r.status_code == 201, r.content
        assert r.json()["auth"] == ("session" if o == org.officers[0] else "password")
    r = post(officer, f"{url}/refuse", {"slot": "party", "signer_name": "张三", "reason": "拒不签字"})
    assert r.status_code == 201 and r.json()["refused"]

    r = post(officer, f"{url}/finalise")
    assert r.status_code == 200, r.content
    final = r.json()
    assert final["status"] == "final" and final["number"] and final["problems"] == []
    assert final["number_label"] == "编号"  # a 笔录 is an internal record

    pdf = officer.get(f"{url}/pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert b"".join(pdf).startswith(b"%PDF-") and pdf["X-Content-SHA256"] == final["pdf_sha256"]
    assert Entry.objects.filter(action="record.download", object_id=str(record["id"])).count() == 1

    r = post(officer, f"{url}/correct", {"reason": "笔误"})
    assert r.status_code == 201 and r.json()["version"] == 2 and r.json()["previous_id"] == record["id"]
    listed = officer.get(base).json()
    assert [(x["version"], x["status"]) for x in listed] == [(1, "final"), (2, "draft")]
    assert verify_ledger().ok


def test_errors_name_what_is_wrong(setup):
    org, case, officer, head = setup
    base = f"/api/cases/{case.pk}/records"
    record = post(officer, base, {"doc_type": "head_approval"}).json()
    url = f"{base}/{record['id']}"
    r = post(officer, f"{url}/finalise")
    assert r.status_code == 422 and "请填写“审批事项”" in r.json()["detail"] and "缺少“负责人”签名" in r.json()["detail"]
    r = post(officer, f"{url}/sign", {"slot": "head", "method": "seal"})
    assert r.status_code == 403
    r = post(head, f"{url}/sign", {"slot": "head", "method": "handwritten", "image_base64": "%%%"})
    assert r.status_code == 422 and "base64" in r.json()["detail"]
    r = post(officer, base, {"doc_type": "no_such_type"})
    assert r.status_code == 422
    r = officer.put(url, {"data": {"signed_at": "不是时间"}}, content_type="application/json")
    assert r.status_code == 422 and r.json()["field"] == "signed_at"
    assert officer.get(f"{url}/pdf").status_code == 422


def test_a_save_from_an_older_revision_is_refused_with_409_and_the_newer_stands(setup):
    org, case, officer, _ = setup
    base = f"/api/cases/{case.pk}/records"
    record = post(officer, base, {"doc_type": "head_approval"}).json()
    url, loaded = f"{base}/{record['id']}", record["revision"]
    first = officer.put(url, {"data": {"matter": "甲"}, "base_revision": loaded}, content_type="application/json")
    assert first.status_code == 200 and first.json()["revision"] != loaded
    stale = officer.put(url, {"data": {"matter": "乙"}, "base_revision": loaded}, content_type="application/json")
    assert stale.status_code == 409 and "服务器上的草稿已被修改" in stale.json()["detail"]
    assert officer.get(url).json()["data"]["matter"] == "甲"
    again = officer.put(url, {"data": {"matter": "丙"}, "base_revision": first.json()["revision"]},
                        content_type="application/json")
    assert again.status_code == 200 and again.json()["data"]["matter"] == "丙"


def test_another_agency_sees_nothing(setup, other_org):
    org, case, officer, _ = setup
    record = post(officer, f"/api/cases/{case.pk}/records", {"doc_type": "head_approval"}).json()
    stranger = client(other_org.head)
    assert stranger.get(f"/api/cases/{case.pk}/records").status_code == 404
    assert stranger.get(f"/api/cases/{case.pk}/records/{record['id']}").status_code == 404
    archivist = client(org.users[Role.ARCHIVIST])
    assert post(archivist, f"/api/cases/{case.pk}/records", {"doc_type": "head_approval"}).status_code == 403


def test_a_scan_is_uploaded_byte_for_byte_and_downloaded_with_its_hash(setup, other_org):
    org, case, officer, _ = setup
    base = f"/api/cases/{case.pk}/records"
    record = post(officer, base, {"doc_type": "inquiry_record"}).json()
    url = f"{base}/{record['id']}/attachments"
    scan = png_bytes() + bytes(range(256))  # arbitrary bytes after a real PNG: kept as they are
    r = officer.post(url, {"file": SimpleUploadedFile("询问笔录签字页.png", scan, content_type="image/png"),
                           "description": "被询问人签字页"})
    assert r.status_code == 201, r.content
    attachment = r.json()
    assert attachment["sha256"] == hashlib.sha256(scan).hexdigest() and attachment["size"] == len(scan)
    assert officer.get(f"{base}/{record['id']}").json()["attachments"] == [attachment]
    download = officer.get(f"{url}/{attachment['id']}")
    assert download.status_code == 200 and b"".join(download) == scan
    assert download["X-Content-SHA256"] == attachment["sha256"]
    assert Entry.objects.filter(action="record.attachment_download", object_id=str(attachment["id"])).count() == 1
    assert officer.get(f"{url}/{attachment['id'] + 1000}").status_code == 404
    assert client(other_org.head).get(f"{url}/{attachment['id']}").status_code == 404
    r = officer.post(url, {"file": SimpleUploadedFile("空.png", b"", content_type="image/png")})
    assert r.status_code == 422 and "附件为空" in r.json()["detail"]
    r = officer.post(url, {"description": "没有文件"})
    assert r.status_code == 422 and r.json()["detail"] == "请求格式不正确"


STAGE_DOCUMENTS = (
    (["filing_approval"], ("approve_start", "head")),
    (["inquiry_record", "site_inspection_record", "evidence_register"], ("submit_review", "officer")),
    (["rights_notice", "statement_record", "handling_opinion", "legal_review", "head_approval", "decision"],
     ("decide", "head")),
    (["service_direct", "performance_record", "closing_report"], ("conclude", "officer")),
    ([], ("archive", "archivist")),
)


def test_a_case_is_carried_from_start_to_archive_with_its_documents_through_the_api(setup):
    org, case, officer, head = setup
    clients = {"officer": officer, "head": head, "reviewer": client(org.users[Role.REVIEWER]),
               "archivist": client(org.users[Role.ARCHIVIST])}
    base = f"/api/cases/{case.pk}/records"
    image = base64.b64encode(png_bytes()).decode()
    made = []
    for codes, (step, who) in STAGE_DOCUMENTS:
        for code in codes:
            spec = doc_type(code)
            record = post(officer, base, {"doc_type": code, "data": complete_data(spec)}).json()
            for signer in spec.signers:
                for i in range(signer.min and max(signer.min, 1)):
                    body = {"slot": signer.slot, "method": "handwritten", "image_base64": image, "password": PASSWORD}
                    by = clients[signer.kind] if signer.kind in ("head", "reviewer") else officer
                    if signer.kind == "officer":
                        body["officer_cert"] = org.officers[i].cert_no
                    elif signer.kind not in ("head", "reviewer"):
                        body["signer_name"] = f"{signer.label}{i + 1}"
                    r = post(by, f"{base}/{record['id']}/sign", body)
                    assert r.status_code == 201, (code, r.content)
            r = post(officer, f"{base}/{record['id']}/finalise")
            assert r.status_code == 200, (code, r.content)
            made.append((code, r.json()["number"]))
        if step == "archive":
            r = post(clients["archivist"], f"/api/cases/{case.pk}/case-file", {"notes": "案卷齐全"})
            assert r.status_code == 201, r.content
            assert [x["number"] for x in r.json()["catalog"]] == [number for _, number in made]
        r = post(clients[who], f"/api/cases/{case.pk}/transitions", {"name": step, "reason": "依法办理"})
        assert r.status_code == 201, (step, r.content)
    assert officer.get(f"/api/cases/{case.pk}").json()["stage"] == "archived"
    listed = officer.get(base).json()
    assert [(x["doc_type"], x["number"]) for x in listed] == made
    assert all(x["status"] == "final" for x in listed)
    r = post(officer, base, {"doc_type": "inquiry_record"})
    assert r.status_code == 422 and "已归档" in r.json()["detail"]
    assert verify_ledger().ok
