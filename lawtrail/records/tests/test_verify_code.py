"""扫码验真, in the document itself: every finalised record gets an unguessable code, and its
PDF carries a QR code of the public page's address with the code in text."""

import re
import subprocess

from lawtrail.blobs import blob_store
from lawtrail.org.services import ENROLMENT_ALPHABET
from lawtrail.records import services
from lawtrail.records.tests.test_services import draft, final
from lawtrail.testing import sign_all


def pdf_of(record):
    with blob_store().open(record.pdf_sha256) as f:
        return f.read()


def test_a_finalised_record_gets_a_code_of_sixty_bits_without_look_alike_letters(org):
    record = final(org)
    assert len(record.verify_code) == 12 and set(record.verify_code) <= set(ENROLMENT_ALPHABET)
    assert not set(record.verify_code) & set("0O1I")
    assert len(ENROLMENT_ALPHABET) ** 12 >= 2**60
    record.refresh_from_db()
    assert record.verify_code  # stored with the record, not only printed


def test_a_draft_has_no_code(org):
    assert draft(org).verify_code == ""


def test_codes_are_unique_even_when_chance_repeats_one(org, monkeypatch):
    first = final(org)
    # The generator draws the first record's code again, then another: the second is taken.
    drawn = iter(first.verify_code + "ABCDEFGHJKLM")
    monkeypatch.setattr(services.secrets, "choice", lambda alphabet: next(drawn))
    second = final(org)
    assert second.verify_code == "ABCDEFGHJKLM" != first.verify_code


def test_a_correction_gets_its_own_code_and_the_original_keeps_its(org):
    original = final(org)
    correction = services.record_correct(actor=org.officer_users[0], record=original, reason="笔误")
    sign_all(org, correction)
    correction = services.record_finalise(actor=org.officer_users[0], record=correction)
    original.refresh_from_db()
    assert correction.verify_code and original.verify_code and correction.verify_code != original.verify_code


def test_the_pdf_carries_a_readable_qr_code_of_the_public_page_and_the_code(org, settings, tmp_path):
    settings.LAWTRAIL_PUBLIC_URL = "https://zfjl.example.gov.cn"
    record = final(org)
    (tmp_path / "record.pdf").write_bytes(pdf_of(record))
    subprocess.run(["pdftoppm", "-r", "150", "-png", str(tmp_path / "record.pdf"), str(tmp_path / "page")],
                   check=True)
    decoded = set()
    for page in sorted(tmp_path.glob("page*.png")):
        run = subprocess.run(["zbarimg", "-q", "--raw", str(page)], capture_output=True, text=True)
        decoded |= set(run.stdout.split())
    url = f"https://zfjl.example.gov.cn/verify/{record.verify_code}"
    assert decoded == {url}
    text = subprocess.run(["pdftotext", str(tmp_path / "record.pdf"), "-"], capture_output=True, text=True).stdout
    grouped = "-".join(re.findall("....", record.verify_code))
    assert f"验真码：{grouped}" in text and url in text
