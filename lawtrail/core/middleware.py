"""Requests the views never see as such: text no database can store, and a full disk.

Refuse text that no database can store before it reaches a view.

PostgreSQL cannot hold a NUL character in text or JSON, so a request carrying one (in the
query string, a form field or a JSON body) would fail deep inside a write. Nor can any
database hold half of a UTF-16 surrogate pair, which JSON can write as an escape
("\\ud800") where a form cannot (its bytes would not be UTF-8, and Django reads them as
U+FFFD). Both are refused up front with a clear message instead. Binary bodies (tus
chunks, file uploads) are not text and pass untouched."""

import json
import logging
import re

from django.http import HttpResponse, JsonResponse

from lawtrail.core.errors import DISK_FULL, is_disk_full
from lawtrail.core.text import has_surrogate

logger = logging.getLogger(__name__)

MESSAGE = "请求中含有不允许的空字符（NUL），请检查输入内容"
SURROGATE_MESSAGE = "请求中含有无效的 Unicode 字符（不成对的代理码位，如 \\ud800），请检查输入内容"
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


def _media_type(request):
    return request.META.get("CONTENT_TYPE", "").split(";")[0].strip()


def _has_nul(request):
    if "\x00" in request.META.get("QUERY_STRING", "") or "%00" in request.META.get("QUERY_STRING", ""):
        return True
    content_type = _media_type(request)
    if content_type == "application/json":
        return b"\x00" in request.body or b"\\u0000" in request.body
    if content_type == "application/x-www-form-urlencoded":
        return b"\x00" in request.body or b"%00" in request.body
    if content_type == "multipart/form-data":
        return any("\x00" in value for values in request.POST.lists() for value in values[1])
    return False


def _has_lone_surrogate(request):
    if _media_type(request) != "application/json":
        return False
    if not _SURROGATE_ESCAPE.search(request.body):  # (the common case: no JSON decoded here)
        return False
    try:
        data = json.loads(request.body)
    except ValueError:
        return False  # not JSON at all: the view says so
    return _holds_lone_surrogate(data)


def _holds_lone_surrogate(value):
    """json.loads joins a pair into one character; half of one stays a surrogate."""
    if isinstance(value, str):
        return has_surrogate(value)
    if isinstance(value, dict):
        return any(_holds_lone_surrogate(key) or _holds_lone_surrogate(item) for key, item in value.items())
    if isinstance(value, list):
        return any(_holds_lone_surrogate(item) for item in value)
    return False


class RejectNulMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        status = 422 if request.path.startswith("/api/") else 400
        if _has_nul(request):
            return _plain_or_json(request, MESSAGE, status)
        if _has_lone_surrogate(request):
            return _plain_or_json(request, SURROGATE_MESSAGE, status)
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
