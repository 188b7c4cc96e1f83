"""立卷归档: the case file's catalog, the recordings list, the 备考表, the PDF volume, and
acceptance into the archive only of a current case file."""

import io
import subprocess

import pytest
from pypdf import PdfReader

from lawtrail.archive.integrity import verify_ledger
from lawtrail.archive.models import CaseFile
from lawtrail.archive.services import casefile_assemble
from lawtrail.blobs import blob_store
from lawtrail.cases.enums import Stage
from lawtrail.core.errors import InvalidInput, NotAllowed
from lawtrail.ledger.models import Entry
from lawtrail.org.enums import Role
from lawtrail.samples import make_video
from lawtrail.testing import sign_in

from .conftest import evidence_note, ingest


def pdf_text(sha256):
    with blob_store().open(sha256) as f:
        data = f.read()
    return subprocess.run(["pdftotext", "-layout", "-", "-"], input=data, capture_output=True).stdout.decode()


@pytest.fixture
def ended_case(org, tmp_path):
    case = org.open_case()
    org.final_record(case, "filing_approval")
    video = ingest(org, case, make_video(tmp_path / "DSJ0001_现场检查.mp4", seconds=2))
    evidence_note(org, case, video)
    org.conclude(case)
    org.final_record(case, "closing_report")
    case.video = video
    return case


def test_the_case_file_lists_every_record_in_time_order_with_pages(ended_case, org):
    case_file = casefile_assemble(actor=org.users[Role.ARCHIVIST], case=ended_case, notes="案卷齐全，无缺页")
    records = list(ended_case.records.filter(status="final").order_by("finalised_at"))
    assert [item["number"] for item in case_file.catalog] == [r.number for r in records]
    assert [item["seq"] for item in case_file.catalog] == [1, 2, 3]
    first, second = case_file.catalog[:2]
    assert first["page_from"] == 1 and second["page_from"] == first["page_to"] + 1
    assert {"number", "responsible", "title", "date", "pages", "remark"} <= set(first)
    assert first["responsible"] == ended_case.agency.name
    # the 制作依据 of each document, which the document itself no longer prints, is in the catalog
    assert first["title"].startswith("立案审批表") and "制作依据：003 第九条" in first["remark"]
    volume = PdfReader(io.BytesIO(blob_store().open(case_file.pdf_sha256).read()))
    assert len(volume.pages) == case_file.page_count
    assert case_file.page_count > sum(item["pages"] for item in case_file.catalog)  # cover, catalog, 备考表


def test_recordings_are_referenced_by_storage_location_with_their_note(ended_case, org):
    case_file = casefile_assemble(actor=org.users[Role.ARCHIVIST], case=ended_case)
    [row] = case_file.recordings
    assert row["sha256"] == ended_case.video.sha256
    assert row["location"] == f"执法信息系统 / 音像库 / {ended_case.year} / {ended_case.case_no} / 编号 {ended_case.video.pk}"
    assert row["note"].startswith("《视听资料文字说明》")
    text = pdf_text(case_file.pdf_sha256)
    for heading in ("行政执法案卷", "卷内目录", "音像记录目录", "备考表", "立卷人"):
        assert heading in text
    assert ended_case.video.filename in text


def test_only_the_archivist_assembles_and_only_after_the_case_ended(org, ended_case):
    with pytest.raises(NotAllowed, match="档案管理员"):
        casefile_assemble(actor=org.head, case=ended_case)
    open_case = org.open_case()
    with pytest.raises(InvalidInput, match="结案"):
        casefile_assemble(actor=org.users[Role.ARCHIVIST], case=open_case)
    assert not CaseFile.objects.exists()


def test_acceptance_needs_a_case_file_that_is_still_current(ended_case, org):
    archivist = org.users[Role.ARCHIVIST]
    with pytest.raises(InvalidInput, match="尚未组卷"):
        org.step(ended_case, "archive")
    casefile_assemble(actor=archivist, case=ended_case)
    org.final_record(ended_case, "performance_record")  # a late document changes the file
    with pytest.raises(InvalidInput, match="请重新组卷"):
        org.step(ended_case, "archive")
    second = casefile_assemble(actor=archivist, case=ended_case)
    assert second.version == 2 and len(second.catalog) == 4
    case = org.step(ended_case, "archive")
    assert case.stage == Stage.ARCHIVED and case.archived_at
    assert Entry.objects.filter(scope=case.scope, action="casefile.assemble").count() == 2
    assert verify_ledger().ok


def test_a_corrected_record_is_filed_in_its_current_version(ended_case, org):
    from lawtrail.records.services import record_correct, record_finalise
    from lawtrail.testing import sign_all

    original = ended_case.records.get(doc_type="closing_report")
    correction = record_correct(actor=org.officer_users[0], record=original, reason="结案日期笔误")
    sign_all(org, correction)
    record_finalise(actor=org.officer_users[0], record=correction)
    case_file = casefile_assemble(actor=org.users[Role.ARCHIVIST], case=ended_case)
    ids = [item["record_id"] for item in case_file.catalog]
    assert correction.pk in ids and original.pk not in ids
    assert "更正" in case_file.catalog[ids.index(correction.pk)]["remark"]


def test_the_case_file_pdf_downloads_through_the_api_and_is_logged(ended_case, org):
    from django.test import Client

    casefile_assemble(actor=org.users[Role.ARCHIVIST], case=ended_case)
    client = Client()
    sign_in(client, org.users[Role.SUPERVISOR])
    response = client.get(f"/api/cases/{ended_case.pk}/case-file")
    assert response.status_code == 200 and response.json()["current"] is True
    response = client.get(f"/api/cases/{ended_case.pk}/case-file/pdf")
    assert response.status_code == 200 and b"".join(response.streaming_content).startswith(b"%PDF")
    assert Entry.objects.filter(scope=ended_case.scope, action="casefile.download",
                                actor=org.users[Role.SUPERVISOR].username).exists()
    response = client.post(f"/api/cases/{ended_case.pk}/case-file", {}, content_type="application/json")
    assert response.status_code == 403 and "档案管理员" in response.json()["detail"]
