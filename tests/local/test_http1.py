"""Tests for fcsdk/_local/http1.py: RFC 9112 framing, lingering close and import weight."""

from __future__ import annotations

import contextlib
import io
import json
import re
import socket
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from fcsdk._local import http1
from fcsdk._local.http1 import LINGER_BYTES, FramingError, Wire
from fcsdk._local.instance import FunctionConfig, Instance
from fcsdk._local.logs import RuntimeLogs
from fcsdk._local.server import HostedFunction, LocalServer
from tests.local.serving import APPS, ROOT

LIMIT = 64 * 1024
MAX_HEAD = 64 * 1024  # the limit on a request head, and on trailer fields
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
    """Send ``data``, then read until the server closes (an assertion after 10 s)."""
    with socket.create_connection(address, timeout=10) as sock:
        sock.sendall(data)
        return read_to_close(sock)


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

    def test_exactly_100_header_fields(self, address: tuple[str, int]) -> None:
        """100 header fields (Host and Connection among them) is the limit itself: served."""
        fields = b"".join(b"X-%d: 1\r\n" % i for i in range(98))
        answer = exchange(
            address, b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n" + fields + b"\r\n"
        )
        assert answer.startswith(b"HTTP/1.1 200 ")
        fields += b"X-98: 1\r\n"
        answer = exchange(
            address, b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n" + fields + b"\r\n"
        )
        assert answer.startswith(b"HTTP/1.1 431 ")

    def test_http10_without_host(self, address: tuple[str, int]) -> None:
        """An HTTP/1.0 request needs no Host and is answered, saying close, then closed."""
        answer = exchange(address, b"POST /invoke HTTP/1.0\r\nContent-Length: 2\r\n\r\nok")
        assert answer.startswith(b"HTTP/1.1 200 ")
        assert b"\r\nConnection: close\r\n" in answer
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


def seen_by_the_function(answer: bytes) -> dict[str, Any]:
    """The event the upper-casing event function was given, from its 200 answer."""
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 "), answer[:300]
    for upper, literal in ((b"FALSE", b"false"), (b"TRUE", b"true"), (b"NULL", b"null")):
        body = body.replace(b":" + upper, b":" + literal)
    event: dict[str, Any] = json.loads(body)
    return event


