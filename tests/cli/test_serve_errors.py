"""Tests for fcsdk/_cli/serve.py: bad input never kills the server, and says what was wrong."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.local.serving import APPS, ROOT, Served, served

pytestmark = pytest.mark.slow  # each test drives a real fcsdk serve process

LIMIT = 6 * 1024 * 1024


@pytest.fixture(scope="module")
def echo() -> Iterator[Served]:
    """An event function that upper-cases its event."""
    with served(
        "events_app.handler", "--code-dir", str(APPS), "--no-oss", "--mode", "event"
    ) as server:
        yield server


def raw_request(url: str, data: bytes, *, read: bool = True) -> bytes:
    """Send raw bytes to the server and return everything it answers (bounded)."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(data)
        if not read:
            return b""
        chunks = []
        while True:
            try:
                chunk = sock.recv(65536)
            except (ConnectionResetError, TimeoutError):
                break
            if not chunk:
                break
            chunks.append(chunk)
        return b"".join(chunks)


class TestBodyLimits:
    def test_declared_too_large(self, echo: Served) -> None:
        """A Content-Length over 6 MB answers 413 without reading the body."""
        answer = raw_request(
            echo.url,
            f"POST /invoke HTTP/1.1\r\nHost: x\r\nContent-Length: {LIMIT + 1}\r\n\r\n".encode(),
        )
        head, _, body = answer.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 413")
        assert b"x-fc-error-type: FcCommonError" in head
        assert b'"errorCode": "EntityTooLarge"' in body

    def test_expect_continue_refused(self, echo: Served) -> None:
        """With Expect: 100-continue, a too-large body is refused before it is sent."""
        answer = raw_request(
            echo.url,
            (
                f"POST /invoke HTTP/1.1\r\nHost: x\r\nContent-Length: {LIMIT + 1}\r\n"
                "Expect: 100-continue\r\n\r\n"
            ).encode(),
        )
        assert answer.startswith(b"HTTP/1.1 413")
        assert b"100 Continue" not in answer

    def test_expect_continue_accepted(self, echo: Served) -> None:
        """A small body with Expect: 100-continue gets 100, then the answer once it is sent."""
        host, port = echo.url.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=10) as sock:
            sock.sendall(
                b"POST /invoke HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n"
                b"Expect: 100-continue\r\nConnection: close\r\n\r\n"
            )
            assert sock.recv(1000).startswith(b"HTTP/1.1 100")
            sock.sendall(b"ab")
            answer = b""
            while chunk := sock.recv(65536):
                answer += chunk
        assert answer.startswith(b"HTTP/1.1 200")
        assert answer.endswith(b"\r\n\r\nAB")

    def test_chunked_too_large(self, echo: Served) -> None:
        """A chunked body growing past 6 MB answers 413 while the client is still sending."""
        size = format(LIMIT + 1, "x").encode()
        answer = raw_request(
            echo.url,
            b"POST /invoke HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
            + size
            + b"\r\n"
            + b"a" * (LIMIT + 1),
        )
        assert answer.startswith(b"HTTP/1.1 413")

    def test_exactly_the_limit(self, echo: Served) -> None:
        """A body of exactly 6 MB is accepted."""
        response = httpx.post(echo.url + "/invoke", content=b"a" * LIMIT, timeout=30)
        assert response.status_code == 200
        assert len(response.content) == LIMIT

    @pytest.mark.parametrize("length", ["abc", "-5", "1e3", ""])
    def test_bad_content_length(self, echo: Served, length: str) -> None:
        """A Content-Length that is not a number answers 400."""
        answer = raw_request(
            echo.url,
            f"POST /invoke HTTP/1.1\r\nHost: x\r\nContent-Length: {length}\r\n\r\n".encode(),
        )
        assert answer.startswith(b"HTTP/1.1 400")
        assert b"InvalidArgument" in answer

    @pytest.mark.parametrize("size_line", [b"zz", b"-1"])
    def test_malformed_chunks(self, echo: Served, size_line: bytes) -> None:
        """A malformed chunked body answers 400."""
        answer = raw_request(
            echo.url,
            b"POST /invoke HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
            + size_line
            + b"\r\n",
        )
        assert answer.startswith(b"HTTP/1.1 400")

    def test_chunked_with_trailer(self, echo: Served) -> None:
        """A chunked body with a trailer is read whole."""
        answer = raw_request(
            echo.url,
            b"POST /invoke HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
            b"Connection: close\r\n\r\n3;ext=1\r\nabc\r\n0\r\nX-Trailer: 1\r\n\r\n",
        )
        assert answer.endswith(b"\r\n\r\nABC")

    def test_endless_trailers(self, echo: Served) -> None:
        """A chunked body followed by endless trailer lines is refused with 400."""
        trailers = b"X-T: 1\r\n" * 150
        answer = raw_request(
            echo.url,
            b"POST /invoke HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
            b"1\r\na\r\n0\r\n" + trailers + b"\r\n",
        )
        assert answer.startswith(b"HTTP/1.1 400")
        assert b"too many trailer lines" in answer

    @pytest.mark.parametrize(
        "request_bytes",
        [
            b"POST /invoke HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\nonly a little",
            b"POST /invoke HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n10\r\nabc",
            b"POST /invoke HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n",
        ],
    )
    def test_client_disconnects_mid_body(self, echo: Served, request_bytes: bytes) -> None:
        """A client that goes away mid-body is dropped; the server keeps serving."""
        raw_request(echo.url, request_bytes, read=False)
        deadline = time.monotonic() + 10
        while "client gone" not in echo.log():
            assert time.monotonic() < deadline, echo.log()
            time.sleep(0.05)
        assert httpx.post(echo.url + "/invoke", content=b"still", timeout=10).content == b"STILL"

    def test_garbage_request_line(self, echo: Served) -> None:
        """A request that is not HTTP gets FC's 400 and the server stays up."""
        answer = raw_request(echo.url, b"GET / HTTP/1.1 extra words\r\n\r\n")
        head, _, body = answer.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 400")
        assert b"x-fc-request-id: 1-" in head
        assert b"x-fc-error-type: FcCommonError" in head
        assert b'"errorCode": "InvalidArgument"' in body
        assert httpx.post(echo.url + "/invoke", content=b"ok", timeout=10).content == b"OK"

    def test_unknown_method(self, echo: Served) -> None:
        """A method HTTP triggers do not take answers 501 with FC's error JSON."""
        response = httpx.request("PROPFIND", echo.url + "/x", timeout=10)
        assert response.status_code == 501
        assert response.headers["x-fc-request-id"].startswith("1-")
        assert response.json()["errorCode"] == "NotImplemented"


