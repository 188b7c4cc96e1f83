"""The SHA-256 whose state survives a change of worker process."""

import hashlib
import os

import pytest

from lawtrail.media import hashstate

pytestmark = pytest.mark.skipif(not hashstate.AVAILABLE, reason="OpenSSL's SHA256_* functions are not at hand")


@pytest.mark.parametrize("cut", [0, 1, 63, 64, 65, 1000, 4095])
def test_a_saved_state_taken_up_elsewhere_gives_hashlibs_digest(cut):
    data = os.urandom(4096 + 77)
    first = hashstate.sha256()
    first.update(data[:cut])
    state = first.state()
    resumed = hashstate.resume(state, cut)
    assert resumed is not None and resumed.length == cut
    resumed.update(memoryview(data)[cut:])
    assert resumed.hexdigest() == hashlib.sha256(data).hexdigest()
    assert first.hexdigest() == hashlib.sha256(data[:cut]).hexdigest()  # digest() leaves the state as it was
    first.update(data[cut:])
    assert first.digest() == hashlib.sha256(data).digest()


def test_copies_go_their_own_ways():
    one = hashstate.sha256()
    one.update(b"abc")
    two = one.copy()
    two.update(b"def")
    assert one.hexdigest() == hashlib.sha256(b"abc").hexdigest()
    assert two.hexdigest() == hashlib.sha256(b"abcdef").hexdigest()


def test_a_state_for_another_length_or_no_state_at_all_is_not_taken_up():
    digest = hashstate.sha256()
    digest.update(b"x" * 100)
    assert hashstate.resume(digest.state(), 99) is None
    assert hashstate.resume(None, 0) is None and hashstate.resume(b"", 0) is None
    assert hashstate.resume(b"\0" * 7, 0) is None  # wrong size
    assert hashstate.resume(b"\0" * hashstate.STATE_SIZE, 0) is None  # not a SHA-256 state (md_len 0)


def test_without_openssls_functions_hashlib_is_used_and_nothing_is_saved(monkeypatch):
    monkeypatch.setattr(hashstate, "AVAILABLE", False)
    digest = hashstate.sha256()
    assert isinstance(digest, type(hashlib.sha256())) and hashstate.state_of(digest) is None
    assert hashstate.resume(b"\0" * hashstate.STATE_SIZE, 0) is None


def test_a_receive_buffer_is_hashed_where_it_lies_and_any_buffer_gives_hashlibs_digest():
    import mmap
    import tracemalloc

    block = mmap.mmap(-1, 16 * 2**20)  # as the upload's receive buffers
    block.write(os.urandom(16 * 2**20))
    view = memoryview(block)[:16 * 2**20 - 5]
    tracemalloc.start()
    try:
        digest = hashstate.sha256()
        digest.update(view)
        assert tracemalloc.get_traced_memory()[1] < 2**20  # no copy of the 16 MiB
    finally:
        tracemalloc.stop()
    expected = hashlib.sha256(view)
    for other in (bytearray(b"abc"), memoryview(b"read-only"), view[::3], memoryview(bytearray(0))):
        digest.update(other)
        expected.update(bytes(other))
    assert digest.hexdigest() == expected.hexdigest()
    view.release()
    block.close()  # nothing of the hash still holds the buffer
