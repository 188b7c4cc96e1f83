"""Watermarked downloads: a PDF of a confidential case leaves the system stamped with who
downloaded it and when on every page, so a leaked copy names its source. The stored
original is never changed; the response says which original it was made from. A
confidential recording plays under the same words laid over the picture (a film of the
screen names its source; the evidence itself stays byte for byte as received)."""

import io

from django.template.loader import render_to_string
from django.utils import timezone

from lawtrail.access.policy import CONFIDENTIAL
from lawtrail.blobs import blob_store
from lawtrail.blobs.responses import blob_download, bytes_download
from lawtrail.cases.enums import Confidentiality


def watermark_text(user, case, level=None, doing="下载"):
    """Who, when and what for, with the level (the case's unless an item's is given)."""
    label = Confidentiality(level).label if level else case.get_confidentiality_display()
    return f"{label} · {user.display_name} {user.get_username()} · {timezone.localtime():%Y-%m-%d %H:%M} {doing}"


def copy_mark(sha256, number=""):
    """What a marked copy says of its original: it is a copy (the original's seal no longer
    validates on it), and which signed original it was made from."""
    return "标记副本" + (f" · 文号 {number}" if number else "") + f" · 原件 SHA-256 {sha256}"


def watermarked(pdf, text, mark="") -> bytes:
    from pypdf import PdfReader, PdfWriter
    from weasyprint import HTML

    stamp = PdfReader(io.BytesIO(HTML(string=render_to_string(
        "access/watermark.html", {"text": text, "mark": mark, "rows": range(8)})).write_pdf())).pages[0]
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    for page in writer.pages:
        page.merge_page(stamp)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def pdf_download(user, case, sha256, filename, number=""):
    """The stored (signed) PDF as it is, or, for a confidential case, a marked copy of it that
    names the original's SHA-256 and 文号 (`number`)."""
    if case.confidentiality not in CONFIDENTIAL:
        return blob_download(sha256, filename, "application/pdf")
    with blob_store().open(sha256) as f:
        original = f.read()
    copy = watermarked(original, watermark_text(user, case), copy_mark(sha256, number))
    response = bytes_download(copy, filename, "application/pdf")
    response["X-Original-SHA256"] = sha256
    return response
