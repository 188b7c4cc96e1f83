"""保存 rules: footage kept long term once a party objects, where the profile says so."""

import pytest

from lawtrail.archive.services import hold_place, retention_mark
from lawtrail.org.enums import Role
from lawtrail.rules.engine import evaluate, evaluate_many
from lawtrail.rules.tests.matrix import Cases, matrix_test, verdict
from lawtrail.testing import Org


def objection_registered(org, profile, tmp_path):
    case = org.open_case()
    hold_place(actor=org.head, case=case, kind="complaint", reason="当事人投诉现场执法")
    retention_mark(actor=org.users[Role.ARCHIVIST], case=case, circumstance=profile.get(
        "retention_circumstance.circumstance"), reason="当事人投诉")
    return verdict(case, "retention.circumstance")


def objection_not_registered(org, profile, tmp_path):
    case = org.open_case()
    hold_place(actor=org.head, case=case, kind="complaint", reason="当事人投诉现场执法")
    return verdict(case, "retention.circumstance")


CASES = {"retention.circumstance": Cases(objection_registered, objection_not_registered)}
test_each_rule_passes_and_fails_under_each_profile_that_uses_it = matrix_test(CASES)


@pytest.mark.django_db
def test_an_objecting_party_means_the_footage_is_kept_long_term_under_002():
    org = Org("rc", profile="002")
    case = org.open_case()
    assert verdict(case, "retention.circumstance").status == "na"
    hold_place(actor=org.head, case=case, kind="complaint", reason="当事人投诉现场执法")
    found = verdict(case, "retention.circumstance")
    assert found.status == "violated" and found.cite == "002 第十二条" and "投诉、信访" in found.result.message
    retention_mark(actor=org.users[Role.ARCHIVIST], case=case, circumstance="objection", reason="当事人投诉")
    assert verdict(case, "retention.circumstance").status == "satisfied"
    [(_, bulk)] = list(evaluate_many([case]))
    assert [f.status for f in bulk if f.rule.id == "retention.circumstance"] == ["satisfied"]
    other = Org("rc3", profile="003")
    assert not [f for f in evaluate(other.open_case()) if f.rule.id == "retention.circumstance"]
