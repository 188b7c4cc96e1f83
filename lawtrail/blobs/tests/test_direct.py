"""Copying a stored file into an evidence package: written with O_DIRECT from a mapping of
the source, byte for byte whatever the size, with the ordinary way as the fallback; an
upload's aligned blocks written the same way; and the writer that keeps large files from
filling the page cache."""

import fcntl
import os
import tempfile

import pytest

from lawtrail.blobs.direct import DirectAppender, WriteBehind, copy_file_direct


COPY_SIZES = [0, 1, 4095, 4096, 4097, 3 * 2**20 + 17]


@pytest.mark.parametrize("size", COPY_SIZES)
def test_a_direct_copy_is_byte_for_byte_whatever_the_size(tmp_path, size):
    source, target = tmp_path / "source", tmp_path / "target"
    source.write_bytes(os.urandom(size))
    assert copy_file_direct(source, target) == size
    assert target.read_bytes() == source.read_bytes()


def test_a_direct_copy_bypasses_the_page_cache_for_the_aligned_part(tmp_path, monkeypatch):
    """The disk takes the bytes from the source's pages (O_DIRECT); only the unaligned
    tail goes through the page cache."""
    source, target = tmp_path / "source", tmp_path / "target"
    source.write_bytes(os.urandom(5 * 4096 + 100))
    real_write, real_pwrite, writes = os.write, os.pwrite, []

    def direct(fd):
        return bool(fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_DIRECT)

    monkeypatch.setattr(os, "write", lambda fd, data: writes.append((len(data), direct(fd))) or real_write(fd, data))
    monkeypatch.setattr(os, "pwrite", lambda fd, data, at: writes.append((len(data), direct(fd)))
                        or real_pwrite(fd, data, at))
    copy_file_direct(source, target)
    if not writes[0][1]:
        pytest.skip("this file system refuses O_DIRECT")
    assert writes == [(5 * 4096, True), (100, False)]
    assert target.read_bytes() == source.read_bytes()


def test_a_short_direct_write_is_finished_the_ordinary_way(tmp_path, monkeypatch):
    source, target = tmp_path / "source", tmp_path / "target"
    source.write_bytes(os.urandom(8 * 4096))
    real_write, real_pwrite, calls = os.write, os.pwrite, []

    def short_once(data):  # e.g. a disk that filled up, then freed
        calls.append(len(data))
        return data[:4096 + 10] if len(calls) == 1 else data

    monkeypatch.setattr(os, "write", lambda fd, data: real_write(fd, short_once(data)))
    monkeypatch.setattr(os, "pwrite", lambda fd, data, at: real_pwrite(fd, short_once(data), at))
    copy_file_direct(source, target)
    assert target.read_bytes() == source.read_bytes()


@pytest.mark.skipif(not os.path.isdir("/dev/shm"), reason="needs a tmpfs")
def test_a_file_system_without_o_direct_gets_an_ordinary_copy(tmp_path):
    """tmpfs refuses O_DIRECT: the copy falls back and is still exact."""
    source = tmp_path / "source"
    source.write_bytes(os.urandom(3 * 4096 + 5))
    with tempfile.TemporaryDirectory(dir="/dev/shm") as shm:
        target = os.path.join(shm, "target")
        copy_file_direct(source, target)
        with open(target, "rb") as f:
            assert f.read() == source.read_bytes()


def _appended(tmp_path, blocks, position=0, monkeypatch=None):
    """Append `blocks` ((bytes, from an aligned buffer?)) with a DirectAppender; returns the
    file's bytes and, per os.pwrite/os.write call, (size, O_DIRECT?)."""
    import mmap

    path = tmp_path / "part"
    path.write_bytes(b"p" * position)
    calls = []
    if monkeypatch is not None:
        real_pwrite, real_write = os.pwrite, os.write
        monkeypatch.setattr(os, "pwrite", lambda fd, data, at: calls.append((len(data), True)) or real_pwrite(fd, data, at))
        monkeypatch.setattr(os, "write", lambda fd, data: calls.append((len(data), False)) or real_write(fd, data))
    with open(path, "ab") as part:
        writer = DirectAppender(part.fileno(), path, position)
        for data, aligned in blocks:
            if aligned:
                buffer = mmap.mmap(-1, len(data))
                buffer[:] = data
                view = memoryview(buffer)
                writer.write(view, aligned=True)
                view.release()
            else:
                writer.write(data)
        writer.close()
        assert writer.behind.position == path.stat().st_size
    return path.read_bytes(), calls


def test_aligned_blocks_of_an_upload_go_to_the_disk_directly(tmp_path, monkeypatch):
    one, two = os.urandom(8 * 4096), os.urandom(2 * 4096 + 100)
    content, calls = _appended(tmp_path, [(one, True), (two, True)], monkeypatch=monkeypatch)
    assert content == one + two
    if calls[0] == (len(one), False):
        pytest.skip("this file system refuses O_DIRECT")
    assert calls == [(len(one), True), (2 * 4096, True), (100, False)]  # the tail the ordinary way


def test_an_upload_resumed_at_an_unaligned_offset_is_written_the_ordinary_way(tmp_path, monkeypatch):
    block = os.urandom(4 * 4096)
    content, calls = _appended(tmp_path, [(block, True)], position=1000, monkeypatch=monkeypatch)
    assert content == b"p" * 1000 + block and calls == [(len(block), False)]


def test_blocks_from_an_unaligned_buffer_are_written_the_ordinary_way(tmp_path, monkeypatch):
    block = os.urandom(4 * 4096)
    content, calls = _appended(tmp_path, [(block, False)], monkeypatch=monkeypatch)
    assert content == block and calls == [(len(block), False)]


def test_write_behind_writes_everything_and_releases_what_lies_behind(tmp_path, monkeypatch):
    monkeypatch.setattr(WriteBehind, "WINDOW", 4096)
    released = []
    real = os.posix_fadvise
    monkeypatch.setattr(os, "posix_fadvise", lambda fd, start, length, advice: (
        released.append((start, length, advice)), real(fd, start, length, advice)))
    data = os.urandom(50_000)
    path = tmp_path / "f"
    path.write_bytes(b"head")
    with open(path, "ab", buffering=0) as f:
        writer = WriteBehind(f.fileno(), 4)
        for start in range(0, len(data), 3000):
            writer.write(data[start:start + 3000])
    assert path.read_bytes() == b"head" + data
    assert released and released[0][0] == 4 and all(a == os.POSIX_FADV_DONTNEED for _, _, a in released)
    assert all(s + n == nxt for (s, n, _), (nxt, _, _) in zip(released, released[1:]))  # contiguous, in order
    assert released[-1][0] + released[-1][1] >= len(data) + 4 - 2 * 4096  # no more than the window left cached
