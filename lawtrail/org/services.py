"""The only writers of agencies, departments, officers, users, API tokens and second factors."""

import datetime
import secrets

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from lawtrail.core.errors import Conflict, InvalidInput, LawTrailError, NotAllowed, NotFound, required
from lawtrail.ledger.access_log import client_address
from lawtrail.ledger.services import ledger_append
from lawtrail.org.enums import DepartmentKind, EnrolmentStatus, Role, needs_two_factor
from lawtrail.org.models import (
    Agency, ApiToken, Department, Officer, TokenRevocation, TwoFactorEnrolment, User, secret_hash,
)
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
def user_role_change(*, actor, user, role, reason) -> User:
    """The admin gives a user another role; the ledger keeps who, when and why."""
    _require_admin(actor, "变更角色")
    reason = required(reason, "变更理由")
    if role not in Role.values:
        raise InvalidInput(f"角色无效：{role}")
    old = user.get_role_display()
    user.role = role
    user.save(update_fields=["role"])
    ledger_append(actor=actor, action="user.role", obj=user,
                  reason=f"{user.username} 的角色由{old}改为{user.get_role_display()}：{reason}")
    return user


@transaction.atomic
def user_password_change(*, actor, user, password, reason=None) -> User:
    """A new password, by the user or the admin; the ledger keeps the hash of the new
    password's (salted) hash, never the password."""
    if actor is not None and actor.pk != user.pk and actor.role != Role.ADMIN:
        raise NotAllowed("只能修改本人的密码")
    if len(password or "") < 8:
        raise InvalidInput("密码至少 8 位", field="password")
    user.set_password(password)
    user.save(update_fields=["password"])
    ledger_append(actor=actor, action="user.password", obj=user,
                  reason=f"修改 {user.username} 的密码" + (f"：{reason}" if reason else ""))
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


class TokenRefused(LawTrailError):
    """A bearer token that does not, or no longer, let anyone in."""

    status = 401


def token_create(*, actor, username, label="", code=None, request=None) -> str:
    """Create an API token for the user and return it; only its hash is kept.

    A token signs in without the second factor, so one for a head, supervisor or admin is
    made only with a current code from that user's authenticator. Users make their own;
    the admin makes anyone's. `actor` None is the server's console (`lawtrail token`):
    whoever runs it already holds the database and the keys, which a second factor
    would not protect any further; the ledger says the token came from there.
    """
    user = User.objects.filter(username=username, is_active=True).first()
    if user is None:
        raise NotFound(f"用户 {username} 不存在或已停用")
    label = (label or "").strip()
    if len(label) > ApiToken._meta.get_field("label").max_length:
        raise InvalidInput("令牌用途不能超过 60 个字", field="用途")
    if actor is not None:
        if actor.pk != user.pk and actor.role != Role.ADMIN:
            raise NotAllowed("只能为本人签发 API 令牌")
        if needs_two_factor(user):
            if two_factor_device(user) is None:
                raise InvalidInput(f"{user.display_name} 尚未设置两步验证，设置后才能签发 API 令牌")
            if not (code or "").strip():
                raise InvalidInput(f"签发 API 令牌须输入{user.display_name}手机验证器上的 6 位动态验证码", field="otp")
            two_factor_verified(actor=user, token=code, request=request)
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        record = ApiToken.objects.create(user=user, token_hash=secret_hash(token), label=label)
        where = "在服务器命令行" if actor is None else f"来自 {client_address(request)}" if request else ""
        ledger_append(actor=actor, action="token.create", obj=record,
                      reason=f"为 {username} 签发 API 令牌{f'“{label}”' if label else ''}，"
                             f"有效期至 {timezone.localtime(record.expires_at):%Y-%m-%d %H:%M}"
                             + (f"（{where}）" if where else ""))
    return token


