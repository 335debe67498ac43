"""Benchmarks of async handlers: the shared loop's cost per call, and 16 threads on one client.

overhead: the decode benchmark's handler (``benchmarks/coldstart/with_fcsdk.py``,
~600-byte OSS-shaped event, runtime-shaped context) written ``async def``
against the same handler written sync. Target: ≤ 1.5x.

loop design: one coroutine that returns at once, run by fcsdk's shared loop
(the calling thread drives it) against a loop in a background thread fed
with ``run_coroutine_threadsafe``, the design fcsdk did not choose.

concurrency (printed, not a ratio case): 16 threads x 200 invocations of an
async handler awaiting one shared ``httpx.AsyncClient`` against a loopback
async HTTP server, against the same handler written sync with one shared
blocking ``httpx.Client``; errors, request-id cross-talk and throughput; then
the same with a bare 2 ms wait (``asyncio.sleep`` vs ``time.sleep``), which
measures the loop without the client's own CPU cost.
"""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import httpx

import fcsdk as fc
from benchmarks._loopback import EchoServer
from benchmarks._runner import Case, Extra
from benchmarks.bench_core import EVENT, runtime_context
from benchmarks.coldstart.with_fcsdk import Event, Receipt, handler
from fcsdk import _aio
from fcsdk.testing import fake_context


@fc.handler(event_model=Event)
async def async_handler(event: Event, context: fc.FCContext) -> Receipt:
    """The decode benchmark's handler, written async."""
    obj = event.events[0].oss.object
    return Receipt(key=obj.key, size=obj.size)


async def _quick() -> int:
    return 1


_BACKGROUND: list[asyncio.AbstractEventLoop] = []


def _background() -> asyncio.AbstractEventLoop:
    """The design not chosen: a loop in a thread of its own (made when first timed)."""
    if not _BACKGROUND:
        loop = asyncio.new_event_loop()
        threading.Thread(target=loop.run_forever, daemon=True).start()
        _BACKGROUND.append(loop)
    return _BACKGROUND[0]


def cases() -> list[Case]:
    """The overhead and loop-design cases."""
    context = runtime_context()
    assert async_handler(EVENT, context) == handler(EVENT, context)

    return [
        Case(
            key="async.handler",
            name="async def under @fc.handler, same event and model",
            subject=lambda: async_handler(EVENT, context),
            baselines={"the same handler, sync": lambda: handler(EVENT, context)},
            calls=2000,
        ),
        Case(
            key="async.loop",
            name="loop design: a coroutine that returns at once",
            subject=lambda: _aio.run(_quick()),
            baselines={
                "background loop thread": lambda: asyncio.run_coroutine_threadsafe(
                    _quick(), _background()
                ).result()
            },
            calls=500,
        ),
    ]


def _hammer(call: Any, threads: int, per_thread: int) -> tuple[float, int, int]:
    """Run ``call(request_id)`` from ``threads`` threads; return (seconds, errors, cross-talk)."""
    errors = [0]
    crossed = [0]

    def worker(n: int) -> None:
        for i in range(per_thread):
            rid = f"1-{n:04x}-{i:08x}"
            try:
                got = call(rid)
            except Exception:
                errors[0] += 1
                continue
            if got != f"{rid}|{rid}":
                crossed[0] += 1

    pool = [threading.Thread(target=worker, args=(n,)) for n in range(threads)]
    start = time.perf_counter()
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    return time.perf_counter() - start, errors[0], crossed[0]


def extra_report(rounds: int = 200, threads: int = 16) -> Extra:
    """16 threads x ``rounds`` invocations, async on one AsyncClient vs sync on a blocking one.

    Figures (time ratios, async / sync; no target, the issue asks for the figure):
    ``async.threads / sync, one blocking Client`` and ``async.threads /
    sync, time.sleep`` (the loop alone).
    """
    per_thread = rounds
    server = EchoServer(delay=0.002)  # a remote service's latency
    base = server.start()
    shared: dict[str, Any] = {}

    @fc.initializer
    async def init(context: fc.FCContext) -> None:
        shared["async"] = httpx.AsyncClient(
            base_url=base, limits=httpx.Limits(max_connections=threads)
        )

    @fc.handler
    async def async_call(event: bytes, context: fc.FCContext) -> str:
        reply = await shared["async"].get("/", headers={"x-request-id": context.request_id})
        current = fc.logging.current_context()
        return f"{reply.text}|{current.request_id}"

    @fc.handler
    def sync_call(event: bytes, context: fc.FCContext) -> str:
        reply = shared["sync"].get("/", headers={"x-request-id": context.request_id})
        current = fc.logging.current_context()
        return f"{reply.text}|{current.request_id}"

    init(fake_context())
    shared["sync"] = httpx.Client(base_url=base, limits=httpx.Limits(max_connections=threads))

    def run_async(rid: str) -> str:
        return str(async_call(b"", fake_context(request_id=rid)))

    def run_sync(rid: str) -> str:
        return str(sync_call(b"", fake_context(request_id=rid)))

    total = threads * per_thread
    lines = [f"concurrency: {threads} threads x {per_thread} invocations, loopback server, 2 ms"]
    took: dict[str, float] = {}
    for name, call in (("async, one AsyncClient", run_async), ("sync, one Client", run_sync)):
        _hammer(call, threads, 5)  # connections opened, schemas built
        seconds, errors, crossed = _hammer(call, threads, per_thread)
        took[name] = seconds
        lines.append(
            f"  {name:<24}{total / seconds:8.0f} invocations/s   errors {errors}"
            f"   request-id cross-talk {crossed}"
        )
    shared["sync"].close()
    _aio.run(shared["async"].aclose())

    # The loop alone: the same 2 ms wait without a client, against blocking threads.
    @fc.handler
    async def async_wait(event: bytes, context: fc.FCContext) -> str:
        await asyncio.sleep(0.002)
        return f"{context.request_id}|{fc.logging.current_context().request_id}"

    @fc.handler
    def sync_wait(event: bytes, context: fc.FCContext) -> str:
        time.sleep(0.002)
        return f"{context.request_id}|{fc.logging.current_context().request_id}"

    for name, handler_ in (("async, asyncio.sleep", async_wait), ("sync, time.sleep", sync_wait)):
        seconds, errors, crossed = _hammer(
            lambda rid, h=handler_: str(h(b"", fake_context(request_id=rid))), threads, per_thread
        )
        took[name] = seconds
        lines.append(
            f"  {name:<24}{total / seconds:8.0f} invocations/s   errors {errors}"
            f"   request-id cross-talk {crossed}"
        )
    figures = {
        "async.threads / sync, one blocking Client": took["async, one AsyncClient"]
        / took["sync, one Client"],
        "async.threads / sync, time.sleep": took["async, asyncio.sleep"] / took["sync, time.sleep"],
    }
    server.stop()
    return Extra(lines, figures)
