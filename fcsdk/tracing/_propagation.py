"""Where an invocation's parent span comes from: FC's Jaeger-form context, W3C headers, baggage.

Pure parsing, no OpenTelemetry import: the results are plain tuples that
:mod:`fcsdk.tracing._hook` turns into OpenTelemetry objects.

FC hands built-in runtimes ``context.tracing.span_context`` in Jaeger's text
form ``traceid:spanid:parentid:flags`` (hexadecimal ids; the trace id is 64 or
128 bits, leading zeros may be left out; bit 1 of ``flags`` means sampled) and
``span_baggages``; HTTP requests may carry W3C ``traceparent``/``tracestate``
and ``baggage`` instead (FC 3.0 propagates them).

Example:
    >>> parse_jaeger("1f3a9c:4b2:0:1")
    (2046620, 1202, True)
    >>> parse_jaeger("not-a-context") is None
    True
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["parse_jaeger", "parse_traceparent", "tracing_fields"]

_MAX_TRACE_ID = (1 << 128) - 1
_MAX_SPAN_ID = (1 << 64) - 1
_HEX = frozenset("0123456789abcdefABCDEF")


def _hex_id(text: str, limit: int) -> int | None:
    """A non-zero id of at most ``limit`` written in hexadecimal, else ``None``."""
    if not text or len(text) > 32 or not _HEX.issuperset(text):
        return None
    value = int(text, 16)
    return value if 0 < value <= limit else None


def parse_jaeger(value: object) -> tuple[int, int, bool] | None:
    """``(trace_id, span_id, sampled)`` of a Jaeger ``trace:span:parent:flags``, else ``None``.

    Anything malformed (wrong field count, ids that are not hexadecimal or are
    zero, flags that are not a number) gives ``None``: the invocation then has
    no parent, it never fails because of it.
    """
    if not isinstance(value, str):
        return None
    parts = value.strip().split(":")
    if len(parts) != 4:
        return None
    trace_id = _hex_id(parts[0], _MAX_TRACE_ID)
    span_id = _hex_id(parts[1], _MAX_SPAN_ID)
    flags = parts[3]
    if trace_id is None or span_id is None or not flags or not _HEX.issuperset(flags):
        return None
    return trace_id, span_id, bool(int(flags, 16) & 1)


def parse_traceparent(value: object) -> tuple[int, int, bool] | None:
    """``(trace_id, span_id, sampled)`` of a W3C ``traceparent`` header, else ``None``.

    Version ``00`` must have exactly four fields; a later version may add
    fields after the flags (W3C Trace Context, "versioning of traceparent").
    """
    if not isinstance(value, str):
        return None
    parts = value.strip().split("-")
    if len(parts) < 4:
        return None
    version, trace, span, flags = parts[:4]
    if (
        len(version) != 2
        or not _HEX.issuperset(version)
        or version.lower() == "ff"
        or (version == "00" and len(parts) != 4)
        or len(trace) != 32
        or len(span) != 16
        or len(flags) != 2
        or not _HEX.issuperset(flags)
    ):
        return None
    trace_id = _hex_id(trace, _MAX_TRACE_ID)
    span_id = _hex_id(span, _MAX_SPAN_ID)
    if trace_id is None or span_id is None:
        return None
    return trace_id, span_id, bool(int(flags, 16) & 1)


def _attr(obj: object, *names: str) -> Any:
    """The first of ``names`` that ``obj`` has (a mapping's key or an attribute), else ``None``."""
    mapping = type(obj) is dict or isinstance(obj, Mapping)
    for name in names:
        value = obj.get(name) if mapping else getattr(obj, name, None)  # type: ignore[attr-defined]
        if value is not None:
            return value
    return None


def tracing_fields(context: object) -> tuple[str | None, dict[str, str]]:
    """``span_context`` and ``span_baggages`` of a context's ``tracing`` (typed or the runtime's).

    Baggage entries that are not str -> str are left out.
    """
    tracing = _attr(context, "tracing")
    if tracing is None:
        return None, {}
    span_context = _attr(tracing, "span_context", "spanContext")
    baggages = _attr(tracing, "span_baggages", "spanBaggages")
    baggage: dict[str, str] = {}
    if isinstance(baggages, Mapping):
        baggage = {k: v for k, v in baggages.items() if isinstance(k, str) and isinstance(v, str)}
    return (span_context if isinstance(span_context, str) else None), baggage
