"""The ASGI protocol, sans place: one ``http`` scope in, status, headers and body out; lifespan.

This module knows ASGI 3 and nothing of FC: it is given a request as plain
parts (method, raw path, query bytes, header list, body bytes, client,
server, scheme, root path) and gives back ``(status, headers, body)``.
:mod:`fcsdk.web.asgi_app` feeds it from each of FC's HTTP places.

The response is collected: ``http.response.body`` messages are joined, as
FC's built-in runtimes answer in one piece (a ``StreamingResponse`` arrives
whole, when the app has sent its last chunk). ``receive()`` gives the whole
body in one ``http.request`` message, then waits until the response is
complete and says ``http.disconnect`` (what Starlette's streaming responses
listen for). Background tasks run inside the app's call, so they are done
when the call returns: before the invocation ends and FC may freeze the
instance.

A misbehaving app gets a precise error, raised as :class:`ASGIProtocolError`
from its ``send()`` (so the app's own traceback shows where), and the
request answers 500: a body before ``http.response.start``, a second start,
a body after ``more_body=False``, a body that is not bytes, a status that is
not an int from 200 to 999 (a 1xx status cannot be the final answer), a
message type that does not exist. The complete response is framed as an
HTTP/1.1 server (uvicorn over h11) would frame it: a body on a 204 or a 304,
a ``content-length`` that disagrees with the body (outside ``HEAD`` and 304)
or with another ``content-length``, and a body past ``max_body`` bytes are
refused the same way; a ``transfer-encoding`` is dropped with any
``content-length`` (the answer is collected, so its framing is the place's),
and a ``content-length`` repeated with the same value is sent once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any, Literal

from fcsdk.exceptions import ASGIProtocolError, LifespanError

__all__ = [
    "ASGIApp",
    "ASGIProtocolError",
    "Lifespan",
    "LifespanError",
    "LifespanMode",
    "call_http",
    "http_scope",
]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
"""An ASGI 3 application: ``await app(scope, receive, send)``."""
LifespanMode = Literal["auto", "on", "off"]
Headers = list[tuple[bytes, bytes]]

logger = logging.getLogger("fcsdk.web")

_ASGI = {"version": "3.0", "spec_version": "2.3"}
_BYTES_LIKE = (bytes, bytearray, memoryview)


def http_scope(  # noqa: PLR0917 - one request's parts, in the order ASGI lists them
    method: str,
    scheme: str,
    root_path: str,
    path: str,
    raw_path: bytes,
    query_string: bytes,
    headers: Headers,
    client: tuple[str, int] | None,
    server: tuple[str, int | None] | None,
    state: dict[str, Any] | None = None,
) -> Scope:
    """Build an ASGI ``http`` scope.

    ``path`` and ``raw_path`` are the full path, ``root_path`` included, as
    uvicorn gives them (Starlette routes on ``path`` minus ``root_path``).
    ``state`` is a shallow copy of the lifespan state, per request.
    """
    scope: Scope = {
        "type": "http",
        "asgi": _ASGI,
        "http_version": "1.1",
        "method": method,
        "scheme": scheme,
        "path": path,
        "raw_path": raw_path,
        "query_string": query_string,
        "root_path": root_path,
        "headers": headers,
        "client": client,
        "server": server,
    }
    if state is not None:
        scope["state"] = state.copy()
    return scope


_NO_BODY = (204, 304)


class _Exchange:
    """One request's receive/send pair and the response it collects."""

    __slots__ = (
        "body",
        "broken",
        "chunks",
        "done",
        "head",
        "headers",
        "limit",
        "more",
        "received",
        "size",
        "status",
    )

    def __init__(self, body: bytes, *, head: bool, limit: int | None) -> None:
        self.body = body
        self.head = head
        self.limit = limit
        self.received = False
        self.status: int | None = None
        self.headers: Headers = []
        self.chunks: list[bytes] = []
        self.size = 0
        self.more = True
        self.broken = False
        self.done: asyncio.Event | None = None

    async def receive(self) -> Message:
        if not self.received:
            self.received = True
            return {"type": "http.request", "body": self.body, "more_body": False}
        if self.more:  # wait until the response is complete: then the client is gone
            if self.done is None:
                self.done = asyncio.Event()
            await self.done.wait()
        return {"type": "http.disconnect"}

    async def send(self, message: Message) -> None:
        kind = message.get("type")
        if kind == "http.response.start":
            if self.status is not None:
                raise ASGIProtocolError("the app sent http.response.start twice")
            status = message.get("status")
            if type(status) is not int or not 200 <= status <= 999:
                if type(status) is int and 100 <= status < 200:
                    raise ASGIProtocolError(
                        f"http.response.start status {status} is informational (1xx): "
                        "it cannot be the final response"
                    )
                raise ASGIProtocolError(
                    f"http.response.start status must be an int from 200 to 999, got {status!r}"
                )
            headers = message.get("headers", ())
            try:
                self.headers = [(bytes(name), bytes(value)) for name, value in headers]
            except (TypeError, ValueError):
                raise ASGIProtocolError(
                    "http.response.start headers must be (bytes, bytes) pairs"
                ) from None
            self.status = status
        elif kind == "http.response.body":
            if self.status is None:
                raise ASGIProtocolError(
                    "the app sent http.response.body before http.response.start"
                )
            if not self.more:
                raise ASGIProtocolError("the app sent http.response.body after more_body=False")
            chunk = message.get("body", b"")
            if type(chunk) is not bytes and not isinstance(chunk, _BYTES_LIKE):
                raise ASGIProtocolError(
                    f"http.response.body body must be bytes, got {type(chunk).__name__}"
                )
            if chunk:
                size = self.size = self.size + len(chunk)
                if self.limit is not None and size > self.limit:
                    raise ASGIProtocolError(
                        f"the response body is over {self.limit} bytes, "
                        "more than FC delivers in one answer"
                    )
                self.chunks.append(chunk if type(chunk) is bytes else bytes(chunk))
            if not message.get("more_body", False):
                self.more = False
                if self.done is not None:
                    self.done.set()
                self.broken = True  # until the framing is found sound
                self._frame()
                self.broken = False
        else:
            raise ASGIProtocolError(f"the app sent a message of unknown type {kind!r}")

    def _frame(self) -> None:
        """Check the complete response's framing; send a repeated ``content-length`` once.

        Raises:
            ASGIProtocolError: what an HTTP/1.1 server would refuse to send.
        """
        status = self.status
        size = self.size
        if size and status in _NO_BODY:
            raise ASGIProtocolError(f"a {status} response cannot carry a body ({size} bytes sent)")
        declared: bytes | None = None
        lengths = 0
        conflict = chunked = False
        for name, value in self.headers:
            size_of_name = len(name)
            if size_of_name == 14 and (
                name == b"content-length" or name.lower() == b"content-length"
            ):
                if declared is None:
                    declared = value
                elif value != declared:
                    conflict = True
                lengths += 1
            elif size_of_name == 17 and name.lower() == b"transfer-encoding":
                chunked = True
        if chunked:  # the answer is collected: its length, not chunks, frames it
            self.headers = [
                (name, value)
                for name, value in self.headers
                if name.lower() not in (b"transfer-encoding", b"content-length")
            ]
            return
        if declared is None:
            return
        if conflict:
            every = [value for name, value in self.headers if name.lower() == b"content-length"]
            raise ASGIProtocolError(f"conflicting content-length headers: {every!r}")
        if not declared.isdigit():
            raise ASGIProtocolError(f"content-length must be a number of bytes, got {declared!r}")
        if not self.head and status != 304 and (len(declared) > 20 or int(declared) != size):
            shown = declared.decode() if len(declared) <= 20 else f"{declared[:20].decode()}..."
            raise ASGIProtocolError(f"content-length says {shown} bytes but the body has {size}")
        if lengths > 1:
            seen = False
            kept: Headers = []
            for name, value in self.headers:
                if len(name) == 14 and name.lower() == b"content-length":
                    if seen:
                        continue
                    seen = True
                kept.append((name, value))
            self.headers = kept

    @property
    def complete(self) -> bool:
        return self.status is not None and not self.more and not self.broken


