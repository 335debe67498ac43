"""Tests for fcsdk/_local/webfunction.py and webproxy.py: a web function's instance and front.

The instance is the stand-in server tests/local/apps/web_child.py, started
for real; the front (an ASGI app) is called in process where a branch needs a
client that misbehaves (a disconnect mid-body, a send that kills the server).
"""

from __future__ import annotations

import asyncio
import io
import json
import os
import shutil
import signal
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from fcsdk._local.webfunction import (
    FunctionNotStarted,
    InitializationFailed,
    WebFunctionConfig,
    WebInstance,
)
from fcsdk._local.webproxy import WebProxy, require_front
from fcsdk.exceptions import ConfigurationError

pytestmark = pytest.mark.slow

CHILD = Path(__file__).resolve().parent / "apps" / "web_child.py"


def config(folder: Path, **options: Any) -> WebFunctionConfig:
    values: dict[str, Any] = {
        "command": (sys.executable, "/code/web_child.py"),
        "code_dir": folder,
        "env": {"WEB_CHILD_RECORD": str(folder / "record.jsonl")},
        "startup_timeout": 30.0,
    }
    values.update(options)
    return WebFunctionConfig(**values)


def records(folder: Path) -> list[dict[str, Any]]:
    path = folder / "record.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line]


def gone(pid: int, seconds: float = 20.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.02)
    return False


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    shutil.copy(CHILD, tmp_path / "web_child.py")
    return tmp_path


@pytest.fixture
def running(folder: Path) -> Iterator[WebInstance]:
    instance = WebInstance(config(folder, timeout=2.0))
    instance.start()
    try:
        yield instance
    finally:
        instance.stop()


def call(
    app: Any, scope: dict[str, Any], messages: list[dict[str, Any]], on_send: Any = None
) -> Any:
    """Call an ASGI app with ``messages`` to receive; return what it sent."""
    sent: list[dict[str, Any]] = []

    async def run() -> None:
        queue = list(messages)

        async def receive() -> dict[str, Any]:
            if queue:
                return queue.pop(0)
            await asyncio.Event().wait()  # nothing more: wait until cancelled
            raise AssertionError("unreachable")  # pragma: no cover

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)
            if on_send is not None:
                on_send(message)

        await asyncio.wait_for(app(scope, receive, send), 30)
        if isinstance(app, WebProxy):
            await app.aclose()

    asyncio.run(run())
    return sent


def http_scope(path: str, method: str = "GET") -> dict[str, Any]:
    return {
        "type": "http",
        "method": method,
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "headers": [(b"host", b"test")],
    }


class TestConfig:
    def test_code_folder_in_the_command(self, tmp_path: Path) -> None:
        """/code and /code/... become the local code folder; other words stay."""
        cfg = WebFunctionConfig(
            command=("/code", "/code/run.sh", "/codex", "-v"), code_dir=tmp_path
        )
        here = str(tmp_path.resolve())
        assert cfg.local_command() == [here, f"{here}/run.sh", "/codex", "-v"]

    def test_hooks_without_timeouts(self, tmp_path: Path) -> None:
        """An initializer without a timeout sends no timeout; no PreStop, no PreStop header."""
        cfg = WebFunctionConfig(command=("x",), initializer="true")
        headers = cfg.headers("1-a")
        env = cfg.environment(9001, "c-1")
        assert headers["x-fc-function-initializer"] == "true"
        assert "x-fc-initialization-timeout" not in headers
        assert "x-fc-instance-lifecycle-pre-stop-handler" not in headers
        assert env["FC_INITIALIZER_HANDLER"] == "true"
        assert "FC_INITIALIZATION_TIMEOUT" not in env
        assert env["FC_CUSTOM_LISTEN_PORT"] == env["FC_SERVER_PORT"] == "9001"
        assert env["PATH"].split(os.pathsep)[0] == str(Path(sys.executable).parent)

    def test_fractional_timeout(self) -> None:
        """A timeout of 2.5 s is sent as 2.5, a whole one without decimals."""
        assert (
            WebFunctionConfig(command=("x",), timeout=2.5).headers()["x-fc-function-timeout"]
            == "2.5"
        )
        assert (
            WebFunctionConfig(command=("x",), timeout=3.0).headers()["x-fc-function-timeout"] == "3"
        )


