"""The agency's electronic seal (电子印章) on finalised documents: PAdES validation against the
agency CA, tampering, refusals, time-stamps from a real local TSA and a dead one."""

import datetime
import http.server
import io
import os
import socket
import stat
import subprocess
import threading

import pytest
from asn1crypto import keys as asn1_keys
from asn1crypto import tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from django.conf import settings
from django.test import Client, override_settings
from django.urls import reverse
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper
from pyhanko.sign.validation import validate_pdf_signature, validate_pdf_timestamp
from pyhanko_certvalidator import ValidationContext

from lawtrail.blobs import blob_store
from lawtrail.ledger.models import Entry
from lawtrail.org.keys import ca_certificate_pem, seal_certificate_issue, seal_certificate_revoke
from lawtrail.records.models import RecordStatus, Seal, SealLevel
from lawtrail.records.sealing import SealRefused
from lawtrail.records.selectors import sealed_pdf_sha256, timestamp_pending
from lawtrail.records.services import record_finalise
from lawtrail.records.tasks import timestamps_pass
from lawtrail.records.tests.test_services import draft
from lawtrail.testing import sign_all, sign_in


def pdf_of(sha256):
    with blob_store().open(sha256) as f:
        return f.read()


def agency_ca():
    return asn1_x509.Certificate.load(x509.load_pem_x509_certificate(ca_certificate_pem()).public_bytes(
        serialization.Encoding.DER))


def validate(pdf, index=0, extra_roots=()):
    signature = PdfFileReader(io.BytesIO(pdf)).embedded_signatures[index]
    return validate_pdf_signature(signature, ValidationContext(trust_roots=[agency_ca(), *extra_roots]))


def finalise(org, code="decision"):
    record = draft(org, code)
    sign_all(org, record)
    return record_finalise(actor=org.officer_users[0], record=record)


def test_a_finalised_decision_is_sealed_and_validates_against_the_agency_ca(org):
    record = finalise(org)
    seal = Seal.objects.get(record=record)
    assert record.pdf_sha256 == seal.pdf_sha256 == sealed_pdf_sha256(record)
    assert seal.level == SealLevel.B_B and seal.timestamp_at is None
    assert org.agency.name in seal.certificate_subject
    assert Entry.objects.filter(action="record.seal", object_id=str(seal.pk)).exists()
    status = validate(pdf_of(record.pdf_sha256))
    assert status.intact and status.valid and status.trusted
    assert status.coverage.name == "ENTIRE_FILE"
    assert status.signing_cert.sha256.hex() == seal.certificate_sha256


def test_the_seal_covers_every_personal_signature_in_the_table(org):
    record = finalise(org, "inquiry_record")  # a decision draws none: its head's approval is on file
    pdf = pdf_of(record.pdf_sha256)
    text = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    assert validate(pdf).coverage.name == "ENTIRE_FILE"
    for signature in record.signatures.all():
        assert signature.signer_name in text


def test_one_changed_byte_in_the_signed_range_breaks_the_seal(org):
    pdf = bytearray(pdf_of(finalise(org).pdf_sha256))
    signed = PdfFileReader(io.BytesIO(bytes(pdf))).embedded_signatures[0]
    first_range_end = signed.byte_range[1]
    at = pdf.rfind(b"/Producer", 0, first_range_end) + 3  # inside the first signed range
    pdf[at] ^= 0x01
    status = validate(bytes(pdf))
    assert not status.intact and not status.bottom_line


def test_keys_are_private_to_the_service_account(org):
    finalise(org)
    directory = settings.LAWTRAIL_KEY_DIR
    assert stat.S_IMODE(os.stat(directory).st_mode) == 0o700
    for name in ("seal-ca.key", f"seal-{org.agency.code}.key"):
        assert stat.S_IMODE(os.stat(directory / name).st_mode) == 0o600


