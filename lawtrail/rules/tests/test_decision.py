"""审查决定 rules: the decision document, the rights notice before a penalty, the head's
approval in writing, and the record of a decision made on the spot (简易程序)."""

from lawtrail.cases.enums import Procedure
from lawtrail.media.tests.test_recordings import ingest
from lawtrail.rules.base import PENDING
from lawtrail.rules.tests.matrix import Cases, final, later, matrix_test, step, verdict
from lawtrail.samples import make_video
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



def statement_reviewed_before_the_decision(org, profile, tmp_path):
    """000 第二十四条: "当事人提出的陈述、申辩意见中存在需要复核的理由、事实或者证据的，行政执法机关
    应当进行复核，并对复核处理意见进行记录"; 001 第二十一条 / 003 第二十二条: "对当事人提出的事实、
    理由和证据，要进行记录、复核"; 004 第十九条: "行政相对人陈述、申辩的，行政执法机关应当对陈述、
    申辩的内容及采纳情况等书面记录"."""
    case = in_review(org)
    final(org, case, "statement_record", waived=False, raises_facts="是")
    final(org, case, "statement_review")
    return verdict(step(org, case, "decide"), "decision.statement_review")


def decided_without_reviewing_the_statement(org, profile, tmp_path):
    case = in_review(org)
    final(org, case, "statement_record", waived=False, raises_facts="是")
    assert verdict(case, "decision.statement_review").status == PENDING
    return verdict(step(org, case, "decide"), "decision.statement_review")


def hearing_held_as_asked(org, profile, tmp_path):
    """000 第十条（六）: "举行听证的，应依照听证的规定制作听证全过程记录文书"; 004 第十三条: "决定组织
    听证的，应当书面记录听证主持人与参加人情况、听证的时间与地点、听证会全过程情况等"."""
    return verdict(decided(org, "hearing_notice", "hearing_record"), "decision.hearing")


def decided_without_the_hearing_asked_for(org, profile, tmp_path):
    case = in_review(org)
    final(org, case, "hearing_notice", applied="申请听证")
    assert verdict(case, "decision.hearing").status == PENDING
    return verdict(step(org, case, "decide"), "decision.hearing")



def disputed_on_the_spot(org):
    case = org.open_case(procedure=Procedure.SIMPLE)
    final(org, case, "simple_procedure_record", disputed="是")
    return case


def disputed_decision_filmed(org, profile, tmp_path):
    """000 第二十一条: "对容易引起行政争议的简易程序执法行为，应当采用适当方式进行音像记录"
    (001 第十四条, 003 第十九条 the same)."""
    case = disputed_on_the_spot(org)
    ingest(org, case, make_video(tmp_path / "当场处罚.mp4", seconds=1), activity="other")
    return verdict(step(org, case, "simple_decide"), "simple.av")


def disputed_decision_never_filmed(org, profile, tmp_path):
    case = step(org, disputed_on_the_spot(org), "simple_decide")
    found = verdict(case, "simple.av")
    assert found.status == PENDING and found.result.due
    return verdict(case, "simple.av", now=later(found, minutes=1))


CASES = {
    "decision.document": Cases(decided_with_the_document, decided_without_the_document),
    "decision.rights_notice": Cases(rights_notified_before_the_penalty, penalty_without_a_rights_notice),
    "decision.head_approval": Cases(head_approved_in_writing, decided_without_a_written_approval),
    "simple.record": Cases(decided_on_the_spot_with_a_record, decided_on_the_spot_without_a_record),
    "simple.av": Cases(disputed_decision_filmed, disputed_decision_never_filmed),
    "decision.statement_review": Cases(statement_reviewed_before_the_decision, decided_without_reviewing_the_statement),
    "decision.hearing": Cases(hearing_held_as_asked, decided_without_the_hearing_asked_for),
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


def test_a_statement_waived_or_raising_nothing_to_review_needs_no_review(db):
    """004 第十九条: "行政相对人放弃陈述、申辩权利的……进行书面记录" (no 复核); 000 第二十四条 reviews
    only "陈述、申辩意见中存在需要复核的理由、事实或者证据的"; 003 第二十二条 reviews every statement."""
    for profile, raises, expected in (("000", "否", "na"), ("003", "否", "violated")):
        org = Org(f"sr{profile}", profile=profile)
        case = in_review(org)
        final(org, case, "statement_record", waived=False, raises_facts=raises)
        assert verdict(step(org, case, "decide"), "decision.statement_review").status == expected
    org = Org("sw", profile="004")
    case = in_review(org)
    final(org, case, "statement_record", waived=True)
    assert verdict(step(org, case, "decide"), "decision.statement_review").status == "na"


def test_a_statement_answering_the_demand_is_reviewed_before_enforcement(org004):
    """000 第二十四条 and 003 第二十二条 put the 复核 with the 催告: a statement made after the
    decision falls due before the enforcement, not at once."""
    org = org004
    case = decided(org, "decision")
    final(org, case, "demand_notice")
    final(org, case, "statement_record", waived=False)
    assert verdict(case, "decision.statement_review").status == PENDING
    final(org, case, "enforcement_record")
    found = verdict(case, "decision.statement_review")
    assert found.status == "violated" and found.cite == "004 第十九条"
