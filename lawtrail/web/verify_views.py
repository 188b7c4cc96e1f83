"""扫码验真: the public page that tells whoever holds a printed or e-mailed 执法文书 whether it
is one the system keeps. No sign-in; it shows no more than the paper does (for a
confidential case, only that the document exists), and every lookup is in the access log."""

from django.conf import settings
from django.shortcuts import redirect, render
from django.views.decorators.http import require_safe

from lawtrail.access.selectors import kept_from_public
from lawtrail.core.ratelimit import over_limit
from lawtrail.ledger.access_log import access_logged, client_address
from lawtrail.records.selectors import corrected_by, genuine_pdfs, record_by_verify_code, verify_code_normal

TOO_MANY = "查询过于频繁：同一网络地址每 {minutes} 分钟最多查询 {limit} 次，请稍后再试。"
TOO_MANY_STATUS = 429


def _page(request, status=200, **context):
    return render(request, "web/verify.html", {"public": True, **context}, status=status)


@require_safe
def verify_form(request):
    """Where a code is typed in (the paper's address without its code leads here too)."""
    code = verify_code_normal(request.GET.get("code"))
    if code:
        return redirect("web:verify", code=code)
    return _page(request)


@require_safe
def verify(request, code):
    if over_limit("verify", client_address(request), limit=settings.LAWTRAIL_VERIFY_LOOKUPS,
                  seconds=settings.LAWTRAIL_VERIFY_WINDOW):
        minutes = max(1, settings.LAWTRAIL_VERIFY_WINDOW // 60)
        return _page(request, TOO_MANY_STATUS,
                     message=TOO_MANY.format(minutes=minutes, limit=settings.LAWTRAIL_VERIFY_LOOKUPS))
    actor = request.user if request.user.is_authenticated else None
    code = verify_code_normal(code)
    record = record_by_verify_code(code)
    if record is None:
        access_logged(actor=actor, action="record.verify", obj=None, scope="", request=request,
                      what=f"扫码验真：验真码 {code or '（无效）'} 不存在")
        return _page(request, 404, unknown=code)
    access_logged(actor=actor, action="record.verify", obj=record, scope=record.case.scope, request=request,
                  what=f"扫码验真：查询《{record.title}》{record.number}（验真码 {code}）")
    pdfs = genuine_pdfs(record)
    return _page(request, record=record, restricted=kept_from_public(record), pdfs=pdfs, correction=corrected_by(record),
                 labels=[label for label, _ in pdfs], code="-".join(code[i:i + 4] for i in range(0, len(code), 4)))
