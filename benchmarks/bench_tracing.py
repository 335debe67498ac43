"""What tracing costs an invocation: fcsdk.tracing on against the same handler untraced.

The handler is the decode benchmark's (``benchmarks/coldstart/with_fcsdk.py``:
a ~600-byte OSS-shaped event, a runtime-shaped context) with FC's Jaeger span
context in the context, as FC sends it when tracing is enabled.

span: the invocation span is made, attributed and ended (exported to an
in-memory exporter, so only fcsdk's and OpenTelemetry's own work is timed).

export: the real thing: OTLP over HTTP to a loopback collector, the span
exported before the invocation returns (one HTTP round trip per invocation,
as on FC, where the instance may be frozen right after).

Printed figures (no target: the cost is documented in docs/tracing.md): the
ratios of both cases to the untraced handler, and the import cost of
``fcsdk.tracing.configure()`` in a fresh interpreter.
"""

from __future__ import annotations

import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from benchmarks._runner import Case, Extra
from benchmarks.bench_core import EVENT
from benchmarks.coldstart.with_fcsdk import handler
from fcsdk import _invocation
from fcsdk.testing import fake_context


def _context() -> Any:
    """A python3.10-shaped context carrying FC's span context."""
    return fake_context(
        request_id="1-6543a1b2-0f1e2d3c4b5a69788796a5b4",
        tracing={"span_context": "5e2c3b7a9f104d6e:1a2b3c4d5e6f7081:0:1", "span_baggages": {}},
    )


class _Sink(BaseHTTPRequestHandler):
    """Takes an OTLP export and answers 200 with an empty ExportTraceServiceResponse."""

    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


def _tracers() -> tuple[Any, Any]:
    """(in-memory tracer, OTLP-to-loopback tracer), each an InvocationTracer of its own."""
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    import fcsdk.tracing

    memory = InMemorySpanExporter()
    fcsdk.tracing.configure(span_processor=SimpleSpanProcessor(memory), set_global=False)
    in_memory = _invocation.TRACE[0]
    _invocation.TRACE[0] = None  # keep that provider: configure() would shut it down
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Sink)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    fcsdk.tracing.configure(
        endpoint=f"http://127.0.0.1:{server.server_address[1]}/v1/traces", set_global=False
    )
    exporting = _invocation.TRACE[0]
    _invocation.TRACE[0] = None

    def drop() -> None:  # the in-memory exporter must not grow without bound
        memory.clear()

    in_memory.clear = drop
    return in_memory, exporting


def cases() -> list[Case]:
    """Tracing on (in memory; to a loopback collector) against the untraced handler."""
    context = _context()
    in_memory, exporting = _tracers()
    slot = _invocation.TRACE

    def untraced() -> object:
        slot[0] = None
        return handler(EVENT, context)

    def spans() -> object:
        slot[0] = in_memory
        try:
            return handler(EVENT, context)
        finally:
            slot[0] = None
            in_memory.clear()

    def exported() -> object:
        slot[0] = exporting
        try:
            return handler(EVENT, context)
        finally:
            slot[0] = None

    assert spans() == untraced() == exported()
    return [
        Case(
            key="tracing.span",
            name="an invocation span (in-memory exporter) around the decode benchmark's handler",
            subject=spans,
            baselines={"the handler untraced": untraced},
            calls=500,
        ),
        Case(
            key="tracing.export",
            name="the same, exported over OTLP/HTTP to a loopback collector before returning",
            subject=exported,
            baselines={"the handler untraced": untraced},
            calls=100,
            samples=11,
        ),
    ]


def extra_report(rounds: int = 5) -> Extra:
    """The import and set-up cost of ``fcsdk.tracing.configure()``, in ``rounds`` interpreters."""
    code = (
        "import time, fcsdk; t = time.perf_counter(); import fcsdk.tracing; "
        "fcsdk.tracing.configure(endpoint='http://127.0.0.1:9/v1/traces'); "
        "print(time.perf_counter() - t)"
    )
    runs = sorted(
        float(
            subprocess.run(
                [sys.executable, "-c", code], capture_output=True, text=True, check=True
            ).stdout
        )
        for _ in range(rounds)
    )
    median = runs[len(runs) // 2]
    return Extra(
        lines=[f"tracing.configure (import and set-up, fresh interpreter): {median * 1000:.0f} ms"],
        figures={},
    )
