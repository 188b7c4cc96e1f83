"""Sessions: heads, supervisors and admins reach nothing but the second-factor pages until
their sign-in is verified with a TOTP code (django-otp's middleware marks a verified
session), and a signed-in session ends after SESSION_COOKIE_AGE without a request."""

import time

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse

from lawtrail.org.enums import needs_two_factor

# /verify/ is the public 扫码验真 page: open to anyone, signed in or not.
OPEN_PREFIXES = ("/login/", "/logout/", "/2fa/", "/static/", "/verify/")


class RequireTwoFactorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if needs_two_factor(user) and not user.is_verified() and not request.path.startswith(OPEN_PREFIXES):
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": "须先完成两步验证（动态验证码）"}, status=401)
            return redirect(f"{reverse('web:two_factor')}?next={request.get_full_path()}")
        return self.get_response(request)


RENEWED_KEY = "_renewed"


class SessionRenewalMiddleware:
    """The idle timeout without a database write on every request: a signed-in session is
    saved again (which moves its expiry SESSION_COOKIE_AGE ahead) when its last renewal is
    older than LAWTRAIL_SESSION_RENEW_SECONDS. Sessions nobody is signed in to (a visitor at
    the sign-in page, a stale cookie) are left alone, so that none is created for them."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session = request.session
        if session.get(SESSION_KEY) is not None:
            now = int(time.time())
            if now - session.get(RENEWED_KEY, 0) >= settings.LAWTRAIL_SESSION_RENEW_SECONDS:
                session[RENEWED_KEY] = now
        return self.get_response(request)
