"""The stage workflow: every transition, its guards, and its ledger entries."""

import datetime

import pytest
from django.utils import timezone

from lawtrail.archive.integrity import verify_ledger
from lawtrail.archive.services import casefile_assemble
from lawtrail.cases import workflow
from lawtrail.cases.enums import Procedure, Source, Stage
from lawtrail.cases.models import Case
from lawtrail.cases.selectors import available_transitions, pending_approvals
from lawtrail.cases.services import case_transition
from lawtrail.core.errors import InvalidInput, NotAllowed
from lawtrail.ledger.models import Entry
from lawtrail.org.enums import Role

NOTICE = {"notice_method": "电话告知", "notice_date": "2026-11-23", "notice_content": "不予立案及理由"}


def step(case, actor, name, reason="意见", data=None):
    case_transition(actor=actor, case=case, name=name, reason=reason, data=data)
    return Case.objects.get(pk=case.pk)


def test_a_general_case_walks_every_stage_to_the_archive(org):
    officer, head, archivist = org.officer_users[0], org.head, org.users[Role.ARCHIVIST]
    case = org.open_case()
    case = step(org.ready_for(case, "approve_start"), head, "approve_start")
    assert case.stage == Stage.INVESTIGATION and case.start_approved_by == head
    case = step(org.ready_for(case, "submit_review"), officer, "submit_review")
    assert case.stage == Stage.DECISION
    case = step(case, org.users[Role.REVIEWER], "return_investigation", "证据不足")
    case = step(case, officer, "submit_review")
    case = step(org.ready_for(case, "decide"), head, "decide")
    assert case.stage == Stage.EXECUTION and case.decided_at
    org.final_record(case, "service_direct")  # the decision served
    case = step(org.ready_for(case, "conclude"), officer, "conclude")
    assert case.stage == Stage.ARCHIVING and case.ended_at
    with pytest.raises(InvalidInput, match="尚未组卷"):
        step(case, archivist, "archive", "")
    casefile_assemble(actor=archivist, case=case)
    case = step(case, archivist, "archive", "")
    assert case.stage == Stage.ARCHIVED and case.archived_at
    names = list(case.transitions.values_list("name", flat=True))
    assert names == ["approve_start", "submit_review", "return_investigation", "submit_review", "decide",
                     "conclude", "archive"]
    transitions = Entry.objects.filter(scope=case.scope, action__in=[f"case.{n}" for n in names]).count()
    assert transitions == len(names)
    assert verify_ledger().ok


def test_ex_officio_start_needs_a_head(org):
    case = org.open_case()
    with pytest.raises(NotAllowed, match="须由负责人办理"):
        step(case, org.officer_users[0], "approve_start")
    assert Case.objects.get(pk=case.pk).stage == Stage.INITIATION


def test_investigation_needs_two_officers(org):
    case = org.open_case(officers=1)
    with pytest.raises(InvalidInput, match="至少 2 名承办人"):
        step(case, org.head, "approve_start")


def test_a_lapsed_certificate_blocks_the_start(org):
    case = org.open_case()
    org.officers[1].cert_valid_until = timezone.localdate() - datetime.timedelta(days=1)
    type(org.officers[1]).objects.filter(pk=org.officers[1].pk).update(
        cert_valid_until=org.officers[1].cert_valid_until)
    with pytest.raises(InvalidInput, match="过期"):
        step(case, org.head, "approve_start")


def test_an_officer_who_does_not_handle_the_case_cannot_move_it(org):
    case = step(org.ready_for(org.open_case(), "approve_start"), org.head, "approve_start")
    with pytest.raises(InvalidInput, match="不是本案承办人"):
        step(case, org.officer_users[2], "submit_review")


def test_every_step_needs_its_reason(org):
    with pytest.raises(InvalidInput, match="请填写负责人意见"):
        step(org.open_case(), org.head, "approve_start", reason=" ")


def test_an_emergency_start_must_be_approved_within_the_profile_deadline(org):
    case = step(org.open_case(), org.officer_users[0], "emergency_start", "证据可能灭失")
    assert case.stage == Stage.INVESTIGATION and case.emergency
    assert case.approval_due_at - case.transitions.get().at == datetime.timedelta(hours=24)  # 003 第九条
    assert case in pending_approvals(org.head)
    with pytest.raises(InvalidInput, match="尚未补办批准"):
        step(case, org.officer_users[0], "submit_review")
    case = step(case, org.head, "approve_emergency")
    assert case.start_approved_at and not case.emergency_overdue
    assert case not in pending_approvals(org.head).filter(stage=Stage.INVESTIGATION)
    case = step(org.ready_for(case, "submit_review"), org.officer_users[0], "submit_review")
    assert case.stage == Stage.DECISION


