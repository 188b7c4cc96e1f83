"""The witness's HTTP face: `POST /add-checkpoint` (c2sp.org/tlog-witness), nothing else."""

import logging
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

logger = logging.getLogger(__name__)
MAX_BODY = 64 * 1024  # a checkpoint, its signatures and at most 63 proof lines


def _handler(witness):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as the protocol recommends

        def do_POST(self):
            if self.path.rstrip("/").rsplit("/", 1)[-1] != "add-checkpoint":
                return self._send(404, "text/plain; charset=utf-8", "未找到\n")
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_BODY:
                return self._send(413, "text/plain; charset=utf-8", "请求过大\n")
            reply = witness.add_checkpoint(self.rfile.read(length))
            self._send(reply.status, reply.content_type, reply.body)

        def _send(self, status, content_type, body):
            data = body.encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format, *args):
            logger.info("%s %s", self.address_string(), format % args)

    return Handler


def witness_server(witness, host="127.0.0.1", port=0):
    """A server bound to (host, port), not yet serving: call `serve_forever` (port 0: a free one)."""
    return ThreadingHTTPServer((host, port), _handler(witness))
