"""The rule catalog and its evaluation.

A rule has a stable id, a Chinese title, a severity, the profile parameter it reads (which
gives each profile's citation, and whether the profile uses the rule at all) and an
evaluator. Evaluated against a case it says: satisfied, violated, pending (with the due
time) or not applicable, with a message naming exactly what is missing and where.
"""

import datetime
import gc
from collections import defaultdict, namedtuple
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache, cached_property

from django.utils import timezone

from lawtrail.cases.enums import Procedure, Source, Stage
from lawtrail.cases.models import Case
from lawtrail.media.models import Activity
from lawtrail.media.models import GapExplanation, Recording
from lawtrail.media.selectors import coverage_of
from lawtrail.records.models import Record, Signature
from lawtrail.records.catalog import catalog as document_catalog, doc_type
from lawtrail.regulations.deadlines import add_working_days, av_upload_deadline, end_of_day
from lawtrail.regulations.profiles import get_profile, profiles

SATISFIED, VIOLATED, PENDING, NOT_APPLICABLE = "satisfied", "violated", "pending", "na"
STATUS_LABELS = {SATISFIED: "已满足", VIOLATED: "违反", PENDING: "待办", NOT_APPLICABLE: "不适用"}
SEVERITY_LABELS = {"high": "严重", "medium": "一般", "low": "提示"}
PAST_INITIATION = (Stage.INVESTIGATION, Stage.DECISION, Stage.EXECUTION, Stage.ARCHIVING, Stage.ARCHIVED)
PAST_DECISION = (Stage.EXECUTION, Stage.ARCHIVING, Stage.ARCHIVED)
SERVICE_TYPES = ("service_direct", "service_lodged", "service_mail", "service_entrusted", "service_public")


@dataclass(frozen=True)
class Result:
    status: str
    message: str
    due: datetime.datetime | None = None


@dataclass(frozen=True)
class Rule:
    id: str
    title: str
    severity: str
    param: str  # the profile block the rule reads; its `cite` is the rule's citation
    evaluate: object

    def uses(self, profile):
        try:
            block = profile.get(self.param)
        except KeyError:
            return False
        return block.get("enabled", True) is not False

    def cite(self, profile):
        return profile.cite(self.param)


# What the rules read of a final record: plain tuples, not model instances (bulk speed).
RecordFact = namedtuple("RecordFact", "pk doc_type number data")
# A refusal to sign a final record, with what was recorded about it.
RefusalFact = namedtuple("RefusalFact", "number title signer_name reason witness_name video_ref signed_at")
REFUSAL_FIELDS = ("record__number", "record__title", "signer_name", "refusal_reason", "witness_name", "video_ref",
                  "signed_at")


def _of_cases(queryset, ids, field="case_id"):
    """The queryset's rows of these cases, and perhaps of a few others: a dense run of ids (a
    pass over every case) is asked for as a range, far cheaper than an IN list of thousands of
    parameters; the caller keys what it reads by case and looks up only its own."""
    low, high = min(ids), max(ids)
    if high - low < 2 * len(ids):
        return queryset.filter(**{f"{field}__gte": low, f"{field}__lte": high})
    return queryset.filter(**{f"{field}__in": ids})


def refusals_of(case_ids):
    """{case id: [RefusalFact]} for the refusals recorded on the final records of these cases
    (and perhaps of others, as `_of_cases` reads them)."""
    found = defaultdict(list)
    for case_id, *values in _of_cases(Signature.objects, case_ids, "record__case_id").filter(
            record__status="final", refused=True).order_by("signed_at", "id").values_list(
            "record__case_id", *REFUSAL_FIELDS):
        found[case_id].append(RefusalFact(*values))
    return found


