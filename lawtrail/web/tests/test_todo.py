"""待办: each user's own typed tasks reach the right person, say exactly what is asked, link
to the page, and go away when the work is done."""

import datetime

from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from lawtrail.org.enums import Role
from lawtrail.records.services import record_create, record_sign, record_update
from lawtrail.testing import complete_data
from lawtrail.records.catalog import doc_type
from lawtrail.web.tests.test_views import client_for
from lawtrail.web.todo import tasks_for


def kinds(user):
    return [(t.kind, t.label) for t in tasks_for(user)]


def test_a_signature_awaited_is_the_signers_task_until_he_signs(org):
    case = org.open_case()
    record = record_create(actor=org.officer_users[0], case=case, doc_type_code="filing_approval",
                           data=complete_data(doc_type("filing_approval")))
    assert ("待我签名", "承办人") in kinds(org.officer_users[0])
    assert ("待我签名", "负责人") in kinds(org.head)
    assert ("待我签名", "承办人") not in kinds(org.officer_users[2])  # not his case
    record_sign(actor=org.officer_users[0], record=record, slot="officers", method="fingerprint")
    assert ("待我签名", "承办人") not in kinds(org.officer_users[0])
    assert ("待我签名", "承办人") in kinds(org.officer_users[1])
    task = next(t for t in tasks_for(org.head) if t.kind == "待我签名")
    assert task.url == reverse("web:record_detail", args=[case.pk, record.pk]) + "#slot-head"


def test_a_voided_signature_is_a_task_to_sign_again(org):
    record = record_create(actor=org.officer_users[0], case=org.open_case(), doc_type_code="filing_approval",
                           data=complete_data(doc_type("filing_approval")))
    record_sign(actor=org.officer_users[0], record=record, slot="officers", method="fingerprint")
    record_update(actor=org.head, record=record, data={**record.data, "basic_facts": "改动"})
    assert ("待补正", "重新签名") in kinds(org.officer_users[0])


def test_the_heads_approvals_each_say_which_approval(org):
    start = org.open_case()
    emergency = org.step(org.open_case(), "emergency_start", "证据可能灭失")
    decision = org.step(org.step(org.open_case(), "approve_start"), "submit_review")
    found = {(t.label, t.text.split(" ")[0]) for t in tasks_for(org.head) if t.kind == "待我审批"}
    assert {("立案", start.case_no), ("紧急启动补批", emergency.case_no), ("决定", decision.case_no)} <= found
    urgent = next(t for t in tasks_for(org.head) if t.label == "紧急启动补批")
    assert urgent.due == emergency.approval_due_at
    assert tasks_for(org.head)[0] == urgent  # the one with a deadline comes first
    org.step(emergency, "approve_emergency", "同意")
    assert "紧急启动补批" not in {t.label for t in tasks_for(org.head)}


def test_a_legal_review_is_the_reviewers_task_once_the_decision_is_major(org):
    case = org.step(org.step(org.open_case(), "approve_start"), "submit_review")
    reviewer = org.users[Role.REVIEWER]
    assert ("待法制审核", "法制审核") not in kinds(reviewer)
    org.step(case, "mark_major", "重大")
    assert ("待法制审核", "法制审核") in kinds(reviewer)
    org.step(case, "legal_review", "同意")
    assert ("待法制审核", "法制审核") not in kinds(reviewer)


def test_a_returned_case_is_its_officers_task(org):
    case = org.step(org.step(org.open_case(), "approve_start"), "submit_review")
    org.step(case, "return_investigation", "证据不足")
    assert ("待补正", "退回补充调查") in kinds(org.officer_users[0])
    org.step(case, "submit_review")
    assert ("待补正", "退回补充调查") not in kinds(org.officer_users[0])


def test_a_deadline_coming_up_is_shown_with_its_date(org, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        case = org.step(org.open_case(), "emergency_start", "证据可能灭失")
    soon = [t for t in tasks_for(org.officer_users[0]) if t.kind == "即将到期"]
    assert soon and soon[0].due <= timezone.now() + datetime.timedelta(days=1)
    assert case.case_no in soon[0].text
    # named in words, not by the rule's id
    assert all("." not in t.label for t in soon) and "立案（程序启动）审批表" in soon[0].label


def test_the_home_page_starts_with_the_tasks_and_the_menu_counts_them(org):
    org.open_case()
    cache.clear()
    page = client_for(org.head).get(reverse("web:home")).content.decode()
    assert page.index('data-testid="todo"') < page.index('class="stats"')
    assert 'data-kind="待我审批"' in page and "<strong>立案</strong>" in page
    count = len(tasks_for(org.head))
    assert f'data-testid="todo-count" title="待办事项">{count}</span>' in page
    assert 'data-testid="todo-count"' not in client_for(org.users[Role.SUPERVISOR]).get(reverse("web:home")).content.decode()
