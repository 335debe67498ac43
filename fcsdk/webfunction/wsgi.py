"""WSGI apps (Flask, Django, ``@fc.http``, ``HTTPApp``) on the ASGI server, in a thread pool.

Each request's body is read on the loop, then the app runs in the server's
bounded thread pool with a PEP 3333 environ shaped as FC 2.0 builds it: the
request's context under ``fc.context`` (what ``@fc.http`` and ``HTTPApp``
read, and FC 2.0 apps already use) and the typed one under
``fcsdk.context``; ``fc.request_uri`` keeps the client's percent-encoding.
The app's response goes out chunk by chunk as its iterable yields them, so
a streamed response (``stream_with_context``, a generator) reaches the
client as it is produced; the thread waits while the client is slow to
read (at most a few chunks in flight).

An exception before the response started answers 500 with the request id
(the traceback goes to the log); after, the response is cut short.
"""

from __future__ import annotations

import asyncio
import contextvars
import io
import logging
import sys
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import Executor
from typing import Any

from fcsdk.webfunction.answers import send_problem

__all__ = ["build_environ", "call_wsgi", "read_body"]

logger = logging.getLogger("fcsdk.webfunction")

Scope = dict[str, Any]
_IN_FLIGHT = 4
"""Chunks the app may produce ahead of the client."""

_HEADERS_ENVIRON: dict[bytes, str] = {}
"""Header name -> its environ key (bounded): most requests repeat a few names."""


def _environ_key(name: bytes) -> str:
    key = _HEADERS_ENVIRON.get(name)
    if key is None:
        text = name.decode("latin-1").upper().replace("-", "_")
        key = text if text in ("CONTENT_TYPE", "CONTENT_LENGTH") else "HTTP_" + text
        if len(_HEADERS_ENVIRON) < 1024:
            _HEADERS_ENVIRON[name] = key
    return key


def build_environ(scope: Scope, body: bytes) -> dict[str, Any]:
    """The PEP 3333 environ of an ASGI ``http`` scope and its body."""
    path: str = scope["path"]
    root_path: str = scope.get("root_path", "")
    if root_path and path.startswith(root_path):
        path = path[len(root_path) :]
    query = scope.get("query_string", b"")
    server = scope.get("server") or ("localhost", 80)
    client = scope.get("client")
    raw_path = scope.get("raw_path") or path.encode("utf-8")
    environ: dict[str, Any] = {
        "REQUEST_METHOD": scope["method"],
        "SCRIPT_NAME": root_path.encode("utf-8").decode("latin-1"),
        "PATH_INFO": path.encode("utf-8").decode("latin-1"),
        "QUERY_STRING": query.decode("latin-1"),
        "SERVER_NAME": str(server[0]),
        "SERVER_PORT": str(server[1] if server[1] is not None else 80),
        "SERVER_PROTOCOL": f"HTTP/{scope.get('http_version', '1.1')}",
        "REMOTE_ADDR": client[0] if client else "",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": scope.get("scheme", "http"),
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
        "fc.request_uri": raw_path.decode("latin-1")
        + ("?" + query.decode("latin-1") if query else ""),
    }
    if client:
        environ["REMOTE_PORT"] = str(client[1])
    for name, value in scope["headers"]:
        key = _environ_key(name)
        text = value.decode("latin-1")
        if key in environ:
            text = environ[key] + ("; " if key == "HTTP_COOKIE" else ",") + text
        environ[key] = text
    if "CONTENT_LENGTH" not in environ and body:
        environ["CONTENT_LENGTH"] = str(len(body))
    return environ


async def read_body(receive: Callable[[], Any]) -> bytes | None:
    """The whole request body, or ``None`` when the client went away first."""
    chunks = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunk = message.get("body", b"")
        if chunk:
            chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


