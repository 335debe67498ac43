"""A web function run locally as FC runs it: its startup command as a child process.

FC starts a custom runtime's startup command (``customRuntimeConfig.command``
and ``args``) with the code in ``/code`` and a few variables
(``FC_CUSTOM_LISTEN_PORT``, ``FC_FUNCTION_NAME``...), waits for a server on the
port, sends ``POST /initialize`` when an initializer is configured, then
forwards HTTP-trigger requests as themselves and event invocations as ``POST
/invoke``, each with the common ``x-fc-*`` headers (request id, the
invocation's credentials, the function's settings), and ``GET /pre-stop``
before it stops the instance. :class:`WebInstance` does the same on
127.0.0.1: ``/code/`` in the command is the local code folder, the port is a
free one (the command reads it from ``FC_CUSTOM_LISTEN_PORT``), and ``python3``
is the Python running fcsdk.

The variables and headers are those Serverless Devs' own local run gives a
custom runtime (``s local invoke`` / ``s local start`` of the fc3 component).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from fcsdk import _secrets
from fcsdk._platform.context import (
    FAKE_ACCESS_KEY_ID,
    FAKE_ACCESS_KEY_SECRET,
    FAKE_SECURITY_TOKEN,
    new_request_id,
)
from fcsdk.exceptions import LocalRuntimeError

__all__ = [
    "FunctionNotStarted",
    "InitializationFailed",
    "WebFunctionConfig",
    "WebInstance",
    "free_port",
]

CODE_ROOT = "/code"
"""Where FC puts the code; the startup command's paths under it are the local code folder's."""

_POLL = 0.05
"""How often the port is tried while the command starts (seconds)."""


class FunctionNotStarted(LocalRuntimeError):
    """The startup command exited, could not run, or never listened on its port (FC's name)."""


class InitializationFailed(LocalRuntimeError):
    """``POST /initialize`` did not answer 2xx: the instance cannot serve."""


@dataclass(frozen=True, kw_only=True)
class WebFunctionConfig:
    """What FC's function configuration says about one web function, for a local run.

    Example:
        >>> config = WebFunctionConfig(command=("/code/bootstrap",), code_dir=Path("/src/app"))
        >>> config.local_command()
        ['/src/app/bootstrap']
    """

    command: tuple[str, ...]
    code_dir: Path = field(default_factory=Path)
    name: str = "my-function"
    handler: str = "index.handler"
    runtime: str = "custom.debian12"
    memory: int = 512
    timeout: float = 60.0
    region: str = "cn-hangzhou"
    account_id: str = "1234567890123456"
    initializer: str | None = None
    initialization_timeout: float | None = None
    pre_stop: str | None = None
    pre_stop_timeout: float | None = None
    env: Mapping[str, str] = field(default_factory=dict)
    startup_timeout: float = 120.0
    access_key_id: str = FAKE_ACCESS_KEY_ID
    access_key_secret: str = field(default=FAKE_ACCESS_KEY_SECRET, repr=False)
    security_token: str = field(default=FAKE_SECURITY_TOKEN, repr=False)

    def local_command(self) -> list[str]:
        """The startup command with ``/code`` (FC's code folder) replaced by the local one."""
        code = str(self.code_dir.resolve())
        local = []
        for part in self.command:
            if part == CODE_ROOT:
                local.append(code)
            elif part.startswith(CODE_ROOT + "/"):
                local.append(code + part[len(CODE_ROOT) :])
            else:
                local.append(part)
        return local

    @property
    def shown_command(self) -> str:
        """The command as s.yaml (or the option) gives it, for messages."""
        return " ".join(self.command)

    def environment(self, port: int, instance_id: str) -> dict[str, str]:
        """The variables FC gives the startup command, then the function's own.

        ``PATH`` starts with the folder of the Python running fcsdk, so that
        ``python3`` in a bootstrap script is the one whose packages are installed.
        """
        env = dict(os.environ)
        python_bin = str(Path(sys.executable).parent)
        env["PATH"] = python_bin + os.pathsep + env.get("PATH", os.defpath)
        env.update(
            {
                "FC_RUNTIME": self.runtime,
                "FC_TIMEOUT": _number(self.timeout),
                "FC_FUNC_CODE_PATH": str(self.code_dir.resolve()) + os.sep,
                "FC_FUNCTION_HANDLER": self.handler,
                "FC_FUNCTION_MEMORY_SIZE": str(self.memory),
                "FC_FUNCTION_NAME": self.name,
                "FC_REGION": self.region,
                "FC_ACCOUNT_ID": self.account_id,
                "FC_CUSTOM_LISTEN_PORT": str(port),
                "FC_SERVER_PORT": str(port),
                "FC_INSTANCE_ID": instance_id,
                "ALIBABA_CLOUD_ACCESS_KEY_ID": self.access_key_id,
                "ALIBABA_CLOUD_ACCESS_KEY_SECRET": self.access_key_secret,
                "ALIBABA_CLOUD_SECURITY_TOKEN": self.security_token,
                "PYTHONUNBUFFERED": "1",
            }
        )
        if self.initializer:
            env["FC_INITIALIZER_HANDLER"] = self.initializer
            if self.initialization_timeout is not None:
                env["FC_INITIALIZATION_TIMEOUT"] = _number(self.initialization_timeout)
        env.update(self.env)
        return env

    def headers(self, request_id: str | None = None) -> dict[str, str]:
        """The common ``x-fc-*`` headers FC adds to every request it forwards."""
        headers = {
            "x-fc-request-id": request_id or new_request_id(),
            "x-fc-access-key-id": self.access_key_id,
            "x-fc-access-key-secret": self.access_key_secret,
            "x-fc-security-token": self.security_token,
            "x-fc-function-name": self.name,
            "x-fc-function-handler": self.handler,
            "x-fc-function-memory": str(self.memory),
            "x-fc-function-timeout": _number(self.timeout),
            "x-fc-region": self.region,
            "x-fc-account-id": self.account_id,
        }
        if self.initializer:
            headers["x-fc-function-initializer"] = self.initializer
            if self.initialization_timeout is not None:
                headers["x-fc-initialization-timeout"] = _number(self.initialization_timeout)
        if self.pre_stop:
            headers["x-fc-instance-lifecycle-pre-stop-handler"] = self.pre_stop
        return headers


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def free_port() -> int:
    """Return a TCP port free on 127.0.0.1 right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _die_with_parent() -> None:  # pragma: no cover - runs in the child, between fork and exec
    """Ask Linux to SIGTERM the child if the process that started it dies (kill -9 included)."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _ended(returncode: int) -> str:
    if returncode < 0:
        with contextlib.suppress(ValueError):
            return f"was killed by {signal.Signals(-returncode).name}"
    return f"exited with code {returncode}"


class WebInstance:
    """One instance of a web function: the startup command, started and stopped as FC does.

    Thread-safe: the HTTP front calls :meth:`wait_ready` from its handlers
    while a reload restarts the instance from another thread.
    """

    def __init__(
        self,
        config: WebFunctionConfig,
        *,
        output: IO[str] | None = None,
        log: Any = None,
    ) -> None:
        # The injected credentials are masked wherever fcsdk prints them.
        _secrets.remember(config.access_key_secret, config.security_token)
        self.config = config
        self.output = output
        self._log = log
        self.process: subprocess.Popen[bytes] | None = None
        self.port = 0
        self.instance_id = ""
        self._ready = threading.Event()
        self._lock = threading.Lock()
        self.failure: LocalRuntimeError | None = None
        """Why the current instance cannot serve, when it cannot."""
        self.stop_grace = 10.0
        """Seconds between SIGTERM and SIGKILL when the process is stopped."""

    @property
    def base_url(self) -> str:
        """Where the current instance listens."""
        return f"http://127.0.0.1:{self.port}"

    def message(self, text: str) -> None:
        if self._log is not None:
            self._log(text)

    def start(self) -> None:
        """Start the command, wait for its port, then ``POST /initialize`` if configured.

        Raises:
            FunctionNotStarted: the command cannot run, exits, or does not
                listen within ``startup_timeout`` seconds.
            InitializationFailed: ``/initialize`` answered an error.
        """
        with self._lock:
            self._ready.clear()
            self.failure = None
            try:
                self._spawn()
                self._wait_for_port()
                self._initialize()
            except LocalRuntimeError as exc:
                self.failure = exc
                self._kill()
                raise
            except KeyboardInterrupt:  # Ctrl-C while it starts: the command goes too
                self._kill()
                raise
            self._ready.set()

    def _spawn(self) -> None:
        config = self.config
        self.port = free_port()
        self.instance_id = f"c-{uuid.uuid4().hex[:24]}"
        argv = config.local_command()
        stdout: Any = self.output if self.output is not None else sys.stderr
        try:
            fileno = stdout.fileno()
        except (AttributeError, OSError, ValueError):
            fileno = None  # a StringIO in tests: let the child inherit ours
        try:
            self.process = subprocess.Popen(
                argv,
                cwd=config.code_dir,
                env=config.environment(self.port, self.instance_id),
                stdin=subprocess.DEVNULL,
                stdout=fileno,
                stderr=None,
                start_new_session=True,  # its whole process group is stopped with it
                preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,  # noqa: PLW1509
            )
        except OSError as exc:
            hint = ""
            if isinstance(exc, PermissionError):
                hint = f" (make it executable: chmod +x {argv[0]})"
            raise FunctionNotStarted(
                f"cannot run the startup command {config.shown_command!r} "
                f"({' '.join(argv)}): {exc.strerror or exc}{hint}"
            ) from None

    def _wait_for_port(self) -> None:
        process = self.process
        assert process is not None
        deadline = time.monotonic() + self.config.startup_timeout
        while True:
            code = process.poll()
            if code is not None:
                raise FunctionNotStarted(
                    f"the startup command {self.config.shown_command!r} {_ended(code)} "
                    f"before listening on port {self.port} (FC_CUSTOM_LISTEN_PORT); its own "
                    "output is above (a server on a fixed port, such as app.run(port=9000), "
                    "must listen on FC_CUSTOM_LISTEN_PORT instead)"
                )
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                pass
            if time.monotonic() >= deadline:
                raise FunctionNotStarted(
                    f"the startup command {self.config.shown_command!r} did not listen on "
                    f"port {self.port} within {_number(self.config.startup_timeout)} s: it "
                    "must serve on the port FC gives in FC_CUSTOM_LISTEN_PORT"
                )
            time.sleep(_POLL)

    def _initialize(self) -> None:
        if not self.config.initializer:
            return
        import httpx

        timeout = self.config.initialization_timeout or self.config.timeout
        try:
            response = httpx.post(
                f"{self.base_url}/initialize",
                headers=self.config.headers(),
                timeout=timeout,
            )
        except httpx.HTTPError as exc:
            raise InitializationFailed(f"POST /initialize failed: {exc}") from None
        if not response.is_success:
            body = _secrets.mask(response.text[:500])
            raise InitializationFailed(
                f"POST /initialize answered {response.status_code}: {body}".rstrip(": ")
            )

    def wait_ready(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for a started instance; whether there is one."""
        return self._ready.wait(timeout)

    def exit_code(self) -> int | None:
        """The exit code of the instance's process once it has ended, else None."""
        process = self.process
        return None if process is None else process.poll()

    def describe_exit(self, wait: float = 0.0) -> str:
        """Say how the process ended, for messages, waiting up to ``wait`` seconds for its end.

        A server that broke a connection off is often still ending: waiting a
        moment tells "exited with code 5" from "is running".
        """
        process = self.process
        if process is not None and wait > 0:
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(wait)
        code = self.exit_code()
        return "is running" if code is None else _ended(code)

    def stop(self) -> None:
        """Send ``GET /pre-stop`` when configured, then stop the process (its whole group)."""
        with self._lock:
            self._ready.clear()
            process = self.process
            if process is None:
                return
            if process.poll() is None and self.config.pre_stop:
                self._pre_stop()
            self._kill()

    def _pre_stop(self) -> None:
        import httpx

        timeout = self.config.pre_stop_timeout or 10.0
        try:
            response = httpx.get(
                f"{self.base_url}/pre-stop", headers=self.config.headers(), timeout=timeout
            )
        except httpx.HTTPError as exc:
            self.message(f"GET /pre-stop failed: {exc}")
            return
        if not response.is_success:
            self.message(f"GET /pre-stop answered {response.status_code}")

    def _kill(self) -> None:
        process = self.process
        if process is None:
            return
        if process.poll() is None:
            _signal_group(process, signal.SIGTERM)
            try:
                process.wait(self.stop_grace)
            except subprocess.TimeoutExpired:
                _signal_group(process, signal.SIGKILL)
                process.wait(5)
        else:  # its children may live on in its group
            _signal_group(process, signal.SIGKILL)
        self.process = process


def _signal_group(process: subprocess.Popen[bytes], signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signum)


def split_command(text: str) -> tuple[str, ...]:
    """Split a ``--startup-command`` the way a shell would (no expansion).

    Example:
        >>> split_command("python3 -m fcsdk web 'my app'")
        ('python3', '-m', 'fcsdk', 'web', 'my app')
    """
    import shlex

    return tuple(shlex.split(text))
