"""Signing identities: each agency's document-sealing certificate (电子印章) and its seal image.

Trial default (试用): on first use an installation CA (the agency CA, "LawTrail 电子印章根证书")
and, per agency, a sealing key and certificate it issues are generated into
LAWTRAIL_HOME/keys (0700; keys 0600). Revocation is a CRL the CA signs (`lawtrail seal-keys
revoke`), embedded into sealed PDFs as validation data. Production keys stay in a PKCS#11
token (UKey/HSM) chosen by LAWTRAIL_SEAL_PKCS11_*; the certificates its CA issued are then
given as PEM files (LAWTRAIL_SEAL_CA_CERTS, optionally a CRL in LAWTRAIL_SEAL_CRL).
pyHanko is imported where it is used (it takes seconds to import)."""

import contextlib
import datetime
import fcntl
import math
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from asn1crypto import crl as asn1_crl
from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from django.conf import settings
from django.utils import timezone

from lawtrail.core.files import private_dir, write_private

CA_NAME = "LawTrail 电子印章根证书（试用）"
CA_KEY, CA_CERT, CA_CRL = "seal-ca.key", "seal-ca.pem", "seal-ca.crl"
CA_YEARS, SEAL_YEARS = 20, 5


@dataclass
class SealIdentity:
    """What seals one agency's documents: a pyHanko signer, its certificate (asn1crypto), the
    trust roots and CRLs a validator needs, and the seal image drawn in the visible box."""

    signer: object
    certificate: asn1_x509.Certificate
    trust_roots: list
    crls: list
    image: Path
    allow_fetching: bool = False

    @property
    def subject(self):
        return self.certificate.subject.human_friendly

    @property
    def sha256(self):
        return self.certificate.sha256.hex()

    def problem(self, now=None):
        """Why this certificate may not seal now, in words for the user; None when it may."""
        now = now or timezone.now()
        validity = self.certificate["tbs_certificate"]["validity"]
        contact = "请联系系统管理员更换电子印章证书"
        if now < validity["not_before"].native:
            return f"本机关电子印章证书尚未生效，不能定稿签章；{contact}"
        if now > validity["not_after"].native:
            return f"本机关电子印章证书已于 {timezone.localtime(validity['not_after'].native):%Y年%m月%d日} 过期，不能定稿签章；{contact}"
        serial = self.certificate.serial_number
        for revocations in self.crls:
            for revoked in revocations["tbs_cert_list"]["revoked_certificates"] or []:
                if revoked["user_certificate"].native == serial:
                    return f"本机关电子印章证书已被吊销，不能定稿签章；{contact}"
        return None


def _dir():
    return private_dir(settings.LAWTRAIL_KEY_DIR)


def _pem_key(key):
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _name(common_name, organisation=None):
    parts = [x509.NameAttribute(NameOID.COUNTRY_NAME, "CN")]
    if organisation:
        parts.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation))
    parts.append(x509.NameAttribute(NameOID.COMMON_NAME, common_name))
    return x509.Name(parts)


@contextlib.contextmanager
def _locked():
    """One process at a time makes or replaces keys, certificates and the CRL, so that a key
    and its certificate always belong together."""
    fd = os.open(_dir() / ".seal.lock", os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _replace(path, data):
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    write_private(tmp, data)
    tmp.replace(path)


def _ca():
    """The CA's key and certificate, generated on first use."""
    directory = _dir()
    key_path, cert_path = directory / CA_KEY, directory / CA_CERT
    if not cert_path.exists():
        with _locked():
            if not cert_path.exists():
                _ca_generate(key_path, cert_path)
    key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
    return key, x509.load_pem_x509_certificate(cert_path.read_bytes())


def _ca_generate(key_path, cert_path):
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    name = _name(CA_NAME)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=365 * CA_YEARS))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False),
                           critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256()))
    _replace(key_path, _pem_key(key))
    _replace(cert_path, cert.public_bytes(serialization.Encoding.PEM))


