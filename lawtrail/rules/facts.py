"""What the rules read about a case: loaded once per case, or for a batch of cases in a
few queries (`facts_of`, for `evaluate_many`)."""

from collections import defaultdict, namedtuple
from functools import cached_property

from django.db.models import Q
from django.utils import timezone

from lawtrail.cases.enums import Source, Stage
from lawtrail.cases.models import Case, Party, StageTransition
from lawtrail.core.hooks import Hook
from lawtrail.core.lookups import of_cases
from lawtrail.core.prepared import Prepared
from lawtrail.media.models import GapExplanation, Recording
from lawtrail.media.selectors import coverage_of
from lawtrail.org.models import Agency
from lawtrail.records.models import Record, Signature
from lawtrail.regulations.profiles import get_profile

# What the rules read of a final record: plain tuples, not model instances (bulk speed). Its
# data and finalisation time are read only for the types in DATA_READ.
RecordFact = namedtuple("RecordFact", "pk doc_type number data finalised_at", defaults=(None,))
# A refusal to sign a final record, with what was recorded about it.
RefusalFact = namedtuple("RefusalFact", "number title signer_name reason witness_name video_ref signed_at")
REFUSAL_FIELDS = ("record__number", "record__title", "signer_name", "refusal_reason", "witness_name", "video_ref",
                  "signed_at")
# The document types whose contents the rules read (the rest only by type and number).
DATA_READ = ("service_mail", "decision", "rectification_check", "handling_opinion", "av_evidence_note",
             "hearing_notice", "statement_record", "inquiry_record", "investigation_record", "site_inspection_record",
             "service_public", "sampling_list", "hearing_record", "emergency_start_report",
             "simple_procedure_record")
# The 调查笔录 that must name their officers' 执法证件编号: the rules read who signed them.
OFFICER_LISTED = ("inquiry_record", "investigation_record", "site_inspection_record")
RECORDING_FIELDS = ("id", "case_id", "kind", "activity", "filename", "sha256", "started_at", "ended_at",
                    "received_at", "upload_due", "officer_id", "device_no", "method", "proves")


# (case ids) -> ({case id: [hold kind labels]}, {case id: {retention circumstances}}) for the
# archive and retention rules: archive, which keeps holds and marks, answers.
holds_and_marks = Hook("holds_and_marks", "lawtrail.archive")


def _signatures(signatures):
    """What the rules read of these signatures: those on final records that are refusals or
    an officer's on a 调查笔录, in the order they were given."""
    return signatures.filter(
        Q(refused=True) | Q(record__doc_type__in=OFFICER_LISTED, officer__isnull=False), record__status="final"
    ).order_by("signed_at", "id").values_list("record__case_id", "record_id", "refused", "officer__cert_no",
                                              *REFUSAL_FIELDS)


# One case's (every case page's checklist): compiled once.
_SIGNATURES_OF_CASE = Prepared(lambda case_id: _signatures(Signature.objects.filter(record__case_id=case_id)), int)
_FINAL_RECORDS_OF_CASE = Prepared(lambda case_id: Record.objects.filter(case_id=case_id, status="final").order_by(
    "finalised_at", "id").values_list("id", "doc_type", "number", "data", "finalised_at"), int)


def signatures_of(case_ids):
    """({case id: [RefusalFact]}, {record id: [执法证号]}) in one read of the signatures on
    the final records of these cases (and perhaps of others, as `of_cases` reads them): the
    refusals recorded, and the officers who signed each 调查笔录."""
    refusals, certs = defaultdict(list), defaultdict(list)
    if len(case_ids) == 1:
        rows = _SIGNATURES_OF_CASE.rows(case_ids[0])
    else:
        rows = _signatures(of_cases(Signature.objects, case_ids, "record__case_id"))
    for case_id, record_id, refused, cert_no, *values in rows:
        if refused:
            refusals[case_id].append(RefusalFact(*values))
        else:
            certs[record_id].append(cert_no)
    return refusals, certs


class PartiesOf:
    """Which cases of a batch have a registered party, read (in one query) only if a rule asks."""

    def __init__(self, case_ids):
        self.case_ids = case_ids

    @cached_property
    def found(self):
        return set(of_cases(Party.objects, self.case_ids).values_list("case_id", flat=True).distinct())

    def __contains__(self, case_id):
        return case_id in self.found


def complaint_declines(cases):
    """{case id: [data of its 不予立案并告知 steps]} for those of these cases declined after a complaint."""
    found = defaultdict(list)
    ids = [c.pk for c in cases if c.source == Source.COMPLAINT and c.stage == Stage.CLOSED]
    if ids:
        for case_id, data in StageTransition.objects.filter(case_id__in=ids, name="decline_complaint").values_list(
                "case_id", "data"):
            found[case_id].append(data or {})
    return found


