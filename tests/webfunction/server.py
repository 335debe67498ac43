"""The real ``python -m fcsdk web MODULE`` in a child process, on a free loopback port."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType
from typing import Any

APPS = Path(__file__).resolve().parent / "apps"
ROOT = Path(__file__).resolve().parents[2]

KEY_ID = "STS.NTk+ab/Cd=x"
SECRET = "Se+cr/et==Key9"
TOKEN = "CAIS+tok/en==abc/xyz+"
FC_HEADERS = {
    "x-fc-request-id": "req-1",
    "x-fc-access-key-id": KEY_ID,
    "x-fc-access-key-secret": SECRET,
    "x-fc-security-token": TOKEN,
    "x-fc-function-name": "orders",
    "x-fc-function-handler": "index.handler",
    "x-fc-function-memory": "512",
    "x-fc-function-timeout": "60",
    "x-fc-region": "cn-hangzhou",
    "x-fc-account-id": "1234567890",
    "x-fc-function-initializer": "true",
    "x-fc-initialization-timeout": "30",
    "x-fc-instance-lifecycle-pre-stop-handler": "true",
}


def fc_headers(request_id: str, **extra: str) -> dict[str, str]:
    """The common headers FC sends, with this request's id."""
    return {**FC_HEADERS, "x-fc-request-id": request_id, **extra}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def child_environment(**extra: str) -> dict[str, str]:
    """This environment without credentials or FC's port variables, plus ``extra``."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("ALIBABA_CLOUD_", "FC_"))
    }
    env["PYTHONPATH"] = str(ROOT)
    env.update(extra)
    return env


class WebServer:
    """``python -m fcsdk web MODULE`` from ``tests/webfunction/apps``; ``url`` once entered."""

    def __init__(
        self,
        module: str,
        tmp: Path,
        *args: str,
        host: str | None = "127.0.0.1",
        env: dict[str, str] | None = None,
    ) -> None:
        self.module = module
        self.port = free_port()
        self.out_path = tmp / f"{module}.stdout"
        self.err_path = tmp / f"{module}.stderr"
        command = [sys.executable, "-m", "fcsdk", "web", module, "--app-dir", str(APPS)]
        if host is not None:
            command += ["--host", host, "--port", str(self.port)]
        self.command = [*command, *args]
        self.env = child_environment(FC_CUSTOM_LISTEN_PORT=str(self.port), **(env or {}))
        self.process: subprocess.Popen[bytes] | None = None
        self.returncode: int | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stdout(self) -> str:
        return self.out_path.read_text(errors="replace")

    def stderr(self) -> str:
        return self.err_path.read_text(errors="replace")

    def logs(self) -> str:
        return self.stdout() + self.stderr()

    def __enter__(self) -> WebServer:
        with self.out_path.open("wb") as out, self.err_path.open("wb") as err:
            self.process = subprocess.Popen(
                self.command, stdout=out, stderr=err, env=self.env, cwd=APPS
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(
                    f"the server exited ({self.process.returncode}):\n{self.logs()}"
                )
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
            except OSError:
                time.sleep(0.05)  # polling the port: nothing else says it listens
                continue
            return self
        self.stop()
        raise AssertionError(f"the server did not listen within 60 s:\n{self.logs()}")

    def stop(self) -> int:
        """SIGTERM (what FC sends), then the exit code; killed if it does not stop in 20 s."""
        process = self.process
        assert process is not None
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        self.returncode = process.returncode
        return process.returncode

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def asgi_call(
    app: Any,
    method: str,
    path: str,
    headers: list[tuple[bytes, bytes]],
    body: bytes = b"",
    loops: list[asyncio.AbstractEventLoop] | None = None,
) -> list[dict[str, Any]]:
    """One HTTP request to an ASGI app in this process: the messages it sent (bounded at 30 s).

    The event loop it runs on is appended to ``loops``, when given.
    """

    async def call() -> list[dict[str, Any]]:
        if loops is not None:
            loops.append(asyncio.get_running_loop())
        incoming = [{"type": "http.request", "body": body, "more_body": False}]
        sent: list[dict[str, Any]] = []

        async def receive() -> dict[str, Any]:
            return incoming.pop(0) if incoming else {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": method,
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "query_string": b"",
            "root_path": "",
            "headers": headers,
            "client": ("127.0.0.1", 50000),
            "server": ("127.0.0.1", 9000),
        }
        await asyncio.wait_for(app(scope, receive, send), 30)
        return sent

    return asyncio.run(call())
