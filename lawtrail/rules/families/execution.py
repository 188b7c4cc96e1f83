"""送达执行: the demand before enforcement, and the check that an order to correct was obeyed."""

import datetime

from lawtrail.records.catalog import doc_type
from lawtrail.regulations.deadlines import add_working_days, end_of_day
from lawtrail.rules.base import NOT_APPLICABLE, SATISFIED, VIOLATED, Result, at, outcome, rule


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
