"""What ``fcsdk serve`` writes on the wire: HEAD answers, framing headers, keep-alive.

Checked on raw sockets, where a client library would hide a stray body byte or
a framing header it tolerates; every read is bounded and fails by assertion.
"""

from __future__ import annotations

import io
import socket
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from fcsdk._local.instance import FunctionConfig, Instance
from fcsdk._local.logs import RuntimeLogs
from fcsdk._local.server import HostedFunction, LocalServer, Mode
from fcsdk.testing import HTTPClient

HELLO = b"hello from the app, 31 bytes.\n!"
assert len(HELLO) == 31

FLASK_APP = '''
from flask import Flask, Response

app = Flask(__name__)


@app.route("/hello")
def hello():
    return Response(HELLO, content_type="text/plain")


@app.route("/framing")
def framing():
    return Response(b"abc", headers={"Transfer-Encoding": "chunked", "Connection": "keep-alive"})


@app.route("/echo", methods=["POST"])
def echo():
    from flask import request
    return Response(request.get_data()[::-1])


def careless(environ, start_response):
    """A plain WSGI app that answers a body to every method, HEAD included."""
    if environ["PATH_INFO"] != "/careless":
        return app(environ, start_response)
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [HELLO]


import fcsdk as fc
handler = fc.from_wsgi(careless)
'''

FASTAPI_APP = '''
from fastapi import FastAPI, Request
from fastapi.responses import PlainTextResponse, Response

app = FastAPI()


@app.api_route("/hello", methods=["GET", "HEAD"])
async def hello():
    return PlainTextResponse(HELLO)


@app.get("/framing")
async def framing():
    return Response(b"abc", headers={"Transfer-Encoding": "chunked"})


@app.post("/echo")
async def echo(request: Request):
    return Response((await request.body())[::-1])


async def careless(scope, receive, send):
    """A plain ASGI app that answers a body to every method, HEAD included."""
    if scope["type"] != "http" or scope["path"] != "/careless":
        return await app(scope, receive, send)
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": HELLO})


import fcsdk as fc
handler = fc.from_asgi(careless, lifespan="off")
'''


