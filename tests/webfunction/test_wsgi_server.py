"""Flask, ``@fc.http`` and ``HTTPApp`` web functions behind the real server, over real sockets."""

from __future__ import annotations

import re
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.leaks import encodings, leaks
from tests.webfunction.server import SECRET, TOKEN, WebServer, fc_headers

pytestmark = pytest.mark.slow


class TestFlask:
    def test_route_answers(self, flask_server: WebServer) -> None:
        """A plain Flask route answers through the thread pool."""
        answer = httpx.get(flask_server.url + "/hello", params={"name": "FC"}, timeout=30)
        assert (answer.status_code, answer.json()) == (200, {"hello": "FC"})

    def test_context_in_the_environ(self, flask_server: WebServer) -> None:
        """environ["fc.context"] and the typed environ["fcsdk.context"] carry the headers."""
        headers = fc_headers("flask-1", **{"x-fc-function-memory": "abc"})
        answer = httpx.get(flask_server.url + "/ctx?a=1&b=%2F", headers=headers, timeout=30)
        body = answer.json()
        assert (body["request_id"], body["typed"], body["current"]) == ("flask-1",) * 3
        assert body["memory"] is None
        assert (body["path"], body["query"]) == ("/ctx", "a=1&b=%2F")
        assert "X-Fc-Access-Key-Secret" not in body["fc_headers"]
        assert "X-Fc-Request-Id" in body["fc_headers"]
        assert re.search(r"Z flask-1 \[INFO\] flask marker flask-1", flask_server.stderr())

    def test_request_body_reaches_the_app(self, flask_server: WebServer) -> None:
        """A POST body of 1 MiB arrives whole."""
        payload = bytes(range(256)) * 4096
        answer = httpx.post(flask_server.url + "/echo", content=payload, timeout=30)
        assert answer.content == payload

    def test_20_sync_requests_run_at_once(self, flask_server: WebServer) -> None:
        """20 Flask requests meeting at a 20-party barrier all answer: 20 threads serve them."""
        with ThreadPoolExecutor(20) as pool:
            answers = list(
                pool.map(lambda _: httpx.get(flask_server.url + "/together", timeout=60), range(20))
            )
        assert sorted(a.json()["index"] for a in answers) == list(range(20))

    def test_streamed_response_arrives_as_produced(self, flask_server: WebServer) -> None:
        """The first chunk of a generator response arrives while the app waits to make the next."""
        with (
            httpx.Client(timeout=60) as client,
            client.stream("GET", flask_server.url + "/stream") as answer,
        ):
            chunks = answer.iter_raw()
            assert next(chunks) == b"first;"
            assert httpx.get(flask_server.url + "/release", timeout=30).status_code == 200
            assert b"".join(chunks) == b"second"

    def test_route_error_is_flasks_500_logged_with_the_request_id(
        self, flask_server: WebServer
    ) -> None:
        """Flask answers its own 500; its log record of the traceback carries the request id."""
        answer = httpx.get(flask_server.url + "/boom", headers=fc_headers("boom-1"), timeout=30)
        assert answer.status_code == 500
        assert "flask route failed" not in answer.text
        assert re.search(r"Z boom-1 \[ERROR\] Exception on /boom", flask_server.stderr())

    def test_post_invoke_reaches_the_app_without_a_handler(self, flask_server: WebServer) -> None:
        """A module without ``handler``: POST /invoke is the app's (Flask's 404 here)."""
        answer = httpx.post(flask_server.url + "/invoke", content=b"{}", timeout=30)
        assert answer.status_code == 404
        assert "x-fc-status" not in answer.headers

    def test_websocket_is_refused(self, flask_server: WebServer) -> None:
        """A WSGI app has no WebSocket: the upgrade is refused, the server keeps serving."""
        answer = httpx.get(
            flask_server.url + "/hello",
            headers={
                "connection": "upgrade",
                "upgrade": "websocket",
                "sec-websocket-version": "13",
                "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
            },
            timeout=30,
        )
        assert answer.status_code == 403
        assert httpx.get(flask_server.url + "/hello", timeout=30).status_code == 200


