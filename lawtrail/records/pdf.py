"""The PDF of a 文书, in the layout of its family, with its Chinese fonts embedded.

The catalog names each type's family (`layout`): 笔录 (transcript), 审批表 (approval),
决定书 and 告知书 (prose), 送达回证 (receipt), 清单 (list), or the label/value table (form).
The same template prints a finalised original, a draft marked 草稿 for the party to read
before signing, and a blank form for field work. WeasyPrint lays out the HTML; the fonts
are Debian's Noto CJK, which WeasyPrint subsets and embeds, so the PDF reads the same on
any machine.
"""

import base64

import segno
from django.conf import settings
from django.template.loader import render_to_string
from django.utils.dateparse import parse_date, parse_datetime
from weasyprint import HTML

from lawtrail.blobs import blob_store
from lawtrail.records.catalog import doc_type
from lawtrail.records.selectors import valid_signatures
from lawtrail.regulations.citations import of_profile

FINAL, DRAFT, BLANK = "final", "draft", "blank"
# The fields that name whom a document is addressed to, in the order they are looked for.
ADDRESSEE_KEYS = ("party_info", "recipient", "applicant", "complainant", "holder")
# Ruled lines a blank form leaves for what is written by hand.
BLANK_LINES = {"text": 4, "table": 8, "qa": 20}
# The body of a 笔录 that is questions and answers (or what was found), which a blank form
# leaves the most lines for.
QA_KEYS = ("content", "findings", "statements", "party_statement", "discussion")


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


def _printed(field, value):
    """A value as a document prints it: dates the Chinese way (2026年12月7日 9时30分)."""
    if value and field.type in ("date", "datetime"):
        moment = parse_datetime(value) if field.type == "datetime" else parse_date(value)
        if moment is not None:
            text = f"{moment.year}年{moment.month}月{moment.day}日"
            return text + (f" {moment.hour}时{moment.minute:02d}分" if field.type == "datetime" else "")
    return field.as_text(value)


def _signers(spec, record):
    signatures = valid_signatures(record) if record is not None else []
    return [
        (signer, [(s, _image_uri(s.image_sha256) if s.image_sha256 else None)
                  for s in signatures if s.slot == signer.slot])
        for signer in spec.signers
    ]


def document_context(spec, *, agency, case=None, record=None, mode=FINAL, data=None):
    """What every layout reads. `record` is None for a blank form, whose `data` may say what
    kind it is (a 行政处罚决定书 among the 决定书)."""
    data = record.data if record is not None else (data or {})
    every = [(f, _printed(f, data.get(f.key)), data.get(f.key)) for f in spec.fields]
    # An optional item left empty is not printed; a blank form offers every one.
    fields = [item for item in every if mode == BLANK or item[0].required or item[1]]
    own = {key for s in spec.signers for key in s.fields}
    parties = list(case.parties.all()) if case is not None else []
    signers = _signers(spec, record)
    if mode == FINAL:  # an optional slot nobody signed leaves no empty line to be filled in later
        signers = [(s, given) for s, given in signers
                   if given or s.min or any(data.get(key) for key in s.fields)]
    party = next(((s, given) for s, given in signers if s.kind == "party"), None)
    return {
        "spec": spec,
        "blank": mode == BLANK,
        "draft": mode == DRAFT,
        "record": record,
        "title": record.title if record is not None else spec.title_for(data),
        "code_word": spec.code_word(data),
        "number_label": spec.number_label,
        "agency": agency,
        "case": case,
        "fields": fields,
        "by_key": {f.key: (f, text, value) for f, text, value in every},
        # The fields no signer's section owns (the body), and each section with its own.
        "body": [item for item in fields if item[0].key not in own],
        # A 笔录's header block: the short items two to a line, a long one on a line of its own.
        "head_fields": [(f, text, value, len(f.label) + len(text) > 19 or (mode == BLANK and f.type == "string"))
                        for f, text, value in fields
                        if f.key not in own and f.type not in ("text", "table")],
        "sections": [(signer, given, [item for item in fields if item[0].key in signer.fields])
                     for signer, given in signers],
        "signers": signers,
        "party": party,
        # Those who sign an issued document's receipt (the party, the serving officers); the
        # head's approval of a decision is on file, not drawn on it.
        "has_receipt": any(s.kind != "head" for s in spec.signers),
        # Whom an issued document speaks to: its addressee field, else the case's party.
        "addressee": next((text for f, text, _ in fields if f.key in ADDRESSEE_KEYS and text),
                          parties[0].name if parties else ""),
        "blank_lines": range(BLANK_LINES["text"]),
        "blank_rows": range(BLANK_LINES["table"]),
        "qa_lines": range(BLANK_LINES["qa"]),
        "qa_keys": QA_KEYS,
        "subtitle": spec.title.partition("（")[2].rstrip("）"),
        "attachments": list(record.attachments.all()) if record is not None else [],
        # 制作依据: kept in the PDF's metadata and the case file, never printed in the footer.
        "cite": "、".join(of_profile(spec.cite, agency.profile)) if agency is not None else "",
        "verify": verification(record) if record is not None and record.verify_code else None,
    }


def pdf_context(record, mode=FINAL):
    return document_context(doc_type(record.doc_type), agency=record.case.agency, case=record.case, record=record,
                            mode=mode)


def _html(context):
    return HTML(string=render_to_string(f"records/pdf/{context['spec'].layout}.html", context))


# WeasyPrint lays out in CSS px (96 per inch); PDF user space is in points (72 per inch).
PT_PER_PX = 72 / 96


def render_pdf(record) -> bytes:
    return render_document(record)[0]


def render_document(record):
    """The PDF and where its seal goes: (bytes, (page index, (x1, y1, x2, y2) in PDF points
    from the page's bottom left)), from the layout of the issuer block's `#seal-anchor`."""
    document = _html(pdf_context(record)).render()
    seal_box = None
    for index, page in enumerate(document.pages):
        if anchor := page.anchors.get("seal-anchor"):
            left, top, right, bottom = anchor
            seal_box = (index, (left * PT_PER_PX, (page.height - bottom) * PT_PER_PX,
                                right * PT_PER_PX, (page.height - top) * PT_PER_PX))
    return document.write_pdf(), seal_box


def render_draft(record) -> bytes:
    """A draft as it stands, marked 草稿 on every page, for the party to read before signing."""
    return _html(pdf_context(record, mode=DRAFT)).write_pdf()


def render_blank(spec, agency, kind="") -> bytes:
    """A type printed blank, for filling in by hand in the field; `kind`, for a type whose
    title names what was decided, is that (行政处罚 …)."""
    data = {spec.title_field: kind} if spec.title_field and kind else {}
    return _html(document_context(spec, agency=agency, mode=BLANK, data=data)).write_pdf()
