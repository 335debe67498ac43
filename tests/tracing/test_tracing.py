"""fcsdk.tracing: invocation spans under FC's trace, sent over OTLP/HTTP to a loopback collector."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from opentelemetry import trace
from pydantic import BaseModel

import fcsdk as fc
import fcsdk.tracing
from fcsdk import _invocation
from fcsdk.events import TimerEvent
from fcsdk.testing import HTTPClient, fake_context
from tests.tracing.collector import Collector, Received
from tests.webfunction.server import asgi_call

# span kinds and status codes of the OTLP protobuf
SERVER = 2
INTERNAL = 1
STATUS_ERROR = 2

FC_TRACE = "5e2c3b7a9f104d6e"  # a 64-bit Jaeger trace id, as FC writes it
FC_SPAN = "1a2b3c4d5e6f7081"
TIMER = b'{"triggerTime":"2026-12-07T02:00:00Z","triggerName":"nightly","payload":"go"}'


@pytest.fixture
def collector() -> Iterator[Collector]:
    """A loopback OTLP/HTTP collector; tracing is switched off after the test."""
    server = Collector()
    try:
        yield server
    finally:
        fcsdk.tracing.shutdown()
        server.close()


def traced(collector: Collector, **kwargs: Any) -> None:
    """Configure tracing to export to ``collector``."""
    fcsdk.tracing.configure(endpoint=collector.endpoint, flush_timeout=5.0, **kwargs)


def fc_context(request_id: str, flags: str = "1", **kwargs: Any) -> Any:
    """A python3.10-shaped context whose tracing names FC's span."""
    return fake_context(
        request_id=request_id,
        tracing={
            "span_context": f"{FC_TRACE}:{FC_SPAN}:0:{flags}",
            "jaeger_endpoint": "http://tracing-analysis-dc-hz.aliyuncs.com/adapt_x/api/traces",
            "span_baggages": {"tenant": "acme"},
        },
        **kwargs,
    )


class Job(BaseModel):
    """A timer's payload: the job to run."""

    name: str


# parametrised at the module's top level, as a handler's annotation is: pydantic puts
# the class in this module, not in fcsdk.events
NightlyEvent = TimerEvent[Job]


def by_name(spans: list[Received], name: str) -> list[Received]:
    """The spans called ``name``."""
    return [span for span in spans if span.name == name]


class TestEventHandler:
    def test_child_of_fc_span(self, collector: Collector) -> None:
        """An @fc.handler invocation is a SERVER span whose parent is FC's span, trace kept."""
        traced(collector)

        @fc.handler
        def main(event: TimerEvent, context: fc.FCContext) -> str:
            return event.trigger_name

        assert main(TIMER, fc_context("req-1")) == "nightly"
        (span,) = collector.wait_for(1)
        assert span.trace_id == FC_TRACE.rjust(32, "0")
        assert span.parent_span_id == FC_SPAN
        assert span.kind == SERVER
        assert span.scope[0] == "fcsdk"  # the instrumentation scope that made the span
        assert span.name == "my-function"
        assert span.attributes["faas.invocation_id"] == "req-1"
        assert span.attributes["faas.trigger"] == "timer"
        assert span.attributes["faas.name"] == "my-function"
        assert span.attributes["cloud.region"] == "cn-hangzhou"
        assert span.attributes["cloud.account.id"] == "1234567890123456"
        assert span.attributes["cloud.provider"] == "alibaba_cloud"
        assert isinstance(span.attributes["faas.coldstart"], bool)

    def test_exported_before_the_invocation_returns(self, collector: Collector) -> None:
        """The span reached the collector when the handler's call returned (no waiting after)."""
        traced(collector)

        @fc.handler
        def main(event: dict[str, int]) -> int:
            return 1

        main(b"{}", fc_context("req-now"))
        assert [span.name for span in collector.spans] == ["my-function"]

    def test_unsampled_fc_trace_is_not_exported(self, collector: Collector) -> None:
        """FC's flags 0 (not sampled) are honoured: no span is recorded or exported."""
        traced(collector)

        @fc.handler
        def main(event: dict[str, int]) -> int:
            with trace.get_tracer(__name__).start_as_current_span("inner"):
                return 1

        main(b"{}", fc_context("req-unsampled", flags="0"))
        main(b"{}", fc_context("req-sampled", flags="1"))
        spans = collector.wait_for(2)
        assert {span.attributes.get("faas.invocation_id") for span in spans} == {
            "req-sampled",
            None,
        }
        assert len(spans) == 2  # the sampled invocation and its inner span only

    def test_malformed_span_context_starts_a_trace(self, collector: Collector) -> None:
        """A span context that is not Jaeger's form gives a root span; the invocation runs."""
        traced(collector)

        @fc.handler
        def main(event: dict[str, int]) -> int:
            return 7

        context = fake_context(request_id="req-bad", tracing={"span_context": "zz:1:0:1"})
        assert main(b"{}", context) == b"7"
        (span,) = collector.wait_for(1)
        assert span.parent_span_id == ""
        assert span.trace_id != FC_TRACE.rjust(32, "0")

    def test_no_root_spans(self, collector: Collector) -> None:
        """With root_spans=False an invocation FC sent no trace for is not traced."""
        traced(collector, root_spans=False)

        @fc.handler
        def main(event: dict[str, int]) -> int:
            return 1

        main(b"{}", fake_context(request_id="req-root"))
        main(b"{}", fc_context("req-child"))
        spans = collector.wait_for(1)
        assert [span.attributes["faas.invocation_id"] for span in spans] == ["req-child"]

    def test_exception_recorded(self, collector: Collector) -> None:
        """A failing invocation's span has status ERROR and the exception as an event."""
        traced(collector)

        @fc.handler
        def main(event: dict[str, int]) -> int:
            raise LookupError("no such order")

        with pytest.raises(LookupError):
            main(b"{}", fc_context("req-fail"))
        (span,) = collector.wait_for(1)
        assert span.status_code == STATUS_ERROR
        assert span.status_message == "LookupError"
        (name, attributes) = span.events[0]
        assert name == "exception"
        assert attributes["exception.type"].endswith("LookupError")
        assert attributes["exception.message"] == "no such order"

    def test_user_spans_nest(self, collector: Collector) -> None:
        """Spans the handler opens are children of the invocation span."""
        traced(collector)

        @fc.handler
        def main(event: dict[str, int]) -> int:
            with trace.get_tracer(__name__).start_as_current_span("charge"):
                return 1

        main(b"{}", fc_context("req-nest"))
        spans = collector.wait_for(2)
        (outer,) = by_name(spans, "my-function")
        (inner,) = by_name(spans, "charge")
        assert inner.parent_span_id == outer.span_id
        assert inner.trace_id == outer.trace_id

    def test_async_handler_spans_nest(self, collector: Collector) -> None:
        """On the shared event loop, an async handler's spans nest under its invocation span."""
        traced(collector)

        @fc.handler
        async def main(event: dict[str, int]) -> int:
            await asyncio.sleep(0)
            with trace.get_tracer(__name__).start_as_current_span("fetch"):
                await asyncio.sleep(0)
            return 1

        main(b"{}", fc_context("req-async"))
        spans = collector.wait_for(2)
        (outer,) = by_name(spans, "my-function")
        (inner,) = by_name(spans, "fetch")
        assert inner.parent_span_id == outer.span_id

    def test_baggage_from_fc(self, collector: Collector) -> None:
        """FC's span_baggages are the invocation's OpenTelemetry baggage."""
        from opentelemetry import baggage

        traced(collector)
        seen: list[object] = []

        @fc.handler
        def main(event: dict[str, int]) -> int:
            seen.append(baggage.get_baggage("tenant"))
            return 1

        main(b"{}", fc_context("req-bag"))
        assert seen == ["acme"]

    @pytest.mark.parametrize("takes_context", [True, False])
    def test_the_event_is_logged_inside_the_span(
        self, collector: Collector, caplog: pytest.LogCaptureFixture, takes_context: bool
    ) -> None:
        """log_event=True logs the event itself, traced as untraced, with or without a context."""
        traced(collector)

        @fc.handler(log_event=True)
        def with_context(event: dict[str, int], context: fc.FCContext) -> int:
            return event["order"]

        @fc.handler(log_event=True)
        def without(event: dict[str, int]) -> int:
            return event["order"]

        main = with_context if takes_context else without
        with caplog.at_level(logging.INFO, logger="fcsdk"):
            assert main(b'{"order": 7}', fc_context("req-logged")) == b"7"
        assert [r.getMessage() for r in caplog.records if r.name == "fcsdk.user"] == [
            'event: {"order": 7}'
        ]
        (span,) = collector.wait_for(1)
        assert span.attributes["faas.invocation_id"] == "req-logged"

    def test_log_lines_carry_ids(self, collector: Collector) -> None:
        """fc.logger's JSON lines inside an invocation carry its trace and span ids."""
        import io

        from fcsdk.logging import JSONFormatter, RequestContextFilter

        traced(collector)
        stream = io.StringIO()
        handler = logging.StreamHandler(stream)
        handler.addFilter(RequestContextFilter())
        handler.setFormatter(JSONFormatter())
        fc.logger.addHandler(handler)
        try:

            @fc.handler
            def main(event: dict[str, int]) -> int:
                fc.logger.warning("charging")
                return 1

            main(b"{}", fc_context("req-log"))
        finally:
            fc.logger.removeHandler(handler)
        line = json.loads(stream.getvalue().splitlines()[0])
        (span,) = collector.wait_for(1)
        assert line["trace_id"] == span.trace_id
        assert line["span_id"] == span.span_id
        assert line["request_id"] == "req-log"