class Facts:
    """What the rules read about one case, loaded once (or handed in by `evaluate_many`)."""

    def __init__(self, case, now=None, *, final_records=None, recordings=None, explanations=None, holds=None,
                 marks=None, refusals=None):
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

    @cached_property
    def final_records(self):
        return [RecordFact(pk, doc_type, number, data) for pk, doc_type, number, data in
                self.case.records.filter(status="final").order_by("finalised_at", "id").values_list(
                    "id", "doc_type", "number", "data")]

    def finals(self, *doc_types):
        return [r for r in self.final_records if r.doc_type in doc_types]

    @cached_property
    def recordings(self):
        return list(self.case.recordings.select_related("officer"))

    @cached_property
    def coverage(self):
        # Every recording counts, whoever looks at the checklist (case_coverage would leave out
        # those its viewer may not see).
        from lawtrail.media.models import GapExplanation

        return coverage_of(self.profile, self.recordings, GapExplanation.objects.filter(case=self.case))


    @cached_property
    def refusals(self):
        return refusals_of([self.case.pk])[self.case.pk]

    @cached_property
    def holds(self):
        """The kinds of legal hold ever placed on the case (复议, 诉讼, 投诉)."""
        from lawtrail.archive.models import HoldKind, LegalHold

        return [HoldKind(k).label for k in LegalHold.objects.filter(case=self.case).values_list("kind", flat=True)]

    @cached_property
    def marks(self):
        """The retention circumstances recorded against the case or its recordings."""
        from lawtrail.archive.models import RetentionMark

        return set(RetentionMark.objects.filter(case=self.case).values_list("circumstance", flat=True))


RULES = []


def rule(id, title, severity, param):
    def register(evaluate):
        RULES.append(Rule(id, title, severity, param, evaluate))
        return evaluate

    return register


def rules_for(profile):
    return [r for r in RULES if r.uses(profile)]


def _at(value):
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")


@rule("start.approval", "依职权启动须经负责人批准并制作立案（程序启动）审批表", "high", "start.ex_officio_approval")
def _start_approval(f):
    case = f.case
    if case.source == Source.APPLICATION or case.procedure == Procedure.SIMPLE or case.stage == Stage.CLOSED:
        return Result(NOT_APPLICABLE, "依申请或简易程序的案件不需要程序启动审批表")
    approvals = f.finals("filing_approval")
    if approvals:
        return Result(SATISFIED, f"立案审批表 {approvals[0].number} 已定稿")
    if case.stage in PAST_INITIATION:
        return Result(VIOLATED, "案件已进入调查取证，但没有已定稿的立案（程序启动）审批表")
    return Result(PENDING, "立案前须制作立案（程序启动）审批表，经负责人批准")


@rule("start.emergency", "紧急先行启动后限时补办批准", "high", "start.emergency")
def _emergency(f):
    case = f.case
    if not case.emergency:
        return Result(NOT_APPLICABLE, "未紧急先行启动")
    due = case.approval_due_at
    if case.start_approved_at:
        if due and case.start_approved_at > due:
            return Result(VIOLATED, f"紧急启动后于 {_at(case.start_approved_at)} 补办批准，已超过期限 {_at(due)}")
        return Result(SATISFIED, f"已于 {_at(case.start_approved_at)} 补办批准")
    if due and f.now > due:
        return Result(VIOLATED, f"紧急启动后应于 {_at(due)} 前补办批准，至今未补办", due)
    return Result(PENDING, f"须于 {_at(due)} 前补办批准", due)


@rule("av.upload_deadline", "音像记录按期存储至执法信息系统", "medium", "av.upload_deadline")
def _upload_deadline(f):
    if not f.recordings:
        return Result(NOT_APPLICABLE, "本案没有音像记录")
    late = [r for r in f.recordings if r.late]
    if late:
        names = "、".join(f"{r.filename}（期限 {_at(r.upload_due)}，{_at(r.received_at)} 接收）" for r in late)
        return Result(VIOLATED, f"{len(late)} 个音像记录逾期上传：{names}")
    return Result(SATISFIED, f"{len(f.recordings)} 个音像记录均在期限内上传")


@rule("av.continuous", "须不间断记录的执法环节，中断须说明原因", "medium", "av.continuous")
def _continuous(f):
    required = [c for c in f.coverage if c.required]
    if not required:
        return Result(NOT_APPLICABLE, "没有须不间断记录的音像记录")
    gaps = [g for c in required for g in c.gaps if g.violation]
    if gaps:
        return Result(VIOLATED, "；".join(g.message() for g in gaps))
    return Result(SATISFIED, "须不间断记录的环节没有未说明的中断")


