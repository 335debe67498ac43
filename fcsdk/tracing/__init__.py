"""Tracing: every invocation a span under FC's own trace, exported with OpenTelemetry.

Call :func:`configure` once, at import time of your handler module; from then
on every invocation of an ``@fc.handler``, ``@fc.http``, ``HTTPApp``,
``from_wsgi`` and ``from_asgi`` handler (and of a web function) is a span:

- its parent is FC's span when FC sent one (``context.tracing.span_context``
  on built-in runtimes, W3C ``traceparent`` on HTTP requests), with FC's
  sampling decision honoured, else a new trace;
- it carries OpenTelemetry's FaaS attributes (``faas.invocation_id`` is the
  request id, ``faas.coldstart``, ``faas.trigger``, ``faas.name``,
  ``cloud.region``, ``cloud.account.id``) and the exception and ERROR status
  when the invocation fails;
- the spans your code and instrumentation libraries open nest under it, in
  threads and on the shared event loop alike;
- ``fc.logger``'s JSON lines carry its ``trace_id`` and ``span_id``;
- the invocation's spans are exported (OTLP over HTTP) before it returns,
  waiting at most ``flush_timeout``: a slow or dead collector never fails an
  invocation and costs at most that.

OpenTelemetry is an optional extra (``pip install 'fcsdk[tracing]'``): nothing
of it is imported until :func:`configure` runs, and ``import fcsdk`` does not
import this module.

Example:
    >>> import fcsdk.tracing
    >>> from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    >>> from opentelemetry.sdk.trace.export.in_memory_span_exporter import (
    ...     InMemorySpanExporter,
    ... )
    >>> exporter = InMemorySpanExporter()
    >>> provider = fcsdk.tracing.configure(span_processor=SimpleSpanProcessor(exporter))
    >>> import fcsdk as fc
    >>> from fcsdk.testing import fake_context
    >>> @fc.handler
    ... def main(event: dict[str, int], context: fc.FCContext) -> int:
    ...     return event["n"] + 1
    >>> main(b'{"n": 1}', fake_context(request_id="r-42"))
    b'2'
    >>> [(s.name, s.attributes["faas.invocation_id"]) for s in exporter.get_finished_spans()]
    [('my-function', 'r-42')]
    >>> fcsdk.tracing.shutdown()
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from fcsdk import _invocation
from fcsdk.exceptions import ConfigurationError

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
    from opentelemetry.sdk.trace.sampling import Sampler

__all__ = ["configure", "current_ids", "is_configured", "shutdown"]

_DEFAULT_FLUSH_TIMEOUT = 1.0
_DEFAULT_EXPORT_TIMEOUT = 3.0


def _resource(service_name: str | None) -> Any:
    """The instance's resource: service name and FC's function, region and instance."""
    from opentelemetry.sdk.resources import Resource

    env = os.environ
    attributes: dict[str, Any] = {
        "cloud.provider": "alibaba_cloud",
        "cloud.platform": "alibaba_cloud_fc",
    }
    function = env.get("FC_FUNCTION_NAME")
    if function:
        attributes["faas.name"] = function
    region = env.get("FC_REGION")
    if region:
        attributes["cloud.region"] = region
    account = env.get("FC_ACCOUNT_ID")
    if account:
        attributes["cloud.account.id"] = account
    instance = env.get("FC_INSTANCE_ID")
    if instance:
        attributes["faas.instance"] = instance
    memory = env.get("FC_FUNCTION_MEMORY_SIZE")
    if memory and memory.isdigit():
        attributes["faas.max_memory"] = int(memory) * 1024 * 1024
    name = service_name or env.get("OTEL_SERVICE_NAME") or function
    if name:
        attributes["service.name"] = name
    # Resource.create adds OTEL_RESOURCE_ATTRIBUTES and the SDK's own attributes
    return Resource.create(attributes)


def configure(
    *,
    endpoint: str | None = None,
    headers: Mapping[str, str] | None = None,
    service_name: str | None = None,
    sampler: Sampler | None = None,
    root_spans: bool = True,
    flush_timeout: float = _DEFAULT_FLUSH_TIMEOUT,
    export_timeout: float = _DEFAULT_EXPORT_TIMEOUT,
    span_processor: SpanProcessor | None = None,
    set_global: bool = True,
) -> TracerProvider:
    """Trace every invocation from now on; returns the instance's one tracer provider.

    Every setting has OpenTelemetry's own environment variable as its default,
    so a function can be configured from its environment alone.

    Args:
        endpoint: where spans go, OTLP over HTTP (``http://host:4318/v1/traces``);
            default ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT``, else
            ``OTEL_EXPORTER_OTLP_ENDPOINT`` + ``/v1/traces``, else
            ``http://localhost:4318/v1/traces``.
        headers: sent with every export (a collector's token, say); default
            ``OTEL_EXPORTER_OTLP_TRACES_HEADERS`` / ``OTEL_EXPORTER_OTLP_HEADERS``.
        service_name: the ``service.name`` resource attribute; default
            ``OTEL_SERVICE_NAME``, else the function's name (``FC_FUNCTION_NAME``).
        sampler: default from ``OTEL_TRACES_SAMPLER`` (and its argument), else
            parent-based always-on: FC's sampling decision is followed.
        root_spans: whether an invocation FC sent no trace for starts a new
            trace (``True``) or goes untraced.
        flush_timeout: seconds an invocation waits at most, before it returns,
            for its spans to be exported.
        export_timeout: seconds one export request may take.
        span_processor: use this processor instead of the OTLP exporter (an
            in-memory exporter in tests, or your own pipeline).
        set_global: also make the provider OpenTelemetry's global one (when no
            other was set), so that ``opentelemetry.trace.get_tracer()`` and
            instrumentation libraries use it.

    Raises:
        ConfigurationError: OpenTelemetry is not installed, or a timeout is not
            a positive number.
    """
    if not flush_timeout > 0 or not export_timeout > 0:
        raise ConfigurationError("flush_timeout and export_timeout must be positive numbers")
    try:
        from opentelemetry import trace
        from opentelemetry.sdk.trace import TracerProvider
    except ImportError as exc:  # pragma: no cover - the extra is in the dev install
        raise ConfigurationError(
            "tracing needs OpenTelemetry: pip install 'fcsdk[tracing]'"
        ) from exc
    from fcsdk.tracing._hook import InvocationTracer

    shutdown()
    provider = TracerProvider(sampler=sampler, resource=_resource(service_name))
    if span_processor is None:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.sdk.trace.export import BatchSpanProcessor

        exporter = OTLPSpanExporter(
            endpoint=endpoint,
            headers=dict(headers) if headers is not None else None,
            timeout=export_timeout,
        )
        # the exporter's timeout bounds each export; BatchSpanProcessor's export_timeout_millis
        # is not read on any path fcsdk takes (only as force_flush's default, never relied on)
        span_processor = BatchSpanProcessor(exporter)
    provider.add_span_processor(span_processor)
    if set_global:
        _set_global(trace)
    _invocation.TRACE[0] = InvocationTracer(
        provider, root_spans=root_spans, flush_timeout=flush_timeout
    )
    return provider


def _set_global(trace: Any) -> None:
    """Make the global provider follow :func:`configure`'s, unless the application set its own.

    OpenTelemetry lets the global provider be set once per process; the one set
    here hands out tracers that use whichever provider :func:`configure` made
    last, so configuring again (in tests, say) keeps every tracer working.
    """
    from opentelemetry.trace import ProxyTracerProvider

    from fcsdk.tracing._global import FollowingProvider

    current = trace.get_tracer_provider()
    if isinstance(current, ProxyTracerProvider):
        trace.set_tracer_provider(FollowingProvider())


def shutdown() -> None:
    """Stop tracing: export what is pending and stop the provider :func:`configure` made."""
    tracer = _invocation.TRACE[0]
    _invocation.TRACE[0] = None
    if tracer is not None:
        tracer.provider.shutdown()
        tracer.close()


def is_configured() -> bool:
    """Whether :func:`configure` is in force."""
    return _invocation.TRACE[0] is not None


def current_ids() -> tuple[str, str] | None:
    """``(trace_id, span_id)`` in hexadecimal of the span current here, else ``None``.

    ``None`` also when tracing is not configured.
    """
    tracer = _invocation.TRACE[0]
    return None if tracer is None else tracer.ids()
