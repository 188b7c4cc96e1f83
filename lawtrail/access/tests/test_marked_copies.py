"""Marked copies (标记副本) of a confidential case's sealed documents name the signed original
they were made from; the original itself leaves byte for byte, its seal intact."""

import hashlib
import io
import subprocess

from pyhanko.pdf_utils.reader import PdfFileReader

from lawtrail.access.tests.test_grants import secret, web  # noqa: F401 (the fixture)
from lawtrail.blobs import blob_store
from lawtrail.records.tests.test_sealing import validate


def test_a_marked_copy_names_the_signed_originals_hash_and_number(org, secret):  # noqa: F811
    record = secret.records.get()
    response = web(org.officer_users[0]).get(f"/api/cases/{secret.pk}/records/{record.pk}/pdf")
    assert response.status_code == 200 and response["X-Original-SHA256"] == record.pdf_sha256
    text = subprocess.run(["pdftotext", "-", "-"], input=response.content, capture_output=True).stdout.decode()
    assert "标记副本" in text and record.number in text and record.pdf_sha256 in text.replace("\n", "")


def test_the_original_of_an_open_case_leaves_signed_and_intact(org):
    case = org.open_case()
    record = org.final_record(case, "filing_approval")
    response = web(org.officer_users[0]).get(f"/api/cases/{case.pk}/records/{record.pk}/pdf")
    body = b"".join(response.streaming_content)
    with blob_store().open(record.pdf_sha256) as f:
        assert body == f.read() and hashlib.sha256(body).hexdigest() == record.pdf_sha256
    assert PdfFileReader(io.BytesIO(body)).embedded_signatures
    status = validate(body)
    assert status.intact and status.valid and status.trusted
