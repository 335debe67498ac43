"""``POST /invoke``: one event invocation of the module's ``handler``, answered as FC expects.

FC sends InvokeFunction calls and event triggers (timers, OSS, queues...) to
a custom runtime as ``POST /invoke`` with the event as the body. The answer's
body is the handler's result; success is status 200 with ``x-fc-status:
200``, failure status 404 with ``x-fc-status: 404`` (FC's custom-runtime
"event handlers" page: without ``x-fc-status`` FC counts every answer a
success). The failure's body is the error JSON FC's Python runtime answers,
``{"errorMessage", "errorType", "stackTrace"}``, known secrets masked.
Each invocation writes ``FC Invoke Start RequestId: <id>`` and
``FC Invoke End RequestId: <id>`` on stdout, the lines FC's console shows
the invocation's log between.

The handler is an ``@fc.handler`` (its event decoded into its type, the
result encoded) or a plain ``handler(event, context)`` function (the event as
bytes, the context the request's :class:`~fcsdk.webfunction.headers.HeaderContext`,
the result encoded as FC's Python runtime does). An ``async def`` handler runs
on the server's event loop, next to the async routes; a sync one in the
thread pool.

The log says which invocation failed and why, with the traceback of the
error itself: never the event, and never the cause a decoding error keeps
(pydantic's message quotes the input).
"""

from __future__ import annotations

import asyncio
import contextvars
import json
import logging
import os
import sys
import traceback
from concurrent.futures import Executor
from pathlib import Path
from typing import Any

from fcsdk import _secrets
from fcsdk._invocation import TRACE, enter, enter_hook, leave
from fcsdk.handler import is_async_callable

__all__ = ["EventRunner", "error_body", "lifecycle_line", "log_failure"]

logger = logging.getLogger("fcsdk.webfunction")

_FCSDK_DIR = str(Path(__file__).resolve().parent.parent) + os.sep
_JSON = [(b"content-type", b"application/json")]
Headers = list[tuple[bytes, bytes]]
SUCCESS: Headers = [(b"x-fc-status", b"200")]
FAILURE: Headers = [(b"x-fc-status", b"404"), *_JSON]


def lifecycle_line(what: str, request_id: str) -> None:
    """Write one of FC's frame lines (``FC Invoke Start RequestId: <id>``...) on stdout."""
    sys.stdout.write(f"{what} RequestId: {request_id}\n")
    sys.stdout.flush()


def error_body(exc: BaseException) -> bytes:
    """FC's error JSON for ``exc``: message, type and the user's frames, secrets masked."""
    from fcsdk._runtime import error_payload

    payload = error_payload(exc)
    payload["stackTrace"] = [
        frame for frame in payload["stackTrace"] if not str(frame[0]).startswith(_FCSDK_DIR)
    ]
    return _secrets.mask(json.dumps(payload, ensure_ascii=False)).encode("utf-8")


def log_failure(what: str, request_id: str, exc: BaseException) -> None:
    """Log a failed call: its own traceback and message, no chained cause (it may quote input)."""
    text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__, chain=False))
    logger.error("%s failed (request %s):\n%s", what, request_id, _secrets.mask(text).rstrip())


def _closure_flag(func: object, name: str) -> bool:
    """The value of ``name`` in ``func``'s closure (``@fc.handler(log_event=True)``), else False."""
    code = getattr(func, "__code__", None)
    cells = getattr(func, "__closure__", None)
    if code is None or not cells or name not in code.co_freevars:
        return False
    return bool(cells[code.co_freevars.index(name)].cell_contents)


class EventRunner:
    """Runs the module's event handler for ``POST /invoke`` (see the module's docstring).

    Args:
        handler: an ``@fc.handler`` or a plain ``handler(event, context)`` function.
        executor: where a sync handler runs.
    """

    def __init__(self, handler: Any, *, executor: Executor | None = None) -> None:
        self.handler = handler
        self.executor = executor
        inner = getattr(handler, "__wrapped__", None)
        # An async @fc.handler is awaited here, on the server's loop, rather than through
        # its sync wrapper (which would run it on fcsdk's own loop, away from the app's).
        self._async = (
            inner is not None and hasattr(handler, "event_model") and is_async_callable(inner)
        )
        # Any other async callable is awaited with the raw event, whatever attributes it has
        # (one with an ``event_model`` but no ``__wrapped__`` is not an @fc.handler).
        self._plain_async = not self._async and is_async_callable(handler)
        from fcsdk._runtime import runtime_result

        self._encode = runtime_result  # what FC's Python runtime sends for a plain result
        self._decode: Any = None
        self._with_context = True
        self._log_event = _closure_flag(handler, "log_event") if self._async else False

    async def invoke(self, body: bytes, context: Any) -> tuple[int, Headers, bytes]:
        """Run one invocation; return the status, headers and body of FC's answer."""
        request_id = context.request_id
        lifecycle_line("FC Invoke Start", request_id)
        # The failure's log record carries the request id too (a hook's mark: the
        # handler's own call is what uses up the instance's cold start).
        token = enter_hook(context)
        tracer = TRACE[0]
        opened = None
        if tracer is not None:
            from fcsdk.tracing._hook import trigger_of

            opened = tracer.start(
                context, trigger=trigger_of(getattr(self.handler, "event_model", None))
            )
        try:
            result = await self._call(body, context)
        except Exception as exc:
            log_failure("invocation", request_id, exc)
            if opened is not None:
                await tracer.afinish(opened, exc)
            return 404, FAILURE, error_body(exc)
        finally:
            leave(token)
            lifecycle_line("FC Invoke End", request_id)
        if opened is not None:
            await tracer.afinish(opened)
        return 200, SUCCESS, result

    async def _call(self, body: bytes, context: Any) -> bytes:
        if self._async:
            return await self._call_async(body, context)
        if self._plain_async:
            token = enter(context)
            try:
                return self._encode(await self.handler(body, context))
            finally:
                leave(token)
        call = contextvars.copy_context().run
        loop = asyncio.get_running_loop()
        if hasattr(self.handler, "event_model"):
            # @fc.handler enters the invocation and encodes the result itself.
            value = await loop.run_in_executor(self.executor, call, self.handler, body, context)
        else:
            value = await loop.run_in_executor(self.executor, call, self._plain, body, context)
        return self._encode(value)

    def _plain(self, body: bytes, context: Any) -> object:
        token = enter(context)
        try:
            return self.handler(body, context)
        finally:
            leave(token)

    async def _call_async(self, body: bytes, context: Any) -> bytes:
        """What ``@fc.handler``'s wrapper does, with the coroutine awaited on this loop."""
        from fcsdk._decode import build_decoder, encode_result
        from fcsdk.context import FCContext
        from fcsdk.handler import _first_param_annotation, _wants_context

        inner = self.handler.__wrapped__
        if self._decode is None:
            model = self.handler.event_model
            if model is None:
                model = _first_param_annotation(inner)
            self._with_context = _wants_context(inner)
            self._decode = build_decoder(model)
        typed = FCContext.from_runtime(context)
        token = enter(typed)
        try:
            if self._log_event:
                from fcsdk.logging import log_event

                log_event(body)
            event = self._decode(body)
            value = await (inner(event, typed) if self._with_context else inner(event))
            result = encode_result(value)
        finally:
            leave(token)
        return result if type(result) is bytes else str(result).encode("utf-8")