class TestConcurrency:
    def test_threads_never_cross(self, collector: Collector) -> None:
        """16 invocations in 16 threads at once: each inner span is under its own invocation."""
        traced(collector)
        barrier = threading.Barrier(16)

        @fc.handler
        def main(event: dict[str, str], context: fc.FCContext) -> str:
            barrier.wait(10)
            with trace.get_tracer(__name__).start_as_current_span(f"work {context.request_id}"):
                barrier.wait(10)
            return context.request_id

        errors: list[BaseException] = []

        def run(n: int) -> None:
            try:
                main(b"{}", fc_context(f"req-{n}"))
            except BaseException as exc:  # pragma: no cover - reported below
                errors.append(exc)

        threads = [threading.Thread(target=run, args=(n,)) for n in range(16)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        assert not errors
        spans = collector.wait_for(32)
        outer = {span.span_id: span for span in spans if span.kind == SERVER}
        assert len(outer) == 16
        for span in spans:
            if span.kind == INTERNAL:
                parent = outer[span.parent_span_id]
                assert span.name == f"work {parent.attributes['faas.invocation_id']}"

    def test_async_tasks_never_cross(self, collector: Collector) -> None:
        """16 async invocations interleaved on the shared loop: spans stay with their invocation."""
        traced(collector)
        barrier = threading.Barrier(16)

        @fc.handler
        async def main(event: dict[str, str], context: fc.FCContext) -> str:
            tracer = trace.get_tracer(__name__)
            with tracer.start_as_current_span(f"step {context.request_id}"):
                for _ in range(5):
                    await asyncio.sleep(0)
            return context.request_id

        def run(n: int) -> None:
            barrier.wait(10)
            main(b"{}", fc_context(f"areq-{n}"))

        threads = [threading.Thread(target=run, args=(n,)) for n in range(16)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        spans = collector.wait_for(32)
        outer = {span.span_id: span for span in spans if span.kind == SERVER}
        inner = [span for span in spans if span.kind == INTERNAL]
        assert len(outer) == 16
        assert len(inner) == 16
        for span in inner:
            parent = outer[span.parent_span_id]
            assert span.name == f"step {parent.attributes['faas.invocation_id']}"


class TestHTTP:
    def test_http_handler_w3c_parent(self, collector: Collector) -> None:
        """@fc.http: a W3C traceparent header is the parent; method and status are attributes."""
        traced(collector)

        @fc.http
        def app(request: fc.Request) -> fc.Response:
            return fc.JSONResponse({"ok": True}, status=201)

        parent_trace = "4bf92f3577b34da6a3ce929d0e0e4736"
        parent_span = "00f067aa0ba902b7"
        client = HTTPClient(app, via="fc3")
        answer = client.post(
            "/orders",
            headers={"traceparent": f"00-{parent_trace}-{parent_span}-01"},
            json={"id": 1},
        )
        assert answer.status_code == 201
        (span,) = collector.wait_for(1)
        assert span.trace_id == parent_trace
        assert span.parent_span_id == parent_span
        assert span.name == "POST"
        assert span.attributes["http.request.method"] == "POST"
        assert span.attributes["http.response.status_code"] == 201
        assert span.attributes["url.path"] == "/orders"
        assert span.attributes["faas.trigger"] == "http"

    def test_http_handler_error(self, collector: Collector) -> None:
        """An exception in @fc.http answers 500 and the span records it with status ERROR."""
        traced(collector)

        @fc.http
        def app(request: fc.Request) -> fc.Response:
            raise RuntimeError("boom")

        assert HTTPClient(app).get("/").status_code == 500
        (span,) = collector.wait_for(1)
        assert span.status_code == STATUS_ERROR
        assert span.attributes["http.response.status_code"] == 500
        assert span.events[0][1]["exception.type"].endswith("RuntimeError")

    def test_http_error_is_not_a_failure(self, collector: Collector) -> None:
        """A 404 raised as HTTPError is an answer, not a failed invocation."""
        traced(collector)

        @fc.http
        def app(request: fc.Request) -> fc.Response:
            raise fc.NotFound("no such order")

        assert HTTPClient(app).get("/x").status_code == 404
        (span,) = collector.wait_for(1)
        assert span.status_code != STATUS_ERROR
        assert span.attributes["http.response.status_code"] == 404

    @pytest.mark.parametrize(("status", "error"), [(499, False), (500, True)])
    def test_server_error_answer(self, collector: Collector, status: int, error: bool) -> None:
        """An answer of 500 or more the app gives itself (no exception) is an ERROR span."""
        traced(collector)

        @fc.http
        def app(request: fc.Request) -> fc.Response:
            return fc.Response(b"down", status=status)

        assert HTTPClient(app).get("/").status_code == status
        (span,) = collector.wait_for(1)
        assert (span.status_code == STATUS_ERROR) is error
        assert span.attributes["http.response.status_code"] == status
        assert span.events == ()

    @pytest.mark.parametrize("via", ["wsgi", "fc3"])
    def test_flask(self, collector: Collector, via: str) -> None:
        """A Flask app through from_wsgi is one span per request, in both places."""
        from flask import Flask

        traced(collector)
        flask_app = Flask(__name__)

        @flask_app.get("/hello")
        def hello() -> str:
            with trace.get_tracer(__name__).start_as_current_span("render"):
                return "hi"

        client = HTTPClient(fc.from_wsgi(flask_app), via=via)  # type: ignore[arg-type]
        assert client.get("/hello").text == "hi"
        spans = collector.wait_for(2)
        (outer,) = [span for span in spans if span.kind == SERVER]
        (inner,) = by_name(spans, "render")
        assert inner.parent_span_id == outer.span_id
        assert outer.attributes["http.response.status_code"] == 200
        assert outer.name == "GET"

    @pytest.mark.parametrize("via", ["wsgi", "fc3"])
    def test_fastapi(self, collector: Collector, via: str) -> None:
        """A FastAPI app through from_asgi: the route's spans nest under the request's span."""
        from fastapi import FastAPI

        traced(collector)
        api = FastAPI()

        @api.get("/items/{n}")
        async def item(n: int) -> dict[str, int]:
            with trace.get_tracer(__name__).start_as_current_span("lookup"):
                await asyncio.sleep(0)
            return {"n": n}

        client = HTTPClient(fc.from_asgi(api, lifespan="off"), via=via)  # type: ignore[arg-type]
        answer = client.get(
            "/items/3",
            headers={"traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"},
        )
        assert answer.json() == {"n": 3}
        collector.wait_for(2)
        spans = {span.span_id: span for span in collector.spans}
        (outer,) = [span for span in spans.values() if "faas.invocation_id" in span.attributes]
        (inner,) = by_name(list(spans.values()), "lookup")
        assert outer.trace_id == "0af7651916cd43dd8448eb211c80319c"
        assert outer.parent_span_id == "b7ad6b7169203331"
        assert outer.attributes["http.response.status_code"] == 200
        # the route's span is under the invocation span, through FastAPI's own spans if any
        ancestors = []
        span = inner
        while span.parent_span_id in spans:
            span = spans[span.parent_span_id]
            ancestors.append(span.span_id)
        assert outer.span_id in ancestors
        assert {s.trace_id for s in spans.values()} == {outer.trace_id}


class TestExport:
    def test_dead_collector_never_fails_an_invocation(self) -> None:
        """Nothing listens at the endpoint: the invocation answers as without tracing."""
        spare = Collector()
        endpoint = spare.endpoint
        spare.close()  # the port is now closed
        fcsdk.tracing.configure(endpoint=endpoint, flush_timeout=0.2, export_timeout=0.2)
        try:

            @fc.handler
            def main(event: dict[str, int]) -> int:
                return 5

            assert main(b"{}", fc_context("req-dead")) == b"5"
        finally:
            fcsdk.tracing.shutdown()

    def test_stalled_collector_costs_at_most_the_bound(self, collector: Collector) -> None:
        """A collector that never answers: the invocation returns after flush_timeout, not later.

        The export's own timeout is an hour here: only fcsdk's bound can end the wait.
        """
        collector.stall.set()
        fcsdk.tracing.configure(endpoint=collector.endpoint, flush_timeout=0.2, export_timeout=3600)
        results: list[bytes | str] = []

        @fc.handler
        def main(event: dict[str, int]) -> int:
            return 5

        worker = threading.Thread(target=lambda: results.append(main(b"{}", fc_context("r"))))
        worker.start()
        worker.join(20)  # guards against a hang; the bound is 0.2 s
        stuck = worker.is_alive()
        collector.release.set()
        assert not stuck, "the invocation waited for a collector that never answered"
        assert results == [b"5"]

    def test_export_timeout_ends_a_stalled_export(
        self, collector: Collector, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """export_timeout bounds an export request, whatever OTEL_EXPORTER_OTLP_TRACES_TIMEOUT says.

        The collector holds its answer and flush_timeout is an hour: only the export's
        own timeout (0.2 s) can end the invocation's wait.
        """
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", "3600")
        collector.stall.set()
        fcsdk.tracing.configure(endpoint=collector.endpoint, flush_timeout=3600, export_timeout=0.2)
        results: list[bytes | str] = []

        @fc.handler
        def main(event: dict[str, int]) -> int:
            return 5

        worker = threading.Thread(target=lambda: results.append(main(b"{}", fc_context("r"))))
        worker.start()
        worker.join(30)  # guards against a hang; the bound is 0.2 s
        stuck = worker.is_alive()
        collector.release.set()
        worker.join(30)
        assert collector.arrived.is_set()
        assert not stuck, "the invocation waited for an export past export_timeout"
        assert results == [b"5"]

    def test_pipeline_failures_are_logged(self, caplog: pytest.LogCaptureFixture) -> None:
        """A span processor that fails: the invocation answers, each failure logged with its trace.

        Ending the span fails in the invocation's thread; the export fails in fcsdk's
        flush thread, which log records name.
        """
        from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor

        class Failing(SpanProcessor):
            """Fails at the end of every span and at every flush."""

            def on_end(self, span: ReadableSpan) -> None:
                raise RuntimeError("processor down")

            def force_flush(self, timeout_millis: int = 30000) -> bool:
                raise RuntimeError("collector down")

        fcsdk.tracing.configure(span_processor=Failing(), flush_timeout=30)
        try:

            @fc.handler
            def main(event: dict[str, int]) -> int:
                return 5

            with caplog.at_level(logging.ERROR, logger="fcsdk.tracing"):
                assert main(b"{}", fc_context("req-broken")) == b"5"
        finally:
            fcsdk.tracing.shutdown()
        records = [record for record in caplog.records if record.name == "fcsdk.tracing"]
        assert [(record.getMessage(), record.threadName) for record in records] == [
            ("cannot end the invocation span", threading.current_thread().name),
            ("cannot export the invocations' spans", "fcsdk-trace-flush"),
        ]
        assert [str(record.exc_info[1]) for record in records if record.exc_info] == [
            "processor down",
            "collector down",
        ]

    def test_one_flush_thread(self, collector: Collector) -> None:
        """The exports of all invocations run in one thread, fcsdk-trace-flush, started once."""

        def flush_threads() -> int:
            return sum(thread.name == "fcsdk-trace-flush" for thread in threading.enumerate())

        before = flush_threads()
        traced(collector)

        @fc.handler
        def main(event: dict[str, int]) -> int:
            return 1

        for n in range(3):
            main(b"{}", fc_context(f"req-{n}"))
        assert len(collector.spans) == 3
        assert flush_threads() == before + 1

    def test_shutdown_ends_the_flush_thread(self, collector: Collector) -> None:
        """shutdown(), and so a second configure(), leaves no export thread behind."""

        def flush_threads() -> set[threading.Thread]:
            return {t for t in threading.enumerate() if t.name == "fcsdk-trace-flush"}

        before = flush_threads()

        @fc.handler
        def main(event: dict[str, int]) -> int:
            return 1

        traced(collector)
        main(b"{}", fc_context("req-first"))
        (first,) = flush_threads() - before
        traced(collector)  # configure again: the first configuration is shut down
        first.join(10)
        assert not first.is_alive(), "the first configuration's export thread outlived it"
        main(b"{}", fc_context("req-second"))
        (second,) = flush_threads() - before
        tracer = _invocation.TRACE[0]
        assert tracer is not None
        fcsdk.tracing.shutdown()
        second.join(10)
        assert not second.is_alive(), "the export thread outlived shutdown()"
        assert tracer.flush() is False  # an invocation still ending: no new thread for it
        assert flush_threads() - before == set()
        assert [span.attributes["faas.invocation_id"] for span in collector.spans] == [
            "req-first",
            "req-second",
        ]

    @pytest.mark.skipif(not hasattr(os, "fork"), reason="os.fork is POSIX's")
    def test_forked_worker(self, collector: Collector) -> None:
        """A process forked after an invocation exports its own before each returns; both exit.

        The batch processor's own schedule is an hour, so only fcsdk's flush can have
        sent the child's span by the time its invocation returned (the child then
        exits at once); the parent, its flush thread started, still exits when done.
        """
        code = (
            "import os, sys\n"
            "import fcsdk as fc, fcsdk.tracing\n"
            "from fcsdk.testing import fake_context\n"
            "fcsdk.tracing.configure(endpoint=sys.argv[1], flush_timeout=10)\n"
            "@fc.handler\n"
            "def main(event: dict) -> int: return 1\n"
            "main(b'{}', fake_context(request_id='req-parent'))\n"
            "pid = os.fork()\n"
            "if pid == 0:\n"
            "    main(b'{}', fake_context(request_id='req-child'))\n"
            "    os._exit(0)\n"
            "sys.exit(os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))\n"
        )
        env = {**os.environ, "OTEL_BSP_SCHEDULE_DELAY": "3600000"}
        try:
            done = subprocess.run(
                [sys.executable, "-c", code, collector.endpoint],
                capture_output=True,
                check=False,
                text=True,
                env=env,
                timeout=60,
            )
        except subprocess.TimeoutExpired:
            pytest.fail("the process did not exit: a thread of fcsdk's kept it alive")
        assert done.returncode == 0, done.stderr
        ids = sorted(span.attributes["faas.invocation_id"] for span in collector.spans)
        assert ids == ["req-child", "req-parent"]

    def test_one_provider_per_instance(self, collector: Collector) -> None:
        """Many invocations share the one provider and its one span processor."""
        provider = fcsdk.tracing.configure(endpoint=collector.endpoint)

        @fc.handler
        def main(event: dict[str, int]) -> int:
            return 1

        for n in range(20):
            main(b"{}", fc_context(f"req-{n}"))
        assert len(provider._active_span_processor._span_processors) == 1
        assert _invocation.TRACE[0].provider is provider
        collector.wait_for(20)
        assert {span.resource.get("service.name") for span in collector.spans} == {
            span.resource.get("service.name") for span in collector.spans[:1]
        }

    def test_reconfigure_keeps_global_tracers(self, collector: Collector) -> None:
        """A tracer taken before a second configure() starts spans on the new provider."""
        traced(collector)
        tracer = trace.get_tracer("early")
        traced(collector)

        @fc.handler
        def main(event: dict[str, int]) -> int:
            with tracer.start_as_current_span("early-span"):
                return 1

        main(b"{}", fc_context("req-re"))
        spans = collector.wait_for(2)
        (outer,) = by_name(spans, "my-function")
        (inner,) = by_name(spans, "early-span")
        assert inner.parent_span_id == outer.span_id

    def test_service_name_from_environment(
        self, collector: Collector, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """OTEL_SERVICE_NAME names the service; FC's variables describe the function."""
        monkeypatch.setenv("OTEL_SERVICE_NAME", "orders")
        monkeypatch.setenv("FC_FUNCTION_NAME", "charge")
        monkeypatch.setenv("FC_REGION", "cn-shanghai")
        traced(collector)

        @fc.handler
        def main(event: dict[str, int]) -> int:
            return 1

        main(b"{}", fc_context("req-env"))
        (span,) = collector.wait_for(1)
        assert span.resource["service.name"] == "orders"
        assert span.resource["faas.name"] == "charge"
        assert span.resource["cloud.region"] == "cn-shanghai"

    def test_headers_sent(self, collector: Collector) -> None:
        """configure(headers=...) reach the collector with every export (a token, say)."""
        traced(collector, headers={"Authorization": "Bearer t0k+en/x="})

        @fc.handler
        def main(event: dict[str, int]) -> int:
            return 1

        main(b"{}", fc_context("req-h"))
        collector.wait_for(1)
        sent = {name.lower(): value for name, value in collector.headers[0].items()}
        assert sent["authorization"] == "Bearer t0k+en/x="

    def test_bad_timeouts(self) -> None:
        """A timeout that is not a positive number is a ConfigurationError."""
        with pytest.raises(fc.ConfigurationError):
            fcsdk.tracing.configure(flush_timeout=0)
        assert not fcsdk.tracing.is_configured()


class TestCost:
    def test_import_fcsdk_imports_no_opentelemetry(self) -> None:
        """import fcsdk and an invocation import neither OpenTelemetry nor fcsdk.tracing."""
        code = (
            "import sys, fcsdk as fc\n"
            "from fcsdk.testing import fake_context\n"
            "@fc.handler\n"
            "def main(event: dict) -> int: return 1\n"
            "main(b'{}', fake_context())\n"
            "names = ('opentelemetry', 'fcsdk.tracing')\n"
            "bad = sorted(m for m in sys.modules if m.startswith(names))\n"
            "print(bad)\n"
        )
        done = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
        )
        assert done.stdout.strip() == "[]"

    def test_off_after_shutdown(self, collector: Collector) -> None:
        """After shutdown() invocations are untraced and current_ids() is None."""
        traced(collector)
        fcsdk.tracing.shutdown()

        @fc.handler
        def main(event: dict[str, int]) -> int:
            assert fcsdk.tracing.current_ids() is None
            return 1

        main(b"{}", fc_context("req-off"))
        assert collector.spans == []


W3C_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
W3C_SPAN = "00f067aa0ba902b7"
TRACEPARENT = f"00-{W3C_TRACE}-{W3C_SPAN}-01"
OTHER_TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
TRACESTATE = "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7"
REMOTE_PARENT = 0x300  # OTLP span flags: whether the parent is remote is known (0x100), it is


def direct_span(collector: Collector, headers: object, context: object = None) -> list[Received]:
    """Start and end an invocation span with the tracer the adapters use; what was exported.

    The adapters hand the tracer the request's headers as they hold them (fcsdk's
    Headers, ASGI byte pairs); here any shape can be given.
    """
    tracer = _invocation.TRACE[0]
    opened = tracer.start(
        fake_context(request_id="req-direct") if context is None else context,
        trigger="http",
        headers=headers,
    )
    tracer.finish(opened)
    return list(collector.spans)


class TestW3CHeaders:
    def test_tracestate_and_baggage(self, collector: Collector) -> None:
        """traceparent's span is the remote parent, its tracestate is kept, W3C and FC baggage."""
        from opentelemetry import baggage

        traced(collector)
        seen: list[object] = []

        @fc.http
        def app(request: fc.Request) -> fc.Response:
            seen.append([baggage.get_baggage(key) for key in ("user", "tier", "tenant")])
            return fc.Response(b"ok")

        client = HTTPClient(app, via="fc3", context=fc_context("req-w3c"))
        answer = client.get(
            "/",
            headers={
                "traceparent": TRACEPARENT,
                "tracestate": TRACESTATE,
                "baggage": "user=alice,tier=gold",
            },
        )
        assert answer.status_code == 200
        (span,) = collector.wait_for(1)
        assert (span.trace_id, span.parent_span_id) == (W3C_TRACE, W3C_SPAN)
        assert span.trace_state == TRACESTATE
        assert span.flags & REMOTE_PARENT == REMOTE_PARENT
        assert seen == [["alice", "gold", "acme"]]  # the W3C header's and FC's span_baggages

    def test_fc_parent_is_remote(self, collector: Collector) -> None:
        """FC's Jaeger span is a remote parent; a tracestate without a traceparent is ignored."""
        traced(collector)

        @fc.http
        def app(request: fc.Request) -> fc.Response:
            return fc.Response(b"ok")

        client = HTTPClient(app, via="fc3", context=fc_context("req-jaeger"))
        client.get("/", headers={"tracestate": TRACESTATE})
        (span,) = collector.wait_for(1)
        assert (span.trace_id, span.parent_span_id) == (FC_TRACE.rjust(32, "0"), FC_SPAN)
        assert span.flags & REMOTE_PARENT == REMOTE_PARENT
        assert span.trace_state == ""

    def test_baggage_without_a_parent_is_no_parent(self, collector: Collector) -> None:
        """With root_spans=False, baggage alone (no traceparent, no FC span) starts no trace."""
        traced(collector, root_spans=False)

        @fc.http
        def app(request: fc.Request) -> fc.Response:
            return fc.Response(b"ok")

        context = fake_context(request_id="req-bag-only", tracing={"span_baggages": {"k": "v"}})
        client = HTTPClient(app, via="fc3", context=context)
        assert client.get("/", headers={"baggage": "user=alice"}).status_code == 200
        client = HTTPClient(app, via="fc3", context=fc_context("req-traced"))
        client.get("/", headers={"baggage": "user=alice"})
        spans = collector.wait_for(1)
        assert [span.attributes["faas.invocation_id"] for span in spans] == ["req-traced"]

    @pytest.mark.parametrize(
        "headers",
        [
            {"Content-Type": "text/plain", "TraceParent": TRACEPARENT, "TraceState": TRACESTATE},
            {
                "TraceParent": OTHER_TRACEPARENT,
                "traceparent": TRACEPARENT,
                "tracestate": TRACESTATE,
            },
            [
                ("Content-Type", "text/plain"),
                ("TraceParent", TRACEPARENT),
                ("TraceState", TRACESTATE),
            ],
            [("x-odd", "a", "b"), ("traceparent", TRACEPARENT), ("tracestate", TRACESTATE)],
            [
                (b"Content-Type", b"text/plain"),
                (b"TraceParent", TRACEPARENT),
                (b"TraceState", TRACESTATE.encode()),
            ],
        ],
        ids=["mixed-case-dict", "exact-name-first", "str-pairs", "odd-entry", "byte-pairs"],
    )
    def test_header_shapes(self, collector: Collector, headers: object) -> None:
        """Headers as a dict or as pairs (str or bytes) are read by any case of their names.

        An exact lower-case name is taken before another spelling; an entry that is
        not a pair is skipped; a byte name may come with a str value.
        """
        traced(collector)
        (span,) = direct_span(collector, headers)
        assert (span.trace_id, span.parent_span_id) == (W3C_TRACE, W3C_SPAN)
        assert span.trace_state == TRACESTATE

    def test_headers_with_a_get_of_their_own(self, collector: Collector) -> None:
        """Headers that are no Mapping but have a case-insensitive get (werkzeug's) are read."""
        from werkzeug.datastructures import Headers as WerkzeugHeaders

        traced(collector)
        (span,) = direct_span(collector, WerkzeugHeaders([("TraceParent", TRACEPARENT)]))
        assert (span.trace_id, span.parent_span_id) == (W3C_TRACE, W3C_SPAN)

    @pytest.mark.parametrize(
        "headers",
        [
            {"traceparent": TRACEPARENT, "tracestate": b"congo=t61rcWkgMzE", "baggage": b"a=b"},
            {"TraceParent": TRACEPARENT, "TraceState": b"congo=t61rcWkgMzE", "Baggage": b"a=b"},
        ],
        ids=["exact", "mixed-case"],
    )
    def test_values_that_are_not_text_are_ignored(
        self, collector: Collector, headers: object
    ) -> None:
        """A header value that is not a str is no header: the span has its parent, no tracestate."""
        traced(collector)
        (span,) = direct_span(collector, headers)
        assert (span.trace_id, span.parent_span_id) == (W3C_TRACE, W3C_SPAN)
        assert span.trace_state == ""

    def test_camel_case_context_outside_an_invocation(self, collector: Collector) -> None:
        """A context with camelCase fields and no function: a span named "invocation", warm.

        Started outside any invocation (no adapter entered one), it is no cold start.
        """
        traced(collector)
        context = {"requestId": "req-camel", "accountId": "1234567890123456"}
        (span,) = direct_span(collector, None, context)
        assert span.name == "invocation"
        assert span.attributes["faas.invocation_id"] == "req-camel"
        assert span.attributes["cloud.account.id"] == "1234567890123456"
        assert span.attributes["faas.coldstart"] is False
        assert "faas.name" not in span.attributes

    def test_a_failure_to_start_is_logged(
        self, collector: Collector, caplog: pytest.LogCaptureFixture
    ) -> None:
        """Headers that fail when read: no span, an error logged, the caller goes on."""

        class Broken:
            def get(self, name: str) -> str:
                raise RuntimeError("unreadable headers")

        traced(collector)
        with caplog.at_level(logging.ERROR, logger="fcsdk.tracing"):
            assert (
                _invocation.TRACE[0].start(fake_context(), trigger="http", headers=Broken()) is None
            )
        (record,) = caplog.records
        assert (
            record.getMessage() == "cannot start the invocation span; the invocation runs untraced"
        )
        assert record.exc_info is not None
        assert fcsdk.tracing.current_ids() is None


class TestInvocationDetails:
    def test_cold_start_and_platform(
        self, collector: Collector, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """An instance's first invocation is a cold start, the next is not; FC is the platform."""
        traced(collector)
        monkeypatch.setattr(_invocation, "COLD", [True])

        @fc.handler
        def main(event: dict[str, int], context: fc.FCContext) -> str:
            return context.request_id

        main(b"{}", fc_context("req-first"))
        main(b"{}", fc_context("req-second"))
        spans = collector.wait_for(2)
        cold = {
            span.attributes["faas.invocation_id"]: span.attributes["faas.coldstart"]
            for span in spans
        }
        assert cold == {"req-first": True, "req-second": False}
        assert {span.attributes["cloud.platform"] for span in spans} == {"alibaba_cloud_fc"}

    def test_current_ids_inside_an_invocation(self, collector: Collector) -> None:
        """current_ids() inside an invocation is its span's trace and span ids; None outside."""
        traced(collector)
        seen: list[object] = []

        @fc.handler
        def main(event: dict[str, int]) -> int:
            seen.append(fcsdk.tracing.current_ids())
            return 1

        main(b"{}", fc_context("req-ids"))
        (span,) = collector.wait_for(1)
        assert seen == [(span.trace_id, span.span_id)]
        assert fcsdk.tracing.current_ids() is None

    def test_trigger_of_a_parametrised_model(self, collector: Collector) -> None:
        """A handler of TimerEvent[Job] (a class pydantic makes in the user's module) is timer."""
        traced(collector)

        @fc.handler
        def main(event: NightlyEvent) -> str:
            return event.payload.name

        timer = {"triggerTime": "2026-12-07T02:00:00Z", "triggerName": "nightly"}
        assert main(json.dumps({**timer, "payload": '{"name": "backup"}'}), fc_context("r")) == (
            "backup"
        )
        (span,) = collector.wait_for(1)
        assert span.attributes["faas.trigger"] == "timer"


class TestASGIScope:
    @pytest.mark.parametrize("flags", ["01", "00"])
    def test_app_sees_the_invocation_span(self, collector: Collector, flags: str) -> None:
        """An ASGI app's scope names the invocation span: one traceparent, one tracestate.

        The incoming trace headers are replaced, the vendor's tracestate kept, and an
        unsampled parent gives an unsampled traceparent (nothing exported).
        """
        traced(collector)
        seen: list[list[tuple[bytes, bytes]]] = []

        async def app(scope: Any, receive: Any, send: Any) -> None:
            seen.append(list(scope["headers"]))
            await send({"type": "http.response.start", "status": 204, "headers": []})
            await send({"type": "http.response.body", "body": b""})

        client = HTTPClient(fc.from_asgi(app, lifespan="off"), via="fc3")
        parent = f"00-{W3C_TRACE}-{W3C_SPAN}-{flags}"
        answer = client.get("/", headers={"traceparent": parent, "tracestate": TRACESTATE})
        assert answer.status_code == 204
        (headers,) = seen
        parents = [value.decode() for name, value in headers if name == b"traceparent"]
        states = [value for name, value in headers if name == b"tracestate"]
        assert states == [TRACESTATE.encode()]
        (traceparent,) = parents
        version, trace_id, span_id, sent_flags = traceparent.split("-")
        assert (version, trace_id, sent_flags) == ("00", W3C_TRACE, flags)
        assert span_id != W3C_SPAN
        if flags == "01":
            (span,) = collector.wait_for(1)
            assert span.span_id == span_id
        else:
            fcsdk.tracing.shutdown()  # exports what is pending: nothing
            assert collector.spans == []


def asgi_request(
    app: Any,
    method: str,
    path: str,
    headers: list[tuple[bytes, bytes]],
    body: bytes = b"",
    loops: list[asyncio.AbstractEventLoop] | None = None,
) -> tuple[int, bytes]:
    """One HTTP request to an ASGI app in this process: its status and body.

    The event loop it runs on is appended to ``loops``, when given.
    """
    sent = asgi_call(app, method, path, headers, body, loops)
    status = next(m["status"] for m in sent if m["type"] == "http.response.start")
    return status, b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")


def fc_request_headers(request_id: str, **extra: str) -> list[tuple[bytes, bytes]]:
    """The headers FC sends a web function, as ASGI byte pairs, names as given."""
    base = {
        "x-fc-request-id": request_id,
        "x-fc-function-name": "orders",
        "x-fc-function-handler": "index.handler",
        "x-fc-function-memory": "512",
        "x-fc-function-timeout": "60",
        "x-fc-region": "cn-hangzhou",
        "x-fc-account-id": "1234567890",
    }
    return [(name.encode(), value.encode()) for name, value in {**base, **extra}.items()]


class TestWebFunctionInProcess:
    def test_invoke_failure(self, collector: Collector) -> None:
        """POST /invoke that fails: its span records the error and is exported before the answer."""
        from fcsdk.webfunction import WebFunction

        traced(collector)

        @fc.handler
        def handler(event: dict[str, int]) -> int:
            raise LookupError("no such order")

        web = WebFunction(handler=handler, threads=2)
        try:
            status, _ = asgi_request(
                web, "POST", "/invoke", fc_request_headers("req-inv-fail"), b"{}"
            )
        finally:
            web.executor.shutdown()
        assert status == 404  # FC's answer for a failed invocation
        (span,) = collector.spans  # no waiting: the export was awaited
        assert span.attributes["faas.invocation_id"] == "req-inv-fail"
        assert span.status_code == STATUS_ERROR
        assert span.events[0][1]["exception.message"] == "no such order"

    def test_http_answer_and_mixed_case_names(self, collector: Collector) -> None:
        """An app's 503: the status is on the span, ERROR; byte header names of any case count.

        The W3C headers (traceparent, tracestate, baggage) come as the server gives
        them, byte pairs; the baggage is the app's.
        """
        from opentelemetry import baggage

        from fcsdk.webfunction import WebFunction

        traced(collector)
        seen: list[object] = []

        @fc.http
        def app(request: fc.Request) -> fc.Response:
            seen.append(baggage.get_baggage("user"))
            return fc.Response(b"busy", status=503)

        web = WebFunction(app, threads=2)
        headers = [
            *fc_request_headers("req-503"),
            (b"TraceParent", TRACEPARENT.encode()),
            (b"TraceState", TRACESTATE.encode()),
            (b"Baggage", b"user=alice"),
        ]
        try:
            status, _ = asgi_request(web, "GET", "/orders", headers)
        finally:
            web.executor.shutdown()
        assert status == 503
        (span,) = collector.spans
        assert span.attributes["http.response.status_code"] == 503
        assert span.status_code == STATUS_ERROR
        assert (span.trace_id, span.parent_span_id) == (W3C_TRACE, W3C_SPAN)
        assert span.trace_state == TRACESTATE
        assert seen == ["alice"]

    def test_export_wait_leaves_the_loop_free(self, collector: Collector) -> None:
        """While an invocation waits for its export, the event loop serves other work.

        The collector holds the export; the loop must still run a coroutine handed to
        it then (it would not if the wait blocked the loop, for up to flush_timeout).
        """
        from fcsdk.webfunction import WebFunction

        collector.stall.set()
        fcsdk.tracing.configure(endpoint=collector.endpoint, flush_timeout=60, export_timeout=3600)

        @fc.handler
        def handler(event: dict[str, int]) -> int:
            return 1

        web = WebFunction(handler=handler, threads=2)
        loops: list[asyncio.AbstractEventLoop] = []
        results: list[tuple[int, bytes]] = []

        def invoke() -> None:
            headers = fc_request_headers("req-free")
            results.append(asgi_request(web, "POST", "/invoke", headers, b"{}", loops))

        worker = threading.Thread(target=invoke)
        worker.start()
        try:
            assert collector.arrived.wait(10), "the invocation's spans were never sent"
            (loop,) = loops
            pong = asyncio.run_coroutine_threadsafe(asyncio.sleep(0, "pong"), loop)
            try:
                answered = pong.result(10)
            except TimeoutError:
                answered = None
            assert answered == "pong", "the event loop was blocked by the wait for the export"
        finally:
            collector.release.set()
            worker.join(30)
            web.executor.shutdown()
        assert results == [(200, b"1")]


class TestGlobalTracers:
    def test_keyword_arguments_reach_the_provider(self, collector: Collector) -> None:
        """get_tracer's and start_span's keyword arguments reach the configured provider.

        The scope's version, schema URL and attributes, and the span's kind and
        attributes, arrive at the collector as given.
        """
        from opentelemetry.trace import SpanKind

        traced(collector)
        tracer = trace.get_tracer_provider().get_tracer(
            "orders.db",
            instrumenting_library_version="1.2.3",
            schema_url="https://opentelemetry.io/schemas/1.26.0",
            attributes={"db.pool": "primary"},
        )

        @fc.handler
        def main(event: dict[str, int]) -> int:
            span = tracer.start_span("SELECT orders", kind=SpanKind.CLIENT, attributes={"rows": 3})
            span.end()
            return 1

        main(b"{}", fc_context("req-kw"))
        spans = collector.wait_for(2)
        (query,) = by_name(spans, "SELECT orders")
        (outer,) = by_name(spans, "my-function")
        assert query.parent_span_id == outer.span_id
        assert query.kind == 3  # CLIENT
        assert query.attributes == {"rows": 3}
        assert query.scope == ("orders.db", "1.2.3", "https://opentelemetry.io/schemas/1.26.0")
        assert query.scope_attributes == {"db.pool": "primary"}


FC_VARIABLES = ("FC_FUNCTION_NAME", "FC_REGION", "FC_ACCOUNT_ID", "FC_INSTANCE_ID")


@pytest.fixture
def fresh_global(monkeypatch: pytest.MonkeyPatch) -> None:
    """OpenTelemetry's global tracer provider as in a new process (not set yet), for one test."""
    from opentelemetry.util._once import Once

    monkeypatch.setattr(trace, "_TRACER_PROVIDER", None)
    monkeypatch.setattr(trace, "_TRACER_PROVIDER_SET_ONCE", Once())


class TestConfigure:
    def test_resource_from_fc_environment(
        self, collector: Collector, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """FC's variables describe the instance; the function's name is the service's."""
        monkeypatch.delenv("OTEL_SERVICE_NAME", raising=False)
        monkeypatch.setenv("FC_FUNCTION_NAME", "charge")
        monkeypatch.setenv("FC_ACCOUNT_ID", "1234567890123456")
        monkeypatch.setenv("FC_INSTANCE_ID", "c-6751f2e8-1a2b3c4d5e6f")
        monkeypatch.setenv("FC_FUNCTION_MEMORY_SIZE", "512")
        traced(collector)
        assert fcsdk.tracing.is_configured()

        @fc.handler
        def main(event: dict[str, int]) -> int:
            return 1

        main(b"{}", fc_context("req-resource"))
        (span,) = collector.wait_for(1)
        assert span.resource["service.name"] == "charge"
        assert span.resource["faas.name"] == "charge"
        assert span.resource["cloud.account.id"] == "1234567890123456"
        assert span.resource["faas.instance"] == "c-6751f2e8-1a2b3c4d5e6f"
        assert span.resource["faas.max_memory"] == 512 * 1024 * 1024
        assert span.resource["cloud.provider"] == "alibaba_cloud"
        assert span.resource["cloud.platform"] == "alibaba_cloud_fc"

    def test_service_name_argument_wins(
        self, collector: Collector, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """service_name= beats OTEL_SERVICE_NAME; without FC's variables nothing is made up."""
        for name in FC_VARIABLES:
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("OTEL_SERVICE_NAME", "orders")
        monkeypatch.setenv("FC_FUNCTION_MEMORY_SIZE", "512MB")  # not a number of MB
        traced(collector, service_name="billing")
        tracer = trace.get_tracer("t")
        tracer.start_span("alone").end()
        fcsdk.tracing.shutdown()
        (span,) = collector.spans
        assert span.resource["service.name"] == "billing"
        absent = (
            "faas.name",
            "cloud.region",
            "cloud.account.id",
            "faas.instance",
            "faas.max_memory",
        )
        assert [key for key in absent if key in span.resource] == []

    def test_reconfigure_and_shutdown_export_what_is_pending(self, collector: Collector) -> None:
        """configure() again, and shutdown(), export the spans the provider still held."""
        first = fcsdk.tracing.configure(endpoint=collector.endpoint)
        first.get_tracer("t").start_span("before-reconfigure").end()
        assert collector.spans == []  # batched: not sent yet
        second = fcsdk.tracing.configure(endpoint=collector.endpoint)
        assert [span.name for span in collector.spans] == ["before-reconfigure"]
        second.get_tracer("t").start_span("before-shutdown").end()
        fcsdk.tracing.shutdown()
        assert [span.name for span in collector.spans][1:] == ["before-shutdown"]
        assert not fcsdk.tracing.is_configured()
        fcsdk.tracing.shutdown()  # again: nothing to do

    @pytest.mark.parametrize(
        ("flush_timeout", "export_timeout"), [(0, 1.0), (1.0, 0), (-1.0, 1.0), (1.0, -0.5)]
    )
    def test_timeouts_must_be_positive(self, flush_timeout: float, export_timeout: float) -> None:
        """Either timeout zero or less is a ConfigurationError; tracing stays off."""
        with pytest.raises(fc.ConfigurationError) as raised:
            fcsdk.tracing.configure(flush_timeout=flush_timeout, export_timeout=export_timeout)
        assert str(raised.value) == "flush_timeout and export_timeout must be positive numbers"
        assert not fcsdk.tracing.is_configured()

    def test_without_opentelemetry(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Without the tracing extra, configure() says what to install; tracing stays off."""
        monkeypatch.setitem(sys.modules, "opentelemetry", None)  # import fails as if absent
        with pytest.raises(fc.ConfigurationError) as raised:
            fcsdk.tracing.configure()
        assert str(raised.value) == "tracing needs OpenTelemetry: pip install 'fcsdk[tracing]'"
        assert isinstance(raised.value.__cause__, ImportError)
        assert not fcsdk.tracing.is_configured()

    def test_sampler_argument(self, collector: Collector) -> None:
        """sampler= decides: always-on records an invocation FC's trace did not sample."""
        from opentelemetry.sdk.trace.sampling import ALWAYS_ON

        traced(collector, sampler=ALWAYS_ON)

        @fc.handler
        def main(event: dict[str, int]) -> int:
            return 1

        main(b"{}", fc_context("req-forced", flags="0"))
        (span,) = collector.wait_for(1)
        assert span.attributes["faas.invocation_id"] == "req-forced"
        assert span.parent_span_id == FC_SPAN

    def test_small_timeouts_are_fine(self, collector: Collector) -> None:
        """Timeouts below a second are valid."""
        fcsdk.tracing.configure(endpoint=collector.endpoint, flush_timeout=0.5, export_timeout=0.5)
        assert fcsdk.tracing.is_configured()

    @pytest.mark.usefixtures("fresh_global")
    def test_global_provider_set_once(self, collector: Collector) -> None:
        """configure() makes the global provider one that follows it, unless told not to."""
        from fcsdk.tracing._global import FollowingProvider

        traced(collector, set_global=False)
        assert not isinstance(trace.get_tracer_provider(), FollowingProvider)
        traced(collector)
        assert isinstance(trace.get_tracer_provider(), FollowingProvider)

    @pytest.mark.usefixtures("fresh_global")
    def test_application_provider_kept(self, collector: Collector) -> None:
        """A global provider the application set itself is left in place."""
        from opentelemetry.sdk.trace import TracerProvider

        own = TracerProvider()
        trace.set_tracer_provider(own)
        traced(collector)
        assert trace.get_tracer_provider() is own
