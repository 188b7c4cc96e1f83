"""The workflow refuses what the regulation forbids: each gated step names the missing record
and the article of the case's own profile, and opens once the record is on file."""

import pytest
from django.utils import timezone

from lawtrail.cases.enums import Stage
from lawtrail.cases.models import Case
from lawtrail.cases.selectors import available_transitions
from lawtrail.cases.services import case_transition
from lawtrail.core.errors import InvalidInput, NotAllowed
from lawtrail.org.enums import Role
from lawtrail.testing import Org


def take(org, case, name, reason="依法办理", actor=None):
    from lawtrail.testing import step_actor

    case_transition(actor=actor or step_actor(org, name), case=case, name=name, reason=reason)
    return Case.objects.get(pk=case.pk)


def in_review(org):
    """A case past its investigation, every earlier gate passed with its records."""
    case = org.open_case()
    for name in ("approve_start", "submit_review"):
        case = take(org, org.ready_for(case, name), name)
    return case


@pytest.fixture
def org004(db):
    return Org("g", profile="004")


def test_approving_the_start_needs_the_finalised_filing_approval_of_the_profile(org, org004):
    for o, cite in ((org, "003 第九条"), (org004, "004 第十条")):
        case = o.open_case()
        with pytest.raises(InvalidInput, match=f"立案前须制作立案（程序启动）审批表，经负责人批准（{cite}）"):
            take(o, case, "approve_start")
        assert take(o, o.ready_for(case, "approve_start"), "approve_start").stage == Stage.INVESTIGATION


def test_closing_the_investigation_needs_its_written_records(org):
    case = take(org, org.ready_for(org.open_case(), "approve_start"), "approve_start")
    with pytest.raises(InvalidInput, match="调查终结前须制作调查取证文书.*（003 第十三条）"):
        take(org, case, "submit_review")


def test_the_decision_needs_the_rights_notice_the_heads_approval_and_the_drafted_decision(org004):
    case = in_review(org004)
    with pytest.raises(InvalidInput) as refused:
        take(org004, case, "decide")
    message = refused.value.message
    assert "请先起草决定书" in message
    assert "权利告知书" in message and "（004 第十九条）" in message
    assert "负责人审批" in message and "（004 第二十条）" in message
    assert take(org004, org004.ready_for(case, "decide"), "decide").stage == Stage.EXECUTION


def test_a_party_who_stated_his_case_has_it_reviewed_before_the_decision(org004):
    case = org004.ready_for(in_review(org004), "decide")
    org004.final_record(case, "statement_record", waived=None)
    with pytest.raises(InvalidInput, match="须复核，并制作陈述申辩复核意见.*（004 第十九条）"):
        take(org004, case, "decide")
    org004.final_record(case, "statement_review")
    assert take(org004, case, "decide").stage == Stage.EXECUTION


def test_where_the_profile_reviews_only_what_raises_facts_a_bare_statement_does_not_hold_the_decision(db):
    """000 (only_when_raised): a 陈述申辩 raising no new facts, reasons or evidence asks no 复核."""
    org = Org("h", profile="000")
    case = org.ready_for(in_review(org), "decide")
    org.final_record(case, "statement_record", waived=None, raises_facts="否")
    assert take(org, case, "decide").stage == Stage.EXECUTION