def test_the_seal_image_is_a_round_red_png(org):
    from PIL import Image

    from lawtrail.org.keys import seal_image

    image = Image.open(seal_image(org.agency))
    assert image.mode == "RGBA" and image.width == image.height
    red, green, blue, alpha = image.getpixel((image.width // 2, image.height // 2))  # the star
    assert alpha == 255 and red > 180 and green < 80 and blue < 80
    assert image.getpixel((2, 2))[3] == 0  # outside the ring: transparent


def assert_refused_and_nothing_written(org, record):
    entries = Entry.objects.count()
    with pytest.raises(SealRefused, match="请联系系统管理员"):
        record_finalise(actor=org.officer_users[0], record=record)
    record.refresh_from_db()
    assert record.status == RecordStatus.DRAFT and not record.number and not record.pdf_sha256
    assert not Seal.objects.filter(record=record).exists() and Entry.objects.count() == entries


def test_an_expired_sealing_certificate_refuses_finalisation(org):
    now = datetime.datetime.now(datetime.UTC)
    seal_certificate_issue(org.agency, not_before=now - datetime.timedelta(days=400),
                           not_after=now - datetime.timedelta(days=1))
    record = draft(org, "decision")
    sign_all(org, record)
    assert_refused_and_nothing_written(org, record)


def test_a_revoked_sealing_certificate_refuses_until_a_new_one_is_issued(org):
    record = draft(org, "decision")
    sign_all(org, record)
    seal_certificate_issue(org.agency)
    seal_certificate_revoke(org.agency)
    assert_refused_and_nothing_written(org, record)
    seal_certificate_issue(org.agency)
    assert record_finalise(actor=org.officer_users[0], record=record).is_final


def test_the_cli_revokes_and_renews_and_prints_the_ca(org, capsys):
    from lawtrail.cli import main

    assert main(["seal-keys", "ca"]) == 0
    assert "BEGIN CERTIFICATE" in capsys.readouterr().out
    finalise(org)
    assert main(["seal-keys", "revoke", org.agency.code]) == 0
    record = draft(org, "decision")
    sign_all(org, record)
    with pytest.raises(SealRefused, match="已被吊销"):
        record_finalise(actor=org.officer_users[0], record=record)
    assert main(["seal-keys", "renew", org.agency.code]) == 0
    assert record_finalise(actor=org.officer_users[0], record=record).is_final
    from lawtrail.ledger.models import Entry

    changes = Entry.objects.filter(action__in=("seal.revoke", "seal.renew")).order_by("seq")
    assert [(e.action, e.actor) for e in changes] == [("seal.revoke", "system"), ("seal.renew", "system")]
    assert all(e.object_id == str(org.agency.pk) and "序列号" in e.reason for e in changes)


# A real TSA on 127.0.0.1: pyHanko's test time-stamper behind http.server, with its own root.

def _certificate(subject, issuer, key, issuer_key, *, ca, eku=None):
    now = datetime.datetime.now(datetime.UTC)
    builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(key.public_key())
               .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(hours=1))
               .not_valid_after(now + datetime.timedelta(days=30))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if eku:
        builder = builder.add_extension(x509.ExtendedKeyUsage([eku]), critical=True)
    return builder.sign(issuer_key, hashes.SHA256())


@pytest.fixture
def tsa(tmp_path):
    """A running TSA: yields (its URL, the path of its root's PEM)."""
    root_key = ec.generate_private_key(ec.SECP256R1())
    tsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)  # pyHanko's test TSA signs RSA only
    root_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "测试时间戳根证书")])
    root = _certificate(root_name, root_name, root_key, root_key, ca=True)
    tsa_cert = _certificate(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "测试时间戳服务")]), root_name,
                            tsa_key, root_key, ca=False, eku=ExtendedKeyUsageOID.TIME_STAMPING)
    der = serialization.Encoding.DER
    stamper = DummyTimeStamper(
        tsa_cert=asn1_x509.Certificate.load(tsa_cert.public_bytes(der)),
        tsa_key=asn1_keys.PrivateKeyInfo.load(tsa_key.private_bytes(
            der, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())),
    )

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            query = tsp.TimeStampReq.load(self.rfile.read(int(self.headers["Content-Length"])))
            reply = stamper.request_tsa_response(query).dump()
            self.send_response(200)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    roots = tmp_path / "tsa-root.pem"
    roots.write_bytes(root.public_bytes(serialization.Encoding.PEM))
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/", str(roots)
    finally:
        server.shutdown()
        server.server_close()


