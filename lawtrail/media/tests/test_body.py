"""Reading an upload's body straight off gunicorn's socket (media/streaming.py), with gunicorn's
own reader objects over a real socket pair: what gunicorn read ahead comes first, the next
pipelined request stays for gunicorn, and a client that goes away half-way leaves the
connection marked unusable."""

import io
import os
import socket
import threading

import pytest
from gunicorn.http.body import Body, ChunkedReader, LengthReader
from gunicorn.http.unreader import SocketUnreader

from lawtrail.media.streaming import request_body


class Request:
    def __init__(self, wsgi_input):
        self.META = {"wsgi.input": wsgi_input}


def read_all(body, size=7000):
    buffer, out = bytearray(size), bytearray()
    while count := body.readinto(buffer):
        out += buffer[:count]
    return bytes(out)


@pytest.fixture
def pair():
    server, client = socket.socketpair()
    server.settimeout(5)
    yield server, client
    server.close()
    client.close()


def gunicorn_body(sock, length, read_ahead=b""):
    unreader = SocketUnreader(sock)
    unreader.unread(read_ahead)  # what gunicorn read with the headers
    return Body(LengthReader(unreader, length)), unreader


def test_the_body_comes_off_the_socket_after_what_gunicorn_read_ahead(pair):
    server, client = pair
    payload = os.urandom(300_000)
    body, unreader = gunicorn_body(server, len(payload), read_ahead=payload[:1000])
    reader = request_body(Request(body))
    assert type(reader).__name__ == "_SocketBody"
    sender = threading.Thread(target=client.sendall, args=(payload[1000:],))
    sender.start()
    assert read_all(reader) == payload
    sender.join()
    assert body.reader.length == 0 and not body.failed  # gunicorn sees the body consumed
    assert body.read() == b""


def test_the_next_pipelined_request_is_left_to_gunicorn(pair):
    server, _ = pair
    payload, following = os.urandom(5000), b"HEAD /api/uploads/x HTTP/1.1\r\n\r\n"
    body, unreader = gunicorn_body(server, len(payload), read_ahead=payload + following)
    assert read_all(request_body(Request(body))) == payload
    assert unreader.read() == following


def test_a_client_gone_half_way_leaves_what_arrived_and_an_unusable_connection(pair):
    server, client = pair
    payload = os.urandom(100_000)
    body, _ = gunicorn_body(server, 250_000)
    client.sendall(payload)
    client.close()
    assert read_all(request_body(Request(body))) == payload
    assert body.failed  # gunicorn must not read a next request from where this one broke off


def test_a_socket_error_is_raised_and_marks_the_connection(pair):
    server, client = pair
    server.settimeout(0.05)
    body, _ = gunicorn_body(server, 1000)
    with pytest.raises(OSError):
        request_body(Request(body)).readinto(bytearray(1000))
    assert body.failed


def test_other_bodies_go_through_request_read(pair):
    server, _ = pair
    chunked = Body(ChunkedReader(None, SocketUnreader(server)))
    assert type(request_body(Request(chunked))).__name__ == "_ReadBody"

    class Plain:  # Django's test client, or any other server
        META = {"wsgi.input": io.BytesIO(b"abc")}

        def read(self, size):
            return self.META["wsgi.input"].read(size)

    reader = request_body(Plain())
    assert type(reader).__name__ == "_ReadBody" and read_all(reader, 2) == b"abc"
