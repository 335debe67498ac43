"""``python -m fcsdk web`` against bare uvicorn, both serving the same FastAPI app.

Both servers run ``benchmarks/web_app/bench_web_app.py`` in a process of
their own on loopback (bare uvicorn as ``python -m uvicorn
bench_web_app:app``, without its access log and its ``Server`` and ``Date``
headers, as the web function's server runs: the comparison is of the
wrapper alone). The figures:

* ``web rps / bare uvicorn``: ``GET /ping`` with FC's ``x-fc-*`` headers from
  16 keep-alive connections of an asyncio client in this process, rounds of
  both servers interleaved: the requests each server answers per second of
  its own CPU time (what it can serve, which load from other processes moves
  least; the wall-clock rps is printed beside it), as time per request:
  bare uvicorn's over ours (at most 1/0.9: ours at least 0.9x theirs);
* ``web start / bare uvicorn``: process start to the first ``/ping`` answer,
  the median of alternating starts (at most 1.2);
* ``web 40 async x 0.5 s / 1.5 s`` and ``web 20 sync x 0.5 s / 1.6 s``: one
  instance, that many concurrent requests each waiting 0.5 s, the wall time
  over the target's bound (at most 1.0);
* ``web stream first bytes / last bytes``: when the first chunk of a stream
  whose last is produced 0.3 s later arrives, over when the last does (at
  most 0.5: a collected response would make it 1.0).

On a machine others load the figures are noisy: read the ratios, and run it
again before drawing conclusions. Run alone with ``python -m benchmarks
bench_web`` (``FCSDK_BENCH_REQUESTS`` sets the requests per round, 3000 by
default).
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from benchmarks._runner import Case, Extra

ROOT = Path(__file__).resolve().parent.parent
APP_DIR = Path(__file__).resolve().parent / "web_app"
CLIENTS = 16
ROUNDS = 7
FC_HEADERS = (
    b"x-fc-request-id: 5f2c8a9e-1b3d-4c6e-8f0a-2b4d6e8f0a1c\r\n"
    b"x-fc-access-key-id: STS.NTk+ab/Cd=x\r\n"
    b"x-fc-access-key-secret: Se+cr/et==Key9\r\n"
    b"x-fc-security-token: CAIS+tok/en==abc/xyz+\r\n"
    b"x-fc-function-name: orders\r\n"
    b"x-fc-function-handler: index.handler\r\n"
    b"x-fc-function-memory: 512\r\n"
    b"x-fc-function-timeout: 60\r\n"
    b"x-fc-region: cn-hangzhou\r\n"
    b"x-fc-account-id: 1234567890\r\n"
)


def cases() -> list[Case]:
    """No per-call cases: this module measures whole servers in :func:`extra_report`."""
    return []


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _commands(port: int) -> dict[str, list[str]]:
    common = ["--host", "127.0.0.1", "--port", str(port)]
    return {
        "fcsdk web": [sys.executable, "-m", "fcsdk", "web", "bench_web_app", *common],
        "bare uvicorn": [
            sys.executable,
            "-m",
            "uvicorn",
            "bench_web_app:app",
            *common,
            "--no-access-log",
            "--no-server-header",
            "--no-date-header",
            "--log-level",
            "warning",
        ],
    }


def _request(path: str, *, close: bool = False) -> bytes:
    connection = b"Connection: close\r\n" if close else b""
    return (
        b"GET "
        + path.encode()
        + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        + FC_HEADERS
        + connection
        + b"\r\n"
    )


def _get(port: int, path: str, timeout: float = 30) -> bytes:
    """One request on a fresh connection; the whole answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(_request(path, close=True))
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    return answer


