"""Receiving a large request body fast: read straight off gunicorn's socket, into a few
reused page-aligned buffers, each handed to the file writer and to the hashes at once.

Under gunicorn a body of known length is read straight off the connection's socket with
`recv_into`, after whatever gunicorn had already buffered: its own reader hands back a new
bytes object for every read and copies each byte four or five times on the way (about
900 MiB/s at most here, a core's worth of an upload's time). gunicorn's reader is told
what was taken, so the connection goes on to the next request as usual, or is closed if the
body was cut short. Any other server, or a chunked body, goes through `request.read`.
"""

import io
import logging
import mmap
import queue
import socket
import threading

from lawtrail.blobs.direct import DirectAppender

logger = logging.getLogger(__name__)
READ_SIZE = 8 * 2**20  # large blocks from the request: fewer system calls and Python turns per GiB


def request_body(request):
    """An object with `readinto(buffer)`: the number of bytes put at the start of `buffer`,
    0 once the body has ended (or the client has gone)."""
    wsgi_input = getattr(request, "META", {}).get("wsgi.input")
    reader = getattr(wsgi_input, "reader", None)
    unreader = getattr(reader, "unreader", None)
    sock = getattr(unreader, "sock", None)
    if (type(reader).__name__ == "LengthReader" and isinstance(sock, socket.socket)
            and sock.gettimeout() != 0.0 and isinstance(getattr(wsgi_input, "buf", None), io.BytesIO)
            and wsgi_input.buf.tell() == 0 and isinstance(getattr(unreader, "buf", None), io.BytesIO)
            and isinstance(getattr(reader, "length", None), int) and not request_read_started(request)):
        return _SocketBody(wsgi_input, reader, unreader, sock)
    return _ReadBody(request)


def request_read_started(request):
    """Django has read (part of) the body already: only its stream knows what is left."""
    return hasattr(request, "_body") or getattr(getattr(request, "_stream", None), "_pos", 0) != 0


class _ReadBody:
    def __init__(self, request):
        self.request = request

    def readinto(self, buffer):
        data = self.request.read(len(buffer))
        buffer[:len(data)] = data
        return len(data)


class _SocketBody:
    def __init__(self, body, reader, unreader, sock):
        self.body, self.reader, self.sock = body, reader, sock
        # Read ahead by gunicorn with the headers; beyond the body, the next request's.
        ahead = unreader.buf.getvalue()
        unreader.buf = io.BytesIO()
        unreader.buf.write(ahead[reader.length:])
        self.held = memoryview(ahead[:reader.length])

    def readinto(self, buffer):
        want = min(len(buffer), self.reader.length)
        if want <= 0:
            return 0
        if self.held:
            count = min(want, len(self.held))
            buffer[:count] = self.held[:count]
            self.held = self.held[count:]
        else:
            try:
                count = self.sock.recv_into(buffer, want)
            except OSError:
                self.body.failed = True  # where the next request starts is unknown: close
                raise
            if count == 0:  # the client went away half-way
                self.body.failed = True
                return 0
        self.reader.length -= count
        return count


class _Block:
    """One received block in a reused buffer, given back once every consumer is done."""

    def __init__(self, buffer, size, give_back, consumers):
        self.buffer, self.view, self.give_back = buffer, memoryview(buffer)[:size], give_back
        self.left, self.lock = consumers, threading.Lock()

    def done(self):
        with self.lock:
            self.left -= 1
            last = self.left == 0
        if last:
            self.view.release()
            self.give_back(self.buffer)


