"""审查决定: the decision document, the rights notice before a penalty, the head's approval,
and the record of a decision made on the spot (简易程序)."""

from lawtrail.cases.enums import Procedure, Stage
from lawtrail.records.catalog import doc_type
from lawtrail.rules.base import NOT_APPLICABLE, PAST_DECISION, PENDING, SATISFIED, VIOLATED, Result, general, rule


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
