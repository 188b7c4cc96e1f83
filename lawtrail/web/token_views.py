"""API 令牌: a user makes, lists and revokes their own API tokens (the admin sees and
revokes everyone's). A new token is shown once, on the page that made it."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from lawtrail.org.enums import needs_two_factor
from lawtrail.core.errors import LawTrailError
from lawtrail.org import selectors, services
from lawtrail.org.models import secret_hash
from lawtrail.web.decorators import not_found_as_404


@login_required
def tokens(request):
    context = {"needs_code": needs_two_factor(request.user), "days": settings.LAWTRAIL_TOKEN_DAYS, "error": ""}
    if request.method == "POST":
        try:
            token = services.token_create(actor=request.user, username=request.user.username,
                                          label=request.POST.get("label", ""), code=request.POST.get("otp"),
                                          request=request)
        except LawTrailError as exc:
            context["error"] = exc.message
        else:
            context["new_token"] = token
            context["new_expires"] = selectors.tokens_for(request.user).get(token_hash=secret_hash(token)).expires_at
    context["tokens"] = selectors.tokens_for(request.user)[:200]
    return render(request, "web/tokens.html", context, status=422 if context["error"] else 200)


@login_required
@require_POST
@not_found_as_404
def token_revoke_view(request, token_id):
    token = selectors.token_for(request.user, token_id)
    try:
        services.token_revoke(actor=request.user, token=token, reason=request.POST.get("reason", ""))
    except LawTrailError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"已吊销 {token.user.username} 的令牌{f'“{token.label}”' if token.label else ''}")
    return redirect("web:tokens")
