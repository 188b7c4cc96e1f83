"""Requests the views never see as such: text with NUL characters, and a full disk.

Refuse text that no database can store before it reaches a view.

PostgreSQL cannot hold a NUL character in text or JSON, so a request carrying one (in the
query string, a form field or a JSON body) would fail deep inside a write. It is refused
up front with a clear message instead. Binary bodies (tus chunks, file uploads) are not
text and pass untouched."""

import logging

from django.http import HttpResponse, JsonResponse

from lawtrail.core.errors import DISK_FULL, is_disk_full

logger = logging.getLogger(__name__)

MESSAGE = "请求中含有不允许的空字符（NUL），请检查输入内容"


def _has_nul(request):
    if "\x00" in request.META.get("QUERY_STRING", "") or "%00" in request.META.get("QUERY_STRING", ""):
        return True
    content_type = request.META.get("CONTENT_TYPE", "").split(";")[0].strip()
    if content_type == "application/json":
        return b"\x00" in request.body or b"\\u0000" in request.body
    if content_type == "application/x-www-form-urlencoded":
        return b"\x00" in request.body or b"%00" in request.body
    if content_type == "multipart/form-data":
        return any("\x00" in value for values in request.POST.lists() for value in values[1])
    return False


class RejectNulMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if _has_nul(request):
            return _plain_or_json(request, MESSAGE, 422 if request.path.startswith("/api/") else 400)
        return self.get_response(request)


def _plain_or_json(request, message, status):
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": message}, status=status, json_dumps_params={"ensure_ascii": False})
    return HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")


class DiskFullMiddleware:
    """A write that fails because the disk is full becomes a clear 507 for the user (the
    transaction was rolled back, so nothing half-written remains) and an error in the log
    for the administrators, instead of a server error page."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not is_disk_full(exception):
            return None
        logger.error("disk full while serving %s %s: %s", request.method, request.path, exception)
        return _plain_or_json(request, DISK_FULL, 507)