def token_authenticate(token) -> User:
    """The user a bearer token signs in, or TokenRefused saying why not."""
    found = ApiToken.objects.select_related("user", "revocation").filter(token_hash=secret_hash(token)).first()
    if found is None:
        raise TokenRefused("API 令牌无效：请核对令牌是否完整，或重新签发")
    if found.revoked:
        raise TokenRefused(f"API 令牌已于 {timezone.localtime(found.revocation.created_at):%Y-%m-%d %H:%M} 吊销，"
                           "请重新签发")
    if found.expires_at <= timezone.now():
        raise TokenRefused(f"API 令牌已于 {timezone.localtime(found.expires_at):%Y-%m-%d %H:%M} 过期，"
                           "请在“API 令牌”页面或用 lawtrail token 重新签发")
    if not found.user.is_active:
        raise TokenRefused("该令牌所属账号已停用，令牌不能再使用")
    return found.user


def token_user(token):
    """`token_authenticate` for callers that only need yes or no: the user, or None."""
    try:
        return token_authenticate(token)
    except TokenRefused:
        return None


@transaction.atomic
def token_revoke(*, actor, token, reason=None) -> TokenRevocation:
    """End a token at once: its owner may, and the admin (with a reason) for anyone's."""
    token = ApiToken.objects.select_for_update().select_related("user").get(pk=token.pk)
    if actor is not None and actor.pk != token.user_id:
        if actor.role != Role.ADMIN:
            raise NotFound("令牌不存在或您无权查看")
        reason = required(reason, "吊销理由")
    if TokenRevocation.objects.filter(token=token).exists():
        raise Conflict("该令牌已经吊销")
    reason = (reason or "").strip() or "本人吊销"
    if len(reason) > TokenRevocation._meta.get_field("reason").max_length:
        raise InvalidInput("吊销理由不能超过 200 个字", field="吊销理由")
    revocation = TokenRevocation.objects.create(token=token, revoked_by=actor, reason=reason)
    label = f"“{token.label}”" if token.label else ""
    ledger_append(actor=actor, action="token.revoke", obj=revocation,
                  reason=f"吊销 {token.user.username} 的 API 令牌{label}：{revocation.reason}")
    return revocation


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
# Enrolment codes are read out or written down: no 0/O or 1/I to confuse. 12 of 32 letters
# are 60 bits, beyond guessing.
ENROLMENT_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
ENROLMENT_LENGTH = 12


def two_factor_device(user, *, confirmed=True):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    return TOTPDevice.objects.filter(user=user, confirmed=confirmed).order_by("-id").first()


def _enrolment_hash(code):
    return secret_hash("".join(ch for ch in (code or "").upper() if ch.isalnum()))


def _require_admin(actor, what):
    """`actor` None is the server's console, which holds the database anyway."""
    if actor is not None and actor.role != Role.ADMIN:
        raise NotAllowed(f"{what}须由系统管理员办理")


def _enrolments_void(actor, user):
    for enrolment in TwoFactorEnrolment.objects.select_for_update().filter(user=user,
                                                                          status=EnrolmentStatus.ISSUED):
        enrolment.status, enrolment.closed_at = EnrolmentStatus.VOID, timezone.now()
        enrolment.save(update_fields=["status", "closed_at"])
        ledger_append(actor=actor, action="user.2fa_code_void", obj=enrolment,
                      reason=f"作废 {user.username} 未使用的两步验证设置码")


@transaction.atomic
def two_factor_enrolment_issue(*, actor, user, reason=None) -> str:
    """A one-time code (两步验证设置码) the admin hands the user, who needs it to set up an
    authenticator; earlier unused codes become void. Returns the code; only its hash is kept."""
    _require_admin(actor, "签发两步验证设置码")
    if not user.is_active:
        raise InvalidInput(f"{user.display_name} 的账号已停用")
    if two_factor_device(user) is not None:
        raise Conflict(f"{user.display_name} 已设置两步验证；更换手机须先重置两步验证")
    _enrolments_void(actor, user)
    raw = "".join(secrets.choice(ENROLMENT_ALPHABET) for _ in range(ENROLMENT_LENGTH))
    code = "-".join(raw[i:i + 4] for i in range(0, ENROLMENT_LENGTH, 4))
    enrolment = TwoFactorEnrolment.objects.create(
        user=user, code_hash=_enrolment_hash(code), issued_by=actor,
        expires_at=timezone.now() + datetime.timedelta(days=settings.LAWTRAIL_ENROLMENT_DAYS))
    ledger_append(actor=actor, action="user.2fa_code", obj=enrolment,
                  reason=f"为 {user.username} 签发两步验证设置码，"
                         f"有效期至 {timezone.localtime(enrolment.expires_at):%Y-%m-%d %H:%M}"
                         + (f"：{reason}" if reason else ""))
    return code


