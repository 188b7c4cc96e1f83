"""程序启动: the approval a case starts with, and the emergency start reported and approved
afterwards."""

import datetime

from django.utils import timezone
from django.utils.dateparse import parse_datetime

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
    if case.emergency and case.start_approved_at is None:
        # Started in an emergency: the approval (and its form) comes afterwards, and whether
        # it came in time is start.emergency's finding, not a second, contradicting one here.
        if case.approval_due_at and f.now <= case.approval_due_at:
            return Result(PENDING, f"紧急先行启动，须于 {at(case.approval_due_at)} 前补办批准并制作立案审批表",
                          case.approval_due_at)
        return Result(NOT_APPLICABLE, "紧急先行启动后逾期未补办批准，见“紧急先行启动后限时补办批准”")
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


def _local(value):
    """A date-time as a record's field keeps it (local, ISO 8601), aware; None when unreadable."""
    found = parse_datetime(value or "")
    return found if found is None or timezone.is_aware(found) else timezone.make_aware(found)


@rule("start.emergency_report", "紧急先行启动的，限时报告并书面记录紧急情况", "high", "start.emergency_report")
def _emergency_report(f):
    case = f.case
    if not case.emergency:
        return Result(NOT_APPLICABLE, "未紧急先行启动")
    hours = datetime.timedelta(hours=f.profile.get("start.emergency_report.within_hours"))
    reports = f.finals("emergency_start_report")
    if reports:
        data = reports[0].data
        started, reported = _local(data.get("started_at")), _local(data.get("reported_at"))
        if started and reported and reported - started > hours:
            return Result(VIOLATED, f"紧急启动报告 {reports[0].number} 记载于 {at(started)} 先行启动、{at(reported)} 报告，"
                                    f"超过启动后 {hours.total_seconds() / 3600:g} 小时")
        return Result(SATISFIED, f"紧急启动报告 {reports[0].number} 已定稿（紧急情况、报告及批准内容）")
    if case.approval_due_at is None:
        return Result(PENDING, "须报告负责人，并制作紧急启动报告（紧急情况、报告与批准内容）")
    started = case.approval_due_at - datetime.timedelta(hours=f.profile.get("start.emergency.approve_within_hours"))
    due = started + hours
    if f.now > due:
        return Result(VIOLATED, f"紧急先行启动后应于 {at(due)} 前报告并制作紧急启动报告，至今没有已定稿的报告", due)
    return Result(PENDING, f"须于 {at(due)} 前报告负责人，并制作紧急启动报告（紧急情况、报告与批准内容）", due)
