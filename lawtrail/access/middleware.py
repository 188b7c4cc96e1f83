"""Heads, supervisors and admins reach nothing but the second-factor pages until their
sign-in is verified with a TOTP code (django-otp's middleware marks a verified session)."""

from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse

from lawtrail.access.policy import needs_two_factor

OPEN_PREFIXES = ("/login/", "/logout/", "/2fa/", "/static/")


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
