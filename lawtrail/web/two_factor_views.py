"""两步验证: heads, supervisors and admins set up an authenticator app once (scan the QR
code, confirm one code) and enter a code at every sign-in."""

import base64
import io

import segno
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django_otp import login as otp_login

from lawtrail.core.errors import LawTrailError
from lawtrail.org.services import two_factor_begin, two_factor_confirm, two_factor_device, two_factor_verified


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
    if two_factor_device(request.user) is not None:
        return redirect(f"{reverse('web:two_factor')}?next={_next(request)}")
    error = ""
    device = two_factor_device(request.user, confirmed=False)
    if request.method == "POST" and device is not None:
        try:
            two_factor_confirm(actor=request.user, device=device, token=request.POST.get("token"), request=request)
        except LawTrailError as exc:
            error = exc.message
        else:
            otp_login(request, device)
            return redirect(_next(request))
    if device is None:
        device = two_factor_begin(actor=request.user)
    qr = io.BytesIO()
    segno.make(device.config_url, error="m").save(qr, kind="svg", scale=4, xmldecl=False, svgns=True)
    secret = base64.b32encode(device.bin_key).decode()
    return render(request, "web/two_factor_setup.html", {
        "qr": qr.getvalue().decode(), "secret": " ".join(secret[i:i + 4] for i in range(0, len(secret), 4)),
        "next": _next(request), "error": error,
    }, status=422 if error else 200)
