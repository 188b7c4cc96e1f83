"""The only writers of access grants, party requests and item confidentiality. The access
log they are read under is the ledger's (ledger/access_log.py)."""

import datetime

from django.db import transaction
from django.utils import timezone

from lawtrail.access.models import (
    AccessGrant, GrantKind, GrantStatus, ItemConfidentiality, PartyRequest, PartyRequestKind, PartyRequestStatus,
    RequesterRole,
)
from lawtrail.access.policy import CONFIDENTIAL
from lawtrail.cases.enums import Confidentiality, IdType
from lawtrail.cases.services import validate_identity
from lawtrail.core.errors import Conflict, InvalidInput, NotAllowed, NotFound
from lawtrail.ledger.services import ledger_append
from lawtrail.org.enums import Role
from lawtrail.regulations.profiles import get_profile


GRANT_DAYS_MAX = 90


@transaction.atomic
def grant_request(*, actor, case, kind, reason):
    """Ask for a grant on one case. A confidential case the user cannot see is named by
    its case number (the caller looks it up within the user's agency)."""
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


# --- party requests (政府信息公开) -------------------------------------------------------

PARTY_REQUEST_HANDLERS = (Role.ARCHIVIST, Role.HEAD)


def _party_request_basis(case):
    profile = get_profile(case.agency.profile)
    block = profile.get("party_request")
    return f"《中华人民共和国政府信息公开条例》；{block['cite']}" if block.get("cite") else \
        "《中华人民共和国政府信息公开条例》"


@transaction.atomic
def party_request_register(*, actor, case, party, requester_role, requester_name, requester_id_type,
                           requester_id_number, kind, items, authorization="", received_at=None):
    """Register a request after checking who asks: the party itself (its identity must match
    the party recorded in the case) or an agent with a written authorisation."""
    if actor.role not in PARTY_REQUEST_HANDLERS:
        raise NotAllowed("当事人查阅、复制申请由档案管理员或负责人登记办理")
    if party is None or party.case_id != case.pk:
        raise NotFound("当事人不存在")
    if requester_role not in RequesterRole.values:
        raise InvalidInput("请选择申请人身份", field="requester_role")
    if kind not in PartyRequestKind.values:
        raise InvalidInput("请选择申请事项（查阅或复制）", field="kind")
    name = (requester_name or "").strip()
    items = (items or "").strip()
    if not name or not items:
        raise InvalidInput("请填写申请人姓名和申请查阅、复制的记录")
    if requester_id_type not in IdType.values:
        raise InvalidInput("请选择申请人的证件类型", field="requester_id_type")
    kind_of_person = party.kind if requester_role == RequesterRole.PARTY else "person"
    number = validate_identity(kind_of_person, requester_id_type, (requester_id_number or "").strip())
    if requester_role == RequesterRole.PARTY:
        if number != party.id_number:
            raise InvalidInput(f"申请人证件号码与本案当事人“{party.name}”登记的不符，不能作为当事人本人申请",
                               field="requester_id_number")
        check = f"核对证件：{name} 的证件号码与本案当事人 {party.name} 登记的一致"
    else:
        if not (authorization or "").strip():
            raise InvalidInput("委托代理人申请须提交当事人签署的授权委托书", field="authorization")
        check = f"核对代理人 {name} 的身份证件及当事人 {party.name} 的授权委托书"
    request = PartyRequest.objects.create(
        case=case, party=party, requester_role=requester_role, requester_name=name,
        requester_id_type=requester_id_type, requester_id_number=number,
        authorization=(authorization or "").strip(), identity_check=check, kind=kind, items=items,
        received_at=received_at or timezone.now(), registered_by=actor)
    ledger_append(actor=actor, action="party_request.register", obj=request, scope=case.scope,
                  reason=f"{request.get_requester_role_display()} {name} 申请{request.get_kind_display()}：{items}")
    return request


@transaction.atomic
def party_request_decide(*, actor, request, status, reason, provided=""):
    """Record the decision, its legal basis (from the profile) and what was provided."""
    if actor.role not in PARTY_REQUEST_HANDLERS:
        raise NotAllowed("当事人查阅、复制申请由档案管理员或负责人办理")
    if request.status != PartyRequestStatus.PENDING:
        raise Conflict(f"该申请已作出决定：{request.get_status_display()}")
    if status not in (PartyRequestStatus.GRANTED, PartyRequestStatus.PARTLY, PartyRequestStatus.REFUSED):
        raise InvalidInput("请选择决定（准予、部分准予或不予）", field="status")
    reason, provided = (reason or "").strip(), (provided or "").strip()
    if not reason:
        raise InvalidInput("请填写决定理由", field="reason")
    if status != PartyRequestStatus.REFUSED and not provided:
        raise InvalidInput("请写明向申请人提供了哪些记录", field="provided")
    request.status, request.decision_reason, request.provided = status, reason, provided
    request.legal_basis = _party_request_basis(request.case)
    request.decided_by, request.decided_at = actor, timezone.now()
    request.save()
    ledger_append(actor=actor, action="party_request.decide", obj=request, scope=request.case.scope,
                  reason=f"{request.get_status_display()}：{reason}（依据 {request.legal_basis}）")
    return request


@transaction.atomic
def item_confidentiality_set(*, actor, case, level, reason, record=None, recording=None):
    """Mark one record or recording more confidential than its case (handling officers or heads)."""
    if actor.agency_id != case.agency_id:
        raise NotFound("案件不存在或您无权查看")
    if not (actor.role == Role.HEAD or case.handled_by(actor)):
        raise NotAllowed("只有本案承办人或负责人可以设定记录密级")
    if (record is None) == (recording is None) or (record or recording).case_id != case.pk:
        raise NotFound("记录不存在")
    if level not in CONFIDENTIAL:
        raise InvalidInput("请选择个人隐私、商业秘密或国家秘密", field="level")
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("请填写定密理由", field="reason")
    mark = ItemConfidentiality.objects.create(case=case, record=record, recording=recording, level=level,
                                              reason=reason, set_by=actor, set_at=timezone.now())
    item = f"《{record.title}》" if record else f"音像记录 {recording.filename}"
    ledger_append(actor=actor, action="confidentiality.set", obj=mark, scope=case.scope,
                  reason=f"{item}定为{dict(Confidentiality.choices)[level]}：{reason}")
    return mark
