"""审查决定 rules: the decision document, the rights notice before a penalty, the head's
approval in writing, and the record of a decision made on the spot (简易程序)."""

from lawtrail.cases.enums import Procedure
from lawtrail.rules.base import PENDING
from lawtrail.rules.tests.matrix import Cases, final, matrix_test, step, verdict
from lawtrail.testing import Org


def decided(org, *codes):
    """A general-procedure case approved, investigated and decided, with these records made
    before the decision."""
    case = step(org, step(org, org.open_case(), "approve_start"), "submit_review")
    for code in codes:
        final(org, case, code)
    return step(org, case, "decide")


def in_review(org):
    return step(org, step(org, org.open_case(), "approve_start"), "submit_review")


def decided_with_the_document(org, profile, tmp_path):
    return verdict(decided(org, "decision"), "decision.document")


def decided_without_the_document(org, profile, tmp_path):
    return verdict(decided(org), "decision.document")


def rights_notified_before_the_penalty(org, profile, tmp_path):
    return verdict(decided(org, "rights_notice"), "decision.rights_notice")


def penalty_without_a_rights_notice(org, profile, tmp_path):
    case = in_review(org)
    assert verdict(case, "decision.rights_notice").status == PENDING
    return verdict(step(org, case, "decide"), "decision.rights_notice")


def head_approved_in_writing(org, profile, tmp_path):
    return verdict(decided(org, "head_approval"), "decision.head_approval")


def decided_without_a_written_approval(org, profile, tmp_path):
    case = in_review(org)
    assert verdict(case, "decision.head_approval").status == PENDING
    return verdict(step(org, case, "decide"), "decision.head_approval")


def decided_on_the_spot_with_a_record(org, profile, tmp_path):
    case = org.open_case(procedure=Procedure.SIMPLE)
    final(org, case, "simple_procedure_record")
    return verdict(step(org, case, "simple_decide"), "simple.record")


def decided_on_the_spot_without_a_record(org, profile, tmp_path):
    case = org.open_case(procedure=Procedure.SIMPLE)
    assert verdict(case, "simple.record").status == PENDING
    return verdict(step(org, case, "simple_decide"), "simple.record")


CASES = {
    "decision.document": Cases(decided_with_the_document, decided_without_the_document),
    "decision.rights_notice": Cases(rights_notified_before_the_penalty, penalty_without_a_rights_notice),
    "decision.head_approval": Cases(head_approved_in_writing, decided_without_a_written_approval),
    "simple.record": Cases(decided_on_the_spot_with_a_record, decided_on_the_spot_without_a_record),
}
test_each_rule_passes_and_fails_under_each_profile_that_uses_it = matrix_test(CASES)


def test_rights_notice_before_a_penalty(org004):
    org = org004
    bare = org.open_case()  # a penalty case (the factory's default matter type)
    for name in ("approve_start", "submit_review"):
        step(org, bare, name)
    assert verdict(bare, "decision.rights_notice").status == "pending"
    step(org, bare, "decide")
    found = verdict(bare, "decision.rights_notice")
    assert found.status == "violated" and found.cite == "004 第十九条"
    done = org.open_case()
    step(org, done, "approve_start")
    final(org, done, "rights_notice")
    assert verdict(done, "decision.rights_notice").status == "satisfied"
    assert verdict(org.open_case(matter_type="inspection"), "decision.rights_notice").status == "na"


def test_head_approval_record(org004):
    org = org004
    bare = org.open_case()
    for name in ("approve_start", "submit_review", "decide"):
        step(org, bare, name)
    found = verdict(bare, "decision.head_approval")
    assert found.status == "violated" and found.cite == "004 第二十条"
    done = org.open_case()
    for name in ("approve_start", "submit_review"):
        step(org, done, name)
    final(org, done, "collective_discussion")
    step(org, done, "decide")
    assert verdict(done, "decision.head_approval").status == "satisfied"


def test_simple_procedure_record(db):
    org = Org("rs", profile="000")
    bare = org.open_case(procedure=Procedure.SIMPLE)
    assert verdict(bare, "simple.record").status == "pending"
    step(org, bare, "simple_decide")
    found = verdict(bare, "simple.record")
    assert found.status == "violated" and found.cite == "000 第二十一条"
    done = org.open_case(procedure=Procedure.SIMPLE)
    final(org, done, "simple_procedure_record")
    step(org, done, "simple_decide")
    assert verdict(done, "simple.record").status == "satisfied"
    assert verdict(org.open_case(), "simple.record").status == "na"  # general procedure
