"""``fcsdk serve`` as a supervisor: ``--reload`` and ``--config`` run the servers as children.

The supervisor binds every listening socket itself and hands it down, so a
port stays the same (and requests queue instead of failing) while a child
restarts, and a busy port is reported once, up front. It runs the local OSS
server once and passes it to every child. Each function runs in a process
of its own, as each FC function has instances of its own: several
``index.py`` modules never meet in one ``sys.modules``.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
from contextlib import ExitStack
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from fcsdk._local.embedded_oss import OSS_HANDOFF_ENV, local_oss, oss_banner, oss_port_for
from fcsdk._local.logs import RuntimeLogs
from fcsdk._local.reload import Watcher, watcher
from fcsdk.exceptions import ConfigurationError

__all__ = ["LocalConfig", "LocalFunction", "serve_config", "serve_reloading"]

_POLL_SECONDS = 0.5


class LocalFunction(BaseModel):
    """One function of a ``fcsdk serve --config`` file."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_-]{0,63}$")
    handler: str
    code_dir: str = "."
    port: int | None = Field(default=None, ge=0, le=65535)
    mode: Literal["wsgi", "event"] | None = None
    runtime: Literal["python3.9", "python3.10", "python3.12"] = "python3.10"
    initializer: str | None = None
    pre_stop: str | None = None
    timeout: float = Field(default=60.0, gt=0)
    memory: int = Field(default=512, ge=1)
    concurrency: int = Field(default=1, ge=1)
    env: dict[str, str] = Field(default_factory=dict)
    env_file: str | None = None
    hints: list[str] = Field(default_factory=list)


class LocalOSS(BaseModel):
    """The local OSS server of a ``--config`` file."""

    model_config = ConfigDict(extra="forbid")

    dir: str = ".fcsdk/oss"
    buckets: list[str] = Field(default_factory=list)


class LocalConfig(BaseModel):
    """A ``fcsdk serve --config`` file: functions on consecutive ports, one OSS server.

    Example:
        >>> LocalConfig.model_validate(
        ...     {"functions": [{"name": "hello", "handler": "index.handler"}]}
        ... ).port
        9000
    """

    model_config = ConfigDict(extra="forbid")

    host: str = "127.0.0.1"
    port: int = Field(default=9000, ge=0, le=65535)
    reload: bool = False
    service_name: str = "my-service"
    oss: LocalOSS | None = Field(default_factory=LocalOSS)
    functions: list[LocalFunction] = Field(min_length=1)


def load_config(path: Path) -> LocalConfig:
    """Read and validate a ``--config`` file.

    Raises:
        ConfigurationError: the file is unreadable, not JSON, or not a valid config.
    """
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ConfigurationError(f"cannot read the config {str(path)!r}: {exc}") from exc
    try:
        config = LocalConfig.model_validate(data)
    except ValidationError as exc:
        lines = [
            f"  {'.'.join(str(p) for p in err['loc']) or '(top)'}: {err['msg']}"
            for err in exc.errors(include_input=False, include_url=False)
        ]
        raise ConfigurationError(f"invalid config {str(path)!r}:\n" + "\n".join(lines)) from None
    names = [f.name for f in config.functions]
    if len(set(names)) != len(names):
        raise ConfigurationError(f"invalid config {str(path)!r}: function names must be unique")
    return config


