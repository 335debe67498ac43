"""Start ``fcsdk serve`` in a subprocess on a free port and stop it, for the tests.

Every wait is bounded; the server is always stopped (SIGTERM, then SIGKILL).
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
APPS = Path(__file__).resolve().parent / "apps"
_BANNER = re.compile(r"on (http://127\.0\.0\.1:(\d+))")


class Served:
    """A running ``fcsdk serve`` process: its URL and its log."""

    def __init__(self, process: subprocess.Popen[bytes], url: str, log: Path) -> None:
        self.process = process
        self.url = url
        self.log_path = log

    def log(self) -> str:
        """Return what the server wrote so far (stdout and stderr)."""
        return self.log_path.read_text(errors="replace")

    def wait_log(self, pattern: str, seconds: float = 20.0) -> re.Match[str]:
        """Wait (bounded) until the log matches ``pattern``; return the match."""
        deadline = time.monotonic() + seconds
        while True:
            found = re.search(pattern, self.log())
            if found:
                return found
            if time.monotonic() > deadline:
                raise AssertionError(f"{pattern!r} not in the log:\n{self.log()}")
            time.sleep(0.02)

    def stop(self, sig: int = signal.SIGTERM) -> int:
        """Stop the server (``sig`` first, SIGKILL after 20 s) and return its exit code."""
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        return self.process.returncode


def start(
    *args: str, env: dict[str, str] | None = None, wait: float = 30.0, port: int = 0
) -> Served:
    """Start ``python -m fcsdk serve ARGS --port PORT`` (any free port) and wait for its banner."""
    log = Path(tempfile.mkstemp(prefix="fcsdk-serve-", suffix=".log")[1])
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "fcsdk", "serve", *args, "--port", str(port)],
            stdout=sink,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})},
        )
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        found = _BANNER.search(log.read_text(errors="replace"))
        if found:
            return Served(process, found.group(1), log)
        if process.poll() is not None:
            break
        time.sleep(0.05)
    process.kill()
    process.wait(5)
    raise RuntimeError(f"fcsdk serve did not start:\n{log.read_text(errors='replace')}")


@contextmanager
def served(*args: str, env: dict[str, str] | None = None, port: int = 0) -> Iterator[Served]:
    """Run ``fcsdk serve`` for the duration of the block."""
    server = start(*args, env=env, port=port)
    try:
        yield server
    finally:
        server.stop()
