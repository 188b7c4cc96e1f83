"""审查决定: the decision document, the rights notice before a penalty, the review of what the
party stated, the hearing he asked for, the head's approval, and the record of a decision
made on the spot (简易程序), filmed where it is likely to be disputed."""

from lawtrail.cases.enums import Procedure, Stage
from lawtrail.records.catalog import doc_type
from lawtrail.regulations.deadlines import av_upload_deadline
from lawtrail.rules.base import (
    NOT_APPLICABLE, PAST_DECISION, PENDING, SATISFIED, VIOLATED, Result, at, general, rule,
)


@rule("decision.document", "作出决定须有行政执法决定书", "high", "decision_document")
def _decision(f):
    case = f.case
    if case.procedure == Procedure.SIMPLE or case.stage == Stage.CLOSED:
        return Result(NOT_APPLICABLE, "简易程序或不予启动的案件")
    if case.stage not in PAST_DECISION:
        return Result(NOT_APPLICABLE, "尚未作出决定")
    decisions = f.finals("decision")
    if decisions:
        title = doc_type("decision").title_for(decisions[0].data or {})  # 行政处罚决定书 …
        return Result(SATISFIED, f"{title} {decisions[0].number} 已定稿")
    return Result(VIOLATED, "案件已进入送达执行，但没有已定稿的行政执法决定书")


@rule("decision.rights_notice", "作出处罚决定前告知陈述、申辩等权利", "high", "rights_notice")
def _rights_notice(f):
    case = f.case
    if not general(case) or case.matter_type != "penalty":
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
    if not general(case):
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


def _needs_review(statement, profile):
    """Whether a 陈述申辩笔录 asks for a 复核: not where the party waived it, nor, where the
    profile reviews only what raises facts, reasons or evidence, where it is marked as raising none."""
    if statement.data.get("waived") is True:
        return False
    return not (profile.get("statement_review.only_when_raised") and statement.data.get("raises_facts") == "否")


@rule("decision.statement_review", "当事人陈述申辩的，复核并书面记录复核及采纳情况", "high", "statement_review")
def _statement_review(f):
    case, records = f.case, f.final_records
    stated = [(i, s) for i, s in enumerate(records) if s.doc_type == "statement_record" and _needs_review(s, f.profile)]
    if not stated:
        return Result(NOT_APPLICABLE, "当事人未陈述申辩（或已放弃）")
    late, waiting = [], []
    for i, statement in stated:
        after = {r.doc_type for r in records[i + 1:]}
        if "statement_review" in after:
            continue
        # Made before the decision, it is reviewed before it; made after (answering the 催告),
        # before the enforcement; and in any case before the case is concluded.
        decided_since = case.stage in PAST_DECISION and (
            case.decided_at is None or statement.finalised_at is None or statement.finalised_at <= case.decided_at)
        enforced_since = after & {"enforcement_record", "court_enforcement_application"}
        if decided_since or enforced_since or case.stage in (Stage.ARCHIVING, Stage.ARCHIVED):
            late.append(statement.number)
        else:
            waiting.append(statement.number)
    if late:
        return Result(VIOLATED, f"陈述申辩笔录 {'、'.join(late)} 所载当事人的陈述、申辩未经复核即作出决定或执行，"
                                "没有其后定稿的陈述申辩复核意见")
    if waiting:
        return Result(PENDING, f"陈述申辩笔录 {'、'.join(waiting)} 所载当事人的陈述、申辩须复核，"
                               "并制作陈述申辩复核意见（事实、理由、证据及是否采纳）")
    return Result(SATISFIED, f"当事人的 {len(stated)} 次陈述申辩均已复核并记录")


@rule("decision.hearing", "当事人申请听证的，举行听证并制作听证笔录", "high", "hearing_record")
def _hearing(f):
    applied = [n for n in f.finals("hearing_notice") if n.data.get("applied") == "申请听证"]
    if not applied:
        return Result(NOT_APPLICABLE, "当事人未申请听证")
    hearings = f.finals("hearing_record")
    if hearings:
        return Result(SATISFIED, f"听证笔录 {hearings[0].number} 已定稿（主持人、参加人、时间地点及听证全过程）")
    what = f"当事人已申请听证（听证告知书 {applied[0].number}）"
    if f.case.stage in PAST_DECISION:
        return Result(VIOLATED, f"{what}，但未制作听证笔录即作出决定")
    return Result(PENDING, f"{what}，作出决定前须组织听证并制作听证笔录")


@rule("simple.av", "容易引起行政争议的简易程序执法行为有音像记录", "medium", "simple_procedure_av")
def _simple_av(f):
    disputed = [r for r in f.finals("simple_procedure_record") if r.data.get("disputed") == "是"]
    if not disputed:
        return Result(NOT_APPLICABLE, "本案没有容易引起行政争议的简易程序执法行为")
    if f.recordings:
        return Result(SATISFIED, f"简易程序记录 {disputed[0].number} 所载容易引起争议的执法行为有 {len(f.recordings)} 个音像记录")
    due = av_upload_deadline(f.profile, made_at=disputed[0].finalised_at or f.now).due
    what = f"简易程序记录 {disputed[0].number} 载明执法行为容易引起行政争议"
    if f.now <= due:
        return Result(PENDING, f"{what}，须于 {at(due)} 前上传其音像记录", due)
    return Result(VIOLATED, f"{what}，但本案没有音像记录（应于 {at(due)} 前上传）")