class HashBehind:
    """A running hash that may finish after its request has been answered. Its thread takes
    up where `after` ends (a digest, or another HashBehind still at work), then hashes the
    blocks a Sink hands it, in order; `result()` waits for the last. Between the chunks of
    an upload the hash thus goes on while the offset is committed and the client sends the
    next chunk, instead of the receiving waiting for it at the end of every chunk. Where a
    digest is wanted it stands for one (`copy`, `digest`, `hexdigest` wait for it). Its
    thread starts with the Sink that feeds it."""

    def __init__(self, after):
        self.inbox, self._digest, self._finished = queue.Queue(), None, threading.Event()
        self._lock, self._then = threading.Lock(), None
        self.thread = threading.Thread(target=self._run, args=(after,), daemon=True)

    def _run(self, after):
        digest = None
        try:
            digest, after = after.copy(), None
        finally:  # the blocks go back to their Sink whatever happened
            while (block := self.inbox.get()) is not None:
                try:
                    if digest is not None:
                        digest.update(block.view)
                except Exception:  # no digest then (result() says so), and the blocks still go back
                    logger.exception("hashing an upload's block failed")
                    digest = None
                finally:
                    block.done()
            with self._lock:
                self._digest, then = digest, self._then
                self._finished.set()
            if then is not None and digest is not None:
                try:
                    then(digest)
                except Exception:
                    logger.exception("what was to follow a finished hash failed")

    def when_done(self, callback):
        """Have the hash's thread call `callback(digest)` once it is done; False (and no
        call) if it is done already."""
        with self._lock:
            if self._finished.is_set():
                return False
            self._then = callback
            return True

    def done(self):
        return self._finished.is_set()

    def result(self):
        self._finished.wait()
        if self._digest is None:
            raise RuntimeError("the hash it takes up from failed")
        return self._digest

    def copy(self):
        return self.result().copy()

    def digest(self):
        return self.result().digest()

    def hexdigest(self):
        return self.result().hexdigest()


class Sink:
    """Receives a request body into a few page-aligned buffers, reused from block to block,
    and hands each block to the file writer and to each hash, in threads of their own, so
    that the next block is read from the network while this one goes to disk and through
    each hash (socket reads, hashlib, OpenSSL's SHA-256 and file writes all release the
    GIL). A buffer goes back to be filled again once all of them are done with it."""

    BUFFERS, SPARE = 4, 16
    _spare = queue.LifoQueue()  # buffers of finished uploads, for the next (their pages already mapped)

    def __init__(self, part, path, position, sums, behind=()):
        self.error = None
        self.writer = DirectAppender(part.fileno(), path, position)
        consumers = [lambda view: self.writer.write(view, aligned=True)] + [s.update for s in sums]
        self.inboxes = [queue.Queue() for _ in consumers]
        self.threads = [threading.Thread(target=self._run, args=pair, daemon=True)
                        for pair in zip(self.inboxes, consumers)]
        self.behind = list(behind)  # not waited for: see HashBehind
        self.free, self.closed, self.lock = queue.Queue(), False, threading.Lock()
        self.passed = 0  # bytes handed on, a block cut short by a failed read included
        for _ in range(self.BUFFERS):
            try:
                self.free.put(self._spare.get_nowait())
            except queue.Empty:
                self.free.put(mmap.mmap(-1, READ_SIZE))

    def _give_back(self, buffer):
        with self.lock:
            if not self.closed:
                self.free.put(buffer)
                return
        self._keep_spare(buffer)

    @classmethod
    def _keep_spare(cls, buffer):
        if cls._spare.qsize() < cls.SPARE:
            cls._spare.put(buffer)
            return
        try:
            buffer.close()
        except BufferError:  # a view of it still held (by a traceback): it goes with that
            pass

    def _run(self, inbox, consume):
        while (block := inbox.get()) is not None:
            if self.error is None:
                try:
                    consume(block.view)
                except OSError as exc:
                    self.error = exc
            block.done()

    def receive(self, body, want):
        """Read `want` bytes (at most READ_SIZE) of `body` into the next free buffer and
        pass them on; returns how many (fewer: the body has ended). What arrived before a
        read failed is passed on too (and counted in `passed`) before the error goes up."""
        buffer, filled = self.free.get(), 0
        view = memoryview(buffer)
        try:
            while filled < want and (count := body.readinto(view[filled:want])):
                filled += count
        finally:
            view.release()
            if filled:
                self.passed += filled
                block = _Block(buffer, filled, self._give_back, len(self.inboxes) + len(self.behind))
                for inbox in self.inboxes + [hash_.inbox for hash_ in self.behind]:
                    inbox.put(block)
            else:
                self.free.put(buffer)
        return filled

    def __enter__(self):
        for thread in self.threads + [hash_.thread for hash_ in self.behind]:
            thread.start()
        return self

    def __exit__(self, *exc_info):
        for inbox in self.inboxes + [hash_.inbox for hash_ in self.behind]:
            inbox.put(None)
        for thread in self.threads:
            thread.join()
        self.writer.close()
        with self.lock:  # buffers still with a hash behind go to the spares when it is done with them
            self.closed = True
        while True:
            try:
                self._keep_spare(self.free.get_nowait())
            except queue.Empty:
                break
        if self.error is not None:
            raise self.error