async def call_http(
    app: ASGIApp, scope: Scope, body: bytes, *, request_id: str, max_body: int | None = None
) -> tuple[int, Headers, bytes] | None:
    """Run ``app`` on one ``http`` scope; return ``(status, headers, body)``, ``None`` on failure.

    ``max_body``: the most bytes of response body collected (a protocol error past it).

    ``None`` means the app raised (even after sending a response, as
    Starlette's error middleware does, or from a background task: nothing
    has reached the client yet, and the invocation failed), returned without
    completing its response; each is logged with ``request_id`` and the
    traceback. A cancellation (the caller's timeout) propagates.
    """
    exchange = _Exchange(body, head=scope.get("method") == "HEAD", limit=max_body)
    try:
        await app(scope, exchange.receive, exchange.send)
    except Exception:
        logger.exception("the ASGI app failed on request %s", request_id)
        return None
    if not exchange.complete:
        what = "started no response" if exchange.status is None else "left its response unfinished"
        logger.error("the ASGI app returned on request %s but %s", request_id, what)
        return None
    assert exchange.status is not None
    return exchange.status, exchange.headers, b"".join(exchange.chunks)


def _app_error_first(outcome: str) -> str:
    """A failure message with the app's own error first, its traceback (if any) after."""
    if not outcome.startswith("Traceback (most recent call last):"):
        return outcome
    lines = outcome.rstrip().splitlines()
    indented = [i for i, line in enumerate(lines) if line[:1].isspace()]
    error = "\n".join(lines[indented[-1] + 1 :]) if indented else ""
    return f"{error}\n\n{outcome.rstrip()}" if error.strip() else outcome


