"""The blob store interface, on whichever store the run is configured with (local disk by
default, SeaweedFS's S3 with LAWTRAIL_TEST_STORAGE=seaweedfs)."""

import hashlib
import os

import pytest
from django.core.exceptions import ImproperlyConfigured

from lawtrail.blobs import _store, blob_store


def test_put_is_content_addressed_and_written_once(db):
    store = blob_store()
    content = os.urandom(3 * 2**20 + 17)
    sha256, size, created = store.put(content)
    assert sha256 == hashlib.sha256(content).hexdigest() and size == len(content) and created
    assert store.put(content) == (sha256, size, False)  # the same bytes: nothing written again
    assert store.exists(sha256) and store.size(sha256) == size
    with store.open(sha256) as f:
        assert f.read() == content
    assert b"".join(store.iter_range(sha256, 1000, 5000)) == content[1000:6000]
    assert b"".join(store.iter_range(sha256, len(content) - 10, 10)) == content[-10:]


def test_adopt_takes_over_a_file_hashed_while_it_arrived(db, tmp_path):
    store = blob_store()
    content = os.urandom(100_000)
    path = tmp_path / "upload.part"
    path.write_bytes(content)
    sha256 = hashlib.sha256(content).hexdigest()
    assert store.adopt(path, sha256) == (len(content), True) and not path.exists()
    path.write_bytes(content)
    assert store.adopt(path, sha256) == (len(content), False) and not path.exists()
    with store.open(sha256) as f:
        assert f.read() == content


def test_a_missing_blob_is_said_to_be_missing(db):
    store = blob_store()
    assert not store.exists("0" * 64)
    with pytest.raises(FileNotFoundError):
        store.size("0" * 64)


@pytest.mark.parametrize("url, message", [
    ("ftp://host/x", "use file://DIRECTORY or s3://BUCKET"),
    ("s3:///no-bucket", "the bucket is missing"),
])
def test_a_wrong_storage_url_is_refused_with_what_to_write(url, message):
    with pytest.raises(ImproperlyConfigured, match=message):
        _store(url)
