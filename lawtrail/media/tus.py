"""The tus 1.0.0 resumable upload protocol at /api/uploads/, with the creation,
creation-with-upload, checksum (sha1, sha256), termination and expiration extensions,
so that standard clients (tuspy, tus-js-client) work unchanged.

`Upload-Metadata` carries `filename`, `case_no`, `officer_cert` and optionally
`activity`, `recorded_at`, `returned_at` (ISO 8601), `device_no`, `method`, `proves`.
Authentication is the web session (with its CSRF token) or `Authorization: Bearer TOKEN`.
Errors answer with the tus status and a Chinese message in the body.
"""

import base64
import binascii
import json

from django.http import HttpResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.urls import reverse
from django.utils.http import http_date
from django.views.decorators.csrf import csrf_exempt

from lawtrail.core.errors import InvalidInput, LawTrailError
from lawtrail.core.text import number_or_none
from lawtrail.media import services
from lawtrail.media.uploads import max_upload_bytes
from lawtrail.org.services import token_user

VERSION = "1.0.0"
EXTENSIONS = "creation,creation-with-upload,checksum,termination,expiration"
OFFSET_TYPE = "application/offset+octet-stream"
# Browsers may only read the tus headers of a response when they are exposed.
EXPOSED = ("Upload-Offset, Upload-Length, Upload-Metadata, Upload-Expires, Location, Tus-Resumable, Tus-Version, "
           "Tus-Extension, Tus-Max-Size, Tus-Checksum-Algorithm, X-Recording-Id, X-Content-SHA256")


def _response(status=204, body=None, **headers):
    response = HttpResponse(status=status)
    if body is not None:
        response.content = json.dumps(body, ensure_ascii=False).encode()
        response["Content-Type"] = "application/json; charset=utf-8"
    response["Tus-Resumable"] = VERSION
    response["Cache-Control"] = "no-store"
    response["Access-Control-Expose-Headers"] = EXPOSED
    for name, value in headers.items():
        response[name.replace("_", "-")] = str(value)
    return response


def _error(status, message):
    return _response(status, {"detail": message})


def request_user(request):
    """The authenticated user, or None. A session user must also pass the CSRF check."""
    auth = request.headers.get("Authorization", "")
    if auth.startswith("Bearer "):
        return token_user(auth[7:].strip())
    if request.user.is_authenticated:
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            check = CsrfViewMiddleware(lambda r: None)
            check.process_request(request)
            if check.process_view(request, None, (), {}) is not None:
                return None
        return request.user
    return None


def parse_metadata(header):
    """`key base64value,key2 base64value2` → dict; values are UTF-8 text."""
    metadata = {}
    for pair in filter(None, (p.strip() for p in (header or "").split(","))):
        key, _, value = pair.partition(" ")
        try:
            metadata[key] = base64.b64decode(value, validate=True).decode("utf-8") if value else ""
        except (binascii.Error, UnicodeDecodeError):
            raise InvalidInput(f"Upload-Metadata 中 {key} 的值不是有效的 base64 UTF-8 文本")
    return metadata


def _encode_metadata(metadata):
    return ",".join(f"{k} {base64.b64encode(str(v).encode()).decode()}" for k, v in metadata.items() if v)


def _int_header(request, name):
    value = request.headers.get(name)
    if value is None:
        return None
    number = number_or_none(value)
    if number is None:
        raise InvalidInput(f"{name} 须为非负整数")
    return number


def _checksum(request):
    header = request.headers.get("Upload-Checksum")
    if not header:
        return None
    algorithm, _, value = header.strip().partition(" ")
    try:
        return algorithm.lower(), base64.b64decode(value, validate=True)
    except binascii.Error:
        raise InvalidInput("Upload-Checksum 的校验值不是有效的 base64")


def _chunked(request):
    """A chunked body has no Content-Length, and Django's request then reads nothing of it
    (gunicorn decodes the chunks, other servers pass them raw): refused with 411 rather than
    acknowledged with its bytes dropped or stored with the chunk framing. tus-js-client and
    tuspy always send a length."""
    return "chunked" in request.headers.get("Transfer-Encoding", "").lower()


def _completed_headers(upload):
    if upload.recording is None:
        return {}
    return {"X_Recording_Id": upload.recording.pk, "X_Content_SHA256": upload.recording.sha256}


@csrf_exempt
def uploads(request, upload_id=None):
    if request.method == "OPTIONS":
        return _response(204, Tus_Version=VERSION, Tus_Extension=EXTENSIONS,
                         Tus_Max_Size=max_upload_bytes(), Tus_Checksum_Algorithm="sha1,sha256",
                         Access_Control_Allow_Methods="POST, HEAD, PATCH, DELETE, OPTIONS")
    if request.headers.get("Tus-Resumable") != VERSION:
        return _response(412, {"detail": "仅支持 tus 1.0.0（请求须带 Tus-Resumable: 1.0.0）"}, Tus_Version=VERSION)
    user = request_user(request)
    if user is None:
        return _error(401, "未登录或令牌无效")
    if request.method in ("POST", "PATCH") and _chunked(request):
        return _error(411, "不接受分块传输（Transfer-Encoding: chunked）的上传数据：请在请求中注明 "
                           "Content-Length（本次发送的字节数）后重新发送；此前已收到的数据完好无损")
    try:
        if upload_id is None:
            if request.method != "POST":
                return _error(405, "不支持的请求方法")
            return _create(request, user)
        if request.method == "HEAD":
            upload = services.upload_for(user, upload_id)
            return _response(200, Upload_Offset=upload.offset, Upload_Length=upload.length,
                             Upload_Metadata=_encode_metadata(upload.metadata),
                             Upload_Expires=http_date(upload.expires_at.timestamp()), **_completed_headers(upload))
        if request.method == "PATCH":
            return _patch(request, user, upload_id)
        if request.method == "DELETE":
            services.upload_terminate(actor=user, upload_id=upload_id)
            return _response(204)
        return _error(405, "不支持的请求方法")
    except LawTrailError as exc:
        return _error(exc.status, exc.message)


def _create(request, user):
    if request.headers.get("Upload-Defer-Length"):
        return _error(400, "请在创建上传时注明文件大小（不支持 Upload-Defer-Length）")
    upload = services.upload_create(actor=user, length=_int_header(request, "Upload-Length"),
                                    metadata=parse_metadata(request.headers.get("Upload-Metadata")))
    location = request.build_absolute_uri(reverse("tus_upload", args=[upload.id]))
    headers = {"Location": location, "Upload_Expires": http_date(upload.expires_at.timestamp())}
    if request.headers.get("Content-Type") == OFFSET_TYPE and _int_header(request, "Content-Length"):
        upload = _append(request, user, upload.id, 0)
        headers.update(Upload_Offset=upload.offset, **_completed_headers(upload))
    return _response(201, **headers)


def _patch(request, user, upload_id):
    if request.headers.get("Content-Type") != OFFSET_TYPE:
        return _error(415, f"Content-Type 须为 {OFFSET_TYPE}")
    offset = _int_header(request, "Upload-Offset")
    if offset is None:
        return _error(400, "请求须带 Upload-Offset")
    upload = _append(request, user, upload_id, offset)
    return _response(204, Upload_Offset=upload.offset, Upload_Expires=http_date(upload.expires_at.timestamp()),
                     **_completed_headers(upload))


def _append(request, user, upload_id, offset):
    return services.upload_append(actor=user, upload_id=upload_id, offset=offset, stream=request,
                                  length=_int_header(request, "Content-Length"), checksum=_checksum(request))
