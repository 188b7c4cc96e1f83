"""Local-file I/O that keeps multi-gigabyte evidence out of the page cache: hashing from a
mapping of the file, appending with O_DIRECT from aligned buffers, and write-behind that
hands written pages back to the kernel. The local store, evidence packages and uploads use it."""

import errno
import mmap
import os

MAP_STEP = 16 * 2**20


def hash_file(path, update):
    """Feed a local file to `update` (e.g. a hash's update), mapped rather than read:
    no copy into Python buffers, which makes hashing alongside an in-kernel copy of the
    same file run at full hashing speed."""
    with open(path, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        if size == 0:
            return 0
        with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
            view = memoryview(mapped)
            try:
                for offset in range(0, size, MAP_STEP):
                    update(view[offset:offset + MAP_STEP])
            finally:
                view.release()
    return size


DIRECT_ALIGN = 4096  # a multiple of every disk's logical block size


def copy_file_direct(source, target):
    """Copy a local file, its mapping (`hash_file`'s) fed to a `DirectAppender`: the disk
    takes the bytes from the source's own pages, so the copy costs the CPU no memory copy
    and fills no page cache with pages nobody here reads again (an evidence package of
    several GB would otherwise push out what the server has cached; on this kind of virtual
    machine, fresh page cache is also the slowest part of a copy). The unaligned tail, and
    the whole copy where the file system refuses O_DIRECT (tmpfs), go the ordinary way.
    Returns the size."""
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_APPEND, 0o666)
    try:
        writer = DirectAppender(fd, target)
        try:
            return hash_file(source, lambda view: writer.write(view, aligned=True))  # windows start page-aligned
        finally:
            writer.close()
    finally:
        os.close(fd)


class WriteBehind:
    """Appends to a file descriptor with no buffer in between (when the disk fills up,
    nothing is left pending in memory to be written later behind a recorded offset), and
    hands the pages written more than WINDOW ago back to the kernel (POSIX_FADV_DONTNEED),
    which starts their write-back at once. The next writes then reuse that memory instead
    of filling the page cache with fresh pages (on a virtual machine 0.6 against 2.6 GiB/s
    here), and the closing fsync has little left to do. Large files are read back rarely
    (playback reads ranges), so nothing is lost by not caching them."""

    WINDOW = 32 * 2**20

    def __init__(self, fd, position=0):
        self.fd, self.position, self.released = fd, position, position

    def write(self, data):
        view = memoryview(data)
        while view:
            count = os.write(self.fd, view)
            view = view[count:]
            self.advanced(count)

    def advanced(self, count):
        """`count` more bytes were written at the end (by `write`, or by the kernel)."""
        self.position += count
        if self.position - self.released >= 2 * self.WINDOW:
            behind = self.position - self.WINDOW
            os.posix_fadvise(self.fd, self.released, behind - self.released, os.POSIX_FADV_DONTNEED)
            self.released = behind


class DirectAppender:
    """Appends to a file at `position`: a block that starts on an aligned offset, at an
    aligned address (the page-aligned receive buffers of an upload) and fills whole
    disk blocks goes to the disk with O_DIRECT, from the buffer itself, costing no copy into
    the page cache nor any of its write-back; anything else, and everything on a file system
    without O_DIRECT, goes through `WriteBehind`. Either way nothing is held back in memory:
    what `write` has returned is in the file."""

    def __init__(self, fd, path, position=0):
        self.behind, self.direct = WriteBehind(fd, position), None
        if hasattr(os, "O_DIRECT"):
            try:
                self.direct = os.open(path, os.O_WRONLY | os.O_DIRECT)
            except OSError as exc:
                if exc.errno != errno.EINVAL:  # tmpfs: no O_DIRECT
                    raise

    def close(self):
        if self.direct is not None:
            os.close(self.direct)
            self.direct = None

    def write(self, data, aligned=False):
        view = memoryview(data)
        if not (aligned and self.direct is not None and self.behind.position % DIRECT_ALIGN == 0):
            return self.behind.write(view)
        whole = len(view) - len(view) % DIRECT_ALIGN
        done = 0
        try:
            while done < whole:
                count = os.pwrite(self.direct, view[done:whole], self.behind.position)
                done += count
                self.behind.position += count
                self.behind.released = self.behind.position  # nothing of it in the page cache
                if count % DIRECT_ALIGN:
                    break  # a short write off the block size: the rest the ordinary way
        except OSError as exc:
            if exc.errno != errno.EINVAL or done:
                raise
            self.close()  # refused after all (a file system that takes the open, not the write)
        if done < len(view):
            self.behind.write(view[done:])
