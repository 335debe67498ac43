"""fc.idempotent on Redis over loopback: round trips, microseconds over the bare handler, batches.

A redis-server of its own (Debian's package; ``scripts/ensure-redis.sh``) on a
free loopback port. Figures:

- ``idempotency round trips, new key`` and ``..., repeat``: requests the
  client sent per invocation (a pipeline is one), counted on the client's
  connection; the server's command count is printed beside them (from
  ``INFO commandstats``);
- ``idempotency.new key / bare handler`` and ``idempotency.repeat / bare
  handler``: time ratios, with the microseconds over the bare handler printed;
- ``idempotency.batch per record, worst / best of 10-1,000``: the time per
  record of ``process_batch`` on all-new records, at 10, 100 and 1,000 records.
"""

from __future__ import annotations

import itertools
import shutil
import socket
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from typing import Any

import redis
from pydantic import BaseModel

import fcsdk as fc
from benchmarks._runner import Case, Extra
from fcsdk.idempotency import RedisStore, process_batch
from fcsdk.testing import fake_context


class Order(BaseModel):
    order_id: str
    amount: int


class Receipt(BaseModel):
    order_id: str
    charged: int


class _CountingConnection(redis.Connection):
    """A connection that counts what it sends: one count per request or pipeline."""

    sent = 0

    def send_packed_command(self, command: Any, check_health: bool = True) -> None:
        _CountingConnection.sent += 1
        super().send_packed_command(command, check_health)  # type: ignore[no-untyped-call]


