"""The access log: every view, play, download and export is a ledger entry (who, what,
when, from where). Reads are logged like writes, so "who has seen this" always has an answer."""

from django.db import transaction

from lawtrail.ledger.services import ledger_append
from lawtrail.org.enums import Role

# The last part of an action that marks a read, not a change (e.g. `recording.play`).
ACCESS_VERBS = frozenset({"view", "play", "download", "attachment_download", "export", "denied"})


def is_access(action):
    return action.rsplit(".", 1)[-1] in ACCESS_VERBS


def client_address(request):
    if request is None:
        return "未知来源"
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")[0].strip()
    return forwarded or request.META.get("REMOTE_ADDR", "未知来源")


@transaction.atomic
def access_logged(*, actor, action, obj, scope, what, request=None):
    """One read of one object, with the address it came from."""
    if not is_access(action):
        raise ValueError(f"{action} is not an access action")
    ledger_append(actor=actor, action=action, obj=obj, scope=scope, reason=f"{what}（来自 {client_address(request)}）")


def access_refused(*, actor, case, what, message, request=None):
    """A refused attempt is in the access log too (in its own transaction, so it stays)."""
    with transaction.atomic():
        ledger_append(actor=actor, action="case.denied", obj=case, scope=case.scope,
                      reason=f"{what}被拒绝：{message}（来自 {client_address(request)}）")


def guarded(check, *, actor, case, what, request=None):
    """Run a policy check; a refusal is logged before it is raised."""
    from lawtrail.core.errors import NotAllowed

    try:
        check(actor, case)
    except NotAllowed as exc:
        access_refused(actor=actor, case=case, what=what, message=exc.message, request=request)
        raise


GRANT_DAYS_MAX = 90


@transaction.atomic
def grant_request(*, actor, case, kind, reason):
    """Ask for a grant on one case. A confidential case the user cannot see is named by
    its case number (the caller looks it up within the user's agency)."""
    from django.utils import timezone

    from lawtrail.access.models import AccessGrant, GrantKind, GrantStatus
    from lawtrail.core.errors import Conflict, InvalidInput, NotFound

    if actor.agency_id != case.agency_id or actor.role == Role.ADMIN:
        raise NotFound("案件不存在或您无权查看")
    if kind not in GrantKind.values:
        raise InvalidInput(f"申请事项无效：{kind}", field="kind")
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("请填写申请理由", field="reason")
    if AccessGrant.objects.filter(case=case, user=actor, kind=kind, status=GrantStatus.PENDING).exists():
        raise Conflict("已有同一事项的申请在审批中")
    grant = AccessGrant.objects.create(case=case, user=actor, kind=kind, reason=reason, requested_at=timezone.now())
    ledger_append(actor=actor, action="grant.request", obj=grant, scope=case.scope,
                  reason=f"申请{grant.get_kind_display()}：{reason}")
    return grant


@transaction.atomic
def grant_decide(*, actor, grant, approve, reason, days=7):
    """A head of the same agency approves (for `days`, at most 90) or denies."""
    import datetime

    from django.utils import timezone

    from lawtrail.access.models import GrantStatus
    from lawtrail.core.errors import Conflict, InvalidInput, NotAllowed, NotFound

    if actor.agency_id != grant.case.agency_id:
        raise NotFound("申请不存在")
    if actor.role != Role.HEAD:
        raise NotAllowed("调阅许可须由负责人审批")
    if grant.user_id == actor.pk:
        raise NotAllowed("不能审批自己的申请")
    if grant.status != GrantStatus.PENDING:
        raise Conflict(f"该申请已{grant.get_status_display()}")
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("请填写审批意见", field="reason")
    now = timezone.now()
    grant.decided_by, grant.decided_at, grant.decision_reason = actor, now, reason
    if approve:
        if not isinstance(days, int) or not 1 <= days <= GRANT_DAYS_MAX:
            raise InvalidInput(f"有效期须为 1 至 {GRANT_DAYS_MAX} 天", field="days")
        grant.status, grant.expires_at = GrantStatus.APPROVED, now + datetime.timedelta(days=days)
    else:
        grant.status = GrantStatus.DENIED
    grant.save()
    ledger_append(actor=actor, action="grant.approve" if approve else "grant.deny", obj=grant,
                  scope=grant.case.scope, reason=reason)
    return grant
