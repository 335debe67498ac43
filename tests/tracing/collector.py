"""A loopback OTLP/HTTP trace collector that decodes with OpenTelemetry's own proto package."""

from __future__ import annotations

import gzip
import threading
import zlib
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)


@dataclass(frozen=True)
class Received:
    """One span as the collector decoded it."""

    name: str
    trace_id: str
    span_id: str
    parent_span_id: str
    kind: int
    status_code: int
    status_message: str
    attributes: dict[str, Any]
    events: tuple[tuple[str, dict[str, Any]], ...]
    resource: dict[str, Any]
    trace_state: str = ""
    flags: int = 0
    """OTLP's span flags: 0x100 "whether the parent is remote" is known, 0x200 it is remote."""
    scope: tuple[str, str, str] = ("", "", "")
    """The instrumentation scope's name and version, and its schema URL."""
    scope_attributes: dict[str, Any] = field(default_factory=dict)


def _value(any_value: Any) -> Any:
    kind = any_value.WhichOneof("value")
    return None if kind is None else getattr(any_value, kind)


def _attributes(pairs: Any) -> dict[str, Any]:
    return {pair.key: _value(pair.value) for pair in pairs}


class Collector:
    """``POST /v1/traces`` on 127.0.0.1: stores the decoded spans; may stall or refuse."""

    def __init__(self) -> None:
        self.spans: list[Received] = []
        self.requests = 0
        self.headers: list[dict[str, str]] = []
        self.stall = threading.Event()  # set: each request waits for `release`
        self.arrived = threading.Event()  # set when a request arrives (before any stall)
        self.release = threading.Event()
        self.received = threading.Condition()
        collector = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                encoding = self.headers.get("Content-Encoding", "")
                if encoding == "gzip":
                    body = gzip.decompress(body)
                elif encoding == "deflate":
                    body = zlib.decompress(body)
                collector.arrived.set()
                if collector.stall.is_set():
                    collector.release.wait(30)
                request = ExportTraceServiceRequest()
                request.ParseFromString(body)
                collector._store(request, dict(self.headers))
                answer = ExportTraceServiceResponse().SerializeToString()
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def endpoint(self) -> str:
        """The OTLP/HTTP traces endpoint."""
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1/traces"

    def _store(self, request: Any, headers: dict[str, str]) -> None:
        found = []
        for resource_spans in request.resource_spans:
            resource = _attributes(resource_spans.resource.attributes)
            for scope_spans in resource_spans.scope_spans:
                scope = scope_spans.scope
                for span in scope_spans.spans:
                    found.append(
                        Received(
                            name=span.name,
                            trace_id=span.trace_id.hex(),
                            span_id=span.span_id.hex(),
                            parent_span_id=span.parent_span_id.hex(),
                            kind=span.kind,
                            status_code=span.status.code,
                            status_message=span.status.message,
                            attributes=_attributes(span.attributes),
                            events=tuple(
                                (event.name, _attributes(event.attributes)) for event in span.events
                            ),
                            resource=resource,
                            trace_state=span.trace_state,
                            flags=span.flags,
                            scope=(scope.name, scope.version, scope_spans.schema_url),
                            scope_attributes=_attributes(scope.attributes),
                        )
                    )
        with self.received:
            self.requests += 1
            self.headers.append(headers)
            self.spans.extend(found)
            self.received.notify_all()

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Received]:
        """The spans once at least ``count`` arrived; fails by assertion after ``timeout``."""
        with self.received:
            arrived = self.received.wait_for(lambda: len(self.spans) >= count, timeout)
            assert arrived, f"{len(self.spans)} of {count} spans arrived"
            return list(self.spans)

    def close(self) -> None:
        """Stop serving (a stalled request is released first)."""
        self.release.set()
        self.server.shutdown()
        self.server.server_close()
