"""``fcsdk serve`` as a supervisor: every function's server runs in a child process.

The supervisor binds every listening socket itself and hands it down, so a
port stays the same (and requests queue instead of failing) while a child
restarts, and a busy port is reported once, up front. It runs the local OSS
server once and passes it to every child. Each function runs in a process
of its own, as each FC function has instances of its own: several
``index.py`` modules never meet in one ``sys.modules``.

A child that dies after it started serving (a handler called ``os._exit()``,
or the process crashed) is started again, as FC starts a new instance: the
requests it was running fail, the next ones are answered. ``--reload``
restarts it when its code changes instead. A child that fails before it
serves (a bad option) stops the supervisor with its exit code.

A child never outlives its supervisor, even one killed with SIGKILL: on
Linux the kernel sends it SIGTERM when the supervisor dies
(``PR_SET_PDEATHSIG``), and on every system it watches a pipe whose other
end only the supervisor holds, and stops (SIGTERM to itself) when that pipe
ends.
"""

from __future__ import annotations

import json
import os
import select
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from fcsdk._local.embedded_oss import OSS_HANDOFF_ENV, local_oss, oss_banner, oss_port_for
from fcsdk._local.logs import RuntimeLogs
from fcsdk._local.reload import Watcher, watcher
from fcsdk.exceptions import ConfigurationError

__all__ = [
    "PARENT_FD_ENV",
    "LocalConfig",
    "LocalFunction",
    "busy_port_message",
    "serve_config",
    "serve_supervised",
    "watch_parent",
]

PARENT_FD_ENV = "FCSDK_SUPERVISOR_FD"
"""The child's end of the pipe only its supervisor writes to: it ends when the supervisor does."""
_PR_SET_PDEATHSIG = 1

_POLL_SECONDS = 0.5
_BANNER_SECONDS = 60.0  # how long --config waits for every function to say it serves
_MAX_RESTARTS = 5
"""A child restarted this many times within :data:`_RESTART_WINDOW` seconds is given up on."""
_RESTART_WINDOW = 60.0


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


def busy_port_message(host: str, port: int, exc: OSError, *, function: str | None = None) -> str:
    """Return what ``fcsdk serve`` says when it cannot listen, with how to pick another port."""
    reason = os.strerror(exc.errno) if exc.errno else str(exc)
    named = f" (function {function!r})" if function else ""
    return (
        f"fcsdk serve: cannot listen on {host}:{port}{named}: {reason}; "
        "choose another port with --port N, or --port 0 for any free port\n"
    )


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
        self.restarts: list[float] = []
        self._ready: int | None = None
        self.banner_pipe: int | None = None  # the first start's banner, for --config
        self._lifeline: int | None = None  # the supervisor's end of the child's pipe

    def start(self, *, banner: bool = False) -> None:
        fd = self.sock.fileno()
        self._close_ready()
        ready, ready_w = os.pipe()
        self._ready = ready
        command = [sys.executable, "-m", "fcsdk", "serve", *self.argv, "--listen-fd", str(fd)]
        command += ["--ready-fd", str(ready_w)]
        passed = [fd, ready_w]
        if banner:
            self.banner_pipe, banner_w = os.pipe()
            command += ["--banner-fd", str(banner_w)]
            passed.append(banner_w)
        self._close_lifeline()
        lifeline_r, self._lifeline = os.pipe()
        passed.append(lifeline_r)
        env = {**self.env, PARENT_FD_ENV: str(lifeline_r)}
        try:
            self.process = subprocess.Popen(
                command,
                pass_fds=passed,
                env=env,
                preexec_fn=_die_with_parent(),  # noqa: PLW1509  # no lock taken: see there
            )
        finally:
            for own in passed[1:]:
                os.close(own)
        self.reported_exit = False

    def _close_lifeline(self) -> None:
        if self._lifeline is not None:
            os.close(self._lifeline)
            self._lifeline = None

    def read_banner(self, deadline: float, stop: threading.Event) -> dict[str, Any] | None:
        """The serving line and hints the child sent, or None (it failed, or too slow)."""
        pipe, self.banner_pipe = self.banner_pipe, None
        if pipe is None:
            return None
        data = b""
        try:
            while not stop.is_set() and time.monotonic() < deadline:
                readable, _, _ = select.select([pipe], [], [], 0.2)
                if not readable:
                    continue
                chunk = os.read(pipe, 65536)
                if not chunk:
                    break
                data += chunk
        finally:
            os.close(pipe)
        try:
            banner = json.loads(data)
        except ValueError:
            return None
        return banner if isinstance(banner, dict) else None

    def served(self) -> bool:
        """Return True when the current process said it was serving before it ended."""
        if self._ready is None:
            return False
        readable, _, _ = select.select([self._ready], [], [], 0)
        return bool(readable) and os.read(self._ready, 1) == b"1"

    def _close_ready(self) -> None:
        if self._ready is not None:
            os.close(self._ready)
            self._ready = None

    def stop(self) -> None:
        process = self.process
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)
        self._close_ready()
        self._close_lifeline()

    def may_restart(self) -> bool:
        """Count a restart; False when there were too many lately."""
        now = time.monotonic()
        self.restarts = [t for t in self.restarts if now - t < _RESTART_WINDOW] + [now]
        return len(self.restarts) <= _MAX_RESTARTS

    def changed(self) -> bool:
        return self.watcher is not None and self.watcher.changed()


