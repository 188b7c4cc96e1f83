"""两步验证: heads, supervisors and admins set up an authenticator app once (enter the
enrolment code the admin handed over, scan the QR code, confirm one code) and enter a code
at every sign-in. The admin issues enrolment codes and resets a lost authenticator."""

import base64
import io

import segno
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST
from django_otp import login as otp_login

from lawtrail.core.errors import LawTrailError
from lawtrail.org import selectors
from lawtrail.org.enums import Role
from lawtrail.org.services import (
    two_factor_begin, two_factor_confirm, two_factor_device, two_factor_enrolment_check, two_factor_enrolment_issue,
    two_factor_reset, two_factor_verified,
)
from lawtrail.web.decorators import attempt, not_found_as_404

# The enrolment code this session has shown (its id; the code itself is not kept).
ENROLMENT_SESSION_KEY = "lawtrail_2fa_enrolment"


def _next(request):
    target = request.POST.get("next") or request.GET.get("next") or "/"
    return target if url_has_allowed_host_and_scheme(target, {request.get_host()}) else "/"


@login_required
def two_factor(request):
    """Enter the code, or set up the authenticator first if there is none yet."""
    if two_factor_device(request.user) is None:
        return redirect(f"{reverse('web:two_factor_setup')}?next={_next(request)}")
    error = ""
    if request.method == "POST":
        try:
            device = two_factor_verified(actor=request.user, token=request.POST.get("token"), request=request)
        except LawTrailError as exc:
            error = exc.message
        else:
            otp_login(request, device)
            return redirect(_next(request))
    return render(request, "web/two_factor.html", {"next": _next(request), "error": error}, status=422 if error else 200)


@login_required
def two_factor_setup(request):
    """First the enrolment code from the admin, then the QR code and a first code from the
    app. The key is shown only to a session that gave a valid enrolment code, so a password
    alone never enrols a device."""
    user = request.user
    if two_factor_device(user) is not None:
        return redirect(f"{reverse('web:two_factor')}?next={_next(request)}")
    error = ""
    enrolment = selectors.valid_enrolment(user, request.session.get(ENROLMENT_SESSION_KEY))
    device = two_factor_device(user, confirmed=False) if enrolment else None
    if request.method == "POST":
        try:
            if "code" in request.POST or enrolment is None or device is None:
                enrolment = two_factor_enrolment_check(actor=user, code=request.POST.get("code"), request=request)
                device = two_factor_begin(actor=user, enrolment=enrolment)
                request.session[ENROLMENT_SESSION_KEY] = enrolment.pk
            else:
                two_factor_confirm(actor=user, enrolment=enrolment, device=device, token=request.POST.get("token"),
                                   request=request)
                request.session.pop(ENROLMENT_SESSION_KEY, None)
                otp_login(request, device)
                return redirect(_next(request))
        except LawTrailError as exc:
            error = exc.message
            if exc.field == "code":
                enrolment = device = None
    status = 422 if error else 200
    if enrolment is None or device is None:
        return render(request, "web/two_factor_setup.html", {"next": _next(request), "error": error}, status=status)
    qr = io.BytesIO()
    segno.make(device.config_url, error="m").save(qr, kind="svg", scale=4, xmldecl=False, svgns=True)
    secret = base64.b32encode(device.bin_key).decode()
    return render(request, "web/two_factor_setup.html", {
        "qr": qr.getvalue().decode(), "secret": " ".join(secret[i:i + 4] for i in range(0, len(secret), 4)),
        "next": _next(request), "error": error,
    }, status=status)


def _admin_only(request):
    if request.user.role != Role.ADMIN:
        return render(request, "web/forbidden.html", {"message": "两步验证的设置码和重置由系统管理员办理"}, status=403)
    return None


@login_required
def two_factor_accounts(request, issued=None):
    """The admin's page: who signs in with a second factor, who has set it up, and the
    buttons to issue an enrolment code or reset. An issued code is shown once, here."""
    refused = _admin_only(request)
    if refused:
        return refused
    q = request.GET.get("q", "")
    return render(request, "web/two_factor_accounts.html", {
        "accounts": selectors.two_factor_accounts(q)[:200], "q": q, "issued": issued,
    })


@login_required
@require_POST
@not_found_as_404
def two_factor_code_issue_view(request, user_id):
    refused = _admin_only(request)
    if refused:
        return refused
    account = selectors.account_for(request.user, user_id)
    code = attempt(request, lambda: two_factor_enrolment_issue(actor=request.user, user=account,
                                                                reason=request.POST.get("reason", "")))
    if code is None:
        return redirect("web:two_factor_accounts")
    return two_factor_accounts(request, issued={"account": account, "code": code})


@login_required
@require_POST
@not_found_as_404
def two_factor_reset_view(request, user_id):
    refused = _admin_only(request)
    if refused:
        return refused
    account = selectors.account_for(request.user, user_id)
    attempt(request, lambda: two_factor_reset(actor=request.user, user=account, reason=request.POST.get("reason", "")),
            f"已重置 {account.display_name} 的两步验证；请签发新的设置码交给本人")
    return redirect("web:two_factor_accounts")