@rule("av.mandatory", "法定须同时音像记录的执法环节有音像记录", "high", "av_mandatory")
def _mandatory(f):
    items = f.profile.get("av_mandatory.items")
    recorded = {r.activity for r in f.recordings}
    missing, checked = [], 0
    for item in items:
        documents = f.finals(item["document"])
        if not documents:
            continue
        checked += 1
        if item["activity"] not in recorded:
            missing.append(f"已制作《{doc_type(item['document']).title}》{documents[0].number}，"
                           f"但没有“{Activity(item['activity']).label}”的音像记录")
    if not checked:
        return Result(NOT_APPLICABLE, "本案尚无须同时音像记录的执法环节")
    if missing:
        return Result(VIOLATED, "；".join(missing))
    return Result(SATISFIED, "须同时音像记录的执法环节均有音像记录")


@rule("service.mail_method", "邮寄送达只能采用规定的邮寄方式", "medium", "service.mail_methods")
def _mail_method(f):
    mailed = f.finals("service_mail")
    if not mailed:
        return Result(NOT_APPLICABLE, "本案没有邮寄送达")
    allowed = f.profile.get("service.mail_methods.allowed")
    wrong = [r for r in mailed if r.data.get("mail_method") not in allowed]
    if wrong:
        return Result(VIOLATED, "；".join(f"送达回证 {r.number} 采用“{r.data.get('mail_method')}”，"
                                          f"只能采用{'或'.join(allowed)}" for r in wrong))
    return Result(SATISFIED, f"{len(mailed)} 次邮寄送达均采用规定方式")


@rule("decision.document", "作出决定须有行政执法决定书", "high", "decision_document")
def _decision(f):
    case = f.case
    if case.procedure == Procedure.SIMPLE or case.stage == Stage.CLOSED:
        return Result(NOT_APPLICABLE, "简易程序或不予启动的案件")
    if case.stage not in PAST_DECISION:
        return Result(NOT_APPLICABLE, "尚未作出决定")
    decisions = f.finals("decision")
    if decisions:
        return Result(SATISFIED, f"行政执法决定书 {decisions[0].number} 已定稿")
    return Result(VIOLATED, "案件已进入送达执行，但没有已定稿的行政执法决定书")


@rule("service.proof", "送达须有送达回证", "high", "service_proof")
def _service(f):
    case = f.case
    if case.stage not in (Stage.ARCHIVING, Stage.ARCHIVED) or case.procedure == Procedure.SIMPLE:
        return Result(NOT_APPLICABLE, "尚未执行完毕或为简易程序")
    served = f.finals(*SERVICE_TYPES)
    if served:
        return Result(SATISFIED, f"送达回证 {served[0].number} 已定稿")
    return Result(VIOLATED, "案件已执行完毕，但没有已定稿的送达回证")


INVESTIGATION_TYPES = tuple(code for code, spec in document_catalog().items()
                            if spec.stage == "investigation" and code != "av_evidence_note")


def _general(case):
    return case.procedure != Procedure.SIMPLE and case.stage != Stage.CLOSED


@rule("investigation.record", "调查终结前有调查取证的文字记录", "high", "investigation_record")
def _investigation(f):
    case = f.case
    if not _general(case) or case.source == Source.APPLICATION:
        return Result(NOT_APPLICABLE, "简易程序、依申请或不予启动的案件")
    found = f.finals(*INVESTIGATION_TYPES)
    if found:
        return Result(SATISFIED, f"已有 {len(found)} 份调查取证文书，如《{doc_type(found[0].doc_type).title}》{found[0].number}")
    if case.stage in (Stage.DECISION,) + PAST_DECISION:
        return Result(VIOLATED, "案件已调查终结，但没有已定稿的调查取证文书（询问笔录、现场检查笔录、证据登记保存清单等）")
    if case.stage == Stage.INVESTIGATION:
        return Result(PENDING, "调查终结前须制作调查取证文书（询问笔录、现场检查笔录等）")
    return Result(NOT_APPLICABLE, "尚未进入调查取证")


