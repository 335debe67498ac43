"""``WebFunction``: the ASGI app a web function's server runs, around the user's app and handler.

One ASGI application answers everything FC sends a custom runtime:

* ``POST /invoke``: an event invocation of ``handler`` (:mod:`.invoke`);
* ``POST /initialize`` and ``GET /pre-stop`` (and FC 2.0's ``GET
  /pre-freeze``): the instance's lifecycle (:mod:`.lifecycle`);
* any other request: the user's ``app``, an ASGI app (FastAPI, Starlette,
  Django's ASGI handler) called directly on the server's loop, so streaming,
  server-sent events and WebSocket pass through; or a WSGI app (Flask,
  Django, ``@fc.http``, ``HTTPApp``) run in the bounded thread pool
  (:mod:`.wsgi`).

FC 2.0 says which of these a request is in ``x-fc-control-path``; with it an
HTTP-trigger request for the path ``/invoke`` still reaches the app. Without
it (FC 3.0) the method and path decide, and ``POST /invoke`` reaches the app
when there is no ``handler``.

Every request and invocation gets the context of its ``x-fc-*`` headers
(:mod:`.headers`): ``scope["fc.context"]`` for ASGI apps, ``environ["fc.context"]``
(and the typed ``environ["fcsdk.context"]``) for WSGI apps, the ``context``
argument of the handler; it is the current invocation while the app runs,
so ``fc.logger``'s records carry its request id. The instance's startup runs
before the first request when FC sends no ``/initialize``.

Run it with :func:`fcsdk.webfunction.serve`, or under your own uvicorn
(``uvicorn index:web --host 0.0.0.0 --port 9000``, ``web = WebFunction(app,
handler=handler)``): it answers uvicorn's lifespan itself, running the app's
startup lazily and its shutdown when uvicorn stops.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Literal

from fcsdk._invocation import TRACE, enter, enter_hook, leave
from fcsdk.exceptions import ConfigurationError, InstanceStartError
from fcsdk.handler import is_async_callable
from fcsdk.webfunction.answers import send_problem, send_whole
from fcsdk.webfunction.headers import HeaderContext, read_headers
from fcsdk.webfunction.invoke import (
    FAILURE,
    SUCCESS,
    EventRunner,
    error_body,
    lifecycle_line,
    log_failure,
)
from fcsdk.webfunction.lifecycle import Lifecycle
from fcsdk.webfunction.wsgi import call_wsgi, read_body

__all__ = ["DEFAULT_THREADS", "WebFunction", "app_kind"]

logger = logging.getLogger("fcsdk.webfunction")

DEFAULT_THREADS = 40
"""Threads for sync routes, WSGI apps, sync handlers and hooks (anyio's default, too)."""

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
AppKind = Literal["asgi", "wsgi", "none"]

_OWN_PATHS = {
    ("POST", "/invoke"): "/invoke",
    ("POST", "/initialize"): "/initialize",
    ("GET", "/pre-stop"): "/pre-stop",
    ("GET", "/pre-freeze"): "/pre-freeze",
}
_FRAMES = {
    "/initialize": "FC Initialize",
    "/pre-stop": "FC PreStop",
    "/pre-freeze": "FC PreFreeze",
}
_OWN_PATH_NAMES = frozenset(path for _, path in _OWN_PATHS)
_CONTROL_PATHS = frozenset(("/invoke", "/initialize", "/pre-stop", "/pre-freeze"))


def app_kind(app: object) -> tuple[AppKind, Any]:
    """Say how to call ``app``: ``("asgi" | "wsgi" | "none", the callable)``.

    ``fc.from_asgi(app)`` is served as the ASGI app it wraps; ``@fc.http``,
    ``HTTPApp`` and ``fc.from_wsgi`` as the WSGI apps they also are.

    Raises:
        ConfigurationError: ``app`` is not callable.
    """
    if app is None:
        return "none", None
    asgi_app = sys.modules.get("fcsdk.web.asgi_app")
    if asgi_app is not None and isinstance(app, asgi_app.ASGIHandler):
        return "asgi", app.app
    if is_async_callable(app):
        return "asgi", app
    if callable(app):
        return "wsgi", app
    raise ConfigurationError(
        f"app must be an ASGI or WSGI application, not {type(app).__name__}: "
        "a FastAPI/Starlette/Flask/Django app, an @fc.http handler or an fc.HTTPApp"
    )


class WebFunction:
    """The whole web function as one ASGI app: the user's ``app``, ``handler`` and hooks.

    Args:
        app: the HTTP app: ASGI (FastAPI, Starlette), WSGI (Flask, Django),
            an ``@fc.http`` handler or an ``fc.HTTPApp``; ``None`` for a
            function with only a ``handler``.
        handler: the event handler for ``POST /invoke``: an ``@fc.handler``
            or a plain ``handler(event, context)``; ``None`` for none.
        initializers: ``@fc.initializer`` hooks run once per instance,
            after the app's lifespan startup.
        pre_stops: ``@fc.pre_stop`` hooks run on ``GET /pre-stop``, before
            the app's lifespan shutdown.
        pre_freezes: ``@fc.pre_freeze`` hooks (FC 2.0's ``GET /pre-freeze``).
        threads: the size of the thread pool for sync work.

    Raises:
        ConfigurationError: neither ``app`` nor ``handler``, an app that is
            not callable, or ``threads`` below 1.

    Example:
        >>> import fcsdk as fc
        >>> from fcsdk.webfunction import WebFunction
        >>> @fc.handler
        ... def handler(event: dict[str, int]) -> int:
        ...     return sum(event.values())
        >>> web = WebFunction(handler=handler)
        >>> web.kind
        'none'
    """

    def __init__(
        self,
        app: object = None,
        *,
        handler: object = None,
        initializers: Sequence[Callable[[Any], object]] = (),
        pre_stops: Sequence[Callable[[Any], object]] = (),
        pre_freezes: Sequence[Callable[[Any], object]] = (),
        threads: int = DEFAULT_THREADS,
    ) -> None:
        if app is None and handler is None:
            raise ConfigurationError("a web function needs an app, a handler, or both")
        if type(threads) is not int or threads < 1:
            raise ConfigurationError(f"threads must be a positive int, not {threads!r}")
        if handler is not None and not callable(handler):
            raise ConfigurationError(f"handler must be callable, not {type(handler).__name__}")
        self.kind, self.app = app_kind(app)
        self.handler = handler
        self.threads = threads
        self.executor = ThreadPoolExecutor(threads, thread_name_prefix="fcsdk-web")
        self.lifecycle = Lifecycle(
            self.app if self.kind == "asgi" else None,
            initializers=initializers,
            pre_stops=pre_stops,
            pre_freezes=pre_freezes,
            executor=self.executor,
        )
        self.runner = EventRunner(handler, executor=self.executor) if handler is not None else None
        self._limited = False

    # -- ASGI -----------------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve one ASGI connection: an HTTP request, a WebSocket, or the server's lifespan."""
        if scope["type"] != "http":
            if scope["type"] == "websocket":
                await self._websocket(scope, receive, send)
            elif scope["type"] == "lifespan":
                await self._lifespan(receive, send)
            return
        # Every HTTP request's path: kept short, it is most of what the server adds to a call.
        context, scope["headers"] = read_headers(scope["headers"])
        if scope["path"] in _OWN_PATH_NAMES or context.control_path is not None:
            route = self._route(scope, context)
            if route is not None:
                await self._control(route, receive, send, context)
                return
        if not self.lifecycle.started:
            try:
                await self._start(context)
            except InstanceStartError as exc:
                await send_problem(
                    send, 500, "Instance Failed To Start", str(exc), context.request_id
                )
                return
        scope["fc.context"] = context
        state = self.lifecycle.state
        if state:  # uvicorn gives each request an empty state of its own otherwise
            scope["state"] = state.copy()
        token = enter(context)
        tracer = TRACE[0]
        if tracer is not None:
            send, finish = _traced(tracer, context, scope, send)
        try:
            if self.kind == "asgi":
                await self.app(scope, receive, send)
            elif self.kind == "wsgi":
                await call_wsgi(
                    self.app, scope, receive, send, context=context, executor=self.executor
                )
            else:
                await send_problem(
                    send,
                    404,
                    "Not Found",
                    "this web function has no HTTP app, only an event handler (POST /invoke)",
                    context.request_id,
                )
        finally:
            if tracer is not None:
                await finish(sys.exc_info()[1])
            leave(token)

    def _route(self, scope: Scope, context: HeaderContext) -> str | None:
        """FC's own call a request is (``/invoke``, ``/initialize``...), or ``None`` for the app."""
        control = context.control_path
        if control is not None:
            return control if control in _CONTROL_PATHS else None
        route = _OWN_PATHS.get((scope["method"], scope["path"]))
        if route == "/invoke" and self.runner is None:
            return None
        return route

    async def _websocket(self, scope: Scope, receive: Receive, send: Send) -> None:
        context, scope["headers"] = read_headers(scope["headers"])
        if self.kind != "asgi":
            await receive()  # websocket.connect
            await send({"type": "websocket.close", "code": 1003})  # refused before accepting
            return
        try:
            await self._start(context)
        except InstanceStartError:
            await receive()
            await send({"type": "websocket.close", "code": 1011})
            return
        scope["fc.context"] = context
        state = self.lifecycle.state
        if state:
            scope["state"] = state.copy()
        token = enter(context)
        try:
            await self.app(scope, receive, send)
        finally:
            leave(token)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        """uvicorn's lifespan: startup waits for ``/initialize``; shutdown stops the instance."""
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                self._limit_threads()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                try:
                    await self.stop()
                except Exception:
                    logger.exception("stopping the instance failed")
                self.executor.shutdown(wait=False)
                await send({"type": "lifespan.shutdown.complete"})
                return

    # -- lifecycle ------------------------------------------------------------------------

    async def start(self) -> None:
        """Run the instance's startup now (what ``POST /initialize`` does), once.

        Raises:
            InstanceStartError: the startup failed, now or before.
        """
        await self._start(read_headers([])[0])

    async def stop(self) -> None:
        """Run the instance's PreStop hooks and the app's shutdown now, once (after a startup)."""
        await self.lifecycle.stop(read_headers([])[0])

    async def _start(self, context: HeaderContext) -> None:
        if self.lifecycle.started:
            return
        self._limit_threads()
        token = enter_hook(context)
        try:
            await self.lifecycle.start(context)
        finally:
            leave(token)

    def _limit_threads(self) -> None:
        """Give anyio's thread pool (Starlette's sync routes) the same bound as this server's."""
        if self._limited:
            return
        self._limited = True
        if "anyio" in sys.modules:
            from anyio import to_thread

            to_thread.current_default_thread_limiter().total_tokens = self.threads

    async def _control(
        self, route: str, receive: Receive, send: Send, context: HeaderContext
    ) -> None:
        """Answer one of FC's own calls: an invocation or a lifecycle call."""
        request_id = context.request_id
        if route == "/invoke":
            await self._invoke(receive, send, context)
            return
        what = _FRAMES[route]
        lifecycle_line(f"{what} Start", request_id)
        try:
            if route == "/initialize":
                await self._start(context)
            else:
                token = enter_hook(context)
                try:
                    if route == "/pre-stop":
                        await self.lifecycle.stop(context)
                    else:
                        await self.lifecycle.freeze(context)
                finally:
                    leave(token)
        except Exception as exc:
            if not isinstance(exc, InstanceStartError):
                log_failure(what, request_id, exc)
            await send_whole(send, 404, FAILURE, error_body(exc))
        else:
            await send_whole(send, 200, SUCCESS, b"")
        finally:
            lifecycle_line(f"{what} End", request_id)

    async def _invoke(self, receive: Receive, send: Send, context: HeaderContext) -> None:
        body = await read_body(receive)
        if body is None:
            return
        if self.runner is None:
            exc: Exception = ConfigurationError(
                "this web function has no event handler: define `handler` in its module"
            )
            await send_whole(send, 404, FAILURE, error_body(exc))
            return
        try:
            await self._start(context)
        except InstanceStartError as exc:
            await send_whole(send, 404, FAILURE, error_body(exc))
            return
        status, headers, answer = await self.runner.invoke(body, context)
        await send_whole(send, status, headers, answer)

    def __repr__(self) -> str:
        name = getattr(self.app, "__qualname__", type(self.app).__name__)
        return f"<fcsdk WebFunction {self.kind} app {name}, handler {self.handler!r}>"


def _traced(
    tracer: Any, context: Any, scope: Scope, send: Send
) -> tuple[Send, Callable[[BaseException | None], Awaitable[None]]]:
    """Open the request's invocation span (see :mod:`fcsdk.tracing`).

    Returns the ``send`` that notes the answer's status, and the function that
    ends the span with it. The scope's W3C headers then name the invocation's
    span, so an app's own OpenTelemetry middleware nests under it.
    """
    opened = tracer.start(
        context,
        trigger="http",
        headers=scope["headers"],
        method=scope["method"],
        path=scope["path"],
    )
    scope["headers"] = tracer.asgi_headers(opened, scope["headers"])
    status: list[int] = []

    async def noting_send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            status.append(message["status"])
        await send(message)

    async def finish(error: BaseException | None) -> None:
        code = status[0] if status else None
        await tracer.afinish(opened, error if code is None or code >= 500 else None, code)

    return noting_send, finish
