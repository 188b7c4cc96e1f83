"""The agency's electronic seal (电子印章) on a finalised 文书: its PDF signed as PAdES with the
agency's document-sealing certificate (《电子签名法》第十三条: any later change is detectable).

The visible seal sits over the issuer block's `#seal-anchor`. The signature covers the whole
document, personal signatures' table included. With a TSA configured (LAWTRAIL_TSA_URL) it
carries an RFC 3161 time-stamp (PAdES-B-T), and the CA's CRL and certificates as validation
data when the TSA's certificates are configured too (B-LT). A TSA that does not answer leaves
a B-B seal; `seal_timestamp_add` later adds a document time-stamp as an incremental update.

pyHanko takes seconds to import: it is imported where it is used, so that the commands and
pages that never seal do not wait for it."""

import asyncio
import functools
import io
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from django.conf import settings

from lawtrail.core.errors import Conflict
from lawtrail.org.keys import seal_identity
from lawtrail.records.models import SealLevel

FIELD = "LawTrailSeal"
MD = "sha256"
UNSTAMPED_RESERVE = 16384  # bytes for a CMS container with the signer's and the CA's certificates


class SealRefused(Conflict):
    """The agency's sealing certificate may not seal (expired, revoked, not yet valid)."""


@dataclass(frozen=True)
class Sealed:
    pdf: bytes
    level: str
    certificate_sha256: str
    certificate_subject: str
    timestamp_at: datetime | None


def timestamp_configured():
    return bool(settings.LAWTRAIL_TSA_URL)


def _off_the_event_loop(fn):
    """pyHanko drives its own event loop (asyncio.run), which Python refuses inside a running
    one (an ASGI server's, a test's): there the work runs in a thread of its own."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return fn(*args, **kwargs)
        with ThreadPoolExecutor(max_workers=1) as pool:
            return pool.submit(fn, *args, **kwargs).result()
    return wrapper


def _tsa_roots():
    from asn1crypto import pem, x509

    path = settings.LAWTRAIL_TSA_CERTS
    if not path:
        return []
    return [x509.Certificate.load(der) for _, _, der in pem.unarmor(Path(path).read_bytes(), multiple=True)]


def _timestamper():
    from pyhanko.sign.timestamps.requests_client import RequestsHTTPTimeStamper

    if not timestamp_configured():
        return None
    return RequestsHTTPTimeStamper(settings.LAWTRAIL_TSA_URL, timeout=settings.LAWTRAIL_SEAL_TSA_TIMEOUT)


def _validation_context(identity):
    """What B-LT embeds beside a time-stamp; None when the TSA's chain could not be checked
    (its roots unset). Without a time-stamp nothing is embedded: the seal then covers the
    whole file."""
    from pyhanko_certvalidator import ValidationContext

    tsa_roots = _tsa_roots()
    if not tsa_roots:
        return None
    return ValidationContext(trust_roots=identity.trust_roots + tsa_roots, crls=identity.crls,
                             allow_fetching=identity.allow_fetching)


def _gen_time(pdf):
    """When the last signature of `pdf` was time-stamped (its own token or a document
    time-stamp), or None."""
    from pyhanko.pdf_utils.reader import PdfFileReader

    signature = PdfFileReader(io.BytesIO(pdf)).embedded_signatures[-1]
    if signature.sig_object_type == "/DocTimeStamp":
        token = signature.signed_data
    else:
        unsigned = signature.signer_info["unsigned_attrs"]
        tokens = [a["values"][0]["content"] for a in (unsigned if unsigned.native else [])
                  if a["type"].native == "signature_time_stamp_token"]
        if not tokens:
            return None
        token = tokens[0]
    return token["encap_content_info"]["content"].parsed["gen_time"].native


def _ink(image_path):
    """The seal image drawn as ink is (multiply blend): the text under it stays legible."""
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.content import ResourceType
    from pyhanko.pdf_utils.images import PdfImage

    class Ink(PdfImage):
        def render(self):
            self.set_resource(category=ResourceType.EXT_G_STATE, name=generic.pdf_name("/Ink"),
                              value=generic.DictionaryObject({generic.pdf_name("/BM"): generic.pdf_name("/Multiply")}))
            return b"q /Ink gs " + super().render() + b" Q"

    return Ink(str(image_path))


def _sign(pdf, seal_box, identity, *, reason, timestamper):
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers
    from pyhanko.stamp import StaticStampStyle

    context = _validation_context(identity) if timestamper else None
    meta = signers.PdfSignatureMetadata(
        field_name=FIELD, md_algorithm=MD, subfilter=fields.SigSeedSubFilter.PADES, reason=reason,
        embed_validation_info=context is not None, validation_context=context,
    )
    page, box = seal_box or (0, None)  # a layout without the issuer block: an invisible seal
    style = StaticStampStyle(background=_ink(identity.image), border_width=0, background_opacity=1.0)
    pdf_signer = signers.PdfSigner(meta, signer=identity.signer, timestamper=timestamper, stamp_style=style,
                                   new_field_spec=fields.SigFieldSpec(FIELD, on_page=page, box=box))
    # Without a time-stamp the container's size is known well enough: reserving room for it
    # spares pyHanko's estimate, a second signing run that would double the cost.
    out = pdf_signer.sign_pdf(IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False),
                              bytes_reserved=None if timestamper else UNSTAMPED_RESERVE)
    level = SealLevel.B_B if timestamper is None else SealLevel.B_LT if context else SealLevel.B_T
    return out.getvalue(), level


@_off_the_event_loop
def seal_pdf(pdf, seal_box, *, agency, reason) -> Sealed:
    """Seal a freshly rendered PDF; SealRefused when the certificate may not seal. A TSA that
    does not answer gives a B-B seal (its time-stamp to be added later)."""
    from pyhanko.sign.timestamps.common_utils import TimestampRequestError

    with seal_identity(agency) as identity:
        if problem := identity.problem():
            raise SealRefused(problem)
        timestamper = _timestamper()
        try:
            sealed, level = _sign(pdf, seal_box, identity, reason=reason, timestamper=timestamper)
        except TimestampRequestError:
            sealed, level = _sign(pdf, seal_box, identity, reason=reason, timestamper=None)
        return Sealed(sealed, level, identity.sha256, identity.subject,
                      _gen_time(sealed) if level != SealLevel.B_B else None)


@_off_the_event_loop
def seal_timestamp_add(pdf, *, agency) -> Sealed:
    """The sealed PDF with a document time-stamp appended (an incremental update: the seal's
    bytes stay as they were). TimestampRequestError while the TSA still does not answer."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign import signers
    from pyhanko.sign.validation import add_validation_info

    with seal_identity(agency) as identity:
        context = _validation_context(identity)
        if context:  # the seal's own validation data first, so the time-stamp covers it too
            seal = PdfFileReader(io.BytesIO(pdf)).embedded_signatures[0]
            pdf = add_validation_info(seal, context, skip_timestamp=True).getvalue()
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
        out = signers.PdfTimeStamper(_timestamper(), field_name="LawTrailTimestamp").timestamp_pdf(
            writer, MD, validation_context=context)
        stamped = out.getvalue()
        return Sealed(stamped, SealLevel.B_LT if context else SealLevel.B_T, identity.sha256, identity.subject,
                      _gen_time(stamped))
