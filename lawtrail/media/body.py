"""Reading a large request body into the caller's buffer.

Under gunicorn a body of known length is read straight off the connection's socket with
`recv_into`, after whatever gunicorn had already buffered: its own reader hands back a new
bytes object for every read and copies each byte four or five times on the way (about
900 MiB/s at most here, a core's worth of an upload's time). gunicorn's reader is told
what was taken, so the connection goes on to the next request as usual, or is closed if the
body was cut short. Any other server, or a chunked body, goes through `request.read`.
"""

import io
import socket


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