def enrolment_problem(enrolment):
    """Why this enrolment code cannot be used now, or None."""
    if enrolment.status == EnrolmentStatus.USED:
        return "该设置码已经使用过，请向系统管理员索取新的设置码"
    if enrolment.status == EnrolmentStatus.VOID:
        return "该设置码已作废（已签发新的设置码，或两步验证已重置），请使用系统管理员最新给您的设置码"
    if enrolment.expires_at <= timezone.now():
        return (f"该设置码已于 {timezone.localtime(enrolment.expires_at):%Y-%m-%d %H:%M} 过期，"
                "请向系统管理员索取新的设置码")
    return None


def two_factor_enrolment_check(*, actor, code, request=None) -> TwoFactorEnrolment:
    """The user's enrolment code, if it may be used now; a wrong one is recorded."""
    enrolment = TwoFactorEnrolment.objects.filter(user=actor, code_hash=_enrolment_hash(code)).first()
    problem = "设置码不正确，请核对系统管理员给您的设置码" if enrolment is None else enrolment_problem(enrolment)
    if problem:
        _two_factor_recorded(actor, "user.2fa_code_failed", "两步验证设置码无效", request)
        raise InvalidInput(problem, field="code")
    return enrolment


@transaction.atomic
def two_factor_begin(*, actor, enrolment):
    """A fresh, unconfirmed authenticator key for the user to scan, once they have shown a
    valid enrolment code; replaces an earlier unconfirmed one. Nothing changes for sign-in
    until a code from it is confirmed."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    if enrolment.user_id != actor.pk or enrolment_problem(enrolment):
        raise InvalidInput("设置码无效，请重新输入系统管理员给您的设置码")
    _devices_delete(actor, TOTPDevice.objects.filter(user=actor, confirmed=False), "放弃未完成的验证器设置")
    device = TOTPDevice.objects.create(user=actor, name=TOTP_DEVICE_NAME, confirmed=False)
    ledger_append(actor=actor, action="user.2fa_device.create", obj=device,
                  reason=f"{actor.username} 开始设置验证器")
    return device


def _devices_delete(actor, devices, reason):
    for device in devices:
        ledger_append(actor=actor, action="user.2fa_device.delete", obj=device, reason=reason)
        device.delete()


@transaction.atomic
def _two_factor_recorded(actor, action, reason, request):
    ledger_append(actor=actor, action=action, obj=actor, reason=f"{reason}（来自 {client_address(request)}）")


# verify_token() keeps django-otp's throttling state (failures, last step used) in its own
# write; it runs outside our transactions so that a refused code still counts.

def _check_not_throttled(device):
    allowed, data = device.verify_is_allowed()
    if not allowed:
        raise InvalidInput("动态验证码错误次数过多，请稍候几秒再试", field="token")


def two_factor_confirm(*, actor, enrolment, device, token, request=None):
    """The first code proves the authenticator works; the device becomes the user's and the
    enrolment code is used up."""
    if device.user_id != actor.pk or device.confirmed or enrolment.user_id != actor.pk:
        raise InvalidInput("验证器无效，请重新开始设置")
    _check_not_throttled(device)
    if not device.verify_token((token or "").strip()):
        raise InvalidInput("动态验证码不正确，请核对手机上的时间和验证码后重试", field="token")
    with transaction.atomic():
        # Locked and checked again: a code is used once, and not after the admin voided it
        # or the set-up started over elsewhere (which replaces this device).
        enrolment = TwoFactorEnrolment.objects.select_for_update().get(pk=enrolment.pk)
        problem = enrolment_problem(enrolment)
        if problem is None and not type(device).objects.filter(pk=device.pk, confirmed=False).exists():
            problem = "设置已在别处重新开始，请重新输入设置码"
        if problem:
            raise InvalidInput(problem, field="code")
        enrolment.status, enrolment.closed_at = EnrolmentStatus.USED, timezone.now()
        enrolment.save(update_fields=["status", "closed_at"])
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        ledger_append(actor=actor, action="user.2fa_device.confirm", obj=device,
                      reason=f"{actor.username} 的验证器已确认")
        ledger_append(actor=actor, action="user.2fa_enrol", obj=enrolment,
                      reason=f"{actor.username} 启用两步验证（来自 {client_address(request)}）")
    return device


@transaction.atomic
def two_factor_reset(*, actor, user, reason):
    """Take away the user's authenticator (a lost or changed phone) and their unused codes:
    they then need a new enrolment code. The admin's, with a reason; never one's own, which
    would leave no verified admin to hand over the new code."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    _require_admin(actor, "重置两步验证")
    reason = required(reason, "重置理由")
    if actor is not None and actor.pk == user.pk:
        raise NotAllowed("不能重置本人的两步验证：请由另一位系统管理员办理，或在服务器上运行 lawtrail two-factor")
    devices = TOTPDevice.objects.filter(user=user)
    if not devices.exists() and not user.two_factor_enrolments.filter(status=EnrolmentStatus.ISSUED).exists():
        raise InvalidInput(f"{user.display_name} 尚未设置两步验证，无需重置；可直接签发设置码")
    _devices_delete(actor, devices, f"重置 {user.username} 的两步验证")
    _enrolments_void(actor, user)
    ledger_append(actor=actor, action="user.2fa_reset", obj=user, reason=f"重置 {user.username} 的两步验证：{reason}")


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


