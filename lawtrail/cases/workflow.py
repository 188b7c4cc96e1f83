"""The stage workflow of a case, as one table.

程序启动 → 调查取证 → 审查决定 → 送达执行 → 待归档 → 已归档, with the side roads the
regulations allow: an emergency start approved afterwards, an application not
accepted, a complaint not taken up (closed with the complainant told), and the
简易程序 that decides on the spot and skips investigation and review.

Each row names who may take the step, the stages it leaves from, where it goes,
and its guards. A guard returns the Chinese reason the step is refused, or None.
"""

from dataclasses import dataclass, field
from datetime import timedelta

from django.utils import timezone

from lawtrail.cases.enums import Procedure, Source, Stage
from lawtrail.core.hooks import Hook
from lawtrail.org.enums import Role
from lawtrail.regulations.profiles import get_profile

MIN_INVESTIGATORS = 2  # 执法人员不得少于两人
# Handling officers may be added while the facts are still being gathered.
OPEN_FOR_ASSIGNMENT = (Stage.INITIATION, Stage.INVESTIGATION)


# --- guards -------------------------------------------------------------------

def general_procedure(case, data):
    if case.procedure != Procedure.GENERAL:
        return "简易程序案件不经过此步骤"


def simple_procedure(case, data):
    if case.procedure != Procedure.SIMPLE:
        return "只有简易程序案件可以当场作出决定"


def not_application(case, data):
    if case.source == Source.APPLICATION:
        return "依申请启动的案件应办理受理或不予受理"


def from_application(case, data):
    if case.source != Source.APPLICATION:
        return "只有依申请启动的案件可以受理或不予受理"


def from_complaint(case, data):
    if case.source != Source.COMPLAINT:
        return "只有投诉举报来源的案件可以不予立案并告知"


def two_investigators(case, data):
    count = len(case.team())
    if count < MIN_INVESTIGATORS:
        return f"调查取证须至少 {MIN_INVESTIGATORS} 名承办人，目前只有 {count} 名"


def has_officer(case, data):
    if not case.team():
        return "尚未指定承办人"


def officers_qualified(case, data):
    today = timezone.localdate()
    problems = [
        problem
        for assignment in case.team()
        if (problem := assignment.officer.qualification_problem(today))
    ]
    if problems:
        return "；".join(problems)


def has_party(case, data):
    if not case.parties.exists():
        return "尚未登记当事人"


def emergency_allowed(case, data):
    if not get_profile(case.agency.profile).get("start.emergency.allowed"):
        return "本机关适用的规定不允许紧急先行启动"


def emergency_pending(case, data):
    if not case.emergency or case.start_approved_at is not None:
        return "没有待补办批准的紧急启动"


def start_approved(case, data):
    if case.procedure == Procedure.GENERAL and case.start_approved_at is None:
        return "紧急启动尚未补办批准，不能进入审查决定"


def complainant_notified(case, data):
    """A named complainant must be told why no case is opened, and that is recorded."""
    if not case.complainant_name or data is None:  # None: the form is not filled in yet
        return None
    missing = [label for key, label in NOTICE_FIELDS if not (data.get(key) or "").strip()]
    if missing:
        return f"实名投诉举报人 {case.complainant_name} 须告知不予立案，请填写：{'、'.join(missing)}"


NOTICE_FIELDS = (("notice_method", "告知方式"), ("notice_date", "告知日期"), ("notice_content", "告知内容"))


# --- gates: what the other parts know ------------------------------------------
# The steps that make a decision, close or archive a case are gated by the documents the
# case holds and by the rules its profile attaches to the step (`gates:` in the profile).
# Records and rules sit above cases: they answer these questions when Django starts.

# (case) -> [(doc_type, status, data)] of the case's records, discarded drafts left out.
case_documents = Hook("case_documents", "lawtrail.records")
# (case, rule ids) -> ["message（article）"] for each of these rules the case does not yet meet.
rules_unmet = Hook("rules_unmet", "lawtrail.rules")
# (case) -> ["message（article）"] for the case's open high-severity violations.
severe_violations = Hook("severe_violations", "lawtrail.rules")


def _documents(case, doc_type, status=None):
    return [data for code, state, data in case_documents(case) if code == doc_type and status in (None, state)]


def _since_last(case, name, after=("submit_review", "return_investigation")):
    """Whether step `name` was taken since the case last entered review (or was returned)."""
    for step in case.transitions.order_by("-at", "-id").values_list("name", flat=True):
        if step == name:
            return True
        if step in after:
            return False
    return False