def test_a_major_decision_needs_the_legal_review_step_and_a_collective_discussion(org004):
    case = org004.ready_for(in_review(org004), "decide")
    reviewer = org004.users[Role.REVIEWER]
    offered = {t.name for t, _ in available_transitions(case, reviewer)}
    assert "legal_review" not in offered  # not a major decision: no legal review asked for
    with pytest.raises(NotAllowed):
        take(org004, case, "mark_major", "拟处较大数额罚款", actor=org004.officer_users[0])
    case = take(org004, case, "mark_major", "拟处较大数额罚款")
    assert case.major_decision
    with pytest.raises(InvalidInput) as refused:
        take(org004, case, "decide")
    assert "本案须经法制审核（004 第十八条）" in refused.value.message
    assert "重大执法决定须经集体讨论，并有已定稿的集体讨论记录（004 第二十条）" in refused.value.message
    assert "legal_review" in {t.name for t, _ in available_transitions(case, reviewer)}
    with pytest.raises(NotAllowed, match="须由审核人员办理"):
        take(org004, case, "legal_review", "同意", actor=org004.head)
    case = take(org004, case, "legal_review", "事实清楚，证据确凿，同意拟处理意见；意见已采纳")
    assert "legal_review" not in {t.name for t, _ in available_transitions(case, reviewer)}  # done once
    org004.final_record(case, "collective_discussion")
    assert take(org004, case, "decide").stage == Stage.EXECUTION


def test_a_return_for_more_investigation_asks_for_the_legal_review_again(org004):
    case = take(org004, org004.ready_for(in_review(org004), "decide"), "mark_major", "重大")
    case = take(org004, case, "legal_review", "同意")
    case = take(org004, case, "return_investigation", "证据不足", actor=org004.users[Role.REVIEWER])
    case = take(org004, case, "submit_review")
    org004.final_record(case, "collective_discussion")
    with pytest.raises(InvalidInput, match="本案须经法制审核"):
        take(org004, case, "decide")


def test_closing_needs_the_closing_report_signed_by_the_head(org):
    case = org.ready_for(in_review(org), "decide")
    case = take(org, case, "decide")
    with pytest.raises(InvalidInput, match="结案须有负责人签署批准的结案报告（003 未规定"):
        take(org, case, "conclude")
    assert take(org, org.ready_for(case, "conclude"), "conclude").stage == Stage.ARCHIVING


def test_archiving_with_severe_violations_open_needs_the_heads_written_explanation(org):
    from lawtrail.archive.services import casefile_assemble

    case = take(org, org.ready_for(in_review(org), "decide"), "decide")
    case = take(org, org.ready_for(case, "conclude"), "conclude")  # never served: a severe violation
    casefile_assemble(actor=org.users[Role.ARCHIVIST], case=case)
    with pytest.raises(InvalidInput, match="尚有 1 项严重违规未纠正：案件已执行完毕，但没有已定稿的送达回证.*须负责人书面说明后方可带问题归档"):
        take(org, case, "archive")
    with pytest.raises(NotAllowed):
        take(org, case, "explain_problems", "说明", actor=org.users[Role.ARCHIVIST])
    case = take(org, case, "explain_problems", "当事人下落不明，送达回证无法取得，已报法制机构备案")
    case = take(org, case, "archive")
    assert case.stage == Stage.ARCHIVED
    explained = case.transitions.get(name="explain_problems")
    assert explained.label == "带问题归档说明" and "下落不明" in explained.reason
    from lawtrail.supervision.statistics import Filters, report

    today = timezone.localdate()
    assert report(org.users[Role.SUPERVISOR], Filters(today, today))["archived_with_problems"] == 1


def test_nothing_to_explain_means_no_explanation_step(org):
    case = take(org, org.ready_for(in_review(org), "decide"), "decide")
    org.final_record(case, "service_direct")
    case = take(org, org.ready_for(case, "conclude"), "conclude")
    assert "explain_problems" not in {t.name for t, _ in available_transitions(case, org.head)}


def test_every_profile_gate_names_a_rule_the_profile_uses():
    from lawtrail.cases.workflow import TRANSITIONS
    from lawtrail.regulations.profiles import profiles
    from lawtrail.rules.engine import rules_for

    for profile in profiles().values():
        used = {r.id for r in rules_for(profile)}
        for step, rule_ids in profile.data["gates"].items():
            assert step in TRANSITIONS, (profile.id, step)
            assert set(rule_ids) <= used, (profile.id, step, set(rule_ids) - used)
