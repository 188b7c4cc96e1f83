"""Sealing with the key in a PKCS#11 token (a UKey or HSM in production), tested against
SoftHSM2. Skipped only outside CI when softhsm2 is not installed; under CI it must run."""

import os
import shutil
import subprocess

import pkcs11
import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from django.conf import settings
from django.test import override_settings
from pkcs11 import Attribute, ObjectClass
from pkcs11.util.x509 import decode_x509_certificate

from lawtrail.org.keys import ca_certificate_pem, seal_certificate_issue
from lawtrail.records.models import Seal
from lawtrail.records.tests.test_sealing import finalise, pdf_of, validate

SOFTHSM_LIB = "/usr/lib/softhsm/libsofthsm2.so"
TOKEN, PIN = "lawtrail-seal", "246810"


@pytest.fixture
def softhsm(tmp_path, monkeypatch):
    if not (shutil.which("softhsm2-util") and os.path.exists(SOFTHSM_LIB)):
        if os.environ.get("CI") == "true":
            pytest.fail("softhsm2 is missing: `make system-deps` installs it (Debian package softhsm2)")
        pytest.skip("softhsm2 not installed (Debian package softhsm2)")
    (tmp_path / "tokens").mkdir()
    conf = tmp_path / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {tmp_path / 'tokens'}\nobjectstore.backend = file\n")
    monkeypatch.setenv("SOFTHSM2_CONF", str(conf))
    subprocess.run(["softhsm2-util", "--init-token", "--free", "--label", TOKEN, "--so-pin", "13579",
                    "--pin", PIN], check=True, capture_output=True)
    return tmp_path


def put_into_token(agency, directory):
    """Move the agency's trial key and certificate into the token, as an administrator
    would load a UKey; the key file is then gone, so only the token can seal."""
    seal_certificate_issue(agency)
    label = f"seal-{agency.code}"
    key_path, cert_path = settings.LAWTRAIL_KEY_DIR / f"{label}.key", settings.LAWTRAIL_KEY_DIR / f"{label}.pem"
    subprocess.run(["softhsm2-util", "--import", str(key_path), "--token", TOKEN, "--label", label, "--id", "01",
                    "--pin", PIN], check=True, capture_output=True)
    key_path.unlink()
    der = x509.load_pem_x509_certificate(cert_path.read_bytes()).public_bytes(Encoding.DER)
    with pkcs11.lib(SOFTHSM_LIB).get_token(token_label=TOKEN).open(rw=True, user_pin=PIN) as session:
        session.create_object({**decode_x509_certificate(der), Attribute.CLASS: ObjectClass.CERTIFICATE,
                               Attribute.TOKEN: True, Attribute.LABEL: label, Attribute.ID: b"\x01"})
    ca = directory / "agency-ca.pem"
    ca.write_bytes(ca_certificate_pem())
    return ca


def test_a_key_in_a_pkcs11_token_seals_a_decision(org, softhsm):
    ca = put_into_token(org.agency, softhsm)
    with override_settings(LAWTRAIL_SEAL_PKCS11_LIB=SOFTHSM_LIB, LAWTRAIL_SEAL_PKCS11_TOKEN=TOKEN,
                           LAWTRAIL_SEAL_PKCS11_PIN=PIN, LAWTRAIL_SEAL_CA_CERTS=str(ca)):
        record = finalise(org)
    seal = Seal.objects.get(record=record)
    status = validate(pdf_of(record.pdf_sha256))
    assert status.intact and status.valid and status.trusted and status.coverage.name == "ENTIRE_FILE"
    assert status.signing_cert.sha256.hex() == seal.certificate_sha256