@rule("decision.rights_notice", "作出处罚决定前告知陈述、申辩等权利", "high", "rights_notice")
def _rights_notice(f):
    case = f.case
    if not _general(case) or case.matter_type != "penalty":
        return Result(NOT_APPLICABLE, "仅适用一般程序的行政处罚案件")
    notices = f.finals("rights_notice")
    if notices:
        return Result(SATISFIED, f"权利告知书 {notices[0].number} 已定稿")
    if case.stage in PAST_DECISION:
        return Result(VIOLATED, "已作出处罚决定，但没有已定稿的权利告知书（陈述、申辩、听证等权利）")
    if case.stage == Stage.DECISION:
        return Result(PENDING, "作出处罚决定前须制作并送达权利告知书")
    return Result(NOT_APPLICABLE, "尚未进入审查决定")


@rule("decision.head_approval", "负责人审批（或集体讨论）有书面记录", "high", "head_approval")
def _head_approval(f):
    case = f.case
    if not _general(case):
        return Result(NOT_APPLICABLE, "简易程序或不予启动的案件")
    approvals = f.finals("head_approval", "collective_discussion")
    if approvals:
        return Result(SATISFIED, f"《{doc_type(approvals[0].doc_type).title}》{approvals[0].number} 已定稿")
    if case.stage in PAST_DECISION:
        return Result(VIOLATED, "已作出决定，但没有已定稿的负责人审批表或集体讨论记录")
    if case.stage == Stage.DECISION:
        return Result(PENDING, "作出决定前须有负责人审批（重大案件集体讨论）的书面记录")
    return Result(NOT_APPLICABLE, "尚未进入审查决定")


@rule("simple.record", "简易程序当场决定有记录", "high", "simple_procedure")
def _simple(f):
    case = f.case
    if case.procedure != Procedure.SIMPLE:
        return Result(NOT_APPLICABLE, "不是简易程序")
    records = f.finals("simple_procedure_record")
    if records:
        return Result(SATISFIED, f"简易程序记录 {records[0].number} 已定稿")
    if case.stage in PAST_DECISION:
        return Result(VIOLATED, "已适用简易程序当场作出决定，但没有已定稿的简易程序记录")
    return Result(PENDING, "当场作出决定须制作简易程序记录")


@rule("enforcement.demand", "强制执行或申请法院强制执行前催告", "high", "enforcement_demand")
def _demand(f):
    enforced = f.finals("enforcement_record", "court_enforcement_application")
    if not enforced:
        return Result(NOT_APPLICABLE, "本案没有强制执行")
    if f.finals("demand_notice"):
        return Result(SATISFIED, "已制作催告书")
    return Result(VIOLATED, f"已有《{doc_type(enforced[0].doc_type).title}》{enforced[0].number}，但没有已定稿的催告书")


@rule("archive.deadline", "行政执法行为终结后按期立卷归档", "medium", "archive")
def _archive(f):
    case = f.case
    days = f.profile.get("archive.deadline_days")
    if days is None:
        return Result(NOT_APPLICABLE, f"{f.profile.get('archive.note')}")
    if case.ended_at is None:
        return Result(NOT_APPLICABLE, "执法行为尚未终结")
    due = case.ended_at + datetime.timedelta(days=days)
    if case.archived_at:
        if case.archived_at > due:
            return Result(VIOLATED, f"于 {_at(case.archived_at)} 归档，超过期限 {_at(due)}")
        return Result(SATISFIED, f"已于 {_at(case.archived_at)} 归档")
    if f.now > due:
        return Result(VIOLATED, f"应于 {_at(due)} 前立卷归档，至今未归档", due)
    return Result(PENDING, f"须于 {_at(due)} 前立卷归档", due)


