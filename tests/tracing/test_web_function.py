"""Tracing in a web function: the real server (python -m fcsdk web) and a loopback collector."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

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