class _Bridge:
    """One request's messages from the app's thread to the loop, in order, with backpressure."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.queue: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
        self.slots = threading.Semaphore(_IN_FLIGHT)
        self.gone = False

    def put(self, kind: str, value: Any, *, last: bool = False) -> None:
        """From the app's thread: hand one message to the loop (waits while too many are queued).

        Once the client is gone only the ``last`` message (the end, or the
        app's error) is handed over.
        """
        self.slots.acquire()
        if self.gone and not last:
            return
        try:
            self.loop.call_soon_threadsafe(self.queue.put_nowait, (kind, value))
        except RuntimeError:  # the loop closed: the server is stopping
            self.gone = True

    async def watch(self, receive: Callable[[], Any]) -> None:
        """On the loop: mark the client gone when it disconnects before the response ends."""
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                self.gone = True
                return


def _run_app(app: Callable[..., Iterable[bytes]], environ: dict[str, Any], bridge: _Bridge) -> None:
    """In a pool thread: call the WSGI app and pass its response to the loop chunk by chunk."""
    started: list[Any] = []  # [status, headers] once start_response is called
    sent = False

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        if exc_info is not None and sent:
            raise exc_info[1].with_traceback(exc_info[2])
        started[:] = [status, headers]
        return _no_write

    try:
        result = app(environ, start_response)
        try:
            for chunk in result:
                if bridge.gone:
                    break
                if chunk:
                    if not sent:
                        if not started:
                            raise RuntimeError("the WSGI app sent a body before start_response")
                        bridge.put("start", started)
                        sent = True
                    bridge.put("body", bytes(chunk))
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
        if not sent:
            if not started:
                raise RuntimeError("the WSGI app returned without calling start_response")
            bridge.put("start", started)
        bridge.put("end", None, last=True)
    except BaseException as exc:
        bridge.put("error", (exc, sent), last=True)


def _no_write(data: bytes) -> None:  # pragma: no cover - the legacy write() few apps call
    raise NotImplementedError("write() of start_response is not supported: return an iterable")


def _head(started: list[Any]) -> tuple[int, list[tuple[bytes, bytes]]]:
    status, headers = started
    code = int(str(status).split(" ", 1)[0])
    return code, [(n.lower().encode("latin-1"), v.encode("latin-1")) for n, v in headers]


async def call_wsgi(
    app: Callable[..., Iterable[bytes]],
    scope: Scope,
    receive: Callable[[], Any],
    send: Callable[[Any], Any],
    *,
    context: object,
    executor: Executor | None,
) -> None:
    """Serve one ``http`` request with the WSGI ``app``, run in ``executor``."""
    body = await read_body(receive)
    if body is None:
        return
    environ = build_environ(scope, body)
    environ["fc.context"] = context
    environ["fcsdk.context"] = _typed(context)
    loop = asyncio.get_running_loop()
    bridge = _Bridge(loop)
    call = contextvars.copy_context().run
    future = loop.run_in_executor(executor, call, _run_app, app, environ, bridge)
    watcher = loop.create_task(bridge.watch(receive))
    started = False
    try:
        while True:
            kind, value = await bridge.queue.get()
            bridge.slots.release()
            if kind == "start":
                status, headers = _head(value)
                await send({"type": "http.response.start", "status": status, "headers": headers})
                started = True
            elif kind == "body":
                await send({"type": "http.response.body", "body": value, "more_body": True})
            elif kind == "end":
                await send({"type": "http.response.body", "body": b"", "more_body": False})
                break
            else:
                exc, _ = value
                request_id = getattr(context, "request_id", "")
                logger.error("the WSGI app failed on request %s", request_id, exc_info=exc)
                if not started:
                    await _internal_error(send, request_id)
                break
    finally:
        watcher.cancel()
        bridge.gone = True
        # Let a thread blocked on a full queue finish (it sees `gone` and stops).
        for _ in range(_IN_FLIGHT):
            bridge.slots.release()
    await future


def _typed(context: object) -> object:
    from fcsdk.context import FCContext

    return FCContext.from_runtime(context)


async def _internal_error(send: Callable[[Any], Any], request_id: str) -> None:
    await send_problem(
        send,
        500,
        "Internal Server Error",
        "The function failed; search its logs for the request id.",
        request_id,
    )
