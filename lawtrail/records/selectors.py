"""Reads of 执法文书."""

from django.db.models import OuterRef, Subquery

from lawtrail.access.policy import hidden_items
from lawtrail.core.canonical import content_hash
from lawtrail.core.errors import NotFound
from lawtrail.records.models import Record, RecordStatus, Seal, SealLevel
from lawtrail.records.sealing import timestamp_configured


def record_content_hash(record):
    """What a signature attests: the document type, its case, version and content, and
    the files attached to it (so attaching after signing voids the signatures)."""
    content = {"doc_type": record.doc_type, "case": record.case.case_no, "version": record.version,
               "data": record.data}
    attached = sorted(record.attachments.values_list("sha256", flat=True)) if record.pk else []
    if attached:
        content["attachments"] = attached
    return content_hash(content)


def valid_signatures(record):
    """Signatures and refusals given on the record's current content."""
    current = record_content_hash(record)
    return [s for s in record.signatures.select_related("officer") if s.content_hash == current]


def case_records(case):
    """The case's records in time order, discarded drafts and what the viewer may not see left out."""
    hidden, _ = hidden_items(case)
    return (case.records.exclude(status=RecordStatus.DISCARDED).exclude(pk__in=hidden)
            .select_related("created_by", "finalised_by").order_by("created_at", "id"))


# What a row of the case page's records table shows.
ROW_FIELDS = ("case", "created_at", "title", "number", "version", "status", "created_by__full_name",
              "created_by__username")


def record_rows(records):
    """The records with only what their table rows show loaded (not their contents)."""
    return records.select_related(None).select_related("created_by").only(*ROW_FIELDS)


def record_for(case, pk):
    hidden, _ = hidden_items(case)
    record = Record.objects.filter(case=case, pk=pk).exclude(pk__in=hidden).select_related("case__agency").first()
    if record is None:
        raise NotFound("文书不存在")
    return record


def versions(record):
    """Every version of the record's chain, oldest first."""
    first = record
    while first.previous_id:
        first = first.previous
    chain = [first]
    while (nxt := Record.objects.filter(previous=chain[-1]).first()) is not None:
        chain.append(nxt)
    return chain


def verify_code_normal(code):
    """A verification code as typed or scanned: case, spaces and dashes do not matter.
    Anything longer than a code can be is no code at all (and is not logged at length)."""
    code = "".join(ch for ch in (code or "").upper() if ch.isalnum())
    return code if len(code) <= 16 else ""


def record_by_verify_code(code):
    """The finalised record a verification code (扫码验真) names, or None. A corrected
    record's earlier versions keep their codes: their paper copies stay verifiable."""
    code = verify_code_normal(code)
    if not code:
        return None
    return Record.objects.filter(verify_code=code, status=RecordStatus.FINAL).select_related("case__agency").first()


def corrected_by(record):
    """The finalised correction of a record (its next version), or None: whoever holds the
    earlier paper must know it is no longer the one in force."""
    return Record.objects.filter(previous=record, status=RecordStatus.FINAL).only("version").first()


def genuine_pdfs(record):
    """Every PDF the system keeps of a finalised record, as (what it is, SHA-256): the
    original, then each sealed or time-stamped version (a copy of any of them is genuine)."""
    pdfs = {record.pdf_sha256: "定稿原件"} if record.pdf_sha256 else {}
    for seal in record.seals.order_by("sealed_at", "id"):
        sealed = "定稿原件" if seal.pdf_sha256 == record.pdf_sha256 else "文本"  # sealed as it was finalised
        pdfs[seal.pdf_sha256] = f"加盖电子印章的{sealed}（{seal.get_level_display()}）"
    return [(label, sha256) for sha256, label in pdfs.items()]


def latest_seal(record):
    """The record's newest seal (a completed time-stamp is a newer one), or None."""
    return record.seals.order_by("sealed_at", "id").last()


def sealed_pdf_sha256(record):
    """The signed original to hand out: the newest sealed PDF (each later one only appends
    to the one before), else the stored PDF of a record finalised before seals existed."""
    seal = latest_seal(record)
    return seal.pdf_sha256 if seal else record.pdf_sha256


def timestamp_pending(record=None):
    """Finalised records whose newest seal still lacks its time-stamp (时间戳待补), when a TSA
    is configured; with `record`, whether that one does."""
    if not timestamp_configured():
        return False if record else Record.objects.none()
    newest = Seal.objects.filter(record=OuterRef("pk")).order_by("-sealed_at", "-id").values("level")[:1]
    pending = Record.objects.filter(status=RecordStatus.FINAL).annotate(level=Subquery(newest)).filter(
        level=SealLevel.B_B)
    return pending.filter(pk=record.pk).exists() if record else pending.select_related("case__agency")
