"""程序启动: the approval a case starts with, and the emergency start approved afterwards."""

from lawtrail.cases.enums import Procedure, Source, Stage
from lawtrail.rules.base import NOT_APPLICABLE, PAST_INITIATION, PENDING, SATISFIED, VIOLATED, Result, at, rule


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
            return Result(VIOLATED, f"紧急启动后于 {at(case.start_approved_at)} 补办批准，已超过期限 {at(due)}")
        return Result(SATISFIED, f"已于 {at(case.start_approved_at)} 补办批准")
    if due and f.now > due:
        return Result(VIOLATED, f"紧急启动后应于 {at(due)} 前补办批准，至今未补办", due)
    return Result(PENDING, f"须于 {at(due)} 前补办批准", due)