def legal_review_required(case):
    block = get_profile(case.agency.profile).get("legal_review")
    when = block.get("required_for", {})
    return (when.get("major") and case.major_decision) or case.matter_type in when.get("matter_types", ())


def legal_review_needed(case, data):
    if not legal_review_required(case):
        return "本案不需要法制审核"
    if _since_last(case, "legal_review"):
        return "本案已经法制审核"


def legal_reviewed(case, data):
    if legal_review_required(case) and not _since_last(case, "legal_review"):
        profile = get_profile(case.agency.profile)
        return f"本案须经法制审核（{profile.cite('legal_review')}），请审核人员审核后再作决定"


def discussed_collectively(case, data):
    profile = get_profile(case.agency.profile)
    if case.major_decision and profile.get("collective_discussion.required_for_major") and not _documents(
            case, "collective_discussion", "final"):
        return f"重大执法决定须经集体讨论，并有已定稿的集体讨论记录（{profile.cite('collective_discussion')}）"


def decision_drafted(case, data):
    if not _documents(case, "decision"):
        profile = get_profile(case.agency.profile)
        return f"请先起草决定书（{profile.cite('decision_document')}）"


def closing_report_approved(case, data):
    profile = get_profile(case.agency.profile)
    if case.procedure == Procedure.GENERAL and profile.get("closing_report.required") and not _documents(
            case, "closing_report", "final"):
        return f"结案须有负责人签署批准的结案报告（{profile.cite('closing_report')}）"


def problems_explained(case, data):
    """Open high-severity violations: the case is archived only with the head's written
    explanation (带问题归档), which stays on the case."""
    if (found := severe_violations(case)) and not _since_last(case, "explain_problems", after=("conclude",)):
        return f"尚有 {len(found)} 项严重违规未纠正：{'；'.join(found)}。须负责人书面说明后方可带问题归档"


def problems_open(case, data):
    if not severe_violations(case):
        return "本案没有未纠正的严重违规，无需说明"


def not_major(case, data):
    if case.major_decision:
        return "本案已认定为重大执法决定"


def profile_gates(transition, case, findings=None):
    """The rules the case's profile attaches to this step, each one not yet met (read from
    `findings` when the caller has evaluated the case's rules already)."""
    rule_ids = get_profile(case.agency.profile).data.get("gates", {}).get(transition.name, ())
    return rules_unmet(case, tuple(rule_ids), findings=findings) if rule_ids else []


# --- effects ------------------------------------------------------------------

def approve(case, actor, now, reason):
    case.start_approved_at = now
    case.start_approved_by = actor


def start_emergency(case, actor, now, reason):
    hours = get_profile(case.agency.profile).get("start.emergency.approve_within_hours")
    case.emergency = True
    case.emergency_reason = reason
    case.approval_due_at = now + timedelta(hours=hours)


# (case) -> why its case file is not ready for the archive, or None: archive answers.
case_file_problem = Hook("case_file_problem", "lawtrail.archive")


def case_file_assembled(case, data):
    return case_file_problem(case)


def mark_major(case, actor, now, reason):
    case.major_decision = True


def decide(case, actor, now, reason):
    case.decided_at = now


def end(case, actor, now, reason):
    case.ended_at = now


def archive(case, actor, now, reason):
    case.archived_at = now


@dataclass(frozen=True)
class Transition:
    name: str
    label: str
    sources: tuple
    target: str | None  # None: the stage stays, only the record changes
    roles: frozenset
    applies: tuple = ()  # guards saying whether the step concerns this kind of case at all
    guards: tuple = ()  # guards saying whether the case is ready for the step
    gates: tuple = ()  # what the regulation requires on file first (documents, reviews), besides the profile's rules
    effects: tuple = ()
    reason_label: str = "说明"
    reason_required: bool = True
    fields: tuple = field(default=())  # extra inputs (key, label) kept with the transition


OFFICERS = frozenset({Role.OFFICER})
HEADS = frozenset({Role.HEAD})

