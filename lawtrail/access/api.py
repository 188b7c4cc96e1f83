"""Access grants through the REST API: request, list, decide."""

from datetime import datetime

from ninja import Router, Schema, Status

from lawtrail.access import selectors, services
from lawtrail.access.models import AccessGrant
from lawtrail.core.errors import NotFound
from lawtrail.org.enums import Role

router = Router(tags=["调阅许可"])


class GrantIn(Schema):
    case_no: str
    kind: str
    reason: str


class GrantDecisionIn(Schema):
    approve: bool
    reason: str
    days: int = 7


class GrantOut(Schema):
    id: int
    case_no: str
    user: str
    kind: str
    reason: str
    status: str
    requested_at: datetime
    decided_at: datetime | None
    decision_reason: str
    expires_at: datetime | None

    @staticmethod
    def resolve_case_no(obj):
        return obj.case.case_no

    @staticmethod
    def resolve_user(obj):
        return obj.user.get_username()


@router.post("/grants", response={201: GrantOut}, summary="申请调阅许可（查阅涉密案件、查阅声像资料、复制）")
def request_grant(request, payload: GrantIn):
    case = selectors.case_by_number(request.user, payload.case_no)
    return Status(201, services.grant_request(actor=request.user, case=case, kind=payload.kind,
                                              reason=payload.reason))


@router.get("/grants", response=list[GrantOut], summary="我的申请，以及（负责人）待审批的申请")
def list_grants(request):
    grants = list(selectors.my_grants(request.user))
    if request.user.role == Role.HEAD:
        grants += list(selectors.grants_to_decide(request.user))
    return grants


@router.post("/grants/{grant_id}/decide", response=GrantOut, summary="审批调阅许可（批准须定有效期）")
def decide_grant(request, grant_id: int, payload: GrantDecisionIn):
    grant = AccessGrant.objects.filter(pk=grant_id, case__agency_id=request.user.agency_id).first()
    if grant is None:
        raise NotFound("申请不存在")
    return services.grant_decide(actor=request.user, grant=grant, approve=payload.approve, reason=payload.reason,
                                 days=payload.days)
