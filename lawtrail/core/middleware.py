"""Refuse text that no database can store before it reaches a view.

PostgreSQL cannot hold a NUL character in text or JSON, so a request carrying one (in the
query string, a form field or a JSON body) would fail deep inside a write. It is refused
up front with a clear message instead. Binary bodies (tus chunks, file uploads) are not
text and pass untouched."""

from django.http import HttpResponse, JsonResponse

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
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": MESSAGE}, status=422, json_dumps_params={"ensure_ascii": False})
            return HttpResponse(MESSAGE, status=400, content_type="text/plain; charset=utf-8")
        return self.get_response(request)