@pytest.fixture(scope="module")
def code(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A code folder with the same small app in Flask (FC 2.0) and FastAPI (FC 3.0)."""
    folder = tmp_path_factory.mktemp("answers_code")
    prelude = f"HELLO = {HELLO!r}\n"
    (folder / "answers_flask.py").write_text(prelude + FLASK_APP)
    (folder / "answers_fastapi.py").write_text(prelude + FASTAPI_APP)
    yield folder
    for name in ("answers_flask", "answers_fastapi"):
        sys.modules.pop(name, None)


def serve(code: Path, handler: str, mode: Mode) -> Iterator[tuple[str, int]]:
    """Run an in-process server for ``handler`` until the generator is closed."""
    logs = RuntimeLogs(io.StringIO())
    instance = Instance(FunctionConfig(handler=handler, code_dir=code), logs)
    local = LocalServer(("127.0.0.1", 0), {"f": HostedFunction(instance, mode)}, logs)
    thread = threading.Thread(target=local.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield ("127.0.0.1", local.server_port)
    finally:
        local.shutdown()
        thread.join(10)
        local.server_close()


@pytest.fixture(scope="module", params=["wsgi", "event"])
def address(request: pytest.FixtureRequest, code: Path) -> Iterator[tuple[str, int]]:
    """``fcsdk serve`` in either mode: Flask as FC 2.0's WSGI, FastAPI as FC 3.0's events."""
    handler = "answers_flask.handler" if request.param == "wsgi" else "answers_fastapi.handler"
    yield from serve(code, handler, request.param)


class Reader:
    """Reads whole HTTP/1.1 answers off a raw socket, bounded by a deadline per read."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buffer = b""
        sock.settimeout(10)

    def _more(self, what: str) -> None:
        try:
            chunk = self.sock.recv(65536)
        except TimeoutError:
            raise AssertionError(f"no {what} within 10 s; got {self.buffer!r:.300}") from None
        if not chunk:
            raise AssertionError(f"the server closed before {what}; got {self.buffer!r:.300}")
        self.buffer += chunk

    def head(self) -> tuple[bytes, dict[str, str]]:
        """Read one answer's status line and header fields (names lower-cased)."""
        while b"\r\n\r\n" not in self.buffer:
            self._more("answer head")
        head, _, self.buffer = self.buffer.partition(b"\r\n\r\n")
        status, *lines = head.decode("latin-1").split("\r\n")
        fields = {}
        for line in lines:
            name, _, value = line.partition(":")
            assert name.lower() not in fields, f"{name} twice in {head!r}"
            fields[name.lower()] = value.strip()
        return status.encode(), fields

    def body(self, length: int) -> bytes:
        """Read exactly ``length`` body bytes."""
        while len(self.buffer) < length:
            self._more(f"{length} body bytes")
        body, self.buffer = self.buffer[:length], self.buffer[length:]
        return body

    def closed(self) -> bool:
        """Whether the server closed the connection (nothing more came, then EOF)."""
        try:
            return not self.buffer and self.sock.recv(1) == b""
        except TimeoutError:
            return False


@pytest.fixture
def raw(address: tuple[str, int]) -> Iterator[tuple[socket.socket, Reader]]:
    """A raw connection to the server and a reader of its answers."""
    with socket.create_connection(address, timeout=10) as sock:
        yield sock, Reader(sock)


class TestHead:
    @pytest.mark.parametrize("path", ["/hello", "/careless"])
    def test_head_carries_the_get_length_and_no_body(
        self, raw: tuple[socket.socket, Reader], path: str
    ) -> None:
        """HEAD gets GET's Content-Length and no body byte, even from an app that sends one."""
        sock, reader = raw
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        status, fields = reader.head()
        assert status.startswith(b"HTTP/1.1 200 ")
        assert reader.body(int(fields["content-length"])) == HELLO
        sock.sendall(f"HEAD {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        status, fields = reader.head()
        assert status.startswith(b"HTTP/1.1 200 ")
        if path == "/hello":  # (from_asgi itself drops a careless HEAD body and its length)
            assert fields["content-length"] == "31"
        sock.sendall(b"GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        status, fields = reader.head()  # a HEAD body byte would stand in front of this
        assert status.startswith(b"HTTP/1.1 200 ")
        assert reader.body(int(fields["content-length"])) == HELLO
        assert reader.closed()

    def test_head_agrees_with_the_test_client(self, address: tuple[str, int]) -> None:
        """A real client sees the same HEAD headers through the server as HTTPClient gives."""
        served = httpx.head(f"http://{address[0]}:{address[1]}/hello", timeout=10)
        assert served.status_code == 200
        assert served.headers["content-length"] == str(len(HELLO))
        assert served.content == b""


class TestFramingHeaders:
    def test_an_app_transfer_encoding_is_not_forwarded(
        self, raw: tuple[socket.socket, Reader]
    ) -> None:
        """An app's Transfer-Encoding is not sent: a Content-Length body, the connection lives."""
        sock, reader = raw
        sock.sendall(b"GET /framing HTTP/1.1\r\nHost: x\r\n\r\n")
        status, fields = reader.head()
        assert status.startswith(b"HTTP/1.1 200 ")
        assert "transfer-encoding" not in fields
        assert "connection" not in fields
        assert reader.body(int(fields["content-length"])) == b"abc"
        sock.sendall(b"GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
        status, fields = reader.head()
        assert reader.body(int(fields["content-length"])) == HELLO


class TestKeepAlive:
    @pytest.mark.parametrize("value", ["Close", "CLOSE", "keep-alive, Close"])
    def test_connection_close_in_any_case(
        self, raw: tuple[socket.socket, Reader], value: str
    ) -> None:
        """Connection: close is a token in any letter case: answered with close, then closed."""
        sock, reader = raw
        sock.sendall(f"GET /hello HTTP/1.1\r\nHost: x\r\nConnection: {value}\r\n\r\n".encode())
        _, fields = reader.head()
        assert fields["connection"] == "close"
        assert reader.body(int(fields["content-length"])) == HELLO
        assert reader.closed()

    def test_two_expect_100_continue_requests_on_one_connection(
        self, raw: tuple[socket.socket, Reader]
    ) -> None:
        """Each Expect: 100-continue request on a kept-alive connection gets its own 100."""
        sock, reader = raw
        for body in (b"first", b"second"):
            sock.sendall(
                b"POST /echo HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
                b"Content-Length: %d\r\n\r\n" % len(body)
            )
            status, _ = reader.head()  # the client waits for it before sending the body
            assert status == b"HTTP/1.1 100 Continue"
            sock.sendall(body)
            status, fields = reader.head()
            assert status.startswith(b"HTTP/1.1 200 ")
            assert reader.body(int(fields["content-length"])) == body[::-1]


def test_the_test_client_gives_the_same_head(code: Path) -> None:
    """HTTPClient's HEAD (the reference) carries GET's length too, in both places."""
    sys.path.insert(0, str(code))
    try:
        from answers_fastapi import handler as asgi  # type: ignore[import-not-found]
        from answers_flask import handler as wsgi  # type: ignore[import-not-found]
    finally:
        sys.path.remove(str(code))
    for client in (HTTPClient(wsgi, via="wsgi"), HTTPClient(asgi, via="fc3")):
        answer = client.head("/hello")
        assert answer.status_code == 200
        assert answer.headers["content-length"] == "31"