@rule("retention.circumstance", "当事人有异议或投诉的，登记音像资料长期保存情形", "medium", "retention_circumstance")
def _retention_circumstance(f):
    if not f.holds:
        return Result(NOT_APPLICABLE, "当事人未申请复议、提起诉讼或投诉")
    if f.profile.get("retention_circumstance.circumstance") in f.marks:
        return Result(SATISFIED, "已登记长期保存情形：当事人有异议或者投诉、上访")
    return Result(VIOLATED, f"当事人已{'、'.join(sorted(set(f.holds)))}，本案音像资料应长期保存，"
                            "但尚未在“归档与保存”中登记保存情形“当事人有异议或者投诉、上访”")


def _outcome(problems, waiting, done):
    """Violated by any problem; else pending on the earliest of the (due, message) waiting; else done."""
    if problems:
        return Result(VIOLATED, "；".join(problems))
    if waiting:
        return Result(PENDING, "；".join(m for _, m in waiting), min(d for d, _ in waiting))
    return Result(SATISFIED, done)


def names_recording(reference, recording):
    """Whether what an officer typed to name a recording (its file name, with or without the
    extension; its number; or the first 8 or more characters of its SHA-256) is this one."""
    ref = reference.strip().lstrip("#＃").casefold()
    name = recording.filename.casefold()
    return bool(ref) and (ref in (name, name.rsplit(".", 1)[0], str(recording.pk))
                          or (len(ref) >= 8 and recording.sha256.startswith(ref)))


@rule("signature.refusal", "拒绝签字的，记录拒签情况并按规定见证或录像", "medium", "signature.refusal")
def _refusal(f):
    if not f.refusals:
        return Result(NOT_APPLICABLE, "本案已定稿文书没有拒签")
    needs_proof = f.profile.get("signature.refusal.requires_witness_or_video")
    problems, waiting = [], []
    for r in f.refusals:
        where = f"《{r.title}》{r.number}中{r.signer_name}拒签"
        if needs_proof and not (r.witness_name or r.video_ref):
            problems.append(f"{where}，既无其他在场人员签字证明，也无录像记录")
        if r.video_ref and not any(names_recording(r.video_ref, v) for v in f.recordings):
            due = av_upload_deadline(f.profile, made_at=r.signed_at).due
            if f.now <= due:
                waiting.append((due, f"{where}所称录像“{r.video_ref}”尚未上传，须于 {_at(due)} 前上传"))
            else:
                problems.append(f"{where}所称录像“{r.video_ref}”不在本案音像记录中（应于 {_at(due)} 前上传）")
    return _outcome(problems, waiting, f"{len(f.refusals)} 处拒签均已记录拒签人和理由"
                    + ("，并有见证人签字或录像" if needs_proof else ""))


@rule("execution.rectification_check", "责令改正的，按期核查改正情况并作文字记录", "medium", "rectification_check")
def _rectification(f):
    orders = [(d, datetime.date.fromisoformat(d.data["rectify_by"])) for d in f.finals("decision")
              if d.data.get("rectify_by")]
    if not orders:
        return Result(NOT_APPLICABLE, "本案决定未责令限期改正")
    checks = [(c, c.data.get("checked_on") or "") for c in f.finals("rectification_check")]
    within = f.profile.get("rectification_check.within_working_days")
    missing, waiting = [], []
    for decision, deadline in orders:
        done = [c for c, on in checks if on >= deadline.isoformat()]
        if done:
            continue
        due = end_of_day(add_working_days(deadline, within)[0])
        what = f"决定书 {decision.number} 责令于 {deadline:%Y-%m-%d} 前改正"
        if f.now <= due:
            waiting.append((due, f"{what}，期限届满后须于 {_at(due)} 前核查改正情况并制作整改核查记录"))
        else:
            missing.append(f"{what}，至 {_at(due)} 仍没有期限届满后核查的已定稿整改核查记录")
    return _outcome(missing, waiting, f"责令改正的 {len(orders)} 项决定均已按期核查并记录")


RETENTION_RULE = next(r for r in RULES if r.id == "retention.circumstance")


