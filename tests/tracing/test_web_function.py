"""Tracing in a web function: the real server (python -m fcsdk web) and a loopback collector.

A few cases run the WebFunction in this process, tracing to a collector of their own.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import BaseModel

import fcsdk as fc
import fcsdk.tracing
from fcsdk.events import TimerEvent
from fcsdk.webfunction import WebFunction
from tests.tracing.collector import Collector
from tests.webfunction.server import WebServer, fc_headers

APPS = Path(__file__).resolve().parent / "apps"
PARENT_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT_SPAN = "00f067aa0ba902b7"


@pytest.fixture(scope="module")
def collector() -> Iterator[Collector]:
    """One loopback OTLP/HTTP collector for the module."""
    server = Collector()
    yield server
    server.close()


@pytest.fixture(scope="module")
def traced_server(
    collector: Collector, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[WebServer]:
    """The traced web function, its spans going to ``collector``."""
    server = WebServer(
        "traced_web",
        tmp_path_factory.mktemp("traced"),
        env={
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": collector.endpoint,
            "OTEL_SERVICE_NAME": "orders",
        },
    )
    server.command[server.command.index("--app-dir") + 1] = str(APPS)
    with server:
        yield server


def spans_of(collector: Collector, request_id: str, count: int) -> dict[str, object]:
    """The spans of the trace whose invocation span has ``request_id``, by span id."""
    collector.wait_for(count)
    (root,) = [s for s in collector.spans if s.attributes.get("faas.invocation_id") == request_id]
    return {s.span_id: s for s in collector.spans if s.trace_id == root.trace_id}


@pytest.mark.slow
class TestWebFunction:
    def test_http_request(self, traced_server: WebServer, collector: Collector) -> None:
        """A request's span is a child of FC's traceparent; the route's spans nest under it."""
        before = len(collector.spans)
        headers = fc_headers("req-web-1", traceparent=f"00-{PARENT_TRACE}-{PARENT_SPAN}-01")
        answer = httpx.get(f"{traced_server.url}/orders/7", headers=headers, timeout=30)
        assert answer.json() == {"n": 7}
        collector.wait_for(before + 2)
        spans = {s.span_id: s for s in collector.spans if s.trace_id == PARENT_TRACE}
        (root,) = [
            s for s in spans.values() if s.attributes.get("faas.invocation_id") == "req-web-1"
        ]
        assert root.parent_span_id == PARENT_SPAN
        assert root.attributes["http.response.status_code"] == 200
        assert root.attributes["faas.name"] == "orders"
        (inner,) = [s for s in spans.values() if s.name == "load order"]
        chain = []
        span = inner
        while span.parent_span_id in spans:
            span = spans[span.parent_span_id]
            chain.append(span.span_id)
        assert root.span_id in chain
        assert root.resource["service.name"] == "orders"

    def test_failed_request(self, traced_server: WebServer, collector: Collector) -> None:
        """A route that raises answers 500 and its span records the error."""
        before = len(collector.spans)
        answer = httpx.get(f"{traced_server.url}/boom", headers=fc_headers("req-web-2"), timeout=30)
        assert answer.status_code == 500
        collector.wait_for(before + 1)
        (root,) = [
            s for s in collector.spans if s.attributes.get("faas.invocation_id") == "req-web-2"
        ]
        assert root.attributes["http.response.status_code"] == 500
        assert root.status_code == 2  # ERROR

    def test_invoke(self, traced_server: WebServer, collector: Collector) -> None:
        """POST /invoke is one invocation span (not two), the handler's spans under it."""
        before = len(collector.spans)
        answer = httpx.post(
            f"{traced_server.url}/invoke",
            content=b'{"n": 21}',
            headers=fc_headers("req-inv"),
            timeout=30,
        )
        assert answer.content == b"42"
        collector.wait_for(before + 2)
        roots = [s for s in collector.spans if s.attributes.get("faas.invocation_id") == "req-inv"]
        assert len(roots) == 1
        (inner,) = [s for s in collector.spans if s.name == "nightly"]
        assert inner.parent_span_id == roots[0].span_id


STATUS_UNSET = 0
STATUS_ERROR = 2


class Job(BaseModel):
    """A timer's payload."""

    name: str


