"""Serving stored blobs as downloads."""

from urllib.parse import quote

from django.http import FileResponse

from lawtrail.media.storage import blob_store


def blob_download(sha256, filename, content_type):
    """A streamed download of a stored blob, naming its SHA-256 so the receiver can check it."""
    response = FileResponse(blob_store().open(sha256), content_type=content_type)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    response["X-Content-SHA256"] = sha256
    return response
