from datetime import datetime

from ninja import Router, Schema, Status

from lawtrail.org import selectors, services
from lawtrail.org.models import secret_hash

router = Router(tags=["机构与人员"])


class MeOut(Schema):
    username: str
    full_name: str
    role: str
    role_label: str
    agency: str | None
    department: str | None


@router.get("/me", response=MeOut, summary="当前用户")
def me(request):
    user = request.user
    return {
        "username": user.username,
        "full_name": user.full_name,
        "role": user.role,
        "role_label": user.get_role_display(),
        "agency": user.agency.name if user.agency_id else None,
        "department": user.department.name if user.department_id else None,
    }


class TokenIn(Schema):
    label: str = ""
    otp: str = ""  # the current code of the user's authenticator: heads, supervisors, admins


class TokenOut(Schema):
    id: int
    user: str
    label: str
    created_at: datetime
    expires_at: datetime
    status: str
    revoked_at: datetime | None
    revoked_by: str | None
    revoke_reason: str

    @staticmethod
    def resolve_user(obj):
        return obj.user.get_username()

    @staticmethod
    def resolve_status(obj):
        return obj.status_label

    @staticmethod
    def resolve_revoked_at(obj):
        return obj.revocation.created_at if obj.revoked else None

    @staticmethod
    def resolve_revoked_by(obj):
        return obj.revocation.revoked_by.get_username() if obj.revoked and obj.revocation.revoked_by else None

    @staticmethod
    def resolve_revoke_reason(obj):
        return obj.revocation.reason if obj.revoked else ""


class NewTokenOut(TokenOut):
    token: str


class RevokeIn(Schema):
    reason: str = ""


@router.get("/tokens", response=list[TokenOut], summary="API 令牌：本人的（系统管理员：全部）")
def list_tokens(request):
    return list(selectors.tokens_for(request.user)[:500])


@router.post("/tokens", response={201: NewTokenOut},
             summary="为本人签发 API 令牌（负责人、法制监督人员、系统管理员须填动态验证码 otp）；令牌只显示这一次")
def create_token(request, payload: TokenIn):
    token = services.token_create(actor=request.user, username=request.user.username, label=payload.label,
                                  code=payload.otp, request=request)
    record = selectors.tokens_for(request.user).get(token_hash=secret_hash(token))
    record.token = token
    return Status(201, record)


@router.post("/tokens/{token_id}/revoke", response=TokenOut, summary="吊销 API 令牌（系统管理员吊销他人的须写明理由）")
def revoke_token(request, token_id: int, payload: RevokeIn):
    token = selectors.token_for(request.user, token_id)
    services.token_revoke(actor=request.user, token=token, reason=payload.reason)
    return selectors.token_for(request.user, token_id)
