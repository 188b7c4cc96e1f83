"""Reads for the archive: the case file's catalog, retention of a case's items, holds."""

import io
from collections import defaultdict

from django.db.models import OuterRef, Subquery
from pypdf import PdfReader

from lawtrail.archive.models import (CaseFile, DecisionStatus, DisposalRequest, HoldKind, LegalHold, Provision,
                                     ProvisionStatus, RetentionMark)
from lawtrail.archive.retention import case_facts, record_retention, recording_retention
from lawtrail.blobs import blob_store
from lawtrail.core.lookups import named, of_cases
from lawtrail.core.policy import RESTRICTED_ENTRY, hidden_items, visible_cases
from lawtrail.records.models import RecordStatus


def disposed_hashes(case):
    """The stored files of this case whose content was disposed of (approved requests)."""
    return set(DisposalRequest.objects.filter(case=case, status=DecisionStatus.APPROVED)
               .values_list("sha256", flat=True))


def holds_and_marks(case_ids):
    """({case id: [hold kind labels]}, {case id: {retention circumstances}}) for these cases,
    (and perhaps of others, as `of_cases` reads them) in two queries: what the archive and
    retention rules read."""
    holds, marks = defaultdict(list), defaultdict(set)
    for case_id, kind in of_cases(LegalHold.objects, case_ids).values_list("case_id", "kind"):
        holds[case_id].append(HoldKind(kind).label)
    for case_id, circumstance in of_cases(RetentionMark.objects, case_ids).values_list("case_id", "circumstance"):
        marks[case_id].add(circumstance)
    return holds, marks


def active_holds(case):
    return LegalHold.objects.filter(case=case, released_at__isnull=True)


def latest_case_file(case):
    """The case's latest case file; the items of its catalog and recordings list that the
    case's viewer may not see come as restricted rows (their place and pages, no names)."""
    case_file = _latest(case)
    hidden_records, hidden_recordings = hidden_items(case)
    if case_file is not None and (hidden_records or hidden_recordings):
        case_file.catalog = [_restricted_row(item) if item.get("record_id") in hidden_records else item
                             for item in case_file.catalog]
        case_file.recordings = [_restricted_row(item) if item.get("recording_id") in hidden_recordings else item
                                for item in case_file.recordings]
    return case_file


def _latest(case):
    return CaseFile.objects.filter(case=case).order_by("-version").first()


def _restricted_row(item):
    kept = ("seq", "page_from", "page_to", "pages")
    return {**{key: "" for key in item}, **{key: item[key] for key in kept if key in item},
            "title": RESTRICTED_ENTRY, "filename": RESTRICTED_ENTRY, "restricted": True}


def with_latest_case_file(cases):
    """The cases, each with `case_file_version`: its latest case file's, None before the first."""
    latest = CaseFile.objects.filter(case=OuterRef("pk")).order_by("-version").values("version")[:1]
    return cases.annotate(case_file_version=Subquery(latest))


def file_records(case):
    """The documents that go into the case file: finalised, current versions, in time order
    (a corrected version replaces the one it corrects; the old one stays in the system)."""
    return list(case.records.filter(status=RecordStatus.FINAL, correction__isnull=True)
                .order_by("finalised_at", "id"))


def case_file_problem(case):
    """Why the case cannot be accepted into the archive as assembled, or None."""
    case_file = _latest(case)
    if case_file is None:
        return "尚未组卷，请先生成案卷（卷内目录和备考表）"
    if case_file.record_ids != [r.pk for r in file_records(case)]:
        return f"组卷（第 {case_file.version} 版）后文书有变化，请重新组卷"
    return None


def pdf_pages(sha256):
    with blob_store().open(sha256) as f:
        return len(PdfReader(io.BytesIO(f.read())).pages)


def evidence_notes(case):
    """sha256 of a recording -> the 视听资料文字说明 that describes it."""
    notes = {}
    for record in case.records.filter(doc_type="av_evidence_note", status=RecordStatus.FINAL):
        sha256 = (record.data or {}).get("sha256", "").strip().lower()
        if sha256:
            notes[sha256] = record
    return notes


def retention_rows(case):
    """Every record and recording of the case with its retention, for the archive page
    (less what the viewer may not see)."""
    facts = case_facts(case)
    disposed = disposed_hashes(case)
    pending = set(DisposalRequest.objects.filter(case=case, status=DecisionStatus.PENDING)
                  .values_list("sha256", flat=True))
    hidden_records, hidden_recordings = hidden_items(case)
    rows = []
    for record in (r for r in file_records(case) if r.pk not in hidden_records):
        rows.append({"kind": "文书", "label": f"《{record.title}》{record.number}", "object": record,
                     "retention": record_retention(record, facts), "disposed": False, "requested": False})
    for recording in case.recordings.exclude(pk__in=hidden_recordings).select_related("case__agency"):
        rows.append({"kind": recording.get_kind_display(), "label": recording.filename, "object": recording,
                     "retention": recording_retention(recording, facts),
                     "disposed": recording.sha256 in disposed, "requested": recording.sha256 in pending})
    return rows


# --- a case's archive objects, and the pending requests of the cases a user may see ----------

def case_holds(case):
    return LegalHold.objects.filter(case=case).select_related("placed_by", "released_by")


def case_disposals(case):
    """The case's disposal requests, less those about items hidden from its viewer."""
    hidden_records, hidden_recordings = hidden_items(case)
    return (DisposalRequest.objects.filter(case=case).exclude(recording__in=hidden_recordings)
            .exclude(attachment__record__in=hidden_records).select_related("requested_by", "decided_by"))


def case_provisions(case):
    return Provision.objects.filter(case=case).select_related("requested_by", "decided_by")


def hold_for(case, pk):
    return named(LegalHold.objects.filter(case=case), pk, "保全不存在")


def provision_for(case, pk, label="对外提供申请"):
    return named(Provision.objects.filter(case=case), pk, f"{label}不存在")


def pending_disposals(user):
    return (DisposalRequest.objects.filter(case__in=visible_cases(user), status=DecisionStatus.PENDING)
            .select_related("case", "requested_by"))


def open_provisions(user):
    return (Provision.objects.filter(case__in=visible_cases(user),
                                     status__in=[ProvisionStatus.PENDING, ProvisionStatus.APPROVED])
            .select_related("case", "requested_by"))


def disposal_for(user, pk):
    return named(DisposalRequest.objects.filter(case__in=visible_cases(user)), pk, "销毁申请不存在")
