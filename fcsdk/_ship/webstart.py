"""``fcsdk coldstart`` for a web function: from process start to the first HTTP answer.

FC starts a custom runtime's startup command (``customRuntimeConfig.command``,
default ``/code/bootstrap``) in ``/code`` and waits for an HTTP server on the
function's port (``FC_CUSTOM_LISTEN_PORT``). Here the package is unpacked
read-only, the command is started the same way (``/code/`` mapped to the
unpacked folder, the target's Python first on ``PATH`` as ``python3``, FC's
variables and a free loopback port in the environment), and the port is
polled until the first HTTP answer arrives, whatever its status: that
moment, from the spawn, is the cold start. Each run's process group is
stopped afterwards.
"""

from __future__ import annotations

import os
import signal
import socket
import statistics
import subprocess
import tempfile
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fcsdk._ship.bytecode import Interpreter
from fcsdk._ship.coldstart import _CREDENTIAL_ENV, ColdStartError, unpacked
from fcsdk._ship.progress import Step, quiet
from fcsdk.exceptions import ConfigurationError

__all__ = ["WebColdStartReport", "measure_web"]

# FC waits this long for a custom runtime's server before it gives up on the instance.
START_TIMEOUT = 120.0
_POLL = 0.005  # seconds between two connection attempts while the server starts
STOP_WAIT = 5.0  # seconds a stopped command has after SIGTERM, before SIGKILL


