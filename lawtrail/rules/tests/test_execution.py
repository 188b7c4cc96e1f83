"""送达执行 rules: the demand before enforcement, and the check that an order to correct was obeyed."""

import datetime

from lawtrail.media.tests.test_recordings import CST
from lawtrail.rules.base import PENDING
from lawtrail.rules.engine import evaluate
from lawtrail.rules.tests.matrix import Cases, final, later, matrix_test, step, verdict
from lawtrail.rules.tests.test_decision import decided
from lawtrail.testing import Org

# An order to correct by 30 September 2026: its check falls due at the end of 10 October
# (three working days, across National Day and its make-up Saturday).
RECTIFY_BY = "2026-09-30"
BEFORE_THE_CHECK_IS_DUE = datetime.datetime(2026, 10, 10, 18, 0, tzinfo=CST)


def demanded_before_enforcing(org, profile, tmp_path):
    case = org.open_case()
    final(org, case, "demand_notice")
    final(org, case, "enforcement_record")
    return verdict(case, "enforcement.demand")


def enforced_without_a_demand(org, profile, tmp_path):
    case = org.open_case()
    final(org, case, "enforcement_record")
    return verdict(case, "enforcement.demand")


def correction_checked_after_the_deadline(org, profile, tmp_path):
    case = org.open_case()
    final(org, case, "decision", rectify_by=RECTIFY_BY)
    final(org, case, "rectification_check", deadline=RECTIFY_BY, checked_on="2026-10-09")
    return verdict(case, "execution.rectification_check", now=BEFORE_THE_CHECK_IS_DUE)


def correction_never_checked(org, profile, tmp_path):
    case = org.open_case()
    final(org, case, "decision", rectify_by=RECTIFY_BY)
    found = verdict(case, "execution.rectification_check", now=BEFORE_THE_CHECK_IS_DUE)
    assert found.status == PENDING
    return verdict(case, "execution.rectification_check", now=later(found, minutes=1))



def performance_recorded(org, profile, tmp_path):
    """000 第二十三条: "作出行政执法决定后，应对当事人履行行政决定的情况进行文字记录"; 001 第二十条:
    "依职权启动的行政执法行为作出决定后……"; 004 第二十七条: "行政相对人自愿履行行政执法决定所确定的
    义务的，应当书面记录行政相对人的履行情况"."""
    case = decided(org, "decision")
    assert verdict(case, "execution.performance").status == PENDING
    final(org, case, "performance_record")
    return verdict(step(org, case, "conclude"), "execution.performance")


def concluded_without_recording_performance(org, profile, tmp_path):
    return verdict(step(org, decided(org, "decision"), "conclude"), "execution.performance")


CASES = {
    "enforcement.demand": Cases(demanded_before_enforcing, enforced_without_a_demand),
    "execution.rectification_check": Cases(correction_checked_after_the_deadline, correction_never_checked),
    "execution.performance": Cases(performance_recorded, concluded_without_recording_performance),
}
test_each_rule_passes_and_fails_under_each_profile_that_uses_it = matrix_test(CASES)


def test_demand_before_enforcement(org004):
    org = org004
    case = org.open_case()
    assert verdict(case, "enforcement.demand").status == "na"
    enforcement = final(org, case, "enforcement_record")
    found = verdict(case, "enforcement.demand")
    assert found.status == "violated" and enforcement.number in found.result.message
    assert found.cite == "004 第二十八、二十九条"
    final(org, case, "demand_notice")
    assert verdict(case, "enforcement.demand").status == "satisfied"


def test_an_order_to_correct_is_checked_on_time_and_recorded(db):
    """000 第二十三条: 依法应责令改正的，应当按期对改正情况进行核查并进行文字记录. The deadline
    for the check runs in working days: 30 September + 3 crosses National Day and ends on the
    make-up Saturday, 10 October 2026."""
    org = Org("rc", profile="000")
    case = org.open_case()
    final(org, case, "decision", rectify_by="")  # no order to correct
    assert verdict(case, "execution.rectification_check").status == "na"
    decision = final(org, case, "decision", rectify_by="2026-09-30")
    on_time = datetime.datetime(2026, 10, 10, 18, 0, tzinfo=CST)
    found = verdict(case, "execution.rectification_check", now=on_time)
    assert found.status == "pending" and found.result.due == datetime.datetime(2026, 10, 11, 0, 0, tzinfo=CST)
    assert decision.number in found.result.message and found.cite == "000 第二十三条"
    late = on_time + datetime.timedelta(days=1)
    final(org, case, "rectification_check", deadline="2026-09-30", checked_on="2026-09-25")  # before the deadline
    found = verdict(case, "execution.rectification_check", now=late)
    assert found.status == "violated" and "仍没有期限届满后核查的已定稿整改核查记录" in found.result.message
    final(org, case, "rectification_check", deadline="2026-09-30", checked_on="2026-10-09")
    assert verdict(case, "execution.rectification_check", now=late).status == "satisfied"


def test_profiles_that_do_not_ask_for_a_correction_check_do_not_get_the_rule(org004):
    case = org004.open_case()
    assert "execution.rectification_check" not in {f.rule.id for f in evaluate(case)}
