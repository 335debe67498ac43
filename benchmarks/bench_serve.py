"""``fcsdk serve`` against werkzeug's threaded development server: 16 clients, no keep-alive.

Both servers run the same hello ``@fc.http`` app (``benchmarks/serve_app``)
in a process of their own on loopback; a bounded load generator in this
process opens a new connection per request (``Connection: close``, as
``ab -c 16`` without ``-k``), from 16 threads, interleaving rounds of both
servers. It prints requests per second and the p50/p99 latency of each, and
the ratios. Target (issue 13, point 3): ``fcsdk serve`` rps >= werkzeug's,
p99 <= werkzeug's. On a loaded machine the figures are noisy: read the
ratio, and run it again before drawing conclusions.

Run alone with ``python -m benchmarks bench_serve`` (``FCSDK_BENCH_REQUESTS``
sets the requests per round, 2000 by default).
"""

from __future__ import annotations

import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from benchmarks._runner import Case, Extra

ROOT = Path(__file__).resolve().parent.parent
APP_DIR = Path(__file__).resolve().parent / "serve_app"
CLIENTS = 16
ROUNDS = 3
REQUEST = b"GET /hello HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"

WERKZEUG = """
import sys
from werkzeug.serving import run_simple
sys.path.insert(0, sys.argv[1])
from index import handler
run_simple("127.0.0.1", 0, handler, threaded=True)
"""


def cases() -> list[Case]:
    """No per-call cases: this module measures whole servers in :func:`extra_report`."""
    return []


def _wait_port(log: Path, process: subprocess.Popen[bytes]) -> int:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        found = re.search(r"http://127\.0\.0\.1:(\d+)", log.read_text(errors="replace"))
        if found:
            return int(found.group(1))
        if process.poll() is not None:
            break
        time.sleep(0.05)
    raise RuntimeError(f"server did not start:\n{log.read_text(errors='replace')}")


@contextmanager
def _server(command: list[str]) -> Iterator[int]:
    log = Path(tempfile.mkstemp(prefix="fcsdk-bench-", suffix=".log")[1])
    with log.open("wb") as sink:
        process = subprocess.Popen(
            command,
            stdout=sink,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
    try:
        yield _wait_port(log, process)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)
        log.unlink(missing_ok=True)


def _one(port: int) -> float:
    started = time.perf_counter()
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(REQUEST)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    if not answer.startswith(b"HTTP/1.1 200") or not answer.endswith(b"hello"):
        raise RuntimeError(f"unexpected answer: {answer[:200]!r}")
    return time.perf_counter() - started


def load(port: int, requests: int) -> tuple[float, list[float]]:
    """Send ``requests`` requests from 16 threads; return (requests per second, latencies)."""
    latencies: list[float] = []
    lock = threading.Lock()
    left = [requests]

    def client() -> None:
        mine: list[float] = []
        while True:
            with lock:
                if left[0] <= 0:
                    break
                left[0] -= 1
            mine.append(_one(port))
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return requests / (time.perf_counter() - started), latencies


def _p(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100)[q - 1] * 1000


def extra_report(rounds: int = ROUNDS) -> Extra:
    """Measure both servers in interleaved rounds: the report lines and two figures.

    ``serve / werkzeug threaded`` is time per request (werkzeug's rps over
    ours; at most 1.00 is the target), ``serve p99 / werkzeug threaded`` the
    p99 latency ratio (at most 1.00).
    """
    requests = int(os.environ.get("FCSDK_BENCH_REQUESTS", "2000"))
    fcsdk_cmd = [sys.executable, "-m", "fcsdk", "serve", "index.handler"]
    fcsdk_cmd += ["--code-dir", str(APP_DIR), "--no-oss", "--port", "0", "--concurrency", "16"]
    fcsdk_cmd += ["--runtime", "python3.10"]  # WSGI mode, as werkzeug serves (not the default)
    servers = {
        "fcsdk serve": fcsdk_cmd,
        "werkzeug threaded": [sys.executable, "-c", WERKZEUG, str(APP_DIR)],
    }
    rps: dict[str, list[float]] = {name: [] for name in servers}
    lat: dict[str, list[float]] = {name: [] for name in servers}
    with _server(servers["fcsdk serve"]) as ours, _server(servers["werkzeug threaded"]) as theirs:
        ports = {"fcsdk serve": ours, "werkzeug threaded": theirs}
        for port in ports.values():
            load(port, 200)  # warm up
        for _ in range(rounds):
            for name, port in ports.items():
                speed, latencies = load(port, requests)
                rps[name].append(speed)
                lat[name] += latencies
    lines = [f"serve, {CLIENTS} clients, no keep-alive, {rounds} x {requests} requests each:"]
    for name in servers:
        lines.append(
            f"  {name:18} {statistics.median(rps[name]):7.0f} rps   "
            f"p50 {_p(lat[name], 50):6.1f} ms   p99 {_p(lat[name], 99):6.1f} ms"
        )
    rps_ratio = statistics.median(rps["fcsdk serve"]) / statistics.median(rps["werkzeug threaded"])
    p99_ratio = _p(lat["fcsdk serve"], 99) / _p(lat["werkzeug threaded"], 99)
    lines.append(f"  rps fcsdk/werkzeug {rps_ratio:.2f} (target >= 1.00)")
    lines.append(f"  p99 fcsdk/werkzeug {p99_ratio:.2f} (target <= 1.00)")
    figures = {
        "serve / werkzeug threaded": 1 / rps_ratio,
        "serve p99 / werkzeug threaded": p99_ratio,
    }
    return Extra(lines, figures)


if __name__ == "__main__":
    for line in extra_report().lines:
        print(line)
