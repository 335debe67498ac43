"""Call a handler the way the FC runtime does."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from fcsdk._platform.context import fake_context
from fcsdk._runtime import call_event_handler, not_awaited_by_runtime
from fcsdk.handler import is_async_callable

__all__ = ["invoke", "not_awaited_by_runtime"]


def _event_bytes(event: object) -> bytes:
    if isinstance(event, bytes):
        return event
    if isinstance(event, bytearray | memoryview):
        return bytes(event)
    if isinstance(event, str):
        return event.encode("utf-8")
    model_dump_json = getattr(event, "model_dump_json", None)
    if callable(model_dump_json):
        return str(model_dump_json(by_alias=True)).encode()
    return json.dumps(event, separators=(",", ":"), ensure_ascii=False).encode()


def invoke(handler: Callable[..., Any], event: object = b"", context: object = None) -> bytes:
    """Call ``handler(event, context)`` as the runtime does and return the bytes it would send.

    ``event`` is passed as bytes: ``str`` is UTF-8 encoded, a pydantic model
    dumped by alias, and a ``dict``/``list`` JSON-encoded first. ``context``
    defaults to a fresh :func:`fake_context`. The result goes through the
    runtime's own conversion (``str``/``bytes`` as they are, anything else
    ``json.dumps``-ed). Exceptions from the handler propagate unchanged.
    An ``async def`` handler decorated with ``@fc.handler`` is called as any
    other; a bare ``async def`` function is refused with
    :class:`~fcsdk.ConfigurationError`, as FC's runtime would not await it.

    Example:
        >>> invoke(lambda event, context: event.upper(), b"hi")
        b'HI'
    """
    if is_async_callable(handler):
        raise not_awaited_by_runtime(handler)
    ctx = fake_context() if context is None else context
    return call_event_handler(handler, _event_bytes(event), ctx)