# parametrised at the module's top level, as a handler's annotation is
NightlyEvent = TimerEvent[Job]


@pytest.fixture
def own_collector() -> Iterator[Collector]:
    """This process traced to a loopback collector, for one test; tracing off after it."""
    server = Collector()
    fcsdk.tracing.configure(endpoint=server.endpoint, flush_timeout=5.0)
    try:
        yield server
    finally:
        fcsdk.tracing.shutdown()
        server.close()


def call(web: WebFunction, method: str, path: str, request_id: str, body: bytes = b"") -> None:
    """One HTTP request to ``web`` in this process (what the app raises is raised here)."""

    async def run() -> None:
        incoming = [{"type": "http.request", "body": body, "more_body": False}]

        async def receive() -> dict[str, Any]:
            return incoming.pop(0) if incoming else {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            return None

        scope = {
            "type": "http",
            "method": method,
            "path": path,
            "query_string": b"",
            "headers": [(b"x-fc-request-id", request_id.encode())],
        }
        await asyncio.wait_for(web(scope, receive, send), 30)

    try:
        asyncio.run(run())
    finally:
        web.executor.shutdown()


class TestInProcess:
    @pytest.mark.parametrize(("status", "recorded"), [(500, True), (404, False)])
    def test_app_error_after_its_answer(
        self, own_collector: Collector, status: int, recorded: bool
    ) -> None:
        """An app that answers, then raises: a 5xx span records the error, a 4xx one not."""

        async def app(scope: Any, receive: Any, send: Any) -> None:
            if scope["type"] != "http":
                return  # no lifespan
            await send({"type": "http.response.start", "status": status, "headers": []})
            await send({"type": "http.response.body", "body": b""})
            raise RuntimeError("after the answer")

        with pytest.raises(RuntimeError, match="after the answer"):
            call(WebFunction(app, threads=1), "GET", "/x", f"err-{status}")
        (span,) = own_collector.spans  # the export was awaited before the call returned
        assert span.attributes["http.response.status_code"] == status
        assert (span.name, span.attributes["http.request.method"]) == ("GET", "GET")
        assert span.attributes["url.path"] == "/x"
        if recorded:
            assert (span.status_code, span.status_message) == (STATUS_ERROR, "RuntimeError")
            ((name, attributes),) = span.events
            assert (name, attributes["exception.message"]) == ("exception", "after the answer")
        else:
            assert (span.status_code, span.events) == (STATUS_UNSET, ())

    def test_invocation_span_names_the_handlers_trigger(self, own_collector: Collector) -> None:
        """POST /invoke of a timer handler: the invocation span's faas.trigger is ``timer``."""

        @fc.handler
        def handler(event: NightlyEvent) -> str:
            return event.payload.name

        timer = json.dumps(
            {"triggerTime": "2026-12-07T02:00:00Z", "triggerName": "n", "payload": '{"name": "go"}'}
        ).encode()
        call(WebFunction(handler=handler, threads=1), "POST", "/invoke", "tm-1", timer)
        (span,) = own_collector.spans
        assert span.attributes["faas.trigger"] == "timer"

    def test_plain_handler_invocation_is_one_span(self, own_collector: Collector) -> None:
        """POST /invoke of a plain ``handler(event, context)``: the server opens its span."""

        def handler(event: bytes, context: object) -> str:
            return "ok"

        call(WebFunction(handler=handler, threads=1), "POST", "/invoke", "pl-1", b"{}")
        (span,) = own_collector.spans
        assert span.attributes["faas.invocation_id"] == "pl-1"
        assert (span.status_code, span.events) == (STATUS_UNSET, ())

    def test_failed_invocation_span_records_the_error(self, own_collector: Collector) -> None:
        """A handler that raises: its invocation span is an error, the exception an event."""

        def handler(event: bytes, context: object) -> str:
            raise LookupError("no such order")

        call(WebFunction(handler=handler, threads=1), "POST", "/invoke", "pl-2", b"{}")
        (span,) = own_collector.spans
        assert span.attributes["faas.invocation_id"] == "pl-2"
        assert (span.status_code, span.status_message) == (STATUS_ERROR, "LookupError")
        ((name, attributes),) = span.events
        assert (name, attributes["exception.message"]) == ("exception", "no such order")
