"""送达执行: the demand before enforcement, the check that an order to correct was obeyed,
and the record of how the party performed the decision."""

import datetime

from lawtrail.cases.enums import Source, Stage
from lawtrail.records.catalog import doc_type
from lawtrail.regulations.deadlines import add_working_days, end_of_day
from lawtrail.rules.base import (
    NOT_APPLICABLE, PAST_DECISION, PENDING, SATISFIED, VIOLATED, Result, at, outcome, rule,
)


@rule("enforcement.demand", "强制执行或申请法院强制执行前催告", "high", "enforcement_demand")
def _demand(f):
    enforced = f.finals("enforcement_record", "court_enforcement_application")
    if not enforced:
        return Result(NOT_APPLICABLE, "本案没有强制执行")
    if f.finals("demand_notice"):
        return Result(SATISFIED, "已制作催告书")
    return Result(VIOLATED, f"已有《{doc_type(enforced[0].doc_type).title}》{enforced[0].number}，但没有已定稿的催告书")


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
            waiting.append((due, f"{what}，期限届满后须于 {at(due)} 前核查改正情况并制作整改核查记录"))
        else:
            missing.append(f"{what}，至 {at(due)} 仍没有期限届满后核查的已定稿整改核查记录")
    return outcome(missing, waiting, f"责令改正的 {len(orders)} 项决定均已按期核查并记录")


ENFORCED = ("enforcement_record", "court_enforcement_application")


@rule("execution.performance", "作出决定后，书面记录当事人履行决定的情况", "medium", "performance_record")
def _performance(f):
    case = f.case
    if case.stage not in PAST_DECISION:
        return Result(NOT_APPLICABLE, "尚未作出决定")
    when = f.profile.get("performance_record.applies_to")
    if when == "ex_officio" and case.source == Source.APPLICATION:
        return Result(NOT_APPLICABLE, "依申请启动的案件（仅依职权启动的须记录履行情况）")
    if when == "voluntary" and (enforced := f.finals(*ENFORCED)):
        return Result(NOT_APPLICABLE, f"当事人未自愿履行，已有《{doc_type(enforced[0].doc_type).title}》{enforced[0].number}"
                                      "（履行情况记入强制执行记录）")
    records = f.finals("performance_record")
    if records:
        return Result(SATISFIED, f"履行情况记录 {records[0].number} 已定稿")
    if case.stage == Stage.EXECUTION:
        return Result(PENDING, "已作出决定，须书面记录当事人履行决定的情况（履行情况记录）")
    return Result(VIOLATED, "案件已执行完毕，但没有已定稿的履行情况记录")