class TestLoadErrors:
    @pytest.mark.parametrize(
        ("handler", "error_type"),
        [
            ("events_app", "InvalidHandleName"),
            ("broken_import.handler", "UserCodeError"),
            ("no_such_module.handler", "ImportModuleError"),
            ("events_app.nope", "HandlerNotFound"),
        ],
    )
    def test_load_error_answers_every_request(self, handler: str, error_type: str) -> None:
        """A handler that cannot load: a warning at start, the runtime's error per request."""
        with served(handler, "--code-dir", str(APPS), "--no-oss") as server:
            for url in (server.url + "/anything", server.url + "/2016-08-15/proxy/s/f/x"):
                response = httpx.get(url, timeout=10)
                assert response.status_code == 502
                assert response.json()["errorType"] == error_type
            response = httpx.post(server.url + "/invoke", content=b"", timeout=10)
            assert response.headers["x-fc-error-type"] == "UnhandledInvocationError"
            assert response.json()["errorType"] == error_type
        assert f"warning: {error_type}:" in server.log()


class TestStartErrors:
    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "fcsdk", "serve", *args],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
            cwd=ROOT,
        )

    @pytest.mark.parametrize("extra", [[], ["--reload"]])
    def test_port_in_use(self, extra: list[str]) -> None:
        """A port already in use is a clear message and exit code 2."""
        with socket.create_server(("127.0.0.1", 0)) as busy:
            port = busy.getsockname()[1]
            result = self._run(
                "events_app.handler",
                "--code-dir",
                str(APPS),
                "--no-oss",
                "--port",
                str(port),
                *extra,
            )
        assert result.returncode == 2
        assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
        assert "in use" in result.stderr

    def test_no_handler(self) -> None:
        """Without a handler or --config, a usage message and exit code 2."""
        result = self._run("--no-oss")
        assert result.returncode == 2
        assert "give a handler string" in result.stderr

    def test_config_and_handler(self) -> None:
        """--config with a handler too is a usage error, not a silent choice."""
        result = self._run("index.handler", "--config", "examples/fcsdk-local.json")
        assert result.returncode == 2
        assert "give no handler with it" in result.stderr

    def test_bad_env_item(self) -> None:
        """A malformed --env item is exit code 2 with the item named."""
        result = self._run("events_app.handler", "--no-oss", "--env", "NOEQUALS")
        assert result.returncode == 2
        assert "'NOEQUALS': expected KEY=VALUE" in result.stderr

    @pytest.mark.parametrize(
        ("option", "value"),
        [
            ("--timeout", "0"),
            ("--timeout", "x"),
            ("--concurrency", "0"),
            ("--port", "70000"),
            ("--port", "http"),
        ],
    )
    def test_bad_numbers(self, option: str, value: str) -> None:
        """A non-positive timeout or concurrency is an argparse usage error."""
        result = self._run("events_app.handler", option, value)
        assert result.returncode == 2
        assert option in result.stderr