def test_a_late_approval_of_an_emergency_start_stays_visible_as_late(org):
    case = step(org.open_case(), org.officer_users[0], "emergency_start", "情况紧急")
    Case.objects.filter(pk=case.pk).update(approval_due_at=timezone.now() - datetime.timedelta(hours=1))
    case = Case.objects.get(pk=case.pk)
    assert case.emergency_overdue
    case = step(case, org.head, "approve_emergency")
    assert case.emergency_overdue


def test_a_named_complaint_not_taken_up_needs_the_notice_recorded(org):
    case = org.open_case(source=Source.COMPLAINT, complainant_name="李四", complainant_contact="139")
    with pytest.raises(InvalidInput, match="实名投诉举报人 李四 须告知.*告知方式、告知日期、告知内容"):
        step(case, org.head, "decline_complaint", "举报不实")
    case = step(case, org.head, "decline_complaint", "举报不实", NOTICE)
    assert case.stage == Stage.CLOSED
    assert case.transitions.get().data == NOTICE


def test_an_anonymous_complaint_can_be_closed_without_a_notice(org):
    case = step(org.open_case(source=Source.COMPLAINT), org.head, "decline_complaint", "线索不足")
    assert case.stage == Stage.CLOSED


def test_only_complaints_are_declined(org):
    with pytest.raises(InvalidInput, match="只有投诉举报"):
        step(org.open_case(), org.head, "decline_complaint", "x", NOTICE)


def test_simple_procedure_skips_investigation_and_review(org):
    case = org.open_case(procedure=Procedure.SIMPLE)
    with pytest.raises(InvalidInput, match="简易程序案件不经过此步骤"):
        step(case, org.head, "approve_start")
    with pytest.raises(InvalidInput, match="当场作出决定须制作简易程序记录（003 第十九条）"):
        step(case, org.officer_users[0], "simple_decide", "当场警告")
    case = step(org.ready_for(case, "simple_decide"), org.officer_users[0], "simple_decide", "当场警告")
    assert case.stage == Stage.EXECUTION and case.decided_at
    case = step(case, org.officer_users[0], "conclude")
    assert case.stage == Stage.ARCHIVING


def test_general_procedure_cannot_decide_on_the_spot(org):
    with pytest.raises(InvalidInput, match="只有简易程序"):
        step(org.open_case(), org.officer_users[0], "simple_decide")


def test_applications_are_accepted_or_rejected(org):
    accepted = step(org.open_case(source=Source.APPLICATION), org.officer_users[0], "accept_application", "材料齐全")
    assert accepted.stage == Stage.INVESTIGATION and accepted.start_approved_at
    rejected = step(org.open_case(source=Source.APPLICATION), org.head, "reject_application", "不属于本机关职权")
    assert rejected.stage == Stage.CLOSED
    with pytest.raises(InvalidInput, match="依申请启动的案件应办理受理"):
        step(org.open_case(source=Source.APPLICATION), org.head, "approve_start")


def test_a_step_from_the_wrong_stage_is_refused(org):
    case = org.open_case()
    with pytest.raises(InvalidInput, match="当前处于“程序启动”阶段"):
        step(case, org.head, "decide")
    with pytest.raises(InvalidInput, match="未知的流程步骤"):
        step(case, org.head, "teleport")


def test_only_the_archivist_archives(org):
    case = org.conclude(org.open_case())
    with pytest.raises(NotAllowed, match="须由档案管理员办理"):
        step(case, org.head, "archive")


def test_the_ui_offers_only_the_steps_that_concern_the_case(org):
    case = org.open_case()
    offered = {t.name: problems for t, problems in available_transitions(case, org.head)}
    assert set(offered) == {"approve_start"} and offered["approve_start"] == ["立案前须制作立案（程序启动）审批表，经负责人批准（003 第九条）"]
    offered = {t.name: problems for t, problems in available_transitions(org.ready_for(case, "approve_start"), org.head)}
    assert offered["approve_start"] == []
    complaint = org.open_case(source=Source.COMPLAINT, complainant_name="王")
    assert {t.name for t, _ in available_transitions(complaint, org.head)} == {"approve_start", "decline_complaint"}
    thin = org.open_case(officers=1)
    [(_, problems)] = available_transitions(thin, org.head)
    assert any("至少 2 名" in p for p in problems)


def test_the_workflow_table_names_every_target_stage():
    for t in workflow.TRANSITIONS.values():
        assert t.target is None or t.target in Stage.values
        assert all(s in Stage.values for s in t.sources)
        assert t.roles