def _die_with_parent() -> Any:
    """A ``preexec_fn`` that has the kernel send the child SIGTERM when this process dies.

    Linux only (``prctl(PR_SET_PDEATHSIG)`` through ctypes, looked up here, in
    the parent: the function run between fork and exec only calls it);
    elsewhere ``None``, and the pipe :func:`watch_parent` reads does the work.
    The "parent" is the thread that starts the child: :func:`_supervise`
    starts every child from the main thread, which lives as long as the
    supervisor.
    """
    if not sys.platform.startswith("linux"):
        return None
    import ctypes

    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):  # pragma: no cover - a libc without prctl
        return None
    parent = os.getpid()

    def preexec() -> None:
        prctl(_PR_SET_PDEATHSIG, int(signal.SIGTERM))
        if os.getppid() != parent:  # the supervisor died before prctl took effect
            os.kill(os.getpid(), signal.SIGTERM)

    return preexec


def watch_parent() -> threading.Thread | None:
    """In a supervised child: stop this process (SIGTERM to itself) when the supervisor ends.

    Reads the pipe named by :data:`PARENT_FD_ENV` (removed from the
    environment) in a daemon thread: the read returns when the supervisor's
    end closes, which the kernel does when it dies, however it dies. Returns
    the thread, or ``None`` when this process was not started by a
    supervisor.
    """
    raw = os.environ.pop(PARENT_FD_ENV, "")
    if not raw.isdigit():
        return None
    fd = int(raw)

    def watch() -> None:
        try:
            while os.read(fd, 1):
                pass
        except OSError:
            pass
        os.kill(os.getpid(), signal.SIGTERM)

    thread = threading.Thread(target=watch, name="fcsdk-supervisor-watch", daemon=True)
    thread.start()
    return thread


def _ended(returncode: int) -> str:
    if returncode < 0:
        try:
            return f"was killed by {signal.Signals(-returncode).name}"
        except ValueError:  # pragma: no cover - an unnamed signal
            return f"was killed by signal {-returncode}"
    return f"exited with {returncode}"


def _supervise(
    children: list[_Child],
    logs: RuntimeLogs,
    *,
    reload: bool,
    announce: Callable[[threading.Event], None] | None = None,
) -> int:
    stop = threading.Event()

    def on_signal(signum: int, frame: object) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    code = 0
    try:
        for child in children:
            if reload:
                child.watcher = watcher(child.watch)
            child.start(banner=announce is not None)
        if announce is not None:
            announce(stop)
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
                ended = _ended(process.returncode)
                if reload:
                    logs.message(f"{child.label}: {ended}; waiting for a code change to restart")
                elif process.returncode == 0 and stop.wait(1.0):
                    break  # Ctrl-C reaches every process of the group: the child stopped first
                elif child.served() and child.may_restart():
                    logs.message(
                        f"{child.label}: the instance {ended} (did the handler call "
                        "os._exit()?); starting a new one"
                    )
                    child.start()
                else:
                    logs.message(f"{child.label}: {ended}; stopping")
                    code = process.returncode if process.returncode > 0 else 1
                    stop.set()
                    break
        if code == 0:
            logs.message("stopping")
    finally:
        for child in children:
            child.stop()
            if child.watcher is not None:
                child.watcher.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return code