@dataclass(frozen=True)
class Finding:
    rule: Rule
    cite: str
    result: Result

    @property
    def status(self):
        return self.result.status


def evaluate(case, now=None, **known):
    """Every rule the case's profile uses, evaluated now (`known`: facts already loaded,
    e.g. all the case's recordings and gap explanations, as `Facts` takes them)."""
    return _findings(Facts(case, now, **known))


def evaluate_rule(case, rule_id, now=None):
    """One rule's finding on the case, None when its profile does not use the rule. The
    facts are read as the rule asks for them: a rule on the case's own dates reads nothing."""
    facts = Facts(case, now)
    return next((Finding(r, cite, r.evaluate(facts)) for r, cite in _rules_cited(facts.profile.id) if r.id == rule_id),
                None)


@cache
def _rules_cited(profile_id):
    profile = get_profile(profile_id)
    return [(r, r.cite(profile)) for r in rules_for(profile)]


def _findings(facts):
    return [Finding(r, cite, r.evaluate(facts)) for r, cite in _rules_cited(facts.profile.id)]


# The document types whose contents the rules read (the rest only by type and number).
DATA_READ = ("service_mail", "decision", "rectification_check")
RECORDING_FIELDS = ("id", "case_id", "kind", "activity", "filename", "sha256", "started_at", "ended_at",
                    "received_at", "upload_due")


@contextmanager
def _collector_paused():
    """Python's cycle collector off for a while: a chunk of cases allocates hundreds of
    thousands of short-lived objects (rows, facts, findings), none of them in cycles, and each
    allocation burst would otherwise set off full collections over the whole heap (a quarter
    of the bulk evaluation's time). Whoever found the collector on turns it back on."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


def evaluate_many(cases, now=None, chunk=2000):
    """(case, findings) for many cases, with a few queries per chunk instead of per case.
    The cases' agencies are read once each, not with every case."""
    now = now or timezone.now()
    cases = iter(cases)
    agencies = {}
    while True:
        with _collector_paused():
            batch = [c for _, c in zip(range(chunk), cases)]
            evaluated = [(case, _findings(facts)) for case, facts in _facts_of(batch, now, agencies)]
        if not batch:
            return
        yield from evaluated


def _facts_of(batch, now, agencies):
    """(case, Facts) for a batch of cases, read in a few queries."""
    from lawtrail.archive.models import HoldKind, LegalHold, RetentionMark
    from lawtrail.org.models import Agency

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
    finals = _of_cases(Record.objects.filter(status="final"), ids)
    contents = dict(finals.filter(doc_type__in=DATA_READ).values_list("id", "data"))
    for pk, case_id, doc, number in finals.order_by("finalised_at", "id").values_list(
            "id", "case_id", "doc_type", "number"):
        records[case_id].append(RecordFact(pk, doc, number, contents.get(pk, {})))
    for r in _of_cases(Recording.objects, ids).only(*RECORDING_FIELDS):
        recordings[r.case_id].append(r)
    for g in _of_cases(GapExplanation.objects, ids).only("id", "case_id", "before_id", "after_id", "reason"):
        explanations[g.case_id].append(g)
    refusals = refusals_of(ids)
    holds, marks = defaultdict(list), defaultdict(set)
    if any(RETENTION_RULE.uses(get_profile(c.agency.profile)) for c in batch):  # only profiles that ask
        for case_id, kind in _of_cases(LegalHold.objects, ids).values_list("case_id", "kind"):
            holds[case_id].append(HoldKind(kind).label)
        for case_id, circumstance in _of_cases(RetentionMark.objects, ids).values_list("case_id", "circumstance"):
            marks[case_id].add(circumstance)
    for case in batch:
        yield case, Facts(case, now, final_records=records[case.pk], recordings=recordings[case.pk],
                          explanations=explanations[case.pk], holds=holds[case.pk], marks=marks[case.pk],
                          refusals=refusals[case.pk])


def catalog():
    """Each rule with the profiles that use it and their citations."""
    return [(r, [(p, r.cite(p)) for p in profiles().values() if r.uses(p)]) for r in RULES]