def ca_certificate_pem() -> bytes:
    """The trust root a court imports to validate sealed PDFs (`lawtrail seal-keys ca`)."""
    if settings.LAWTRAIL_SEAL_PKCS11_LIB:
        return Path(settings.LAWTRAIL_SEAL_CA_CERTS).read_bytes()
    _ca()
    return (_dir() / CA_CERT).read_bytes()


def _crl_write(ca_key, ca_cert, revoked_serials):
    now = datetime.datetime.now(datetime.UTC)
    builder = (x509.CertificateRevocationListBuilder().issuer_name(ca_cert.subject)
               .last_update(now).next_update(now + datetime.timedelta(days=30)))
    for serial in sorted(revoked_serials):
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder().serial_number(serial).revocation_date(now).build())
    _replace(_dir() / CA_CRL, builder.sign(ca_key, hashes.SHA256()).public_bytes(serialization.Encoding.DER))


def _revoked_serials():
    path = _dir() / CA_CRL
    if not path.exists():
        return set()
    return {r.serial_number for r in x509.load_der_x509_crl(path.read_bytes())}


def _crl():
    """The CA's current CRL (asn1crypto), re-signed when it is due so a validator accepts it."""
    ca_key, ca_cert = _ca()
    path = _dir() / CA_CRL
    if not path.exists() or x509.load_der_x509_crl(path.read_bytes()).next_update_utc < (
            datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=7)):
        with _locked():
            _crl_write(ca_key, ca_cert, _revoked_serials())
    return asn1_crl.CertificateList.load(path.read_bytes())


def _agency_paths(agency):
    directory = _dir()
    return directory / f"seal-{agency.code}.key", directory / f"seal-{agency.code}.pem"


def seal_certificate_issue(agency, *, not_before=None, not_after=None):
    """Issue the agency a new trial sealing key and certificate, replacing any it had
    (`lawtrail seal-keys renew`; tests pass other validity dates)."""
    ca_key, ca_cert = _ca()
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    not_before = not_before or now - datetime.timedelta(minutes=5)
    cert = (x509.CertificateBuilder().subject_name(_name(f"{agency.name}电子印章", agency.name))
            .issuer_name(ca_cert.subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(not_before)
            .not_valid_after(not_after or now + datetime.timedelta(days=365 * SEAL_YEARS))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(True, True, False, False, False, False, False, False, False),
                           critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))
    key_path, cert_path = _agency_paths(agency)
    with _locked():
        _replace(key_path, _pem_key(key))
        _replace(cert_path, cert.public_bytes(serialization.Encoding.PEM))
    return cert


def seal_certificate_revoke(agency):
    """Put the agency's current trial sealing certificate on the CRL: from then on its
    documents cannot be finalised until `lawtrail seal-keys renew` issues a new one."""
    _, cert_path = _agency_paths(agency)
    if not cert_path.exists():
        return None
    cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
    ca_key, ca_cert = _ca()
    with _locked():
        _crl_write(ca_key, ca_cert, _revoked_serials() | {cert.serial_number})
    return cert


