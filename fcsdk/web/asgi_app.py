"""``fc.from_asgi(app)``: any ASGI application (FastAPI, Starlette...) in all three places, natively.

No WSGI bridge and no thread per request: the request each place brings
(FC 2.0's environ, an FC 3.0 HTTP event, an API Gateway event) becomes an
ASGI ``http`` scope (:mod:`fcsdk.web.asgi`), the app runs on the instance's
one shared event loop (:mod:`fcsdk._aio`), and its collected response goes
back the way ``@fc.http``'s does: base64 by content type, repeated
``Set-Cookie`` as the place carries it, ``HEAD`` without a body.

Example:
    >>> import fcsdk as fc
    >>> async def app(scope, receive, send):
    ...     assert scope["type"] == "http"
    ...     await send({"type": "http.response.start", "status": 200,
    ...                 "headers": [(b"content-type", b"text/plain")]})
    ...     await send({"type": "http.response.body", "body": scope["path"].encode()})
    >>> handler = fc.from_asgi(app, lifespan="off")
    >>> from fcsdk.testing import HTTPClient
    >>> HTTPClient(handler, via="fc3").get("/items/7").text
    '/items/7'
"""  # noqa: E501

from __future__ import annotations

import atexit
import threading
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import unquote

from fcsdk import _aio
from fcsdk._invocation import enter, enter_hook, leave
from fcsdk.exceptions import ConfigurationError, HTTPError
from fcsdk.web.adapter import PlaceApp, invocation_of, logger
from fcsdk.web.asgi import ASGIApp, Lifespan, LifespanMode, call_http, http_scope
from fcsdk.web.datastructures import MutableHeaders
from fcsdk.web.places import EventPlace, Place, WSGIPlace
from fcsdk.web.response import Response, internal_error_response

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from fcsdk.web.options import HTTPOptionArgs

T = TypeVar("T")

__all__ = ["ASGIHandler", "from_asgi"]

_NO_WEBSOCKET = (
    "WebSocket is not available on FC's built-in runtimes, which answer each request in "
    "one piece; FC serves WebSocket from custom runtimes and custom containers"
)


def _latin1(text: str) -> bytes:
    try:
        return text.encode("latin-1")
    except UnicodeEncodeError:
        return text.encode("utf-8")


def _header_bytes(items: list[tuple[str, str]]) -> list[tuple[bytes, bytes]]:
    """The scope's header list: lower-case names, latin-1 bytes (UTF-8 past latin-1)."""
    try:
        return [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in items]
    except UnicodeEncodeError:
        return [(_latin1(name.lower()), _latin1(value)) for name, value in items]


def _function_timeout(raw_context: object) -> float | None:
    function = getattr(raw_context, "function", None)
    timeout = getattr(function, "timeout", None)
    return float(timeout) if isinstance(timeout, int | float) and timeout > 0 else None


