"""The blob store: every stored file (recordings, attachments, PDFs, packages) under its
SHA-256, written once, on the local disk or an S3-compatible store (`LAWTRAIL_STORAGE`).

`base` is the interface, `local` and `s3` its backends, `direct` the local-file I/O that
keeps large files out of the page cache, `responses` the one place files go out over HTTP.
"""

from functools import cache
from pathlib import Path
from urllib.parse import urlparse

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from lawtrail.blobs.local import LocalBlobStore
from lawtrail.blobs.s3 import S3BlobStore


@cache
def _store(url):
    parsed = urlparse(url)
    if parsed.scheme == "file":
        return LocalBlobStore(parsed.path)
    if parsed.scheme == "s3":
        if not parsed.netloc:
            raise ImproperlyConfigured(f"LAWTRAIL_STORAGE={url}: the bucket is missing (s3://bucket/prefix)")
        return S3BlobStore(parsed.netloc, parsed.path, Path(settings.LAWTRAIL_HOME) / "spool")
    raise ImproperlyConfigured(f"LAWTRAIL_STORAGE={url}: use file://DIRECTORY or s3://BUCKET[/PREFIX]")


def blob_store():
    return _store(settings.LAWTRAIL_STORAGE)