def _file_identity(agency):
    from pyhanko.sign.signers import SimpleSigner
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    key_path, cert_path = _agency_paths(agency)
    if not cert_path.exists():
        seal_certificate_issue(agency)
    _, ca_cert = _ca()
    ca = asn1_x509.Certificate.load(ca_cert.public_bytes(serialization.Encoding.DER))
    cert = asn1_x509.Certificate.load(x509.load_pem_x509_certificate(cert_path.read_bytes()).public_bytes(
        serialization.Encoding.DER))
    key = asn1_keys.PrivateKeyInfo.load(serialization.load_pem_private_key(
        key_path.read_bytes(), password=None).private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    signer = SimpleSigner(signing_cert=cert, signing_key=key, cert_registry=SimpleCertificateStore.from_certs([ca]))
    return SealIdentity(signer, cert, [ca], [_crl()], seal_image(agency))


def _pem_certificates(path):
    from asn1crypto import pem

    return [asn1_x509.Certificate.load(der) for _, _, der in pem.unarmor(Path(path).read_bytes(), multiple=True)]


@contextlib.contextmanager
def _pkcs11_identity(agency):
    from pyhanko.config.pkcs11 import TokenCriteria
    from pyhanko.sign.pkcs11 import PKCS11Signer, open_pkcs11_session

    label = settings.LAWTRAIL_SEAL_PKCS11_KEY.format(agency=agency.code)
    roots = _pem_certificates(settings.LAWTRAIL_SEAL_CA_CERTS)
    crls = ([asn1_crl.CertificateList.load(Path(settings.LAWTRAIL_SEAL_CRL).read_bytes())]
            if settings.LAWTRAIL_SEAL_CRL else [])
    session = open_pkcs11_session(settings.LAWTRAIL_SEAL_PKCS11_LIB, user_pin=settings.LAWTRAIL_SEAL_PKCS11_PIN,
                                  token_criteria=TokenCriteria(label=settings.LAWTRAIL_SEAL_PKCS11_TOKEN))
    try:
        # Hashed here, signed raw on the token: the mechanism every UKey and HSM offers.
        signer = PKCS11Signer(session, key_label=label, cert_label=label, ca_chain=roots, use_raw_mechanism=True)
        yield SealIdentity(signer, signer.signing_cert, roots, crls, seal_image(agency),
                           allow_fetching=not crls)
    finally:
        session.close()


@contextlib.contextmanager
def seal_identity(agency):
    """The agency's sealing identity for the duration of the block (a token session is
    closed after it)."""
    if settings.LAWTRAIL_SEAL_PKCS11_LIB:
        with _pkcs11_identity(agency) as identity:
            yield identity
    else:
        yield _file_identity(agency)


# The seal image: a round red 公章, the agency's name along the upper arc, a star inside.
SEAL_RED = (216, 30, 36, 255)
SEAL_PX = 480


def _font(size):
    from PIL import ImageFont

    found = subprocess.run(["fc-match", "-f", "%{file}:%{index}", "Noto Serif CJK SC:bold"],
                           capture_output=True, text=True).stdout
    path, _, index = found.rpartition(":")
    return ImageFont.truetype(path, size, index=int(index or 0))


def _star(draw, cx, cy, radius):
    points = []
    for i in range(10):
        r = radius if i % 2 == 0 else radius * 0.382
        angle = math.pi / 2 + i * math.pi / 5
        points.append((cx + r * math.cos(angle), cy - r * math.sin(angle)))
    draw.polygon(points, fill=SEAL_RED)


def _seal_png(name) -> bytes:
    import io

    from PIL import Image, ImageDraw

    size, scale = SEAL_PX, 2  # drawn twice as large, then scaled down for smooth edges
    big = size * scale
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    centre, ring = big / 2, big * 0.018
    draw.ellipse((ring, ring, big - ring, big - ring), outline=SEAL_RED, width=int(big * 0.035))
    _star(draw, centre, centre, big * 0.15)
    chars = list(name)
    font_size = int(big * (0.13 if len(chars) <= 12 else 0.10))
    font = _font(font_size)
    span = min(250.0, 22.0 * len(chars) * font_size / (big * 0.13))
    radius = big / 2 - ring - big * 0.04 - font_size / 2
    for i, char in enumerate(chars):
        angle = -span / 2 + span * (i + 0.5) / len(chars)  # degrees clockwise from the top
        glyph = Image.new("RGBA", (font_size * 2, font_size * 2), (0, 0, 0, 0))
        ImageDraw.Draw(glyph).text((font_size, font_size), char, font=font, fill=SEAL_RED, anchor="mm")
        glyph = glyph.rotate(-angle, resample=Image.BICUBIC)
        x = centre + radius * math.sin(math.radians(angle)) - font_size
        y = centre - radius * math.cos(math.radians(angle)) - font_size
        image.alpha_composite(glyph, (int(x), int(y)))
    out = io.BytesIO()
    image.resize((size, size), Image.LANCZOS).save(out, "PNG")
    return out.getvalue()


def seal_image(agency) -> Path:
    """The agency's seal image (PNG), generated on first use; an agency may replace the file
    with its own."""
    path = _dir() / f"seal-{agency.code}.png"
    if not path.exists():
        _replace(path, _seal_png(agency.name))
    return path
