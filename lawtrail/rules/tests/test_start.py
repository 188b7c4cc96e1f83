"""程序启动 rules: the approval a case starts with, and the emergency start approved afterwards."""

import datetime

from django.utils import timezone

from lawtrail.cases.enums import Procedure
from lawtrail.cases.services import case_transition
from lawtrail.rules.base import PENDING
from lawtrail.rules.tests.matrix import Cases, final, later, matrix_test, step, verdict


def approved_with_the_form(org, profile, tmp_path):
    case = org.open_case()
    final(org, case, "filing_approval")
    return verdict(step(org, case, "approve_start"), "start.approval")


def approved_without_the_form(org, profile, tmp_path):
    case = org.open_case()
    assert verdict(case, "start.approval").status == PENDING
    return verdict(step(org, case, "approve_start"), "start.approval")


def emergency_approved_in_time(org, profile, tmp_path):
    case = step(org, org.open_case(), "emergency_start")
    return verdict(step(org, case, "approve_emergency"), "start.emergency")


def emergency_never_approved(org, profile, tmp_path):
    case = step(org, org.open_case(), "emergency_start")
    found = verdict(case, "start.emergency")
    assert found.status == PENDING and found.result.due == case.approval_due_at
    return verdict(case, "start.emergency", now=later(found, hours=1))



def reported_within_the_day(org, profile, tmp_path):
    """001 第六条 / 003 第九条: "情况紧急的，可先启动行政执法程序，并在行政执法程序启动后24小时内补报";
    004 第十一条: "应当在启动后 24 小时内向局分管负责人报告，补办批准手续并书面记录紧急情况、报告与批准内容"."""
    case = step(org, org.open_case(), "emergency_start")
    now = timezone.localtime()
    final(org, case, "emergency_start_report", started_at=f"{now:%Y-%m-%dT%H:%M}",
          reported_at=f"{now + datetime.timedelta(hours=3):%Y-%m-%dT%H:%M}")
    return verdict(case, "start.emergency_report")


def never_reported(org, profile, tmp_path):
    case = step(org, org.open_case(), "emergency_start")
    found = verdict(case, "start.emergency_report")
    assert found.status == PENDING and found.result.due
    return verdict(case, "start.emergency_report", now=later(found, minutes=1))


CASES = {
    "start.approval": Cases(approved_with_the_form, approved_without_the_form),
    "start.emergency": Cases(emergency_approved_in_time, emergency_never_approved),
    "start.emergency_report": Cases(reported_within_the_day, never_reported),
}
test_each_rule_passes_and_fails_under_each_profile_that_uses_it = matrix_test(CASES)


def test_start_approval(org004):
    org = org004
    case = org.open_case()
    assert verdict(case, "start.approval").status == "pending"
    bare = step(org, org.open_case(), "approve_start")
    found = verdict(bare, "start.approval")
    assert found.status == "violated" and "没有已定稿的立案（程序启动）审批表" in found.result.message
    assert found.cite == "004 第十条"
    final(org, case, "filing_approval")
    assert verdict(step(org, case, "approve_start"), "start.approval").status == "satisfied"
    simple = org.open_case(procedure=Procedure.SIMPLE)
    assert verdict(simple, "start.approval").status == "na"


def test_emergency_approval_deadline(org004):
    org = org004
    case = org.open_case()
    case_transition(actor=org.officer_users[0], case=case, name="emergency_start", reason="涉案林木正被转运")
    case.refresh_from_db()
    found = verdict(case, "start.emergency")
    assert found.status == "pending" and found.result.due == case.approval_due_at
    late = verdict(case, "start.emergency", now=case.approval_due_at + datetime.timedelta(hours=1))
    assert late.status == "violated" and "至今未补办" in late.result.message and late.cite == "004 第十一条"
    step(org, case, "approve_emergency")
    assert verdict(case, "start.emergency").status == "satisfied"
    assert verdict(org.open_case(), "start.emergency").status == "na"


def test_an_emergency_reported_after_a_day_is_late(db):
    """004 第十一条: "应当在启动后 24 小时内向局分管负责人报告"."""
    from lawtrail.testing import Org

    org = Org("er", profile="004")
    case = step(org, org.open_case(), "emergency_start")
    final(org, case, "emergency_start_report", started_at="2026-11-20T09:00", reported_at="2026-11-21T10:30")
    found = verdict(case, "start.emergency_report")
    assert found.status == "violated" and "超过启动后 24 小时" in found.result.message and found.cite == "004 第十一条"
