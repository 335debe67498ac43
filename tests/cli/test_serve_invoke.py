"""Tests for fcsdk/_cli/serve.py: event invocation, hooks, timeouts and stopping."""

from __future__ import annotations

import json
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.local.serving import APPS, Served, served

pytestmark = pytest.mark.slow  # each test drives a real fcsdk serve process


@pytest.fixture(scope="module")
def mark_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A file the app's pre_stop and async handler write to."""
    return tmp_path_factory.mktemp("marks") / "mark.txt"


@pytest.fixture(scope="module")
def events(mark_file: Path) -> Iterator[Served]:
    """An event function with an initializer, served with a 2 s timeout."""
    with served(
        "events_app.handler",
        "--code-dir",
        str(APPS),
        "--no-oss",
        "--initializer",
        "events_app.init",
        "--timeout",
        "2",
        "--mode",
        "event",
        "--function-name",
        "orders",
        "--runtime",
        "python3.10",
        env={"MARK_FILE": str(mark_file)},
    ) as server:
        yield server


class TestInvoke:
    def test_post_invoke(self, events: Served) -> None:
        """POST /invoke passes the body as the event and answers what the runtime sends."""
        response = httpx.post(events.url + "/invoke", content=b"hello", timeout=10)
        assert response.status_code == 200
        assert response.content == b"HELLO"
        assert response.headers["x-fc-request-id"]

    def test_fc3_api_path(self, events: Served) -> None:
        """The FC 3.0 API path reaches the function by name."""
        url = events.url + "/2023-03-30/functions/orders/invocations"
        assert httpx.post(url, content=b"abc", timeout=10).content == b"ABC"

    def test_fc2_api_path(self, events: Served) -> None:
        """The FC 2.0 API path works too."""
        url = events.url + "/2016-08-15/services/my-service/functions/orders/invocations"
        assert httpx.post(url, content=b"x", timeout=10).content == b"X"

    def test_initializer_runs_once(self, events: Served) -> None:
        """The initializer ran once before the first request, however many follow."""
        for _ in range(3):
            info = httpx.post(events.url + "/invoke", content=b"info", timeout=10).json()
        assert info["init_calls"] == 1
        assert events.log().count("FC Initialize Start RequestId:") == 1

    def test_context_and_environment(self, events: Served) -> None:
        """The context has a fresh request id and the function's config; FC_* are set."""
        first = httpx.post(events.url + "/invoke", content=b"info", timeout=10)
        second = httpx.post(events.url + "/invoke", content=b"info", timeout=10)
        assert first.json()["request_id"] == first.headers["x-fc-request-id"]
        assert first.json()["request_id"] != second.json()["request_id"]
        info = first.json()
        assert info["function"] == "orders"
        assert info["timeout"] == 2
        assert info["has_credentials"] is True
        assert info["env"]["FC_FUNCTION_NAME"] == "orders"
        assert info["env"]["FC_SERVICE_NAME"] == "my-service"
        assert "ALIBABA_CLOUD_ACCESS_KEY_ID" not in info["env"]

    def test_runtime_json_result(self, events: Served) -> None:
        """A dict result goes out as the runtime's json.dumps(indent=4, sort_keys=True)."""
        body = httpx.post(events.url + "/invoke", content=b"info", timeout=10).text
        assert body.startswith('{\n    "env": {')

    def test_handler_error(self, events: Served) -> None:
        """A handler error answers the runtime's error JSON with x-fc-error-type."""
        response = httpx.post(events.url + "/invoke", content=b"crash", timeout=10)
        assert response.status_code == 200
        assert response.headers["x-fc-error-type"] == "UnhandledInvocationError"
        assert response.json()["errorType"] == "ValueError"
        assert response.json()["errorMessage"] == "boom"

    def test_handler_calling_exit(self, events: Served) -> None:
        """A handler calling sys.exit fails its request as on FC; the server stays up."""
        response = httpx.post(events.url + "/invoke", content=b"exit", timeout=10)
        assert response.headers["x-fc-error-type"] == "UnhandledInvocationError"
        assert response.json()["errorMessage"].startswith("Process exited unexpectedly")
        assert httpx.post(events.url + "/invoke", content=b"ok", timeout=10).content == b"OK"

    def test_unsendable_result(self, events: Served) -> None:
        """A result the runtime cannot send is a TypeError, as on FC."""
        response = httpx.post(events.url + "/invoke", content=b"set", timeout=10)
        assert response.json()["errorType"] == "TypeError"
        assert "set is not JSON serializable" in response.json()["errorMessage"]

    def test_too_large_result(self, events: Served) -> None:
        """A result over 6 MB is a function error."""
        response = httpx.post(events.url + "/invoke", content=b"big", timeout=20)
        assert response.headers["x-fc-error-type"] == "UnhandledInvocationError"
        assert "exceeds FC's limit" in response.json()["errorMessage"]

    def test_unknown_function(self, events: Served) -> None:
        """An API path naming another function is FC's 404."""
        url = events.url + "/2023-03-30/functions/nope/invocations"
        response = httpx.post(url, content=b"x", timeout=10)
        assert response.status_code == 404
        assert response.headers["x-fc-error-type"] == "FcCommonError"
        assert response.json()["errorCode"] == "FunctionNotFound"

    def test_async_invocation(self, events: Served, mark_file: Path) -> None:
        """x-fc-invocation-type: Async answers 202 at once and runs in the background."""
        mark_file.unlink(missing_ok=True)
        response = httpx.post(
            events.url + "/invoke",
            content=b"mark",
            headers={"x-fc-invocation-type": "Async"},
            timeout=10,
        )
        assert response.status_code == 202
        assert response.content == b""
        rid = response.headers["x-fc-request-id"]
        deadline = time.monotonic() + 10
        # the handler creates the file, then writes it: wait for its content
        while time.monotonic() < deadline and not (mark_file.exists() and mark_file.read_text()):
            time.sleep(0.05)
        assert mark_file.read_text() == "async ran"
        assert f"FC Invoke Start RequestId: {rid}" in events.log()

    def test_async_failure_is_logged(self, events: Served) -> None:
        """A failing async invocation is logged with its request id."""
        response = httpx.post(
            events.url + "/invoke",
            content=b"crash",
            headers={"x-fc-invocation-type": "Async"},
            timeout=10,
        )
        rid = response.headers["x-fc-request-id"]
        deadline = time.monotonic() + 10
        while f"async invocation {rid} failed" not in events.log():
            assert time.monotonic() < deadline
            time.sleep(0.05)

    def test_timeout(self, events: Served) -> None:
        """A request past --timeout answers FC's timeout error; the server stays up."""
        # The handler sleeps 30 s: a server waiting for it would not answer within 20.
        response = httpx.post(events.url + "/invoke", content=b"sleep30", timeout=20)
        assert response.headers["x-fc-error-type"] == "UnhandledInvocationError"
        assert response.json() == {"errorMessage": "Function timed out after 2 seconds"}
        assert httpx.post(events.url + "/invoke", content=b"ok", timeout=10).content == b"OK"


