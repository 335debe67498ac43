"""POST /initialize, GET /pre-stop and the first request: the instance starts once, stops once."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.webfunction.server import WebServer, fc_headers

pytestmark = pytest.mark.slow


class TestStartup:
    def test_initialize_runs_startup_and_initializer_once(self, tmp_path: Path) -> None:
        """Two /initialize calls and requests after them: lifespan and initializer ran once."""
        with WebServer("fastapi_app", tmp_path) as server:
            first = httpx.post(server.url + "/initialize", headers=fc_headers("init-1"), timeout=30)
            assert (first.status_code, first.headers["x-fc-status"]) == (200, "200")
            again = httpx.post(server.url + "/initialize", headers=fc_headers("init-2"), timeout=30)
            assert again.status_code == 200
            httpx.get(server.url + "/ping", timeout=30)
            assert httpx.get(server.url + "/counts", timeout=30).json() == {
                "startup": 1,
                "initializer": 1,
            }
            out = server.stdout()
        assert "FC Initialize Start RequestId: init-1" in out
        assert "INITIALIZER init-1" in out
        assert "FC Initialize End RequestId: init-1" in out

    def test_concurrent_first_requests_start_once(self, tmp_path: Path) -> None:
        """10 concurrent first requests share one startup; a later /initialize runs none."""
        with WebServer("fastapi_app", tmp_path) as server:
            with ThreadPoolExecutor(10) as pool:
                answers = list(
                    pool.map(lambda _: httpx.get(server.url + "/counts", timeout=30), range(10))
                )
            assert {a.status_code for a in answers} == {200}
            late = httpx.post(server.url + "/initialize", headers=fc_headers("late-1"), timeout=30)
            assert (late.status_code, late.headers["x-fc-status"]) == (200, "200")
            assert httpx.get(server.url + "/counts", timeout=30).json() == {
                "startup": 1,
                "initializer": 1,
            }

    def test_async_hooks_and_handler_run_on_the_server_loop(self, tmp_path: Path) -> None:
        """An async initializer, an async handler and the app's routes share one event loop."""
        with WebServer("async_handler_app", tmp_path) as server:
            httpx.post(server.url + "/initialize", headers=fc_headers("ai-1"), timeout=30)
            loop = httpx.get(server.url + "/loop", timeout=30).json()["loop"]
            invoked = httpx.post(server.url + "/invoke", content=b'{"a": 2, "b": 3}', timeout=30)
            assert invoked.json() == {"total": 5, "loop": loop}
            assert f"ASYNC INITIALIZER ai-1 {loop}" in server.stdout()


class TestStop:
    def test_pre_stop_runs_hook_then_shutdown(self, tmp_path: Path) -> None:
        """GET /pre-stop runs @fc.pre_stop, then the lifespan shutdown, each once."""
        with WebServer("fastapi_app", tmp_path) as server:
            httpx.post(server.url + "/initialize", timeout=30)
            stopped = httpx.get(server.url + "/pre-stop", headers=fc_headers("stop-1"), timeout=30)
            assert (stopped.status_code, stopped.headers["x-fc-status"]) == (200, "200")
        out = server.stdout()
        assert out.index("PRESTOP stop-1") < out.index("LIFESPAN STOP")
        assert out.count("LIFESPAN STOP") == 1
        assert "FC PreStop End RequestId: stop-1" in out
        assert server.returncode == 0

    def test_lifespan_logs_carry_the_lifecycle_calls_request_ids(self, tmp_path: Path) -> None:
        """Lifespan logs: startup lines carry /initialize's id, shutdown's /pre-stop's."""
        with WebServer("fastapi_app", tmp_path) as server:
            httpx.post(server.url + "/initialize", headers=fc_headers("init-7"), timeout=30)
            httpx.get(server.url + "/pre-stop", headers=fc_headers("stop-7"), timeout=30)
        logs = server.logs()
        assert " init-7 [INFO] lifespan starting" in logs
        assert " stop-7 [INFO] lifespan stopping" in logs

    def test_sigterm_shuts_the_app_down(self, tmp_path: Path) -> None:
        """Stopped by SIGTERM without /pre-stop, the instance runs its shutdown and exits 0."""
        with WebServer("fastapi_app", tmp_path) as server:
            httpx.get(server.url + "/ping", timeout=30)
        assert server.returncode == 0
        assert "LIFESPAN STOP" in server.stdout()

    def test_events_only_function(self, tmp_path: Path) -> None:
        """A module with only a handler: invocations work, HTTP requests get a clear 404."""
        with WebServer("events_only", tmp_path) as server:
            invoked = httpx.post(server.url + "/invoke", content=b'{"a": 1}', timeout=30)
            assert invoked.json() == {"n": 1}
            answer = httpx.get(server.url + "/", timeout=30)
            assert answer.status_code == 404
            assert "event handler" in answer.json()["detail"]


class TestFailedStartup:
    def test_failed_lifespan_fails_initialize_and_every_request(self, tmp_path: Path) -> None:
        """/initialize answers FC's failure; each later request and invocation fails, saying why."""
        with WebServer("broken_lifespan", tmp_path) as server:
            init = httpx.post(server.url + "/initialize", headers=fc_headers("bad-1"), timeout=30)
            assert (init.status_code, init.headers["x-fc-status"]) == (404, "404")
            assert init.json()["errorType"] == "InstanceStartError"
            assert "database unreachable" in init.json()["errorMessage"]
            for n in range(2):
                answer = httpx.get(server.url + "/ping", headers=fc_headers(f"p-{n}"), timeout=30)
                assert answer.status_code == 500
                assert "database unreachable" in answer.json()["detail"]
                assert answer.json()["request_id"] == f"p-{n}"
            invoked = httpx.post(server.url + "/invoke", content=b"{}", timeout=30)
            assert (invoked.status_code, invoked.headers["x-fc-status"]) == (404, "404")
            assert "database unreachable" in invoked.json()["errorMessage"]
        assert server.stderr().count("database unreachable") >= 1
        assert server.returncode == 0

    def test_failed_initializer_fails_every_request(self, tmp_path: Path) -> None:
        """An @fc.initializer that raises: the first request fails with its error, and the next."""
        with WebServer("broken_initializer", tmp_path) as server:
            for _ in range(2):
                answer = httpx.get(server.url + "/ping", timeout=30)
                assert answer.status_code == 500
                assert "KeyError" in answer.json()["detail"]
            assert server.stderr().count("Traceback") == 1