class TestInstance:
    def test_output_without_a_file(self, folder: Path) -> None:
        """An output stream without a file descriptor (a StringIO) still runs the command."""
        instance = WebInstance(config(folder), output=io.StringIO())
        instance.message("no log function: nothing happens")
        instance.stop()  # not started: nothing to stop
        instance.start()
        pid = records(folder)[0]["pid"]
        instance.stop()
        assert gone(pid)
        assert instance.exit_code() is not None

    def test_missing_command(self, folder: Path) -> None:
        """A command that does not exist is FunctionNotStarted naming it, without chmod advice."""
        instance = WebInstance(config(folder, command=("/code/nothing-here",)))
        with pytest.raises(FunctionNotStarted, match="cannot run the startup command") as caught:
            instance.start()
        assert "chmod" not in str(caught.value)
        assert instance.failure is caught.value

    def test_initialize_that_ends_the_process(self, folder: Path) -> None:
        """A server that dies on /initialize: InitializationFailed, and the process is gone."""
        (folder / "mode.txt").write_text("initexit")
        instance = WebInstance(config(folder, initializer="true"))
        with pytest.raises(InitializationFailed, match="POST /initialize failed"):
            instance.start()
        assert instance.exit_code() is not None

    def test_pre_stop_error_is_reported(self, folder: Path) -> None:
        """A /pre-stop answering 500 is logged; the process is stopped all the same."""
        (folder / "mode.txt").write_text("badstop")
        said: list[str] = []
        instance = WebInstance(config(folder, pre_stop="true"), log=said.append)
        instance.start()
        instance.stop()
        assert said == ["GET /pre-stop answered 500"]
        assert instance.exit_code() is not None

    def test_process_that_ignores_sigterm(self, folder: Path) -> None:
        """A process that ignores SIGTERM is killed once the grace period is over."""
        (folder / "mode.txt").write_text("stubborn")
        instance = WebInstance(config(folder))
        instance.stop_grace = 0.5
        instance.start()
        instance.stop()
        assert instance.exit_code() == -signal.SIGKILL


class TestFront:
    def test_require_front_names_what_is_missing(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Without websockets, the message names it and the command that installs it."""
        monkeypatch.setitem(sys.modules, "websockets", None)
        with pytest.raises(ConfigurationError, match=r"needs websockets: pip install"):
            require_front()

    def test_lifespan(self, folder: Path) -> None:
        """The front answers uvicorn's lifespan startup and shutdown."""
        proxy = WebProxy(WebInstance(config(folder)))
        sent = call(
            proxy,
            {"type": "lifespan"},
            [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}],
        )
        assert [m["type"] for m in sent] == [
            "lifespan.startup.complete",
            "lifespan.shutdown.complete",
        ]

    def test_instance_that_did_not_start(self, folder: Path) -> None:
        """A request to an instance that failed answers 503 with the reason."""
        instance = WebInstance(config(folder))
        instance.failure = FunctionNotStarted("it exited with code 3")
        sent = call(WebProxy(instance, ready_wait=0.01), http_scope("/"), [])
        assert sent[0]["status"] == 503
        assert b"the function did not start: it exited with code 3" in sent[1]["body"]

    def test_instance_not_running(self, folder: Path) -> None:
        """A request while no instance runs answers 503; a WebSocket is closed with 1011."""
        proxy = WebProxy(WebInstance(config(folder)), ready_wait=0.01)
        sent = call(proxy, http_scope("/"), [])
        assert sent[0]["status"] == 503
        assert b"not running" in sent[1]["body"]
        ws = call(
            WebProxy(WebInstance(config(folder)), ready_wait=0.01),
            {**http_scope("/ws"), "type": "websocket", "subprotocols": []},
            [{"type": "websocket.connect"}],
        )
        assert ws == [{"type": "websocket.close", "code": 1011}]

    def test_client_gone_mid_body(self, folder: Path, running: WebInstance) -> None:
        """A client that disconnects mid-upload sends what arrived; the front does not crash."""
        sent = call(
            WebProxy(running),
            http_scope("/upload", "POST"),
            [
                {"type": "http.request", "body": b"part-1", "more_body": True},
                {"type": "http.request", "body": b"", "more_body": True},
                {"type": "http.disconnect"},
            ],
        )
        assert sent[0]["status"] == 200
        answer = json.loads(b"".join(m.get("body", b"") for m in sent[1:]))
        assert answer["body"] == "part-1"

    def test_timeout(self, folder: Path, running: WebInstance) -> None:
        """A server that does not answer within the function's timeout gives 504."""
        sent = call(WebProxy(running), http_scope("/hang"), [{"type": "http.request"}])
        assert sent[0]["status"] == 504
        assert b"within its timeout (2.0 s)" in sent[1]["body"]

    def test_server_gone(self, folder: Path, running: WebInstance) -> None:
        """A server that died answers 502 saying how its process ended."""
        assert running.process is not None
        running.process.kill()
        running.process.wait(10)
        sent = call(WebProxy(running), http_scope("/x"), [{"type": "http.request"}])
        assert sent[0]["status"] == 502
        assert b"was killed by SIGKILL" in sent[1]["body"]
        ws = call(
            WebProxy(running),
            {**http_scope("/ws"), "type": "websocket", "subprotocols": []},
            [{"type": "websocket.connect"}],
        )
        assert ws == [{"type": "websocket.close", "code": 1011}]

    def test_stream_broken_off(self, folder: Path, running: WebInstance) -> None:
        """A server that dies mid-stream ends the answer there, without an error in the front."""
        process = running.process
        assert process is not None

        def kill_after_first_chunk(message: dict[str, Any]) -> None:
            if message.get("body") == b"chunk-1\n":
                process.kill()

        sent = call(
            WebProxy(running),
            http_scope("/stream"),
            [{"type": "http.request"}],
            on_send=kill_after_first_chunk,
        )
        bodies = [m["body"] for m in sent if m["type"] == "http.response.body"]
        assert bodies == [b"chunk-1\n"]