@contextmanager
def _server(name: str) -> Iterator[tuple[int, float, int]]:
    """Start one server; yield its port, the seconds from start to first answer, its pid."""
    port = _free_port()
    started = time.perf_counter()
    process = subprocess.Popen(
        _commands(port)[name],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=APP_DIR,
        env={**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{APP_DIR}"},
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{name} did not start (exit code {process.poll()})")
            try:
                answer = _get(port, "/ping", timeout=5)
            except OSError:
                time.sleep(0.005)
                continue
            if answer.startswith(b"HTTP/1.1 200"):
                break
        yield port, time.perf_counter() - started, process.pid
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


async def _client(port: int, left: list[int]) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    request = _request("/ping")
    try:
        while left[0] > 0:
            left[0] -= 1
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            body = await reader.readexactly(length)
            if not head.startswith(b"HTTP/1.1 200") or body != b'{"ok":true}':
                raise RuntimeError(f"unexpected answer: {head[:200]!r} {body[:100]!r}")
    finally:
        writer.close()


def _cpu_seconds(pid: int) -> float:
    """User and system CPU seconds a process has used so far (Linux ``/proc``), else 0."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def load(port: int, requests: int) -> float:
    """Send ``requests`` requests over 16 keep-alive connections; return requests per second."""

    async def run() -> float:
        left = [requests]
        started = time.perf_counter()
        await asyncio.gather(*(_client(port, left) for _ in range(CLIENTS)))
        return requests / (time.perf_counter() - started)

    return asyncio.run(run())


def _concurrent(port: int, path: str, count: int) -> float:
    """Seconds for ``count`` concurrent requests to ``path`` to all answer."""

    async def one() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(_request(path, close=True))
        answer = await reader.read()
        writer.close()
        if not answer.startswith(b"HTTP/1.1 200"):
            raise RuntimeError(f"unexpected answer: {answer[:200]!r}")

    async def run() -> float:
        started = time.perf_counter()
        await asyncio.gather(*(one() for _ in range(count)))
        return time.perf_counter() - started

    return asyncio.run(run())


def _stream(port: int) -> tuple[float, float]:
    """Seconds from the request to the stream's first bytes, and to its last."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        started = time.perf_counter()
        sock.sendall(_request("/stream", close=True))
        answer = b""
        first = 0.0
        while chunk := sock.recv(65536):
            answer += chunk
            if not first and b"first" in answer:
                first = time.perf_counter() - started
        last = time.perf_counter() - started
    if b"last" not in answer:
        raise RuntimeError(f"unexpected stream: {answer[:300]!r}")
    return first, last


def extra_report(rounds: int = ROUNDS) -> Extra:
    """Measure both servers: the report lines and the five figures."""
    requests = int(os.environ.get("FCSDK_BENCH_REQUESTS", "3000"))
    names = ("fcsdk web", "bare uvicorn")
    starts: dict[str, list[float]] = {name: [] for name in names}
    for _ in range(max(rounds, 1)):
        for name in names:
            with _server(name) as (_, seconds, _pid):
                starts[name].append(seconds)
    rps: dict[str, list[float]] = {name: [] for name in names}
    per_cpu: dict[str, list[float]] = {name: [] for name in names}
    with (
        _server("fcsdk web") as (ours, _, our_pid),
        _server("bare uvicorn") as (theirs, _, their_pid),
    ):
        servers = {"fcsdk web": (ours, our_pid), "bare uvicorn": (theirs, their_pid)}
        for port, _pid in servers.values():
            load(port, 300)  # warm up
        for i in range(rounds):
            order = list(servers.items()) if i % 2 == 0 else list(reversed(servers.items()))
            for name, (port, pid) in order:
                cpu = _cpu_seconds(pid)
                rps[name].append(load(port, requests))
                used = _cpu_seconds(pid) - cpu
                if used > 0:
                    per_cpu[name].append(requests / used)
        async_wall = _concurrent(ours, "/wait", 40)
        sync_wall = _concurrent(ours, "/wait-sync", 20)
        first, last = _stream(ours)
    start = {name: statistics.median(values) for name, values in starts.items()}
    speed = {name: statistics.median(values) for name, values in rps.items()}
    # What a server can serve per second of its own CPU is what load from other processes on
    # a shared machine moves least (the wall-clock rps of each round is printed beside it).
    if all(per_cpu.values()):
        capacity = {name: statistics.median(values) for name, values in per_cpu.items()}
    else:  # no /proc here: wall-clock rps
        capacity = speed
    rps_ratio = capacity["fcsdk web"] / capacity["bare uvicorn"]
    lines = [
        f"web function server vs bare uvicorn (FastAPI), {CLIENTS} keep-alive clients, "
        f"{rounds} x {requests} requests each (noisy on a shared machine):",
    ]
    for name in names:
        lines.append(
            f"  {name:14} {speed[name]:7.0f} rps (wall clock)   "
            f"start to first answer {start[name] * 1000:6.0f} ms"
        )
    start_ratio = start["fcsdk web"] / start["bare uvicorn"]
    lines += [
        f"  requests per CPU second: fcsdk {capacity['fcsdk web']:.0f}, "
        f"uvicorn {capacity['bare uvicorn']:.0f}, ratio {rps_ratio:.2f} (target >= 0.90)",
        f"  start fcsdk/uvicorn {start_ratio:.2f} (target <= 1.20)",
        f"  40 concurrent async requests waiting 0.5 s: {async_wall:.2f} s (target < 1.5 s)",
        f"  20 concurrent sync requests waiting 0.5 s: {sync_wall:.2f} s (target < 1.6 s)",
        f"  stream: first bytes at {first * 1000:.0f} ms, last at {last * 1000:.0f} ms "
        "(the last produced 300 ms after the first)",
    ]
    figures = {
        "web rps / bare uvicorn": 1 / rps_ratio,
        "web start / bare uvicorn": start_ratio,
        "web 40 async x 0.5 s / 1.5 s": async_wall / 1.5,
        "web 20 sync x 0.5 s / 1.6 s": sync_wall / 1.6,
        "web stream first bytes / last bytes": first / last,
    }
    return Extra(lines, figures)


if __name__ == "__main__":
    for line in extra_report().lines:
        print(line)
