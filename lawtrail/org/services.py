"""The only writers of agencies, departments, officers, users and API tokens."""

import hashlib
import secrets

from django.db import transaction

from lawtrail.core.errors import Conflict, InvalidInput, NotFound
from lawtrail.access.services import client_address
from lawtrail.ledger.services import ledger_append
from lawtrail.org.enums import DepartmentKind, Role
from lawtrail.org.models import Agency, ApiToken, Department, Officer, User
from lawtrail.regulations.profiles import profiles

TOKEN_PREFIX = "lt_"


@transaction.atomic
def agency_create(*, actor, code, name, short_name, profile, case_prefix, region="", reason=None) -> Agency:
    if profile not in profiles():
        raise InvalidInput(f"未知的规定配置：{profile}", field="适用规定")
    if Agency.objects.filter(code=code).exists():
        raise Conflict(f"机关代码 {code} 已存在")
    agency = Agency.objects.create(
        code=code, name=name, short_name=short_name, profile=profile, case_prefix=case_prefix, region=region
    )
    ledger_append(actor=actor, action="agency.create", obj=agency, reason=reason or "")
    return agency


@transaction.atomic
def department_create(*, actor, agency, name, kind=DepartmentKind.SECTION, reason=None) -> Department:
    if kind not in DepartmentKind.values:
        raise InvalidInput(f"科室类型无效：{kind}")
    department = Department.objects.create(agency=agency, name=name, kind=kind)
    ledger_append(actor=actor, action="department.create", obj=department, reason=reason or "")
    return department


@transaction.atomic
def user_create(*, actor, username, password, full_name, role, agency=None, department=None,
                reason=None) -> User:
    if role not in Role.values:
        raise InvalidInput(f"角色无效：{role}")
    if role != Role.ADMIN and agency is None:
        raise InvalidInput("除系统管理员外，用户须属于一个执法机关")
    if department is not None and department.agency_id != getattr(agency, "pk", None):
        raise InvalidInput("科室不属于该执法机关")
    if User.objects.filter(username=username).exists():
        raise Conflict(f"用户名 {username} 已存在")
    user = User(username=username, full_name=full_name, role=role, agency=agency, department=department)
    user.set_password(password)
    user.save()
    ledger_append(actor=actor, action="user.create", obj=user, reason=reason or "")
    return user


@transaction.atomic
def officer_create(*, actor, department, name, cert_no, cert_valid_from, cert_valid_until,
                   qualified=True, user=None, reason=None) -> Officer:
    if cert_valid_until < cert_valid_from:
        raise InvalidInput("执法证有效期截止日早于起始日", field="证件有效期")
    if Officer.objects.filter(cert_no=cert_no).exists():
        raise Conflict(f"执法证号 {cert_no} 已登记")
    officer = Officer.objects.create(
        agency=department.agency, department=department, user=user, name=name, cert_no=cert_no,
        qualified=qualified, cert_valid_from=cert_valid_from, cert_valid_until=cert_valid_until,
    )
    ledger_append(actor=actor, action="officer.create", obj=officer, reason=reason or "")
    return officer


def _token_hash(token):
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def token_create(*, actor, username, label="") -> str:
    """Create an API token for the user and return it; only its hash is kept."""
    user = User.objects.filter(username=username, is_active=True).first()
    if user is None:
        raise NotFound(f"用户 {username} 不存在或已停用")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    record = ApiToken.objects.create(user=user, token_hash=_token_hash(token), label=label)
    ledger_append(actor=actor, action="token.create", obj=record, reason=f"为 {username} 签发 API 令牌")
    return token


def token_user(token):
    found = ApiToken.objects.select_related("user").filter(token_hash=_token_hash(token)).first()
    if found is None or not found.user.is_active:
        return None
    return found.user


@transaction.atomic
def login_recorded(sender, request, user, **kwargs):
    """Login history: every sign-in is a ledger entry, with where it came from."""
    ledger_append(actor=user, action="user.login", obj=user, reason=f"登录（来自 {client_address(request)}）")


@transaction.atomic
def logout_recorded(sender, request, user, **kwargs):
    if user is not None:
        ledger_append(actor=user, action="user.logout", obj=user, reason=f"退出（来自 {client_address(request)}）")


@transaction.atomic
def login_failure_recorded(sender, credentials, request=None, **kwargs):
    """A failed sign-in is recorded too (the password never is)."""
    username = str(credentials.get("username", ""))[:150]
    ledger_append(actor=None, action="user.login_failed",
                  reason=f"登录失败：{username}（来自 {client_address(request)}）")


# --- two-factor sign-in (TOTP, django-otp) -------------------------------------------

TOTP_DEVICE_NAME = "动态验证码"


def two_factor_device(user, *, confirmed=True):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    return TOTPDevice.objects.filter(user=user, confirmed=confirmed).order_by("-id").first()


@transaction.atomic
def two_factor_begin(*, actor):
    """A fresh, unconfirmed authenticator key for the user to scan; replaces an earlier
    unconfirmed one. Nothing changes for sign-in until a code from it is confirmed."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    TOTPDevice.objects.filter(user=actor, confirmed=False).delete()
    return TOTPDevice.objects.create(user=actor, name=TOTP_DEVICE_NAME, confirmed=False)


@transaction.atomic
def _two_factor_recorded(actor, action, reason, request):
    ledger_append(actor=actor, action=action, obj=actor, reason=f"{reason}（来自 {client_address(request)}）")


# verify_token() keeps django-otp's throttling state (failures, last step used) in its own
# write; it runs outside our transactions so that a refused code still counts.

def _check_not_throttled(device):
    allowed, data = device.verify_is_allowed()
    if not allowed:
        raise InvalidInput("动态验证码错误次数过多，请稍候几秒再试", field="token")


def two_factor_confirm(*, actor, device, token, request=None):
    """The first code proves the authenticator works; the device becomes the user's."""
    if device.user_id != actor.pk or device.confirmed:
        raise InvalidInput("验证器无效，请重新开始设置")
    _check_not_throttled(device)
    if not device.verify_token((token or "").strip()):
        raise InvalidInput("动态验证码不正确，请核对手机上的时间和验证码后重试", field="token")
    with transaction.atomic():
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        _two_factor_recorded(actor, "user.2fa_enrol", "启用两步验证", request)
    return device


def two_factor_verified(*, actor, token, request=None):
    """Check a sign-in's second factor; returns the device that matched."""
    device = two_factor_device(actor)
    if device is None:
        raise InvalidInput("尚未设置两步验证")
    _check_not_throttled(device)
    if not device.verify_token((token or "").strip()):
        _two_factor_recorded(actor, "user.2fa_failed", "动态验证码错误", request)
        raise InvalidInput("动态验证码不正确", field="token")
    _two_factor_recorded(actor, "user.2fa", "两步验证通过", request)
    return device
