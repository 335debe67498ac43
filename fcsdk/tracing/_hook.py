"""The invocation span: started and ended by every adapter while tracing is configured.

:func:`fcsdk.tracing.configure` puts one :class:`InvocationTracer` in
``fcsdk._invocation.TRACE``; each adapter (``@fc.handler``, ``@fc.http``,
``HTTPApp``, ``from_wsgi``, ``from_asgi``, the web-function server) checks
that slot once per invocation, so tracing that is off costs one list read.

The span follows OpenTelemetry's FaaS conventions: kind SERVER, named after
the function (``GET`` and the like for HTTP requests), with
``faas.invocation_id`` (the request id), ``faas.coldstart``, ``faas.trigger``,
``cloud.*``; an exception is recorded on it and sets its status to ERROR, as
does an HTTP answer of 500 or more. The span is the current one while the
user's code runs (threads and the shared event loop alike, through context
variables), and the spans of the invocation are exported before it returns,
within ``flush_timeout``.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from fcsdk import _invocation
from fcsdk.tracing._propagation import (
    _attr,
    parse_jaeger,
    parse_traceparent,
    tracing_fields,
)

if TYPE_CHECKING:
    from opentelemetry.context import Context
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.trace import Span, Tracer

__all__ = ["Flusher", "InvocationTracer", "OpenSpan", "trigger_of"]

logger = logging.getLogger("fcsdk.tracing")

_TRIGGERS = {
    "timer": "timer",
    "http": "http",
    "oss": "datasource",
    "tablestore": "datasource",
    "sls": "datasource",
    "cdn": "datasource",
    "dts": "datasource",
    "mns": "pubsub",
    "mns_queue": "pubsub",
    "kafka": "pubsub",
    "rocketmq": "pubsub",
    "rabbitmq": "pubsub",
    "mqtt": "pubsub",
    "cloudevents": "pubsub",
    "destination": "pubsub",
}


def trigger_of(event_model: object) -> str:
    """OpenTelemetry's ``faas.trigger`` for a handler's event type (``"other"`` when unknown).

    Example:
        >>> from fcsdk.events import TimerEvent
        >>> trigger_of(TimerEvent), trigger_of(TimerEvent[dict[str, int]]), trigger_of(dict)
        ('timer', 'timer', 'other')
    """
    origin = getattr(event_model, "__origin__", None) or event_model  # Annotated[M, ...]
    # the class's own module, else its bases': a parametrised generic model
    # (``TimerEvent[Payload]``) and a subclass of an event model live in the user's module
    for cls in getattr(origin, "__mro__", ()):  # a class and its bases; nothing else counts
        module = str(cls.__module__)
        if module.startswith("fcsdk.events."):
            return _TRIGGERS.get(module.removeprefix("fcsdk.events."), "other")
    return "other"


class OpenSpan:
    """A started invocation span and the context token that made it current."""

    __slots__ = ("span", "token")

    def __init__(self, span: Span, token: object) -> None:
        self.span = span
        self.token = token


def _header(headers: object, name: str) -> str | None:
    """A header of :class:`~fcsdk.web.Headers`, a mapping or a list of pairs, by lower-case name."""
    if headers is None:
        return None
    get = getattr(headers, "get", None)
    if callable(get):
        value = get(name)
        if value is None and isinstance(headers, Mapping):
            for key, item in headers.items():
                if isinstance(key, str) and key.lower() == name:
                    return item if isinstance(item, str) else None
        return value if isinstance(value, str) else None
    if isinstance(headers, Iterable):
        for pair in headers:
            if isinstance(pair, tuple) and len(pair) == 2:
                key, value = pair
                if isinstance(key, bytes):
                    key = key.decode("latin-1")
                    value = value.decode("latin-1") if isinstance(value, bytes) else value
                if isinstance(key, str) and key.lower() == name and isinstance(value, str):
                    return value
    return None


class InvocationTracer:
    """Starts and ends invocation spans on one tracer provider (one per instance)."""

    def __init__(
        self,
        provider: TracerProvider,
        *,
        root_spans: bool,
        flush_timeout: float,
    ) -> None:
        from opentelemetry import baggage, trace
        from opentelemetry import context as otel_context
        from opentelemetry.trace import (
            NonRecordingSpan,
            SpanContext,
            SpanKind,
            TraceFlags,
            TraceState,
        )
        from opentelemetry.trace.status import Status, StatusCode

        self.provider = provider
        self.tracer: Tracer = provider.get_tracer("fcsdk")
        self.root_spans = root_spans
        self.flush_timeout = flush_timeout
        self._trace = trace
        self._baggage = baggage
        self._context = otel_context
        self._non_recording = NonRecordingSpan
        self._span_context = SpanContext
        self._flags = TraceFlags
        self._trace_state = TraceState
        self._server = SpanKind.SERVER
        self._error = (Status, StatusCode.ERROR)
        self._open = _invocation_open()
        self._flusher = Flusher(provider)

    def _parent(self, context: object, headers: object) -> tuple[Context | None, bool]:
        """The parent context and whether it names a span; ``(None, False)`` for none.

        W3C ``traceparent`` first (with its ``tracestate``), then FC's Jaeger form;
        W3C ``baggage`` and FC's ``span_baggages`` are the context's baggage.
        """
        span_context, baggages = tracing_fields(context)
        parent = parse_traceparent(_header(headers, "traceparent"))
        state = _header(headers, "tracestate") if parent is not None else None
        if parent is None:
            parent = parse_jaeger(span_context)
        ctx: Context | None = None
        if parent is not None:
            trace_id, span_id, sampled = parent
            remote = self._span_context(
                trace_id=trace_id,
                span_id=span_id,
                is_remote=True,
                trace_flags=self._flags(self._flags.SAMPLED if sampled else 0),
                trace_state=self._trace_state.from_header([state]) if state else None,
            )
            ctx = self._trace.set_span_in_context(self._non_recording(remote))
        w3c_baggage = _header(headers, "baggage")
        if w3c_baggage:
            from opentelemetry.baggage.propagation import W3CBaggagePropagator

            ctx = W3CBaggagePropagator().extract({"baggage": w3c_baggage}, context=ctx)
        for key, value in baggages.items():
            ctx = self._baggage.set_baggage(key, value, context=ctx)
        return ctx, parent is not None

    def start(
        self,
        context: object,
        *,
        trigger: str,
        headers: object = None,
        method: str | None = None,
        path: str | None = None,
    ) -> OpenSpan | None:
        """Start the invocation span of ``context`` and make it current; ``None`` for no span.

        Never raises: a failure to start a span is logged and the invocation runs untraced.
        """
        try:
            return self._start(context, trigger, headers, method, path)
        except Exception:
            logger.exception("cannot start the invocation span; the invocation runs untraced")
            return None

    def _start(
        self,
        context: object,
        trigger: str,
        headers: object,
        method: str | None,
        path: str | None,
    ) -> OpenSpan | None:
        if self._open.get():
            # an invocation span is open here already (the web function's, say, around
            # the @fc.handler it runs): the inner call is the same invocation
            return None
        parent, has_parent = self._parent(context, headers)
        if not has_parent and not self.root_spans:
            return None
        request_id = _attr(context, "request_id", "requestId")
        function_name = _attr(_attr(context, "function"), "name")
        current = _invocation.current()
        cold = bool(current[1]) if current is not None else False
        attributes: dict[str, Any] = {
            "faas.trigger": trigger,
            "faas.coldstart": cold,
            "cloud.provider": "alibaba_cloud",
            "cloud.platform": "alibaba_cloud_fc",
        }
        if request_id:
            attributes["faas.invocation_id"] = str(request_id)
        if function_name:
            attributes["faas.name"] = str(function_name)
        region = _attr(context, "region")
        if region:
            attributes["cloud.region"] = str(region)
        account = _attr(context, "account_id", "accountId")
        if account:
            attributes["cloud.account.id"] = str(account)
        if method:
            attributes["http.request.method"] = method
            name = method
        else:
            name = str(function_name or "invocation")
        if path is not None:
            attributes["url.path"] = path
        span = self.tracer.start_span(
            name, context=parent, kind=self._server, attributes=attributes
        )
        self._open.set(True)
        token = self._context.attach(self._trace.set_span_in_context(span, parent))
        return OpenSpan(span, token)

    def finish(
        self,
        opened: OpenSpan | None,
        error: BaseException | None = None,
        status: int | None = None,
        *,
        flush: bool = True,
    ) -> None:
        """End the span: record ``error`` or the HTTP ``status``, restore the context, export.

        Never raises, and waits for the export at most ``flush_timeout``; with
        ``flush=False`` the caller exports (:meth:`afinish` on an event loop).
        """
        if opened is None:
            return
        span = opened.span
        try:
            if status is not None:
                span.set_attribute("http.response.status_code", status)
            if error is not None:
                span.record_exception(error)
                status_cls, code = self._error
                span.set_status(status_cls(code, type(error).__qualname__))
            elif status is not None and status >= 500:
                status_cls, code = self._error
                span.set_status(status_cls(code))
            span.end()
        except Exception:
            logger.exception("cannot end the invocation span")
        finally:
            self._open.set(False)
            self._context.detach(opened.token)  # type: ignore[arg-type]
        if flush:
            self.flush()

    async def afinish(
        self,
        opened: OpenSpan | None,
        error: BaseException | None = None,
        status: int | None = None,
    ) -> None:
        """:meth:`finish` on an event loop: the wait for the export does not block the loop."""
        if opened is None:
            return
        import asyncio

        self.finish(opened, error, status, flush=False)
        await asyncio.get_running_loop().run_in_executor(None, self.flush)

    def flush(self) -> bool:
        """Export what is pending, waiting at most ``flush_timeout``; whether it all went.

        OpenTelemetry's ``force_flush`` exports in the caller's thread and does
        not honour its timeout, so the export runs in the flusher's thread and
        the invocation waits for it at most ``flush_timeout``; what is not sent
        by then goes on in the background.
        """
        return self._flusher.flush(self.flush_timeout)

    def close(self) -> threading.Thread | None:
        """Stop the export thread (tracing is shut down); returns it, for a join."""
        return self._flusher.close()

    def asgi_headers(
        self, opened: OpenSpan | None, headers: list[tuple[bytes, bytes]]
    ) -> list[tuple[bytes, bytes]]:
        """``headers`` whose W3C trace headers name the invocation span (for an ASGI app's scope).

        An app with its own OpenTelemetry middleware (FastAPI's, say) takes its
        parent from the request's headers, not from the current context: this
        makes its spans children of the invocation span.
        """
        if opened is None:
            return headers
        context = opened.span.get_span_context()
        if not context.is_valid:
            return headers
        flags = "01" if context.trace_flags.sampled else "00"
        value = f"00-{context.trace_id:032x}-{context.span_id:016x}-{flags}".encode()
        kept = [(k, v) for k, v in headers if k not in (b"traceparent", b"tracestate")]
        kept.append((b"traceparent", value))
        state = context.trace_state.to_header()
        if state:
            kept.append((b"tracestate", state.encode("latin-1")))
        return kept

    def ids(self) -> tuple[str, str] | None:
        """``(trace_id, span_id)`` in hexadecimal of the span current here, else ``None``."""
        span_context = self._trace.get_current_span().get_span_context()
        if not span_context.is_valid:
            return None
        return f"{span_context.trace_id:032x}", f"{span_context.span_id:016x}"

    def wrap(self, call: Callable[[], Any], context: object, trigger: str) -> Any:
        """Run ``call`` inside an invocation span of ``context``; its error is recorded, raised."""
        opened = self.start(context, trigger=trigger)
        try:
            result = call()
        except BaseException as exc:
            self.finish(opened, exc)
            raise
        self.finish(opened)
        return result


class Flusher:
    """One thread that exports a provider's pending spans when an invocation asks it to."""

    def __init__(self, provider: TracerProvider) -> None:
        self.provider = provider
        self._lock = threading.Lock()
        self._waiting: list[threading.Event] = []
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._pid = 0
        self._closed = False

    def flush(self, timeout: float) -> bool:
        """Have the pending spans exported; wait at most ``timeout`` s; whether they went."""
        done = threading.Event()
        with self._lock:
            if self._closed:
                return False
            if self._thread is None or self._pid != os.getpid():  # first use, or a forked child
                self._pid = os.getpid()
                self._thread = threading.Thread(
                    target=self._run, name="fcsdk-trace-flush", daemon=True
                )
                self._thread.start()
            self._waiting.append(done)
            self._wake.set()
        return done.wait(timeout)

    def close(self) -> threading.Thread | None:
        """End the thread once the exports asked for are done; returns it (for a join)."""
        with self._lock:
            self._closed = True
            thread, self._thread = self._thread, None
            self._wake.set()
        return thread

    def _run(self) -> None:
        while True:
            self._wake.wait()
            with self._lock:
                self._wake.clear()
                waiting, self._waiting = self._waiting, []
                closed = self._closed
            if waiting:
                try:
                    self.provider.force_flush()
                except Exception:
                    logger.exception("cannot export the invocations' spans")
                for done in waiting:
                    done.set()
            if closed:
                return


def _invocation_open() -> Any:
    """Whether an invocation span is open in this context (an inner call is the same invocation)."""
    from contextvars import ContextVar

    return ContextVar("fcsdk_trace_open", default=False)