def record_page(org, record):
    client = sign_in(Client(), org.officer_users[0])
    return client.get(reverse("web:record_detail", args=[record.case.pk, record.pk])).content.decode()


def dead_url():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/"  # nothing listens there any more


def tsa_root(path):
    return asn1_x509.Certificate.load(x509.load_pem_x509_certificate(open(path, "rb").read()).public_bytes(
        serialization.Encoding.DER))


def test_with_a_tsa_the_seal_is_time_stamped_with_validation_data(org, tsa):
    url, roots = tsa
    with override_settings(LAWTRAIL_TSA_URL=url, LAWTRAIL_TSA_CERTS=roots):
        record = finalise(org)
        assert not timestamp_pending(record)
    seal = Seal.objects.get(record=record)
    assert seal.level == SealLevel.B_LT and seal.timestamp_at is not None
    status = validate(pdf_of(record.pdf_sha256), extra_roots=[tsa_root(roots)])
    assert status.intact and status.valid and status.trusted
    # The validation data is appended after the signed revision, which it does not change.
    assert status.coverage.name == "ENTIRE_REVISION" and status.modification_level.name == "LTA_UPDATES"
    assert status.timestamp_validity is not None and status.timestamp_validity.valid
    assert b"/DSS" in pdf_of(record.pdf_sha256)  # the CA's CRL and certificates, for validation later


def test_a_dead_tsa_leaves_a_final_b_b_seal_that_the_scheduled_pass_time_stamps(org, tsa):
    url, roots = tsa
    with override_settings(LAWTRAIL_TSA_URL=dead_url(), LAWTRAIL_TSA_CERTS=roots, LAWTRAIL_SEAL_TSA_TIMEOUT=2):
        record = finalise(org)
        assert record.is_final and timestamp_pending(record)
        assert "时间戳待补" in record_page(org, record)
        assert timestamps_pass() == 0  # still dead: it waits
    first = Seal.objects.get(record=record)
    assert first.level == SealLevel.B_B
    with override_settings(LAWTRAIL_TSA_URL=url, LAWTRAIL_TSA_CERTS=roots):
        assert timestamps_pass() == 1
        assert not timestamp_pending(record) and timestamps_pass() == 0
        assert "时间戳待补" not in record_page(org, record)
    old, new = Seal.objects.filter(record=record).order_by("id")
    assert (old.pk, old.pdf_sha256, old.level, old.timestamp_at) == (first.pk, first.pdf_sha256, "B-B", None)
    assert new.level == SealLevel.B_LT and new.timestamp_at is not None
    assert Entry.objects.filter(action="record.seal", object_id=str(new.pk)).exists()
    stamped = pdf_of(new.pdf_sha256)
    assert stamped.startswith(pdf_of(old.pdf_sha256))  # an incremental update of the sealed PDF
    assert sealed_pdf_sha256(record) == new.pdf_sha256
    status = validate(stamped, extra_roots=[tsa_root(roots)])
    assert status.intact and status.valid and status.trusted
    document_stamp = PdfFileReader(io.BytesIO(stamped)).embedded_signatures[1]
    ts_status = validate_pdf_timestamp(document_stamp, ValidationContext(trust_roots=[tsa_root(roots)]))
    assert ts_status.intact and ts_status.valid and ts_status.trusted