def listen(host: str, port: int) -> socket.socket:
    """Bind and listen on ``host:port`` (OSError when the port is taken)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    return socket.create_server((host, port), family=family, backlog=128)


class _Child:
    """One ``fcsdk serve`` process on an inherited socket, restartable."""

    def __init__(
        self,
        label: str,
        argv: list[str],
        sock: socket.socket,
        watch: list[Path],
        env: dict[str, str],
    ) -> None:
        self.label = label
        self.argv = argv
        self.sock = sock
        self.watch = watch
        self.env = env
        self.process: subprocess.Popen[bytes] | None = None
        self.watcher: Watcher | None = None  # set by _supervise when reloading
        self.reported_exit = False

    def start(self) -> None:
        fd = self.sock.fileno()
        command = [sys.executable, "-m", "fcsdk", "serve", *self.argv, "--listen-fd", str(fd)]
        self.process = subprocess.Popen(command, pass_fds=(fd,), env=self.env)
        self.reported_exit = False

    def stop(self) -> None:
        process = self.process
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)

    def changed(self) -> bool:
        return self.watcher is not None and self.watcher.changed()


def _supervise(children: list[_Child], logs: RuntimeLogs, *, reload: bool) -> int:
    stop = threading.Event()

    def on_signal(signum: int, frame: object) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    code = 0
    try:
        for child in children:
            if reload:
                child.watcher = watcher(child.watch)
            child.start()
        while not stop.wait(_POLL_SECONDS):
            for child in children:
                if reload and child.changed():
                    logs.message(f"{child.label}: code changed, restarting")
                    child.stop()
                    child.start()
                    continue
                process = child.process
                if process is None or process.poll() is None or child.reported_exit:
                    continue
                child.reported_exit = True
                if reload:
                    logs.message(
                        f"{child.label}: exited with {process.returncode}; "
                        "waiting for a code change to restart"
                    )
                else:
                    logs.message(f"{child.label}: exited with {process.returncode}; stopping")
                    code = process.returncode or 1
                    stop.set()
    finally:
        for child in children:
            child.stop()
            if child.watcher is not None:
                child.watcher.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return code


def _oss_env(
    stack: ExitStack, *, root: Path, buckets: list[str], port: int, logs: RuntimeLogs
) -> dict[str, str]:
    oss: dict[str, Any] = stack.enter_context(
        local_oss(root=root, buckets=buckets, port=oss_port_for(port))
    )
    logs.message(oss_banner(oss))
    return {OSS_HANDOFF_ENV: json.dumps(oss)}


def serve_reloading(args: Any, argv: list[str]) -> int:
    """Serve one function in a child process, restarted whenever its code changes."""
    logs = RuntimeLogs(sys.stderr)
    try:
        sock = listen(args.host, args.port)
    except OSError as exc:
        sys.stderr.write(f"fcsdk serve: cannot listen on {args.host}:{args.port}: {exc.strerror}\n")
        return 2
    with ExitStack() as stack:
        stack.callback(sock.close)
        env = dict(os.environ)
        if not args.no_oss:
            env.update(
                _oss_env(
                    stack,
                    root=Path(args.oss_dir),
                    buckets=args.bucket,
                    port=sock.getsockname()[1] if args.port else 0,
                    logs=logs,
                )
            )
        watch = [Path(args.code_dir).resolve()]
        logs.message(f"reloading on changes under {watch[0]}")
        child = _Child(args.handler, [*argv, "--no-oss"] if args.no_oss else argv, sock, watch, env)
        return _supervise([child], logs, reload=True)


def _function_argv(entry: LocalFunction, config: LocalConfig, base: Path) -> list[str]:
    argv = [
        entry.handler,
        "--code-dir",
        str((base / entry.code_dir).resolve()),
        "--function-name",
        entry.name,
        "--service-name",
        config.service_name,
        "--runtime",
        entry.runtime,
        "--timeout",
        str(entry.timeout),
        "--memory",
        str(entry.memory),
        "--concurrency",
        str(entry.concurrency),
        "--host",
        config.host,
    ]
    for flag, value in (
        ("--mode", entry.mode),
        ("--initializer", entry.initializer),
        ("--pre-stop", entry.pre_stop),
    ):
        if value is not None:
            argv += [flag, value]
    if entry.env_file is not None:
        argv += ["--env-file", str((base / entry.env_file).resolve())]
    for key, value in entry.env.items():
        argv += ["--env", f"{key}={value}"]
    if config.oss is None:
        argv.append("--no-oss")
    return argv


def serve_config(path: Path, *, reload: bool = False) -> int:
    """Serve every function of a config file, each in its own process on its own port.

    ``reload`` (or ``"reload": true`` in the file) restarts a function's
    process when its code changes.
    """
    config = load_config(path)
    base = path.resolve().parent
    logs = RuntimeLogs(sys.stderr)
    with ExitStack() as stack:
        env = dict(os.environ)
        children: list[_Child] = []
        summary: list[str] = []
        for index, entry in enumerate(config.functions):
            port = (
                entry.port
                if entry.port is not None
                else (config.port + index if config.port else 0)
            )
            try:
                sock = listen(config.host, port)
            except OSError as exc:
                sys.stderr.write(
                    f"fcsdk serve: {entry.name}: cannot listen on {config.host}:{port}: "
                    f"{exc.strerror}\n"
                )
                return 2
            stack.callback(sock.close)
            url = f"http://{config.host}:{sock.getsockname()[1]}"
            argv = _function_argv(entry, config, base)
            watch = [(base / entry.code_dir).resolve()]
            children.append(_Child(entry.name, argv, sock, watch, env))
            summary.append(f"{entry.name}: {url}  ({entry.handler} in {entry.code_dir})")
            summary += [f"    {hint.replace('{url}', url)}" for hint in entry.hints]
        if config.oss is not None:
            oss = config.oss
            env.update(
                _oss_env(
                    stack, root=base / oss.dir, buckets=oss.buckets, port=config.port, logs=logs
                )
            )
        for line in summary:
            logs.message(line)
        return _supervise(children, logs, reload=reload or config.reload)
