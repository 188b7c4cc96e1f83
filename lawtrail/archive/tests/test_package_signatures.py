"""The sealed PDFs travel in the evidence package, and its stand-alone verify.py names each
seal's signer and time, read from the PDF itself, and checks what the signature covers."""

import datetime
import json
import re
import subprocess
import sys

from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from lawtrail.archive import verifier
from lawtrail.archive.package import package_export
from lawtrail.blobs import blob_store
from lawtrail.ledger.services import ledger_append
from lawtrail.records.models import Seal, SealLevel
from lawtrail.records.tests.test_sealing import tsa  # noqa: F401 (a real local TSA, as a fixture)


def pdf_of(sha256):
    with blob_store().open(sha256) as f:
        return f.read()


def sealed_record(org, case=None):
    return org.final_record(case or org.open_case(), "inquiry_record")


def run_plain(bag):
    """verify.py as a court runs it: plain Python, no site packages (-S), nothing installed."""
    run = subprocess.run([sys.executable, "-S", str(bag / "verify.py"), "--json"], capture_output=True,
                         text=True, cwd=bag)
    text = subprocess.run([sys.executable, "-S", str(bag / "verify.py")], capture_output=True, text=True,
                          cwd=bag).stdout
    return run.returncode, json.loads(run.stdout), text


def test_the_package_carries_the_sealed_pdf_and_verify_py_names_its_signer_and_time(org, tmp_path):
    record = sealed_record(org)
    seal = Seal.objects.get(record=record)
    bag = package_export(actor=org.head, case=record.case, out_dir=tmp_path / "package").path
    code, report, text = run_plain(bag)
    assert code == 0 and report["ok"], report["problems"]
    metadata = json.loads((bag / "data/metadata.json").read_text(encoding="utf-8"))
    carried = {f["sha256"]: f["path"] for o in metadata["objects"] for f in o["files"]}
    path = carried[seal.pdf_sha256]
    assert (bag / path).read_bytes() == pdf_of(seal.pdf_sha256)
    assert any(o["object_type"] == "records.seal" for o in metadata["objects"])

    [signature] = report["pdf_signatures"]
    assert signature["path"] == path and signature["type"] == "签名" and signature["whole_file"]
    assert signature["signer"] and signature["signer"] in seal.certificate_subject
    signed_at = datetime.datetime.strptime(signature["time"], "%Y-%m-%d %H:%M:%S %z")  # e.g. … +08:00
    assert abs(signed_at - seal.sealed_at) < datetime.timedelta(seconds=5)
    assert f"签署人 {signature['signer']}" in text and "覆盖全文（签名值除外）" in text
    assert "pyhanko sign validate" in text and "--trust" in text


def test_a_later_time_stamped_version_is_carried_beside_the_original_seal(org, tmp_path):
    record = sealed_record(org)
    original = Seal.objects.get(record=record)
    dss = b"77 0 obj\n<< /Type /Catalog /DSS << /Certs [] >> >>\nendobj\n%%EOF\n"  # validation data added later
    later = Seal.objects.create(record=record, pdf_sha256=blob_store().put(pdf_of(original.pdf_sha256) + dss)[0],
                                level=SealLevel.B_T, certificate_sha256=original.certificate_sha256,
                                certificate_subject=original.certificate_subject, sealed_at=timezone.now())
    with transaction.atomic():
        ledger_append(actor=None, action="record.seal", obj=later, scope=record.case.scope, reason="补加时间戳")
    bag = package_export(actor=org.head, case=record.case, out_dir=tmp_path / "package").path
    metadata = json.loads((bag / "data/metadata.json").read_text(encoding="utf-8"))
    carried = {f["sha256"]: f["path"] for o in metadata["objects"] for f in o["files"]}
    assert carried[original.pdf_sha256] != carried[later.pdf_sha256]
    assert (bag / carried[later.pdf_sha256]).read_bytes() == pdf_of(later.pdf_sha256)
    code, report, _ = run_plain(bag)
    assert code == 0 and report["ok"], report["problems"]
    assert [s["whole_file"] for s in report["pdf_signatures"]] == [True, False]  # the same seal, in both files


def test_a_time_stamped_seal_with_validation_data_appended_is_read_to_the_end(org, tsa):  # noqa: F811
    url, roots = tsa
    with override_settings(LAWTRAIL_TSA_URL=url, LAWTRAIL_TSA_CERTS=roots):
        record = sealed_record(org)
    pdf = pdf_of(record.pdf_sha256)
    [signature], problems, foreign = verifier.pdf_signatures(pdf)
    assert problems == [] and foreign == 0
    assert not signature["whole_file"]  # the CA's CRL and certificates (/DSS) follow the signed revision
    assert signature["timestamp"].startswith(str(timezone.now().year))


def test_an_unsigned_change_after_the_seal_is_named(org):
    pdf = pdf_of(sealed_record(org).pdf_sha256)
    appended = pdf + b"99 0 obj\n<< /Type /Annot /Subtype /FreeText /Contents (\xe5\x8a\xa0) >>\nendobj\n%%EOF\n"
    _, problems, _ = verifier.pdf_signatures(appended)
    assert problems == [f"最后一个签名之后追加了未经签名的修改（{len(appended) - len(pdf)} 字节）"]


def test_a_byte_range_that_leaves_out_more_than_the_signature_value_is_named(org):
    pdf = pdf_of(sealed_record(org).pdf_sha256)
    m = re.search(rb"/ByteRange \[0 (\d+) (\d+) (\d+)\] *", pdf)
    a, b, c = (int(g) for g in m.groups())
    widened = f"/ByteRange [0 {a - 12} {b} {c + 0}]".encode().ljust(len(m.group()))
    forged = pdf[:m.start()] + widened + pdf[m.end():]
    _, problems, _ = verifier.pdf_signatures(forged)
    assert problems == ["签名的 /ByteRange 留出的部分不只是签名值 /Contents（可能藏有未签名的内容）"]