class TestLifecycle:
    def test_initializer_failure(self, tmp_path: Path) -> None:
        """A failing initializer fails the request with its error, and is retried next time."""
        with served(
            "events_app.handler",
            "--code-dir",
            str(APPS),
            "--no-oss",
            "--initializer",
            "events_app.bad_init",
        ) as server:
            for _ in range(2):
                response = httpx.post(server.url + "/invoke", content=b"x", timeout=10)
                assert response.headers["x-fc-error-type"] == "UnhandledInvocationError"
                body = response.json()
                assert body["errorType"] == "RuntimeError"
                assert body["errorMessage"] == "cannot connect to the database"
            assert server.log().count("FC Initialize Start") == 2

    @pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
    def test_pre_stop_on_signal(self, tmp_path: Path, sig: int) -> None:
        """SIGTERM and Ctrl-C run the pre_stop hook, then the server exits 0."""
        mark = tmp_path / "stopped.txt"
        with served(
            "events_app.handler",
            "--code-dir",
            str(APPS),
            "--no-oss",
            "--pre-stop",
            "events_app.stop",
            env={"MARK_FILE": str(mark)},
        ) as server:
            assert httpx.post(server.url + "/invoke", content=b"x", timeout=10).content == b"X"
            assert server.stop(sig) == 0
        assert mark.read_text().startswith("pre_stop 1-")
        assert "FC PreStop Start RequestId:" in server.log()

    def test_runtime_312_event_default(self) -> None:
        """python3.12: credentials in ALIBABA_CLOUD_* variables, none on the context."""
        with served(
            "events_app.handler", "--code-dir", str(APPS), "--no-oss", "--runtime", "python3.12"
        ) as server:
            info = json.loads(httpx.post(server.url + "/invoke", content=b"info", timeout=10).text)
        assert info["has_credentials"] is False
        assert info["logger"] is True
        assert info["env"]["ALIBABA_CLOUD_ACCESS_KEY_ID"]
        assert "FC 3.0 event" in server.log()