# --- proving who is present (signing on another's device) -----------------------------

def identity_confirmed(*, user, password="", otp="", request=None, name=None):
    """Prove that `user` is at the device someone else is signed in on (a second officer
    signing a 笔录 in the field): his own password, and for the roles that sign in with a
    second factor his dynamic code as well; an officer with an authenticator may give the
    code alone. Returns how: "password" or "totp". A wrong password counts toward the
    account's lockout like a failed sign-in, and is in the ledger like one."""
    from axes.handlers.proxy import AxesProxyHandler
    from django.contrib.auth import authenticate

    password, otp = (password or "").strip(), (otp or "").strip()
    name = name or user.display_name  # an officer is named as on his 执法证
    if not user.is_active:
        raise NotAllowed(f"{name}的账户已停用，不能签名")
    if needs_two_factor(user) and not (password and otp):
        raise InvalidInput(f"请{name}本人输入登录密码和手机验证器上的动态验证码", field="password")
    if not password and not otp:
        raise InvalidInput(f"请{name}本人输入登录密码（或动态验证码）确认身份", field="password")
    if password:
        credentials = {"username": user.username, "password": password}
        if authenticate(request, **credentials) is None:
            if AxesProxyHandler.is_locked(request, credentials):
                minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
                raise NotAllowed(f"{name}的账户因多次输错密码已被暂时锁定，请 {minutes} 分钟后再试")
            raise NotAllowed(f"{name}的密码不正确，请本人重新输入（多次输错将锁定账户）")
    if otp:
        two_factor_verified(actor=user, token=otp, request=request)
        return "totp"
    return "password"


def _certificate_reason(verb, agency, cert, reason):
    serial = format(cert.serial_number, "X")
    return f"{verb}{agency.name}电子印章证书（序列号 {serial}）" + (f"：{reason}" if reason else "")


@transaction.atomic
def seal_certificate_renew(*, actor, agency, reason=None):
    """Issue the agency a new trial sealing certificate (`lawtrail seal-keys renew`), with its
    ledger entry: who replaced the key that seals the agency's documents, and when."""
    from lawtrail.org import keys

    cert = keys.seal_certificate_issue(agency)
    ledger_append(actor=actor, action="seal.renew", obj=agency, reason=_certificate_reason("换发", agency, cert, reason))
    return cert


@transaction.atomic
def seal_certificate_withdraw(*, actor, agency, reason=None):
    """Revoke the agency's current trial sealing certificate; None when it has none."""
    from lawtrail.org import keys

    cert = keys.seal_certificate_revoke(agency)
    if cert is not None:
        ledger_append(actor=actor, action="seal.revoke", obj=agency,
                      reason=_certificate_reason("吊销", agency, cert, reason))
    return cert

