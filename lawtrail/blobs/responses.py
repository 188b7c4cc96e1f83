"""Every file the system hands out over HTTP: stored blobs whole, or by byte range so that a
player can seek in a multi-gigabyte recording without fetching it all; bytes made for the
request (a watermarked copy); a local file built for the download (a package). The file is
named the same way everywhere, so that Chinese names survive every browser."""

import re
from urllib.parse import quote

from django.http import FileResponse, HttpResponse, StreamingHttpResponse

from lawtrail.blobs import blob_store

RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def content_disposition(filename, kind="attachment"):
    """RFC 6266's UTF-8 form of the file name."""
    return f"{kind}; filename*=UTF-8''{quote(filename)}"


def blob_download(sha256, filename, content_type):
    """A streamed download of a stored blob, naming its SHA-256 so the receiver can check it."""
    store = blob_store()
    size = store.size(sha256)
    response = StreamingHttpResponse(store.iter_range(sha256, 0, size), content_type=content_type)
    response["Content-Length"] = str(size)
    response["Content-Disposition"] = content_disposition(filename)
    response["X-Content-SHA256"] = sha256
    return response


def bytes_download(content, filename, content_type):
    """A download of bytes made for this request."""
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition(filename)
    return response


def file_download(handle, filename, content_type):
    """A download of an open local file (which may already be gone from its folder: the
    handle keeps it readable while it streams)."""
    return FileResponse(handle, as_attachment=True, filename=filename, content_type=content_type)


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
        response["Content-Disposition"] = content_disposition(filename, "inline")
    return response


def _unsatisfiable(size):
    response = HttpResponse("请求的字节范围无效", status=416, content_type="text/plain; charset=utf-8")
    response["Content-Range"] = f"bytes */{size}"
    return response
