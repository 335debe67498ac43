"""OpenTelemetry's global tracer provider, following the one :func:`~fcsdk.tracing.configure` made.

The global provider can be set once per process; tracers handed out before a
second :func:`~fcsdk.tracing.configure` must keep working after it, so each
tracer here looks the current provider up when it starts a span.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from opentelemetry import trace

from fcsdk import _invocation

__all__ = ["FollowingProvider"]


def _real(args: tuple[Any, ...], kwargs: dict[str, Any]) -> trace.Tracer:
    tracer = _invocation.TRACE[0]
    if tracer is None:
        return trace.NoOpTracer()
    real: trace.Tracer = tracer.provider.get_tracer(*args, **kwargs)
    return real


class FollowingTracer(trace.Tracer):
    """A tracer that starts its spans on the current :func:`~fcsdk.tracing.configure` provider."""

    def __init__(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        self._args = args
        self._kwargs = kwargs

    def start_span(self, *args: Any, **kwargs: Any) -> trace.Span:
        return _real(self._args, self._kwargs).start_span(*args, **kwargs)

    @contextmanager
    def start_as_current_span(  # type: ignore[override]
        self, *args: Any, **kwargs: Any
    ) -> Iterator[trace.Span]:
        with _real(self._args, self._kwargs).start_as_current_span(*args, **kwargs) as span:
            yield span


class FollowingProvider(trace.TracerProvider):
    """The global provider set by :func:`~fcsdk.tracing.configure`."""

    def get_tracer(self, *args: Any, **kwargs: Any) -> trace.Tracer:
        return FollowingTracer(args, kwargs)