@dataclass
class WebColdStartReport:
    """What ``fcsdk coldstart`` measured for a web function.

    Attributes:
        package: the zip measured.
        command: the startup command, as ``s.yaml`` writes it.
        interpreter: the Python put first on ``PATH``.
        zipped_size, unzipped_size, file_count: the package's size.
        first_answer: each run's time from spawn to the first HTTP answer, in ms.
        status: the first answer's status line, of the last run.
    """

    package: Path
    command: tuple[str, ...]
    interpreter: Interpreter
    zipped_size: int
    unzipped_size: int
    file_count: int
    first_answer: list[float]
    status: str

    @property
    def cold_start_ms(self) -> float:
        """The median time to the first answer: what ``--budget-ms`` is checked against."""
        return round(statistics.median(self.first_answer), 2)

    def stats(self) -> dict[str, float]:
        """Median, min and max of the first answer, in ms."""
        values = self.first_answer
        return {
            "median": self.cold_start_ms,
            "min": round(min(values), 2),
            "max": round(max(values), 2),
        }

    def to_json(self) -> dict[str, Any]:
        """The raw figures, for ``--json``."""
        return {
            "package": {
                "path": str(self.package),
                "zipped_bytes": self.zipped_size,
                "unzipped_bytes": self.unzipped_size,
                "files": self.file_count,
            },
            "command": list(self.command),
            "python": {"path": self.interpreter.path, "version": self.interpreter.version},
            "first_answer_ms": self.first_answer,
            "stats_ms": self.stats(),
            "cold_start_ms": self.cold_start_ms,
            "status": self.status,
        }

    def render(self) -> str:
        """The text ``fcsdk coldstart`` prints."""
        from fcsdk._ship.build import format_size

        s = self.stats()
        return "\n".join(
            [
                f"{self.package.name}: {format_size(self.zipped_size)} zipped, "
                f"{format_size(self.unzipped_size)} unzipped, {self.file_count} files",
                f"web function: {' '.join(self.command)} with Python {self.interpreter.version} "
                f"({self.interpreter.path}) as python3, {len(self.first_answer)} fresh starts, "
                "read-only code folder",
                "",
                f"  {'phase':<34} {'median':>9} {'min':>9} {'max':>9}",
                f"  {'process start to first answer':<34} {s['median']:>6.1f} ms "
                f"{s['min']:>6.1f} ms {s['max']:>6.1f} ms",
                "",
                f"first answer: {self.status}",
            ]
        )


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _answer(port: int, wait: float) -> str | None:
    """The status line of ``GET /`` on ``port``, or ``None`` when nothing answers yet.

    Connecting and each read wait at most ``wait`` seconds: a server that takes the
    connection and never answers holds the measurement no longer than its limit.
    """
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=wait) as conn:
            conn.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            data = b""
            while b"\r\n" not in data:
                chunk = conn.recv(4096)
                if not chunk:
                    break
                data += chunk
    except OSError:
        return None
    line = data.split(b"\r\n", 1)[0].decode("latin-1")
    return line if line.startswith("HTTP/") else None


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Stop the command and everything it started (its own process group)."""
    if process.poll() is None:
        for sig, wait in ((signal.SIGTERM, STOP_WAIT), (signal.SIGKILL, STOP_WAIT)):
            try:
                os.killpg(process.pid, sig)
            except ProcessLookupError:  # pragma: no cover - it exited since poll()
                break
            try:
                process.wait(timeout=wait)
                break
            except subprocess.TimeoutExpired:
                continue


def _one_start(
    argv: list[str], env: dict[str, str], code: Path, port: int, timeout: float
) -> tuple[float, str]:
    """Start ``argv`` and wait for its first answer: (milliseconds, status line)."""
    with tempfile.TemporaryFile() as err:
        spawn = time.perf_counter()
        try:
            process = subprocess.Popen(
                argv,
                cwd=code,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=err,
                start_new_session=True,
            )
        except OSError as exc:
            raise ColdStartError(f"cannot start {argv[0]}: {exc}") from exc
        try:
            deadline = spawn + timeout
            while True:
                status = _answer(port, max(deadline - time.perf_counter(), _POLL))
                if status is not None:
                    return (time.perf_counter() - spawn) * 1000, status
                if process.poll() is not None:
                    err.seek(0)
                    tail = err.read().decode("utf-8", "replace").strip().splitlines()[-1:]
                    raise ColdStartError(
                        f"the startup command exited with {process.returncode} before "
                        f"answering on port {port}: {tail[0] if tail else 'no output'}"
                    )
                if time.perf_counter() > deadline:
                    raise ColdStartError(
                        f"the startup command did not answer on FC_CUSTOM_LISTEN_PORT ({port}) "
                        f"within {timeout:.0f} s (FC gives up after {START_TIMEOUT:.0f} s)"
                    )
                time.sleep(_POLL)
        finally:
            _stop(process)


def measure_web(
    zip_path: Path,
    interpreter: Interpreter,
    *,
    command: tuple[str, ...] = ("/code/bootstrap",),
    runs: int = 10,
    env: dict[str, str] | None = None,
    timeout: float | None = None,
    progress: Step = quiet,
) -> WebColdStartReport:
    """Measure a web function's cold start: its startup command's spawn to its first answer.

    Raises:
        ColdStartError: the zip cannot be read, the command does not start, exits
            before answering, or does not answer within ``timeout``.
        ConfigurationError: ``runs`` is below 1, or the command is empty.
    """
    if runs < 1:
        raise ConfigurationError(f"runs must be at least 1, got {runs}")
    limit = START_TIMEOUT if timeout is None else timeout
    if not command:
        raise ConfigurationError("the startup command is empty")
    try:
        with zipfile.ZipFile(zip_path) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, OSError) as exc:
        raise ColdStartError(f"{zip_path} is not a zip file") from exc
    with tempfile.TemporaryDirectory(prefix="fcsdk-webstart-") as tmp, unpacked(zip_path) as code:
        bin_dir = Path(tmp) / "bin"
        bin_dir.mkdir()
        for name in ("python3", "python", f"python{interpreter.version}"):
            (bin_dir / name).symlink_to(interpreter.path)
        argv = [
            str(code / word[len("/code/") :]) if word.startswith("/code/") else word
            for word in command
        ]
        first = argv[0]
        if "/" in first and not first.startswith("/") and (code / first).exists():
            argv[0] = str(code / first)
        child_env = {
            k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "COVERAGE"))
        }
        child_env.update(_CREDENTIAL_ENV)
        child_env["PATH"] = f"{bin_dir}{os.pathsep}{child_env.get('PATH', '')}"
        child_env["FC_FUNC_CODE_PATH"] = str(code)
        child_env.update(env or {})
        times: list[float] = []
        status = ""
        for i in range(runs):
            progress(f"start {i + 1} of {runs}")
            port = _free_port()
            run_env = {**child_env, "FC_CUSTOM_LISTEN_PORT": str(port), "FC_SERVER_PORT": str(port)}
            elapsed, status = _one_start(argv, run_env, code, port, limit)
            times.append(round(elapsed, 3))
    return WebColdStartReport(
        package=zip_path,
        command=command,
        interpreter=interpreter,
        zipped_size=zip_path.stat().st_size,
        unzipped_size=sum(i.file_size for i in infos),
        file_count=sum(1 for i in infos if not i.is_dir()),
        first_answer=times,
        status=status,
    )