def _retrieve(task: asyncio.Task[None]) -> None:
    """Mark the lifespan task's exception seen: it was reported through the lifespan messages."""
    if not task.cancelled():
        task.exception()


class Lifespan:
    """The ASGI lifespan protocol for one app: startup once per instance, shutdown at the end.

    ``mode="auto"`` tolerates an app without lifespan support (one that raises
    or returns on the ``lifespan`` scope before answering startup), as
    uvicorn does; ``"on"`` makes that an error; ``"off"`` never sends the
    scope. The state the app sets in ``scope["state"]`` is :attr:`state`,
    copied into each request's scope.
    """

    def __init__(self, app: ASGIApp, mode: LifespanMode) -> None:
        self.app = app
        self.mode = mode
        self.state: dict[str, Any] = {}
        self.supported = mode != "off"
        self.started = False
        self.error: LifespanError | None = None
        self._inbox: asyncio.Queue[Message] | None = None
        self._waiting: asyncio.Future[str | None] | None = None
        self._task: asyncio.Task[None] | None = None

    async def startup(self) -> None:
        """Run the app's startup; return when it is complete.

        Raises:
            LifespanError: the app sent ``lifespan.startup.failed`` (its message),
                or (``mode="on"``) it does not support lifespan.
        """
        if self.mode == "off" or self.started:
            return
        if self.error is not None:
            raise self.failure()
        self._inbox = asyncio.Queue()
        self._task = asyncio.get_running_loop().create_task(self._main())
        self._task.add_done_callback(_retrieve)
        outcome = await self._exchange({"type": "lifespan.startup"}, "startup")
        if outcome is not None:
            self.error = LifespanError(f"lifespan startup failed: {_app_error_first(outcome)}")
            if self._task.done() and not self._task.cancelled():
                self.error.__cause__ = self._task.exception()
            raise self.failure()
        self.started = True

    def failure(self) -> LifespanError:
        """A new error saying :attr:`error`, chained to its cause, for one caller to raise.

        The stored error itself is never raised: raising one object again and
        again would grow its traceback, and keep every request's frames alive.
        """
        assert self.error is not None
        fresh = LifespanError(*self.error.args)
        fresh.__cause__ = self.error.__cause__
        fresh.__suppress_context__ = True
        return fresh

    async def shutdown(self) -> None:
        """Run the app's shutdown (after a startup); the app's own failure is logged."""
        if not self.started or self._task is None:
            return
        self.started = False
        if not self.supported:  # "auto" and the app refused the scope: nothing to shut down
            return
        outcome = await self._exchange({"type": "lifespan.shutdown"}, "shutdown")
        if outcome is not None:
            logger.error("lifespan shutdown failed: %s", outcome)
        await asyncio.wait([self._task], timeout=5)

    async def _exchange(self, message: Message, phase: str) -> str | None:
        """Send ``message``; return ``None`` on ``.complete``, the failure message otherwise."""
        assert self._inbox is not None
        assert self._task is not None
        self._waiting = asyncio.get_running_loop().create_future()
        await self._inbox.put(message)
        waiting = self._waiting
        pending: list[asyncio.Future[Any]] = [waiting, self._task]
        await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
        if waiting.done():
            return waiting.result()
        # The app's lifespan call ended without answering.
        failure = self._task.exception()
        if phase == "startup" and self.mode == "auto":
            self.supported = False
            logger.debug("the ASGI app does not support lifespan (%r); going on without", failure)
            return None
        if failure is not None:
            return f"{type(failure).__name__}: {failure}"
        return f"the app returned from the lifespan scope without answering {phase}"

    async def _main(self) -> None:
        scope: Scope = {"type": "lifespan", "asgi": _ASGI, "state": self.state}
        await self.app(scope, self._receive, self._send)

    async def _receive(self) -> Message:
        assert self._inbox is not None
        return await self._inbox.get()

    async def _send(self, message: Message) -> None:
        kind = message.get("type", "")
        waiting = self._waiting
        if waiting is None or waiting.done():
            # Also what an app says when its abandoned lifespan task is closed (garbage
            # collected, the process ending): raising there would only print noise.
            logger.warning("the ASGI app sent %r when no lifespan event was pending", kind)
            return
        if kind in ("lifespan.startup.complete", "lifespan.shutdown.complete"):
            waiting.set_result(None)
        elif kind in ("lifespan.startup.failed", "lifespan.shutdown.failed"):
            waiting.set_result(str(message.get("message", "")) or "(no message)")
        else:
            raise ASGIProtocolError(f"the app sent a lifespan message of unknown type {kind!r}")