def _oss_env(
    stack: ExitStack,
    *,
    root: Path,
    buckets: list[str],
    port: int,
    logs: RuntimeLogs,
    announce: bool,
) -> dict[str, str]:
    """Start the shared local OSS server; ``announce`` prints its line here, not in each child."""
    oss: dict[str, Any] = stack.enter_context(
        local_oss(root=root, buckets=buckets, port=oss_port_for(port))
    )
    if announce:
        logs.message(oss_banner(oss))
    return {OSS_HANDOFF_ENV: json.dumps({**oss, "announced": announce})}


def serve_supervised(args: Any, argv: list[str], *, reload: bool) -> int:
    """Serve one function in a child process: restarted if it dies, or on code changes."""
    logs = RuntimeLogs(sys.stderr)
    try:
        sock = listen(args.host, args.port)
    except OSError as exc:
        sys.stderr.write(busy_port_message(args.host, args.port, exc))
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
                    announce=False,
                )
            )
        watch = [Path(args.code_dir).resolve()]
        if reload:
            logs.message(f"reloading on changes under {watch[0]}")
        child = _Child(args.handler, [*argv, "--no-oss"] if args.no_oss else argv, sock, watch, env)
        return _supervise([child], logs, reload=reload)


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


def serve_config(
    path: Path,
    *,
    reload: bool = False,
    host: str | None = None,
    port: int | None = None,
    no_oss: bool = False,
    oss_dir: str | None = None,
    buckets: list[str] | None = None,
) -> int:
    """Serve every function of a config file, each in its own process on its own port.

    ``reload`` (or ``"reload": true`` in the file) restarts a function's
    process when its code changes. The other options override the file:
    ``port`` is the first function's port and shifts every function's port
    by the same amount, ``no_oss`` drops the OSS server, ``oss_dir`` and
    ``buckets`` (added to the file's) change it.
    """
    config = load_config(path)
    base = path.resolve().parent
    if host is not None:
        config.host = host
    if port is not None:
        shift = port - config.port
        for entry in config.functions:
            if entry.port is not None:
                entry.port = 0 if port == 0 else entry.port + shift
                if not 0 <= entry.port <= 65535:
                    raise ConfigurationError(
                        f"--port {port} moves function {entry.name!r} to port {entry.port}, "
                        "outside 0-65535"
                    )
        config.port = port
    if no_oss:
        config.oss = None
    elif config.oss is not None:
        if oss_dir is not None:
            config.oss.dir = str(Path(oss_dir).resolve())
        config.oss.buckets += [b for b in buckets or [] if b not in config.oss.buckets]
    logs = RuntimeLogs(sys.stderr)
    with ExitStack() as stack:
        env = dict(os.environ)
        children: list[_Child] = []
        served: list[tuple[int, LocalFunction, _Child, str]] = []
        for index, entry in enumerate(config.functions):
            port_i = (
                entry.port
                if entry.port is not None
                else (config.port + index if config.port else 0)
            )
            try:
                sock = listen(config.host, port_i)
            except OSError as exc:
                sys.stderr.write(busy_port_message(config.host, port_i, exc, function=entry.name))
                return 2
            stack.callback(sock.close)
            url = f"http://{config.host}:{sock.getsockname()[1]}"
            argv = _function_argv(entry, config, base)
            watch = [(base / entry.code_dir).resolve()]
            child = _Child(entry.name, argv, sock, watch, env)
            children.append(child)
            served.append((sock.getsockname()[1], entry, child, url))
        if config.oss is not None:
            oss = config.oss
            env.update(
                _oss_env(
                    stack,
                    root=base / oss.dir,
                    buckets=oss.buckets,
                    port=config.port,
                    logs=logs,
                    announce=True,
                )
            )

        def announce(stop: threading.Event) -> None:
            """Each function's serving line, then its hints (the config's, else its own)."""
            deadline = time.monotonic() + _BANNER_SECONDS
            for _, entry, child, url in sorted(served, key=lambda s: s[0]):
                banner = child.read_banner(deadline, stop) or {}
                serving = banner.get("serving") or f"{url} ({entry.handler} in {entry.code_dir})"
                own = [str(line) for line in banner.get("hints", [])]
                hints = [h.replace("{url}", url) for h in entry.hints] or own
                if entry.hints:  # the config's hints replace the child's, warnings kept
                    hints = [line for line in own if line.startswith("warning:")] + hints
                logs.message(f"{entry.name}: {serving}")
                for line in hints:
                    logs.message(f"    {line}")

        return _supervise(children, logs, reload=reload or config.reload, announce=announce)
