"""Signing in again without leaving the page: a form whose session expired while the officer
typed keeps its text, asks for the password in place and then saves (autosave.js). The same
rules as the sign-in page: wrong passwords count toward the account's lockout (django-axes)
and are in the ledger; heads, supervisors and admins give their dynamic code as well."""

from django.conf import settings
from django.contrib.auth import authenticate, login
from django.http import JsonResponse
from django.middleware.csrf import get_token
from django.views.decorators.http import require_POST
from django_otp import login as otp_login

from lawtrail.core.errors import LawTrailError
from lawtrail.org.enums import needs_two_factor
from lawtrail.org.services import two_factor_verified


def _refused(message, status):
    return JsonResponse({"error": message}, status=status)


@require_POST
def login_again(request):
    from axes.handlers.proxy import AxesProxyHandler

    username, password = request.POST.get("username", ""), request.POST.get("password", "")
    otp = request.POST.get("otp", "").strip()
    if not username or not password:
        return _refused("请输入登录密码", 422)
    credentials = {"username": username, "password": password}
    user = authenticate(request, **credentials)
    if user is None:
        if AxesProxyHandler.is_locked(request, credentials):
            minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
            return _refused(f"账户因多次输错密码已被暂时锁定，请 {minutes} 分钟后再试", 403)
        return _refused("密码不正确，请重新输入（多次输错将锁定账户）", 401)
    device = None
    if needs_two_factor(user):
        if not otp:  # asked before trying the code, so that an empty one does not count as wrong
            return _refused("请同时输入手机验证器上的动态验证码", 422)
        try:
            device = two_factor_verified(actor=user, token=otp, request=request)
        except LawTrailError as exc:
            return _refused(exc.message, exc.status)
    login(request, user)
    if device is not None:
        otp_login(request, device)
    # Signing in gives the session a new CSRF token: the page's forms need it for their next POST.
    return JsonResponse({"ok": True, "csrf": get_token(request)})
