"""待办: each user's own typed tasks, oldest deadline first, each a link to the exact page
and action. Drawn from the parts' selectors: signatures awaited and voided, approvals by
kind, legal reviews, cases returned, and deadlines coming up."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import SimpleLazyObject

from lawtrail.access.selectors import grants_to_decide
from lawtrail.archive.selectors import open_provisions, pending_disposals
from lawtrail.cases import selectors as cases
from lawtrail.cases.enums import Stage
from lawtrail.org.enums import Role
from lawtrail.records import selectors as records
from lawtrail.rules.base import rule_title
from lawtrail.rules.selectors import due_soon

DUE_SOON = timedelta(days=3)  # 即将到期: deadlines within three days (or past)
FAR = datetime.max.replace(tzinfo=timezone.get_fixed_timezone(0))


@dataclass(frozen=True)
class Task:
    kind: str  # 待我签名, 待我审批, 待法制审核, 待补正, 即将到期
    label: str  # what exactly: 立案, 决定, 紧急启动补批 …
    text: str
    url: str
    due: datetime | None = None
    since: datetime | None = None

    @property
    def overdue(self):
        return self.due is not None and self.due < timezone.now()


def _record_url(record, anchor=""):
    return reverse("web:record_detail", args=[record.case_id, record.pk]) + anchor


def _case_url(case, anchor=""):
    return reverse("web:case_detail", args=[case.pk]) + anchor


def _approval_label(case):
    if case.emergency and case.start_approved_at is None:
        return "紧急启动补批", case.approval_due_at
    if case.stage == Stage.INITIATION:
        return "立案", None
    if case.stage == Stage.DECISION:
        return "决定", None
    if case.stage == Stage.ARCHIVING:
        return "归档", None
    return "审批", None


def tasks_for(user):
    """The user's 待办, deadline first (none last), then the oldest first."""
    if not user.is_authenticated or user.role == Role.ADMIN:
        return []
    found = []
    for record, slot in records.signatures_awaited(user):
        found.append(Task("待我签名", slot.label, f"《{record.title}》（{record.case.case_no}）", _record_url(
            record, f"#slot-{slot.slot}"), since=record.created_at))
    for record, mine in records.resign_needed(user):
        found.append(Task("待补正", "重新签名", f"《{record.title}》（{record.case.case_no}）的内容已改动，您的签名失效",
                          _record_url(record, "#signatures"), since=mine[0].signed_at))
    for case, step in cases.returned_cases(user):
        found.append(Task("待补正", "退回补充调查", f"{case.case_no} {case.title}：{step.reason}", _case_url(case),
                          since=step.at))
    if user.role in (Role.HEAD, Role.ARCHIVIST):
        for case in cases.pending_approvals(user).select_related("agency"):
            label, due = _approval_label(case)
            found.append(Task("待我审批", label, f"{case.case_no} {case.title}", _case_url(case, "#steps"),
                              due=due, since=case.created_at))
    if user.role == Role.HEAD:
        for grant in grants_to_decide(user):
            found.append(Task("待我审批", "调阅许可", f"{grant.user.display_name} 申请{grant.get_kind_display()}"
                              f" {grant.case.case_no}", reverse("web:grants"), since=grant.requested_at))
        for disposal in pending_disposals(user):
            found.append(Task("待我审批", "销毁", f"{disposal.case.case_no} 的销毁申请",
                              reverse("web:case_archive", args=[disposal.case_id]) + "#retention", since=disposal.requested_at))
        for provision in open_provisions(user).filter(status="pending"):
            found.append(Task("待我审批", "对外提供", f"{provision.case.case_no} 向{provision.recipient}提供",
                              reverse("web:case_archive", args=[provision.case_id]) + "#provisions", since=provision.requested_at))
    for case in cases.legal_reviews_awaited(user):
        found.append(Task("待法制审核", "法制审核", f"{case.case_no} {case.title}", _case_url(case, "#steps"),
                          since=case.created_at))
    watched = cases.my_open_cases(user) if user.role == Role.OFFICER else cases.case_list(user).filter(
        stage__in=[Stage.INVESTIGATION, Stage.DECISION, Stage.EXECUTION, Stage.ARCHIVING])
    for finding in due_soon(watched, timezone.now() + DUE_SOON):
        found.append(Task("即将到期", rule_title(finding.rule_id), f"{finding.case.case_no}：{finding.message}",
                          _case_url(finding.case, "#checklist"), due=finding.due))
    return sorted(found, key=lambda t: (t.due or FAR, t.since or FAR))


COUNT_SECONDS = 60  # the menu's count is kept a minute; the 工作台 itself always counts afresh


def _count_key(user):
    return f"todo-count:{user.pk}"


def tasks_counted(user):
    """The tasks, with the menu's count refreshed from them."""
    tasks = tasks_for(user)
    cache.set(_count_key(user), len(tasks), COUNT_SECONDS)
    return tasks


def todo_count(request):
    """Context processor: the menu's 待办 count, computed only when a page shows it."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or user.role == Role.ADMIN:
        return {}
    return {"todo_count": SimpleLazyObject(
        lambda: cache.get_or_set(_count_key(user), lambda: len(tasks_for(user)), COUNT_SECONDS))}
