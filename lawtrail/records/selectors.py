"""Reads of 执法文书."""

from django.db.models import OuterRef, Q, Subquery

from lawtrail.core.canonical import content_hash
from lawtrail.core.errors import NotFound
from lawtrail.core.policy import hidden_items, visible_cases
from lawtrail.core.text import number_or_none
from lawtrail.org.enums import Role
from lawtrail.org.models import User
from lawtrail.records.catalog import SignerSpec, catalog
from lawtrail.records.models import Record, RecordStatus, Seal, SealLevel
from lawtrail.records.sealing import timestamp_configured


def record_content_hash(record, covers=None, attached=None, data=None):
    """What a signature attests: the document type, its case and version, the fields of its
    section (`covers`; all of them when None, as signatures given before sections were
    kept) and the files attached to the record (so attaching after signing voids them).
    `data` stands for the record's content as a signature captured offline saw it."""
    data = record.data if data is None else data
    data = data if covers is None else {key: data[key] for key in covers if key in data}
    content = {"doc_type": record.doc_type, "case": record.case.case_no, "version": record.version, "data": data}
    if covers is not None:
        content["covers"] = list(covers)
    if attached is None:
        attached = sorted(record.attachments.values_list("sha256", flat=True)) if record.pk else []
    if attached:
        content["attachments"] = attached
    return content_hash(content)


def draft_revision(record):
    """Which version of a draft's content a form was loaded from: a hash of the content, so
    that a save made from an older version (a page left open offline while a colleague saved)
    is told from one that continues the latest. Equal content is the same version."""
    return content_hash({"data": record.data})


def signature_counts(record, signature, attached=None):
    """Whether what the signature covers is still as it was when it was given."""
    covers = signature.covers or None  # an empty list: given before sections, on everything
    return signature.content_hash == record_content_hash(record, covers, attached)


def _signatures(record):
    attached = sorted(record.attachments.values_list("sha256", flat=True)) if record.pk else []
    signatures = list(record.signatures.select_related("officer", "user", "recorded_by"))
    return [(s, signature_counts(record, s, attached)) for s in signatures]


def valid_signatures(record):
    """Signatures and refusals that still count: what each covers is unchanged."""
    return [s for s, counts in _signatures(record) if counts]


def voided_signatures(record):
    """Signatures given on a draft whose covered content changed since, and not given again
    by the same person in the same slot: they must be given again."""
    signatures = _signatures(record)
    standing = {(s.slot, s.signer_name) for s, counts in signatures if counts}
    voided = {}
    for s, counts in signatures:
        if not counts and (s.slot, s.signer_name) not in standing:
            voided[(s.slot, s.signer_name)] = s
    return list(voided.values())


def resign_needed(user):
    """This user's 待办 of signatures to give again: the drafts (of cases he may see) on which
    a signature of his no longer counts because what it covered was changed."""
    drafts = Record.objects.filter(
        status=RecordStatus.DRAFT, case__in=visible_cases(user),
        signatures__refused=False).filter(
        Q(signatures__user=user) | Q(signatures__officer__user=user)).distinct().select_related("case")
    found = []
    for record in drafts:
        mine = [s for s in voided_signatures(record) if user.pk in (s.user_id, getattr(s.officer, "user_id", None))]
        if mine:
            found.append((record, mine))
    return found


def case_records(case):
    """The case's records in time order, discarded drafts and what the viewer may not see left out."""
    hidden, _ = hidden_items(case)
    return (case.records.exclude(status=RecordStatus.DISCARDED).exclude(pk__in=hidden)
            .select_related("created_by", "finalised_by").order_by("created_at", "id"))


def case_documents(case):
    """(doc_type, status, data) of each of the case's records, discarded drafts left out:
    what the workflow's gates read."""
    return list(case.records.exclude(status=RecordStatus.DISCARDED).values_list("doc_type", "status", "data"))


# What a row of the case page's records table shows.
ROW_FIELDS = ("case", "created_at", "doc_type", "title", "number", "version", "status", "created_by__full_name",
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


def slot_signers(case, spec):
    """The officials who may sign an official slot of the case's record: the handling
    officers (officers), the agency's heads or reviewers, or the case department's officials
    who do not handle it (department). Parties and witnesses are named, not chosen."""
    if spec.kind == "officer":
        return [a.officer for a in case.team()]
    users = User.objects.filter(agency_id=case.agency_id, is_active=True).order_by("id")
    if spec.kind in ("head", "reviewer"):
        return list(users.filter(role=spec.kind))
    if spec.kind == "department":
        handlers = case.assignments.values_list("officer__user_id", flat=True)
        return list(users.filter(department_id=case.department_id, role__in=(Role.OFFICER, Role.HEAD))
                    .exclude(pk__in=handlers))
    return []


def served_documents(case):
    """The case's finalised documents issued to the party (those with a 文号), their latest
    versions only, as its viewer may see them: what a 送达回证 picks from."""
    hidden, _ = hidden_items(case)
    issued = [code for code, spec in catalog().items() if spec.issued]
    superseded = Record.objects.filter(case=case, previous__isnull=False).values("previous_id")
    return list(case.records.filter(status=RecordStatus.FINAL, doc_type__in=issued).exclude(pk__in=hidden)
                .exclude(pk__in=superseded).order_by("finalised_at", "id"))


def the_decision(documents):
    """The one 决定书 among these documents, or None when there is none or more than one."""
    decisions = [d for d in documents if d.title.endswith("决定书")]
    return decisions[0] if len(decisions) == 1 else None


def officials(case, kind):
    """Who of the agency may stand in an official's field of this kind (officer, reviewer, head)."""
    return slot_signers(case, SignerSpec(slot="", kind=kind, label=""))


def slot_signer(case, spec, pk):
    """The official a signing form names for this slot, among those who may sign it, or None."""
    pk = number_or_none(pk)
    return next((who for who in slot_signers(case, spec) if who.pk == pk), None)


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


def signatures_awaited(user, limit=50):
    """(record, slot spec) for the official slots of drafts that wait for this user's own
    signature: his 承办人 slots on the cases he handles, the agency's 负责人 or 审核人员 slots
    for a head or reviewer. The newest drafts first, at most `limit` records looked at."""
    from lawtrail.records.catalog import catalog

    kinds = {Role.OFFICER: "officer", Role.HEAD: "head", Role.REVIEWER: "reviewer"}
    kind = kinds.get(user.role)
    if kind is None:
        return []
    codes = [code for code, spec in catalog().items() if any(s.kind == kind for s in spec.signers)]
    drafts = Record.objects.filter(status=RecordStatus.DRAFT, doc_type__in=codes, case__in=visible_cases(user))
    if kind == "officer":
        drafts = drafts.filter(case__assignments__officer__user=user)
    found = []
    for record in drafts.select_related("case").order_by("-created_at", "-id").distinct()[:limit]:
        spec = catalog()[record.doc_type]
        signed = valid_signatures(record)
        for slot in spec.signers:
            if slot.kind != kind or slot.min == 0:
                continue
            mine = any(s.slot == slot.slot and user.pk in (s.user_id, getattr(s.officer, "user_id", None))
                       for s in signed)
            given = len({s.signer_name for s in signed if s.slot == slot.slot})
            if not mine and given < max(slot.min, 1):
                found.append((record, slot))
    return found
