"""Tests for fcsdk/_local/server.py: the HTTP front, in-process, with a real HTTP client."""

from __future__ import annotations

import io
import re
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from fcsdk._local.instance import FunctionConfig, Instance
from fcsdk._local.logs import RuntimeLogs
from fcsdk._local.server import HostedFunction, LocalServer, _Handler, is_loopback
from tests.local.serving import APPS

HEADERS_APP = """
def handler(environ, start_response):
    kind = environ["PATH_INFO"]
    if kind.startswith("/status/"):
        start_response(kind[8:] + " Whatever", [("Content-Type", "text/plain")])
        return [b"a body that must not be sent"]
    if kind == "/bad-name":
        start_response("200 OK", [("Bad Name", "x")])
    elif kind == "/control":
        start_response("200 OK", [("X-Name", "a\\x01b")])
    elif kind == "/not-latin1":
        start_response("200 OK", [("X-Name", "\\u00e9\\u4e2d")])
    elif kind.startswith("/declared/"):
        start_response("200 OK", [("Content-Length", kind[10:])])
        return []
    else:
        start_response("200 OK", [("X-Fc-Request-Id", "spoofed"), ("Connection", "keep-alive")])
    return [environ["fc.context"].function.name.encode()]
"""


@pytest.fixture(scope="module")
def code(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A code folder with a WSGI app that answers odd headers."""
    folder = tmp_path_factory.mktemp("server_code")
    (folder / "headers_app.py").write_text(HEADERS_APP)
    yield folder
    sys.modules.pop("headers_app", None)


@pytest.fixture(scope="module")
def server(code: Path) -> Iterator[tuple[LocalServer, str, io.StringIO]]:
    """A server hosting two functions in-process: 'first' (default) and 'second'."""
    out = io.StringIO()
    logs = RuntimeLogs(out)
    hosted = {
        name: HostedFunction(
            Instance(FunctionConfig(handler="headers_app.handler", code_dir=code, name=name), logs),
            "wsgi",
        )
        for name in ("first", "second")
    }
    local = LocalServer(("127.0.0.1", 0), hosted, logs)
    thread = threading.Thread(target=local.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield local, f"http://127.0.0.1:{local.server_address[1]}", out
    finally:
        local.shutdown()
        thread.join(10)
        local.server_close()


class TestRouting:
    def test_proxy_routes_by_name(self, server: tuple[LocalServer, str, io.StringIO]) -> None:
        """With several functions, the proxy prefix picks one by name; plain paths the first."""
        _, url, _ = server
        assert httpx.get(url + "/2016-08-15/proxy/s/second/x", timeout=10).text == "second"
        assert httpx.get(url + "/2016-08-15/proxy/s/first", timeout=10).text == "first"
        assert httpx.get(url + "/x", timeout=10).text == "first"

    def test_unknown_proxy_function(self, server: tuple[LocalServer, str, io.StringIO]) -> None:
        """A proxy path naming no hosted function is FC's 404 FunctionNotFound."""
        _, url, _ = server
        response = httpx.get(url + "/2016-08-15/proxy/s/third/x", timeout=10)
        assert response.status_code == 404
        assert response.json()["errorCode"] == "FunctionNotFound"

    @pytest.mark.parametrize(
        "path",
        [
            "/2023-03-30/functions/third/invocations",
            "/2016-08-15/services/s/functions/third/invocations",
        ],
    )
    def test_invoking_an_unknown_function(
        self, server: tuple[LocalServer, str, io.StringIO], path: str
    ) -> None:
        """The invocation API names a function exactly: an unknown one is FC's 404."""
        _, url, _ = server
        response = httpx.post(url + path, content=b"{}", timeout=10)
        assert response.status_code == 404
        assert response.headers["x-fc-error-type"] == "FcCommonError"
        assert response.json() == {
            "errorCode": "FunctionNotFound",
            "errorMessage": "function 'third' does not exist",
        }

    def test_an_unknown_method_is_501(self, server: tuple[LocalServer, str, io.StringIO]) -> None:
        """A method FC does not serve is FC's 501 NotImplemented naming it, and a close."""
        import json

        answer = exchange_raw(server[0].server_port, b"BREW /pot HTTP/1.1\r\nHost: x\r\n\r\n")
        head, _, body = answer.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 501 Not Implemented\r\n")
        assert b"\r\nConnection: close" in head
        assert json.loads(body) == {
            "errorCode": "NotImplemented",
            "errorMessage": "unsupported method 'BREW'",
        }

    def test_own_request_id_wins(self, server: tuple[LocalServer, str, io.StringIO]) -> None:
        """The app cannot spoof x-fc-request-id or hop-by-hop headers."""
        _, url, _ = server
        response = httpx.get(url + "/ok", timeout=10)
        assert response.headers.get_list("x-fc-request-id") != ["spoofed"]
        assert len(response.headers.get_list("x-fc-request-id")) == 1

    @pytest.mark.parametrize(
        ("path", "message"),
        [
            ("/bad-name", "invalid response header name"),
            ("/not-latin1", "is not latin-1"),
            ("/control", "has a control character"),
        ],
    )
    def test_bad_headers(
        self, server: tuple[LocalServer, str, io.StringIO], path: str, message: str
    ) -> None:
        """Headers that cannot go on the wire answer 502 saying why."""
        _, url, _ = server
        response = httpx.get(url + path, timeout=10)
        assert response.status_code == 502
        assert message in response.json()["errorMessage"]


class TestStatuses:
    @pytest.mark.parametrize("status", [204, 304])
    def test_bodiless_statuses(
        self, server: tuple[LocalServer, str, io.StringIO], status: int
    ) -> None:
        """204 and 304 go out without a body whatever the app returned; a 304 says its length is
        0, a 204 has no Content-Length at all (RFC 9110 section 8.6)."""
        _, url, _ = server
        with httpx.Client(timeout=10) as client:
            response = client.get(url + f"/status/{status}")
            assert response.status_code == status
            assert response.content == b""
            lengths = {204: [], 304: ["0"]}[status]
            assert response.headers.get_list("content-length") == lengths
            # The connection is still in sync: the next request on it works.
            assert client.get(url + "/ok").text == "first"

    def test_status_without_a_phrase(self, server: tuple[LocalServer, str, io.StringIO]) -> None:
        """A status code with no standard phrase goes out with an empty reason."""
        _, url, _ = server
        response = httpx.get(url + "/status/299", timeout=10)
        assert response.status_code == 299
        assert response.reason_phrase == ""

    def test_idle_connection_closes_quietly(self) -> None:
        """A kept-alive connection that stays idle past the read timeout is closed, not logged."""
        import socket

        out = io.StringIO()
        logs = RuntimeLogs(out)
        instance = Instance(FunctionConfig(handler="events_app.handler", code_dir=APPS), logs)
        local = LocalServer(
            ("127.0.0.1", 0), {"f": HostedFunction(instance, "event")}, logs, read_timeout=0.3
        )
        thread = threading.Thread(target=local.serve_forever, kwargs={"poll_interval": 0.05})
        thread.start()
        try:
            with socket.create_connection(("127.0.0.1", local.server_port), timeout=10) as sock:
                sock.sendall(b"POST /invoke HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nab")
                answer = b""
                while not answer.endswith(b"AB"):
                    answer += sock.recv(65536)
                assert sock.recv(100) == b""  # closed after the idle timeout
            assert "client gone" not in out.getvalue()
        finally:
            local.shutdown()
            thread.join(10)
            local.server_close()

    @pytest.mark.parametrize("declared", ["-5", "1e3"])
    def test_head_ignores_a_declared_length_that_is_no_number(
        self, server: tuple[LocalServer, str, io.StringIO], declared: str
    ) -> None:
        """A HEAD answer whose app declares a Content-Length that is not digits goes out with
        the length of what the app sent (0), not with the app's value."""
        _, url, _ = server
        response = httpx.head(url + f"/declared/{declared}", timeout=10)
        assert response.status_code == 200
        assert response.headers.get_list("content-length") == ["0"]

    def test_a_declared_length_is_not_what_a_get_gets(
        self, server: tuple[LocalServer, str, io.StringIO]
    ) -> None:
        """A GET answer's Content-Length is its body's, whatever length the app declared; the
        connection stays in sync."""
        _, url, _ = server
        with httpx.Client(timeout=10) as client:
            response = client.get(url + "/declared/7")
            assert response.headers.get_list("content-length") == ["0"]
            assert response.content == b""
            assert client.get(url + "/ok").text == "first"

    def test_informational_status_refused(
        self, server: tuple[LocalServer, str, io.StringIO]
    ) -> None:
        """A 1xx status as the final answer is a 502."""
        _, url, _ = server
        response = httpx.get(url + "/status/102", timeout=10)
        assert response.status_code == 502
        assert "200 or more" in response.json()["errorMessage"]


class _WatchedLog(io.StringIO):
    """A log stream a test can wait on (bounded) until a text shows up in it."""

    def __init__(self) -> None:
        super().__init__()
        self.changed = threading.Condition()

    def write(self, text: str) -> int:
        with self.changed:
            written = super().write(text)
            self.changed.notify_all()
        return written

    def wait_for(self, text: str, seconds: float = 10.0) -> bool:
        """Whether ``text`` is in the log within ``seconds``."""
        with self.changed:
            return self.changed.wait_for(lambda: text in self.getvalue(), seconds)


class TestFailures:
    def test_busy_is_429(self, code: Path) -> None:
        """While an invocation holds the only slot past the wait, a request gets FC's 429."""
        logs = RuntimeLogs(io.StringIO())
        config = FunctionConfig(handler="headers_app.handler", code_dir=code, timeout=0.5)
        instance = Instance(config, logs)
        local = LocalServer(("127.0.0.1", 0), {"busy": HostedFunction(instance, "wsgi")}, logs)
        loop = threading.Thread(target=local.serve_forever, kwargs={"poll_interval": 0.05})
        loop.start()
        holding, release = threading.Event(), threading.Event()

        def hold(handler: Any, context: Any) -> bool:
            holding.set()
            return release.wait(30)

        # A real invocation that takes the slot (for longer than the 0.5 s a request waits).
        holder = threading.Thread(target=instance.call, args=(hold,), kwargs={"timeout": 30})
        holder.start()
        try:
            assert holding.wait(10)
            url = f"http://127.0.0.1:{local.server_address[1]}/ok"
            response = httpx.get(url, timeout=10)
            assert response.status_code == 429
            assert response.headers["x-fc-error-type"] == "FcCommonError"
            assert response.json()["errorCode"] == "ResourceThrottled"
            release.set()
            holder.join(10)
            assert httpx.get(url, timeout=10).status_code == 200  # free again: served
        finally:
            release.set()
            local.shutdown()
            loop.join(10)
            local.server_close()

    def test_a_timeout_is_answered_at_the_timeout(self, tmp_path: Path) -> None:
        """An HTTP request whose handler runs past the timeout gets FC's 502 timeout error at
        the timeout, on a closing connection, while the handler still runs; then the server
        serves on."""
        import time

        (tmp_path / "slow_app.py").write_text(
            "import threading\nRELEASE = threading.Event()\n"
            "def handler(event, context):\n"
            "    RELEASE.wait(30)\n"
            "    return {'statusCode': 200, 'body': 'late'}\n"
        )
        logs = RuntimeLogs(io.StringIO())
        config = FunctionConfig(handler="slow_app.handler", code_dir=tmp_path, timeout=0.3)
        local = LocalServer(
            ("127.0.0.1", 0), {"f": HostedFunction(Instance(config, logs), "event")}, logs
        )
        loop = threading.Thread(target=local.serve_forever, kwargs={"poll_interval": 0.05})
        loop.start()
        url = f"http://127.0.0.1:{local.server_port}/x"
        try:
            started = time.monotonic()
            response = httpx.get(url, timeout=20)
            assert time.monotonic() - started < 10  # not the handler's 30 s
            assert response.status_code == 502
            assert response.headers["x-fc-error-type"] == "UnhandledInvocationError"
            assert response.headers["connection"] == "close"
            assert response.json() == {"errorMessage": "Function timed out after 0.3 seconds"}
            sys.modules["slow_app"].RELEASE.set()
            assert httpx.get(url, timeout=10).text == "late"
        finally:
            sys.modules["slow_app"].RELEASE.set()
            local.shutdown()
            loop.join(10)
            local.server_close()
            sys.modules.pop("slow_app", None)

    def test_an_invocation_timeout_is_answered_at_the_timeout(self, tmp_path: Path) -> None:
        """POST /invoke whose handler runs past the timeout gets FC's timeout error at the
        timeout (200, UnhandledInvocationError, the request's id, a closing connection) while
        the handler still runs; the access log says so once the handler ends."""
        (tmp_path / "slow_invoke_app.py").write_text(
            "import threading\nRELEASE = threading.Event()\n"
            "def handler(event, context):\n"
            "    RELEASE.wait(30)\n"
            "    return event.upper()\n"
        )
        out = _WatchedLog()
        logs = RuntimeLogs(out)
        config = FunctionConfig(handler="slow_invoke_app.handler", code_dir=tmp_path, timeout=0.3)
        local = LocalServer(
            ("127.0.0.1", 0), {"f": HostedFunction(Instance(config, logs), "event")}, logs
        )
        loop = threading.Thread(target=local.serve_forever, kwargs={"poll_interval": 0.05})
        loop.start()
        url = f"http://127.0.0.1:{local.server_port}/invoke"
        try:
            response = httpx.post(url, content=b"late", timeout=10)
            assert response.status_code == 200
            assert response.headers["x-fc-error-type"] == "UnhandledInvocationError"
            assert response.headers["connection"] == "close"
            assert response.json() == {"errorMessage": "Function timed out after 0.3 seconds"}
            rid = response.headers["x-fc-request-id"]
            assert f"FC Invoke End RequestId: {rid}, Error: Function timed out" in out.getvalue()
            sys.modules["slow_invoke_app"].RELEASE.set()
            access = '"POST /invoke" function timed out '
            assert out.wait_for(access), out.getvalue()
            line = next(line for line in out.getvalue().splitlines() if access in line)
            assert line.endswith(f" ms RequestId: {rid}")
            assert httpx.post(url, content=b"next", timeout=10).content == b"NEXT"
        finally:
            sys.modules["slow_invoke_app"].RELEASE.set()
            local.shutdown()
            loop.join(10)
            local.server_close()
            sys.modules.pop("slow_invoke_app", None)

    def test_internal_error_is_500(
        self, server: tuple[LocalServer, str, io.StringIO], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A bug in the server itself answers 500 and is logged; the server lives on."""
        _, url, out = server

        def broken(self: Any, body: bytes, rid: str) -> str:
            raise RuntimeError("bug in routing")

        monkeypatch.setattr(_Handler, "_route", broken)
        response = httpx.get(url + "/ok", timeout=10)
        assert response.status_code == 500
        assert response.json() == {
            "errorCode": "InternalServerError",
            "errorMessage": "bug in routing",
        }
        assert "fcsdk: internal error in fcsdk serve:\n" in out.getvalue()
        monkeypatch.undo()
        assert httpx.get(url + "/ok", timeout=10).status_code == 200

    def test_client_gone_while_answering(
        self, server: tuple[LocalServer, str, io.StringIO], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A client that hangs up before the answer is written is logged, not fatal."""
        _, url, out = server

        def hung_up(self: Any, *args: Any, **kwargs: Any) -> None:
            raise BrokenPipeError(32, "Broken pipe")

        monkeypatch.setattr(_Handler, "_send", hung_up)
        with pytest.raises(httpx.RemoteProtocolError):
            httpx.get(url + "/ok", timeout=10)
        assert "client gone while answering" in out.getvalue()

    def test_handle_error_logs(self, server: tuple[LocalServer, str, io.StringIO]) -> None:
        """An error escaping a connection is logged with its traceback."""
        local, _, out = server
        try:
            raise ValueError("escaped")
        except ValueError:
            local.handle_error(None, ("10.0.0.1", 5))
        assert "error on a connection from 10.0.0.1" in out.getvalue()
        assert "ValueError: escaped" in out.getvalue()


def exchange_raw(port: int, data: bytes) -> bytes:
    """Send ``data``, read until the server closes (after its access log line), bounded."""
    import socket

    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(data)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


class _Messages:
    """The server's own log lines (``fcsdk: ...``) as they are written; waits are bounded."""

    def __init__(self, local: LocalServer, monkeypatch: pytest.MonkeyPatch) -> None:
        self.lines: list[str] = []
        self.changed = threading.Condition()
        write = local.logs.message

        def message(text: str) -> None:
            write(text)
            with self.changed:
                self.lines.append(text)
                self.changed.notify_all()

        monkeypatch.setattr(local.logs, "message", message)

    def wait_for(self, text: str, seconds: float = 10.0) -> list[str]:
        """The lines so far, once one of them holds ``text`` (an assertion after ``seconds``)."""
        with self.changed:
            found = self.changed.wait_for(lambda: any(text in x for x in self.lines), seconds)
            assert found, f"{text!r} not logged: {self.lines}"
            return list(self.lines)


class TestAccessLog:
    @pytest.mark.parametrize(
        ("sent", "logged"),
        [
            (b"GET /ok HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", '"GET /ok" 200'),
            (
                b"GET /a#b HTTP/1.1\r\nHost: x\r\n\r\n",
                '"- -" 400 (a request target cannot hold a #fragment (RFC 9112 section 3.2))',
            ),
            (b"BREW /pot HTTP/1.1\r\nHost: x\r\n\r\n", '"BREW /pot" 501'),
            (
                b"POST /2023-03-30/functions/nope/invocations HTTP/1.1\r\nHost: x\r\n"
                b"Content-Length: 0\r\n\r\n",
                '"POST /2023-03-30/functions/nope/invocations" 404',
            ),
        ],
    )
    def test_one_line_per_request(
        self,
        server: tuple[LocalServer, str, io.StringIO],
        monkeypatch: pytest.MonkeyPatch,
        sent: bytes,
        logged: str,
    ) -> None:
        """Each request is logged as: client address, "method target", outcome (a framing
        error's with its reason), the time taken, and the request id the answer carried."""
        import itertools
        import types

        import fcsdk._local.server as server_module

        local = server[0]
        clocks: dict[int, Iterator[float]] = {}  # a clock per thread, each 250 ms a reading

        def monotonic() -> float:
            ticks = clocks.setdefault(threading.get_ident(), itertools.count(100.0, 0.25))
            return next(ticks)

        fake = types.SimpleNamespace(monotonic=monotonic)
        monkeypatch.setattr(server_module, "time", fake)
        messages = _Messages(local, monkeypatch)
        answer = exchange_raw(local.server_port, sent)
        rid = re.search(rb"\r\nx-fc-request-id: (\S+)\r\n", answer)
        assert rid is not None, answer[:300]
        line = f"127.0.0.1 {logged} 250.0 ms RequestId: {rid.group(1).decode()}"
        assert line in messages.wait_for(f"RequestId: {rid.group(1).decode()}")


class TestFailedAnswers:
    def test_a_failed_answer_ends_the_connection(
        self, server: tuple[LocalServer, str, io.StringIO], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """When an answer cannot be written, the connection is closed: a request pipelined
        behind it is not read."""
        from fcsdk._local.http1 import Wire

        local = server[0]
        answered = Wire.answer
        failed: list[int] = []

        def fail_once(self: Wire, status: int, *args: Any, **kwargs: Any) -> None:
            if not failed:
                failed.append(status)
                raise BrokenPipeError(32, "Broken pipe")
            answered(self, status, *args, **kwargs)

        monkeypatch.setattr(Wire, "answer", fail_once)
        messages = _Messages(local, monkeypatch)
        one = b"GET /ok HTTP/1.1\r\nHost: x\r\n\r\n"
        assert exchange_raw(local.server_port, one + one) == b""
        assert failed == [200]
        messages.wait_for('"GET /ok" client gone while answering ')

    @pytest.mark.parametrize(
        ("sent", "outcome"),
        [
            (b"GET /a#b HTTP/1.1\r\nHost: x\r\n\r\n", '"- -" 400 ('),
            (b"GET /broken HTTP/1.1\r\nHost: x\r\n\r\n", '"GET /broken" 500 '),
        ],
    )
    def test_a_refusal_the_client_cannot_get_is_logged_as_usual(
        self,
        server: tuple[LocalServer, str, io.StringIO],
        monkeypatch: pytest.MonkeyPatch,
        sent: bytes,
        outcome: str,
    ) -> None:
        """A refusal or a 500 whose answer cannot be written (the client hung up) is logged
        as the request's outcome; the server's own error handler has nothing to report."""
        from fcsdk._local.http1 import Wire

        local = server[0]

        def hung_up(self: Wire, *args: Any, **kwargs: Any) -> None:
            raise BrokenPipeError(32, "Broken pipe")

        def broken(self: Any, body: bytes, rid: str) -> str:
            raise RuntimeError("bug in routing")

        monkeypatch.setattr(Wire, "answer", hung_up)
        monkeypatch.setattr(_Handler, "_route", broken)
        messages = _Messages(local, monkeypatch)
        assert exchange_raw(local.server_port, sent) == b""
        lines = messages.wait_for(outcome)
        assert not any("error on a connection" in line for line in lines)


class TestServerObject:
    def test_needs_a_function(self) -> None:
        """A server with no function is a ValueError."""
        with pytest.raises(ValueError, match="at least one function"):
            LocalServer(("127.0.0.1", 0), {}, RuntimeLogs(io.StringIO()))

    def test_ipv6_loopback(self) -> None:
        """An IPv6 host is served over IPv6."""
        logs = RuntimeLogs(io.StringIO())
        instance = Instance(FunctionConfig(handler="events_app.handler", code_dir=APPS), logs)
        try:
            local = LocalServer(("::1", 0), {"f": HostedFunction(instance, "event")}, logs)
        except OSError:
            pytest.skip("no IPv6 loopback on this machine")
        thread = threading.Thread(target=local.serve_forever, kwargs={"poll_interval": 0.05})
        thread.start()
        try:
            url = f"http://[::1]:{local.server_address[1]}/invoke"
            assert httpx.post(url, content=b"six", timeout=10).content == b"SIX"
        finally:
            local.shutdown()
            thread.join(10)
            local.server_close()

    def test_connection_threads_are_reused_and_end_with_the_server(self) -> None:
        """Sequential connections share one pooled thread; server_close lets the idle ones end."""
        logs = RuntimeLogs(io.StringIO())
        instance = Instance(FunctionConfig(handler="events_app.handler", code_dir=APPS), logs)
        local = LocalServer(("127.0.0.1", 0), {"f": HostedFunction(instance, "event")}, logs)
        thread = threading.Thread(target=local.serve_forever, kwargs={"poll_interval": 0.05})
        thread.start()

        others = {t for t in threading.enumerate() if t.name == "fcsdk-connection"}

        def connection_threads() -> list[threading.Thread]:
            """This server's connection threads (other servers of the module have theirs)."""
            return [
                t for t in threading.enumerate() if t.name == "fcsdk-connection" and t not in others
            ]

        try:
            url = f"http://127.0.0.1:{local.server_address[1]}/invoke"
            for n in range(20):  # a new connection each time (httpx.post does not keep it)
                answer = httpx.post(url, content=f"call{n}".encode(), timeout=10)
                assert answer.content == f"CALL{n}".encode()
            # each connection's thread went back to the pool before the next one came
            assert len(connection_threads()) <= 2
            with httpx.Client(timeout=10) as a, httpx.Client(timeout=10) as b:
                assert a.post(url, content=b"x").content == b"X"  # two open at once:
                assert b.post(url, content=b"y").content == b"Y"  # a thread each
                assert len(connection_threads()) >= 2
        finally:
            local.shutdown()
            thread.join(10)
            local.server_close()
        for pooled in connection_threads():
            pooled.join(10)
        assert connection_threads() == []

    def test_wait_async(self) -> None:
        """wait_async returns how many background jobs outlive the wait."""
        logs = RuntimeLogs(io.StringIO())
        instance = Instance(FunctionConfig(handler="events_app.handler", code_dir=APPS), logs)
        local = LocalServer(("127.0.0.1", 0), {"f": HostedFunction(instance, "event")}, logs)
        try:
            release = threading.Event()

            def job() -> None:
                release.wait(5)

            local.run_async(job)
            assert local.wait_async(0.05) == 1
            release.set()
            assert local.wait_async(5) == 0
        finally:
            local.server_close()

    @pytest.mark.parametrize(
        ("host", "expected"),
        [
            ("127.0.0.1", True),
            ("127.1.2.3", True),
            ("localhost", True),
            ("::1", True),
            ("0.0.0.0", False),
        ],
    )
    def test_is_loopback(self, host: str, expected: bool) -> None:
        """Only loopback addresses count as loopback."""
        assert is_loopback(host) is expected

    def test_unresolvable_is_not_loopback(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """A name that does not resolve is not loopback."""

        def fail(*args: Any) -> Any:
            raise OSError("no such name")

        monkeypatch.setattr("socket.getaddrinfo", fail)
        assert is_loopback("name.invalid") is False


class TestSlowClients:
    @pytest.mark.parametrize(
        "head",
        [
            b"POST /invoke HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nab",
            b"POST /invoke HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n",
        ],
    )
    def test_stalled_body_times_out(self, head: bytes) -> None:
        """A client that stops sending mid-body is dropped after the read timeout."""
        import socket

        out = io.StringIO()
        logs = RuntimeLogs(out)
        instance = Instance(FunctionConfig(handler="events_app.handler", code_dir=APPS), logs)
        local = LocalServer(
            ("127.0.0.1", 0), {"f": HostedFunction(instance, "event")}, logs, read_timeout=0.3
        )
        thread = threading.Thread(target=local.serve_forever, kwargs={"poll_interval": 0.05})
        thread.start()
        try:
            address = ("127.0.0.1", local.server_address[1])
            with socket.create_connection(address, timeout=10) as sock:
                sock.sendall(head)
                assert sock.recv(100) == b""  # closed by the server, nothing answered
            assert "client gone (reading the body failed" in out.getvalue()
        finally:
            local.shutdown()
            thread.join(10)
            local.server_close()

    @pytest.mark.parametrize(
        ("sent", "logged"),
        [
            (b"GET / HT", '"- -" client gone (the client went away in the middle of a request)'),
            (
                b"POST /invoke HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nab",
                '"POST /invoke" client gone (the client went away in the middle of a request)',
            ),
        ],
    )
    def test_a_client_gone_mid_request_is_logged(self, sent: bytes, logged: str) -> None:
        """A client that ends its side mid-head or mid-body gets no answer, and the access log
        says it went away."""
        import socket

        out = io.StringIO()
        logs = RuntimeLogs(out)
        instance = Instance(FunctionConfig(handler="events_app.handler", code_dir=APPS), logs)
        local = LocalServer(("127.0.0.1", 0), {"f": HostedFunction(instance, "event")}, logs)
        thread = threading.Thread(target=local.serve_forever, kwargs={"poll_interval": 0.05})
        thread.start()
        try:
            address = ("127.0.0.1", local.server_address[1])
            with socket.create_connection(address, timeout=10) as sock:
                sock.sendall(sent)
                sock.shutdown(socket.SHUT_WR)
                assert sock.recv(100) == b""  # closed by the server (after logging), unanswered
            assert logged in out.getvalue()
        finally:
            local.shutdown()
            thread.join(10)
            local.server_close()

    def test_one_100_continue_per_request(self) -> None:
        """An Expect: 100-continue request gets one 100 Continue, not one per read of a body
        that comes in pieces (here a chunk size line cut short, then silence)."""
        import socket

        out = io.StringIO()
        logs = RuntimeLogs(out)
        instance = Instance(FunctionConfig(handler="events_app.handler", code_dir=APPS), logs)
        local = LocalServer(
            ("127.0.0.1", 0), {"f": HostedFunction(instance, "event")}, logs, read_timeout=0.3
        )
        thread = threading.Thread(target=local.serve_forever, kwargs={"poll_interval": 0.05})
        thread.start()
        try:
            address = ("127.0.0.1", local.server_address[1])
            with socket.create_connection(address, timeout=10) as sock:
                sock.sendall(
                    b"POST /invoke HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
                    b"Transfer-Encoding: chunked\r\n\r\n"
                )
                continued = b""
                while not continued.endswith(b"\r\n\r\n"):
                    continued += sock.recv(1)
                assert continued == b"HTTP/1.1 100 Continue\r\n\r\n"
                sock.sendall(b"5\r")  # an unfinished chunk size: the server reads on
                rest = b""
                while chunk := sock.recv(100):  # until the read timeout closes it
                    rest += chunk
                assert rest == b""
            assert "client gone (reading the body failed: timed out)" in out.getvalue()
        finally:
            local.shutdown()
            thread.join(10)
            local.server_close()


def _local_server() -> LocalServer:
    logs = RuntimeLogs(io.StringIO())
    instance = Instance(FunctionConfig(handler="events_app.handler", code_dir=APPS), logs)
    return LocalServer(("127.0.0.1", 0), {"f": HostedFunction(instance, "event")}, logs)


class TestBackgroundJobs:
    def test_jobs_never_keep_the_process_alive(self) -> None:
        """A background invocation runs in a daemon thread: it cannot hold the process open."""
        local = _local_server()
        release = threading.Event()

        def job() -> None:
            release.wait(5)

        try:
            local.run_async(job)
            jobs = list(local._async_jobs)
            assert [job.daemon for job in jobs] == [True]
        finally:
            release.set()
            assert local.wait_async(5) == 0
            local.server_close()

    def test_wait_uses_all_of_a_short_timeout(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """wait_async waits for a job ending within the timeout, however short the timeout."""
        import types

        import fcsdk._local.server as server_module

        local = _local_server()
        release = threading.Event()
        calls: list[int] = []

        def monotonic() -> float:
            calls.append(1)
            if len(calls) == 2:  # the job is listed: let it end during the wait
                release.set()
            return 0.0  # time stands still: only the job's end stops the wait

        def job() -> None:
            release.wait(5)

        try:
            local.run_async(job)
            monkeypatch.setattr(server_module, "time", types.SimpleNamespace(monotonic=monotonic))
            assert local.wait_async(0.5) == 0
        finally:
            release.set()
            monkeypatch.undo()
            local.wait_async(5)
            local.server_close()


class TestLoopbackResolution:
    @pytest.mark.parametrize(
        ("addresses", "expected"),
        [
            (["127.0.0.5"], True),
            (["::1"], True),
            (["127.0.0.1", "::1"], True),
            (["127.0.0.1", "10.0.0.7"], False),
            (["192.168.1.20"], False),
        ],
    )
    def test_a_name_is_loopback_when_all_its_addresses_are(
        self, addresses: list[str], expected: bool, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A host name is loopback only when every address it resolves to is."""
        import socket

        def getaddrinfo(host: str, port: Any) -> list[Any]:
            assert (host, port) == ("devbox.internal", None)
            infos = []
            for address in addresses:
                family = socket.AF_INET6 if ":" in address else socket.AF_INET
                sockaddr = (address, 0, 0, 0) if ":" in address else (address, 0)
                infos.append((family, socket.SOCK_STREAM, 6, "", sockaddr))
            return infos

        monkeypatch.setattr("socket.getaddrinfo", getaddrinfo)
        assert is_loopback("devbox.internal") is expected


class TestResultLimit:
    def test_a_result_over_the_limit_is_a_function_error(self) -> None:
        """An event function's result over the body limit is answered as a function error."""
        out = io.StringIO()
        logs = RuntimeLogs(out)
        instance = Instance(FunctionConfig(handler="events_app.handler", code_dir=APPS), logs)
        hosted = {"f": HostedFunction(instance, "event")}
        local = LocalServer(("127.0.0.1", 0), hosted, logs, max_body_size=32)
        thread = threading.Thread(target=local.serve_forever, kwargs={"poll_interval": 0.05})
        thread.start()
        try:
            url = f"http://127.0.0.1:{local.server_address[1]}/invoke"
            fits = httpx.post(url, content=b"x" * 32, timeout=10)
            assert fits.content == b"X" * 32
            assert fits.headers["content-type"] == "application/octet-stream"
            response = httpx.post(url, content=b"info", timeout=10)  # a JSON object: longer
        finally:
            local.shutdown()
            thread.join(10)
            local.server_close()
        assert response.status_code == 200
        assert response.headers["x-fc-error-type"] == "UnhandledInvocationError"
        assert '"POST /invoke" 200 ' in out.getvalue()  # the access log's outcomes
        assert '"POST /invoke" response too large ' in out.getvalue()
        message = response.json()["errorMessage"]
        assert re.fullmatch(
            r"the function's response \(\d+ bytes\) exceeds FC's limit of 32 bytes", message
        )


class TestLookup:
    def test_one_function_answers_any_name(self) -> None:
        """A server with one function serves it under any name; with two, names must match."""
        logs = RuntimeLogs(io.StringIO())
        instance = Instance(FunctionConfig(handler="events_app.handler", code_dir=APPS), logs)
        hosted = HostedFunction(instance, "event")
        single = LocalServer(("127.0.0.1", 0), {"f": hosted}, logs)
        double = LocalServer(("127.0.0.1", 0), {"f": hosted, "g": hosted}, logs)
        try:
            assert single.lookup("f") is hosted
            assert single.lookup("any-name") is hosted
            assert double.lookup("g") is hosted
            assert double.lookup("any-name") is None
        finally:
            single.server_close()
            double.server_close()


class TestEventContext:
    def test_an_event_function_gets_its_request_context(self) -> None:
        """An event function invoked in process gets a context carrying the request's id."""
        logs = RuntimeLogs(io.StringIO())
        config = FunctionConfig(handler="events_app.handler", code_dir=APPS, name="ctx-fn")
        local = LocalServer(
            ("127.0.0.1", 0), {"f": HostedFunction(Instance(config, logs), "event")}, logs
        )
        thread = threading.Thread(target=local.serve_forever, kwargs={"poll_interval": 0.05})
        thread.start()
        try:
            url = f"http://127.0.0.1:{local.server_address[1]}/invoke"
            response = httpx.post(url, content=b"info", timeout=10)
        finally:
            local.shutdown()
            thread.join(10)
            local.server_close()
        info = response.json()
        assert info["request_id"] == response.headers["x-fc-request-id"]
        assert info["function"] == "ctx-fn"


class TestAsyncInvocation:
    @pytest.mark.parametrize("kind", ["Async", "ASYNC"])
    def test_async_invocation_is_202_and_its_failure_logged(self, kind: str) -> None:
        """X-Fc-Invocation-Type: Async (any case) answers 202; the run's failure is logged."""
        out = io.StringIO()
        logs = RuntimeLogs(out)
        instance = Instance(FunctionConfig(handler="events_app.handler", code_dir=APPS), logs)
        local = LocalServer(("127.0.0.1", 0), {"f": HostedFunction(instance, "event")}, logs)
        thread = threading.Thread(target=local.serve_forever, kwargs={"poll_interval": 0.05})
        thread.start()
        try:
            url = f"http://127.0.0.1:{local.server_address[1]}/invoke"
            headers = {"X-Fc-Invocation-Type": kind}
            response = httpx.post(url, content=b"crash", headers=headers, timeout=10)
            assert local.wait_async(10) == 0
            sync = httpx.post(url, content=b"crash", timeout=10)
        finally:
            local.shutdown()
            thread.join(10)
            local.server_close()
        assert (response.status_code, response.content) == (202, b"")
        rid = response.headers["x-fc-request-id"]
        assert f"FC Invoke Start RequestId: {rid}\n" in out.getvalue()  # the run has the 202's id
        assert f"async invocation {rid} failed: {{" in out.getvalue()
        assert '"errorMessage": "boom"' in out.getvalue()
        assert sync.headers["x-fc-error-type"] == "UnhandledInvocationError"
        assert sync.status_code == 200
        assert '"POST /invoke" 202 ' in out.getvalue()  # the access log's outcomes
        assert '"POST /invoke" function error ' in out.getvalue()
