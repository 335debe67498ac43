"""Less common paths of the real server: bare ASGI apps, plain handlers, odd control calls."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from tests.leaks import encodings, leaks
from tests.webfunction.server import SECRET, TOKEN, WebServer, fc_headers

pytestmark = pytest.mark.slow


class TestBareASGI:
    def test_app_without_lifespan_support_is_served(self, tmp_path: Path) -> None:
        """An ASGI function that refuses the lifespan scope is served, with empty state."""
        with WebServer("edge_app", tmp_path) as server:
            answer = httpx.get(server.url + "/a/b", timeout=30)
            assert answer.json() == {"state": {}, "path": "/a/b"}
            ws_url = server.url.replace("http://", "ws://") + "/ws"
            with connect(ws_url, additional_headers={"x-fc-request-id": "ws-9"}) as ws:
                assert ws.recv(timeout=30) == "ws-9"

    def test_plain_async_handler(self, tmp_path: Path) -> None:
        """A plain ``async def handler(event, context)`` gets the bytes and the context."""
        with WebServer("edge_app", tmp_path) as server:
            answer = httpx.post(
                server.url + "/invoke", content=b"12345", headers=fc_headers("pa-1"), timeout=30
            )
            assert answer.json() == {"size": 5, "request_id": "pa-1"}

    def test_pre_freeze_and_a_failing_pre_stop(self, tmp_path: Path) -> None:
        """GET /pre-freeze runs the hook; a PreStop hook that raises answers FC's failure."""
        with WebServer("edge_app", tmp_path) as server:
            frozen = httpx.get(server.url + "/pre-freeze", headers=fc_headers("fz-1"), timeout=30)
            assert (frozen.status_code, frozen.headers["x-fc-status"]) == (200, "200")
            httpx.get(server.url + "/x", timeout=30)  # starts the instance
            stopped = httpx.get(server.url + "/pre-stop", headers=fc_headers("ps-1"), timeout=30)
            assert (stopped.status_code, stopped.headers["x-fc-status"]) == (404, "404")
            assert stopped.json()["errorType"] == "OSError"
        assert "FREEZE fz-1" in server.stdout()
        assert "FC PreStop failed (request ps-1)" in server.stderr()

    def test_control_path_initialize(self, tmp_path: Path) -> None:
        """x-fc-control-path /initialize is the lifecycle call whatever the path."""
        with WebServer("edge_app", tmp_path) as server:
            answer = httpx.post(
                server.url + "/",
                headers={"x-fc-request-id": "ci-1", "x-fc-control-path": "/initialize"},
                timeout=30,
            )
            assert answer.headers["x-fc-status"] == "200"
        assert "FC Initialize Start RequestId: ci-1" in server.stdout()


class TestMissingParts:
    def test_control_path_invoke_without_a_handler(self, flask_server: WebServer) -> None:
        """An invocation of a module without ``handler`` answers FC's failure, saying so."""
        answer = httpx.post(
            flask_server.url + "/",
            content=b"{}",
            headers={"x-fc-control-path": "/invoke"},
            timeout=30,
        )
        assert (answer.status_code, answer.headers["x-fc-status"]) == (404, "404")
        assert "no event handler" in answer.json()["errorMessage"]

    def test_websocket_to_a_failed_instance(self, tmp_path: Path) -> None:
        """A WebSocket to an instance whose startup failed is closed, not accepted."""
        with WebServer("broken_lifespan", tmp_path) as server:
            ws_url = server.url.replace("http://", "ws://") + "/ws"
            with pytest.raises(InvalidStatus) as refused:
                connect(ws_url, open_timeout=30)
            assert refused.value.response.status_code == 403


class TestLoggedEvents:
    def test_async_handler_logs_its_event_redacted(self, tmp_path: Path) -> None:
        """``@fc.handler(log_event=True)`` on an async handler logs the event, secrets masked."""
        with WebServer("logged_events", tmp_path) as server:
            answer = httpx.post(
                server.url + "/invoke",
                content=b'{"name": "ada", "password": "hunter2", "note": "'
                + SECRET.encode()
                + b'"}',
                headers=fc_headers("le-1"),
                timeout=30,
            )
            assert answer.content == b'"ada"' or answer.text == "ada"
        log = server.stderr()
        assert "le-1 [INFO] event:" in log
        assert "hunter2" not in log
        assert not leaks([log], encodings(SECRET) | encodings(TOKEN))
