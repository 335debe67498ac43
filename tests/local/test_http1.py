"""Tests for fcsdk/_local/http1.py: RFC 9112 framing, lingering close and import weight."""

from __future__ import annotations

import contextlib
import io
import json
import socket
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest
import requests

from fcsdk._local.http1 import LINGER_BYTES
from fcsdk._local.instance import FunctionConfig, Instance
from fcsdk._local.logs import RuntimeLogs
from fcsdk._local.server import HostedFunction, LocalServer
from tests.local.serving import APPS, ROOT

LIMIT = 64 * 1024
BIG = 16 * 1024 * 1024  # far past what socket buffers absorb


@pytest.fixture(scope="module")
def address() -> Iterator[tuple[str, int]]:
    """An in-process server with an upper-casing event function and a 64 KiB body limit."""
    logs = RuntimeLogs(io.StringIO())
    instance = Instance(FunctionConfig(handler="events_app.handler", code_dir=APPS), logs)
    local = LocalServer(
        ("127.0.0.1", 0), {"f": HostedFunction(instance, "event")}, logs, max_body_size=LIMIT
    )
    thread = threading.Thread(target=local.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield ("127.0.0.1", local.server_port)
    finally:
        local.shutdown()
        thread.join(10)
        local.server_close()
        sys.modules.pop("events_app", None)


def exchange(address: tuple[str, int], data: bytes) -> bytes:
    """Send ``data``, then read until the server closes (bounded by a 10 s timeout)."""
    with socket.create_connection(address, timeout=10) as sock:
        sock.sendall(data)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


SMUGGLED = b"GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n"

# Each request is followed by a second one: a server that reads the first one's
# framing wrongly answers the smuggled one too.
BAD_FRAMING = {
    "CL and TE together": b"POST /invoke HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n"
    b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    "two different CLs": b"POST /invoke HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
    b"Content-Length: 6\r\n\r\nhello!",
    "0x5 chunk size": b"POST /invoke HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
    b"0x5\r\nhello\r\n0\r\n\r\n",
    "0_5 chunk size": b"POST /invoke HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
    b"0_5\r\nhello\r\n0\r\n\r\n",
    "TE gzip": b"POST /invoke HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n",
    "CL superscript three": "POST /invoke HTTP/1.1\r\nHost: x\r\nContent-Length: \u00b3\r\n"
    "\r\n".encode(),
    "space before the colon": b"POST /invoke HTTP/1.1\r\nHost: x\r\nContent-Length : 5\r\n\r\n"
    b"hello",
    "TE xchunked": b"POST /invoke HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: xchunked\r\n\r\n"
    b"0\r\n\r\n",
    "TE chunked, gzip": b"POST /invoke HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, gzip"
    b"\r\n\r\n0\r\n\r\n",
    "chunk not followed by CRLF": b"POST /invoke HTTP/1.1\r\nHost: x\r\n"
    b"Transfer-Encoding: chunked\r\n\r\n5\r\nhelloXX0\r\n\r\n",
    "no Host": b"POST /invoke HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello",
}


class TestFraming:
    @pytest.mark.parametrize("raw", list(BAD_FRAMING.values()), ids=list(BAD_FRAMING))
    def test_bad_framing_is_400_and_closed(self, address: tuple[str, int], raw: bytes) -> None:
        """A request RFC 9112 cannot frame safely is one 400, then the connection closes."""
        answer = exchange(address, raw + SMUGGLED)
        assert answer.startswith(b"HTTP/1.1 400 ")
        assert answer.count(b"HTTP/1.1 ") == 1  # the smuggled request is never answered
        head, _, body = answer.partition(b"\r\n\r\n")
        assert b"\r\nConnection: close" in head
        assert b"x-fc-error-type: FcCommonError" in head
        assert json.loads(body)["errorCode"] == "InvalidArgument"

    def test_good_requests_keep_the_connection(self, address: tuple[str, int]) -> None:
        """Two well-framed requests (CL, then chunked) on one connection are both answered."""
        answer = exchange(
            address,
            b"POST /invoke HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nab"
            b"POST /invoke HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
            b"Connection: close\r\n\r\n2\r\ncd\r\n0\r\n\r\n",
        )
        assert answer.count(b"HTTP/1.1 200 ") == 2
        assert answer.endswith(b"CD")

    def test_same_content_length_twice(self, address: tuple[str, int]) -> None:
        """Two equal Content-Length values are one (RFC 9110 §8.6 allows merging them)."""
        answer = exchange(
            address,
            b"POST /invoke HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 2\r\n"
            b"Connection: close\r\n\r\nab",
        )
        assert answer.startswith(b"HTTP/1.1 200 ")
        assert answer.endswith(b"AB")

    def test_too_many_header_fields(self, address: tuple[str, int]) -> None:
        """More than 100 header fields is a 431 and a closed connection."""
        fields = b"".join(b"X-%d: 1\r\n" % i for i in range(101))
        answer = exchange(address, b"GET / HTTP/1.1\r\nHost: x\r\n" + fields + b"\r\n")
        assert answer.startswith(b"HTTP/1.1 431 ")

    def test_http10_without_host(self, address: tuple[str, int]) -> None:
        """An HTTP/1.0 request needs no Host and is answered, then closed."""
        answer = exchange(address, b"POST /invoke HTTP/1.0\r\nContent-Length: 2\r\n\r\nok")
        assert answer.startswith(b"HTTP/1.1 200 ")
        assert answer.endswith(b"OK")


class TestLingeringClose:
    def test_urllib_gets_the_413(self, address: tuple[str, int]) -> None:
        """urllib, which sends its whole body before reading, sees the 413, not a broken pipe."""
        url = f"http://{address[0]}:{address[1]}/invoke"
        request = urllib.request.Request(url, data=b"x" * BIG, method="POST")
        with pytest.raises(urllib.error.HTTPError) as caught:
            urllib.request.urlopen(request, timeout=10)
        assert caught.value.code == 413
        assert json.loads(caught.value.read())["errorCode"] == "EntityTooLarge"

    def test_requests_gets_the_413(self, address: tuple[str, int]) -> None:
        """requests sees the 413 for a body far over the limit, sent whole."""
        url = f"http://{address[0]}:{address[1]}/invoke"
        response = requests.post(url, data=b"x" * BIG, timeout=10)
        assert response.status_code == 413
        assert response.headers["x-fc-error-type"] == "FcCommonError"

    def test_chunked_over_the_limit(self, address: tuple[str, int]) -> None:
        """A chunked upload (a generator body) growing past the limit gets the 413 too."""
        url = f"http://{address[0]}:{address[1]}/invoke"
        chunks = (b"y" * 4096 for _ in range(64))
        response = requests.post(url, data=chunks, timeout=10)
        assert response.status_code == 413

    def test_linger_is_bounded(self, address: tuple[str, int]) -> None:
        """A client that keeps sending after the 413 is cut off after a bounded amount."""
        with socket.create_connection(address, timeout=20) as sock:
            sock.sendall(
                b"POST /invoke HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % (LIMIT + 1)
            )
            sent = 0
            with contextlib.suppress(ConnectionResetError, BrokenPipeError):
                while sent < 4 * LINGER_BYTES:
                    sock.sendall(b"z" * 65536)
                    sent += 65536
        assert sent < 4 * LINGER_BYTES


class TestImportWeight:
    def test_h11_stays_out_of_the_runtime_path(self) -> None:
        """import fcsdk and a handler call do not import h11: only the loopback servers do."""
        code = (
            "import sys, fcsdk as fc\n"
            "from types import SimpleNamespace\n"
            "h = fc.handler(event_model=dict)(lambda e, c: e)\n"
            "h(b'{}', SimpleNamespace(request_id='r'))\n"
            "import fcsdk.web\n"
            "print('h11' in sys.modules)\n"
            "import fcsdk._local.server\n"
            "print('h11' in sys.modules)\n"
        )
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True
        ).stdout
        assert out.split() == ["False", "True"]
