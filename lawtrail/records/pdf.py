"""The PDF of a finalised 文书, in the standard layout, with its Chinese fonts embedded.

WeasyPrint lays out an HTML template; the fonts are Debian's Noto CJK, which
WeasyPrint subsets and embeds, so the PDF reads the same on any machine.
"""

import base64

import segno
from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone
from weasyprint import HTML

from lawtrail.blobs import blob_store
from lawtrail.records.catalog import doc_type
from lawtrail.records.selectors import valid_signatures
from lawtrail.regulations.citations import of_profile


def _image_uri(sha256):
    with blob_store().open(sha256) as f:
        data = f.read()
    if data.startswith(b"%PDF-"):
        return None  # a scanned PDF page is attached, not drawn into the signature block
    kind = "png" if data.startswith(b"\x89PNG") else "jpeg"
    return f"data:image/{kind};base64,{base64.b64encode(data).decode()}"


def verification(record):
    """The 扫码验真 block: a QR code of the public page's address, and the code to type there
    (in groups of four, as people read it out)."""
    code = record.verify_code
    url = f"{settings.LAWTRAIL_PUBLIC_URL}/verify/{code}"
    # Vector, so it prints sharp at any size; a one-module margin, the page's white does the rest.
    qr = segno.make(url, error="m").svg_data_uri(border=1)
    return {"url": url, "qr": qr, "code": "-".join(code[i:i + 4] for i in range(0, len(code), 4))}


def pdf_context(record):
    spec = doc_type(record.doc_type)
    signatures = valid_signatures(record)
    return {
        "record": record,
        "agency": record.case.agency,
        "case": record.case,
        "fields": [(f, f.as_text(record.data.get(f.key)), record.data.get(f.key)) for f in spec.fields],
        "signers": [
            (signer, [(s, _image_uri(s.image_sha256) if s.image_sha256 else None)
                      for s in signatures if s.slot == signer.slot])
            for signer in spec.signers
        ],
        "attachments": list(record.attachments.all()),
        "cite": "、".join(of_profile(spec.cite, record.case.agency.profile)),  # the case's own regulation
        "printed_at": timezone.localtime(),
        "verify": verification(record) if record.verify_code else None,
    }


# WeasyPrint lays out in CSS px (96 per inch); PDF user space is in points (72 per inch).
PT_PER_PX = 72 / 96


def render_pdf(record) -> bytes:
    return render_document(record)[0]


def render_document(record):
    """The PDF and where its seal goes: (bytes, (page index, (x1, y1, x2, y2) in PDF points
    from the page's bottom left)), from the layout of the issuer block's `#seal-anchor`."""
    document = HTML(string=render_to_string("records/pdf.html", pdf_context(record))).render()
    seal_box = None
    for index, page in enumerate(document.pages):
        if anchor := page.anchors.get("seal-anchor"):
            left, top, right, bottom = anchor
            seal_box = (index, (left * PT_PER_PX, (page.height - bottom) * PT_PER_PX,
                                right * PT_PER_PX, (page.height - top) * PT_PER_PX))
    return document.write_pdf(), seal_box