class TestRequestTarget:
    def test_absolute_form_uses_its_path_and_authority(self, address: tuple[str, int]) -> None:
        """GET http://host/path: the function sees /path and the URL's host, not the Host field."""
        answer = exchange(
            address,
            b"GET http://example.com:8080/abs/p?q=1 HTTP/1.1\r\nHost: other\r\n"
            b"Connection: close\r\n\r\n",
        )
        event = seen_by_the_function(answer)
        assert event["RAWPATH"] == "/ABS/P"
        assert event["QUERYPARAMETERS"] == {"Q": "1"}
        assert event["HEADERS"]["HOST"] == "EXAMPLE.COM:8080"

    @pytest.mark.parametrize(
        ("target", "raw_path"),
        [
            (b"/2016-08-15/proxy/svc/f", "/"),
            (b"/2016-08-15/proxy/svc/f?q=1", "/"),
            (b"/2016-08-15/proxy/svc/f/a/b", "/A/B"),
        ],
    )
    def test_the_function_sees_the_path_past_the_proxy_prefix(
        self, address: tuple[str, int], target: bytes, raw_path: str
    ) -> None:
        """Through FC 2.0's proxy prefix the function sees the path after it, or / for none."""
        answer = exchange(
            address, b"GET " + target + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        )
        assert seen_by_the_function(answer)["RAWPATH"] == raw_path

    def test_the_function_sees_the_client_address(self, address: tuple[str, int]) -> None:
        """The event's sourceIp is the client's address."""
        answer = exchange(address, b"GET /ip HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        assert seen_by_the_function(answer)["REQUESTCONTEXT"]["HTTP"]["SOURCEIP"] == "127.0.0.1"

    def test_absolute_form_without_a_path(self, address: tuple[str, int]) -> None:
        """An absolute URL with no path (HTTPS://host) is a request for /."""
        answer = exchange(
            address, b"GET HTTPS://example.com HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        )
        assert seen_by_the_function(answer)["RAWPATH"] == "/"

    @pytest.mark.parametrize(
        "line",
        [
            b"GET /a#frag HTTP/1.1",
            b"GET * HTTP/1.1",
            b"POST * HTTP/1.1",
            b"GET abc HTTP/1.1",
            b"GET ftp://example.com/x HTTP/1.1",
            b"GET http://user@evil.com/x HTTP/1.1",
            b"GET http://a b/x HTTP/1.1".replace(b"a b", b"a%zz"),
        ],
    )
    def test_targets_in_no_allowed_form_are_400(
        self, address: tuple[str, int], line: bytes
    ) -> None:
        """A fragment, * without OPTIONS, a relative path, another scheme or userinfo: 400."""
        answer = exchange(address, line + b"\r\nHost: x\r\n\r\n" + SMUGGLED)
        assert answer.startswith(b"HTTP/1.1 400 ")
        assert answer.count(b"HTTP/1.1 ") == 1
        assert json.loads(answer.partition(b"\r\n\r\n")[2])["errorCode"] == "InvalidArgument"

    def test_options_asterisk_is_answered_by_the_server(self, address: tuple[str, int]) -> None:
        """OPTIONS * asks about the server: 200 with Allow, the function is not called."""
        answer = exchange(address, b"OPTIONS * HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        head, _, body = answer.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200 ")
        assert b"\r\nAllow: DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT\r\n" in head
        assert b"\r\nContent-Length: 0\r\n" in head
        assert body == b""


class TestHostField:
    @pytest.mark.parametrize(
        "host",
        [b"a b", b"user@evil", b"evil.com/path", b"x:port", b"[::1", b"%zz"],
    )
    def test_invalid_host_is_400(self, address: tuple[str, int], host: bytes) -> None:
        """A Host that is not a host and an optional port is a 400 and a closed connection."""
        answer = exchange(address, b"GET / HTTP/1.1\r\nHost: " + host + b"\r\n\r\n" + SMUGGLED)
        assert answer.startswith(b"HTTP/1.1 400 ")
        assert answer.count(b"HTTP/1.1 ") == 1
        assert b"invalid Host" in answer

    @pytest.mark.parametrize(
        "host", [b"", b"example.com", b"example.com:8080", b"127.0.0.1:9000", b"[::1]:9000"]
    )
    def test_valid_hosts_are_served(self, address: tuple[str, int], host: bytes) -> None:
        """Names, addresses, IPv6 literals, ports, and an empty Host are accepted."""
        answer = exchange(
            address, b"GET / HTTP/1.1\r\nHost: " + host + b"\r\nConnection: close\r\n\r\n"
        )
        assert seen_by_the_function(answer)["HEADERS"]["HOST"] == host.decode().upper()


class TestVersions:
    @pytest.mark.parametrize("version", [b"2.0", b"9.9", b"0.9"])
    def test_other_major_versions_are_505(self, address: tuple[str, int], version: bytes) -> None:
        """An HTTP/2.0, HTTP/9.9 or HTTP/0.9 request line is a 505, with or without Host."""
        for host in (b"", b"Host: x\r\n"):
            answer = exchange(address, b"GET / HTTP/" + version + b"\r\n" + host + b"\r\n")
            assert answer.startswith(b"HTTP/1.1 505 "), answer[:200]
            assert json.loads(answer.partition(b"\r\n\r\n")[2])["errorCode"] == (
                "HTTPVersionNotSupported"
            )

    def test_a_newer_minor_version_needs_a_host(self, address: tuple[str, int]) -> None:
        """HTTP/1.2 is read as HTTP/1.1 (RFC 9110 section 2.5): without Host it is a 400."""
        answer = exchange(address, b"GET / HTTP/1.2\r\n\r\n")
        assert answer.startswith(b"HTTP/1.1 400 ")
        assert b"needs a Host" in answer
        answer = exchange(
            address,
            b"GET / HTTP/1.2\r\nHost: x\r\n\r\n"  # kept alive, as HTTP/1.1 would be
            b"GET / HTTP/1.2\r\nHost: x\r\nConnection: close\r\n\r\n",
        )
        assert answer.count(b"HTTP/1.1 200 ") == 2


class TestHeadLimit:
    @pytest.mark.parametrize("size", [70_000, 126_000])
    @pytest.mark.parametrize("split", [False, True])
    def test_a_head_over_64_kib_is_431(
        self, address: tuple[str, int], size: int, split: bool
    ) -> None:
        """A head past 64 KiB is a 431 whether it arrives in one piece or split at 64 KiB."""
        raw = b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"b" * size + b"\r\n\r\n"
        with socket.create_connection(address, timeout=10) as sock:
            if split:  # what lets h11's check of an incomplete head pass it
                sock.sendall(raw[:LIMIT])
                sock.sendall(raw[LIMIT:])
            else:
                sock.sendall(raw)
            answer = read_to_close(sock)
        assert answer.startswith(b"HTTP/1.1 431 ")

    def test_a_head_of_exactly_64_kib_is_served(self, address: tuple[str, int]) -> None:
        """The limit is the head's bytes on the wire, final CRLF included: 65536 passes."""
        start = (
            b"POST /invoke HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 2\r\nX-Big: "
        )
        pad = LIMIT - len(start) - 4
        answer = exchange(address, start + b"b" * pad + b"\r\n\r\nok")
        assert answer.startswith(b"HTTP/1.1 200 ")
        assert answer.endswith(b"\r\n\r\nOK")
        answer = exchange(address, start + b"b" * (pad + 1) + b"\r\n\r\nok")
        assert refusal(answer) == (431, "InvalidArgument", "the request head is over 65536 bytes")

    def test_trailer_fields_over_64_kib_are_400(self, address: tuple[str, int]) -> None:
        """Trailer fields past 64 KiB after a chunked body are a 400, however they arrive."""
        body = (
            b"POST /invoke HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
            b"2\r\nab\r\n0\r\n"
        )
        trailer = b"X-T: " + b"t" * 126_000 + b"\r\n\r\n"
        with socket.create_connection(address, timeout=10) as sock:
            sock.sendall(body + trailer[: LIMIT - len(body)])
            sock.sendall(trailer[LIMIT - len(body) :])
            answer = read_to_close(sock)
        assert answer.startswith(b"HTTP/1.1 400 ")
        assert b"trailer fields are over 65536 bytes" in answer

    def test_an_unfinished_head_past_the_limit_gets_the_same_answer(
        self, address: tuple[str, int]
    ) -> None:
        """A head that passes 64 KiB before its end: the whole head's 431 and message."""
        with socket.create_connection(address, timeout=10) as sock:
            sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"b" * 70_000)
            answer = read_to_close(sock)
        assert answer.startswith(b"HTTP/1.1 431 ")
        assert b"the request head is over 65536 bytes" in answer

    def test_unfinished_trailers_past_the_limit_get_the_same_answer(
        self, address: tuple[str, int]
    ) -> None:
        """Trailers that pass 64 KiB before their end: the whole trailers' 400 and message."""
        body = (
            b"POST /invoke HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
            b"2\r\nab\r\n0\r\n"
        )
        with socket.create_connection(address, timeout=10) as sock:
            sock.sendall(body + b"X-T: " + b"t" * 70_000)
            answer = read_to_close(sock)
        assert refusal(answer) == (
            400,
            "InvalidArgument",
            "the trailer fields are over 65536 bytes",
        )


def read_to_close(sock: socket.socket, seconds: float = 10.0) -> bytes:
    """Read until the server closes; fail by assertion when it does not within ``seconds``."""
    sock.settimeout(seconds)
    chunks = []
    try:
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    except TimeoutError:
        raise AssertionError(f"the server kept the connection open: {chunks!r:.300}") from None
    except ConnectionResetError:
        pass
    return b"".join(chunks)


def _wire(max_body_size: int) -> tuple[Wire, socket.socket]:
    """A Wire over one end of a socket pair, and the client's end."""
    server_end, client_end = socket.socketpair()
    return Wire(server_end, max_body_size=max_body_size, read_timeout=10, server="t"), client_end


def _linger_in_thread(wire: Wire) -> threading.Thread:
    thread = threading.Thread(target=wire.linger, daemon=True)
    thread.start()
    return thread


class TestLingerBounds:
    def test_too_large_message(self) -> None:
        """A declared body over the limit is a 413 naming the limit."""
        wire, client = _wire(10)
        with client, wire.sock:
            client.sendall(b"POST /invoke HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\n")
            with pytest.raises(FramingError) as caught:
                wire.next_request()
        assert (caught.value.status, caught.value.code) == (413, "EntityTooLarge")
        assert str(caught.value) == "payload size exceeds maximum allowed size (10 bytes)"

    def test_budget_is_four_limits_past_the_default(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Lingering stops once four body limits are discarded, when that is over LINGER_BYTES."""
        monkeypatch.setattr(http1, "LINGER_BYTES", 0)
        monkeypatch.setattr(http1, "LINGER_IDLE_SECONDS", 60.0)  # only the budget can stop it
        wire, client = _wire(10)
        with client, wire.sock:
            client.sendall(b"z" * 40)  # exactly the budget; the client stays connected
            thread = _linger_in_thread(wire)
            thread.join(10)
            assert not thread.is_alive(), "linger kept reading past its budget"

    def test_exactly_the_budget_is_discarded(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Lingering discards four body limits of what the client sends, byte for byte, and
        leaves the rest unread (read here one byte at a time, so the count is exact)."""
        monkeypatch.setattr(http1, "LINGER_BYTES", 0)
        monkeypatch.setattr(http1, "_RECV", 1)
        wire, client = _wire(10)
        with client, wire.sock:
            client.sendall(b"d" * 40 + b"k" * 25)  # more than the budget: linger never waits
            wire.linger()
            wire.sock.setblocking(False)
            left = b""
            with contextlib.suppress(BlockingIOError):
                while chunk := wire.sock.recv(65536):
                    left += chunk
        assert left == b"k" * 25

    def test_a_silent_client_is_left_after_the_idle_time(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A client that sends nothing more is left after LINGER_IDLE_SECONDS."""
        monkeypatch.setattr(http1, "LINGER_IDLE_SECONDS", 0.05)
        wire, client = _wire(10)
        with client, wire.sock:
            thread = _linger_in_thread(wire)
            thread.join(10)
            assert not thread.is_alive(), "linger waited on a silent client"


def refusal(answer: bytes) -> tuple[int, str, str]:
    """The status, errorCode and errorMessage of a refused request's answer."""
    head, _, body = answer.partition(b"\r\n\r\n")
    error = json.loads(body)
    return int(head.split(b" ", 2)[1]), error["errorCode"], error["errorMessage"]


LONG = "z" * 150
"""Past the 100 characters of a refused target or Host that an error message quotes."""

REFUSALS = {
    "fragment": (
        b"GET /a#b HTTP/1.1\r\nHost: x\r\n\r\n",
        (400, "InvalidArgument", "a request target cannot hold a #fragment (RFC 9112 section 3.2)"),
    ),
    "relative target": (
        f"GET a{LONG} HTTP/1.1\r\nHost: x\r\n\r\n".encode(),
        (
            400,
            "InvalidArgument",
            f"request target {('a' + LONG)[:100]!r} is not a path, an http(s) URL, "
            "or * with OPTIONS (RFC 9112 section 3.2)",
        ),
    ),
    "bad authority": (
        f"GET http://a%zz{LONG}/p HTTP/1.1\r\nHost: x\r\n\r\n".encode(),
        (
            400,
            "InvalidArgument",
            f"invalid authority {('a%zz' + LONG)[:100]!r} in the request target",
        ),
    ),
    "bad Host": (
        f"GET / HTTP/1.1\r\nHost: a%zz{LONG}\r\n\r\n".encode(),
        (
            400,
            "InvalidArgument",
            f"invalid Host {('a%zz' + LONG)[:100]!r}: a host and an optional port only",
        ),
    ),
    "no Host": (
        b"GET / HTTP/1.2\r\n\r\n",
        (400, "InvalidArgument", "an HTTP/1.2 request needs a Host (RFC 9112 section 3.2)"),
    ),
    "HTTP/2.0": (
        b"GET / HTTP/2.0\r\nHost: x\r\n\r\n",
        (505, "HTTPVersionNotSupported", "HTTP/2.0 is not supported"),
    ),
    "CL and TE": (
        b"POST /invoke HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        (
            400,
            "InvalidArgument",
            "a request with both Content-Length and Transfer-Encoding is refused "
            "(RFC 9112 section 6.1)",
        ),
    ),
    "101 fields": (
        b"GET / HTTP/1.1\r\nHost: x\r\n"
        + b"".join(b"X-%d: 1\r\n" % i for i in range(100))
        + b"\r\n",
        (431, "InvalidArgument", "more than 100 header fields"),
    ),
    "head over 64 KiB": (
        b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"b" * 70_000,
        (431, "InvalidArgument", "the request head is over 65536 bytes"),
    ),
    "body over the limit": (
        b"POST /invoke HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % (LIMIT + 1),
        (413, "EntityTooLarge", f"payload size exceeds maximum allowed size ({LIMIT} bytes)"),
    ),
}


class TestRefusals:
    @pytest.mark.parametrize(("raw", "expected"), list(REFUSALS.values()), ids=list(REFUSALS))
    def test_each_refusal_says_what_and_why(
        self, address: tuple[str, int], raw: bytes, expected: tuple[int, str, str]
    ) -> None:
        """Each refused request gets its status, FC's errorCode and a message naming the fault
        (quoting at most 100 characters of what was refused), then the connection closes."""
        assert refusal(exchange(address, raw)) == expected

    def test_what_h11_refuses_is_answered_with_its_reason(self, address: tuple[str, int]) -> None:
        """A framing h11 refuses (a chunk size that is not hex) is a 400 giving h11's reason."""
        raw = b"POST /invoke HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"
        status, code, message = refusal(exchange(address, raw))
        assert (status, code) == (400, "InvalidArgument")
        assert message.startswith("illegal chunk header")


def trailer_of(size: int, count: int) -> bytes:
    """``count`` trailer fields of ``size`` bytes in all, as measured on the wire."""
    fields = [b"X-T%d: t\r\n" % i for i in range(count - 1)]
    last = b"X-Last: "
    pad = size - sum(len(f) for f in fields) - len(last) - 2
    return b"".join(fields) + last + b"t" * pad + b"\r\n"


class TestTrailerLimits:
    CHUNKED = (
        b"POST /invoke HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n"
    )

    def _read(self, trailer: bytes) -> bytes | FramingError:
        """The body a Wire reads with ``trailer`` after it (all sent first), or its refusal."""
        wire, client = _wire(LIMIT)
        with client, wire.sock:
            client.sendall(self.CHUNKED + trailer + b"\r\n")
            assert wire.next_request() is not None
            try:
                return wire.read_body()
            except FramingError as exc:
                return exc

    @pytest.mark.parametrize("count", [1, 3])
    def test_trailer_fields_of_exactly_64_kib_pass(self, count: int) -> None:
        """Trailer fields of 65536 bytes on the wire (each line's CRLF counted) are read; one
        byte more is a 400."""
        assert self._read(trailer_of(MAX_HEAD, count)) == b"abc"
        refused = self._read(trailer_of(MAX_HEAD + 1, count))
        assert isinstance(refused, FramingError)
        assert (refused.status, str(refused)) == (400, "the trailer fields are over 65536 bytes")

    def test_at_most_100_trailer_fields(self) -> None:
        """100 trailer fields are read; 101 are a 400."""
        assert self._read(b"".join(b"X-%d: 1\r\n" % i for i in range(100))) == b"abc"
        refused = self._read(b"".join(b"X-%d: 1\r\n" % i for i in range(101)))
        assert isinstance(refused, FramingError)
        assert refused.status == 400
        assert str(refused) == "too many trailer lines after a chunked body"


class TestWireReading:
    def test_request_heads_as_read(self) -> None:
        """Each head gives its method, origin-form target, fields as sent and declared length;
        a pipelined second request is read after the first one's body and answer."""
        wire, client = _wire(LIMIT)
        with client, wire.sock:
            client.sendall(
                b"POST /p?q=1 HTTP/1.1\r\nhost: x\r\nContent-Length: 3\r\n\r\nabc"
                b"GET http://h:1/g HTTP/1.1\r\nHost: x\r\nX-A: b\r\n\r\n"
            )
            assert wire.next_request() == http1.RequestHead(
                "POST", "/p?q=1", [("host", "x"), ("Content-Length", "3")], 3
            )
            assert wire.read_body() == b"abc"
            wire.answer(200, [("Content-Length", "0")], b"")  # kept alive unless told to close
            assert client.recv(65536).startswith(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n")
            assert wire.next_cycle()
            assert wire.next_request() == http1.RequestHead(
                "GET", "/g", [("Host", "h:1"), ("X-A", "b")], None
            )
            assert wire.read_body() == b""

    def test_an_answer_before_any_request_read_closes(self) -> None:
        """A Wire that has read no request yet keeps nothing alive: its answer says close."""
        wire, client = _wire(LIMIT)
        with client, wire.sock:
            wire.answer(400, [("Content-Length", "0")], b"")
            assert b"\r\nConnection: close\r\n" in client.recv(65536)
            assert not wire.next_cycle()


class TestAnswers:
    def test_server_and_date_fields(self, address: tuple[str, int]) -> None:
        """Every answer names the server and carries an IMF-fixdate Date (RFC 9110 §5.6.7)."""
        answer = exchange(address, b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        head = answer.partition(b"\r\n\r\n")[0].decode("latin-1")
        assert "\r\nServer: fcsdk-local\r\n" in head
        assert re.search(
            r"\r\nDate: (Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d [A-Z][a-z]{2} \d{4} "
            r"\d\d:\d\d:\d\d GMT(\r\n|$)",
            head,
        ), head

    def test_an_answer_of_exactly_64_kib(self, address: tuple[str, int]) -> None:
        """A 65536-byte body goes out once, whole, and the next answer follows it."""
        answer = exchange(
            address,
            b"POST /invoke HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % LIMIT
            + b"x" * LIMIT
            + b"POST /invoke HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 2\r\n"
            b"\r\nok",
        )
        head, _, rest = answer.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200 ")
        assert b"\r\nContent-Length: 65536\r\n" in head
        assert rest[:LIMIT] == b"X" * LIMIT
        assert rest[LIMIT:].startswith(b"HTTP/1.1 200 ")
        assert rest.endswith(b"\r\n\r\nOK")

    @pytest.mark.parametrize(
        "fields",
        [b"Connection: close,keep-alive\r\n", b"Connection: keep-alive\r\nConnection: close\r\n"],
    )
    def test_close_among_connection_options(self, address: tuple[str, int], fields: bytes) -> None:
        """close among several Connection options, in one field or two, closes the connection."""
        answer = exchange(
            address,
            b"GET / HTTP/1.1\r\nHost: x\r\n" + fields + b"\r\n"
            b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        )
        assert answer.count(b"HTTP/1.1 200 ") == 1
        assert b"\r\nConnection: close\r\n" in answer