class TestOtherApps:
    def test_bare_wsgi_app(self, tmp_path: Path) -> None:
        """A bare WSGI function: its answer, a 500 naming the request id when it raises first."""
        with WebServer("raw_wsgi_app", tmp_path) as server:
            made = httpx.put(server.url + "/x", timeout=30)
            assert (made.status_code, made.text) == (201, "made PUT")
            assert made.headers["x-script"] == ""
            failed = httpx.get(server.url + "/boom", headers=fc_headers("raw-1"), timeout=30)
            assert failed.status_code == 500
            assert failed.json()["request_id"] == "raw-1"
            assert "raw app failed" not in failed.text
            with pytest.raises(httpx.HTTPError):
                httpx.get(server.url + "/cut", timeout=30)  # the response is cut short
            nothing = httpx.get(server.url + "/nothing", headers=fc_headers("raw-2"), timeout=30)
            assert nothing.status_code == 500
            assert httpx.get(server.url + "/x", timeout=30).status_code == 201
        log = server.stderr()
        assert "raw app failed" in log
        assert "stream broke" in log
        assert "without calling start_response" in log

    def test_environ_of_repeated_headers_and_chunked_bodies(self, tmp_path: Path) -> None:
        """Repeated headers join (cookies with ``; ``); a chunked body arrives with its length."""
        with WebServer("raw_wsgi_app:endless_app", tmp_path) as server:
            answer = httpx.post(
                server.url + "/echo-environ",
                headers=[("x-tag", "a"), ("x-tag", "b"), ("cookie", "c=1"), ("cookie", "d=2")],
                content=iter([b"chunked ", b"body"]),
                timeout=30,
            )
        assert answer.json() == {
            "HTTP_X_TAG": "a,b",
            "HTTP_COOKIE": "c=1; d=2",
            "CONTENT_LENGTH": "12",
            "SCRIPT_NAME": "",
            "PATH_INFO": "/echo-environ",
            "body": "chunked body",
        }

    def test_client_gone_stops_the_response(self, tmp_path: Path) -> None:
        """A client that leaves mid-response: the app's iterable is closed, not run to its end."""
        with WebServer("raw_wsgi_app:endless_app", tmp_path) as server:
            with (
                httpx.Client(timeout=30) as client,
                client.stream("GET", server.url + "/") as answer,
            ):
                assert len(next(answer.iter_raw())) > 0
            deadline = time.monotonic() + 30
            state = httpx.get(server.url + "/state", timeout=30).json()
            while state["closed"] == 0 and time.monotonic() < deadline:
                time.sleep(0.05)  # waiting for the server to notice the client left
                state = httpx.get(server.url + "/state", timeout=30).json()
            assert state["closed"] == 1
            assert state["produced"] < 100_000
            early = httpx.get(server.url + "/early-body", headers=fc_headers("eb-1"), timeout=30)
            assert (early.status_code, early.json()["request_id"]) == (500, "eb-1")
        assert "body before start_response" in server.stderr()

    def test_bad_status_or_header_answers_500(self, tmp_path: Path) -> None:
        """A status without a code or a header beyond latin-1 is the app's error: a 500."""
        with WebServer("raw_wsgi_app:bad_head_app", tmp_path) as server:
            for path in ("/status", "/header"):
                answer = httpx.get(server.url + path, headers=fc_headers("bh-1"), timeout=30)
                assert (answer.status_code, answer.json()["request_id"]) == (500, "bh-1")
        log = server.stderr()
        assert "must start with a 3-digit code" in log
        assert "pairs of latin-1 strings" in log

    def test_http_handler_and_plain_event_handler(self, tmp_path: Path) -> None:
        """An @fc.http app sees its request id; a plain handler(event, context) gets the body."""
        with WebServer("http_handler_app", tmp_path) as server:
            answer = httpx.get(
                server.url + "/hi", params={"name": "x"}, headers=fc_headers("h-1"), timeout=30
            )
            assert answer.json() == {"path": "/hi", "request_id": "h-1", "name": "x"}
            invoked = httpx.post(
                server.url + "/invoke", content=b'{"k": 1}', headers=fc_headers("h-2"), timeout=30
            )
            assert invoked.headers["x-fc-status"] == "200"
            assert invoked.json() == {"echo": {"k": 1}, "request_id": "h-2"}
        assert not leaks([server.logs()], encodings(SECRET) | encodings(TOKEN))

    def test_httpapp_routes(self, tmp_path: Path) -> None:
        """An fc.HTTPApp routes with typed path parameters and reads the request's context."""
        with WebServer("httpapp_app", tmp_path) as server:
            answer = httpx.get(server.url + "/orders/42", headers=fc_headers("o-1"), timeout=30)
            assert answer.json() == {"id": 42, "request_id": "o-1"}
            assert httpx.get(server.url + "/orders/x", timeout=30).status_code == 404