class Facts:
    """What the rules read about one case, loaded once (or handed in by `evaluate_many`)."""

    def __init__(self, case, now=None, *, final_records=None, recordings=None, explanations=None, holds=None,
                 marks=None, refusals=None, officer_certs=None, parties=None, declines=None):
        self.case = case
        self.profile = get_profile(case.agency.profile)
        self.now = now or timezone.now()
        if final_records is not None:
            self.final_records = final_records
        if recordings is not None:
            self.recordings = recordings
        if explanations is not None:
            self.coverage = coverage_of(self.profile, recordings or [], explanations)
        if holds is not None:
            self.holds = holds
        if marks is not None:
            self.marks = marks
        if refusals is not None:
            self.refusals = refusals
        if officer_certs is not None:
            self.officer_certs = officer_certs
        if parties is not None:
            self._parties = parties
        if declines is not None:
            self.declines = declines

    @cached_property
    def final_records(self):
        return [RecordFact(*values) for values in _FINAL_RECORDS_OF_CASE.rows(self.case.pk)]

    def finals(self, *doc_types):
        return [r for r in self.final_records if r.doc_type in doc_types]

    @cached_property
    def recordings(self):
        return list(self.case.recordings.select_related("officer"))

    @cached_property
    def coverage(self):
        # Every recording counts, whoever looks at the checklist (case_coverage would leave out
        # those its viewer may not see).
        return coverage_of(self.profile, self.recordings, GapExplanation.objects.filter(case=self.case))

    @cached_property
    def signatures(self):
        return signatures_of([self.case.pk])

    @cached_property
    def refusals(self):
        return self.signatures[0][self.case.pk]

    @cached_property
    def officer_certs(self):
        """{record id: [执法证号 of the officers who signed it]} for the case's final 调查笔录."""
        return self.signatures[1]

    @cached_property
    def has_parties(self):
        parties = getattr(self, "_parties", None)
        return self.case.pk in parties if parties is not None else self.case.parties.exists()

    @cached_property
    def declines(self):
        """The data of the steps that declined the case after a complaint (不予立案并告知)."""
        return complaint_declines([self.case])[self.case.pk]

    @cached_property
    def holds(self):
        """The kinds of legal hold ever placed on the case (复议, 诉讼, 投诉)."""
        return holds_and_marks([self.case.pk])[0][self.case.pk]

    @cached_property
    def marks(self):
        """The retention circumstances recorded against the case or its recordings."""
        return holds_and_marks([self.case.pk])[1][self.case.pk]


def facts_of(batch, now, agencies, *, reads_holds):
    """(case, Facts) for a batch of cases, read in a few queries. `agencies` caches the
    cases' agencies across batches; holds and marks are read only when `reads_holds` says
    that the profile of one of the cases asks for them."""
    if not batch:
        return
    agency_field = Case._meta.get_field("agency")
    if unknown := {c.agency_id for c in batch if not agency_field.is_cached(c)} - agencies.keys():
        agencies.update(Agency.objects.in_bulk(unknown))
    for c in batch:
        if not agency_field.is_cached(c):
            c.agency = agencies[c.agency_id]
    ids = [c.pk for c in batch]
    records, recordings, explanations = defaultdict(list), defaultdict(list), defaultdict(list)
    finals = of_cases(Record.objects.filter(status="final"), ids)
    # Contents and finalisation times only of the types whose contents the rules read: turning
    # every record's time into a datetime would cost an eighth of the whole pass.
    contents = {pk: values for pk, *values in finals.filter(doc_type__in=DATA_READ).values_list(
        "id", "data", "finalised_at")}
    for pk, case_id, doc, number in finals.order_by("finalised_at", "id").values_list(
            "id", "case_id", "doc_type", "number"):
        records[case_id].append(RecordFact(pk, doc, number, *contents.get(pk, ({}, None))))
    for r in of_cases(Recording.objects, ids).only(*RECORDING_FIELDS):
        recordings[r.case_id].append(r)
    for g in of_cases(GapExplanation.objects, ids).only("id", "case_id", "before_id", "after_id", "reason"):
        explanations[g.case_id].append(g)
    (refusals, officer_certs), parties, declines = signatures_of(ids), PartiesOf(ids), complaint_declines(batch)
    holds, marks = defaultdict(list), defaultdict(set)
    if any(reads_holds(get_profile(c.agency.profile)) for c in batch):
        holds, marks = holds_and_marks(ids)
    for case in batch:
        yield case, Facts(case, now, final_records=records[case.pk], recordings=recordings[case.pk],
                          explanations=explanations[case.pk], holds=holds[case.pk], marks=marks[case.pk],
                          refusals=refusals[case.pk], officer_certs=officer_certs, parties=parties,
                          declines=declines[case.pk])