TRANSITIONS = {
    t.name: t
    for t in (
        Transition("approve_start", "批准立案", (Stage.INITIATION,), Stage.INVESTIGATION, HEADS,
                   applies=(general_procedure, not_application),
                   guards=(has_party, two_investigators, officers_qualified),
                   effects=(approve,), reason_label="负责人意见"),
        Transition("emergency_start", "紧急先行启动", (Stage.INITIATION,), Stage.INVESTIGATION, OFFICERS,
                   applies=(general_procedure, not_application, emergency_allowed),
                   guards=(two_investigators, officers_qualified),
                   effects=(start_emergency,), reason_label="紧急情况"),
        Transition("approve_emergency", "补办启动批准", (Stage.INVESTIGATION, Stage.DECISION, Stage.EXECUTION),
                   None, HEADS, applies=(emergency_pending,), effects=(approve,), reason_label="负责人意见"),
        Transition("accept_application", "受理申请", (Stage.INITIATION,), Stage.INVESTIGATION, OFFICERS | HEADS,
                   applies=(from_application,), guards=(has_party, has_officer, officers_qualified),
                   effects=(approve,), reason_label="受理意见"),
        Transition("reject_application", "不予受理", (Stage.INITIATION,), Stage.CLOSED, HEADS,
                   applies=(from_application,), reason_label="不予受理理由"),
        Transition("decline_complaint", "不予立案并告知", (Stage.INITIATION,), Stage.CLOSED, HEADS,
                   applies=(from_complaint,), guards=(complainant_notified,),
                   reason_label="不予立案理由", fields=NOTICE_FIELDS),
        Transition("simple_decide", "当场作出决定（简易程序）", (Stage.INITIATION,), Stage.EXECUTION, OFFICERS,
                   applies=(simple_procedure,), guards=(has_party, has_officer, officers_qualified),
                   effects=(approve, decide), reason_label="决定内容及依据"),
        Transition("submit_review", "调查终结，提交审查", (Stage.INVESTIGATION,), Stage.DECISION, OFFICERS,
                   applies=(general_procedure,), guards=(two_investigators, start_approved),
                   reason_label="调查终结报告摘要"),
        Transition("return_investigation", "退回补充调查", (Stage.DECISION,), Stage.INVESTIGATION,
                   frozenset({Role.REVIEWER, Role.HEAD}), reason_label="退回理由"),
        Transition("mark_major", "认定为重大执法决定", (Stage.INVESTIGATION, Stage.DECISION), None, HEADS,
                   applies=(general_procedure, not_major), effects=(mark_major,), reason_label="认定理由"),
        Transition("legal_review", "法制审核通过", (Stage.DECISION,), None, frozenset({Role.REVIEWER}),
                   applies=(legal_review_needed,), reason_label="审核意见（含意见采纳情况）"),
        Transition("decide", "负责人批准决定", (Stage.DECISION,), Stage.EXECUTION, HEADS,
                   guards=(start_approved,),
                   gates=(legal_reviewed, discussed_collectively, decision_drafted),
                   effects=(decide,), reason_label="负责人意见"),
        Transition("conclude", "执行完毕，结案", (Stage.EXECUTION,), Stage.ARCHIVING, OFFICERS | HEADS,
                   gates=(closing_report_approved,), effects=(end,), reason_label="结案说明"),
        Transition("explain_problems", "带问题归档说明", (Stage.ARCHIVING,), None, HEADS,
                   applies=(problems_open,), reason_label="负责人书面说明"),
        Transition("archive", "接收归档", (Stage.ARCHIVING,), Stage.ARCHIVED, frozenset({Role.ARCHIVIST}),
                   guards=(case_file_assembled,), gates=(problems_explained,), effects=(archive,), reason_label="归档说明",
                   reason_required=False),
    )
}


def refusals(transition, case, actor, data, gated=True, findings=None):
    """Every reason this actor may not take this step on this case now. `gated=False` leaves
    out the regulation's gates (documents on file, the profile's rules): only the tests use
    it, to make the histories the rules must catch (as data from an older system has them)."""
    reasons = []
    if case.stage not in transition.sources:
        return [f"案件当前处于“{case.get_stage_display()}”阶段，不能{transition.label}"]
    if actor.role not in transition.roles:
        roles = "、".join(Role(r).label for r in sorted(transition.roles))
        reasons.append(f"“{transition.label}”须由{roles}办理")
    elif actor.role == Role.OFFICER and not case.handled_by(actor):
        reasons.append("您不是本案承办人")
    for guard in transition.applies:
        if problem := guard(case, data):
            return reasons + [problem]  # the step does not concern this case: nothing else to say
    for guard in (*transition.guards, *(transition.gates if gated else ())):
        if problem := guard(case, data):
            reasons.append(problem)
    return reasons + (profile_gates(transition, case, findings) if gated else [])


def applies(transition, case):
    """Whether the step concerns this case now (its stage and its kind), whoever asks."""
    return case.stage in transition.sources and not any(guard(case, None) for guard in transition.applies)
