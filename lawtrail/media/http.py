"""Serving stored blobs: whole downloads, and byte ranges so that a player can seek in a
multi-gigabyte recording without fetching it all."""

import re
from urllib.parse import quote

from django.http import HttpResponse, StreamingHttpResponse

from lawtrail.media.storage import blob_store

RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def blob_download(sha256, filename, content_type):
    """A streamed download of a stored blob, naming its SHA-256 so the receiver can check it."""
    store = blob_store()
    size = store.size(sha256)
    response = StreamingHttpResponse(store.iter_range(sha256, 0, size), content_type=content_type)
    response["Content-Length"] = str(size)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    response["X-Content-SHA256"] = sha256
    return response


def ranged_blob(request, sha256, content_type, filename=None):
    """A blob answering HTTP Range requests (RFC 9110 §14): 206 with the asked bytes, 416
    for a range outside the file, the whole file (200) when no range is asked."""
    store = blob_store()
    size = store.size(sha256)
    header = request.headers.get("Range", "").strip()
    start, end = 0, size - 1
    status = 200
    if header:
        match = RANGE.match(header)
        if match is None or match.groups() == ("", ""):
            return _unsatisfiable(size)
        first, last = match.groups()
        if first == "":  # the last N bytes
            start = max(size - int(last), 0)
        else:
            start = int(first)
            end = min(int(last), size - 1) if last else size - 1
        if start >= size or start > end:
            return _unsatisfiable(size)
        status = 206
    length = end - start + 1
    response = StreamingHttpResponse(store.iter_range(sha256, start, length), status=status,
                                     content_type=content_type)
    response["Content-Length"] = str(length)
    response["Accept-Ranges"] = "bytes"
    response["X-Content-SHA256"] = sha256
    response["Cache-Control"] = "private, no-store"
    if status == 206:
        response["Content-Range"] = f"bytes {start}-{end}/{size}"
    if filename:
        response["Content-Disposition"] = f"inline; filename*=UTF-8''{quote(filename)}"
    return response


def _unsatisfiable(size):
    response = HttpResponse("请求的字节范围无效", status=416, content_type="text/plain; charset=utf-8")
    response["Content-Range"] = f"bytes */{size}"
    return response