class ASGIHandler(PlaceApp):
    """An ASGI app made deployable in all three places: what :func:`from_asgi` returns.

    ``handler.initializer`` and ``handler.pre_stop`` are the lifecycle hooks
    that run the app's lifespan startup and shutdown; wire them as FC's
    initializer and PreStop handlers (``index.initializer``,
    ``index.pre_stop``), or leave them: startup then runs before the
    instance's first request.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        lifespan: LifespanMode = "auto",
        timeout: float | None = None,
        **options: Unpack[HTTPOptionArgs],
    ) -> None:
        if lifespan not in ("auto", "on", "off"):
            raise ConfigurationError(f"lifespan must be 'auto', 'on' or 'off', not {lifespan!r}")
        super().__init__(**options)
        self.app = app
        self.__wrapped__ = app
        self.timeout = timeout
        self.lifespan = Lifespan(app, lifespan)
        self._starting = threading.Lock()

    # -- lifecycle ----------------------------------------------------------------------

    def startup(self) -> None:
        """Run the app's lifespan startup now, once per instance (later calls return at once).

        Raises:
            LifespanError: the startup failed; every later request raises it too.
        """
        if self.lifespan.started or self.lifespan.mode == "off":
            return
        with self._starting:
            if self.lifespan.error is None:
                # Local tools and tests end without PreStop: shut down cleanly at exit.
                atexit.register(self._shutdown_at_exit)
            _aio.run(self.lifespan.startup())

    def shutdown(self) -> None:
        """Run the app's lifespan shutdown (after a startup); its own failure is logged."""
        _aio.run(self.lifespan.shutdown())

    def _shutdown_at_exit(self) -> None:
        try:
            self.shutdown()
        except Exception:  # pragma: no cover - at interpreter exit, nothing left to tell
            logger.debug("lifespan shutdown at exit failed", exc_info=True)

    def initializer(self, context: Any = None, /) -> None:
        """FC's initializer hook: the lifespan startup (``initializer = handler.initializer``)."""
        token = enter_hook(context)
        try:
            self.startup()
        finally:
            leave(token)

    def pre_stop(self, context: Any = None, /) -> None:
        """FC's PreStop hook: the lifespan shutdown (``pre_stop = handler.pre_stop``)."""
        token = enter_hook(context)
        try:
            self.shutdown()
        finally:
            leave(token)

    # -- serving ------------------------------------------------------------------------

    def serve(self, place: Place[T]) -> T:
        """Run the request of ``place`` through the app and encode the answer there.

        A request the limits refuse (413, 431, a malformed header) never
        reaches the app; a WebSocket upgrade answers 501.

        Raises:
            LifespanError: the app's startup failed (the invocation fails with its message).
        """
        if not self.lifespan.started:
            self.startup()
        try:
            headers = _header_bytes(place.header_list)
            body = place.body
        except HTTPError as exc:
            return place.refuse(exc)
        for name, value in headers:
            if name == b"upgrade" and b"websocket" in value.lower():
                return place.refuse(HTTPError(_NO_WEBSOCKET, status=501))
        request = place.request
        scheme = place.scheme
        server = place.server
        if server is not None and server[1] is None:
            server = (server[0], 443 if scheme == "https" else 80)
        raw_root = place.root_path
        root_path = unquote(raw_root) if raw_root else ""
        raw_context = place.context
        scope = http_scope(
            place.method,
            scheme,
            root_path,
            root_path + request.path,
            (raw_root + place.raw_path).encode("ascii", "replace"),
            place.raw_query,
            headers,
            place.client,
            server,
            self.lifespan.state if self.lifespan.supported else None,
        )
        scope["fc.context"] = raw_context
        response = self._run(scope, body, request.request_id, invocation_of(request), raw_context)
        if (
            isinstance(place, WSGIPlace)
            and not response.body
            and response.status >= 200
            and response.status not in (204, 304)
            and "content-type" not in response.headers
        ):
            # An empty redirect, say: PEP 3333 servers (wsgiref's validator) want a type.
            response.headers["Content-Type"] = "text/plain; charset=utf-8"
        return place.send(response)

    def _run(
        self, scope: Any, body: bytes, request_id: str, invocation: object, raw_context: object
    ) -> Response:
        """Run the app on ``scope``; its response, or the 500 of a failure or a timeout."""
        timeout = self.timeout if self.timeout is not None else _function_timeout(raw_context)
        token = enter(invocation)
        try:
            result = _aio.run(
                call_http(self.app, scope, body, request_id=request_id), timeout=timeout
            )
        except TimeoutError:
            logger.error(
                "the ASGI app did not finish request %s within %s s; it was cancelled",
                request_id,
                timeout,
            )
            result = None
        finally:
            leave(token)
        if result is None:
            return internal_error_response(request_id)
        status, header_list, content = result
        response = Response(content, status=status)
        response.headers = MutableHeaders._trusted(
            [(name.decode("latin-1"), value.decode("latin-1")) for name, value in header_list]
        )
        return response

    def serve_wsgi(self, place: WSGIPlace) -> Iterable[bytes]:
        """Serve one FC 2.0 (WSGI) request."""
        return self.serve(place)

    def serve_event(self, place: EventPlace) -> bytes:
        """Serve one FC 3.0 or API Gateway request; return the response JSON."""
        return self.serve(place)

    def __repr__(self) -> str:
        return f"<fcsdk ASGI handler {getattr(self.app, '__qualname__', type(self.app).__name__)}>"


def from_asgi(
    app: ASGIApp,
    *,
    lifespan: LifespanMode = "auto",
    timeout: float | None = None,
    **options: Unpack[HTTPOptionArgs],
) -> ASGIHandler:
    """Make any ASGI 3 application deployable on FC 2.0, FC 3.0 and API Gateway.

    Args:
        app: the ASGI application (a FastAPI or Starlette app, say).
        lifespan: ``"auto"`` runs the app's lifespan startup once per instance
            and tolerates apps without lifespan support; ``"on"`` makes missing
            support an error; ``"off"`` never sends the lifespan scope.
        timeout: seconds a request may run before the app is cancelled and
            the request answers 500; the function's timeout from the context
            by default.
        max_body_size: the largest body accepted (413 above it).
        strip_prefix: move FC 2.0's ``/2016-08-15/proxy/<service>/<function>``
            prefix into the scope's ``root_path``.
        text_types: content types answered as text on FC 3.0 / API Gateway.
        multi_value_headers: carry repeated response headers as a list or joined.
        limits: header, form and JSON-nesting limits (see :class:`~fcsdk.web.limits.Limits`).

    Raises:
        ConfigurationError: ``lifespan`` is not one of the three modes.
    """
    return ASGIHandler(app, lifespan=lifespan, timeout=timeout, **options)