def cases() -> list[Case]:
    """Everything is measured in :func:`extra_report` (it needs its own redis-server)."""
    return []


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _start_redis(binary: str, folder: str) -> tuple[subprocess.Popen[bytes], int]:
    for _ in range(5):
        port = _free_port()
        process = subprocess.Popen(
            [binary, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--dir", folder],
            stdout=subprocess.DEVNULL,
        )
        client = redis.Redis(port=port, socket_connect_timeout=0.5)
        give_up = time.monotonic() + 10
        while time.monotonic() < give_up and process.poll() is None:
            try:
                client.ping()
                client.close()
                return process, port
            except redis.ConnectionError:
                time.sleep(0.02)
        process.kill()
        process.wait()
    raise RuntimeError("redis-server did not start")


def _per_call(func: Callable[[], object], calls: int) -> tuple[float, float]:
    """Seconds per call: wall time, and this process's CPU time (the client's own work)."""
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(calls):
        func()
    return (time.perf_counter() - wall) / calls, (time.process_time() - cpu) / calls


def _evalsha_calls(admin: Any) -> int:
    return int(admin.info("commandstats").get("cmdstat_evalsha", {}).get("calls", 0))


def extra_report(rounds: int = 15) -> Extra:
    """Round trips and times of idempotent handlers and batches on a loopback redis-server.

    ``rounds`` interleaved rounds of timing (1 for a quick check of the figures' names).
    """
    binary = shutil.which("redis-server")
    if binary is None:
        return Extra(["idempotency: redis-server is missing (scripts/ensure-redis.sh): skipped"])
    with tempfile.TemporaryDirectory() as folder:
        process, port = _start_redis(binary, folder)
        try:
            return _measure(port, rounds)
        finally:
            process.kill()
            process.wait()


def _measure(port: int, rounds: int) -> Extra:
    url = f"redis://127.0.0.1:{port}/0"
    store = RedisStore.from_url(url, connection_class=_CountingConnection)
    admin = redis.Redis(port=port)
    context = fake_context(timeout=60)
    counter = itertools.count()

    def charge(event: Order, context: fc.FCContext) -> Receipt:
        return Receipt(order_id=event.order_id, charged=event.amount)

    bare = fc.handler(charge)
    guarded = fc.handler(fc.idempotent(store, key="order_id")(charge))
    repeat_event = b'{"order_id": "repeat", "amount": 3}'
    guarded(repeat_event, context)  # loads the scripts and stores the repeat's record

    def new_key() -> object:
        return guarded(b'{"order_id": "n%d", "amount": 3}' % next(counter), context)

    def repeat() -> object:
        return guarded(repeat_event, context)

    def bare_call() -> object:
        return bare(b'{"order_id": "n%d", "amount": 3}' % next(counter), context)

    lines: list[str] = []
    figures: dict[str, float] = {}
    counted = 500
    for name, func in (("new key", new_key), ("repeat", repeat)):
        admin.config_resetstat()
        _CountingConnection.sent = 0
        for _ in range(counted):
            func()
        trips = _CountingConnection.sent / counted
        commands = _evalsha_calls(admin) / counted
        figures[f"idempotency round trips, {name}"] = trips
        lines.append(
            f"idempotency {name}: {trips:.2f} round trips per invocation "
            f"({commands:.2f} EVALSHA on the server)"
        )
    raw = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5)  # as the store
    payload = b"x" * 120  # about a record's size

    def two_round_trips() -> object:
        name = b"raw:%d" % next(counter)
        raw.set(name, payload, nx=True, px=60000)
        return raw.set(name, payload, px=3600000)

    def one_round_trip() -> object:
        return raw.get(b"raw:0")

    subjects = {
        "bare handler": bare_call,
        "new key": new_key,
        "repeat": repeat,
        "2 round trips": two_round_trips,
        "1 round trip": one_round_trip,
    }
    wall: dict[str, list[float]] = {name: [] for name in subjects}
    cpu: dict[str, list[float]] = {name: [] for name in subjects}
    for _ in range(rounds):  # interleaved rounds: the machine's load hits every subject alike
        for name, func in subjects.items():
            seconds, used = _per_call(func, 100)
            wall[name].append(seconds)
            cpu[name].append(used)
    t = {name: statistics.median(values) for name, values in wall.items()}
    c = {name: statistics.median(values) for name, values in cpu.items()}
    base, base_cpu = t["bare handler"], c["bare handler"]
    for name, floor in (("new key", "2 round trips"), ("repeat", "1 round trip")):
        seconds, used = t[name], c[name]
        figures[f"idempotency.{name} / bare handler"] = seconds / base
        figures[f"idempotency.{name} / bare handler + {floor} (floor)"] = seconds / (
            base + t[floor]
        )
        figures[f"idempotency.{name} CPU / floor CPU"] = used / (base_cpu + c[floor])
        lines.append(
            f"idempotency {name}: {seconds * 1e6:.1f} us per invocation; bare handler "
            f"{base * 1e6:.1f} us: +{(seconds - base) * 1e6:.1f} us; the floor (bare handler + "
            f"{floor} of plain redis-py) {(base + t[floor]) * 1e6:.1f} us: "
            f"{seconds / (base + t[floor]):.2f}x"
        )
        lines.append(
            f"idempotency {name}, client CPU: {used * 1e6:.1f} us per invocation; bare handler "
            f"{base_cpu * 1e6:.1f} us: +{(used - base_cpu) * 1e6:.1f} us; the floor "
            f"{(base_cpu + c[floor]) * 1e6:.1f} us: {used / (base_cpu + c[floor]):.2f}x"
        )
    raw.close()
    lines += _batches(store, counter, context, figures, max(1, rounds // 3))
    store.close()
    admin.close()
    return Extra(lines, figures)


def _batches(
    store: RedisStore, counter: Any, context: Any, figures: dict[str, float], rounds: int
) -> list[str]:
    from fcsdk import _invocation

    lines = []
    sizes = (10, 100, 1000)
    samples: dict[int, list[float]] = {size: [] for size in sizes}
    trips: dict[int, int] = {}
    token = _invocation.enter(fc.FCContext.from_runtime(context))
    try:
        for _ in range(rounds):  # interleaved rounds: the machine's load hits every size alike
            for size in sizes:
                for _ in range(max(1, 1000 // size)):  # 1,000 records per size and round
                    batch = [{"id": next(counter), "amount": 1} for _ in range(size)]
                    _CountingConnection.sent = 0
                    start = time.perf_counter()
                    process_batch(store, batch, lambda r: r["amount"], key="id")
                    samples[size].append((time.perf_counter() - start) / size)
                    trips[size] = _CountingConnection.sent
    finally:
        _invocation.leave(token)
    per_record = {size: statistics.median(values) for size, values in samples.items()}
    for size in sizes:
        lines.append(
            f"idempotency batch of {size}: {per_record[size] * 1e6:.1f} us per record, "
            f"{trips[size]} round trips (1 pipelined claim + {trips[size] - 1} completions)"
        )
    worst, best = max(per_record.values()), min(per_record.values())
    figures["idempotency.batch per record, worst / best of 10-1,000"] = worst / best
    return lines
