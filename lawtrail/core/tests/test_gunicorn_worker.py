"""`lawtrail serve`'s worker (core/gunicorn_worker.py) takes a connection only while one of
its threads is free: a process whose threads are all busy leaves new connections to the
others, instead of queueing them behind its busy threads. Which process holds a connection
is read from /proc (Linux)."""

import http.client
import socket
import time
from pathlib import Path

import pytest
from django.db import connection

from lawtrail.core.tests.server import HTTPS, free_port, production_env, seed, start, stop

pytestmark = [
    pytest.mark.skipif(connection.vendor != "sqlite", reason="runs its own SQLite server; once is enough"),
    pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="reads the connections' owners from /proc"),
]


def _server_side_inode(server_port, client_port):
    """The inode of the server's end of the loopback connection from `client_port`."""
    want_local, want_remote = f"0100007F:{server_port:04X}", f"0100007F:{client_port:04X}"
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[1] == want_local and fields[2] == want_remote:
            return fields[9]
    return None


def _holder(server_port, client_port, timeout=5.0):
    """The pid of the process holding the server's end of this connection (once accepted)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        inode = _server_side_inode(server_port, client_port)
        if inode:
            for fd_dir in Path("/proc").glob("[0-9]*/fd"):
                try:
                    if any(link.readlink().name == f"socket:[{inode}]" for link in fd_dir.iterdir()):
                        return int(fd_dir.parent.name)
                except OSError:  # a process gone, or not ours to read
                    continue
        time.sleep(0.05)
    return None


def test_a_process_whose_threads_are_all_busy_leaves_new_connections_to_the_others(tmp_path):
    env = production_env(tmp_path / "home")
    seed(env)
    port = free_port()
    server = start(env, port, options=("--workers", "2", "--threads", "1"), headers=HTTPS)
    busy = socket.create_connection(("127.0.0.1", port))
    try:
        # A sign-in whose form is still arriving: the thread reading it is busy until it has all.
        busy.sendall(b"POST /login/ HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Forwarded-Proto: https\r\n"
                     b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\nusername=")
        busy_process = _holder(port, busy.getsockname()[1])
        assert busy_process is not None
        served_by = []
        for _ in range(4):
            client = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            try:
                client.request("GET", "/login/", headers=HTTPS)  # a page that needs no thread of the busy one
                response = client.getresponse()
                assert response.status == 200 and "登录" in response.read().decode()
                served_by.append(_holder(port, client.sock.getsockname()[1]))
            finally:
                client.close()
        assert busy_process not in served_by and None not in served_by, (busy_process, served_by)
    finally:
        busy.close()
        stop(server)
